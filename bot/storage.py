"""One SQLite file through sqlite-utils: WAL, versioned migrations, explicit transactions.

Each feature module owns a ``Migrations`` set (named steps applied once, in order),
so modules evolve their own tables without a central schema file to fight over.
"""
from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

log = logging.getLogger(__name__)

DEFAULT_DB = "coach.db"


def db_path() -> str:
    return os.environ.get("COACH_DB") or DEFAULT_DB


class Migrations:
    """Named, ordered schema steps; applied ones are recorded in ``_migrations``."""

    def __init__(self, name: str):
        self.name = name
        self.steps: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []

    def __call__(self, fn: Callable[[sqlite_utils.Database], None]):
        self.steps.append((fn.__name__, fn))
        return fn

    def apply(self, db: sqlite_utils.Database) -> list[str]:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (migration_set TEXT, name TEXT, applied_at TEXT "
            "DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (migration_set, name))"
        )
        applied = []
        for name, fn in self.steps:
            # BEGIN IMMEDIATE serialises two processes starting on a fresh file.
            with transaction(db):
                done = db.execute(
                    "SELECT 1 FROM _migrations WHERE migration_set = ? AND name = ?", [self.name, name]
                ).fetchone()
                if done:
                    continue
                fn(db)
                db.execute("INSERT INTO _migrations (migration_set, name) VALUES (?, ?)", [self.name, name])
                applied.append(name)
        return applied


_local = threading.local()


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction taken up front (BEGIN IMMEDIATE), so concurrent writers queue
    on the busy timeout instead of failing on upgrade; nested use joins the outer one.

    Inside, write with ``db.execute``: sqlite-utils' table helpers commit on their own.
    """
    depth = getattr(_local, "depth", {})
    _local.depth = depth
    key = id(db.conn)
    if depth.get(key):
        depth[key] += 1
        try:
            yield db
        finally:
            depth[key] -= 1
        return
    db.conn.execute("BEGIN IMMEDIATE")
    depth[key] = 1
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")
    finally:
        depth[key] = 0


def open_db(path: str | os.PathLike | None = None, migrations: tuple[Migrations, ...] = ()) -> sqlite_utils.Database:
    """Open (creating if needed) the database file and bring its schema up to date."""
    path = str(path or db_path())
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves; timeout waits out other writers.
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    if path != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    for m in migrations:
        m.apply(db)
    return db


def cascade_foreign_key(db: sqlite_utils.Database, table: str, parent: str) -> None:
    """Rebuild ``table`` so its rows are deleted with the ``parent`` row they reference.

    SQLite can't alter a constraint, so this is its documented copy-and-rename, run inside
    the migration's transaction. The new table is made from the stored CREATE statement,
    so columns a later migration added survive; rows whose parent is already gone can't
    satisfy the constraint and are dropped.
    """
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
    # atomic: the reference with its column list, never a shorter match that dodges the look-ahead
    ref = rf'((?>REFERENCES\s+"?{re.escape(parent)}\b"?\s*(?:\([^)]*\))?))(?!\s*ON\s+DELETE)'
    sql, found = re.subn(ref, r"\1 ON DELETE CASCADE", sql, flags=re.I)
    if not found:
        return
    temp = f"_{table}_rebuilt"
    sql = re.sub(rf'^\s*CREATE\s+TABLE\s+(?:"{re.escape(table)}"|{re.escape(table)})', f'CREATE TABLE "{temp}"',
                 sql, count=1, flags=re.I)
    extras = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        [table])]
    keys = [(r[3], r[4]) for r in db.execute(f'PRAGMA foreign_key_list("{table}")') if r[2] == parent]
    kept = " AND ".join(f'("{col}" IS NULL OR "{col}" IN (SELECT "{to or "rowid"}" FROM "{parent}"))'
                        for col, to in keys) or "1"
    db.execute(sql)
    db.execute(f'INSERT INTO "{temp}" SELECT * FROM "{table}" WHERE {kept}')
    db.execute(f'DROP TABLE "{table}"')
    db.execute(f'ALTER TABLE "{temp}" RENAME TO "{table}"')
    for extra in extras:
        db.execute(extra)
