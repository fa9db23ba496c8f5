"""Figures for study habits: how long `stats` takes (streak walk with freezes, weak areas re-graded
from the latest answers) as history grows, and how long the one-minute sweep spends planning
evening reminders for many people.

    .venv/bin/python bench/habit.py                      # 365 days of history, 10,000 reminder users
    .venv/bin/python bench/habit.py --days 1000 --reminders 50000

Timings on a shared machine are noisy: medians of repeated runs are printed.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import content, storage  # noqa: E402
from bot.coach import Coach, migrations  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.messages import Request  # noqa: E402
from bot.review import stamp  # noqa: E402

UTC = timezone.utc


def history(db, library, days: int, now: datetime, user: str = "u0", per_day: int = 3) -> int:
    """``per_day`` answers a day for ``days`` days (every 9th day missed), open drills with their model answer
    cut short, MCQs alternately right and wrong."""
    drills_ = sorted(library.drills.values(), key=lambda d: d.id)
    rows, n = [], 0
    for day in range(days):
        if day % 9 == 4:
            continue
        for k in range(per_day):
            d = drills_[n % len(drills_)]
            n += 1
            answer = None if d.type == "mcq" else " ".join(d.model_answer.split()[:12])
            when = now - timedelta(days=day, minutes=k)
            rows.append(("console", "T1", "dm", user, d.id, n, d.track, "answer", "A" if d.type == "mcq" else None,
                         answer, 100 if n % 2 else 0, n % 2, 3, None, stamp(when)))
    db.conn.executemany(
        "INSERT INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, kind, choice, "
        "answer, score, correct, rating, card_before, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)
    return len(rows)


def stats_ms(library, days: int, runs: int = 15) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        now = datetime(2026, 11, 30, 12, tzinfo=UTC)
        db = storage.open_db(Path(tmp) / "bench.db", migrations())
        coach = Coach(db, library, clock=lambda: now, config=Config(db=str(Path(tmp) / "bench.db")))
        n = history(db, library, days, now)
        req = Request("console", "T1", "dm", "u0", text="stats", is_dm=True)
        coach.handle(req)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            coach.handle(req)
            times.append(1000 * (time.perf_counter() - t))
        db.conn.close()
        return n, statistics.median(times)


def reminder_plan_ms(library, people: int, runs: int = 5) -> float:
    from bot import reminders

    with tempfile.TemporaryDirectory() as tmp:
        now = datetime(2026, 11, 30, 20, 0, 30, tzinfo=UTC)
        db = storage.open_db(Path(tmp) / "bench.db", migrations())
        coach = Coach(db, library, clock=lambda: now, config=Config(db=str(Path(tmp) / "bench.db")))
        db.conn.executemany(
            "INSERT INTO habit_settings (platform, workspace, user, remind, remind_hour, remind_minute, remind_since, "
            "updated_at) VALUES ('console', 'T1', ?, 1, ?, 0, '2026-11-01T00:00:00Z', 'x')",
            [(f"u{i}", 20 if i % 4 == 0 else 18 + i % 3) for i in range(people)])
        def median_ms():
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                planned = reminders.plan(coach, now, timedelta(hours=3))
                times.append(1000 * (time.perf_counter() - t))
            return statistics.median(times), planned

        first, planned = median_ms()  # the evening's first sweep: everyone's reminder is due and unclaimed
        db.conn.executemany(  # what that sweep's claims leave behind
            "INSERT INTO deliveries (platform, workspace, user, kind, local_date, due_at, state, created_at, "
            "updated_at) VALUES (?, ?, ?, 'reminder', ?, 'x', 'skipped', 'x', 'x')",
            [(p, w, u, day) for p, w, u, day, *_ in planned])
        later, _ = median_ms()
        db.conn.close()
        return first, later


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reminders", type=int, default=10_000)
    args = parser.parse_args()
    library = content.load()
    for days in (30, args.days):
        n, ms = stats_ms(library, days)
        print(f"stats with {n} answers over {days} days: median {ms:.1f} ms")
    try:
        first, later = reminder_plan_ms(library, args.reminders)
        print(f"reminder planning for {args.reminders} people with reminders on: median {first:.0f} ms for the "
              f"evening's first sweep (all due at once), {later:.0f} ms for each sweep after")
    except ImportError:  # a tree from before reminders
        pass


if __name__ == "__main__":
    main()
