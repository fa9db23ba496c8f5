"""``coach db copy --to postgresql://…``: move a SQLite file's state to PostgreSQL, so a team that
outgrows one process keeps its history.

The target's schema comes from running every migration there (the same steps a ``coach run`` would
take), then each state table is copied in foreign-key order (parents first), streamed in batches,
inside one write transaction: a failure leaves the target as it was. The content index is not
copied (derived data, rebuilt from ``content/`` by each process), nor ``_migrations`` (the target
records its own). Row counts are compared per table before the commit. A target that already
holds rows is refused unless ``force``, which replaces them, so running the copy again gives the
same result.
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from . import storage
from .storage import StorageError, transaction

BATCH = 5_000  # rows read from the source at a time: memory stays flat whatever the table's size


class CopyError(Exception):
    """The copy can't be made as asked; the message is one sentence for an operator."""


@dataclass
class CopyReport:
    source: str
    target: str
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # (table, source rows, target rows)
    replaced: int = 0  # rows the target held before (with force)
    skipped: list[str] = field(default_factory=list)  # source tables no migration makes: not copied
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(n for _, n, _ in self.counts)

    def lines(self) -> list[str]:
        width = max([len("table"), *(len(t) for t, _, _ in self.counts)])
        out = [f"{'table':<{width}}  {'source':>9}  {'target':>9}"]
        out += [f"{t:<{width}}  {s:>9,}  {d:>9,}" for t, s, d in self.counts]
        out.append(f"{'total':<{width}}  {self.rows:>9,}  {sum(d for _, _, d in self.counts):>9,}")
        for table in self.skipped:
            out.append(f"skipped {table}: no migration of this version makes it")
        replaced = f", replacing {self.replaced:,} rows it held" if self.replaced else ""
        out.append(f"Copied {self.rows:,} rows in {len(self.counts)} tables from {self.source} to "
                   f"{storage.shown(self.target)}{replaced} in {self.seconds:.2f} s; every count matches.")
        return out


def derived_tables() -> set[str]:
    """Tables that are not state: the content index (whatever its steps make) and the migration record."""
    from .answers import INDEX

    scratch = storage.open_db(":memory:", (INDEX,))
    try:
        return set(scratch.table_names())  # includes _migrations and FTS5's shadow tables
    finally:
        scratch.close()


def copy(source: str, target: str, migrations, *, force: bool = False) -> CopyReport:
    """Copy the state in the SQLite file ``source`` to ``target`` (a PostgreSQL URL)."""
    started = time.perf_counter()
    if storage.is_postgres(source):
        raise CopyError(f"The source must be a SQLite file, not {storage.shown(source)}: give --from PATH.")
    path = Path(source)
    if not path.is_file():
        raise CopyError(f"No SQLite file at {source} to copy from." if not path.is_dir()
                        else f"{source} is a folder, not a SQLite file.")
    # The source is brought up to this version's schema first (what any start does), so its rows
    # fit the tables the same migrations make on the target.
    src = storage.open_db(source, migrations)
    try:
        dst = storage.open_db(target, migrations)
        try:
            return _copy(src, dst, source, target, force, started)
        finally:
            dst.close()
    finally:
        src.close()


def _copy(src, dst, source: str, target: str, force: bool, started: float) -> CopyReport:
    report = CopyReport(source, target)
    reader = sqlite_utils.Database(src.conn)
    derived = derived_tables()
    wanted = [t for t in reader.table_names() if t not in derived and not t.startswith("sqlite_")]
    present = set(dst.table_names())
    report.skipped = [t for t in wanted if t not in present]
    tables = _parents_first([t for t in wanted if t in present], dst)
    src.execute("BEGIN")  # one snapshot of the source, even while a coach writes to it
    try:
        with transaction(dst):  # the target's write lock: no scheduler writes half-way through the copy
            held = {t: _count(dst, t) for t in tables}
            if any(held.values()) and not force:
                busy = ", ".join(f"{t} {n:,}" for t, n in held.items() if n)
                raise CopyError(f"{storage.shown(target)} already holds PM Coach data ({busy}); "
                                "add --force to replace it with the copy.")
            for table in reversed(tables):  # children first: no foreign key refuses the delete
                if held[table]:
                    dst.execute(f'DELETE FROM "{table}"')
            report.replaced = sum(held.values())
            for table in tables:
                columns = _columns(reader, dst, table)
                rows = reader.execute(f'SELECT {", ".join(_quoted(columns))} FROM "{table}"')
                dst.copy_rows(table, columns, _batches(rows))
                dst.reset_ids(table)
            report.counts = [(t, _count(src, t), _count(dst, t)) for t in tables]
            wrong = [f"{t} {s:,} → {d:,}" for t, s, d in report.counts if s != d]
            if wrong:
                raise CopyError(f"Row counts differ after the copy ({', '.join(wrong)}); nothing was changed.")
    finally:
        src.execute("COMMIT")
    # Statistics for the planner now, not when autovacuum first gets round to it: without them
    # PostgreSQL reads a whole workspace's rows where an index finds a batch's few (measured: a
    # burst's per-batch reads 0.9 ms → 0.07 ms).
    dst.execute("ANALYZE")
    report.seconds = time.perf_counter() - started
    return report


def _columns(reader: sqlite_utils.Database, dst, table: str) -> list[str]:
    theirs = set(dst.columns(table))
    ours = reader[table].columns_dict
    missing = [c for c in ours if c not in theirs]
    if missing:
        raise CopyError(f"The target's {table} has no column {', '.join(missing)}: "
                        "is it made by another version of PM Coach?")
    return list(ours)


def _batches(cursor):
    while True:
        batch = cursor.fetchmany(BATCH)
        if not batch:
            return
        yield from batch


def _quoted(columns: list[str]) -> list[str]:
    return [f'"{c}"' for c in columns]


def _count(db, table: str) -> int:
    return db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def _parents_first(tables: list[str], db) -> list[str]:
    """``tables`` ordered so that every table comes after the tables its foreign keys point at."""
    parents = {t: {p for _, p, _, _ in db.foreign_keys(t) if p in tables and p != t} for t in tables}
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, ps in parents.items() if not ps)
        if not ready:  # a cycle: PostgreSQL would refuse a row somewhere; say so rather than guess
            raise CopyError(f"The tables {', '.join(sorted(parents))} reference each other in a cycle.")
        ordered += ready
        parents = {t: ps - set(ready) for t, ps in parents.items() if t not in ready}
    return ordered


def main(source: str, target: str, migrations, force: bool, out, err) -> int:
    """The command line's part: the table of counts on ``out``, one sentence on ``err`` on failure."""
    if not storage.is_postgres(target):
        print(f"coach db copy: --to needs a postgresql:// URL (got {target!r}).", file=err)
        return 2
    try:
        report = copy(source, target, migrations, force=force)
    except (CopyError, StorageError) as exc:
        print(f"coach db copy: {exc}", file=err)
        return 1
    except sqlite3.Error as exc:
        where = target if type(exc).__module__ == "bot.postgres_db" else source  # whose error it is
        print(f"coach db copy: {storage.describe(exc, where)}", file=err)
        return 1
    for line in report.lines():
        print(line, file=out)
    return 0
