"""MCQ choices are shuffled per post (stable for that post) and every drill card names its article."""
from __future__ import annotations

import re

from bot import practice
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)


def mcqs(coach):
    return sorted((d for d in coach.library.drills.values() if d.type == "mcq"), key=lambda d: d.id)


def shown_choices(reply) -> dict[str, str]:
    """{letter: choice text} as the card shows them."""
    return dict(re.findall(r"^\*\*([A-D])\.\*\* (.+)$", reply.text, re.M))


def shown_letter(reply, drill, choice: str | None = None) -> str:
    text = choice or drill.answer
    return next(letter for letter, c in shown_choices(reply).items() if c == text)


def test_choices_are_shuffled_per_post_and_the_shown_letters_grade(coach, say, clock):
    drill = mcqs(coach)[0]
    orders = set()
    for user in [f"u{i}" for i in range(8)]:
        [card] = say(f"drill {drill.id}", user=user)
        assert set(shown_choices(card).values()) == set(drill.choices)
        orders.add(tuple(shown_choices(card).values()))
    assert len(orders) > 1  # not always the authored order

    [card] = say(f"drill {drill.id}", user="alice")
    right = shown_letter(card, drill)
    [result] = say(action=next(b.action for b in card.buttons if b.label == right), user="alice")
    assert result.title == "✅ Correct"
    assert dict(result.fields)["Answer"] == f"**{right}.** {drill.answer}"
    # the stored choice is the authored one, whatever letter it was shown under
    assert coach.db.execute("SELECT choice, correct FROM practice_attempts WHERE user = 'alice'").fetchall() == [
        (drill.answer_letter, 1)]


def test_a_typed_letter_means_the_letter_shown(coach, say):
    for drill in mcqs(coach)[:6]:
        [card] = say(f"drill {drill.id}", user="bob")
        wrong_text = next(c for c in drill.choices if c != drill.answer)
        wrong = shown_letter(card, drill, wrong_text)
        [result] = say(f"answer {wrong}", user="bob")
        assert result.title == f"❌ Not quite — the answer is {shown_letter(card, drill)}"
        assert dict(result.fields)["You chose"] == f"**{wrong}.** {wrong_text}"


def test_the_order_of_a_post_survives_a_restart_and_the_reveal_uses_it(coach, say, clock):
    post_id, [card] = practice.daily_drill(coach, "console", "T1", "team", post_key="k", track="ai")
    again_id, [again] = practice.daily_drill(coach, "console", "T1", "team", post_key="k", track="ai")
    assert (again_id, again.text, again.buttons) == (post_id, card.text, card.buttons)
    drill = coach.library.drills[practice.get_post(coach, post_id).drill_id]
    if drill.type == "mcq":
        [reveal, _] = practice.reveal_post(coach, post_id)
        assert dict(reveal.fields)["Answer"] == f"**{shown_letter(card, drill)}.** {drill.answer}"


def test_buttons_posted_before_shuffling_keep_their_meaning(coach, say):
    # a post made before choices were shuffled (shuffled = 0) keeps the authored order
    drill = mcqs(coach)[0]
    [card] = say(f"drill {drill.id}", user="carol")
    post_id = int(card.buttons[0].action.split(":")[4])
    coach.db.execute("UPDATE practice_posts SET shuffled = 0 WHERE id = ?", [post_id])
    action = f"drill:choose:{drill.id}:{drill.answer_letter}:{post_id}"
    assert say(action=action, user="carol")[0].title == "✅ Correct"
    # and a button from before posts had ids names the authored letter too
    [legacy] = say(action=f"drill:choose:{drill.id}:{drill.answer_letter}", user="dave")
    assert legacy.title == "✅ Correct"


def test_every_drill_card_names_its_article(coach, say):
    for drill in (mcqs(coach)[0], next(d for d in coach.library.drills.values() if d.type != "mcq")):
        [card] = say(f"drill {drill.id}", user="erin")
        assert coach.library.articles[drill.article].title in card.text
    post_id, [team] = practice.daily_drill(coach, "console", "T1", "team", post_key="t")
    drill = coach.library.drills[practice.get_post(coach, post_id).drill_id]
    assert coach.library.articles[drill.article].title in team.text
