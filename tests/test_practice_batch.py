"""Scheduled posts composed in batches (practice.daily_drills): the same drills, the same posts and the
same idempotence as composing them one at a time, in a few statements per batch."""
from __future__ import annotations

import asyncio
import dataclasses

from bot import practice, subscriptions
from bot.practice import Wanted
from bot.scheduler import DailyScheduler

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)


def drill_of(replies) -> str:
    return next(b.action for b in replies[0].buttons if b.label == "Reveal").split(":")[2]


def history(coach, say):
    """Some practice first: a review falls due for alice, the team channel already had drills."""
    mcq = next(d for d in coach.library.drills.values() if d.type == "mcq")
    shown = say(f"drill {mcq.id}", user="alice")
    letter = next(b for b in shown[0].buttons if b.action.startswith("drill:choose"))
    say(action=letter.action, user="alice")
    say("tz Asia/Tokyo", user="bob")
    practice.daily_drill(coach, "console", "T1", "team", post_key="old:1")
    practice.daily_drill(coach, "console", "T1", "team", post_key="old:2")


WANTED = [Wanted("console", "T1", "dm-alice", "a:1", user="alice"),
          Wanted("console", "T1", "team", "t:1"),
          Wanted("console", "T1", "dm-bob", "b:1", user="bob", track="ai"),
          Wanted("console", "T2", "dm-alice", "a:1", user="alice"),  # same key, another workspace: another post
          Wanted("console", "T1", "dm-alice", "a:2", user="alice", track="ds"),  # alice twice in one batch
          Wanted("console", "T1", "team", "t:2"),  # and the channel twice
          Wanted("slack", "T1", "C1", "t:1", track="no-such-track")]


def test_a_batch_chooses_what_posting_one_at_a_time_would(coach, say, clock):
    history(coach, say)
    clock.advance(days=1)
    batch = practice.daily_drills(coach, WANTED)
    chosen = [drill_of(replies) for _, replies in batch]
    assert len({post_id for post_id, _ in batch}) == len(WANTED)
    # the same posts again, one at a time, on the state before the batch: the same drills
    coach.db.execute("DELETE FROM practice_posts WHERE post_key NOT LIKE 'old:%'")
    one_by_one = [drill_of(practice.daily_drill(coach, w.platform, w.workspace, w.channel, user=w.user,
                                                track=w.track, post_key=w.post_key)[1]) for w in WANTED]
    assert chosen == one_by_one
    assert chosen[0] != chosen[4] and chosen[1] != chosen[5]  # no one gets the same drill twice in a batch
    assert coach.library.drills[chosen[2]].track == "ai-pm"


def test_a_batch_is_idempotent_and_keeps_a_post_another_process_made(coach, say, clock):
    first = practice.daily_drill(coach, "console", "T1", "dm-alice", user="alice", post_key="a:1")
    batch = practice.daily_drills(coach, WANTED)
    assert batch[0] == first  # made before (by another process, or before a crash): that post, not a new one
    again = practice.daily_drills(coach, WANTED)
    assert [(post_id, [r.plain() for r in replies]) for post_id, replies in again] == \
        [(post_id, [r.plain() for r in replies]) for post_id, replies in batch]
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts").fetchone()[0] == len(WANTED)


def test_without_drills_each_post_fails_alone_and_the_delivery_says_why(coach, say, clock):
    empty = dataclasses.replace(coach.library, drills={})
    coach.library = empty
    assert all(isinstance(got, LookupError) for got in practice.daily_drills(coach, WANTED[:3]))
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts").fetchone()[0] == 0

    class Recorder:
        posts: list = []

        async def send(self, target, replies, key):
            self.posts.append(key)
            return "m1"

    say("subscribe at 9:00 tz UTC", user="carol")
    sched = DailyScheduler(coach, {"console": Recorder()})
    summary = asyncio.run(sched.run_due(clock.advance(days=1).replace(hour=9, minute=0, second=30)))
    assert summary.failed == 1 and Recorder.posts == []
    [(state, error)] = coach.db.execute("SELECT state, error FROM deliveries").fetchall()
    assert state == "failed" and "no drills" in error
    assert len(subscriptions.active(coach.db)) == 1  # a failure to compose pauses nothing
