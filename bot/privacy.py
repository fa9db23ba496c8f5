"""export-me / forget-me: everything we hold on a user in one workspace.

Generic on purpose: any table with ``platform``, ``workspace`` and ``user`` columns is a
table of user data, so features added later are exported and forgotten without
changes here. A shared row that merely names someone (a channel subscription they set
up: ``subscriber``) is exported to them, and on forget-me loses their name but stays.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import storage
from .commands import Command
from .messages import Button, Reply, error, info
from .review import stamp
from .storage import Migrations, cascade_foreign_key, transaction

MIGRATIONS = Migrations("privacy")
CONFIRM_ACTION = "privacy:forget:confirm"
OWNER_COLUMN = "user"  # the row is the person's: exported, and deleted on forget-me
# Columns naming the person who acted on a row that belongs to others (a channel's subscription):
# exported, and blanked on forget-me.
CONTACT_COLUMNS = ("subscriber",)
MAX_DEPTH = 8  # foreign-key chains followed when deleting rows that depend on the person's rows


@dataclass(frozen=True)
class ForeignTable:
    """A table another library keeps (Slack's OAuth installations) that names a person under its
    own column names. Its rows are the workspace's, not the person's: export-me shows the rows that
    name them (secrets withheld); forget-me empties the columns about them and keeps the row, so
    the workspace's installation goes on working."""
    table: str
    platform: str
    workspace_column: str
    person_column: str  # emptied ('') on forget-me
    cleared: tuple[str, ...] = ()  # the person's own columns (their token, scopes): NULL on forget-me
    withheld: tuple[str, ...] = ()  # credentials: never exported
    database: str = ""  # "" = the coach's own file; else a path of its own

    def _open(self, db):
        return storage.connect(self.database) if self.database else db

    def _present(self, conn) -> bool:
        return conn.has_table(self.table)

    def export(self, db, platform: str, workspace: str, user: str) -> list[dict]:
        if platform != self.platform:
            return []
        conn = self._open(db)
        try:
            if not self._present(conn):
                return []
            cur = conn.execute(f'SELECT * FROM "{self.table}" WHERE "{self.workspace_column}" = ? '
                               f'AND "{self.person_column}" = ?', [workspace, user])
            cols = [c[0] for c in cur.description]
            return [{c: ("(withheld)" if c in self.withheld and v is not None else v) for c, v in zip(cols, row)}
                    for row in cur.fetchall()]
        finally:
            if conn is not db:
                conn.close()

    def forget(self, db, platform: str, workspace: str, user: str) -> int:
        if platform != self.platform:
            return 0
        conn = self._open(db)
        try:
            if not self._present(conn):
                return 0
            sets = ", ".join([f'"{self.person_column}" = \'\''] + [f'"{c}" = NULL' for c in self.cleared])
            n = conn.execute(f'UPDATE "{self.table}" SET {sets} WHERE "{self.workspace_column}" = ? '
                             f'AND "{self.person_column}" = ?', [workspace, user]).rowcount
            return n
        finally:
            if conn is not db:
                conn.close()


def register_foreign_table(coach, table: ForeignTable) -> None:
    """Cover ``table`` in this coach's export-me / forget-me (called by the adapter that owns the
    table: bot/ never imports a platform library); once, however often an app is built."""
    tables = coach.foreign_tables
    tables[:] = [t for t in tables if (t.table, t.platform) != (table.table, table.platform)] + [table]


@MIGRATIONS
def m001_votes_go_with_their_answer(db):
    # Someone's 👍 on your answer referenced your logged question without ON DELETE, so
    # forget-me failed for ever with "FOREIGN KEY constraint failed".
    if db.has_table("answer_feedback"):
        cascade_foreign_key(db, "answer_feedback", "answer_log")


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


def _tables(db) -> dict[str, set[str]]:
    """{table: its columns} for every table we can read."""
    out = {}
    for name in db.table_names():
        try:
            out[name] = set(db.columns(name))
        except Exception:  # a virtual table whose module isn't loaded: not ours to read
            continue
    return out


def _tables_with(db, *columns: str) -> list[str]:
    return [name for name, cols in _tables(db).items() if {"platform", "workspace", *columns} <= cols]


def user_tables(db) -> list[str]:
    return _tables_with(db, OWNER_COLUMN)


def _naming_columns(cols: set[str]) -> list[str]:
    """The columns of a per-workspace table that can hold a person's id."""
    if not {"platform", "workspace"} <= cols:
        return []
    return [c for c in (OWNER_COLUMN, *CONTACT_COLUMNS) if c in cols]


def export_user(db, platform: str, workspace: str, user: str, now, foreign=()) -> dict:
    tables = {}
    for name, cols in _tables(db).items():
        naming = _naming_columns(cols)
        if not naming:
            continue
        who = " OR ".join(f'"{c}" = ?' for c in naming)
        cur = db.execute(f'SELECT * FROM "{name}" WHERE platform = ? AND workspace = ? AND ({who})',
                         [platform, workspace, *[user] * len(naming)])
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        if rows:
            tables[name] = rows
    for table in foreign:
        rows = table.export(db, platform, workspace, user)
        if rows:
            tables[table.table] = rows
    return {"platform": platform, "workspace": workspace, "user": user, "exported_at": stamp(now),
            "tables": tables}


def _referencing(db, parent: str) -> list[tuple[str, str, str]]:
    """(table, column, parent column) for every foreign key that points at ``parent`` and would
    refuse or cascade the parent's deletion (SET NULL keeps the child row: SQLite does that itself)."""
    out = []
    for name in _tables(db):
        for column, to_table, to_column, on_delete in db.foreign_keys(name):
            if to_table == parent and name != parent and on_delete not in ("SET NULL", "SET DEFAULT"):
                out.append((name, column, to_column))
    return out


def _delete(db, table: str, where: str, params: list, depth: int = 0) -> int:
    """Delete matching rows, and first the rows that reference them (children before parents),
    so no foreign key — cascading or not — can make forget-me fail."""
    if depth < MAX_DEPTH:
        for child, col, key in _referencing(db, table):
            _delete(db, child, f'"{col}" IN (SELECT "{key}" FROM "{table}" WHERE {where})', params, depth + 1)
    return db.execute(f'DELETE FROM "{table}" WHERE {where}', params).rowcount


def forget_user(db, platform: str, workspace: str, user: str, foreign=()) -> dict[str, int]:
    """Delete the user's rows everywhere, atomically; {table: rows deleted}."""
    deleted = {}
    with transaction(db):
        for name in user_tables(db):
            n = _delete(db, name, f'platform = ? AND workspace = ? AND "{OWNER_COLUMN}" = ?',
                        [platform, workspace, user])
            if n:
                deleted[name] = n
        # A channel's subscription belongs to the channel and stays; only the forgotten
        # person's id as its contact goes.
        for column in CONTACT_COLUMNS:
            for name in _tables_with(db, column):
                cur = db.execute(f'UPDATE "{name}" SET "{column}" = \'\' WHERE platform = ? AND workspace = ? '
                                 f'AND "{column}" = ?', [platform, workspace, user])
                if cur.rowcount:
                    deleted[f"{name} (as contact)"] = cur.rowcount
        for table in foreign:
            n = table.forget(db, platform, workspace, user)
            if n:
                deleted[f"{table.table} (name removed)"] = n
    return deleted


def cmd_export(coach, req, args: str) -> list[Reply]:
    data = export_user(coach.db, req.platform, req.workspace, req.user, coach.clock(), coach.foreign_tables)
    body = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    count = sum(len(rows) for rows in data["tables"].values())
    return [Reply(title="Your data", text=f"Everything I hold on you in this workspace ({_records(count)}):\n"
                  f"```json\n{body}\n```", ephemeral=True, kind="info")]


def _forget(coach, req) -> list[Reply]:
    deleted = forget_user(coach.db, req.platform, req.workspace, req.user, coach.foreign_tables)
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
    Command("export-me", cmd_export, "export-me", "everything I hold on you, as JSON", aliases=("exportme",), order=90,
            remembers=False),
    Command("forget-me", cmd_forget, "forget-me", "delete everything I hold on you (asks first)",
            aliases=("forgetme",), order=91, remembers=False),
]
ACTIONS = {"privacy": on_action}
