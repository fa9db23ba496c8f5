"""Blocking work off the event loop (issue 13.2): bot.workers runs Coach.handle and the scheduler's
database work in worker threads, each with its own SQLite connection to the same file."""
from __future__ import annotations

import asyncio
import threading
import time

from zoneinfo import ZoneInfo

from bot import workers
from conftest import make_request


async def test_handle_runs_in_a_worker_thread_with_its_own_connection(coach):
    seen = {}

    def where(c):
        seen["thread"], seen["conn"] = threading.get_ident(), c.db.conn
        return c.handle(make_request("subscribe at 9am tz UTC"))

    replies = await workers.call(coach, where)
    assert replies[0].kind == "subscription"
    assert seen["thread"] != threading.get_ident() and seen["conn"] is not coach.db.conn
    # written through the worker's connection, visible through the loop's
    assert coach.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 1
    again = await workers.handle(coach, make_request("subscriptions"))
    assert "09:00" in again[0].text


async def test_the_loop_keeps_ticking_while_a_worker_blocks(coach):
    ticks = []

    async def ticker():
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    task = asyncio.ensure_future(ticker())
    await workers.call(coach, lambda c: time.sleep(0.3))
    task.cancel()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 10 and max(gaps) < 0.2  # on the loop, one 0.3 s gap and two ticks


# ------------------------------------------------------------ the planner at scale (issue 13.1)
from datetime import datetime, timedelta, timezone  # noqa: E402

from bot import scheduler  # noqa: E402
from bot.scheduler import DailyScheduler  # noqa: E402

UTC = timezone.utc


class Recorder:
    def __init__(self):
        self.keys = []

    async def send(self, target, replies, key):
        self.keys.append(key)
        return key


def observe_runs(sched):
    """Record each run_due's ``only`` (observing the real method, not replacing it)."""
    runs, real = [], sched.run_due

    async def run_due(at=None, only=None, **kw):
        runs.append(None if only is None else set(only))
        return await real(at, only, **kw)

    sched.run_due = run_due
    return runs


async def test_a_firing_run_reads_only_its_own_subscriptions(coach, say, clock):
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC", user="ann")
    say("subscribe at 9am tz UTC", user="bob")
    coach.db.execute("UPDATE subscriptions SET tz = 'Mars/Olympus' WHERE user = 'bob'")  # unreadable if read
    rec = Recorder()
    summary = await DailyScheduler(coach, {"console": rec}).run_due(
        clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)), only={1})
    assert rec.keys == ["daily:1:2026-11-24"] and summary.broken == 0


async def test_schedules_firing_in_the_same_minute_make_one_run_and_the_sweep_skips_what_is_done(coach, say, clock):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock.set(now - timedelta(hours=1))
    say(f"subscribe at {now:%H:%M} tz UTC", user="ann")
    local = now.astimezone(ZoneInfo("Asia/Tokyo"))
    say(f"subscribe at {local:%H:%M} tz Asia/Tokyo", user="bob")  # the same instant, another schedule
    say(f"subscribe at {now:%H:%M} tz UTC", user="cy")  # the same schedule as ann's
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    runs = observe_runs(sched)
    try:
        await sched.start()
        # This test plays APScheduler's part itself: the real clock's tick at a minute boundary
        # during the test would be a second run for the same minute.
        sched._aps.pause()
        assert len(sched._groups) == 2 and len(runs) == 1  # two jobs for three subscriptions; the catch-up
        clock.set(now)
        for schedule in list(sched._groups):  # what APScheduler does at that minute: both jobs fire
            await sched._fire(schedule)
        await asyncio.sleep(scheduler.COALESCE_SECONDS + 0.5)
        while sched._flush_task and not sched._flush_task.done():
            await asyncio.sleep(0.05)
        assert runs[1:] == [{1, 2, 3}]  # one plan for the minute
        day = now.date().isoformat()
        assert sorted(rec.keys) == [f"daily:1:{day}", f"daily:2:{local.date().isoformat()}", f"daily:3:{day}"]
        clock.set(now + timedelta(minutes=1))
        await sched._sweep()
        assert runs[-1] == set()  # nothing left to plan: every schedule's latest time is claimed
        say(f"subscribe at {now:%H:%M} tz UTC", user="dee")  # a newcomer to a done schedule is looked at again
        await sched._sweep()
        assert runs[-1] == {1, 3, 4} and len(rec.keys) == 3  # (subscribed after 09:00: nothing due today)
    finally:
        sched.shutdown()
