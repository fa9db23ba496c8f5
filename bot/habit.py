"""Study habits: daily limits, the daily goal and the evening reminder, per person.

One row per (platform, workspace, user) in ``habit_settings``; a person who never set
anything has the defaults below and no row. Days are the person's local days.

- ``limits [new N] [reviews N]``: new drills and reviews per local day (Anki's defaults
  are 20/200; a chat drill takes longer than a flash card, so 10/100 here)
- ``goal N``: drills per day that make a day's goal (a day with any practice keeps the streak)
- ``remind on|off|at 8pm``: a DM in the evening when the streak is at stake (bot/reminders.py sends it)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import progress, users
from .commands import Command
from .messages import Reply, error, info
from .review import stamp
from .storage import Migrations, transaction
from .subscriptions import ParseError, parse_time

MIGRATIONS = Migrations("habit")

NEW_PER_DAY, REVIEWS_PER_DAY, GOAL = 10, 100, 1
MAX_NEW, MAX_REVIEWS, MAX_GOAL = 200, 1000, 50
REMIND_AT = (20, 0)  # evening, local time, unless the person says otherwise


@MIGRATIONS
def m001_settings(db):
    db.execute(
        "CREATE TABLE habit_settings (platform TEXT NOT NULL, workspace TEXT NOT NULL, user TEXT NOT NULL, "
        "new_per_day INTEGER, reviews_per_day INTEGER, goal INTEGER, remind INTEGER NOT NULL DEFAULT 0, "
        "remind_hour INTEGER, remind_minute INTEGER, remind_since TEXT, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (platform, workspace, user))")
    db.execute("CREATE INDEX habit_settings_remind ON habit_settings (remind) WHERE remind = 1")


@dataclass(frozen=True)
class Settings:
    new_per_day: int = NEW_PER_DAY
    reviews_per_day: int = REVIEWS_PER_DAY
    goal: int = GOAL
    remind: bool = False
    remind_hour: int = REMIND_AT[0]
    remind_minute: int = REMIND_AT[1]
    remind_since: str | None = None

    @property
    def remind_text(self) -> str:
        return f"{self.remind_hour:02d}:{self.remind_minute:02d}"


def settings(db, platform: str, workspace: str, user: str) -> Settings:
    row = db.execute(
        "SELECT new_per_day, reviews_per_day, goal, remind, remind_hour, remind_minute, remind_since "
        "FROM habit_settings WHERE platform = ? AND workspace = ? AND user = ?", [platform, workspace, user]).fetchone()
    if row is None:
        return Settings()
    d = Settings()
    return Settings(row[0] if row[0] is not None else d.new_per_day,
                    row[1] if row[1] is not None else d.reviews_per_day,
                    row[2] if row[2] is not None else d.goal, bool(row[3]),
                    row[4] if row[4] is not None else d.remind_hour,
                    row[5] if row[5] is not None else d.remind_minute, row[6])


def _save(coach, req, **values) -> None:
    """Upsert only the given columns: a setting changes only what the person typed."""
    cols = list(values)
    with transaction(coach.db):
        coach.db.execute(
            f"INSERT INTO habit_settings (platform, workspace, user, {', '.join(cols)}, updated_at) "
            f"VALUES (?, ?, ?, {', '.join('?' * len(cols))}, ?) ON CONFLICT (platform, workspace, user) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in cols) + ", updated_at = excluded.updated_at",
            [req.platform, req.workspace, req.user, *values.values(), stamp(coach.clock())])


# ------------------------------------------------------------------ today

@dataclass(frozen=True)
class Today:
    new: int  # first answers (or reveals) of drills never practised before, today
    reviews: int  # answers to drills practised before, today
    done: int  # answers today (what the goal counts)


def local_day_bounds(now: datetime, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date()
    return (datetime.combine(day, time(0), tzinfo=zone), datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))


def today(db, platform: str, workspace: str, user: str, now: datetime, tz: str) -> Today:
    start, end = local_day_bounds(now, tz)
    row = db.execute(
        "SELECT COUNT(*) FILTER (WHERE card_before IS NULL), COUNT(*) FILTER (WHERE card_before IS NOT NULL), "
        "COUNT(*) FILTER (WHERE kind = 'answer') FROM practice_attempts WHERE platform = ? AND workspace = ? "
        "AND user = ? AND kind IN ('answer', 'reveal') AND answered_at >= ? AND answered_at < ?",
        [platform, workspace, user, stamp(start), stamp(end)]).fetchone()
    return Today(*row)


@dataclass(frozen=True)
class Allowance:
    new: bool
    reviews: bool
    settings: Settings
    today: Today


def allowance(coach, platform: str, workspace: str, user: str, tz: str) -> Allowance:
    s = settings(coach.db, platform, workspace, user)
    t = today(coach.db, platform, workspace, user, coach.clock(), tz)
    return Allowance(t.new < s.new_per_day, t.reviews < s.reviews_per_day, s, t)


def _until_tomorrow(now: datetime, tz: str) -> str:
    left = progress.end_of_local_day(now, tz) - now
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def limit_reached(coach, req, allow: Allowance, tz: str, due: int) -> Reply:
    """What `drill` says when today's limits leave nothing to serve."""
    s, now = allow.settings, coach.clock()
    if not allow.new:
        what = f"You've done today's {s.new_per_day} new drill{'s' if s.new_per_day != 1 else ''} (your daily limit)"
    else:
        what = "You've done everything for today"
    if due and not allow.reviews:
        rest = (f" and today's {s.reviews_per_day} reviews; {due} more wait for tomorrow. ")
    elif due:
        rest = f". {due} review{'s are' if due != 1 else ' is'} due — type `review`. "
    else:
        rest = ", and no reviews are due. "
    return info(f"{what}{rest}New drills again tomorrow (00:00 {tz}, in {_until_tomorrow(now, tz)}). "
                f"`limits new {min(MAX_NEW, s.new_per_day + 5)}` raises the limit.", ephemeral=not req.is_dm)


# ------------------------------------------------------------------ commands

_LIMIT_WORDS = {"new": "new_per_day", "news": "new_per_day", "reviews": "reviews_per_day",
                "review": "reviews_per_day", "rev": "reviews_per_day"}


def parse_limits(args: str) -> dict[str, int]:
    """`new 5 reviews 50` in any order (also `new=5`, `reviews: 50`) -> columns; ValueError with the reason."""
    tokens = re.sub(r"[=:,]", " ", args.lower()).split()
    out: dict[str, int] = {}
    i = 0
    while i < len(tokens):
        word = tokens[i]
        column = _LIMIT_WORDS.get(word)
        if column is None:
            raise ValueError(f"I don't know the limit '{word[:30]}' — use `limits new 5 reviews 50`.")
        if i + 1 >= len(tokens):
            raise ValueError(f"Give a number after '{word}', e.g. `limits {word} 5`.")
        value = tokens[i + 1]
        top = MAX_NEW if column == "new_per_day" else MAX_REVIEWS
        if not re.fullmatch(r"-?\d+", value) or not 0 <= int(value) <= top:
            raise ValueError(f"'{value[:20]}' isn't a limit I can use: {word} per day is a whole number "
                             f"from 0 to {top}.")
        if column in out:
            raise ValueError(f"You gave the {word} limit twice; say it once.")
        out[column] = int(value)
        i += 2
    return out


def describe_limits(s: Settings, t: Today) -> str:
    return (f"New drills: **{s.new_per_day}** a day ({t.new} done today). "
            f"Reviews: **{s.reviews_per_day}** a day ({t.reviews} done today).")


def cmd_limits(coach, req, args: str) -> list[Reply]:
    tz = users.effective_tz(coach, req)
    if not args.strip():
        s = settings(coach.db, req.platform, req.workspace, req.user)
        t = today(coach.db, req.platform, req.workspace, req.user, coach.clock(), tz)
        return [info(f"{describe_limits(s, t)} Days run 00:00–24:00 {tz}. "
                     "Change with `limits new 5 reviews 50`.", ephemeral=not req.is_dm)]
    try:
        values = parse_limits(args)
    except ValueError as exc:
        return [error(f"{exc} Nothing was changed.")]
    _save(coach, req, **values)
    s = settings(coach.db, req.platform, req.workspace, req.user)
    t = today(coach.db, req.platform, req.workspace, req.user, coach.clock(), tz)
    return [info(f"Saved. {describe_limits(s, t)}", ephemeral=not req.is_dm)]


def cmd_goal(coach, req, args: str) -> list[Reply]:
    tz = users.effective_tz(coach, req)
    word = args.strip().lower().removesuffix("drills").removesuffix("a day").strip()
    if not word:
        s = settings(coach.db, req.platform, req.workspace, req.user)
        t = today(coach.db, req.platform, req.workspace, req.user, coach.clock(), tz)
        return [info(f"Your daily goal is **{s.goal}** drill{'s' if s.goal != 1 else ''} ({t.done} done today). "
                     "Change it with `goal 3`.", ephemeral=not req.is_dm)]
    if not re.fullmatch(r"-?\d+", word) or not 1 <= int(word) <= MAX_GOAL:
        return [error(f"A daily goal is a number of drills from 1 to {MAX_GOAL}, e.g. `goal 3`. Nothing was changed.")]
    _save(coach, req, goal=int(word))
    return [info(f"Saved: your daily goal is **{int(word)}** drill{'s' if int(word) != 1 else ''} a day.",
                 ephemeral=not req.is_dm)]


def cmd_remind(coach, req, args: str) -> list[Reply]:
    words = args.strip().lower().split()
    s = settings(coach.db, req.platform, req.workspace, req.user)
    tz = users.effective_tz(coach, req)
    if not words:
        state = f"on, at {s.remind_text} ({tz})" if s.remind else "off"
        return [info(f"Your evening reminder is **{state}**. `remind on`, `remind off` or `remind at 8pm`: a DM when "
                     "you haven't practised that day and your streak is at stake.", ephemeral=not req.is_dm)]
    if words == ["off"]:
        _save(coach, req, remind=0)
        return [info("Reminder off: I won't nudge you.", ephemeral=not req.is_dm)]
    if words == ["on"]:
        hour, minute = s.remind_hour, s.remind_minute
    elif words[0] in ("at", "on") and len(words) >= 2:
        rest = words[2:] if words[0] == "on" and words[1] == "at" else words[1:]
        try:
            hour, minute = parse_time(" ".join(rest))
        except ParseError as exc:
            return [error(f"{exc} Nothing was changed.")]
    else:
        try:
            hour, minute = parse_time(" ".join(words))
        except ParseError:
            return [error("Use `remind on`, `remind off` or `remind at 8pm`. Nothing was changed.")]
    # Reminders count from now: turning one on at 21:00 for 20:00 doesn't send today's at once.
    _save(coach, req, remind=1, remind_hour=hour, remind_minute=minute, remind_since=stamp(coach.clock()))
    return [info(f"Reminder on: at {hour:02d}:{minute:02d} ({tz}) I'll DM you if you haven't practised that day "
                 "and your streak is at stake. `remind off` stops it.", ephemeral=not req.is_dm)]


def on_action(coach, req, parts: list[str]) -> list[Reply]:
    """``habit:remind:off`` (the button on a reminder) and ``habit:review`` (the Slack Home tab)."""
    if parts[1:] == ["remind", "off"]:
        return cmd_remind(coach, req, "off")
    if parts[1:] == ["review"]:
        from .practice.commands import serve  # practice builds on this module

        return serve(coach, req, None, due_only=True)
    return [error("That button is no longer active. Type `help` to see what I can do.")]


def _or_question(handler):
    """`goal setting for a new PM` is a question: words that don't make a setting go to `ask`."""
    def run(coach, req, args: str) -> list[Reply]:
        replies = handler(coach, req, args)
        ask = coach.commands.get("ask")
        if ask is not None and replies and replies[0].kind == "error" and len(args.split()) >= 3 \
                and not re.search(r"\d", args):
            return ask.handler(coach, req, req.text)
        return replies
    return run


COMMANDS = [
    Command("limits", _or_question(cmd_limits), "limits [new 10] [reviews 100]", "new drills and reviews per day", order=23),
    Command("goal", _or_question(cmd_goal), "goal [N]", "your daily goal in drills", order=24),
    Command("remind", _or_question(cmd_remind), "remind on|off|at 8pm", "an evening DM when your streak is at stake",
            aliases=("reminder",), order=25),
]
ACTIONS = {"habit": on_action}
