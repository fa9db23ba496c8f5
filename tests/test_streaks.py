"""Streaks that forgive, the daily goal, and the evening reminder through the deliveries ledger
(the real Coach, a real SQLite file, the real scheduler; a recorder stands in for the platform)."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

from bot import progress
from bot.delivery import TransientError
from bot.scheduler import DailyScheduler
from practice_fixtures import coach  # noqa: F401
from test_scheduler import Recorder

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)

UTC = timezone.utc


def d(day, month=11):
    return date(2026, month, day)


def answer(say, user="alice"):
    """Serve a drill and answer it (right or wrong: any answer is practice)."""
    [card] = say("drill", user=user)
    mcq = any(b.label == "A" for b in card.buttons)
    [result, *_] = say("answer A" if mcq else "answer I would pick a metric and a guardrail", user=user)
    assert result.kind == "result", result.text


def practise_days(say, clock, n, user="alice"):
    """Answer one drill a day for n days, at 09:00 UTC, ending on the clock's day."""
    start = clock.now
    for i in range(n):
        clock.set(start + timedelta(days=i))
        answer(say, user)


# ------------------------------------------------------------------ freezes (pure)

def test_seven_days_in_a_row_earn_a_freeze_that_covers_a_missed_day():
    week = {d(i) for i in range(1, 8)}  # 1..7 Nov
    s = progress.walk(week, d(9))  # 8 Nov missed, 9 Nov not over yet
    assert (s.current, s.banked, s.frozen) == (7, 0, frozenset({d(8)}))
    s = progress.walk(week | {d(9)}, d(9))
    assert s.current == 8
    assert progress.walk(week, d(10)).current == 0  # a second missed day with no freeze left ends it


def test_freezes_bank_at_most_two_and_short_runs_earn_none():
    s = progress.walk({d(i) for i in range(1, 29)}, d(28))
    assert s.banked == progress.MAX_FREEZES
    assert progress.walk({d(1), d(2), d(3)}, d(5)) == progress.Streak(0, 3, frozenset(), 0)


def test_calendar_marks_frozen_days():
    s = progress.walk({d(i) for i in range(2, 9)} | {d(10)}, d(10))
    assert progress.FROZEN in progress.calendar({d(i) for i in range(2, 9)} | {d(10)}, d(10), frozen=s.frozen)


# ------------------------------------------------------------------ stats

def test_stats_say_when_a_freeze_was_used_and_the_goal(coach, say, clock):
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))  # a Monday
    practise_days(say, clock, 7)
    clock.advance(days=2)  # 9 Nov missed; 10 Nov today
    [stats] = say("stats")
    assert "7-day streak" in stats.text and "A streak freeze covered Mon 09 Nov" in stats.text
    assert "Freezes banked: 0/2" in stats.text
    say("goal 2")
    say("drill")
    say("reveal")
    fields = dict(say("stats")[0].fields)
    assert fields["Today's goal"].startswith("🎯 0/2")  # a reveal isn't an answer
    answer(say)
    assert dict(say("stats")[0].fields)["Today's goal"].startswith("🎯 1/2")


# ------------------------------------------------------------------ reminders

def run(sched, at):
    return asyncio.run(sched.run_due(at))


def reminders(coach):
    return coach.db.execute("SELECT user, local_date, state, error FROM deliveries WHERE kind = 'reminder' "
                            "ORDER BY id").fetchall()


def test_reminder_once_when_the_streak_is_at_stake(coach, say, clock):
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    say("timezone Europe/Berlin")
    say("remind at 8pm")
    practise_days(say, clock, 2)  # 2 and 3 Nov
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    run(sched, datetime(2026, 11, 4, 18, 59, tzinfo=UTC))  # 19:59 Berlin: not yet
    assert rec.posts == []
    at = datetime(2026, 11, 4, 19, 0, tzinfo=UTC)  # 20:00 Berlin
    run(sched, at)
    run(sched, at + timedelta(minutes=1))
    run(DailyScheduler(coach, {"console": rec}), at + timedelta(minutes=2))  # a second scheduler
    assert len(rec.posts) == 1
    target, _, [reply] = rec.posts[0]
    assert target.is_dm and target.channel == "alice"
    assert "2-day streak" in reply.text and [b.label for b in reply.buttons] == ["Drill", "Stop reminders"]
    assert reminders(coach) == [("alice", "2026-11-04", "sent", None)]
    exported = say("export-me")[0].text
    assert '"kind": "reminder"' in exported and '"remind": 1' in exported
    say("forget-me confirm")
    assert reminders(coach) == []


def test_no_reminder_after_practice_or_when_off_or_without_a_streak(coach, say, clock):
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    say("remind at 8pm")
    say("remind at 8pm", user="bob")
    say("remind at 8pm", user="carol")
    practise_days(say, clock, 2)  # alice: 2, 3 Nov, and today too
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    practise_days(say, clock, 2, user="bob")
    say("remind off", user="bob")
    clock.set(datetime(2026, 11, 3, 10, tzinfo=UTC))
    rec = Recorder()
    run(DailyScheduler(coach, {"console": rec}), datetime(2026, 11, 3, 20, 0, tzinfo=UTC))
    assert rec.posts == []
    rows = {r[0]: (r[2], r[3]) for r in reminders(coach)}
    assert rows == {"alice": ("skipped", "practised today"), "carol": ("skipped", "no streak at stake")}


def test_turning_the_reminder_on_late_doesnt_send_today(coach, say, clock):
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    practise_days(say, clock, 2)
    clock.set(datetime(2026, 11, 4, 21, 0, tzinfo=UTC))
    say("remind at 8pm")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec})
    run(sched, clock.now)
    assert rec.posts == []
    run(sched, datetime(2026, 11, 5, 20, 0, tzinfo=UTC))  # tomorrow evening: the streak (2, 3 Nov) is gone
    assert rec.posts == [] and reminders(coach)[-1][2:] == ("skipped", "no streak at stake")


def test_reminder_retries_a_transient_failure_then_records_it(coach, say, clock):
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    say("remind at 8pm")
    practise_days(say, clock, 1)
    rec = Recorder(TransientError("boom"), None)

    async def no_wait(seconds):
        return None

    run(DailyScheduler(coach, {"console": rec}, sleep=no_wait), datetime(2026, 11, 3, 20, 0, tzinfo=UTC))
    assert rec.calls == 2 and len(rec.posts) == 1 and reminders(coach)[0][2] == "sent"


def test_stop_button_and_bad_time_change_nothing(coach, say, clock):
    say("remind at 7pm")
    assert say("remind at 25:00")[0].kind == "error"
    assert "19:00" in say("remind")[0].text
    assert "off" in say(action="habit:remind:off")[0].text
    assert "**off**" in say("remind")[0].text


def test_ledger_rebuild_keeps_existing_deliveries_and_their_uniqueness(tmp_path):
    from bot import reminders, storage
    from bot.coach import migrations

    before = tuple(m for m in migrations() if m is not reminders.MIGRATIONS)
    db = storage.open_db(tmp_path / "old.db", before)
    db.execute("INSERT INTO subscriptions (platform, workspace, channel, is_dm, subscriber, hour, minute, tz, days, "
               "since, created_at, updated_at) VALUES ('console', 'T1', 'team', 0, 'alice', 9, 0, 'UTC', 'mon', "
               "'2026-11-01T00:00:00+00:00', 'x', 'x')")
    db.execute("INSERT INTO deliveries (subscription_id, kind, local_date, due_at, state, created_at, updated_at) "
               "VALUES (1, 'daily', '2026-11-02', 'x', 'sent', 'x', 'x')")
    db.conn.close()
    db = storage.open_db(tmp_path / "old.db", migrations())
    assert db.execute("SELECT subscription_id, kind, state FROM deliveries").fetchall() == [(1, "daily", "sent")]
    again = db.execute("INSERT OR IGNORE INTO deliveries (subscription_id, kind, local_date, due_at, state, "
                       "created_at, updated_at) VALUES (1, 'daily', '2026-11-02', 'y', 'pending', 'y', 'y')")
    assert again.rowcount == 0
    person = ("INSERT OR IGNORE INTO deliveries (platform, workspace, user, kind, local_date, due_at, state, "
              "created_at, updated_at) VALUES ('console', 'T1', 'alice', 'reminder', '2026-11-02', 'z', 'pending', "
              "'z', 'z')")
    assert db.execute(person).rowcount == 1 and db.execute(person).rowcount == 0
    db.execute("DELETE FROM subscriptions")  # forget-me of a DM subscription still takes its ledger rows
    assert db.execute("SELECT kind FROM deliveries").fetchall() == [("reminder",)]


# ------------------------------------------------------------------ a channel's week

def test_a_channels_week_runs_in_its_subscriptions_zone(coach, say, clock):
    from bot import practice

    clock.set(datetime(2026, 11, 22, 23, 15, tzinfo=UTC))  # Mon 23 Nov 00:15 in Berlin
    say("subscribe here tz Europe/Berlin", channel="team")
    practice.daily_drill(coach, "console", "T1", "team", post_key="k1")
    clock.set(datetime(2026, 11, 29, 23, 30, tzinfo=UTC))  # Sunday 23:30 UTC = Monday 00:30 in Berlin
    [board] = say("leaderboard", channel="team")
    assert "Monday 00:00 (Europe/Berlin)" in board.text
    [digest] = practice.weekly_digest(coach, "console", "T1", "team")
    assert "(23 Nov – 29 Nov)" in digest.title  # Berlin's new week has begun; UTC's hasn't
    [elsewhere] = say("leaderboard", channel="other")  # no subscription: the workspace's zone
    assert "Monday 00:00 (UTC)" in elsewhere.text


def test_current_streak_reads_only_back_to_a_gap_no_freeze_covers(coach):
    """progress.current_streak stops early; it must agree with walking the whole history."""
    import random

    from bot.review import stamp

    rng = random.Random(7)
    today = d(30)
    for trial in range(40):
        days = {today - timedelta(days=i) for i in range(60) if rng.random() < 0.8}
        coach.db.execute("DELETE FROM practice_attempts")
        for i, day in enumerate(sorted(days)):
            coach.db.execute(
                "INSERT INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, kind, "
                "score, correct, rating, answered_at) VALUES ('console', 'T1', 'c', 'u', 'x', ?, 'ai-pm', 'answer', "
                "100, 1, 3, ?)", [i, stamp(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))])
        now = datetime(2026, 11, 30, 13, tzinfo=UTC)
        assert progress.current_streak(coach.db, "console", "T1", "u", now, "UTC") == \
            progress.walk(days, today).current, trial
