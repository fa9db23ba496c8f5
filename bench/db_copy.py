"""How long `coach db copy --to postgresql://…` takes for a SQLite file of a given size.

    .venv/bin/python bench/db_copy.py                   # 10,000 people, ~500,000 rows
    .venv/bin/python bench/db_copy.py --people 50000 --runs 3

Builds a SQLite file with the core's schema and synthetic history (per person: a user row, a DM
subscription, 20 answered drills with their posts, 10 questions, 5 votes, 10 ledger rows), starts a
real PostgreSQL 16 (pgserver, as the tests do) and runs the copy `--force` ``--runs`` times, each into
the same schema. Prints each run, then a last line starting with `bench:` (median). Timings on a
shared machine are noisy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from adapters.discord.buttons import MIGRATIONS as discord_buttons  # noqa: E402
from adapters.slack.installations import MIGRATIONS as slack_installations  # noqa: E402
from bot import db_copy, storage  # noqa: E402
from bot.coach import migrations  # noqa: E402

AT = "2026-11-30T09:00:00+00:00"


def build(path: str, people: int) -> int:
    db = storage.open_db(path, migrations())
    u = [f"u{i}" for i in range(people)]
    with storage.transaction(db):
        db.executemany("INSERT INTO users (platform, workspace, user, name, tz, created_at) VALUES "
                       "('console', 'T1', ?, ?, 'Europe/Berlin', ?)", [(x, x, AT) for x in u])
        db.executemany("INSERT INTO subscriptions (id, platform, workspace, channel, is_dm, user, subscriber, hour, "
                       "minute, tz, days, since, created_at, updated_at) VALUES (?, 'console', 'T1', ?, 1, ?, ?, 9, 0, "
                       "'UTC', 'mon,tue,wed,thu,fri', ?, ?, ?)",
                       [(i + 1, f"dm-{x}", x, x, AT, AT, AT) for i, x in enumerate(u)])
        db.executemany("INSERT INTO practice_posts (id, platform, workspace, channel, user, drill_id, created_at) "
                       "VALUES (?, 'console', 'T1', ?, ?, 'switch-time-split-mcq', ?)",
                       [(i * 20 + k + 1, f"dm-{x}", x, AT) for i, x in enumerate(u) for k in range(20)])
        db.executemany("INSERT INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, "
                       "kind, choice, score, correct, rating, answered_at) VALUES ('console', 'T1', ?, ?, "
                       "'switch-time-split-mcq', ?, 'ai-pm', 'answer', 'C', 100, 1, 3, ?)",
                       [(f"dm-{x}", x, i * 20 + k + 1, AT) for i, x in enumerate(u) for k in range(20)])
        db.executemany("INSERT INTO answer_log (id, platform, workspace, channel, user, question, terms, found, "
                       "unit_key, score, created_at) VALUES (?, 'console', 'T1', ?, ?, 'what is an F1 score', "
                       "'f1 score', 1, 'aa45d461413d', 0.9, ?)",
                       [(i * 10 + k + 1, f"dm-{x}", x, AT) for i, x in enumerate(u) for k in range(10)])
        db.executemany("INSERT INTO answer_feedback (log_id, platform, workspace, user, vote, updated_at) "
                       "VALUES (?, 'console', 'T1', ?, 1, ?)",
                       [(i * 10 + k + 1, x, AT) for i, x in enumerate(u) for k in range(5)])
        db.executemany("INSERT INTO deliveries (subscription_id, kind, local_date, due_at, state, attempts, "
                       "created_at, updated_at) VALUES (?, 'daily', ?, ?, 'sent', 1, ?, ?)",
                       [(i + 1, f"2026-11-{d:02d}", AT, AT, AT) for i in range(people) for d in range(1, 11)])
    rows = sum(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
               for t in ("users", "subscriptions", "practice_posts", "practice_attempts", "answer_log",
                         "answer_feedback", "deliveries"))
    db.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from pg_server import Server

    with tempfile.TemporaryDirectory() as tmp:
        source = str(Path(tmp) / "coach.db")
        started = time.perf_counter()
        rows = build(source, args.people)
        print(f"built {rows:,} rows in {time.perf_counter() - started:.1f} s")
        server = Server()
        try:
            url = server.fresh_database()
            sets = (*migrations(), discord_buttons, slack_installations)
            times = []
            for run in range(args.runs):
                report = db_copy.copy(source, url, sets, force=True)
                assert report.rows == rows, (report.rows, rows)
                times.append(report.seconds)
                print(f"run {run + 1}: {report.rows:,} rows in {report.seconds:.2f} s "
                      f"({report.rows / report.seconds:,.0f} rows/s), replaced {report.replaced:,}")
        finally:
            server.stop()
    median = statistics.median(times)
    print(f"bench: db_copy people={args.people} rows={rows} seconds={median:.2f} rows_per_s={rows / median:.0f} "
          f"runs={args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
