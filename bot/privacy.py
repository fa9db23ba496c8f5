"""export-me / forget-me: everything we hold on a user in one workspace.

Generic on purpose: any table with ``platform``, ``workspace`` and ``user`` columns is a
table of user data, so features added later are exported and forgotten without
changes here.
"""
from __future__ import annotations

import json

from .commands import Command
from .messages import Button, Reply, error, info
from .review import stamp
from .storage import transaction

CONFIRM_ACTION = "privacy:forget:confirm"


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


def _tables_with(db, *columns: str) -> list[str]:
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    out = []
    for name in names:
        try:
            cols = {r[1] for r in db.execute(f'PRAGMA table_info("{name}")')}
        except Exception:  # a virtual table whose module isn't loaded: not ours to read
            continue
        if {"platform", "workspace", *columns} <= cols:
            out.append(name)
    return out


def user_tables(db) -> list[str]:
    return _tables_with(db, "user")


def export_user(db, platform: str, workspace: str, user: str, now) -> dict:
    tables = {}
    for name in user_tables(db):
        cur = db.execute(f'SELECT * FROM "{name}" WHERE platform = ? AND workspace = ? AND user = ?',
                         [platform, workspace, user])
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        if rows:
            tables[name] = rows
    return {"platform": platform, "workspace": workspace, "user": user, "exported_at": stamp(now),
            "tables": tables}


def forget_user(db, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Delete the user's rows everywhere, atomically; {table: rows deleted}."""
    deleted = {}
    with transaction(db):
        for name in user_tables(db):
            cur = db.execute(f'DELETE FROM "{name}" WHERE platform = ? AND workspace = ? AND user = ?',
                             [platform, workspace, user])
            if cur.rowcount:
                deleted[name] = cur.rowcount
        # A channel's subscription belongs to the channel and stays; only the forgotten
        # person's id as its contact goes.
        for name in _tables_with(db, "subscriber"):
            cur = db.execute(f'UPDATE "{name}" SET subscriber = \'\' WHERE platform = ? AND workspace = ? '
                             'AND subscriber = ?', [platform, workspace, user])
            if cur.rowcount:
                deleted[f"{name} (as contact)"] = cur.rowcount
    return deleted


def cmd_export(coach, req, args: str) -> list[Reply]:
    data = export_user(coach.db, req.platform, req.workspace, req.user, coach.clock())
    body = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    count = sum(len(rows) for rows in data["tables"].values())
    return [Reply(title="Your data", text=f"Everything I hold on you in this workspace ({_records(count)}):\n"
                  f"```json\n{body}\n```", ephemeral=True, kind="info")]


def _forget(coach, req) -> list[Reply]:
    deleted = forget_user(coach.db, req.platform, req.workspace, req.user)
    total = sum(deleted.values())
    return [info(f"Done: I deleted everything I held on you in this workspace ({_records(total)}). "
                 "If you use me again I start from scratch.", ephemeral=True)]


def cmd_forget(coach, req, args: str) -> list[Reply]:
    if args.strip().lower() == "confirm":
        return _forget(coach, req)
    if args.strip():
        return [error("To delete your data, type `forget-me confirm` or click the button.")]
    return [Reply(
        title="Delete all your data?",
        text="This deletes your progress, review schedule, answers, settings and subscriptions in this "
             "workspace, for good. Type `forget-me confirm` or click the button.",
        buttons=(Button("Delete everything", CONFIRM_ACTION, style="danger"),),
        ephemeral=True, kind="info")]


def on_action(coach, req, parts: list[str]) -> list[Reply]:
    if parts[1:] == ["forget", "confirm"]:
        return _forget(coach, req)
    return [error("That button is no longer active. Type `forget-me` to delete your data.")]


COMMANDS = [
    Command("export-me", cmd_export, "export-me", "everything I hold on you, as JSON", aliases=("exportme",), order=90),
    Command("forget-me", cmd_forget, "forget-me", "delete everything I hold on you (asks first)",
            aliases=("forgetme",), order=91),
]
ACTIONS = {"privacy": on_action}
