"""Two answers racing for the same drill count once: real concurrent writers, each with
its own connection to one SQLite file (threads here, separate processes below)."""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from bot import practice, review, storage
from bot.coach import Coach, migrations
from conftest import make_request
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)

BOTH_BACKENDS = True  # each test here runs on SQLite and on PostgreSQL (conftest)
ROOT = Path(__file__).resolve().parent.parent
WRITERS = 6


def _attempts(db, post_id):
    return db.execute("SELECT COUNT(*) FROM practice_attempts WHERE post_id = ?", [post_id]).fetchone()[0]


def test_racing_answers_from_threads_count_once(coach, db_file, clock):
    mcq = sorted((d for d in coach.library.drills.values() if d.type == "mcq"), key=lambda d: d.id)[0]
    [shown] = coach.handle(make_request(f"drill {mcq.id}"))
    shown_right = next(line[2] for line in shown.text.splitlines() if line.endswith(f".** {mcq.answer}"))
    action = next(b.action for b in shown.buttons if b.label == shown_right)
    post_id = int(action.split(":")[4])

    coaches = [Coach(storage.open_db(db_file, migrations()), coach.library, clock=clock, config=coach.config)
               for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    results: list = [None] * WRITERS

    def click(i):
        start.wait()
        results[i] = coaches[i].handle(make_request(action=action))

    threads = [threading.Thread(target=click, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    kinds = sorted(r[0].kind for r in results)
    assert kinds == ["error"] * (WRITERS - 1) + ["result"]
    assert all("already answered" in r[0].text for r in results if r[0].kind == "error")
    assert _attempts(coach.db, post_id) == 1
    # the card moved exactly once: one review of a new card rated Good is due in 2 days
    due = coach.db.execute("SELECT due FROM practice_cards").fetchone()[0]
    assert due == review.stamp(clock.now + timedelta(days=2))
    assert coach.db.execute("SELECT COUNT(*) FROM practice_cards").fetchone()[0] == 1
    for c in coaches:
        c.db.conn.close()


_CHILD = r"""
import sys
from datetime import datetime, timezone
sys.path.insert(0, sys.argv[3])
from bot.coach import open_coach
from bot.config import Config
from bot.messages import Request
coach = open_coach(sys.argv[1], clock=lambda: datetime(2026, 11, 23, 9, tzinfo=timezone.utc), config=Config(db=sys.argv[1], index=sys.argv[4]))
print("ready", flush=True)
sys.stdin.readline()  # the parent says go once both processes are ready
replies = coach.handle(Request("console", "T1", "team", "alice", action=sys.argv[2], user_name="alice"))
print(replies[0].kind, flush=True)
"""


def test_racing_answers_from_processes_count_once(coach, db_file, index_file):
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="race")
    drill = coach.library.drills[next(b for b in post.buttons if b.label == "Reveal").action.split(":")[2]]
    action = (next(b.action for b in post.buttons if b.label == "A") if drill.type == "mcq"
              else f"drill:reveal:{drill.id}:{post_id}")
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(db_file), action, str(ROOT), index_file],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=60) for p in procs]
    kinds = sorted(out.strip() for out, _ in outs)
    assert kinds == ["error", "result"], outs
    assert _attempts(coach.db, post_id) == 1
