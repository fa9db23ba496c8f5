"""Answering feels natural: with a drill open in a DM, a reply that is not a command is the answer;
`skip`, `next`, `hint` and `rate …` are commands on every platform, never questions for content gaps."""
from __future__ import annotations

import re

import pytest

from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)


def drill_of(coach, kind, n=0):
    return sorted((d for d in coach.library.drills.values() if (d.type == "mcq") == (kind == "mcq")),
                  key=lambda d: d.id)[n]


def shown(reply) -> dict[str, str]:
    return dict(re.findall(r"^\*\*([A-D])\.\*\* (.+)$", reply.text, re.M))


def attempts(coach, user="alice"):
    return coach.db.execute("SELECT drill_id, kind, score FROM practice_attempts WHERE user = ? ORDER BY id",
                            [user]).fetchall()


def questions_logged(coach) -> int:
    return coach.db.execute("SELECT COUNT(*) FROM answer_log").fetchone()[0]


def test_a_plain_reply_in_a_dm_answers_the_open_drill(coach, say):
    drill = drill_of(coach, "open")
    say(f"drill {drill.id}")
    [result] = say(drill.model_answer)
    assert result.kind == "result" and result.title.startswith("✅")
    assert attempts(coach) == [(drill.id, "answer", 100)]
    assert questions_logged(coach) == 0
    # answered: the next plain message is a question again
    assert say("what does an AI PM do")[0].kind in ("answer", "decline")


def test_a_lone_letter_in_a_dm_is_the_choice_as_shown(coach, say):
    drill = drill_of(coach, "mcq")
    [card] = say(f"drill {drill.id}")
    right = next(k for k, v in shown(card).items() if v == drill.answer)
    [result] = say(right.lower() + ")")
    assert result.title == "✅ Correct"
    assert attempts(coach) == [(drill.id, "answer", 100)] and questions_logged(coach) == 0


def test_a_letter_past_the_choices_in_a_dm_says_which_letters_there_are(coach, say):
    drill = drill_of(coach, "mcq")
    say(f"drill {drill.id}")
    for typo in ("E", "f)", "option z"):
        [reply] = say(typo)
        assert reply.kind == "info" and "choices are A–D" in reply.text, reply.text
    assert attempts(coach) == [] and questions_logged(coach) == 0  # not graded, not asked of the library
    [card_result] = say("a")  # a real choice still answers
    assert card_result.kind == "result"


def test_a_question_with_a_drill_open_is_still_a_question(coach, say):
    mcq = drill_of(coach, "mcq")
    say(f"drill {mcq.id}")
    assert say("what is an F1 score?")[0].kind in ("answer", "decline")  # not a letter: can't be the choice
    opened = drill_of(coach, "open", 1)
    say(f"drill {opened.id}", user="bob")
    assert say("how do AI PMs measure model impact?", user="bob")[0].kind in ("answer", "decline")
    assert attempts(coach) == [] and attempts(coach, "bob") == []


def test_a_plain_reply_in_a_channel_is_not_taken_as_an_answer_but_a_lone_letter_is(coach, say):
    drill = drill_of(coach, "mcq")
    [card] = say(f"drill {drill.id}", channel="team")
    assert say("what does a DS PM do", channel="team")[0].kind in ("answer", "decline")
    right = next(k for k, v in shown(card).items() if v == drill.answer)
    assert say(right, channel="team")[0].title == "✅ Correct"


@pytest.mark.parametrize("word", ["skip", "next"])
def test_skip_and_next_move_on_without_grading(coach, say, word):
    drill = drill_of(coach, "open")
    say(f"drill {drill.id}")
    [note, reply] = say(word)
    assert "Skipped" in note.text and reply.kind == "drill" and drill.prompt not in reply.text
    assert attempts(coach) == [(drill.id, "skip", 0)]
    assert questions_logged(coach) == 0


def test_hint_cues_the_key_points_one_by_one(coach, say):
    drill = drill_of(coach, "open")
    say(f"drill {drill.id}")
    cues = [say("hint")[0] for _ in drill.key_points]
    for n, (cue, point) in enumerate(zip(cues, drill.key_points), 1):
        assert cue.kind == "info" and f"Hint {n} of {len(drill.key_points)}" in cue.text
        assert point.words[0] in cue.text and point.point not in cue.text  # a cue, not the answer
    assert "reveal" in say("hint")[0].text  # nothing left to hint
    assert attempts(coach) == [] and questions_logged(coach) == 0


def test_hint_on_a_multiple_choice_rules_out_a_wrong_choice(coach, say):
    drill = drill_of(coach, "mcq")
    [card] = say(f"drill {drill.id}")
    [cue] = say("hint")
    [(letter, text)] = re.findall(r"It isn't \*\*([A-D])\*\*[^:]*: (.+)$", cue.text, re.M)
    assert shown(card)[letter] == text and text != drill.answer


def test_hint_with_nothing_open(say, coach):
    assert "no drill open" in say("hint")[0].text
    assert questions_logged(coach) == 0


def test_rate_as_text(coach, say, clock):
    drill = drill_of(coach, "mcq")
    [card] = say(f"drill {drill.id}")
    assert "Answer a drill first" in say("rate easy")[0].text
    right = next(k for k, v in shown(card).items() if v == drill.answer)
    say(f"answer {right}")
    [saved] = say("rate easy")
    assert "Saved **Easy**" in saved.text and "8 days" in saved.text
    assert "`rate good` or `rate easy`" in say("rate brilliant")[0].text
    assert questions_logged(coach) == 0


def test_an_answer_after_hints_is_scheduled_as_hard_at_best(coach, say, clock):
    drill = drill_of(coach, "open")
    say(f"drill {drill.id}")
    say("hint")
    [result] = say(f"answer {drill.model_answer}")
    assert result.title.startswith("✅") and "I'd say **Hard**" in result.text and "hint" in result.text
    assert coach.db.execute("SELECT rating FROM practice_attempts").fetchall() == [(2,)]


@pytest.mark.parametrize("text", ["B", "c)", "option d"])
def test_a_lone_letter_with_no_drill_open_says_so_instead_of_searching_the_library(coach, say, text):
    [reply] = say(text)
    assert "no drill open" in reply.text and "`drill`" in reply.text, reply.text
    [reply] = say(text, channel="team")
    assert "no drill open" in reply.text, reply.text
    assert attempts(coach) == []
