"""Streaks, stats and leaderboards, computed from the attempts ledger.

Days are the user's local days (their time zone, else the workspace's, else UTC), taken
at query time from the UTC answer times. A leaderboard week starts Monday 00:00 in the
channel's time zone (its subscription's, else the workspace's), so one channel shares one week.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .drills import PASS_SCORE, TRACK_NAMES
from .review import parse_stamp, stamp

PRACTICED, MISSED, FROZEN = "🟩", "⬜", "🧊"


def points(score: int) -> int:
    """Leaderboard points for one answer: a correct MCQ is 10, an open answer its score / 10, halves up
    (the same rule as the board's SQL, practice.store.POINTS_SQL)."""
    return (score + 5) // 10


def local_days(stamps, tz: str) -> set[date]:
    zone = ZoneInfo(tz)
    return {parse_stamp(s).astimezone(zone).date() for s in stamps}


FREEZE_EVERY = 7  # days practised in a row that earn a streak freeze
MAX_FREEZES = 2  # banked at most


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    frozen: frozenset  # missed days a freeze covered
    banked: int  # freezes left


def walk(days: set[date], today: date) -> Streak:
    """Streaks that forgive: every FREEZE_EVERY days practised in a row bank a freeze (at most
    MAX_FREEZES); a whole missed day with a freeze banked uses it and the streak survives (it
    doesn't grow on that day); a missed day without one ends the streak and its freezes. Computed
    from the practice days alone, so nothing can drift; what came before a gap longer than
    MAX_FREEZES days can't matter (``current_streak`` relies on that)."""
    if not days:
        return Streak(0, 0, frozenset(), 0)
    day, run, longest, banked, in_row, frozen = min(days), 0, 0, 0, 0, set()
    while day <= today:
        if day in days:
            run, in_row = run + 1, in_row + 1
            if in_row % FREEZE_EVERY == 0:
                banked = min(MAX_FREEZES, banked + 1)
        elif day == today:
            pass  # today isn't over: practising yesterday but not yet today still counts
        elif run and banked:
            banked, in_row = banked - 1, 0
            frozen.add(day)
        else:  # the streak ends, and with it the freezes it earned
            run = in_row = banked = 0
        longest = max(longest, run)
        day += timedelta(days=1)
    return Streak(run, longest, frozenset(frozen), banked)


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """(current, longest). The current streak survives until a whole local day passes
    without practice (and no freeze covers it): practising yesterday but not yet today still counts."""
    s = walk(days, today)
    return s.current, s.longest


def calendar(days: set[date], today: date, weeks: int = 4, frozen=frozenset()) -> str:
    """Monday-first rows, oldest week first; days after today are left out; 🧊 a day a freeze covered."""
    monday = today - timedelta(days=today.weekday())
    rows = ["M  T  W  T  F  S  S"]
    for w in range(weeks - 1, -1, -1):
        start = monday - timedelta(weeks=w)
        cells = [PRACTICED if start + timedelta(days=i) in days else FROZEN if start + timedelta(days=i) in frozen
                 else MISSED for i in range(7) if start + timedelta(days=i) <= today]
        rows.append("".join(cells))
    return "\n".join(rows)


def week_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=ZoneInfo(tz))


def channel_tz(coach, platform: str, workspace: str, channel: str) -> str:
    """A channel's week runs in its subscription's zone (what `subscribe here tz …` set), else the workspace's."""
    from . import subscriptions, users  # they build on this module

    sub = subscriptions.find(coach.db, platform, workspace, False, channel)
    if sub is not None and sub.active and users.is_place(sub.tz):
        return sub.tz
    return users.workspace_tz(coach, platform, workspace)


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
    frozen: frozenset = frozenset()  # missed days a streak freeze covered
    banked: int = 0  # streak freezes left
    today_count: int = 0  # answers today (the daily goal counts these)


def user_stats(db, platform: str, workspace: str, user: str, now: datetime, tz: str) -> Stats:
    rows = db.execute(
        "SELECT track, score, answered_at FROM practice_attempts WHERE platform = ? AND workspace = ? "
        "AND user = ? AND kind = 'answer'", [platform, workspace, user]).fetchall()
    by_track: dict[str, list[int]] = {}
    for track, score, _ in rows:
        by_track.setdefault(track, []).append(score)
    days = local_days((r[2] for r in rows), tz)
    today = now.astimezone(ZoneInfo(tz)).date()
    streak = walk(days, today)
    zone = ZoneInfo(tz)
    today_count = sum(1 for r in rows if parse_stamp(r[2]).astimezone(zone).date() == today)
    summary = {t: (len(s), sum(1 for x in s if x >= PASS_SCORE), round(sum(s) / len(s))) for t, s in by_track.items()}
    return Stats(len(rows), summary, streak.current, streak.longest, today in days,
                 calendar(days, today, frozen=streak.frozen), streak.frozen, streak.banked, today_count)


def current_streak(db, platform: str, workspace: str, user: str, now: datetime, tz: str) -> int:
    """The same number as ``streaks(...)[0]``, reading answers newest first and stopping at the first gap
    no freeze could cover (more than MAX_FREEZES days: nothing before it counts, see ``walk``); an index on
    (platform, workspace, user, kind, answered_at) serves it, so a long history costs nothing."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    days: set[date] = set()
    last = today  # today isn't over: not a missed day
    for (answered_at,) in db.execute(
            "SELECT answered_at FROM practice_attempts WHERE platform = ? AND workspace = ? AND user = ? "
            "AND kind = 'answer' ORDER BY answered_at DESC", [platform, workspace, user]):
        day = min(parse_stamp(answered_at).astimezone(zone).date(), today)
        if (last - day).days - 1 > MAX_FREEZES:
            break
        days.add(day)
        last = day
    return walk(days, today).current


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
