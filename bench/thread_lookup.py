"""Benchmark finding the team drill a thread hangs off (``practice.store.team_post_in_thread``).

    .venv/bin/python bench/thread_lookup.py

A synthetic workspace: 40 channel subscriptions, a year of daily team drills each (14,600
deliveries). Medians of 200 lookups, with the window the core uses (the last 7 days) and
without one (all history), for a Slack-like lookup (ref unique within its channel) and a
Discord thread (the ref is the thread's own id, so any channel of the workspace may match).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bot import storage  # noqa: E402
from bot.coach import migrations  # noqa: E402
from bot.practice import store  # noqa: E402

SUBSCRIPTIONS, DAYS = 40, 365
NOW = "2026-01-01T00:00:00+00:00"


def build(db) -> None:
    with storage.transaction(db):
        for s in range(SUBSCRIPTIONS):
            db.execute("INSERT INTO subscriptions (platform, workspace, channel, is_dm, subscriber, hour, minute, tz, "
                       "days, since, created_at, updated_at) VALUES ('discord', 'G', ?, 0, 'u', 9, 0, 'UTC', 'mon', "
                       "?, ?, ?)", [f"C{s}", NOW, NOW, NOW])
            sub = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            for day in range(DAYS):
                db.execute("INSERT INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, "
                           "created_at) VALUES ('discord', 'G', ?, '', 'x', ?, ?)", [f"C{s}", f"k{s}-{day}", NOW])
                post = db.execute("SELECT last_insert_rowid()").fetchone()[0]
                db.execute("INSERT INTO deliveries (subscription_id, kind, local_date, due_at, state, post_id, "
                           "message_ref, created_at, updated_at) VALUES (?, 'daily', ?, ?, 'sent', ?, ?, ?, ?)",
                           [sub, (date(2025, 1, 1) + timedelta(days=day)).isoformat(), NOW, post, f"m{s}-{day}",
                            NOW, NOW])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = storage.open_db(os.path.join(tmp, "coach.db"), migrations())
        build(db)
        last = f"m20-{DAYS - 1}"
        for since, window in (("2000-01-01", "all history"), ("2025-12-24", "last 7 days")):
            for label, channel in (("slack-like", "C20"), ("discord thread", last)):
                times = []
                for _ in range(200):
                    start = time.perf_counter()
                    found = store.team_post_in_thread(db, "discord", "G", channel, last, since)
                    times.append(time.perf_counter() - start)
                assert found is not None
                print(f"bench: thread lookup {label}, {window}: p50_ms={statistics.median(times) * 1e3:.3f}")
        db.conn.close()


if __name__ == "__main__":
    main()
