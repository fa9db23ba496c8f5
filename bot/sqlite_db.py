"""The SQLite side of storage: one file, WAL, ``BEGIN IMMEDIATE`` for writers.

``SQLiteDatabase`` is the connection object every feature receives as ``db``; ``postgres_db``
offers the same methods, so features write their SQL once (in SQLite's spelling).
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

dialect = "sqlite"


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, location: str, read_only: bool = False):
        self.conn = conn  # the sqlite3 connection itself: tests and benches may use it directly
        self.location = location  # what to open again for another thread: a path or ":memory:"
        self.read_only = read_only

    # -------------------------------------------------------------- statements
    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------ transactions
    def begin_write(self, serialized: bool = True) -> None:
        # IMMEDIATE takes the write lock up front: writers queue on the busy timeout
        # instead of failing when a read transaction tries to upgrade. (SQLite has one
        # writer at a time whatever ``serialized`` says.)
        self.conn.execute("BEGIN IMMEDIATE")

    def take_write_lock(self) -> None:
        pass  # BEGIN IMMEDIATE took it

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        # SQLite may have rolled back already (disk full, I/O error): don't mask the real error
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def lock_wait(self) -> float:
        return self.conn.execute("PRAGMA busy_timeout").fetchone()[0] / 1000

    def set_lock_wait(self, seconds: float) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    # ------------------------------------------------------------ bulk copy (coach db copy)
    def copy_rows(self, table: str, columns: list[str], rows) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})', rows)

    def reset_ids(self, table: str) -> None:
        """Nothing to do: SQLite numbers the next rowid after the largest there."""

    # ------------------------------------------------------------ the schema
    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                 [name]).fetchone() is not None

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")')]

    def foreign_keys(self, table: str) -> list[tuple[str, str, str, str]]:
        """(column, parent table, parent column, ON DELETE action) of each foreign key."""
        return [(r[3], r[2], r[4] or "rowid", r[6].upper())
                for r in self.conn.execute(f'PRAGMA foreign_key_list("{table}")')]

    def cascade_foreign_key(self, table: str, parent: str) -> None:
        """Rebuild ``table`` so its rows are deleted with the ``parent`` row they reference.

        SQLite can't alter a constraint, so this is its documented copy-and-rename, run inside
        the migration's transaction. The new table is made from the stored CREATE statement,
        so columns a later migration added survive; rows whose parent is already gone can't
        satisfy the constraint and are dropped.
        """
        # atomic: the reference with its column list, never a shorter match that dodges the look-ahead
        ref = rf'((?>REFERENCES\s+"?{re.escape(parent)}\b"?\s*(?:\([^)]*\))?))(?!\s*ON\s+DELETE)'
        keys = [(col, to) for col, to_table, to, _ in self.foreign_keys(table) if to_table == parent]
        kept = " AND ".join(f'("{col}" IS NULL OR "{col}" IN (SELECT "{to}" FROM "{parent}"))'
                            for col, to in keys) or "1"
        self._rebuild(table, lambda sql: re.subn(ref, r"\1 ON DELETE CASCADE", sql, flags=re.I), kept)

    def relax_column(self, table: str, column: str, check_adds: tuple[str, str] | None = None) -> None:
        """Drop ``column``'s NOT NULL; with ``check_adds=(column, value)`` also let an
        ``IN (...)`` CHECK on that column accept ``value``. SQLite alters neither: rebuild."""
        def edit(sql: str):
            sql, n = re.subn(rf"({re.escape(column)}\s+\w+)\s+NOT\s+NULL", r"\1", sql, count=1, flags=re.I)
            if check_adds:
                col, value = check_adds
                sql = re.sub(rf"({re.escape(col)}\s+IN\s*\()([^)]*)\)",
                             lambda m: m.group(1) + m.group(2) + f", '{value}')"
                             if f"'{value}'" not in m.group(2) else m.group(0), sql, count=1, flags=re.I)
            return sql, 1
        self._rebuild(table, edit, "1")

    def _rebuild(self, table: str, edit, kept: str) -> None:
        sql = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                [table]).fetchone()[0]
        sql, changed = edit(sql)
        if not changed:
            return
        temp = f"_{table}_rebuilt"
        sql = re.sub(rf'^\s*CREATE\s+TABLE\s+(?:"{re.escape(table)}"|{re.escape(table)})', f'CREATE TABLE "{temp}"',
                     sql, count=1, flags=re.I)
        extras = [r[0] for r in self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            [table])]
        self.conn.execute(sql)
        self.conn.execute(f'INSERT INTO "{temp}" SELECT * FROM "{table}" WHERE {kept}')
        self.conn.execute(f'DROP TABLE "{table}"')
        self.conn.execute(f'ALTER TABLE "{temp}" RENAME TO "{table}"')
        for extra in extras:
            self.conn.execute(extra)


def connect(path: str, *, read_only: bool = False, timeout: float,
            skip_when_read_only: tuple[str, ...] = ()) -> SQLiteDatabase:
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
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        conn.execute("PRAGMA synchronous = NORMAL")
    return SQLiteDatabase(conn, path, read_only)


def enable_wal(db: SQLiteDatabase) -> None:
    # read the mode first: no write (and no lock) unless it changes
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        db.conn.execute("PRAGMA journal_mode = wal")


def _skip_writes_to(tables: frozenset[str]):
    def authorize(action, table, _column, _schema, _trigger):
        if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE) and table in tables:
            return sqlite3.SQLITE_IGNORE  # the statement compiles to nothing: no write, no error
        return sqlite3.SQLITE_OK

    return authorize


_FAULTS = (("SQLITE_BUSY", "busy"), ("SQLITE_LOCKED", "busy"), ("SQLITE_READONLY", "read_only"),
           ("SQLITE_FULL", "full"), ("SQLITE_CANTOPEN", "cant_open"), ("SQLITE_NOTADB", "damaged"),
           ("SQLITE_CORRUPT", "damaged"), ("SQLITE_IOERR", "io"))
_MESSAGES = (("database is locked", "busy"), ("database table is locked", "busy"), ("readonly", "read_only"),
             ("disk is full", "full"), ("unable to open", "cant_open"), ("not a database", "damaged"),
             ("malformed", "damaged"), ("disk i/o error", "io"))


def fault(exc: sqlite3.Error) -> str | None:
    name = getattr(exc, "sqlite_errorname", "") or ""  # Python 3.11+
    for prefix, kind in _FAULTS:
        if name.startswith(prefix):
            return kind
    text = str(exc).lower()
    return next((kind for needle, kind in _MESSAGES if needle in text), None)
