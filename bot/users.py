"""People and workspaces: the time zone each user keeps, and a workspace's default.

Every row is scoped to (platform, workspace) so nothing crosses workspaces.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .commands import Command
from .messages import Reply, error, info
from .storage import Migrations, transaction

MIGRATIONS = Migrations("users")


@MIGRATIONS
def m001_users(db):
    db.execute(
        "CREATE TABLE users (platform TEXT NOT NULL, workspace TEXT NOT NULL, user TEXT NOT NULL, "
        "name TEXT NOT NULL DEFAULT '', tz TEXT, created_at TEXT NOT NULL, "
        "PRIMARY KEY (platform, workspace, user))"
    )
    db.execute(
        "CREATE TABLE workspaces (platform TEXT NOT NULL, workspace TEXT NOT NULL, default_tz TEXT, "
        "PRIMARY KEY (platform, workspace))"
    )


# A zone is a place: an IANA Area/City name (or UTC). Not the host's `localtime`, not
# `Factory`, `posixrules`, `right/…`, `posix/…`, POSIX rules like `EST5EDT` or `Etc/GMT+5`
# (whose sign is the reverse of what people expect), nor old country aliases (`US/Eastern`,
# `Japan`: answered with the place they stand for). The list comes from the `tzdata` package
# (a dependency), so every name we accept loads on any host, with or without a system zone database.
AREAS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
                   "Indian", "Pacific"})
UTC_NAMES = frozenset({"utc", "etc/utc", "gmt", "etc/gmt", "uct", "etc/uct", "zulu", "etc/zulu", "universal",
                       "etc/universal", "greenwich", "etc/greenwich", "gmt0", "etc/gmt0", "z"})
_ZONES_LOWER: dict[str, str] = {}  # lower-case place name -> its spelling
_ALIASES: dict[str, str] = {}  # lower-case old alias (US/Eastern) -> the place it links to


def _load_zones() -> None:
    from importlib import resources

    try:
        root = resources.files("tzdata")
        names = root.joinpath("zones").read_text(encoding="utf-8").split()
        links = [line.split()[1:3] for line in root.joinpath("zoneinfo", "tzdata.zi").read_text(
            encoding="utf-8").splitlines() if line.startswith("L ")]
    except (ModuleNotFoundError, OSError):  # tzdata is a dependency; a bare host zone list is the fallback
        names, links = sorted(available_timezones()), []
    for name in names:
        if name.split("/", 1)[0] in AREAS and "/" in name:
            _ZONES_LOWER[name.lower()] = name
    for target, alias in links:
        if alias.lower() not in _ZONES_LOWER and target.lower() in _ZONES_LOWER:
            _ALIASES[alias.lower()] = target
    _ZONES_LOWER["utc"] = "UTC"


def resolve_tz(name: str) -> str | None:
    """The IANA place name for what a user typed ('europe/berlin', 'UTC'), or None."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        return None
    if not _ZONES_LOWER:
        _load_zones()
    key = name.lower().replace(" ", "_")
    if key in UTC_NAMES:
        return "UTC"
    canonical = _ZONES_LOWER.get(key)
    if canonical is None:
        return None
    try:
        ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return canonical


def place_names() -> list[str]:
    """Every zone name resolve_tz accepts as it is: UTC, then the places A–Z (what a picker may offer)."""
    resolve_tz("UTC")  # fills the cache
    return ["UTC", *sorted(z for z in _ZONES_LOWER.values() if z != "UTC")]


def is_place(tz: str | None) -> bool:
    """A stored zone we can still use (rows written before names were checked may hold others)."""
    return bool(tz) and resolve_tz(tz) == tz


# Abbreviations people type that are not zones (or are fixed offsets without the DST they mean):
# spelling alike ("PST" ~ "MST") would suggest the wrong side of a continent.
_ABBREVIATIONS = {
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "mdt": "America/Denver", "mt": "America/Denver", "cst": "America/Chicago", "cdt": "America/Chicago",
    "est": "America/New_York",
    "ct": "America/Chicago", "edt": "America/New_York", "et": "America/New_York", "bst": "Europe/London",
    "cest": "Europe/Paris", "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney", "sgt": "Asia/Singapore",
}


def suggest_tz(name: str, limit: int = 3) -> list[str]:
    import difflib

    if name.strip().lower() in _ABBREVIATIONS:
        return [_ABBREVIATIONS[name.strip().lower()]]
    resolve_tz("UTC")  # fills the cache
    if name.strip().lower() in _ALIASES:
        return [_ALIASES[name.strip().lower()]]
    return [_ZONES_LOWER[m] for m in difflib.get_close_matches(name.lower(), list(_ZONES_LOWER), n=limit, cutoff=0.6)]


def touch(coach, req) -> None:
    """Remember a user the first time we see them (and their display name)."""
    now = coach.clock().isoformat()
    coach.db.execute(
        "INSERT INTO users (platform, workspace, user, name, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (platform, workspace, user) DO UPDATE SET name = excluded.name WHERE excluded.name != ''",
        [req.platform, req.workspace, req.user, req.user_name or "", now],
    )


def user_tz(coach, platform: str, workspace: str, user: str) -> str | None:
    row = coach.db.execute(
        "SELECT tz FROM users WHERE platform = ? AND workspace = ? AND user = ?", [platform, workspace, user]
    ).fetchone()
    return row[0] if row and is_place(row[0]) else None


def user_tzs(coach, platform: str, workspace: str, people: list[str]) -> dict[str, str | None]:
    """``user_tz`` for several people in one read."""
    if not people:
        return {}
    rows = coach.db.execute(
        f"SELECT user, tz FROM users WHERE platform = ? AND workspace = ? AND user IN ({','.join('?' * len(people))})",
        [platform, workspace, *people]).fetchall()
    known = {user: tz for user, tz in rows if is_place(tz)}
    return {user: known.get(user) for user in people}


def workspace_tz(coach, platform: str, workspace: str) -> str:
    row = coach.db.execute(
        "SELECT default_tz FROM workspaces WHERE platform = ? AND workspace = ?", [platform, workspace]
    ).fetchone()
    return (row[0] if row and is_place(row[0]) else None) or coach.config.default_tz


def effective_tz(coach, req) -> str:
    """The user's zone if known, else the workspace default, else the configured default (UTC)."""
    return user_tz(coach, req.platform, req.workspace, req.user) or workspace_tz(coach, req.platform, req.workspace)


def display_name(coach, platform: str, workspace: str, user: str) -> str:
    """The person's name as plain text in a post others see: a name written as a Markdown link
    ("[free nitro](https://…)") must not become a disguised link, so "](" gets a zero-width space."""
    row = coach.db.execute(
        "SELECT name FROM users WHERE platform = ? AND workspace = ? AND user = ?", [platform, workspace, user]
    ).fetchone()
    return (row[0] if row and row[0] else user).replace("](", "]\u200b(")


def cmd_timezone(coach, req, args: str) -> list[Reply]:
    args = args.strip()
    if not args:
        return [info(f"Your time zone is **{effective_tz(coach, req)}**. Change it with `timezone Europe/Berlin`.",
                     ephemeral=not req.is_dm)]
    tz = resolve_tz(args)
    if tz is None:
        hints = suggest_tz(args)
        more = f" Did you mean {', '.join(f'`{h}`' for h in hints)}?" if hints else ""
        shown = args[:40] + ("…" if len(args) > 40 else "")
        return [error(f"I don't know the time zone '{shown}'. Use an IANA name like `Europe/Berlin` or `America/New_York`.{more}")]
    with transaction(coach.db):
        touch(coach, req)
        coach.db.execute(
            "UPDATE users SET tz = ? WHERE platform = ? AND workspace = ? AND user = ?",
            [tz, req.platform, req.workspace, req.user],
        )
    return [info(f"Saved: your time zone is now **{tz}**. Streaks and daily drills use your local day."
                 + _dm_drill_elsewhere(coach, req, tz), ephemeral=not req.is_dm)]


def _dm_drill_elsewhere(coach, req, tz: str) -> str:
    """A DM drill keeps the zone it was set up in: say so rather than imply it moved."""
    from . import subscriptions  # it imports this module

    sub = subscriptions.find(coach.db, req.platform, req.workspace, True, req.user)
    if sub is None or not sub.active or sub.tz == tz:
        return ""
    return (f" Your daily drill by DM still comes at {sub.time_text} ({sub.tz}); "
            f"`subscribe me tz {tz}` moves it to your zone.")


COMMANDS = [
    Command("timezone", cmd_timezone, "timezone [Area/City]", "show or set your time zone", aliases=("tz",), order=80),
]
ACTIONS: dict = {}
