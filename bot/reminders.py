"""The evening reminder: a DM at the person's chosen local time when they haven't practised that
day and a streak is at stake — sent at most once a day through the scheduler's deliveries ledger.

A reminder is a person's, not a subscription's, so its ledger rows name (platform, workspace,
user) with no subscription; a unique index on those plus (kind, local_date) makes the claim
the same INSERT OR IGNORE as a daily drill's, so two schedulers, a restart or a clock jump send
it once. The scheduler's one-minute sweep calls ``run_due``: reminders go out within a minute
of their time. A reminder left ``pending`` by a crash is not re-sent (the scheduler's recovery
marks it failed): a missing nudge is better than a second one.

Checked at the moment of sending, so someone who practised or turned reminders off in the
meantime gets nothing; the day's row records why (``skipped``: practised today, no streak).
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import habit, progress, users
from .delivery import PermanentError, RateLimited, Target
from .messages import Button, Reply
from .review import stamp
from .storage import Migrations, transaction

log = logging.getLogger(__name__)

MIGRATIONS = Migrations("reminders")
KIND = "reminder"
LEASE = timedelta(minutes=5)


@MIGRATIONS
def m001_people_in_the_ledger(db):
    """deliveries: a row may belong to a person instead of a subscription (subscription_id may be
    NULL, and the kind CHECK accepts reminders)."""
    db.relax_column("deliveries", "subscription_id", check_adds=("kind", KIND))
    for column in ("platform", "workspace", "user"):  # a person's row: export-me and forget-me find it
        db.execute(f"ALTER TABLE deliveries ADD COLUMN {column} TEXT")
    db.execute("CREATE UNIQUE INDEX deliveries_person_once ON deliveries (platform, workspace, user, kind, "
               "local_date) WHERE subscription_id IS NULL")


def _due_today(now: datetime, tz: str, hour: int, minute: int) -> tuple[str, datetime]:
    """(local date, today's reminder time in UTC terms) for the person's zone."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date()
    return day.isoformat(), datetime.combine(day, time(hour, minute), tzinfo=zone)


def plan(coach, at: datetime, grace: timedelta) -> list[tuple]:
    """[(platform, workspace, user, local_date, due, reason)]: reminders whose time today has come
    (within grace, after the person turned them on) and that have no ledger row yet. ``reason`` is
    why nothing should be sent ('' to send). One query for everyone (the sweep runs every minute);
    only people whose reminder is due and unclaimed cost more."""
    since = (at - timedelta(days=2)).date().isoformat()  # local dates near now, in any zone
    rows = coach.db.execute(
        "SELECT h.platform, h.workspace, h.user, h.remind_hour, h.remind_minute, h.remind_since, u.tz, w.default_tz, "
        "(SELECT group_concat(d.local_date) FROM deliveries d WHERE d.subscription_id IS NULL AND "
        "d.platform = h.platform AND d.workspace = h.workspace AND d.user = h.user AND d.kind = ? "
        "AND d.local_date >= ?) FROM habit_settings h LEFT JOIN users u ON u.platform = h.platform AND "
        "u.workspace = h.workspace AND u.user = h.user LEFT JOIN workspaces w ON w.platform = h.platform AND "
        "w.workspace = h.workspace WHERE h.remind = 1", [KIND, since]).fetchall()
    places: dict[str | None, bool] = {}

    def place(tz):
        if tz not in places:
            places[tz] = users.is_place(tz)
        return places[tz]

    out = []
    times: dict[tuple, tuple[str, datetime]] = {}  # people share a few zones and times
    for platform, workspace, user, hour, minute, since_, user_tz, ws_tz, claimed in rows:
        tz = user_tz if place(user_tz) else ws_tz if place(ws_tz) else coach.config.default_tz
        key = (tz, hour if hour is not None else habit.REMIND_AT[0], minute if minute is not None else habit.REMIND_AT[1])
        try:
            if key not in times:
                times[key] = _due_today(at, *key)
            local_date, due = times[key]
        except Exception:  # one bad row must not starve the rest
            log.exception("reminder for %s/%s/%s cannot be planned", platform, workspace, user)
            continue
        if due > at or at - due > grace or (since_ and stamp(due) < since_):
            continue
        if claimed and local_date in claimed.split(","):
            continue
        out.append((platform, workspace, user, local_date, due, _reason(coach, platform, workspace, user, at, tz)))
    return out


def _reason(coach, platform: str, workspace: str, user: str, at: datetime, tz: str) -> str:
    # Two indexed reads, not the whole stats card: the first sweep of an evening asks this of everyone.
    start, _ = habit.local_day_bounds(at, tz)
    if coach.db.execute("SELECT 1 FROM practice_attempts WHERE platform = ? AND workspace = ? AND user = ? "
                        "AND kind = 'answer' AND answered_at >= ? LIMIT 1",
                        [platform, workspace, user, stamp(start)]).fetchone():
        return "practised today"
    if not progress.current_streak(coach.db, platform, workspace, user, at, tz):
        return "no streak at stake"
    return ""


def message(coach, platform: str, workspace: str, user: str, at: datetime, tz: str) -> Reply:
    s = progress.user_stats(coach.db, platform, workspace, user, at, tz)
    goal = habit.settings(coach.db, platform, workspace, user).goal
    cover = (" If today slips, a banked streak freeze covers it." if s.banked else
             " You have no streak freeze banked, so a missed day ends it.")
    return Reply(title="Your streak is at stake",
                 text=f"🔥 Your {s.current}-day streak needs a drill today (your goal: {goal})." + cover,
                 buttons=(Button("Drill", "drill:next", style="primary"), Button("Stop reminders", "habit:remind:off")),
                 kind="info")


def claim(coach, at: datetime, grace: timedelta, owner: str, platforms) -> tuple[list[tuple], dict[str, int]]:
    """Synchronous (a worker thread may run it): plan, claim with INSERT OR IGNORE in one BEGIN
    IMMEDIATE, and compose. ([(delivery id, Target, Reply, key)] this scheduler won, counts)."""
    counts = {"sent": 0, "skipped": 0, "failed": 0, "taken": 0}
    wanted = [p for p in plan(coach, at, grace) if p[0] in platforms]
    if not wanted:
        return [], counts
    now = stamp(at)
    won = []
    with transaction(coach.db):
        for platform, workspace, user, local_date, due, reason in wanted:
            row = coach.db.execute(
                "INSERT OR IGNORE INTO deliveries (subscription_id, platform, workspace, user, kind, local_date, "
                "due_at, state, claimed_by, lease_until, error, created_at, updated_at) "
                "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [platform, workspace, user, KIND, local_date, stamp(due), "skipped" if reason else "pending",
                 None if reason else owner, None if reason else stamp(at + LEASE), reason or None, now,
                 now]).fetchone()
            if row is None:
                counts["taken"] += 1
            elif reason:
                counts["skipped"] += 1
            else:
                won.append((row[0], platform, workspace, user))
    out = []
    for delivery_id, platform, workspace, user in won:
        tz = users.user_tz(coach, platform, workspace, user) or users.workspace_tz(coach, platform, workspace)
        out.append((delivery_id, Target(platform, workspace, user, is_dm=True),
                    message(coach, platform, workspace, user, at, tz),
                    f"{KIND}:{platform}:{workspace}:{user}:{delivery_id}"))
    return out, counts


def record(coach, delivery_id: int, state: str, error: str | None) -> None:
    now = stamp(coach.clock())
    coach.db.execute(
        "UPDATE deliveries SET state = ?, error = ?, attempts = attempts + 1, lease_until = NULL, "
        "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, updated_at = ? WHERE id = ? AND state = 'pending'",
        [state, error, state, now, now, delivery_id])


async def run_due(sched, at: datetime) -> dict[str, int]:
    """Claim and send the reminders due at ``at`` (called by the scheduler's fan-out), as many at once
    as the scheduler sends posts. Counts by outcome."""
    won, counts = claim(sched.coach, at, sched.grace, sched.owner, set(sched.senders))

    async def one(delivery_id, target, reply, key):
        async with sched._sem:
            state, error = await _send(sched, target, reply, key)
        record(sched.coach, delivery_id, state, error)
        counts[state] += 1

    import asyncio  # here, not at the top: `coach ask` loads this module and never sends

    await asyncio.gather(*(one(*item) for item in won))
    return counts


async def _send(sched, target: Target, reply: Reply, key: str) -> tuple[str, str | None]:
    for attempt in range(sched.tries):
        try:
            await sched.senders[target.platform].send(target, [reply], key)
            return "sent", None
        except RateLimited as exc:
            if exc.retry_after > sched.grace.total_seconds():
                return "failed", "rate limited past the grace window"
            await sched._sleep(exc.retry_after)
        except PermanentError as exc:
            return "failed", f"permanent: {exc}"
        except Exception as exc:  # transient: back off and try again
            log.warning("reminder %s attempt %d failed: %s", key, attempt + 1, exc)
            await sched._sleep(sched.backoff * 2 ** attempt)
    return "failed", f"not sent after {sched.tries} tries"
