"""Streaks, stats and leaderboards, computed from the attempts ledger.

Days are the user's local days (their time zone, else the workspace's, else UTC), taken
at query time from the UTC answer times. A leaderboard week starts Monday 00:00 in the
workspace's time zone, so one channel shares one week.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .drills import PASS_SCORE, TRACK_NAMES
from .review import parse_stamp, stamp

PRACTICED, MISSED = "🟩", "⬜"


def points(score: int) -> int:
    """Leaderboard points for one answer: a correct MCQ is 10, an open answer its score / 10, halves up
    (the same rule as the board's SQL, practice.store.POINTS_SQL)."""
    return (score + 5) // 10


def local_days(stamps, tz: str) -> set[date]:
    zone = ZoneInfo(tz)
    return {parse_stamp(s).astimezone(zone).date() for s in stamps}


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """(current, longest). The current streak survives until a whole local day passes
    without practice: practising yesterday but not yet today still counts."""
    longest = run = 0
    prev = None
    for day in sorted(days):
        run = run + 1 if prev is not None and day - prev == timedelta(days=1) else 1
        longest = max(longest, run)
        prev = day
    start = today if today in days else today - timedelta(days=1)
    current = 0
    while start - timedelta(days=current) in days:
        current += 1
    return current, longest


def calendar(days: set[date], today: date, weeks: int = 4) -> str:
    """Monday-first rows, oldest week first; days after today are left out."""
    monday = today - timedelta(days=today.weekday())
    rows = ["M  T  W  T  F  S  S"]
    for w in range(weeks - 1, -1, -1):
        start = monday - timedelta(weeks=w)
        cells = [PRACTICED if start + timedelta(days=i) in days else MISSED
                 for i in range(7) if start + timedelta(days=i) <= today]
        rows.append("".join(cells))
    return "\n".join(rows)


def week_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=ZoneInfo(tz))


def end_of_local_day(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))


# ---------------------------------------------------------------- queries

@dataclass
class Stats:
    done: int
    by_track: dict[str, tuple[int, int, int]]  # track -> (answered, passed, average score)
    current: int
    longest: int
    today_done: bool
    calendar: str


def user_stats(db, platform: str, workspace: str, user: str, now: datetime, tz: str) -> Stats:
    rows = db.execute(
        "SELECT track, score, answered_at FROM practice_attempts WHERE platform = ? AND workspace = ? "
        "AND user = ? AND kind = 'answer'", [platform, workspace, user]).fetchall()
    by_track: dict[str, list[int]] = {}
    for track, score, _ in rows:
        by_track.setdefault(track, []).append(score)
    days = local_days((r[2] for r in rows), tz)
    today = now.astimezone(ZoneInfo(tz)).date()
    current, longest = streaks(days, today)
    summary = {t: (len(s), sum(1 for x in s if x >= PASS_SCORE), round(sum(s) / len(s))) for t, s in by_track.items()}
    return Stats(len(rows), summary, current, longest, today in days, calendar(days, today))


def current_streak(db, platform: str, workspace: str, user: str, now: datetime, tz: str) -> int:
    """The same number as ``streaks(...)[0]``, reading answers newest first and stopping at the first gap
    (an index on (platform, workspace, user, kind, answered_at) serves it), so a long history costs nothing."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    current, expect = 0, None
    for (answered_at,) in db.execute(
            "SELECT answered_at FROM practice_attempts WHERE platform = ? AND workspace = ? AND user = ? "
            "AND kind = 'answer' ORDER BY answered_at DESC", [platform, workspace, user]):
        day = min(parse_stamp(answered_at).astimezone(zone).date(), today)
        if expect is None:
            if day < today - timedelta(days=1):
                return 0
            current, expect = 1, day
        elif day == expect - timedelta(days=1):
            current, expect = current + 1, day
        elif day != expect:
            break
    return current


def board(db, platform: str, workspace: str, channel: str, since: datetime | None = None,
          until: datetime | None = None, limit: int = 10) -> list[tuple[str, int, int]]:
    """[(user, points, drills)] best first: the channel's revealed team drills, each drill once per person
    (the tables practice.store keeps). Without a time range: all time, from the kept totals."""
    if since is None and until is None:
        return db.execute(
            "SELECT user, points, drills FROM practice_totals WHERE platform = ? AND workspace = ? AND channel = ? "
            "ORDER BY points DESC, drills DESC, user LIMIT ?", [platform, workspace, channel, limit]).fetchall()
    sql = ("SELECT user, SUM(points) AS pts, COUNT(*) AS n FROM practice_board WHERE platform = ? AND workspace = ? "
           "AND channel = ?")
    args: list = [platform, workspace, channel]
    if since is not None:
        sql += " AND answered_at >= ?"
        args.append(stamp(since))
    if until is not None:
        sql += " AND answered_at < ?"
        args.append(stamp(until))
    return db.execute(sql + " GROUP BY user ORDER BY pts DESC, n DESC, user LIMIT ?", args + [limit]).fetchall()


def track_label(track: str) -> str:
    return TRACK_NAMES.get(track, track)
