"""Streaks, calendars and weeks in local time (bot/progress.py): pure functions, no database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot import progress


def d(day: int, month: int = 11) -> date:
    return date(2026, month, day)


def test_streaks():
    assert progress.streaks(set(), d(23)) == (0, 0)
    assert progress.streaks({d(23)}, d(23)) == (1, 1)
    assert progress.streaks({d(21), d(22)}, d(23)) == (2, 2)  # not yet today: still alive
    assert progress.streaks({d(20), d(21)}, d(23)) == (0, 2)  # a whole day missed
    assert progress.streaks({d(1), d(2), d(3), d(4), d(22), d(23)}, d(23)) == (2, 4)
    assert progress.streaks({d(30), d(1, 12)}, d(1, 12)) == (2, 2)  # across a month end


def test_calendar_rows_are_monday_first_weeks():
    cal = progress.calendar({d(16), d(22), d(23)}, today=d(25))  # Wed 25 Nov
    rows = cal.splitlines()
    assert rows[0] == "M  T  W  T  F  S  S"
    assert rows[1:] == ["⬜" * 7, "⬜" * 7, "🟩" + "⬜" * 5 + "🟩", "🟩⬜⬜"]


def test_local_days_follow_the_zone():
    stamps = ["2026-11-23T07:00:00Z", "2026-11-23T09:00:00Z"]
    assert progress.local_days(stamps, "UTC") == {d(23)}
    assert progress.local_days(stamps, "America/Los_Angeles") == {d(22), d(23)}  # 23:00 and 01:00 local


def test_week_start_and_day_end_across_dst():
    # Berlin leaves summer time on Sun 25 Oct 2026: that day is 25 hours long
    now = datetime(2026, 10, 25, 22, 30, tzinfo=timezone.utc)  # 23:30 local (CET)
    start = progress.week_start(now, "Europe/Berlin")
    assert start.astimezone(timezone.utc) == datetime(2026, 10, 18, 22, 0, tzinfo=timezone.utc)  # Mon 00:00 CEST
    end = progress.end_of_local_day(now, "Europe/Berlin")
    assert end.astimezone(timezone.utc) == datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc)
    day_start = progress.end_of_local_day(datetime(2026, 10, 24, 12, tzinfo=timezone.utc), "Europe/Berlin")
    assert end.astimezone(timezone.utc) - day_start.astimezone(timezone.utc) == timedelta(hours=25)


def test_points():
    assert [progress.points(s) for s in (0, 24, 25, 67, 100)] == [0, 2, 3, 7, 10]  # halves up, as the SQL


def test_points_rule_is_the_same_in_sql():
    import sqlite3

    from bot.practice.store import POINTS_SQL

    db = sqlite3.connect(":memory:")
    sql = POINTS_SQL.replace("a.score", "?")
    assert [db.execute(f"SELECT {sql}", [s]).fetchone()[0] for s in range(101)] == [
        progress.points(s) for s in range(101)]


def test_current_streak_read_newest_first_matches_streaks(tmp_path):
    import random

    from bot import storage
    from bot.coach import migrations
    from bot.review import stamp

    db = storage.open_db(tmp_path / "s.db", migrations())
    rng = random.Random(7)
    now = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)
    for user in range(30):
        offsets = sorted({rng.randrange(0, 12 * 24) for _ in range(rng.randrange(0, 25))})
        for h in offsets:
            db.execute("INSERT INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, "
                       "kind, score, correct, rating, answered_at) VALUES ('c', 'T', 'x', ?, 'd', ?, 't', 'answer', "
                       "0, 0, 1, ?)", [f"u{user}", h, stamp(now - timedelta(hours=h))])
        for tz in ("UTC", "America/Los_Angeles", "Asia/Kolkata"):
            stamps = [stamp(now - timedelta(hours=h)) for h in offsets]
            today = now.astimezone(__import__("zoneinfo").ZoneInfo(tz)).date()
            expected = progress.streaks(progress.local_days(stamps, tz), today)[0]
            assert progress.current_streak(db, "c", "T", f"u{user}", now, tz) == expected, (user, tz)
