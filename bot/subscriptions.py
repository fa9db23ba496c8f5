"""Daily drill subscriptions: parse ``subscribe``, store one subscription per target.

A target is a channel (``here``: a team drill everyone answers) or a user's DM (``me``).
Rows are never deleted by ``unsubscribe``, only deactivated, so the deliveries ledger
(bot/scheduler.py), keyed on the subscription id, still remembers that today's drill went
out if someone unsubscribes and subscribes again the same day.

The scheduler learns about changes through ``LISTENERS`` (callables taking the coach), so
this module never imports APScheduler; it only borrows its CronTrigger, lazily, to show
the next run, so that what we tell people and what the scheduler does cannot disagree.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from . import drills, users
from .commands import Command, row_id
from .content import TRACKS
from .drills import TRACK_NAMES
from .messages import Button, Reply, channel_ref, error, info, user_ref
from .review import parse_stamp, stamp
from .storage import Migrations, transaction

log = logging.getLogger(__name__)

MIGRATIONS = Migrations("subscriptions")

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIME = (9, 0)
USAGE = "`subscribe [here|me] [at 9am] [tz Europe/Berlin] [daily|weekdays|mon,wed,fri] [track ai-pm]`"

# Called with the coach after every change, e.g. the running scheduler's reload.
LISTENERS: list[Callable] = []


@MIGRATIONS
def m001_subscriptions(db):
    # One row per target: a channel (is_dm 0, user '') or a user's DM (is_dm 1, channel and
    # user = that user's id). ``user`` is the owner, so forget-me removes a person's DM
    # subscription but not the team channel one they happened to set up; ``subscriber`` is
    # who set it up, told when posting fails for good. ``since`` is when the current schedule
    # took effect: occurrences before it are never caught up.
    db.execute(
        "CREATE TABLE subscriptions (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, "
        "channel TEXT NOT NULL, is_dm INTEGER NOT NULL, user TEXT NOT NULL DEFAULT '', subscriber TEXT NOT NULL, "
        "hour INTEGER NOT NULL, minute INTEGER NOT NULL, tz TEXT NOT NULL, days TEXT NOT NULL, track TEXT, "
        "active INTEGER NOT NULL DEFAULT 1, paused INTEGER NOT NULL DEFAULT 0, paused_reason TEXT, "
        "since TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "UNIQUE (platform, workspace, is_dm, channel))")
    db.execute("CREATE INDEX subscriptions_active ON subscriptions (active, paused)")


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    workspace: str
    channel: str
    is_dm: bool
    user: str
    subscriber: str
    hour: int
    minute: int
    tz: str
    days: tuple[str, ...]
    track: str | None
    active: bool
    paused: bool
    paused_reason: str | None
    since: datetime

    @property
    def time_text(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    @property
    def days_text(self) -> str:
        return days_text(self.days)

    @property
    def track_text(self) -> str:
        return TRACK_NAMES.get(self.track, self.track) if self.track else "all tracks"

    @property
    def where(self) -> str:
        return f"DM to {user_ref(self.channel)}" if self.is_dm else channel_ref(self.channel)

    def cron_days(self) -> str:
        """The trigger's day_of_week: the chosen days, plus Monday for a channel's weekly digest."""
        return cron_days(self.days, self.is_dm)

    @property
    def schedule(self) -> tuple:
        """What its firing depends on; subscriptions with the same schedule fire (and are planned) together."""
        return (self.platform, self.hour, self.minute, self.tz, self.cron_days())

    def trigger(self):
        return trigger(self.schedule)

    def next_run(self, after: datetime) -> datetime | None:
        """The next time this subscription posts (a drill or, for a channel, the Monday digest), from ``after`` on."""
        nxt = next(fire_times(self.schedule, after - timedelta(microseconds=1), None), None)
        return nxt.astimezone(ZoneInfo(self.tz)) if nxt else None


@functools.lru_cache(maxsize=512)
def cron_days(days, is_dm: bool) -> str:
    days = set(days) if is_dm else set(days) | {"mon"}
    return ",".join(d for d in DAYS if d in days)


@functools.lru_cache(maxsize=None)
def _zone(tz: str) -> ZoneInfo:
    # ZoneInfo caches only weakly: 13,000 schedules over 20 zones re-read the zone files otherwise
    return ZoneInfo(tz)


@functools.lru_cache(maxsize=256)
def _weekdays(days: str) -> frozenset[int]:
    return frozenset(DAYS.index(d) for d in days.split(","))


def fire_times(schedule: tuple, after: datetime, until: datetime | None):
    """A schedule's fire times in (after, until] (open-ended if None), ascending, in UTC — what its
    CronTrigger should yield, computed directly: ~100× faster (the scheduler's start computes one for
    every schedule), and right the day after spring-forward, where APScheduler 3.11's CronTrigger
    skips a 00:30 drill (Berlin, 30 Mar 2026).

    A local time that doesn't exist on the spring-forward day fires at the instant it would have
    been under the old offset (fold=0: 02:30 CET = 03:30 CEST); one that happens twice on the
    fall-back day fires twice, and the ledger posts the first — as CronTrigger does.
    """
    _, hour, minute, tz, days = schedule
    zone = _zone(tz)
    allowed = _weekdays(days)
    after = after.astimezone(timezone.utc)
    day = after.astimezone(zone).date() - timedelta(days=1)
    end = until.astimezone(timezone.utc) if until is not None else None
    for _ in range(400):
        if day.weekday() in allowed:
            first = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            times = [first.astimezone(timezone.utc)]
            if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == first.replace(tzinfo=None):
                second = first.replace(fold=1).astimezone(timezone.utc)  # the repeat of an autumn hour
                if second != times[0]:
                    times.append(second)
            for t in times:
                if end is not None and t > end:
                    return
                if t > after:
                    yield t
        day += timedelta(days=1)


def trigger(schedule: tuple):
    """The CronTrigger of a ``Subscription.schedule``."""
    from apscheduler.triggers.cron import CronTrigger

    _, hour, minute, tz, days = schedule
    return CronTrigger(day_of_week=days, hour=hour, minute=minute, timezone=ZoneInfo(tz))


_COLS = ("id, platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, days, track, active, "
         "paused, paused_reason, since")


def _row(row) -> Subscription | None:
    if row is None:
        return None
    # positional, in _COLS' order (the fields' order): a firing minute builds thousands of these
    (id_, platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, days, track, active, paused,
     paused_reason, since) = row
    return Subscription(id_, platform, workspace, channel, bool(is_dm), user, subscriber, hour, minute, tz,
                        tuple(days.split(",")), track, bool(active), bool(paused), paused_reason,
                        datetime.fromisoformat(since))


def get(db, sub_id: int) -> Subscription | None:
    return _row(db.execute(f"SELECT {_COLS} FROM subscriptions WHERE id = ?", [sub_id]).fetchone())


def find(db, platform: str, workspace: str, is_dm: bool, channel: str) -> Subscription | None:
    return _row(db.execute(
        f"SELECT {_COLS} FROM subscriptions WHERE platform = ? AND workspace = ? AND is_dm = ? AND channel = ?",
        [platform, workspace, int(is_dm), channel]).fetchone())


def active(db) -> list[Subscription]:
    """Every subscription that should post (active and not paused), oldest first."""
    return [_row(r) for r in db.execute(
        f"SELECT {_COLS} FROM subscriptions WHERE active = 1 AND paused = 0 ORDER BY id").fetchall()]


def by_ids(db, ids) -> list[Subscription]:
    """Those of ``ids`` that should post (active, not paused): reads only their rows."""
    ids, out = sorted(ids), []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out += [_row(r) for r in db.execute(
            f"SELECT {_COLS} FROM subscriptions WHERE id IN ({','.join('?' * len(chunk))}) AND active = 1 "
            "AND paused = 0", chunk).fetchall()]
    return out


def schedules(db, changed_after: str | None = None) -> list[tuple]:
    """(id, schedule or None if it shouldn't post, updated_at) for every row, or those changed after a time.

    Light on purpose: the scheduler groups 100,000 of these at start without building Subscriptions.
    """
    where, args = ("WHERE updated_at > ?", [changed_after]) if changed_after else ("", [])
    return [(i, (p, h, m, tz, cron_days(tuple(days.split(",")), bool(dm))) if active and not paused else None, upd)
            for i, p, h, m, tz, days, dm, active, paused, upd in db.execute(
                "SELECT id, platform, hour, minute, tz, days, is_dm, active, paused, updated_at FROM subscriptions "
                + where, args).fetchall()]


def listed(db) -> list[Subscription]:
    """Active subscriptions, paused ones included: what an operator wants to see."""
    return [_row(r) for r in db.execute(
        f"SELECT {_COLS} FROM subscriptions WHERE active = 1 ORDER BY platform, workspace, id").fetchall()]


def pause(coach, sub_id: int, reason: str) -> bool:
    cur = coach.db.execute(
        "UPDATE subscriptions SET paused = 1, paused_reason = ?, updated_at = ? WHERE id = ? AND paused = 0",
        [reason[:300], stamp(coach.clock()), sub_id])
    if cur.rowcount:
        changed(coach, sub_id)
    return bool(cur.rowcount)


def changed(coach, sub_id: int | None = None) -> None:
    """Tell the listeners (the running scheduler) which subscription changed; None: maybe all of them."""
    for listener in list(LISTENERS):
        try:
            listener(coach, sub_id)
        except Exception:  # a scheduler hiccup must not undo a saved subscription
            log.exception("subscription listener failed")


# ------------------------------------------------------------------ parsing

class ParseError(ValueError):
    pass


@dataclass
class Parsed:
    target: str | None = None  # "here" | "me"
    time: tuple[int, int] | None = None
    tz: str | None = None
    days: tuple[str, ...] | None = None
    track: str | None = None
    any_track: bool = False


_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_NAMED_TIMES = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}
_DAY_NAMES = {"monday": "mon", "tuesday": "tue", "tues": "tue", "wednesday": "wed", "thursday": "thu",
              "thur": "thu", "thurs": "thu", "friday": "fri", "saturday": "sat", "sunday": "sun",
              **{d: d for d in DAYS}}
_DAY_SETS = {"daily": DAYS, "everyday": DAYS, "weekdays": DAYS[:5], "workdays": DAYS[:5], "weekends": DAYS[5:],
             "weekend": DAYS[5:]}


def parse_time(text: str) -> tuple[int, int]:
    raw = text.strip().lower()
    if raw in _NAMED_TIMES:
        return _NAMED_TIMES[raw]
    m = _TIME.match(raw)
    if m:
        hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
        if half:
            if 1 <= hour <= 12 and minute < 60:
                return (hour % 12 + (12 if half == "pm" else 0), minute)
        elif hour < 24 and minute < 60:
            return hour, minute
    raise ParseError(f"I couldn't read '{_shown(text)}' as a time — try 09:00 or 9am.")


def _day(word: str) -> str | None:
    return _DAY_NAMES.get(word) or (_DAY_NAMES.get(word[:-1]) if word.endswith("s") else None)


def parse_days(text: str) -> tuple[str, ...]:
    chosen: set[str] = set()
    for part in filter(None, text.lower().split(",")):
        if part in _DAY_SETS:
            chosen.update(_DAY_SETS[part])
            continue
        if "-" in part:
            a, _, b = part.partition("-")
            if _day(a) and _day(b):
                i, j = DAYS.index(_day(a)), DAYS.index(_day(b))
                chosen.update(DAYS[k % 7] for k in range(i, (j if j >= i else j + 7) + 1))
                continue
        if _day(part) is None:
            raise ParseError(f"I couldn't read '{_shown(part)}' as a day — use daily, weekdays, weekends, "
                             "or days like mon,wed,fri.")
        chosen.add(_day(part))
    if not chosen:
        raise ParseError("Which days? Use daily, weekdays, weekends, or days like mon,wed,fri.")
    return tuple(d for d in DAYS if d in chosen)


def _looks_like_days(token: str) -> bool:
    """Any day word in it: then a typo elsewhere in the list gets the day-specific message."""
    parts = re.split(r"[,-]", token)
    return any(p in _DAY_SETS or _day(p) for p in parts) or "," in token


def days_text(days: tuple[str, ...]) -> str:
    for name, value in (("daily", DAYS), ("weekdays", DAYS[:5]), ("weekends", DAYS[5:])):
        if tuple(days) == value:
            return name
    return ", ".join(d.capitalize() for d in days)


def _shown(text: str, limit: int = 40) -> str:
    return text[:limit] + ("…" if len(text) > limit else "")


def _bad_tz(name: str) -> ParseError:
    hints = users.suggest_tz(name)
    more = f" Did you mean {', '.join(f'`{h}`' for h in hints)}?" if hints else ""
    return ParseError(f"I don't know the time zone '{_shown(name)}'. Use an IANA name like `Europe/Berlin` "
                      f"or `America/New_York`.{more}")


def _bad_track(name: str) -> ParseError:
    return ParseError(f"I don't know the track '{_shown(name)}' — tracks are {', '.join(TRACKS)} (or `track all`).")


def _day_typo(word: str) -> bool:
    import difflib

    return bool(difflib.get_close_matches(word, [*_DAY_NAMES, *_DAY_SETS], n=1, cutoff=0.7))


def parse(args: str) -> Parsed:
    """Words in any order; every word must mean something, or nothing is changed."""
    text = re.sub(r"\s*,\s*", ",", args.strip())
    text = re.sub(r"\b(\d{1,2}(?:[:.]\d{2})?)\s+([ap]m)\b", r"\1\2", text, flags=re.I)  # "9 am" -> "9am"
    shown = text.split()
    tokens = [t.lower() for t in shown]
    out = Parsed()
    days: set[str] = set()
    given: dict[str, tuple[object, str]] = {}  # what -> (value, the word that gave it)
    day_words: list[tuple[frozenset, bool, str]] = []  # (days, a named set like "weekdays"?, word)
    i = 0

    def once(what: str, value, word: str) -> None:
        """Two different answers to one question ("at 9am at 10am") would let the last silently win."""
        if what in given and given[what][0] != value:
            raise ParseError(f"Use one {what} — you gave {given[what][1]} and {_shown(word)}.")
        given.setdefault(what, (value, _shown(word)))

    def add_days(value: tuple[str, ...], named: bool, word: str) -> None:
        # "mon and weekends" adds up; "weekdays daily" or "daily mon" contradict each other
        for prev, prev_named, prev_word in day_words:
            every = frozenset(DAYS) in (frozenset(value), prev)
            if frozenset(value) != prev and ((named and prev_named) or every):
                raise ParseError(f"Use one set of days — you gave {prev_word} and {_shown(word)}.")
        day_words.append((frozenset(value), named, _shown(word)))
        days.update(value)

    def value(keyword: str, example: str) -> tuple[str, str]:
        if i + 1 >= len(tokens):
            raise ParseError(f"`{keyword}` needs a value, like `{keyword} {example}`.")
        return tokens[i + 1], shown[i + 1]

    while i < len(tokens):
        tok = tokens[i]
        if tok in ("here", "channel", "me", "dm", "mine"):
            out.target = "here" if tok in ("here", "channel") else "me"
            once("place", out.target, shown[i])
        elif tok == "at":
            out.time = parse_time(value("at", "9am")[1])
            once("time", out.time, shown[i + 1])
            i += 1
        elif tok in ("tz", "timezone", "in"):
            name = value(tok, "Europe/Berlin")[1]
            out.tz = users.resolve_tz(name)
            if out.tz is None:
                raise _bad_tz(name)
            once("time zone", out.tz, name)
            i += 1
        elif tok == "track":
            name, raw = value(tok, "ai-pm")
            i += 1
            if name in ("all", "any", "every", "mixed"):
                out.any_track, out.track = True, None
                once("track", None, raw)
            else:
                # two-word names first: "data science" is ds-pm, not "data" and a stray word
                track = drills.resolve_track(f"{name} {tokens[i + 1]}") if i + 1 < len(tokens) else None
                if track:
                    i += 1
                else:
                    track = drills.resolve_track(name)
                if track is None:
                    raise _bad_track(raw)
                out.track = track
                once("track", track, raw)
        elif tok in ("on", "every", "and"):  # filler: "on mon and wed", "every monday"
            pass
        elif tok == "day" and i and tokens[i - 1] == "every":
            add_days(DAYS, True, "every day")
        elif tok in _NAMED_TIMES or _TIME.match(tok):
            out.time = parse_time(shown[i])
            once("time", out.time, shown[i])
        elif _looks_like_days(tok):
            add_days(parse_days(tok), tok in _DAY_SETS, shown[i])
        elif "/" in tok or tok in ("utc", "gmt"):
            out.tz = users.resolve_tz(tok)
            if out.tz is None:
                raise _bad_tz(shown[i])
            once("time zone", out.tz, shown[i])
        elif drills.resolve_track(tok):
            out.track = drills.resolve_track(tok)
            once("track", out.track, shown[i])
        elif re.match(r"^\d+([:.]\d*)?([ap]m)?$", tok):
            raise ParseError(f"I couldn't read '{_shown(shown[i])}' as a time — try 09:00 or 9am.")
        elif _day_typo(tok):
            raise ParseError(f"I couldn't read '{_shown(shown[i])}' as a day — use daily, weekdays, weekends, "
                             "or days like mon,wed,fri.")
        else:
            raise ParseError(f"I didn't understand '{_shown(shown[i])}'. Try {USAGE}.")
        i += 1
    out.days = tuple(d for d in DAYS if d in days) or None
    return out


# ------------------------------------------------------------------ commands

def _target(req, wanted: str | None, verb: str = "subscribe") -> tuple[bool, str] | Reply:
    """(is_dm, channel) for the target the user means, or why it can't be."""
    wanted = wanted or ("me" if req.is_dm else "here")
    if wanted == "me":
        return True, req.user
    if req.is_dm:
        which = "that should get the team drill" if verb == "subscribe" else "whose team drill should stop"
        return error(f"`here` means a channel — in a DM, use `{verb} me` (or run `{verb} here` in the "
                     f"channel {which}).")
    return False, req.channel


def _space(req, is_dm: bool) -> str:
    """The workspace a target's subscription lives in: a DM's may differ (``Request.dm_workspace``)."""
    return (req.dm_workspace or req.workspace) if is_dm else req.workspace


def _may_manage(coach, req) -> Reply | None:
    if not req.can_manage_channel:
        return error("Only people who can manage this channel can change its daily drill. Ask one of them, or "
                     "use `subscribe me` to get your own drill by DM.")
    if coach.config.admin_only_channels and not (req.is_admin or req.user in coach.config.admins):
        return error("Here only the coach's admins can change a channel's daily drill. Ask an admin, or use "
                     "`subscribe me` to get your own drill by DM.")
    return None


def _next_text(sub: Subscription, now: datetime) -> str:
    """When the next *drill* goes out: a channel's trigger also fires on Mondays for the digest."""
    zone, nxt = ZoneInfo(sub.tz), sub.next_run(now)
    for _ in range(8):  # a week of fire times always reaches a drill day
        if nxt is None:
            return "never"
        if DAYS[nxt.astimezone(zone).weekday()] in sub.days:
            return nxt.astimezone(zone).strftime("%a %d %b, %H:%M")
        nxt = sub.next_run(nxt + timedelta(seconds=1))
    return "never"


def describe(sub: Subscription, now: datetime) -> str:
    who = "You get a drill by DM" if sub.is_dm else "This channel gets a team drill"
    try:
        nxt = f"Next post: {_next_text(sub, now)}."
    except Exception:  # a row from before zone names were checked, or a zone this host lacks
        nxt = (f"⚠ I can't plan it: the time zone '{sub.tz}' isn't one I know — `subscribe` again with "
               "`tz Area/City` to fix it.")
    line = (f"{who} at **{sub.time_text}** ({sub.tz}), **{sub.days_text}**, {sub.track_text}. {nxt}")
    if sub.paused:
        line += f" ⏸ Paused: {sub.paused_reason or 'posting failed'} — `subscribe` again to resume."
    return line


def cmd_subscribe(coach, req, args: str) -> list[Reply]:
    try:
        parsed = parse(args)
    except ParseError as exc:
        return [error(f"{exc} Nothing was changed.")]
    target = _target(req, parsed.target)
    if isinstance(target, Reply):
        return [target]
    is_dm, channel = target
    if not is_dm and (denied := _may_manage(coach, req)):
        return [denied]
    now = stamp(coach.clock())
    space = _space(req, is_dm)
    with transaction(coach.db):
        old = find(coach.db, req.platform, space, is_dm, channel)
        keep = old if old and old.active else None  # re-subscribing changes only what was said
        hour, minute = parsed.time or (keep and (keep.hour, keep.minute)) or DEFAULT_TIME
        tz = parsed.tz or (keep and keep.tz) or users.effective_tz(coach, req)
        days = parsed.days or (keep and keep.days) or DAYS
        track = parsed.track if parsed.track or parsed.any_track or not keep else keep.track
        coach.db.execute(
            "INSERT INTO subscriptions (platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, "
            "days, track, since, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, workspace, is_dm, channel) DO UPDATE SET user = excluded.user, "
            "subscriber = excluded.subscriber, hour = excluded.hour, minute = excluded.minute, tz = excluded.tz, "
            "days = excluded.days, track = excluded.track, active = 1, paused = 0, paused_reason = NULL, "
            "since = excluded.since, updated_at = excluded.updated_at",
            [req.platform, space, channel, int(is_dm), req.user if is_dm else "", req.user, hour, minute,
             tz, ",".join(days), track, now, now, now])
        sub = find(coach.db, req.platform, space, is_dm, channel)
        if is_dm and parsed.tz and not users.user_tz(coach, req.platform, req.workspace, req.user):
            # Someone who names their zone for their own drill lives there: streaks should count
            # their days in it too, until they say otherwise with `timezone`.
            coach.db.execute("UPDATE users SET tz = ? WHERE platform = ? AND workspace = ? AND user = ?",
                             [parsed.tz, req.platform, req.workspace, req.user])
    changed(coach, sub.id)
    verb = "Updated" if keep else "Subscribed"
    extra = "" if is_dm else (f" Answers are revealed {_hours(coach.config.reveal_hours)} after each post, "
                              "with a weekly digest on Mondays.")
    resumed = " (It was paused; it's running again.)" if old and old.active and old.paused else ""
    stop = "`unsubscribe me`" if is_dm else "`unsubscribe here`"
    return [info(f"{verb}! {describe(sub, coach.clock())}{extra}{resumed} {stop} stops it.", kind="subscription",
                 ephemeral=is_dm and not req.is_dm, buttons=(Button("Stop", f"sub:stop:{sub.id}"),))]


def _hours(h: float) -> str:
    return f"{h:g} hour{'s' if h != 1 else ''}"


def cmd_unsubscribe(coach, req, args: str) -> list[Reply]:
    words = args.lower().split()
    if len(words) > 1 or (words and words[0] not in ("here", "channel", "me", "dm", "mine")):
        return [error(f"I didn't understand '{_shown(args)}'. Use `unsubscribe here` or `unsubscribe me`.")]
    target = _target(req, ({"channel": "here", "dm": "me", "mine": "me"}.get(words[0], words[0])) if words else None,
                     verb="unsubscribe")
    if isinstance(target, Reply):
        return [target]
    is_dm, channel = target
    if not is_dm and (denied := _may_manage(coach, req)):
        return [denied]
    cur = coach.db.execute(
        "UPDATE subscriptions SET active = 0, updated_at = ? WHERE platform = ? AND workspace = ? AND is_dm = ? "
        "AND channel = ? AND active = 1 RETURNING id",
        [stamp(coach.clock()), req.platform, _space(req, is_dm), int(is_dm), channel])
    stopped = cur.fetchall()
    if not stopped:
        what = "You have no daily drill by DM" if is_dm else "This channel has no daily drill"
        return [info(f"{what} to stop. {USAGE} starts one.", kind="subscription", ephemeral=True)]
    changed(coach, stopped[0][0])
    what = "No more daily drills by DM" if is_dm else "No more team drills in this channel"
    again = "`subscribe me`" if is_dm else "`subscribe here`"
    return [info(f"Done. {what}. {again} brings them back.", kind="subscription",
                 ephemeral=is_dm and not req.is_dm)]


def cmd_subscriptions(coach, req, args: str) -> list[Reply]:
    now = coach.clock()
    mine = find(coach.db, req.platform, _space(req, True), True, req.user)
    lines = [f"- **You (DM):** {describe(mine, now)}" if mine and mine.active else
             "- **You (DM):** no daily drill — `subscribe me` starts one."]
    if not req.is_dm:
        here = find(coach.db, req.platform, req.workspace, False, req.channel)
        lines.append(f"- **This channel:** {describe(here, now)}" if here and here.active else
                     "- **This channel:** no team drill — `subscribe here` starts one.")
    others = coach.db.execute(
        "SELECT channel FROM subscriptions WHERE platform = ? AND workspace = ? AND is_dm = 0 AND active = 1 "
        "AND subscriber = ? AND channel != ? ORDER BY channel", [req.platform, req.workspace, req.user,
                                                                req.channel]).fetchall()
    if others:
        lines.append("- **Channels you set up:** " + ", ".join(channel_ref(r[0]) for r in others))
    return [Reply(title="Daily drills", text="\n".join(lines) + f"\n\nChange with {USAGE}.",
                  kind="subscription", ephemeral=not req.is_dm)]


def _may_change(coach, req, sub: Subscription) -> Reply | None:
    if sub.platform != req.platform or sub.workspace not in (req.workspace, _space(req, sub.is_dm)):
        return error("I can't find that subscription any more. Type `subscriptions` to see yours.")
    if sub.is_dm:
        return None if sub.user == req.user else error("That's someone else's daily drill.")
    if req.user == sub.subscriber:  # whoever set it up may resume or stop it from the DM we sent them
        if coach.config.admin_only_channels and not (req.is_admin or req.user in coach.config.admins):
            return _may_manage(coach, req)
        return None
    if req.channel != sub.channel:
        return error("Change a channel's daily drill from that channel.")
    return _may_manage(coach, req)


def on_action(coach, req, parts: list[str]) -> list[Reply]:
    """``sub:stop:<id>``, ``sub:resume:<id>`` (the button in a "posting failed" notice) and
    ``sub:pause:<id>`` (the Slack Home tab)."""
    if len(parts) != 3 or parts[1] not in ("stop", "resume", "pause") or not parts[2].isdigit():
        return [error("That button is no longer active. Type `subscriptions` to see your daily drills.")]
    sub = get(coach.db, int(parts[2]))
    if sub is None:
        return [info("I can't find that daily drill (it may have been removed). Type `subscriptions` to see "
                     "your daily drills.", ephemeral=True)]
    if not sub.active:
        return [info("That daily drill is already stopped. `subscribe` starts a new one.", ephemeral=True)]
    if denied := _may_change(coach, req, sub):
        return [denied]
    now = stamp(coach.clock())
    if parts[1] == "stop":
        coach.db.execute("UPDATE subscriptions SET active = 0, updated_at = ? WHERE id = ?", [now, sub.id])
        text = f"Stopped the daily drill ({sub.where})."
    elif parts[1] == "pause":
        if sub.paused:
            return [info(f"The daily drill ({sub.where}) is already paused.", ephemeral=not req.is_dm)]
        pause(coach, sub.id, "paused by hand")
        return [info(f"Paused the daily drill ({sub.where}). Resume it from your Home tab or with `subscribe`.",
                     kind="subscription", ephemeral=not req.is_dm)]
    else:
        coach.db.execute("UPDATE subscriptions SET paused = 0, paused_reason = NULL, since = ?, updated_at = ? "
                         "WHERE id = ?", [now, now, sub.id])
        text = f"Resumed. {describe(get(coach.db, sub.id), coach.clock())}"
    changed(coach, sub.id)
    return [info(text, kind="subscription", ephemeral=not req.is_dm)]


COMMANDS = [
    Command("subscribe", cmd_subscribe,
            "subscribe [here|me] [at 9am] [tz Area/City] [daily|weekdays|mon,wed,fri] [track ai-pm]",
            "a daily drill by DM, or a team drill in this channel", aliases=("sub",), order=20),
    Command("unsubscribe", cmd_unsubscribe, "unsubscribe [here|me]", "stop a daily drill", aliases=("unsub",),
            order=21),
    Command("subscriptions", cmd_subscriptions, "subscriptions", "your and this channel's daily drills",
            aliases=("subs",), order=22),
]
ACTIONS = {"sub": on_action}


def needs_channel_rights(coach, req) -> bool:
    """Whether the answer to ``req`` depends on ``req.can_manage_channel``: it may change this
    channel's subscription. Adapters whose check is costly (Slack lists a channel's members)
    make it only then."""
    if req.is_dm:
        return False
    if req.action:  # sub:stop:<id> / sub:resume:<id>: only a channel's subscription needs the rights
        parts = req.action.split(":")
        if parts[0] != "sub" or len(parts) != 3 or row_id(parts[2]) is None:
            return False
        sub = get(coach.db, row_id(parts[2]))
        return sub is not None and not sub.is_dm
    from .coach import clean_text

    name, args = coach.parse(clean_text(req.text))
    if name == "unsubscribe":
        words = args.lower().split()
        return not words or words[0] in ("here", "channel")
    if name != "subscribe":
        return False
    try:
        return (parse(args).target or "here") == "here"
    except ParseError:
        return False


@MIGRATIONS
def m002_deliveries(db):
    # The deliveries ledger (bot/scheduler.py): one row per (subscription, kind, local day),
    # claimed with INSERT OR IGNORE, so a post goes out once however many schedulers race.
    # Deleting a subscription (forget-me) takes its ledger rows with it.
    db.execute(
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, subscription_id INTEGER NOT NULL "
        "REFERENCES subscriptions (id) ON DELETE CASCADE, kind TEXT NOT NULL CHECK (kind IN "
        "('daily', 'reveal', 'digest')), local_date TEXT NOT NULL, due_at TEXT NOT NULL, state TEXT NOT NULL "
        "CHECK (state IN ('pending', 'sent', 'failed', 'skipped')), claimed_by TEXT, lease_until TEXT, "
        "attempts INTEGER NOT NULL DEFAULT 0, post_id INTEGER, message_ref TEXT, error TEXT, sent_at TEXT, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (subscription_id, kind, local_date))")
    db.execute("CREATE INDEX deliveries_state ON deliveries (state, kind, due_at)")


@MIGRATIONS
def m003_pending_index(db):
    # Only claims in flight need finding (crash recovery); indexing just those keeps the
    # per-post "sent" update from rewriting an index entry on every row.
    db.execute("DROP INDEX IF EXISTS deliveries_state")
    db.execute("CREATE INDEX deliveries_pending ON deliveries (lease_until) WHERE state = 'pending'")


@MIGRATIONS
def m004_parts_sent(db):
    # A post can be several messages (a reveal is two): how many are on the platform, so a
    # retry or a restart after a crash sends only the rest.
    db.execute("ALTER TABLE deliveries ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0")


@MIGRATIONS
def m005_scheduler_indexes(db):
    # What the scheduler asks the ledger every minute, answered from indexes (issue 13):
    # a subscription's latest occurrences (bounded by a look-back), the sent team drills
    # whose reveal is due, and subscriptions changed by another process since the last look.
    db.execute("CREATE INDEX IF NOT EXISTS deliveries_recent ON deliveries (subscription_id, kind, due_at)")
    db.execute("CREATE INDEX IF NOT EXISTS deliveries_sent ON deliveries (kind, sent_at) WHERE state = 'sent'")
    db.execute("CREATE INDEX IF NOT EXISTS subscriptions_updated ON subscriptions (updated_at)")
