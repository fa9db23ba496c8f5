"""The daily fan-out as `coach run` does it: APScheduler started, real cron firing, N subscriptions.

    .venv/bin/python bench/fanout.py                          # n=10000, all due in the next minute
    .venv/bin/python bench/fanout.py --n 100000 --burst 2000  # 100k subscriptions, 2k of them due
    .venv/bin/python bench/fanout.py --history-days 30        # with a month of ledger history
    .venv/bin/python bench/fanout.py --db postgres --processes 3 --n 2000   # three schedulers, one PostgreSQL

What runs is the production path: a real ``DailyScheduler.start()`` in an asyncio loop (the
jobs, the catch-up, the sweep), on the real clock. ``--burst`` subscriptions are set to the next
whole minute in their own zone (spread over 20 zones and day sets that include today); the rest
are spread over zones, quarter-hours and day sets away from that minute. The platform is a
loopback aiohttp stand-in in its own process that answers every 10th call with 429 and a short
Retry-After; "raw" is a bare aiohttp client posting the same number of messages to it, before
and after the fan-out (averaged): the ceiling for what the scheduler adds.

While the burst is posted, a ticker measures how long the event loop stands still
(``max_loop_stall_ms``: the longest gap beyond its 10 ms sleep) and a "user" sends ``help``
through ``bot.workers.handle`` every 100 ms, as the adapters do (``handle_max_ms``). After it,
``subscribe`` commands are timed with the scheduler running. CPU per post is reported for each part:
the loop, the process's other threads, the composing process, the stand-in (``platform_``), and for
the raw runs the stand-in and the bare client: on a 2-core machine they all share the same cores. Set-up writes the subscription
rows with SQL (a bench's shortcut; the ``subscribe`` command itself is what is timed after).

``--processes N`` (and/or ``--db postgres``, a pgserver PostgreSQL 16 started in a temporary
folder) runs N processes, each a ``DailyScheduler.start()`` as ``coach run`` has it, against one
database and the one stand-in: the burst's minute fires in all of them, the ledger decides who
posts what. Its line adds ``processes=``, ``db=``, each process's share of the posts, and how
often a process was seen waiting for the database's write lock (sampled from pg_stat_activity).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bot import content, storage, workers  # noqa: E402
from bot.coach import Coach, migrations  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.delivery import PermanentError, RateLimited, Target, TransientError  # noqa: E402
from bot.messages import Request  # noqa: E402
from bot.review import stamp  # noqa: E402
from bot.scheduler import DailyScheduler  # noqa: E402
from bot.subscriptions import DAYS  # noqa: E402

PLATFORM = "bench"
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Helsinki", "Europe/Moscow", "Asia/Dubai", "Asia/Kolkata",
         "Asia/Kathmandu", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Australia/Adelaide",
         "Pacific/Auckland", "America/Sao_Paulo", "America/New_York", "America/Chicago", "America/Denver",
         "America/Los_Angeles", "America/St_Johns", "Pacific/Honolulu"]
DAY_SETS = [DAYS, DAYS[:5], ("mon", "wed", "fri"), ("tue", "thu"), DAYS[5:]]


# ------------------------------------------------------------ the platform, in its own process
def _stand_in(port_queue, every: int, retry_after: float) -> None:
    received: Counter = Counter()
    calls = {"n": 0, "throttled": 0}

    async def post(request: web.Request) -> web.Response:
        body = await request.json()
        calls["n"] += 1
        if calls["n"] % every == 0:
            calls["throttled"] += 1
            return web.json_response({"retry_after": retry_after}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        received[body["key"]] += 1
        return web.json_response({"id": f"m{calls['n']}"})

    async def stats(request: web.Request) -> web.Response:
        prefix = request.query.get("prefix", "")
        keys = {k: c for k, c in received.items() if k.startswith(prefix)}
        return web.json_response({"distinct": len(keys), "total": sum(keys.values()),
                                  "duplicates": sum(c - 1 for c in keys.values()), **calls})

    async def reset(request: web.Request) -> web.Response:
        received.clear()
        calls.update(n=0, throttled=0)
        return web.json_response({})

    async def main():
        app = web.Application()
        app.router.add_post("/post", post)
        app.router.add_get("/stats", stats)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_queue.put(site._server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


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
            async with self.session.post(self.url + "/post", json=payload) as resp:
                if resp.status == 429:
                    raise RateLimited(float(resp.headers.get("Retry-After", "1")))
                if resp.status in (403, 404):
                    raise PermanentError(f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise TransientError(f"HTTP {resp.status}")
                # the body is JSON; json.loads skips aiohttp's content-type and charset checks (~0.05 ms a post)
                return json.loads(await resp.read())["id"]
        except aiohttp.ClientError as exc:
            raise TransientError(repr(exc)) from exc

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


RAW_CPU: list[float] = []  # the raw client's CPU seconds, per run


async def raw_posts(url: str, n: int, concurrency: int = 50) -> float:
    cpu = time.process_time()
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        await session.post(url + "/reset")

        async def one(i: int) -> None:
            while True:
                async with sem:
                    async with session.post(url + "/post", json={"channel": f"c{i}", "key": f"raw:{i}",
                                                                 "text": "x" * 600}) as resp:
                        if resp.status != 429:
                            await resp.read()
                            return
                        wait = float(resp.headers.get("Retry-After", "1"))
                await asyncio.sleep(wait)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        took = time.perf_counter() - t0
    RAW_CPU.append(time.process_time() - cpu)
    return took


async def stand_in_stats(session: aiohttp.ClientSession, url: str, prefix: str = "") -> dict:
    async with session.get(url + "/stats", params={"prefix": prefix}) as resp:
        return await resp.json()


# ------------------------------------------------------------ set-up
def _setup(ctx, location, args, burst: int, where: str = "") -> None:
    """Make the subscriptions in a process of their own (its memory is not the bench's)."""
    t0 = time.perf_counter()
    maker = ctx.Process(target=make_subscriptions,
                        args=(location, args.n, burst, args.dm_share, args.history_days, args.seed))
    maker.start()
    maker.join()
    print(f"setup: {args.n} subscriptions{where}, {args.history_days} days of history, in "
          f"{time.perf_counter() - t0:.1f}s")


def make_subscriptions(db_path: Path, n: int, burst: int, dm_share: float, history_days: int, seed: int) -> None:
    """(in a child process, so its memory isn't counted) Rows for n subscriptions spread over zones,
    quarter-hours and day sets, and ``history_days`` of sent drills each. ``aim`` sets the burst's times."""
    rng = random.Random(seed)
    db = storage.open_db(db_path, migrations())
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(n):
        tz = ZONES[i % len(ZONES)]
        is_dm = rng.random() < dm_share
        channel = f"dm-u{i}" if is_dm else f"c{i}"
        rows.append((PLATFORM, "W1", f"u{i}" if is_dm else channel, int(is_dm), f"u{i}" if is_dm else "",
                     f"u{i}", rng.randrange(24), rng.choice((0, 15, 30, 45)), tz, ",".join(rng.choice(DAY_SETS)),
                     None, stamp(now), stamp(now), stamp(now)))
    with storage.transaction(db):
        db.conn.executemany(
            "INSERT INTO subscriptions (platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, "
            "days, track, since, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    drill_ids = sorted(content.load().drills) if history_days else []
    zones = {tz: ZoneInfo(tz) for tz in ZONES}
    for d in range(1, history_days + 1):  # a day at a time: 100k × 30 days is 3M rows
        when = now - timedelta(days=d)
        days = [when.astimezone(zones[row[8]]).date().isoformat() for row in rows]  # each one's local date
        with storage.transaction(db):
            db.conn.executemany(
                "INSERT INTO deliveries (subscription_id, kind, local_date, due_at, state, attempts, sent_at, "
                "created_at, updated_at) VALUES (?, 'daily', ?, ?, 'sent', 1, ?, ?, ?)",
                ((k + 1, day, stamp(when), stamp(when), stamp(when), stamp(when)) for k, day in enumerate(days)))
            # and the drill each of them was sent that day (a subscription's id is its row's place + 1)
            db.conn.executemany(
                "INSERT INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at, "
                "shuffled) VALUES (?, 'W1', ?, ?, ?, ?, ?, 1)",
                ((PLATFORM, row[2], row[4], drill_ids[(k + d) % len(drill_ids)], f"sub:{k + 1}:{day}", stamp(when))
                 for k, (row, day) in enumerate(zip(rows, days))))
    if storage.is_postgres(db_path):
        db.execute("ANALYZE")  # the statistics autovacuum keeps on a running server (a fresh schema has none)
    db.conn.close()


def aim(db, burst: int, target: datetime, seed: int) -> int:
    """Move the first ``burst`` subscriptions to ``target`` in their own zones (days that include it),
    and the rest at least 10 minutes away from it. Returns the posts the burst should make."""
    rng = random.Random(seed)
    rows = db.execute("SELECT id, tz, is_dm, hour, minute FROM subscriptions ORDER BY id").fetchall()
    expected, updates, moves = 0, [], []
    for k, (sub_id, tz, is_dm, hour, minute) in enumerate(rows):
        local = target.astimezone(ZoneInfo(tz))
        if k < burst:
            day = DAYS[local.weekday()]
            days = next(d for d in rng.sample(DAY_SETS, len(DAY_SETS)) + [DAYS] if day in d)
            updates.append((local.hour, local.minute, ",".join(days), sub_id))
            expected += 1 + (not is_dm and local.weekday() == 0)  # a channel's Monday digest comes first
        else:
            gap = abs((hour * 60 + minute) - (local.hour * 60 + local.minute)) % 1440
            if min(gap, 1440 - gap) < 10:
                moves.append(((hour + 1) % 24, sub_id))
    with storage.transaction(db):
        db.conn.executemany("UPDATE subscriptions SET hour = ?, minute = ?, days = ? WHERE id = ?", updates)
        db.conn.executemany("UPDATE subscriptions SET hour = ? WHERE id = ?", moves)
    return expected


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:  # the process is gone
        return 0.0


def composer_rss_mb(sched: DailyScheduler) -> float:
    """The composing process's memory (part of what a `coach run` holds)."""
    pid = getattr(sched.composer, "pid", None)
    return rss_mb(pid) if pid else 0.0


# ------------------------------------------------------------ the run
async def fan_out(coach: Coach, url: str, target: datetime, burst: int, subscribes: int,
                  compose_in_process: bool = True, platform_pid: int | None = None) -> dict:
    out: dict = {}
    sender = BenchSender(url)
    sched = DailyScheduler(coach, {PLATFORM: sender}, compose_in_process=compose_in_process)  # as `coach run` has it
    stalls: list[float] = []
    handle_ms: list[float] = []
    burst_started = asyncio.Event()

    busy: list[float] = []

    async def ticker():
        # wall-clock gaps include time the OS or other threads (the GIL) kept this thread off
        # the CPU; the loop thread's own CPU time between ticks is what its callbacks cost
        last, last_cpu = time.perf_counter(), time.thread_time()
        while True:
            await asyncio.sleep(0.01)
            now, cpu = time.perf_counter(), time.thread_time()
            if burst_started.is_set():
                stalls.append(now - last - 0.01)
                busy.append(cpu - last_cpu)
            last, last_cpu = now, cpu

    async def user():
        k = 0
        while True:
            await asyncio.sleep(0.1)
            if burst_started.is_set():
                t0 = time.perf_counter()
                await workers.handle(coach, Request(platform="console", workspace="W1", channel="dm-probe",
                                                    user=f"probe{k % 5}", text="help", is_dm=True))
                handle_ms.append((time.perf_counter() - t0) * 1000)
                k += 1

    import gc
    import threading

    gc_pauses: list[float] = []
    gc_start: dict = {}
    loop_thread = threading.get_ident()

    def on_gc(phase, info):
        if threading.get_ident() != loop_thread:
            return
        if phase == "start":
            gc_start["t"] = time.thread_time()
        elif "t" in gc_start:
            gc_pauses.append(time.thread_time() - gc_start.pop("t"))

    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    await sched.start()
    out["start_s"] = time.perf_counter() - t0
    out["rss_mb"] = rss_mb()  # the scheduler with every job built: what a running `coach run` holds
    workers.keep_loop_responsive()  # as `coach run` does after start
    out["jobs"] = len(sched.jobs())
    tasks = [asyncio.ensure_future(ticker()), asyncio.ensure_future(user())]
    try:
        async with aiohttp.ClientSession() as session:
            wait = (target - datetime.now(timezone.utc)).total_seconds()
            print(f"started in {out['start_s']:.2f}s with {out['jobs']} jobs; the burst fires in {wait:.0f}s")
            await asyncio.sleep(max(0.0, wait - 0.5))
            burst_started.set()
            fire = time.perf_counter()
            cpu_before = _cpu_by_thread(sched)
            platform_before = _cpu_s(platform_pid) if platform_pid else 0.0
            deadline = fire + 600
            due_at = stamp(target)

            def ledger(c):  # this minute's deliveries by state (an empty Monday digest is skipped, not sent)
                return dict(c.db.execute("SELECT state, COUNT(*) FROM deliveries WHERE due_at = ? GROUP BY state",
                                         [due_at]).fetchall())

            while time.perf_counter() < deadline:
                await asyncio.sleep(0.25)
                stats = await stand_in_stats(session, url, "daily:")
                if stats["distinct"] >= burst:
                    states = await workers.call(coach, ledger)
                    if not states.get("pending"):
                        break
            out["seconds"] = time.perf_counter() - fire - 0.5  # from the minute boundary
            out["cpu_s"] = {name: t - cpu_before.get(name, 0.0) for name, t in _cpu_by_thread(sched).items()}
            out["platform_cpu_s"] = (_cpu_s(platform_pid) - platform_before) if platform_pid else 0.0
            await asyncio.sleep(1.0)  # anything still in flight (a duplicate would arrive now)
            burst_started.clear()
            stats = await stand_in_stats(session, url, "daily:")
            digests = await stand_in_stats(session, url, "digest:")
            states = await workers.call(coach, ledger)
            out["posted"] = stats["distinct"] + digests["distinct"]
            out["duplicates"] = stats["duplicates"] + digests["duplicates"]
            # every drill must arrive, and every digest the ledger says was sent
            out["lost"] = (burst - stats["distinct"]) + max(0, states.get("sent", 0) - out["posted"])

            # subscribe with the scheduler running: the command, and the job it adds or moves
            times = []
            for k in range(subscribes):
                req = Request(platform=PLATFORM, workspace="W2", channel=f"dm-new{k}", user=f"new{k}",
                              text=f"subscribe at {k % 24}:{(k * 15) % 60:02d} tz {ZONES[k % len(ZONES)]}",
                              is_dm=True)
                t1 = time.perf_counter()
                reply = await workers.handle(coach, req)
                await asyncio.sleep(0)  # the job update the listener queued on this loop
                times.append((time.perf_counter() - t1) * 1000)
                assert reply[0].kind == "subscription", reply[0].text
            out["rss_mb"] = max(out["rss_mb"], rss_mb())
            out["composer_rss_mb"] = composer_rss_mb(sched)
            # chat requests per second through bot.workers, the scheduler idle: `stats` reads and `answer`-free
            # commands from 50 people at once, as the adapters would send them
            reqs = [Request(platform="console", workspace="W3", channel=f"dm-r{k % 50}", user=f"r{k % 50}",
                            text=("help", "subscriptions", "stats", "timezone")[k % 4], is_dm=True)
                    for k in range(400)]
            t1 = time.perf_counter()
            await asyncio.gather(*(workers.handle(coach, r) for r in reqs))
            out["requests_per_s"] = len(reqs) / (time.perf_counter() - t1)
            out["subscribe_ms_p50"] = statistics.median(times)
            out["subscribe_ms_max"] = max(times)
    finally:
        for task in tasks:
            task.cancel()
        sched.shutdown()
        await sender.close()
    out["max_loop_stall_ms"] = max(stalls) * 1000 if stalls else 0.0
    out["max_loop_busy_ms"] = max(busy) * 1000 if busy else 0.0
    out["max_gc_ms"] = max(gc_pauses) * 1000 if gc_pauses else 0.0
    gc.callbacks.remove(on_gc)
    out["p99_loop_stall_ms"] = sorted(stalls)[int(len(stalls) * 0.99)] * 1000 if stalls else 0.0
    out["handle_ms_max"] = max(handle_ms) if handle_ms else 0.0
    out["handle_ms_p50"] = statistics.median(handle_ms) if handle_ms else 0.0
    return out


# ------------------------------------------------------------ several processes, one database
def _cpu_s(pid: int | str) -> float:
    """A process's CPU seconds so far (user + system), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_by_thread(sched: DailyScheduler) -> dict[str, float]:
    """CPU seconds so far of this process's event loop, of its other threads together, and of the composing process."""
    import threading

    out = {"loop": 0.0, "threads": 0.0}
    loop_tid = threading.get_native_id()
    for tid in os.listdir("/proc/self/task"):
        out["loop" if int(tid) == loop_tid else "threads"] += _cpu_s(f"self/task/{tid}")
    pid = getattr(sched.composer, "pid", None)
    out["composer"] = _cpu_s(pid) if pid else 0.0
    return out


def _scheduler_process(location: str, index: str, url: str, ready, firing, finished, cpu_used,
                       compose_in_process: bool = True) -> None:
    """(in a process of its own) What `coach run` runs for the scheduler: start(), then the minute fires."""
    async def run():
        library = content.load()
        coach = Coach(storage.open_db(location, migrations()), library,
                      config=Config(db=location, index=index))
        sender = BenchSender(url)
        sched = DailyScheduler(coach, {PLATFORM: sender}, compose_in_process=compose_in_process)  # as `coach run`
        await sched.start()
        workers.keep_loop_responsive()
        ready.put(sched.owner)
        while not firing.is_set():
            await asyncio.sleep(0.05)
        composer = [pid for pid in [getattr(sched.composer, "pid", None)] if pid]
        cpu = time.process_time() + sum(map(_cpu_s, composer))
        while not finished.is_set():
            await asyncio.sleep(0.1)
        # from half a second before the minute to the end of the burst, the composing process's included
        cpu_used.put(time.process_time() + sum(map(_cpu_s, composer)) - cpu)
        sched.shutdown()
        await sender.close()

    asyncio.run(run())


def _postgres(folder: Path):
    """A PostgreSQL 16 of our own (pgserver bundles the binaries), as the tests start one."""
    import os

    os.environ.setdefault("XDG_RUNTIME_DIR", str(folder))
    import pgserver

    return pgserver.get_server(folder / "pgdata", cleanup_mode="stop")


def _cpu_of(command: str) -> float:
    """CPU seconds (user + system) used so far by the live processes named ``command``."""
    import os

    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name == command:
            total += int(rest[11]) + int(rest[12])
    return total / os.sysconf("SC_CLK_TCK")


def multi_process(args, burst: int) -> int:
    import os
    import threading

    ctx = mp.get_context("spawn")
    ports = ctx.Queue()
    platform = ctx.Process(target=_stand_in, args=(ports, 10, args.retry_after), daemon=True)
    platform.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}"
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)  # pgserver runs the server as its own user when we are root
        if args.db == "postgres":
            server = _postgres(tmp)
            # the bench's state in a database of its own: the watcher below reads the server's statistics
            # from the default one, so its own statements are not counted as the schedulers' work
            watch_at = server.get_uri()
            server.psql("CREATE DATABASE bench;")
            location = server.get_uri("bench")
        else:
            location = str(tmp / "bench.db")
        _setup(ctx, location, args, burst, f" on {args.db}")
        index = str(tmp / "index.db")
        coach = Coach(storage.open_db(location, migrations()), content.load(),
                      config=Config(db=location, index=index))
        target = (datetime.now(timezone.utc) + timedelta(seconds=100)).replace(second=0, microsecond=0)
        expected = aim(coach.db, burst, target, args.seed)
        print(f"{burst} due at {target:%H:%M:%S} UTC: {expected} posts, {args.processes} processes")
        raw = [asyncio.run(raw_posts(url, expected))]
        ready, firing, finished, cpu_used = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
        children = []
        for k in range(args.processes):
            # each process its own content index, as each machine has (the first builds it; copies are cheap)
            child_index = str(tmp / f"index-{k}.db")
            children.append(ctx.Process(target=_scheduler_process,
                                        args=(location, child_index, url, ready, firing, finished, cpu_used,
                                              args.compose == "process")))
            children[-1].start()
        owners = [ready.get(timeout=120) for _ in children]
        if datetime.now(timezone.utc) > target - timedelta(seconds=5):
            print("start-up took too long for the chosen minute; use a smaller --n or fewer --processes")
            finished.set()
            return 2
        lock_waits: Counter = Counter()  # pg_stat_activity samples: sessions waiting for the write lock
        samples = {"n": 0}
        waiting_on: Counter = Counter()  # what active sessions were doing: a wait event, or running
        in_lock: Counter = Counter()  # sessions waiting for the write lock, and what its holder runs
        running: Counter = Counter()  # statements seen running
        sampling = threading.Event()

        def sample():
            if server is None:
                return
            watcher = storage.connect(watch_at)
            while not sampling.is_set():
                rows = watcher.execute(
                    "SELECT a.wait_event_type, a.wait_event, a.state, left(a.query, 60), EXISTS (SELECT 1 FROM "
                    "pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted) FROM pg_stat_activity a "
                    "WHERE a.datname = 'bench'").fetchall()
                samples["n"] += 1
                for kind, event, state, query, holds in rows:
                    what = " ".join(query.split()[:3])
                    if kind == "Lock" and event == "advisory":
                        in_lock[f"waits: {what}"] += 1
                    elif holds:
                        in_lock[f"holds ({state}): {what}"] += 1
                    if kind == "Lock" and event == "advisory":
                        lock_waits["advisory"] += 1
                    elif state == "active":
                        lock_waits["active"] += 1
                    if state == "active":
                        waiting_on[f"{kind}:{event}" if kind else "cpu"] += 1
                        running[" ".join(query.split()[:4])] += 1
                time.sleep(0.02)
            watcher.close()

        due_at = stamp(target)

        def server_counters() -> tuple[int, float]:
            """Transactions committed in the database, and CPU seconds used by PostgreSQL's processes."""
            if server is None:
                return 0, 0.0
            watcher = storage.connect(watch_at)
            commits = watcher.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'").fetchone()[0]
            watcher.close()
            return commits, _cpu_of("postgres")

        async def watch() -> dict:
            out: dict = {}
            async with aiohttp.ClientSession() as session:
                await asyncio.sleep(max(0.0, (target - datetime.now(timezone.utc)).total_seconds() - 0.5))
                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                out["commits"], out["server_cpu"] = server_counters()
                firing.set()
                fire = time.perf_counter()
                deadline = fire + 600
                while time.perf_counter() < deadline:
                    await asyncio.sleep(0.25)
                    stats = await stand_in_stats(session, url, "daily:")
                    if stats["distinct"] >= burst:
                        states = dict(coach.db.execute(
                            "SELECT state, COUNT(*) FROM deliveries WHERE due_at = ? GROUP BY state",
                            [due_at]).fetchall())
                        if not states.get("pending"):
                            break
                out["seconds"] = time.perf_counter() - fire - 0.5
                commits, server_cpu = server_counters()
                out["commits"], out["server_cpu"] = commits - out["commits"], server_cpu - out["server_cpu"]
                sampling.set()
                await asyncio.sleep(1.0)  # anything still in flight
                stats = await stand_in_stats(session, url, "daily:")
                digests = await stand_in_stats(session, url, "digest:")
            states = dict(coach.db.execute("SELECT state, COUNT(*) FROM deliveries WHERE due_at = ? GROUP BY state",
                                           [due_at]).fetchall())
            out["posted"] = stats["distinct"] + digests["distinct"]
            out["duplicates"] = stats["duplicates"] + digests["duplicates"]
            out["lost"] = (burst - stats["distinct"]) + max(0, states.get("sent", 0) - out["posted"])
            return out

        out = asyncio.run(watch())
        shares = Counter(dict(coach.db.execute(
            "SELECT claimed_by, COUNT(*) FROM deliveries WHERE due_at = ? AND state = 'sent' GROUP BY claimed_by",
            [due_at]).fetchall()))
        timeline: dict[str, Counter] = {}  # per process: drills recorded sent, per second after the minute
        for owner, when, count in coach.db.execute(
                "SELECT claimed_by, updated_at, COUNT(*) FROM deliveries WHERE due_at = ? AND state = 'sent' "
                "GROUP BY claimed_by, updated_at", [due_at]).fetchall():
            second = int((datetime.fromisoformat(when.replace("Z", "+00:00")) - target).total_seconds())
            timeline.setdefault(owner, Counter())[second] += count
        finished.set()
        cpu = [cpu_used.get(timeout=60) for _ in children]
        for child in children:
            child.join(30)
        coach.db.close()
        raw.append(asyncio.run(raw_posts(url, expected)))
        if server is not None:
            server.cleanup()
    platform.kill()
    raw_rate = expected / (sum(raw) / len(raw))
    rate = out["posted"] / out["seconds"] if out["seconds"] > 0 else 0.0
    share = "/".join(str(shares.get(o, 0)) for o in owners)
    waits = (f"lock_wait_share={lock_waits['advisory'] / max(1, lock_waits['advisory'] + lock_waits['active']):.2f} "
             if server is not None else "")
    print(f"posted {out['posted']} (at most {expected}) in {out['seconds']:.2f}s from the minute boundary; "
          f"per process {share}; raw runs {', '.join(f'{expected / r:.0f}/s' for r in raw)}; "
          f"scheduler CPU per process {', '.join(f'{c:.1f}s' for c in cpu)}, "
          f"{sum(cpu) * 1000 / max(1, out['posted']):.2f} ms per post "
          f"({sum(cpu) / out['seconds']:.2f} cores on average)"
          + (f"; database: {out['commits'] / max(1, out['posted']):.2f} commits and "
             f"{out['server_cpu'] * 1000 / max(1, out['posted']):.2f} ms of server CPU per post" if server else ""))
    for k, owner in enumerate(owners):
        seconds = timeline.get(owner, Counter())
        print(f"process {k + 1}, sent per second after the minute: "
              + " ".join(f"{t}s:{seconds[t]}" for t in sorted(seconds)))
    if server is not None:
        total = sum(waiting_on.values()) or 1
        print(f"database sessions, {samples['n']} samples: " + ", ".join(
            f"{k} {v / total:.0%}" for k, v in waiting_on.most_common(6)))
        print("running, per sample: " + ", ".join(f"{k} {v / samples['n']:.2f}" for k, v in running.most_common(6)))
        print("write lock, per sample: " + ", ".join(f"{k} {v / samples['n']:.2f}" for k, v in in_lock.most_common(6)))
    print(f"bench: fanout n={args.n} burst={burst} processes={args.processes} db={args.db} "
          f"history_days={args.history_days} seconds={out['seconds']:.2f} posts_per_s={rate:.0f} "
          f"raw_posts_per_s={raw_rate:.0f} ratio={rate / raw_rate:.2f} per_process={share} {waits}"
          f"duplicates={out['duplicates']} lost={out['lost']}")
    return 0 if out["duplicates"] == 0 and out["lost"] == 0 else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="subscriptions in the database")
    parser.add_argument("--burst", type=int, default=None, help="of them due in the next minute (default: all, "
                        "at most 10,000)")
    parser.add_argument("--dm-share", type=float, default=0.5, help="share of them that are DMs (the rest channels)")
    parser.add_argument("--history-days", type=int, default=0, help="days of history per subscription: its sent deliveries and the drills they posted")
    parser.add_argument("--retry-after", type=float, default=0.1, help="the stand-in's Retry-After on 429s")
    parser.add_argument("--subscribes", type=int, default=100, help="subscribe commands timed afterwards")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite",
                        help="where state lives (postgres: a pgserver PostgreSQL started in a temporary folder)")
    parser.add_argument("--processes", type=int, default=1,
                        help="scheduler processes sharing the database and the stand-in")
    parser.add_argument("--compose", choices=("process", "thread"), default="process",
                        help="where posts are composed: a process of their own, as `coach run` has it, or a thread "
                             "of the scheduler's process, for comparison")
    args = parser.parse_args(argv)
    burst = min(args.n, 10_000) if args.burst is None else min(args.burst, args.n)
    if args.processes > 1 or args.db != "sqlite":
        return multi_process(args, burst)

    ctx = mp.get_context("spawn")  # the platform in a process of its own, as a remote server is
    ports = ctx.Queue()
    platform = ctx.Process(target=_stand_in, args=(ports, 10, args.retry_after), daemon=True)
    platform.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}"

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        _setup(ctx, db_path, args, burst)
        library = content.load()
        coach = Coach(storage.open_db(db_path, migrations()), library, config=Config(db=str(db_path)))
        # the burst fires at the first whole minute at least 40 s away: start must be done by then
        target = (datetime.now(timezone.utc) + timedelta(seconds=100)).replace(second=0, microsecond=0)
        expected = aim(coach.db, burst, target, args.seed)
        print(f"{burst} due at {target:%H:%M:%S} UTC: {expected} posts")
        platform_cpu = {"raw": _cpu_s(platform.pid)}  # the stand-in's CPU: what each way of posting costs it
        raw = [asyncio.run(raw_posts(url, expected))]
        platform_cpu["raw"] = _cpu_s(platform.pid) - platform_cpu["raw"]
        if datetime.now(timezone.utc) > target - timedelta(seconds=15):
            print("the raw run took too long for the chosen minute; use a smaller --burst")
            return 2
        out = asyncio.run(fan_out(coach, url, target, burst, args.subscribes, args.compose == "process",
                                  platform_pid=platform.pid))
        coach.db.conn.close()
        before = _cpu_s(platform.pid)
        raw.append(asyncio.run(raw_posts(url, expected)))
        platform_cpu["raw"] = (platform_cpu["raw"] + _cpu_s(platform.pid) - before) / 2
    platform.kill()
    raw_rate = expected / (sum(raw) / len(raw))  # expected: drills and Monday digests, the most it may post
    rate = out["posted"] / out["seconds"] if out["seconds"] > 0 else 0.0
    print(f"posted {out['posted']} (at most {expected}; empty digests are skipped) in {out['seconds']:.2f}s from the minute boundary; "
          f"help during the burst: p50 {out['handle_ms_p50']:.1f} ms, max {out['handle_ms_max']:.1f} ms; "
          f"subscribe while running: p50 {out['subscribe_ms_p50']:.2f} ms, max {out['subscribe_ms_max']:.1f} ms")
    print(f"bench: fanout n={args.n} burst={burst} history_days={args.history_days} start_s={out['start_s']:.2f} "
          f"seconds={out['seconds']:.2f} posts_per_s={rate:.0f} raw_posts_per_s={raw_rate:.0f} "
          f"ratio={rate / raw_rate:.2f} max_loop_stall_ms={out['max_loop_stall_ms']:.0f} "
          f"p99_loop_stall_ms={out['p99_loop_stall_ms']:.0f} max_loop_busy_ms={out['max_loop_busy_ms']:.0f} "
          f"max_gc_ms={out['max_gc_ms']:.0f} "
          f"subscribe_ms={out['subscribe_ms_p50']:.2f} requests_per_s={out['requests_per_s']:.0f} "
          f"rss_mb={out['rss_mb']:.0f} composer_rss_mb={out['composer_rss_mb']:.0f} "
          + "".join(f"{name}_cpu_ms_per_post={cpu * 1000 / max(1, out['posted']):.2f} " for name, cpu in out["cpu_s"].items())
          + f"platform_cpu_ms_per_post={out['platform_cpu_s'] * 1000 / max(1, out['posted']):.2f} "
          f"raw_platform_cpu_ms_per_post={platform_cpu['raw'] * 1000 / expected:.2f} "
          f"raw_client_cpu_ms_per_post={statistics.mean(RAW_CPU) * 1000 / expected:.2f} "
          + f"duplicates={out['duplicates']} lost={out['lost']}")
    return 0 if out["duplicates"] == 0 and out["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
