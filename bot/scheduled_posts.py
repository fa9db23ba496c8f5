"""What a scheduled post says: claimed deliveries composed in batches, in a thread or a process of its own.

Composing (choosing each drill, rendering it, registering the post) is Python work, about a
third of a burst's CPU. In the scheduler's own process it shares one GIL with the event loop
that sends, so every millisecond of it is a millisecond not spent sending: one process
stopped near 1,450 posts/s with half of its time composing. ``coach run`` therefore composes
in a child process (``ProcessComposer``) with its own connection to the same database; the
loop only unpickles the finished replies. Everything else (tests, ``run-due``, an in-memory
database) composes in the scheduler's writer thread (``ThreadComposer``), on the same code.

Either way a batch is one write transaction: the day's drills chosen and registered together
(``practice.daily_drills``); reveals and digests, and every post of a batch that failed as a
whole, one at a time, each rolled back alone when it fails. The result maps each delivery's id
to ``(post_id, replies)`` or to the exception that composing it raised.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from . import practice, workers
from .messages import Reply
from .storage import transaction

log = logging.getLogger(__name__)

Composed = "tuple[int | None, list[Reply]] | Exception"


def wanted(item) -> "practice.Wanted":
    """A daily delivery as the post practice should make (its key: the subscription and local date)."""
    sub = item.sub
    return practice.Wanted(sub.platform, sub.workspace, sub.channel, f"sub:{sub.id}:{item.local_date}",
                           user=sub.user if sub.is_dm else None, track=sub.track)


def compose_one(coach, item) -> tuple[int | None, list[Reply]]:
    """One post's messages: a daily drill, a team drill's reveal (reads and writes), or the Monday digest."""
    sub = item.sub
    if item.kind == "daily":
        want = wanted(item)
        return practice.daily_drill(coach, want.platform, want.workspace, want.channel,
                                    user=want.user, track=want.track, post_key=want.post_key)
    if item.kind == "reveal":
        return item.post_id, practice.reveal_post(coach, item.post_id)
    return item.post_id, practice.weekly_digest(coach, sub.platform, sub.workspace, sub.channel)


def compose_batch(coach, items: list) -> dict:
    """Compose several posts with one commit, not one each.

    The day's drills are chosen and rendered outside the write transaction and registered in one
    (practice.daily_drills): on SQLite the write lock is the one the scheduler's claims and send
    results wait for. Reveals and digests (and the drills, should their batch fail) are composed
    one at a time in one transaction, each rolled back alone when it fails.

    Not serialized: composing is correct statement by statement (each post once committed on its
    own, a unique key settling a race), and what needs the one writer (a reveal's scoring) takes
    it in its own nested transaction. With the lock, on PostgreSQL every process's batch of 25
    queued for it in turn."""
    out: dict = {}
    daily = [item for item in items if item.kind == "daily"]
    if daily:
        try:
            made = practice.daily_drills(coach, [wanted(item) for item in daily])
        except Exception:
            log.exception("composing %d daily drills together failed; composing them one by one", len(daily))
        else:
            out.update((item.id, got) for item, got in zip(daily, made))
    rest = [item for item in items if item.id not in out]
    if not rest:
        return out
    with transaction(coach.db, serialized=False):
        for item in rest:
            coach.db.execute("SAVEPOINT compose")
            try:
                out[item.id] = compose_one(coach, item)
            except Exception as exc:
                log.exception("composing %s failed", item.key)
                coach.db.execute("ROLLBACK TO compose")
                out[item.id] = exc
            coach.db.execute("RELEASE compose")
    return out


class ThreadComposer:
    """Composes in a thread of the scheduler's process (its writer lane), with that thread's connection."""

    def __init__(self, lane):
        self.lane = lane

    async def compose(self, coach, items: list) -> dict:
        return await workers.call_in(self.lane(coach), coach, compose_batch, items)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessComposer:
    """Composes in one child process, its own connection to the same database and its own copy of the
    library. The child is started (spawned: the parent runs threads, so no fork) when the scheduler
    starts and warms up in the background. Should it die, the batch it had is composed in the
    parent's thread instead and a new child is started for the next one: nothing is lost, and a
    post the dead child had registered is found by its key, not made twice."""

    def __init__(self, coach, fallback: ThreadComposer):
        self.args = (coach.db.location, str(coach.library.root), coach.config)
        self.fallback = fallback
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_child_start, initargs=self.args)
            self.pool.submit(_child_ready)  # imports and loading happen now, not on the burst's first batch

    async def compose(self, coach, items: list) -> dict:
        self.start()
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, _child_compose, items, coach.clock())
        except BrokenProcessPool:
            log.warning("the composing process died; composing %d posts in this process, starting a new one",
                        len(items))
            self.close()
            return await self.fallback.compose(coach, items)

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


# ------------------------------------------------------------ in the child process
_coach = None


def _child_start(location: str, root: str, config) -> None:
    global _coach
    from pathlib import Path

    from . import content, storage
    from .coach import Coach

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s composer %(levelname)s %(name)s: %(message)s")
    _exit_with_parent()
    _coach = Coach(storage.open_db(location), content.load(Path(root)), config=config)


def _exit_with_parent() -> None:
    """A `coach run` killed outright (kill -9, the OOM killer) can't shut its pool down: without this its
    composing process would live on, an orphan holding a database connection. (Its open transaction, if
    any, is rolled back: nothing it had not committed counts.)"""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch():
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _child_ready() -> bool:
    return _coach is not None


def _child_compose(items: list, now: datetime) -> dict:
    """``compose_batch`` at the parent's ``now`` (its clock may be a test's, or simply ahead of ours)."""
    _coach.clock = lambda: now
    out = compose_batch(_coach, items)
    for key, got in out.items():  # an exception that can't cross back as itself crosses as its repr
        if isinstance(got, Exception):
            try:
                pickle.dumps(got)
            except Exception:
                out[key] = RuntimeError(repr(got))
    return out
