"""The daily fan-out: DST, weekdays, catch-up, retries, pauses, reveals, racing schedulers.

Time is the injected clock and run_due is called directly; the senders are tiny recorders
standing in for a platform (our own modules are all real).
"""
from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import scheduler, subscriptions
from bot.coach import open_coach
from bot.config import Config
from bot.delivery import PermanentError, RateLimited, TransientError
from bot.scheduler import DailyScheduler

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)

UTC = timezone.utc


class Recorder:
    """A platform stand-in: records posts; ``script`` lists what to raise on successive calls (None = post)."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = 0
        self.posts = []  # (target, key, replies)

    async def send(self, target, replies, key):
        self.calls += 1
        await asyncio.sleep(0)  # yield, as a real network call would
        if self.script:
            exc = self.script.pop(0)
            if exc is not None:
                raise exc
        self.posts.append((target, key, replies))
        return f"msg-{len(self.posts)}"

    def keys(self):
        return [key for _, key, _ in self.posts]


@pytest.fixture
def sleeps(clock):
    """A sleep that records and moves the clock instead of waiting."""
    waited = []

    async def sleep(seconds):
        waited.append(seconds)
        clock.advance(seconds=seconds)

    sleep.waited = waited
    return sleep


def run(sched, at):
    return asyncio.run(sched.run_due(at))


def ledger(coach, kind="daily"):
    return coach.db.execute("SELECT subscription_id, local_date, state, attempts, error FROM deliveries "
                            "WHERE kind = ? ORDER BY id", [kind]).fetchall()


def local(tz, *args):
    return datetime(*args, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize("tz,switch_days", [
    ("Europe/Berlin", [(2026, 3, 28), (2026, 3, 29), (2026, 10, 24), (2026, 10, 25)]),
    ("America/New_York", [(2026, 3, 7), (2026, 3, 8), (2026, 10, 31), (2026, 11, 1)]),
])
def test_nine_am_stays_nine_am_local_across_dst(coach, say, clock, tz, switch_days):
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    say(f"subscribe at 9am tz {tz}")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    utc_hours = set()
    for day in switch_days:
        before, at = local(tz, *day, 8, 59), local(tz, *day, 9, 0)
        clock.set(before)
        assert run(sched, before).sent == 0
        clock.set(at)
        assert run(sched, at).sent == 1
        assert rec.keys()[-1] == f"daily:1:{at.date().isoformat()}"
        utc_hours.add(at.astimezone(UTC).hour)
    assert len(utc_hours) == 2  # the same local 09:00 is two different UTC hours across the year


def test_half_past_two_on_spring_forward_and_fall_back(coach, say, clock):
    """02:30 doesn't exist in Berlin on 29 Mar 2026 (clocks jump 02:00 -> 03:00): the post goes out once,
    at 03:30 CEST, the instant 02:30 CET would have been. On 25 Oct 02:30 happens twice: one post."""
    clock.set(datetime(2026, 3, 28, 12, tzinfo=UTC))
    say("subscribe at 2:30 tz Europe/Berlin")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    assert run(sched, datetime(2026, 3, 29, 1, 29, tzinfo=UTC)).sent == 0  # 03:29 CEST
    assert run(sched, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)).sent == 1  # 03:30 CEST
    assert rec.keys() == ["daily:1:2026-03-29"]
    assert run(sched, datetime(2026, 3, 30, 0, 30, tzinfo=UTC)).sent == 1  # back to 02:30 CEST next day

    clock.set(datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert run(sched, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)).sent == 1  # first 02:30 (CEST)
    assert run(sched, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)).sent == 0  # second 02:30 (CET)
    assert rec.keys()[-1] == "daily:1:2026-10-25" and rec.keys().count("daily:1:2026-10-25") == 1


def test_weekday_sets(coach, say, clock):
    clock.set(datetime(2026, 11, 22, 12, tzinfo=UTC))  # a Sunday
    say("subscribe at 9am tz UTC weekdays", user="ann")
    say("subscribe at 9am tz UTC mon,wed,fri", user="ben")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    for day in range(23, 30):  # Mon 23 .. Sun 29 Nov
        run(sched, datetime(2026, 11, day, 9, tzinfo=UTC))
    def days(who):
        return [int(key.rsplit("-", 1)[1]) for target, key, _ in rec.posts if target.channel == who]

    assert days("ann") == [23, 24, 25, 26, 27]
    assert days("ben") == [23, 25, 27]


def test_catch_up_within_grace_and_skip_beyond(coach, say, clock):
    clock.set(datetime(2026, 11, 23, 5, tzinfo=UTC))
    say("subscribe at 9am tz UTC", user="ann")  # 2.5 h late at 11:30: caught up
    say("subscribe at 6am tz UTC", user="ben")  # 5.5 h late: skipped
    rec = Recorder()
    summary = run(DailyScheduler(coach, {"console": rec}), clock.set(datetime(2026, 11, 23, 11, 30, tzinfo=UTC)))
    assert (summary.sent, summary.skipped) == (1, 1)
    assert rec.keys() == ["daily:1:2026-11-23"]
    assert [r[:3] for r in ledger(coach)] == [(1, "2026-11-23", "sent"), (2, "2026-11-23", "skipped")]
    # a later run (another process, a clock jump back) finds the ledger and posts nothing
    assert run(DailyScheduler(coach, {"console": rec}), clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))).sent == 0
    assert len(rec.posts) == 1


def test_no_catch_up_from_before_subscribing(coach, say, clock):
    clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    say("subscribe at 9am tz UTC")
    rec = Recorder()
    assert run(DailyScheduler(coach, {"console": rec}), clock.now).sent == 0
    assert ledger(coach) == []


def test_rate_limit_waits_as_told_and_is_not_a_failure(coach, say, clock, sleeps):
    clock.set(datetime(2026, 11, 23, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC")
    rec = Recorder(RateLimited(2.5), RateLimited(0.5), TransientError("blip"), RateLimited(1.0))
    sched = DailyScheduler(coach, {"console": rec}, sleep=sleeps, tries=2)
    summary = run(sched, clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC)))
    assert summary.sent == 1 and rec.calls == 5
    assert sleeps.waited == [2.5, 0.5, 1.0, 1.0]  # retry_after, retry_after, backoff, retry_after
    assert ledger(coach) == [(1, "2026-11-23", "sent", 2, None)]  # two tries counted: the blip and the post


def test_transient_errors_back_off_then_fail_without_pausing(coach, say, clock, sleeps):
    clock.set(datetime(2026, 11, 23, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC")
    rec = Recorder(*[TransientError("HTTP 503")] * 5)
    summary = run(DailyScheduler(coach, {"console": rec}, sleep=sleeps), clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC)))
    assert (summary.sent, summary.failed, rec.calls) == (0, 1, 3)
    assert sleeps.waited == [1.0, 2.0]
    (row,) = ledger(coach)
    assert row[2:4] == ("failed", 3) and "HTTP 503" in row[4]
    assert not subscriptions.get(coach.db, 1).paused
    # failed is final for that day: the next run doesn't start a retry storm
    assert run(DailyScheduler(coach, {"console": rec}, sleep=sleeps), clock.advance(minutes=5)).sent == 0
    assert rec.calls == 3


def test_permanent_error_pauses_and_tells_the_subscriber(coach, say, clock, sleeps):
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))  # a Tuesday: no digest
    say("subscribe here at 9am tz UTC", channel="team", user="lead")
    rec = Recorder(PermanentError("missing access"))
    sched = DailyScheduler(coach, {"console": rec}, sleep=sleeps)
    summary = run(sched, clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))
    assert (summary.failed, summary.paused, sleeps.waited) == (1, 1, [])
    sub = subscriptions.get(coach.db, 1)
    assert sub.paused and sub.paused_reason == "missing access"
    (target, key, replies), = rec.posts  # the only thing that got through: the note to the subscriber
    assert (target.channel, target.is_dm) == ("lead", True)
    assert replies[0].title == "Daily drill paused" and "missing access" in replies[0].text
    assert replies[0].buttons[0].action == "sub:resume:1"
    assert run(sched, clock.set(datetime(2026, 11, 25, 9, tzinfo=UTC))).sent == 0
    assert rec.calls == 2


def test_team_drill_reveal_in_its_thread_and_monday_digest(coach, say, clock):
    clock.set(datetime(2026, 11, 23, 8, tzinfo=UTC))  # Monday
    say("subscribe here at 9am tz UTC", channel="team")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    run(sched, clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC)))
    # a new subscription's first Monday: last week had no team drills, so no digest (it is recorded skipped)
    assert rec.keys() == ["daily:1:2026-11-23"]
    assert coach.db.execute("SELECT state FROM deliveries WHERE kind = 'digest'").fetchall() == [("skipped",)]
    drill_ref = "msg-1"
    say("answer A", channel="team", user="bob")
    assert run(sched, clock.set(datetime(2026, 11, 23, 16, 59, tzinfo=UTC))).sent == 0
    assert run(sched, clock.set(datetime(2026, 11, 23, 17, tzinfo=UTC))).sent == 1
    target, key, replies = rec.posts[-2]  # a reveal is two messages, each sent (and recorded) on its own
    assert (key, target.thread, target.channel) == ("reveal:1:2026-11-23", drill_ref, "team")
    assert (rec.posts[-1][1], rec.posts[-1][0].thread) == ("reveal:1:2026-11-23#2", drill_ref)
    assert replies[0].title.startswith("Answer") and "bob" in dict(replies[0].fields)["Answered"]
    assert run(sched, clock.advance(hours=1)).sent == 0
    run(sched, clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))
    assert rec.keys()[-1] == "daily:1:2026-11-24"  # Tuesday: the drill, no digest
    run(sched, clock.set(datetime(2026, 11, 30, 9, tzinfo=UTC)))  # next Monday: last week had drills
    assert rec.keys()[-2:] == ["digest:1:2026-11-30", "daily:1:2026-11-30"]
    assert rec.posts[-2][2][0].title.startswith("Last week in practice")


def test_a_channel_that_unsubscribes_after_the_post_still_gets_that_drills_reveal(coach, say, clock):
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))  # Tuesday: no digest
    say("subscribe here at 9am tz UTC", channel="team")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    run(sched, clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))
    say("unsubscribe here", channel="team")
    # the reveal job fires for just this subscription, as APScheduler's date job does
    asyncio.run(sched.run_due(clock.set(datetime(2026, 11, 24, 17, 0, 30, tzinfo=UTC)), only={1}))
    assert rec.keys() == ["daily:1:2026-11-24", "reveal:1:2026-11-24", "reveal:1:2026-11-24#2"]
    run(sched, clock.set(datetime(2026, 11, 25, 9, tzinfo=UTC)))
    assert rec.keys()[-1] == "reveal:1:2026-11-24#2"  # and no new drill after unsubscribing


def test_dm_subscriptions_get_no_reveal_or_digest(coach, say, clock):
    clock.set(datetime(2026, 11, 23, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    run(sched, clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC)))
    run(sched, clock.set(datetime(2026, 11, 23, 18, tzinfo=UTC)))
    assert rec.keys() == ["daily:1:2026-11-23"]
    assert rec.posts[0][2][0].title.startswith("Your daily drill")


def test_two_schedulers_on_one_database_post_each_drill_once(coach, say, clock, db_file, index_file):
    clock.set(datetime(2026, 11, 23, 8, tzinfo=UTC))
    for i in range(40):
        say(f"subscribe at 9am tz UTC", user=f"u{i}")
        say(f"subscribe here at 9am tz UTC", channel=f"c{i}", user=f"u{i}")
    at = clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    posts, lock = [], threading.Lock()

    class Shared(Recorder):
        async def send(self, target, replies, key):
            await asyncio.sleep(0.001)
            with lock:
                posts.append(key)
            return key

    coaches = [open_coach(db_file, clock=clock, config=Config(db=str(db_file), index=index_file)) for _ in range(2)]
    barrier = threading.Barrier(2)
    summaries = []

    def worker(c):
        sched = DailyScheduler(c, {"console": Shared()})
        barrier.wait()
        summaries.append(asyncio.run(sched.run_due(at)))

    threads = [threading.Thread(target=worker, args=(c,)) for c in coaches]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(posts) == len(set(posts)) == 40 + 40  # DMs, and channels' drill (their first digest is empty)
    assert sum(s.sent for s in summaries) == 80
    assert coach.db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'sent'").fetchone()[0] == 80
    assert coach.db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'skipped'").fetchone()[0] == 40
    for c in coaches:
        c.db.conn.close()


def test_platforms_without_a_sender_are_left_unclaimed(coach, say, clock):
    clock.set(datetime(2026, 11, 23, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC")
    say("subscribe at 9am tz UTC", platform="slack", user="U1")
    rec = Recorder()
    summary = run(DailyScheduler(coach, {"console": rec}), clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC)))
    assert summary.sent == 1 and summary.unsent == {"slack": 1}
    assert [r[0] for r in ledger(coach)] == [1]
    slack = Recorder()  # the live process, once Slack is connected, still posts it
    assert run(DailyScheduler(coach, {"console": rec, "slack": slack}), clock.advance(minutes=1)).sent == 1
    assert slack.keys() == ["daily:2:2026-11-23"]


async def test_real_apscheduler_ticks_and_schedules_follow_subscriptions(coach, say, clock):
    """APScheduler fires a job at second 0 of every minute; each distinct schedule (platform, time,
    zone, days) has its next fire time on a heap, and a change moves just its subscription."""
    clock.set(datetime.now(UTC))
    say("subscribe at 9am tz Europe/Berlin weekdays")
    sched = DailyScheduler(coach, {"console": Recorder()})
    await sched.start()
    try:
        tick, sweep = sched._aps.get_job("tick"), sched._aps.get_job("sweep")
        assert tick.misfire_grace_time == 3 * 3600 and tick.coalesce and sweep is not None
        assert {f.name: str(f) for f in tick.trigger.fields}["second"] == "0"
        schedule = sched._schedule_of[1]
        assert schedule == ("console", 9, 0, "Europe/Berlin", "mon,tue,wed,thu,fri")
        nxt = sched._next[schedule].astimezone(ZoneInfo("Europe/Berlin"))
        assert (nxt.hour, nxt.minute, nxt.weekday() < 5) == (9, 0, True)
        assert nxt > datetime.now(UTC) > nxt - timedelta(days=4)
        say("subscribe here at 7am tz America/New_York tue", channel="team")  # the listener adds its schedule
        await asyncio.sleep(0)  # the command ran in this thread; the update is the loop's next step
        team = sched._schedule_of[2]
        assert team[1:] == (7, 0, "America/New_York", "mon,tue")  # + Monday's digest
        say("subscribe at 9am tz Europe/Berlin weekdays", user="bob")  # the same schedule: the same group
        assert sched._schedule_of[3] == schedule and sched._groups[schedule] == {1, 3} and len(sched._groups) == 2
        say("unsubscribe")
        assert 1 not in sched._schedule_of and sched._groups[schedule] == {3}
        say("unsubscribe", user="bob")
        assert schedule not in sched._groups and schedule not in sched._next
        assert sorted(j.id for j in sched.jobs()) == ["sweep", "tick"]  # never a job per subscription
    finally:
        sched.shutdown()
    assert sched._changed not in subscriptions.LISTENERS


async def test_the_minute_tick_enqueues_the_schedules_that_are_due(coach, say, clock):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock.set(now - timedelta(hours=1))
    say(f"subscribe at {(now + timedelta(minutes=2)):%H:%M} tz UTC", user="ann")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    await sched.start()
    try:
        clock.set(now + timedelta(minutes=1))
        await sched._tick()
        assert not sched._due and rec.keys() == []  # not yet
        clock.set(now + timedelta(minutes=2, seconds=1))
        await sched._tick()
        assert sched._due == {1}
        await sched._flush_task
        assert rec.keys() == [f"daily:1:{(now + timedelta(minutes=2)).date().isoformat()}"]
        assert sched._next[sched._schedule_of[1]] - (now + timedelta(minutes=2)) == timedelta(days=1)
    finally:
        sched.shutdown()


def test_schedule_list_and_run_due_cli(coach, say, clock, capsys):
    clock.set(datetime(2026, 11, 23, 8, 1, tzinfo=UTC))
    say("subscribe here at 9am tz Europe/Berlin weekdays track ai-pm", channel="team")
    say("subscribe at 7:30 tz UTC", platform="slack", user="U1")
    subscriptions.pause(coach, 2, "channel_not_found")
    report = scheduler.list_report(coach)
    assert "console/T1 #team" in report and "09:00" in report and "weekdays" in report and "ai-pm" in report
    assert "Tue 24 Nov 09:00 CET (08:00 UTC)" in report  # Monday's 09:00 Berlin has passed at 08:00 UTC
    assert "paused: channel_not_found" in report
    coach.db.execute("UPDATE subscriptions SET paused = 0 WHERE id = 2")
    assert scheduler.run_due_cli(coach, "2026-11-24T09:00:00+01:00") == 0
    out = capsys.readouterr().out
    assert "console/T1 #team · daily:1:2026-11-24" in out and "Team drill" in out
    assert "1 sent" in out and "slack 1" in out and "stay unclaimed" in out
    assert coach.db.execute("SELECT subscription_id FROM deliveries").fetchall() == [(1,)]
    assert scheduler.run_due_cli(coach, "yesterday") == 2


async def test_a_sent_team_drill_gets_a_reveal_job_and_reload_rebuilds_it(coach, say, clock):
    # APScheduler runs on the real clock, so this test lives in the real present
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock.set(now - timedelta(minutes=10))
    due = now - timedelta(minutes=5)
    say(f"subscribe here at {due:%H:%M} tz UTC", channel="team")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    clock.set(now)
    try:
        await sched.start()  # catches up: 5 minutes late, inside grace (on a Monday the digest comes too)
        assert rec.keys()[-1] == f"daily:1:{due.date().isoformat()}"
        (reveal,) = [j for j in sched.jobs() if j.id.startswith("reveal:")]
        assert reveal.next_run_time == now + timedelta(hours=8)
        sched.shutdown()
        restarted = DailyScheduler(coach, {"console": rec})
        assert (await restarted.start()).sent == 0
        assert [j.next_run_time for j in restarted.jobs() if j.id.startswith("reveal:")] == [now + timedelta(hours=8)]
        restarted.shutdown()
    finally:
        sched.shutdown()


def test_a_rate_limit_longer_than_the_grace_window_gives_up(coach, say, clock, sleeps):
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC")
    rec = Recorder(RateLimited(60), RateLimited(4 * 3600))
    summary = run(DailyScheduler(coach, {"console": rec}, sleep=sleeps), clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))
    assert (summary.sent, summary.failed, rec.calls, sleeps.waited) == (0, 1, 2, [60])
    assert "past the grace window" in ledger(coach)[0][4]


@pytest.mark.parametrize("tz,time,days", [
    ("Europe/Berlin", "2:30am", [(2027, 10, d) for d in range(29, 32)] + [(2027, 11, d) for d in range(1, 9)]),
    ("America/New_York", "1:30am", [(2027, 11, d) for d in range(4, 15)]),
])
def test_the_whole_week_after_an_autumn_change_is_posted(coach, say, clock, capsys, tz, time, days):
    """Issue 11.1: 02:30 happens twice on the fall-back day; the repeat is ignored, and every later
    day still gets its drill (the old code compared the two 02:30s by wall clock and stopped looking)."""
    clock.set(datetime(*days[0], tzinfo=UTC) - timedelta(hours=12))
    say(f"subscribe me at {time} tz {tz} daily")
    hour, minute = (2, 30) if time == "2:30am" else (1, 30)
    for day in days:
        assert scheduler.run_due_cli(coach, local(tz, *day, hour, minute).isoformat()) == 0
    rows = ledger(coach)
    assert [(r[1], r[2]) for r in rows] == [(f"{y}-{m:02d}-{d:02d}", "sent") for y, m, d in days]
    out = capsys.readouterr().out
    assert out.count("· daily:1:") == len(days) and "skipped (missed beyond grace)" not in out.replace(
        "0 skipped (missed beyond grace)", "")


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00Z"])
def test_run_due_at_the_ends_of_time_is_a_clear_message(coach, say, capsys, when):
    say("subscribe at 9am tz UTC")
    assert scheduler.run_due_cli(coach, when) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "between" in err
    assert coach.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


class PerMessage(Recorder):
    """Posts each reply of a send as its own message, as the platform senders do; ``fail_at`` lists which
    message numbers (1-based, counting every attempt) fail with a 500 instead of being posted."""

    def __init__(self, *fail_at):
        super().__init__()
        self.fail_at = set(fail_at)
        self.messages = []  # (key, title) of every message that reached the platform
        self.tried = 0

    async def send(self, target, replies, key):
        self.calls += 1
        first = ""
        for reply in replies:
            await asyncio.sleep(0)
            self.tried += 1
            if self.tried in self.fail_at:
                raise TransientError("HTTP 500")
            self.messages.append((key, reply.title))
            first = first or f"msg-{len(self.messages)}"
        self.posts.append((target, key, replies))
        return first


def test_a_failed_second_message_is_retried_alone(coach, say, clock, sleeps):
    """Issue 11.2: a reveal is two messages; a 500 on the second must not post the first again."""
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))  # Tuesday: no digest
    say("subscribe here at 9am tz UTC", channel="team")
    rec = PerMessage(3)  # 1: the drill, 2: the reveal's answer, 3: its leaderboard -> 500
    sched = DailyScheduler(coach, {"console": rec}, sleep=sleeps)
    run(sched, clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))
    say("answer A", channel="team", user="bob")
    summary = run(sched, clock.set(datetime(2026, 11, 24, 17, tzinfo=UTC)))
    assert (summary.sent, summary.failed) == (1, 0)
    titles = [title.split(" ")[0] for _, title in rec.messages]
    assert titles == ["Team", "Answer", "Leaderboard"]  # each message once
    row = coach.db.execute("SELECT state, attempts, parts_sent, message_ref FROM deliveries "
                           "WHERE kind = 'reveal'").fetchone()
    assert row == ("sent", 3, 2, "msg-2")  # 3 tries for 2 messages; the reference is the first message


async def test_a_subscription_that_cannot_be_planned_never_starves_the_others(coach, say, clock, caplog):
    """Issue 11.4: a zone this host doesn't know (or any broken row) fails that subscription alone:
    run-due, `schedule list` and the live scheduler go on with everyone else."""
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))
    say("subscribe at 9am tz UTC", user="ann")
    say("subscribe at 9am tz UTC", user="bob")
    say("subscribe at 9am tz UTC", user="cy")
    coach.db.execute("UPDATE subscriptions SET tz = 'Mars/Olympus' WHERE user = 'ann'")
    coach.db.execute("UPDATE subscriptions SET hour = 99 WHERE user = 'cy'")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    summary = await sched.run_due(clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))
    assert rec.keys() == ["daily:2:2026-11-24"]
    assert summary.broken == 2 and "2 subscriptions could not be planned" in summary.text()
    assert "subscription 1" in caplog.text and "Mars/Olympus" in caplog.text

    clock.advance(minutes=1)
    report = scheduler.list_report(coach)
    assert "Mars/Olympus" in report and "cannot plan" in report and "Wed 25 Nov 09:00 UTC" in report
    assert "3 subscriptions" in report

    clock.set(datetime.now(UTC))
    try:
        await sched.start()
        assert set(sched._groups) == {sched._schedule_of[2]}  # the broken rows have no schedule to fire
        say("subscribe at 10am tz UTC", user="dee")  # a change still reaches the jobs
        await asyncio.sleep(0)
        assert 4 in sched._schedule_of
        await sched._sweep()
    finally:
        sched.shutdown()
    assert "I can't plan it: the time zone 'Mars/Olympus'" in say("subscriptions", user="ann")[0].text
    reply = say("subscribe me tz Europe/Berlin", user="ann")[0]  # and can mend it
    assert reply.kind == "subscription" and subscriptions.get(coach.db, 1).tz == "Europe/Berlin"


def test_the_day_after_spring_forward_is_not_skipped(coach, say, clock):
    """APScheduler 3.11's CronTrigger skips 00:30 Berlin on 30 Mar 2026 (the day after the change);
    the scheduler computes fire times itself (subscriptions.fire_times) and posts every day."""
    clock.set(datetime(2026, 3, 27, 12, tzinfo=UTC))
    say("subscribe at 0:30 tz Europe/Berlin daily")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    for day in range(28, 32):
        run(sched, clock.set(local("Europe/Berlin", 2026, 3, day, 0, 30)))
    assert rec.keys() == [f"daily:1:2026-03-{d}" for d in range(28, 32)]
    assert "Tue 31 Mar, 00:30" in subscriptions.describe(subscriptions.get(coach.db, 1),
                                                         local("Europe/Berlin", 2026, 3, 30, 1, 0))
