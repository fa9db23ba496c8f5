"""Blocking work off the event loop (issue 13.2): bot.workers runs Coach.handle and the scheduler's
database work in worker threads, each with its own SQLite connection to the same file."""
from __future__ import annotations

import asyncio
import threading
import time

from bot import workers
from conftest import make_request


async def test_handle_runs_in_a_worker_thread_with_its_own_connection(coach):
    seen = {}

    def where(c):
        seen["thread"], seen["conn"] = threading.get_ident(), c.db.conn
        return c.handle(make_request("subscribe at 9am tz UTC"))

    replies = await workers.call(coach, where)
    assert replies[0].kind == "subscription"
    assert seen["thread"] != threading.get_ident() and seen["conn"] is not coach.db.conn
    # written through the worker's connection, visible through the loop's
    assert coach.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 1
    again = await workers.handle(coach, make_request("subscriptions"))
    assert "09:00" in again[0].text


async def test_the_loop_keeps_ticking_while_a_worker_blocks(coach):
    ticks = []

    async def ticker():
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    task = asyncio.ensure_future(ticker())
    await workers.call(coach, lambda c: time.sleep(0.3))
    task.cancel()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 10 and max(gaps) < 0.2  # on the loop, one 0.3 s gap and two ticks
