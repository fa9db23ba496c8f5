"""kill -9 in the middle of a fan-out: how many posts does a crash send twice?

    .venv/bin/python bench/crash.py                  # 10,000 console DM subscriptions, 5 kills
    .venv/bin/python bench/crash.py --n 2000 --kills 3
    .venv/bin/python bench/crash.py --db postgres      # the same against a PostgreSQL (pgserver, temporary)

A real ``coach schedule run-due`` process posts N console subscriptions due at 09:00 (its
stdout, appended to one file, is "the platform": a line is posted once it is flushed). It
is SIGKILLed part-way, restarted ``--at`` six minutes later (the claims it left have a
five-minute lease), killed again, and so on; a last run finishes the day. Every key that
appears twice in the output is a duplicate the ledger could not prevent: the posts the
platform had accepted whose result was not yet recorded. The run prints kills × duplicates.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import content, storage  # noqa: E402
from bot.coach import Coach, migrations  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.messages import Request  # noqa: E402

AT = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # a Tuesday
KEY = re.compile(r"^── console/\S+ .* · (daily:\d+:\S+)$", re.M)


def subscribe(db_path, n: int, index: str = "coach-index.db") -> None:
    coach = Coach(storage.open_db(db_path, migrations()), content.load(), clock=lambda: AT - timedelta(hours=1),
                  config=Config(db=str(db_path), index=index))
    for i in range(n):
        reply = coach.handle(Request(platform="console", workspace="W1", channel=f"dm-u{i}", user=f"u{i}",
                                     text="subscribe at 9am tz UTC", is_dm=True))[0]
        assert reply.kind == "subscription", reply.text
    coach.db.conn.close()


def posted(out: Path) -> Counter:
    return Counter(KEY.findall(out.read_bytes().decode("utf-8", errors="replace")))


def _count_new(out: Path, offset: int) -> tuple[int, int]:
    """Posts whose header line was completed since ``offset``; (count, new offset) — the file is only read once."""
    with out.open("rb") as f:
        f.seek(offset)
        chunk = f.read()
    end = chunk.rfind(b"\n") + 1  # a line still being written is counted next time
    return len(KEY.findall(chunk[:end].decode("utf-8", errors="replace"))), offset + end


def run_due(db_path, at: datetime, out: Path, kill_after: int | None, index: str = "") -> tuple[int, bool]:
    """One ``coach schedule run-due``; SIGKILL it once ``kill_after`` more posts are out. (posts seen, killed)"""
    offset, seen = out.stat().st_size, 0
    env = {**os.environ, "COACH_DB": str(db_path), **({"COACH_INDEX": index} if index else {})}
    with out.open("a", encoding="utf-8") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "schedule", "run-due", "--at", at.isoformat()],
                                cwd=ROOT, env=env, stdout=sink, stderr=subprocess.DEVNULL)
        killed = False
        while proc.poll() is None:
            time.sleep(0.01)
            new, offset = _count_new(out, offset)
            seen += new
            if kill_after is not None and seen >= kill_after:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
        proc.wait()
    return seen + _count_new(out, offset)[0], killed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="console DM subscriptions due at 09:00")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        db_path, out = Path(tmp) / "crash.db", Path(tmp) / "platform.txt"
        index = str(Path(tmp) / "coach-index.db")
        if args.db == "postgres":
            os.chmod(tmp, 0o755)  # as root, pgserver runs the server as its own user
            os.environ.setdefault("XDG_RUNTIME_DIR", tmp)
            import pgserver

            server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
            db_path = server.get_uri()
        out.touch()
        t0 = time.perf_counter()
        subscribe(db_path, args.n, index)
        print(f"setup: {args.n} subscriptions in {time.perf_counter() - t0:.1f}s")
        at, kills, dup_before = AT, 0, 0
        share = args.n // (args.kills + 1)
        for k in range(args.kills):
            seen, killed = run_due(db_path, at, out, kill_after=rng.randint(share // 4, share), index=index)
            kills += killed
            counts = posted(out)
            print(f"run {k + 1}: {seen} posts, then {'SIGKILL' if killed else 'finished'}; "
                  f"{len(counts)} distinct posted so far")
            at += timedelta(minutes=6)  # past the dead process's lease, well inside the 3 h grace
        seen, _ = run_due(db_path, at, out, kill_after=None, index=index)
        counts = posted(out)
        duplicates = sum(c - 1 for c in counts.values())
        lost = args.n - len(counts)
        print(f"last run: {seen} posts")
        print(f"duplicated keys: {sorted(k for k, c in counts.items() if c > 1)[:10]}")
        ledger = storage.open_db(db_path)
        print("ledger:", dict(ledger.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall()))
        print("never posted:", ledger.execute("SELECT subscription_id, state, error FROM deliveries WHERE "
                                              "state != 'sent' LIMIT 5").fetchall())
        ledger.conn.close()
        if server is not None:
            server.cleanup()
    print(f"bench: crash n={args.n} db={args.db} kills={kills} duplicates={duplicates} lost={lost} "
          f"duplicates_per_kill={duplicates / max(kills, 1):.2f}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
