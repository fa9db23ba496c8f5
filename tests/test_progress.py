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
