"""Where state lives: one SQLite file (the default) or one PostgreSQL database (``COACH_DB=postgresql://…``).

Features receive a ``db`` with one interface on both (``sqlite_db.SQLiteDatabase``,
``postgres_db.PostgresDatabase``): ``execute``/``executemany`` taking SQLite's spelling,
write transactions, and a few schema questions (tables, columns, foreign keys). Each feature
module owns a ``Migrations`` set (named steps applied once, in order), so modules evolve their
own tables without a central schema file to fight over; every step runs on both databases.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from . import sqlite_db

log = logging.getLogger(__name__)

DEFAULT_DB = "coach.db"
# How long a write waits for another process's write: a person is waiting on an interactive
# request (then "busy, try again"); the scheduler and the command line can wait longer.
INTERACTIVE_BUSY_S = 2.0
BATCH_BUSY_S = 30.0
# Errors of either database: PostgreSQL's are raised as subclasses of these (postgres_db).
Error = sqlite3.Error


def db_path() -> str:
    return os.environ.get("COACH_DB") or DEFAULT_DB


def is_postgres(location: str | os.PathLike | None) -> bool:
    return str(location or "").startswith(("postgresql://", "postgres://"))


def shown(location: str) -> str:
    """The database's name for a message or a log line: a PostgreSQL URL without its password
    (no psycopg needed: this also names a database whose driver is missing)."""
    location = str(location)
    if not is_postgres(location):
        return location
    try:
        parts = urlsplit(location)
        password = parts.password
    except ValueError:  # a URL too broken to parse (an unclosed "[" host): name no more than its kind
        return location.split("://", 1)[0] + "://…"
    if password is None:
        return location
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{password}@", ":***@", 1)))


def said(exc: BaseException, location: str) -> str:
    """What the server or libpq said, as one line without the URL's password (libpq quotes
    connection strings it can't parse, and its hints come on lines of their own)."""
    text = " ".join(str(exc).split()).rstrip(".")
    try:
        password = urlsplit(str(location)).password if is_postgres(location) else None
    except ValueError:
        return "the URL can't be read (check its host and port)"
    if password:
        for form in {password, unquote(password)}:
            text = text.replace(form, "***")
    return text


class StorageError(Exception):
    """The database can't be opened or used as asked; the message is one sentence for an operator."""


class Migrations:
    """Named, ordered schema steps; applied ones are recorded in ``_migrations``."""

    def __init__(self, name: str):
        self.name = name
        self.steps: list[tuple[str, Callable]] = []

    def __call__(self, fn: Callable):
        self.steps.append((fn.__name__, fn))
        return fn

    def pending(self, db) -> list[str]:
        """The steps not applied yet, read without taking the write lock."""
        return [name for name, _ in self.steps if (self.name, name) not in _applied(db)]

    def apply(self, db) -> list[str]:
        todo = set(self.pending(db))
        if not todo:
            return []  # the common start: no write lock taken at all
        applied = []
        for name, fn in self.steps:
            if name not in todo:
                continue
            # the write lock serialises two processes starting on a fresh database
            with transaction(db):
                db.execute(
                    "CREATE TABLE IF NOT EXISTS _migrations (migration_set TEXT, name TEXT, applied_at TEXT "
                    "DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (migration_set, name))"
                )
                done = db.execute(
                    "SELECT 1 FROM _migrations WHERE migration_set = ? AND name = ?", [self.name, name]
                ).fetchone()
                if done:
                    continue
                fn(db)
                db.execute("INSERT INTO _migrations (migration_set, name) VALUES (?, ?)", [self.name, name])
                applied.append(name)
        return applied


def _applied(db) -> set[tuple[str, str]]:
    if not db.has_table("_migrations"):
        return set()
    return {tuple(r) for r in db.execute("SELECT migration_set, name FROM _migrations").fetchall()}


_local = threading.local()


@contextmanager
def transaction(db, *, serialized: bool = True) -> Iterator:
    """A write transaction that holds the write lock from its start (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory lock), so concurrent writers queue on the busy timeout instead of
    failing half-way; nested use joins the outer one.

    ``serialized=False`` is for work whose every statement is safe on its own (updates of rows it
    owns, inserts a unique key settles): on PostgreSQL it takes no advisory lock, so several
    processes write at once, each holding only its rows' locks; SQLite has its one write lock
    either way. A serialized transaction nested in it takes the lock then, to the outer one's end."""
    depth = getattr(_local, "depth", {})
    _local.depth = depth
    locked = getattr(_local, "locked", {})
    _local.locked = locked
    key = id(db)
    if depth.get(key):
        if serialized and not locked.get(key):
            # every time (PostgreSQL's lock is re-entrant): a savepoint rolled back releases it again
            db.take_write_lock()
        depth[key] += 1
        try:
            yield db
        finally:
            depth[key] -= 1
        return
    db.begin_write(serialized=serialized)
    depth[key], locked[key] = 1, serialized
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        depth[key], locked[key] = 0, False


def connect(location: str, *, read_only: bool = False, timeout: float = BATCH_BUSY_S,
            skip_when_read_only: tuple[str, ...] = ()):
    """The one place a connection is made (a worker thread opens its own through here, with
    the ``read_only`` and ``skip_when_read_only`` its first connection got from ``open_db``).

    ``timeout`` is how long a write waits for another writer: short for a person waiting,
    long for the scheduler and the command line.
    """
    if is_postgres(location):
        try:
            from . import postgres_db  # psycopg only where PostgreSQL is used
        except ImportError as exc:
            raise StorageError(f"{shown(location)} is a PostgreSQL database and its driver is not installed: "
                               "pip install -e '.[postgres]' (psycopg).") from exc
        return postgres_db.connect(location, timeout=timeout)
    return sqlite_db.connect(location, read_only=read_only, timeout=timeout,
                             skip_when_read_only=skip_when_read_only)


def open_db(location: str | os.PathLike | None = None, migrations: tuple[Migrations, ...] = (), *,
            timeout: float = BATCH_BUSY_S, skip_when_read_only: tuple[str, ...] = ()):
    """Open the database (creating a SQLite file if needed) and bring its schema up to date.

    Raises StorageError with one sentence when it can't be used: a folder that is a file or
    can't be written, a damaged file, a read-only file that needs a migration, a PostgreSQL
    server that can't be reached. A read-only SQLite file that is up to date opens read-only:
    reading works, writes fail with SQLITE_READONLY, and writes to ``skip_when_read_only``
    tables (logs a reading command keeps on the side) are skipped so reading commands answer.
    """
    location = str(location or db_path())
    read_only = False
    postgres = is_postgres(location)
    if location != ":memory:" and not postgres:
        read_only = _prepare_place(Path(location))
    try:
        db = connect(location, read_only=read_only, timeout=timeout, skip_when_read_only=skip_when_read_only)
        if not postgres:
            _check_readable(db)
        if read_only:
            pending = [f"{m.name}.{name}" for m in migrations for name in m.pending(db)]
            if pending:
                raise StorageError(f"{location} is read-only and needs an upgrade for this version "
                                   f"({len(pending)} schema steps): make it writable and start once.")
            return db
        if location != ":memory:" and not postgres:
            sqlite_db.enable_wal(db)
        for m in migrations:
            m.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(describe(exc, location)) from exc
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


def _check_readable(db) -> None:
    """Fail at start on a file that isn't a whole SQLite database: reading the schema opens
    the file's first page, where SQLite notices garbage (NOTADB) and a file shorter than its
    header says (CORRUPT)."""
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()


def fault(exc: BaseException) -> str | None:
    """What kind of storage fault an exception is: busy, read_only, full, cant_open, damaged, io."""
    if not isinstance(exc, sqlite3.Error):
        return None
    return sqlite_db.fault(exc)


def describe(exc: BaseException, location: str) -> str:
    """One sentence for an operator about a database that can't be used."""
    kind = fault(exc)
    where = shown(location)
    if is_postgres(location):
        if kind == "busy":
            return f"{where} is busy: another process holds its write lock; try again when it is done."
        return f"Can't use the PostgreSQL database {where}: {said(exc, location)}."
    if kind == "damaged":
        return (f"{where} is not a usable PM Coach database (damaged, or not SQLite: {exc}). "
                "Restore it from a backup or point COACH_DB at another file.")
    if kind == "busy":
        return f"{where} is locked by another process that is writing to it; try again when it is done."
    if kind == "read_only":
        return f"{where} can't be written (a read-only file or folder)."
    if kind == "full":
        return f"The disk holding {where} is full."
    if kind == "cant_open":
        return f"Can't open {where} ({exc})."
    return f"Can't use the database {where}: {exc}."


@contextmanager
def busy_timeout(db, seconds: float) -> Iterator[None]:
    """Wait at most ``seconds`` for another writer within this block (then a "busy" fault)."""
    before = db.lock_wait()
    db.set_lock_wait(seconds)
    try:
        yield
    finally:
        db.set_lock_wait(before)


def cascade_foreign_key(db, table: str, parent: str) -> None:
    """Make ``table``'s rows go with the ``parent`` row they reference (ON DELETE CASCADE)."""
    db.cascade_foreign_key(table, parent)
