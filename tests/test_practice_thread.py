"""Answering a team drill in its thread: what is said to the coach there is said about that drill.

The drill is posted by the real scheduler (so the message it hangs off is the one the
scheduler recorded); the console's message reference is the delivery key.
"""
from __future__ import annotations

import asyncio
import io
from datetime import datetime, timezone

from bot import practice
from bot.delivery import ConsoleSender
from bot.scheduler import DailyScheduler
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)

UTC = timezone.utc


async def _no_sleep(seconds):
    return None


def post_team_drill(coach, say, clock, drill_type: str, platform: str = "console"):
    """Subscribe #team, let the scheduler post today's drill, pin it to a drill of ``drill_type``
    (the chooser's pick depends on the bank); (the drill, its post, the message its thread hangs off)."""
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))  # a Tuesday: no digest
    [sub] = say("subscribe here at 9am tz UTC", user="lead", channel="team")
    assert sub.kind == "subscription", sub.text
    scheduler = DailyScheduler(coach, {platform: ConsoleSender(io.StringIO())}, sleep=_no_sleep)
    assert asyncio.run(scheduler.run_due(clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))).sent == 1
    post_id, ref = coach.db.execute("SELECT post_id, message_ref FROM deliveries WHERE kind = 'daily'").fetchone()
    drill = sorted((d for d in coach.library.drills.values() if d.type == drill_type), key=lambda d: d.id)[0]
    coach.db.execute("UPDATE practice_posts SET drill_id = ? WHERE id = ?", [drill.id, post_id])
    return drill, practice.get_post(coach, post_id), ref, scheduler


def attempts(coach):
    return coach.db.execute("SELECT user, kind, post_id FROM practice_attempts ORDER BY id").fetchall()


def test_a_plain_reply_in_the_drill_thread_answers_that_team_drill(coach, say, clock):
    drill, post, ref, scheduler = post_team_drill(coach, say, clock, "open")
    # outside the thread, a plain sentence in the channel is still a question, not an answer
    say(drill.model_answer, user="carol", channel="team")
    assert attempts(coach) == []
    # in another thread of the channel: nothing either
    say(drill.model_answer, user="carol", channel="team", thread="not-a-drill")
    assert attempts(coach) == []

    [result] = say(drill.model_answer, user="bob", channel="team", thread=ref)
    assert result.kind == "result" and result.ephemeral and result.score >= 60, result
    assert attempts(coach) == [("bob", "answer", post.id)]
    # answered already: more text is a question (as in a DM), kept private while the drill is open
    again = say(drill.model_answer, user="bob", channel="team", thread=ref)
    assert all(r.ephemeral for r in again if r.citation and r.citation.article == drill.article)
    assert attempts(coach) == [("bob", "answer", post.id)]
    assert "bob" not in dict(say("leaderboard", user="zed", channel="team")[0].fields)["All time"]

    asyncio.run(scheduler.run_due(clock.set(datetime(2026, 11, 24, 17, tzinfo=UTC))))  # the reveal
    assert practice.get_post(coach, post.id).revealed_at
    assert "bob" in dict(say("leaderboard", user="zed", channel="team")[0].fields)["All time"]
    say(drill.model_answer, user="carol", channel="team", thread=ref)  # revealed: answers are closed
    assert [a[0] for a in attempts(coach)] == ["bob"]


def test_a_lone_letter_in_the_drill_thread_is_the_choice(coach, say, clock):
    drill, post, ref, _ = post_team_drill(coach, say, clock, "mcq")
    shown = post.shown_letter(drill, drill.answer_letter)
    [result] = say(shown.lower(), user="bob", channel="team", thread=ref)
    assert result.kind == "result" and result.ephemeral and result.score == 100, result
    [wrong] = say(next(x for x in "ABCD" if x != shown), user="dan", channel="team", thread=ref)
    assert wrong.kind == "result" and wrong.score == 0
    [twice] = say("A", user="bob", channel="team", thread=ref)
    assert twice.kind == "error" and "already answered" in twice.text
    assert [(u, k) for u, k, _ in attempts(coach)] == [("bob", "answer"), ("dan", "answer")]


def test_a_question_in_the_drill_thread_is_answered_privately_while_the_drill_is_open(coach, say, clock):
    drill, post, ref, _ = post_team_drill(coach, say, clock, "open")
    section = coach.library.section_for(drill)
    replies = say(f"what does {section.heading} say?", user="bob", channel="team", thread=ref)
    cited = [r for r in replies if r.citation and r.citation.article == drill.article
             and r.citation.section == drill.section]
    assert all(r.ephemeral for r in cited)
    assert attempts(coach) == []
