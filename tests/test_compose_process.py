"""`coach run` composes scheduled posts in a process of its own (bot.scheduled_posts.ProcessComposer):
the same drills as composing in the scheduler's thread, at the scheduler's clock, each post once,
and a composing process that dies costs nothing."""
from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta

import pytest

from bot.scheduled_posts import ProcessComposer
from bot.scheduler import DailyScheduler

BOTH_BACKENDS = True  # each test here runs on SQLite and on PostgreSQL (conftest)


class Recorder:
    def __init__(self):
        self.sent: dict[str, str] = {}  # post key -> the drill the post shows
        self.pid = os.getpid()

    async def send(self, target, replies, key):
        assert key not in self.sent, f"{key} sent twice"
        reveal = next(b.action for b in replies[0].buttons if b.label == "Reveal")
        self.sent[key] = reveal.split(":")[2]
        return f"m{len(self.sent)}"


def subscribe_some(say):
    for user in ("alice", "bob", "carol"):
        say("subscribe at 9:00 tz UTC", user=user)
    say("subscribe channel at 9:00 tz UTC", user="dana", channel="team")
    say("subscribe channel at 9:00 tz Europe/London", user="dana", channel="team-london")  # UTC in winter


def ledger(coach):
    return coach.db.execute("SELECT subscription_id, state, post_id FROM deliveries WHERE kind = 'daily' ORDER BY subscription_id").fetchall()


def test_a_process_of_its_own_composes_what_the_thread_would_at_the_schedulers_clock(coach, say, clock):
    subscribe_some(say)
    at = clock.advance(days=1).replace(hour=9, minute=0, second=30)
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec}, compose_in_process=True)
    assert isinstance(sched.composer, ProcessComposer)
    try:
        summary = asyncio.run(sched.run_due(at))
        child = sched.composer.pid  # it really was another process
        assert child and child != os.getpid()
    finally:
        sched.shutdown()
    assert summary.sent == 5 and summary.failed == 0, summary.text()
    rows = ledger(coach)
    assert [state for _, state, _ in rows] == ["sent"] * 5 and all(post_id for *_, post_id in rows)
    # the posts were registered at the scheduler's (the test's) clock, not the child's own
    assert {r[0] for r in coach.db.execute("SELECT created_at FROM practice_posts").fetchall()} == \
        {coach.db.execute("SELECT MAX(created_at) FROM practice_posts").fetchone()[0]}
    assert coach.db.execute("SELECT MIN(created_at) FROM practice_posts").fetchone()[0].startswith(
        at.strftime("%Y-%m-%dT%H:%M"))

    # The same day composed again in the scheduler's thread, on the same state: the same drills.
    coach.db.execute("DELETE FROM deliveries")
    coach.db.execute("DELETE FROM practice_posts")
    again = Recorder()
    summary = asyncio.run(DailyScheduler(coach, {"console": again}).run_due(at))
    assert summary.sent == 5
    assert again.sent == rec.sent


def test_a_composing_process_that_dies_loses_nothing_and_is_replaced(coach, say, clock):
    subscribe_some(say)
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec}, compose_in_process=True)
    try:
        sched.composer.start()
        first = sched.composer.pid
        os.kill(first, signal.SIGKILL)
        at = clock.advance(days=1).replace(hour=9, minute=0, second=30)
        summary = asyncio.run(sched.run_due(at))
        assert summary.sent == 5 and summary.failed == 0, summary.text()  # composed in this process instead
        assert [state for _, state, _ in ledger(coach)] == ["sent"] * 5
        assert asyncio.run(sched.run_due(at + timedelta(minutes=1))).sent == 0  # once is once

        # the next day's posts are composed by a new process
        summary = asyncio.run(sched.run_due(at + timedelta(days=1)))
        assert summary.sent == 5
        second = sched.composer.pid
        assert second not in (None, first, os.getpid())
    finally:
        sched.shutdown()
    assert len(rec.sent) == 10


def test_a_composing_process_killed_mid_burst_loses_and_repeats_nothing(coach, say, clock):
    for k in range(60):  # three compose batches: two in flight when the first post goes out
        say("subscribe at 9:00 tz UTC", user=f"p{k}")
    sched = DailyScheduler(coach, {}, compose_in_process=True)

    class KillsTheComposer(Recorder):
        async def send(self, target, replies, key):
            if not self.sent:
                os.kill(sched.composer.pid, signal.SIGKILL)
                await asyncio.sleep(0.2)  # it is gone, with whatever it had in hand
            return await super().send(target, replies, key)

    rec = KillsTheComposer()
    sched.senders["console"] = rec
    try:
        sched.composer.start()
        summary = asyncio.run(sched.run_due(clock.advance(days=1).replace(hour=9, minute=0, second=30)))
    finally:
        sched.shutdown()
    assert summary.sent == 60 and summary.failed == 0, summary.text()
    assert len(rec.sent) == 60  # each once (Recorder fails on a second send of a key)
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts").fetchone()[0] == 60


CHILD = """
import os, sys, time
from bot import content, storage
from bot.coach import Coach, migrations
from bot.config import Config
from bot.scheduled_posts import ProcessComposer, ThreadComposer

if __name__ == "__main__":
    where = sys.argv[1]
    coach = Coach(storage.open_db(where, migrations()), content.load(), config=Config(db=where))
    composer = ProcessComposer(coach, ThreadComposer(None))
    composer.start()
    print(composer.pid, flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited; only its parent may reap it
    except FileNotFoundError:
        return False


def test_the_composing_process_does_not_outlive_a_coach_run_killed_outright(tmp_path):
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "run.py"
    script.write_text(CHILD)
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    run = subprocess.Popen([sys.executable, str(script), str(tmp_path / "coach.db")], stdout=subprocess.PIPE,
                           text=True, cwd=root, env=env)
    try:
        composer = int(run.stdout.readline())
        assert _alive(composer)
        run.kill()  # kill -9: no shutdown, no atexit
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(composer) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(composer), "the composing process outlived its coach run"
    finally:
        run.kill()


def test_ctrl_c_stops_the_coach_run_not_the_composer_and_it_ends_with_the_pipe(coach, say, clock):
    subscribe_some(say)
    sched = DailyScheduler(coach, {"console": Recorder()}, compose_in_process=True)
    try:
        sched.composer.start()
        child = sched.composer.pid
        summary = asyncio.run(sched.run_due(clock.advance(days=1).replace(hour=9, minute=0, second=30)))
        assert summary.sent == 5
        os.kill(child, signal.SIGINT)  # what a terminal's Ctrl-C sends every process of the group
        assert sched.composer.child.process.join(0.5) is None and sched.composer.child.process.exitcode is None
    finally:
        sched.shutdown()  # closes the pipe
    process = sched.composer.child.process if sched.composer.child else None
    assert process is None  # the scheduler let go of it ...
    import time
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)  # ... and it ended once its input did


def test_a_composer_that_cannot_start_is_given_up_and_nothing_is_lost(coach, say, clock, tmp_path, capfd):
    import dataclasses

    coach.library = dataclasses.replace(coach.library, root=tmp_path / "no-such-content")  # the child can't load it
    for k in range(30):  # two batches a day, both in the day's child when it dies
        say("subscribe at 9:00 tz UTC", user=f"p{k}")
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec}, compose_in_process=True)
    at = clock.advance(days=1).replace(hour=9, minute=0, second=30)
    try:
        for day in range(3):
            summary = asyncio.run(sched.run_due(at + timedelta(days=day)))
            assert summary.sent == 30 and summary.failed == 0  # composed in this process instead
        assert sched.composer.given_up  # three children, each dead at start, each counted once
        tried = sched.composer.child
        assert asyncio.run(sched.run_due(at + timedelta(days=3))).sent == 30
        assert sched.composer.child is tried  # no new process for every batch
    finally:
        sched.shutdown()
    assert len(rec.sent) == 120
    err = capfd.readouterr().err
    assert "the composing process could not start" in err and "Traceback" not in err


def many(say, n):
    for k in range(n):
        say("subscribe at 9:00 tz UTC", user=f"p{k}")


def test_a_stop_mid_burst_leaves_no_traceback_and_no_new_composer(coach, say, clock, caplog):
    # coach run's stop: scheduler.shutdown(), then asyncio.run cancels what runs and closes the loop;
    # the child's answers to the batches it had arrive after that
    import logging
    import threading
    import time

    many(say, 120)
    sched = DailyScheduler(coach, {"console": Recorder()}, compose_in_process=True)
    thread_errors = []
    old, threading.excepthook = threading.excepthook, lambda args: thread_errors.append(args.exc_value)
    try:
        sched.composer.start()

        async def serve():
            asyncio.ensure_future(sched.run_due(clock.advance(days=1).replace(hour=9, minute=0, second=30)))
            while not (sched.composer.child and len(sched.composer.child.pending) >= 2):
                await asyncio.sleep(0.001)
            first = sched.composer.child
            sched.shutdown()
            await asyncio.sleep(0.5)  # the burst goes on composing in the thread: no new process for it
            assert sched.composer.child is None
            return first

        with caplog.at_level(logging.INFO):
            first = asyncio.run(serve())
            first.process.join(10)
            time.sleep(0.5)
    finally:
        threading.excepthook = old
    assert not first.process.is_alive()
    assert not [r for r in caplog.records if r.exc_info] and not thread_errors


def test_a_run_cancelled_mid_compose_does_not_hang_the_next(coach, say, clock):
    many(say, 120)
    at = clock.advance(days=1).replace(hour=9, minute=0, second=30)
    sched = DailyScheduler(coach, {"console": Recorder()}, compose_in_process=True)
    try:
        async def first():
            task = asyncio.ensure_future(sched.run_due(at))
            while not (sched.composer.child and len(sched.composer.child.pending) >= 2):
                await asyncio.sleep(0.001)
            task.cancel()

        asyncio.run(first())  # the child's answers come after this loop is closed

        async def second():
            return await asyncio.wait_for(sched.run_due(at + timedelta(minutes=6)), 60)  # leases expired

        summary = asyncio.run(second())
    finally:
        sched.shutdown()
    sent = coach.db.execute("SELECT COUNT(*) FROM deliveries WHERE kind = 'daily' AND state = 'sent'").fetchone()[0]
    assert sent == 120, summary.text()


def test_one_death_counts_once_however_many_batches_the_child_had(coach, say, clock):
    many(say, 75)  # three batches: two in flight in the first child, the third in its replacement
    sched = DailyScheduler(coach, {"console": Recorder()}, compose_in_process=True)
    sched.composer.start()
    killed = []

    async def go():
        task = asyncio.ensure_future(sched.run_due(clock.advance(days=1).replace(hour=9, minute=0, second=30)))
        while len(killed) < 2 and not task.done():
            child = sched.composer.child
            if child and child.pending and child.process.pid not in killed and (killed or len(child.pending) >= 2):
                os.kill(child.process.pid, signal.SIGKILL)
                killed.append(child.process.pid)
            await asyncio.sleep(0.001)
        return await task

    try:
        summary = asyncio.run(go())
    finally:
        sched.shutdown()
    assert summary.sent == 75 and len(killed) >= 1
    assert sched.composer.deaths <= len(killed) and not sched.composer.given_up


def test_no_process_to_be_had_means_composing_here_not_failing(coach, say, clock, monkeypatch):
    import errno
    import multiprocessing.context

    def no_more_processes(self):  # a pids limit reached, no memory for one more
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", no_more_processes)
    many(say, 30)
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec}, compose_in_process=True)

    async def run():
        await sched.start()  # coach run starts anyway
        try:
            return await sched.run_due(clock.advance(days=1).replace(hour=9, minute=0, second=30))
        finally:
            sched.shutdown()

    summary = asyncio.run(run())
    assert summary.sent == 30 and summary.failed == 0, summary.text()


def test_coach_compose_thread_keeps_composing_in_the_schedulers_process(monkeypatch):
    from bot.config import Config

    monkeypatch.delenv("COACH_COMPOSE", raising=False)
    assert Config.from_env().compose_in_process
    monkeypatch.setenv("COACH_COMPOSE", " Thread ")
    assert not Config.from_env().compose_in_process


@pytest.mark.sqlite_only  # the lock-out below uses SQLite's trace hook; the code path is the same on both
def test_a_failed_transaction_for_the_rest_of_a_batch_leaves_its_committed_drills_composed(coach, say, clock):
    """The drills of a batch are committed in their own transaction; when the one after it (reveals,
    digests) fails as a whole — here its BEGIN times out behind another writer — the drills are still
    posts to send, and only the rest are failures."""
    import sqlite3

    from bot import subscriptions
    from bot.scheduled_posts import compose_batch
    from bot.scheduler import Item
    say("subscribe at 9:00 tz UTC", user="alice")
    say("subscribe channel at 9:00 tz UTC", user="dana", channel="team")
    monday = clock.advance(days=(7 - clock().weekday()) % 7 or 7).replace(hour=9, minute=0, second=30)
    coach.clock = lambda: monday
    subs = subscriptions.active(coach.db)
    day = monday.date().isoformat()
    items = [Item(k + 1, sub, "daily", day) for k, sub in enumerate(subs)]
    channel = next(sub for sub in subs if not sub.is_dm)
    items.append(Item(len(items) + 1, channel, "digest", day))

    other = sqlite3.connect(coach.db.location, isolation_level=None)
    begins = []

    def another_writer_first(sql):  # runs before each statement: the second BEGIN finds the lock taken
        if sql.startswith("BEGIN"):
            begins.append(sql)
            if len(begins) == 2:
                other.execute("BEGIN IMMEDIATE")

    coach.db.conn.execute("PRAGMA busy_timeout = 50")
    coach.db.conn.set_trace_callback(another_writer_first)
    try:
        out = compose_batch(coach, items)
    finally:
        coach.db.conn.set_trace_callback(None)
        other.execute("ROLLBACK")
        other.close()
    assert len(begins) == 2  # the drills' transaction, then the digest's (locked out)
    for item in items[:-1]:
        post_id, replies = out[item.id]
        assert post_id and replies, item
    assert isinstance(out[items[-1].id], sqlite3.OperationalError)
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts").fetchone()[0] == 2


def test_send_results_are_written_by_the_composing_process_and_by_this_one_when_it_is_gone(coach, say, clock):
    """`coach run` writes send results in the composing process too; a child that died with a write in
    hand (maybe after its commit) costs nothing: the write is made all the same (here, or by the child
    started in its place), and a result written twice changes nothing."""
    from bot.scheduled_posts import write_results

    subscribe_some(say)
    rec = Recorder()
    sched = DailyScheduler(coach, {"console": rec}, compose_in_process=True)
    at = clock.advance(days=1).replace(hour=9, minute=0, second=30)
    try:
        summary = asyncio.run(sched.run_due(at))
        assert summary.sent == 5
        ids = [r[0] for r in coach.db.execute("SELECT id FROM deliveries ORDER BY id").fetchall()]
        assert coach.db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'sent'").fetchone()[0] == 5

        # a pending row, written through the child: committed by the other process
        coach.db.execute("UPDATE deliveries SET state = 'pending', attempts = 0 WHERE id = ?", [ids[0]])
        row = ["sent", 1, "m-x", None, 1, "sent", "2030-01-01T00:00:00Z", 1, None, "2030-01-01T00:00:00Z", ids[0]]
        asyncio.run(sched.composer.write_results(coach, [row]))
        assert coach.db.execute("SELECT state, attempts FROM deliveries WHERE id = ?", [ids[0]]).fetchone() == ("sent", 1)

        # the child gone: the write is made all the same
        coach.db.execute("UPDATE deliveries SET state = 'pending', attempts = 0 WHERE id = ?", [ids[1]])
        os.kill(sched.composer.pid, signal.SIGKILL)
        sched.composer.child.process.join(10)
        row[-1] = ids[1]
        asyncio.run(sched.composer.write_results(coach, [row]))
        assert coach.db.execute("SELECT state, attempts FROM deliveries WHERE id = ?", [ids[1]]).fetchone() == ("sent", 1)
    finally:
        sched.shutdown()
    # written twice (a child that died after its commit): the second changes nothing
    write_results(coach, [row])
    assert coach.db.execute("SELECT state, attempts FROM deliveries WHERE id = ?", [ids[1]]).fetchone() == ("sent", 1)
