"""One SQLite file through sqlite-utils: WAL, versioned migrations, explicit transactions.

Each feature module owns a ``Migrations`` set (named steps applied once, in order),
so modules evolve their own tables without a central schema file to fight over.
"""
from __future__ import annotations

import logging
import os
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
