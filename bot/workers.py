"""Blocking work off the event loop: ``await workers.handle(coach, request)``.

Slack acks, Discord heartbeats and interaction responses, and APScheduler all share one event
loop; ``Coach.handle`` and the scheduler's database work are synchronous (SQLite), so run on
the loop every millisecond of them is the whole bot standing still. Here they run in a small
thread pool instead. SQLite connections are not to be shared between threads mid-transaction,
so each worker thread gets its own copy of the coach with its own connection to the same file
(WAL: readers never wait, writers queue on the busy timeout). An in-memory database has only
the one connection, so there the work runs inline.
"""
from __future__ import annotations

import asyncio
import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from . import storage

T = TypeVar("T")
WORKERS = 2  # SQLite writes queue anyway, and Python code holds one GIL: more threads only delay the loop
SWITCH_INTERVAL = 0.001  # see keep_loop_responsive

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="coach-worker")
_lock = threading.Lock()


def db_file(coach) -> str:
    """The coach's database file ('' for an in-memory one)."""
    location = coach.db.location
    return "" if location == ":memory:" else location


def for_this_thread(coach):
    """This thread's copy of ``coach``: the same library, clock and config, its own connection."""
    clones = coach.__dict__.setdefault("_thread_coaches", {})
    me = threading.get_ident()
    clone = clones.get(me)
    if clone is None:
        clone = copy.copy(coach)
        clone.__dict__.pop("_thread_coaches", None)
        clone.db = storage.open_db(db_file(coach))  # the schema is up to date: the coach opened it
        index_db = getattr(coach, "index_db", coach.db)
        clone.index_db = clone.db if index_db is coach.db else storage.open_db(index_db.location)
        index = getattr(coach, "index", None)
        if index is not None:  # the answer index reads through the connection it was built with
            clone.index = type(index)(clone.index_db, coach.library)
        with _lock:
            clones[me] = clone
    clone.clock, clone.config = coach.clock, coach.config  # tests move the clock; settings may change
    return clone


def keep_loop_responsive() -> None:
    """Process settings for a long-running bot (``coach run``), once everything is loaded.

    A worker holds the GIL for up to the switch interval (default 5 ms) before the loop thread
    can take it: 1 ms suits a loop whose budget is a few ms per step. And a full garbage
    collection scans every object alive — the content library, the index, every job — on
    whichever thread triggers it, measured at ~70 ms on the loop; frozen, start-up's objects
    are left out of those scans.
    """
    import gc
    import sys

    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()
    # A burst makes ~10 objects per post; with the default thresholds full collections over all of
    # them come every few thousand posts. Younger generations collected less often, older rarely.
    gc.set_threshold(10_000, 50, 100)


async def call(coach, fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(coach_for_that_thread, *args, **kwargs)`` in a worker thread; inline for an in-memory database."""
    if not db_file(coach):
        return fn(coach, *args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, lambda: fn(for_this_thread(coach), *args, **kwargs))


def lane(name: str) -> ThreadPoolExecutor:
    """A thread of its own, for work that must not queue behind the pool (the scheduler's writes)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)


async def call_in(executor: ThreadPoolExecutor, coach, fn: Callable[..., T], *args) -> T:
    """``call`` on a given executor (a ``lane``)."""
    if not db_file(coach):
        return fn(coach, *args)
    return await asyncio.get_running_loop().run_in_executor(executor, lambda: fn(for_this_thread(coach), *args))


async def handle(coach, request) -> list:
    """``coach.handle(request)`` without blocking the event loop. What adapters call."""
    if type(coach).handle is not getattr(coach.handle, "__func__", None):  # an observed or wrapped handle
        return await call(coach, lambda _c, req: coach.handle(req), request)
    return await call(coach, lambda c, req: c.handle(req), request)
