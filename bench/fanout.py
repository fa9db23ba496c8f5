"""The daily fan-out under load: N subscriptions due in the same minute, posted twice at once.

    .venv/bin/python bench/fanout.py                 # n=2000, half DMs, half team channels
    .venv/bin/python bench/fanout.py --mode loop     # the two schedulers interleaved in one event loop
    .venv/bin/python bench/fanout.py --n 500 --dm-share 1.0

A local aiohttp stand-in for a platform API (127.0.0.1, its own thread and loop) answers
every 10th call with 429 and a short Retry-After. Two DailySchedulers, each with its own
SQLite connection, run the same minute's fan-out concurrently: by default in two processes
(the deployment the ledger exists for — both claim batches and post, racing for real), or
in two threads, or interleaved in one event loop. The ledger must let each post through
exactly once, checked against what the stand-in received. "raw" is a bare aiohttp client
posting the same number of messages to the same stand-in in the same run (right before
and right after the fan-out, averaged), handling 429 the same simple way: the ceiling for
what the scheduler adds (claiming, choosing the drill, recording the result).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bot import content, storage  # noqa: E402
from bot.coach import Coach, migrations  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.delivery import PermanentError, RateLimited, Target, TransientError  # noqa: E402
from bot.messages import Request  # noqa: E402
from bot.scheduler import DailyScheduler  # noqa: E402

PLATFORM = "bench"
AT = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # a Tuesday: drills only, no Monday digest


class StandIn:
    """A platform API on loopback: every ``every``-th call is a 429 with Retry-After."""

    def __init__(self, every: int = 10, retry_after: float = 0.1):
        self.every, self.retry_after = every, retry_after
        self.calls = 0
        self.throttled = 0
        self.received: list[str] = []  # the key of every message accepted
        self._lock = threading.Lock()

    async def post(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.calls += 1
            throttle = self.calls % self.every == 0
            if throttle:
                self.throttled += 1
            else:
                self.received.append(body["key"])
                n = len(self.received)
        if throttle:
            return web.json_response({"retry_after": self.retry_after}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        return web.json_response({"id": f"m{n}"})

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.calls = self.throttled = 0


class BenchSender:
    """A minimal platform Sender over aiohttp (what a Slack/Discord sender is, minus the SDK)."""

    def __init__(self, url: str):
        self.url = url
        self.session: aiohttp.ClientSession | None = None

    async def send(self, target: Target, replies, key: str) -> str:
        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        payload = {"channel": target.channel, "dm": target.is_dm, "thread": target.thread, "key": key,
                   "text": "\n\n".join(r.plain() for r in replies)}
        try:
            async with self.session.post(self.url, json=payload) as resp:
                if resp.status == 429:
                    raise RateLimited(float(resp.headers.get("Retry-After", "1")))
                if resp.status in (403, 404):
                    raise PermanentError(f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise TransientError(f"HTTP {resp.status}")
                return (await resp.json())["id"]
        except aiohttp.ClientError as exc:
            raise TransientError(repr(exc)) from exc

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


async def raw_posts(url: str, n: int, concurrency: int = 50) -> None:
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        async def one(i: int) -> None:
            while True:
                async with sem:
                    async with session.post(url, json={"channel": f"c{i}", "key": f"raw:{i}",
                                                       "text": "x" * 600}) as resp:
                        if resp.status != 429:
                            await resp.read()
                            return
                        wait = float(resp.headers.get("Retry-After", "1"))
                await asyncio.sleep(wait)

        await asyncio.gather(*(one(i) for i in range(n)))


def raw_run(stand_in: StandIn, url: str, n: int) -> float:
    t0 = time.perf_counter()
    asyncio.run(raw_posts(url, n))
    seconds = time.perf_counter() - t0
    assert len(set(stand_in.received)) == n
    print(f"raw: {n} posts, {stand_in.throttled} answered 429, {seconds:.2f}s")
    return seconds


def serve(stand_in: StandIn) -> tuple[str, asyncio.AbstractEventLoop]:
    """The stand-in on its own loop in its own thread, like a remote server."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder = {}

    async def start():
        app = web.Application()
        app.router.add_post("/post", stand_in.post)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["port"] = site._server.sockets[0].getsockname()[1]
        ready.set()

    def main():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    threading.Thread(target=main, daemon=True).start()
    ready.wait()
    return f"http://127.0.0.1:{holder['port']}/post", loop


def make_subscriptions(coach: Coach, n: int, dm_share: float) -> None:
    dms = round(n * dm_share)
    for i in range(n):
        is_dm = i < dms
        req = Request(platform=PLATFORM, workspace="W1", channel=f"dm-u{i}" if is_dm else f"c{i}", user=f"u{i}",
                      text="subscribe at 9am tz UTC", is_dm=is_dm, user_name=f"user {i}")
        reply = coach.handle(req)[0]
        assert reply.kind == "subscription", reply.text


def fan_out_twice(db_path: Path, library, url: str, mode: str) -> tuple[float, list]:
    """Two schedulers, two connections, one database, the same minute."""
    coaches = [Coach(storage.open_db(db_path, migrations()), library, clock=lambda: AT,
                     config=Config(db=str(db_path))) for _ in range(2)]
    senders = [BenchSender(url) for _ in range(2)]
    scheds = [DailyScheduler(c, {PLATFORM: s}, owner=f"bench-{k}") for k, (c, s) in enumerate(zip(coaches, senders))]

    async def one(k: int):
        try:
            return await scheds[k].run_due(AT)
        finally:
            await senders[k].close()

    async def both():
        return await asyncio.gather(one(0), one(1))

    if mode == "processes":
        import multiprocessing as mp

        ctx = mp.get_context("fork")  # the children inherit the parsed library
        barrier, queue = ctx.Barrier(3), ctx.Queue()

        def child(k: int) -> None:
            # a fresh connection per process: the parent's must not be shared across fork
            c = Coach(storage.open_db(db_path, migrations()), library, clock=lambda: AT,
                      config=Config(db=str(db_path)))
            scheds[k] = DailyScheduler(c, {PLATFORM: senders[k]}, owner=f"bench-{k}")
            barrier.wait()
            queue.put((k, asyncio.run(one(k))))

        procs = [ctx.Process(target=child, args=(k,)) for k in range(2)]
        for p in procs:
            p.start()
        barrier.wait()
        t0 = time.perf_counter()
        got = dict(queue.get() for _ in procs)
        for p in procs:
            p.join()
        results = [got[0], got[1]]
    elif mode == "threads":
        barrier = threading.Barrier(3)
        results: list = [None, None]

        def worker(k: int) -> None:
            barrier.wait()
            results[k] = asyncio.run(one(k))

        workers = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
        for t in workers:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in workers:
            t.join()
    else:
        t0 = time.perf_counter()
        results = asyncio.run(both())
    seconds = time.perf_counter() - t0
    for c in coaches:
        c.db.conn.close()
    return seconds, results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="subscriptions due in the same minute")
    parser.add_argument("--dm-share", type=float, default=0.5, help="share of them that are DMs (the rest channels)")
    parser.add_argument("--retry-after", type=float, default=0.1, help="the stand-in's Retry-After on 429s")
    parser.add_argument("--mode", choices=("processes", "threads", "loop"), default="processes",
                        help="how the two schedulers race: in two processes (default), in two threads with their "
                             "own loops, or interleaved in one event loop")
    args = parser.parse_args(argv)

    library = content.load()
    stand_in = StandIn(retry_after=args.retry_after)
    url, loop = serve(stand_in)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        setup = Coach(storage.open_db(db_path, migrations()), library, clock=lambda: AT.replace(hour=8),
                      config=Config(db=str(db_path)))
        t0 = time.perf_counter()
        make_subscriptions(setup, args.n, args.dm_share)
        print(f"setup: {args.n} subscriptions ({args.dm_share:.0%} DMs) in {time.perf_counter() - t0:.1f}s")

        # raw runs right before and right after the fan-out (and the two are averaged), so
        # a machine that is busier during one of them doesn't tilt the comparison
        raw_seconds = [raw_run(stand_in, url, args.n)]
        stand_in.reset()
        seconds, results = fan_out_twice(db_path, library, url, args.mode)
        received = Counter(stand_in.received)
        fan_calls, fan_429 = stand_in.calls, stand_in.throttled
        duplicates = sum(c - 1 for c in received.values())
        lost = args.n - len(received)
        sent = setup.db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'sent'").fetchone()[0]
        for k, s in enumerate(results):
            print(f"scheduler {k}: {s.text()}")
        print(f"stand-in: {fan_calls} calls, {fan_429} answered 429; ledger: {sent} sent "
              f"(mode: {args.mode})")

        stand_in.reset()
        raw_seconds.append(raw_run(stand_in, url, args.n))
        setup.db.conn.close()
    loop.call_soon_threadsafe(loop.stop)
    print(f"bench: fanout n={args.n} seconds={seconds:.2f} posts_per_s={args.n / seconds:.0f} "
          f"raw_posts_per_s={args.n / (sum(raw_seconds) / 2):.0f} duplicates={duplicates} lost={lost}")
    return 0 if duplicates == 0 and lost == 0 and sent == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
