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
# How long a write waits for another process's write: a person is waiting on an interactive
# request (then "busy, try again"); the scheduler and the command line can wait longer.
INTERACTIVE_BUSY_S = 2.0
BATCH_BUSY_S = 30.0


def db_path() -> str:
    return os.environ.get("COACH_DB") or DEFAULT_DB


class StorageError(Exception):
    """The database can't be opened or used as asked; the message is one sentence for an operator."""


class Migrations:
    """Named, ordered schema steps; applied ones are recorded in ``_migrations``."""

    def __init__(self, name: str):
        self.name = name
        self.steps: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []

    def __call__(self, fn: Callable[[sqlite_utils.Database], None]):
        self.steps.append((fn.__name__, fn))
        return fn

    def pending(self, db: sqlite_utils.Database) -> list[str]:
        """The steps not applied yet, read without taking the write lock."""
        return [name for name, _ in self.steps if (self.name, name) not in _applied(db)]

    def apply(self, db: sqlite_utils.Database) -> list[str]:
        todo = set(self.pending(db))
        if not todo:
            return []  # the common start: no write lock taken at all
        if not _has_table(db, "_migrations"):
            db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (migration_set TEXT, name TEXT, applied_at TEXT "
                "DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (migration_set, name))"
            )
        applied = []
        for name, fn in self.steps:
            if name not in todo:
                continue
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


def _has_table(db: sqlite_utils.Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None


def _applied(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    if not _has_table(db, "_migrations"):
        return set()
    return set(db.execute("SELECT migration_set, name FROM _migrations").fetchall())


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
        db.conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (disk full, I/O error): don't mask the real error
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    finally:
        depth[key] = 0


def connect(path: str, *, read_only: bool = False, timeout: float = BATCH_BUSY_S,
            skip_when_read_only: tuple[str, ...] = ()) -> sqlite_utils.Database:
    """The one place a connection is made (a worker thread opens its own through here, with
    the ``read_only`` and ``skip_when_read_only`` its first connection got from ``open_db``).

    ``timeout`` is how long a write waits for another writer: short for a person waiting,
    long for the scheduler and the command line.
    """
    if read_only:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # a WAL file in a folder we can't write: SQLite can't make its shared-memory file,
            # so read the file as it stands
            conn.close()
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, timeout=timeout,
                                   check_same_thread=False)
    else:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves; timeout waits out other writers.
        conn = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=False)
    if read_only and skip_when_read_only:
        conn.set_authorizer(_skip_writes_to(frozenset(skip_when_read_only)))
    # No sqlite-utils plugins: we use none, and looking for them scans every installed package's
    # metadata (a fifth of a cold `coach ask`).
    db = sqlite_utils.Database(conn, execute_plugins=False)
    db.read_only = read_only
    db.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        db.execute("PRAGMA synchronous = NORMAL")
    return db


def open_db(path: str | os.PathLike | None = None, migrations: tuple[Migrations, ...] = (), *,
            timeout: float = BATCH_BUSY_S, skip_when_read_only: tuple[str, ...] = ()) -> sqlite_utils.Database:
    """Open (creating if needed) the database file and bring its schema up to date.

    Raises StorageError with one sentence when the file can't be used: a folder that is a
    file or can't be written, a damaged file, a read-only file that needs a migration.
    A read-only file that is up to date opens read-only: reading works, writes fail with
    SQLITE_READONLY, and writes to ``skip_when_read_only`` tables (logs a reading command
    keeps on the side) are skipped so reading commands still answer.
    """
    path = str(path or db_path())
    read_only = False
    if path != ":memory:":
        read_only = _prepare_place(Path(path))
    try:
        db = connect(path, read_only=read_only, timeout=timeout, skip_when_read_only=skip_when_read_only)
        _check_readable(db)
        if read_only:
            pending = [f"{m.name}.{name}" for m in migrations for name in m.pending(db)]
            if pending:
                raise StorageError(f"{path} is read-only and needs an upgrade for this version "
                                   f"({len(pending)} schema steps): make it writable and start once.")
            return db
        if path != ":memory:":
            db.enable_wal()  # reads the mode first: no write unless it changes
        for m in migrations:
            m.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(describe(exc, path)) from exc
    return db


def _prepare_place(path: Path) -> bool:
    """Make the database's folder if needed; True when the file can only be read."""
    parent = path.parent
    for folder in (parent, *parent.parents):
        if folder.exists() and not folder.is_dir():
            raise StorageError(f"Can't use {path}: {folder} is a file, not a folder.")
        if folder.exists():
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Can't create the folder {parent} for {path}: {exc.strerror or exc}.") from exc
    if path.is_dir():
        raise StorageError(f"Can't use {path}: it is a folder, not a database file.")
    folder_writable = os.access(parent, os.W_OK)
    if not path.exists():
        if not folder_writable:
            raise StorageError(f"Can't create {path}: the folder {parent} is not writable.")
        return False
    if not os.access(path, os.R_OK):
        raise StorageError(f"Can't read {path}: permission denied.")
    return not (os.access(path, os.W_OK) and folder_writable)


def _check_readable(db: sqlite_utils.Database) -> None:
    """Fail at start on a file that isn't a whole SQLite database: reading the schema opens
    the file's first page, where SQLite notices garbage (NOTADB) and a file shorter than its
    header says (CORRUPT)."""
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()


_FAULTS = (("SQLITE_BUSY", "busy"), ("SQLITE_LOCKED", "busy"), ("SQLITE_READONLY", "read_only"),
           ("SQLITE_FULL", "full"), ("SQLITE_CANTOPEN", "cant_open"), ("SQLITE_NOTADB", "damaged"),
           ("SQLITE_CORRUPT", "damaged"), ("SQLITE_IOERR", "io"))
_MESSAGES = (("database is locked", "busy"), ("database table is locked", "busy"), ("readonly", "read_only"),
             ("disk is full", "full"), ("unable to open", "cant_open"), ("not a database", "damaged"),
             ("malformed", "damaged"), ("disk i/o error", "io"))


def fault(exc: BaseException) -> str | None:
    """What kind of storage fault an exception is: busy, read_only, full, cant_open, damaged, io."""
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""  # Python 3.11+
    for prefix, kind in _FAULTS:
        if name.startswith(prefix):
            return kind
    text = str(exc).lower()
    return next((kind for needle, kind in _MESSAGES if needle in text), None)


def describe(exc: BaseException, path: str) -> str:
    """One sentence for an operator about a database that can't be used."""
    kind = fault(exc)
    if kind == "damaged":
        return (f"{path} is not a usable PM Coach database (damaged, or not SQLite: {exc}). "
                "Restore it from a backup or point COACH_DB at another file.")
    if kind == "busy":
        return f"{path} is locked by another process that is writing to it; try again when it is done."
    if kind == "read_only":
        return f"{path} can't be written (a read-only file or folder)."
    if kind == "full":
        return f"The disk holding {path} is full."
    if kind == "cant_open":
        return f"Can't open {path} ({exc})."
    return f"Can't use the database {path}: {exc}."


def _skip_writes_to(tables: frozenset[str]):
    def authorize(action, table, _column, _schema, _trigger):
        if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE) and table in tables:
            return sqlite3.SQLITE_IGNORE  # the statement compiles to nothing: no write, no error
        return sqlite3.SQLITE_OK

    return authorize


@contextmanager
def busy_timeout(db: sqlite_utils.Database, seconds: float) -> Iterator[None]:
    """Wait at most ``seconds`` for another writer within this block (then SQLITE_BUSY)."""
    before = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(before)}")


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
