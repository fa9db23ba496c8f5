"""Three real `coach run` processes against one PostgreSQL: every daily drill posted exactly once.

Each child is the real command line (``coach run``) with Discord configured, its own shards
(``DISCORD_SHARD_IDS`` of ``DISCORD_SHARD_COUNT=4``) and its own content index, pointed at the
loopback Discord stand-in (REST and gateway) running in a thread of this process. The drills are
due a minute ago, so each process's scheduler posts them in the catch-up ``start()`` runs — the
three race for the same ledger rows. What the stand-in received is counted by nonce (the sender
derives it from the delivery key) and checked against the ledger.

With a kill: the process holding the most claims is SIGKILLed part-way through its sends; the
others finish what they claimed, and a restart after the dead process's lease (5 minutes; here a
clock moved past it) re-sends its unrecorded claims with the same keys. What may repeat is what
the platform had accepted but the dead process had not recorded: at most one message per send in
flight (``scheduler.CONCURRENCY``). Discord drops those repeats by the nonce (enforce_nonce), so
the channel still shows each drill once; the POSTs are counted here as they arrived.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import discord
import pytest
import yarl

from adapters.discord.client import build_client
from adapters.discord.sender import DiscordSender, nonce
from bot import storage
from bot.scheduler import CONCURRENCY, LEASE, DailyScheduler
from discord_standin import GUILD_ID, TOKEN, StandIn

ROOT = Path(__file__).resolve().parents[1]
UTC = timezone.utc
SHARDS = ("0,1", "2", "3")  # of DISCORD_SHARD_COUNT=4: the three processes split the gateway

# The real `coach run`, with discord.py's endpoints pointed at the stand-in (as the tests' fixture
# does in-process).
CHILD = """
import os, sys
import discord, yarl
discord.http.Route.BASE = os.environ["TEST_DISCORD_API"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["TEST_DISCORD_GATEWAY"])
from bot.__main__ import main
sys.exit(main(["run"]))
"""


class ThreadedStandIn:
    """The Discord stand-in in its own thread and event loop, reachable by other processes."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: StandIn = asyncio.run_coroutine_threadsafe(StandIn().start(), self.loop).result(10)

    def message_nonces(self) -> Counter:
        calls = list(self.server.calls)
        return Counter(c.body.get("nonce") for c in calls
                       if c.method == "POST" and c.path.startswith("/channels/") and c.path.endswith("/messages"))

    def identified_shards(self) -> list:
        return sorted(tuple(op["d"]["shard"]) for op in list(self.server.gateway_ops) if op["op"] == 2)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def discord_api():
    stand_in = ThreadedStandIn()
    yield stand_in
    stand_in.stop()


def subscribe_due_a_minute_ago(coach, say, clock, n: int) -> datetime:
    """n Discord subscriptions (two in three DMs, the rest channels) due at the last whole minute, real time.

    Two through the subscribe command; the rest are written as the command writes them (setting up
    hundreds through it would take most of the test's time)."""
    due = (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    clock.set(due - timedelta(minutes=10))  # subscribed before it was due
    for user, where in (("100000000000000000", {}),
                        ("100000000000000001", {"channel": "810000000000000001", "workspace": str(GUILD_ID)})):
        reply = say(f"subscribe {'here' if where else 'me'} at {due:%H:%M} tz UTC", user=user, platform="discord",
                    **where)
        assert reply[0].kind == "subscription", reply[0].text
    row = coach.db.execute("SELECT hour, minute, tz, days, since, created_at FROM subscriptions").fetchone()
    rows = []
    for i in range(2, n):
        user, is_dm = str(100000000000000000 + i), bool(i % 3)
        rows.append(("discord", "dm" if is_dm else str(GUILD_ID), user if is_dm else str(810000000000000000 + i),
                     int(is_dm), user if is_dm else "", user, *row, row[-1]))
    with storage.transaction(coach.db):
        coach.db.executemany(
            "INSERT INTO subscriptions (platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, days, "
            "since, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert coach.db.execute("SELECT COUNT(*) FROM subscriptions WHERE active = 1").fetchone()[0] == n
    return due


def start_children(db_file, index_file, api: ThreadedStandIn, tmp_path: Path) -> list[subprocess.Popen]:
    """Three `coach run`s, held at their first claim until all three are there (see held_at_the_gate)."""
    children = []
    for k, shards in enumerate(SHARDS):
        index = tmp_path / f"index-{k}.db"  # each machine has its own (derived, built from content/)
        shutil.copy(index_file, index)
        for suffix in ("-wal", ".content.pickle"):
            if Path(f"{index_file}{suffix}").exists():
                shutil.copy(f"{index_file}{suffix}", f"{index}{suffix}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COACH_"))}
        env.update(COACH_DB=str(db_file), COACH_INDEX=str(index), COACH_LOG_LEVEL="INFO", DISCORD_TOKEN=TOKEN,
                   DISCORD_SYNC="0", DISCORD_SHARD_IDS=shards, DISCORD_SHARD_COUNT="4",
                   TEST_DISCORD_API=api.server.base, TEST_DISCORD_GATEWAY=api.server.gateway_url)
        log = (tmp_path / f"child-{k}.log").open("w")
        children.append(subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT))
    return children


class held_at_the_gate:
    """Another writer holds the database's write lock while the three start, and lets go once all
    three schedulers wait for it at their first claim: then they claim batch by batch, in turn,
    as three processes whose minute ticks fire together do (start-up times differ by seconds here,
    claiming a batch takes milliseconds, so without this the first one up would claim everything)."""

    def __init__(self, db_file):
        self.db = storage.connect(str(db_file))
        self.db.begin_write()

    def release_when_waiting(self, waiting: int, children, tmp_path) -> None:
        def all_there():
            return self.db.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' "
                                   "AND NOT granted").fetchone()[0] >= waiting
        try:
            assert wait_until(all_there, 25, children), logs(tmp_path)  # the scheduler waits 30 s for the lock
        finally:
            self.db.commit()
            self.db.close()


def ledger(coach) -> dict:
    return dict(coach.db.execute("SELECT state, COUNT(*) FROM deliveries WHERE kind = 'daily' GROUP BY state"))


def daily_nonces(coach) -> dict[str, int]:
    """The first message's nonce of every daily drill in the ledger -> its subscription id."""
    return {nonce(f"daily:{sub}:{day}", 0): sub for sub, day in coach.db.execute(
        "SELECT subscription_id, local_date FROM deliveries WHERE kind = 'daily'")}


def wait_until(what, timeout: float, children=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        for child in children:
            assert child.poll() is None, f"a `coach run` stopped early ({child.returncode})"
        time.sleep(0.05)
    return False


def stop(children, tmp_path) -> list[int]:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    codes = [child.wait(30) for child in children]
    return codes


def logs(tmp_path) -> str:
    return "\n".join(p.read_text() for p in sorted(tmp_path.glob("child-*.log")))


def owners(coach) -> Counter:
    return Counter(r[0] for r in coach.db.execute("SELECT claimed_by FROM deliveries WHERE kind = 'daily'"))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_three_coach_run_processes_on_postgres_post_every_drill_exactly_once(
        coach, say, clock, db_file, index_file, discord_api, tmp_path):
    n = 600
    subscribe_due_a_minute_ago(coach, say, clock, n)
    gate = held_at_the_gate(db_file)
    children = start_children(db_file, index_file, discord_api, tmp_path)
    try:
        gate.release_when_waiting(3, children, tmp_path)
        done = wait_until(lambda: ledger(coach).get("sent", 0) == n, 90, children)
        assert done, (ledger(coach), logs(tmp_path))
        time.sleep(1.0)  # a duplicate still in flight would arrive now
        # discord.py identifies a process's second shard 5 s after its first (one at a time)
        wait_until(lambda: len(discord_api.identified_shards()) >= 4, 30, children)
    finally:
        codes = stop(children, tmp_path)
    assert codes == [0, 0, 0], logs(tmp_path)  # SIGTERM is a clean stop
    assert ledger(coach) == {"sent": n}
    posted = discord_api.message_nonces()
    expected = daily_nonces(coach)
    assert len(expected) == n
    assert {k: posted[k] for k in expected} == {k: 1 for k in expected}  # zero lost, zero duplicates
    assert sum(posted.values()) == n  # and nothing else was posted
    # the three processes identified as their own shards, together all four, each once
    assert discord_api.identified_shards() == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert sum(owners(coach).values()) == n
    # each claims batches in its own order, so the three share the posting (not a rule of exactly
    # once — one process posting everything would be correct — but what makes a second one worth it)
    assert len(owners(coach)) >= 2
    print(f"three processes: drills posted per process {sorted(owners(coach).values(), reverse=True)}")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_one_of_three_processes_killed_mid_fan_out_a_restart_finishes_its_claims(
        coach, say, clock, db_file, index_file, discord_api, tmp_path, monkeypatch):
    n = 600
    subscribe_due_a_minute_ago(coach, say, clock, n)
    gate = held_at_the_gate(db_file)
    children = start_children(db_file, index_file, discord_api, tmp_path)
    by_pid = {child.pid: child for child in children}
    victim = None
    try:
        gate.release_when_waiting(3, children, tmp_path)
        def some_sent_and_claims_in_flight():
            nonlocal victim
            if sum(discord_api.message_nonces().values()) < n // 10:
                return False
            # a process part-way through its own claims: some of them sent, some still in flight
            mid_way = coach.db.execute(
                "SELECT claimed_by, SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END) AS sent, "
                "SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending FROM deliveries "
                "WHERE kind = 'daily' GROUP BY claimed_by ORDER BY pending DESC").fetchall()
            for owner, sent, pending in mid_way:
                pid = int(owner.split(":")[-2])
                if pid in by_pid and sent >= 5 and pending >= 20:
                    os.kill(pid, signal.SIGKILL)
                    victim = owner
                    return True
            return False

        assert wait_until(some_sent_and_claims_in_flight, 90, children), (ledger(coach), logs(tmp_path))
        dead = by_pid[int(victim.split(":")[-2])]
        dead.wait(10)
        survivors = [c for c in children if c is not dead]

        def only_the_dead_claims_left():
            pending = dict(coach.db.execute(
                "SELECT claimed_by, COUNT(*) FROM deliveries WHERE state = 'pending' GROUP BY claimed_by").fetchall())
            states = ledger(coach)
            return set(pending) <= {victim} and states.get("sent", 0) + states.get("pending", 0) == n

        assert wait_until(only_the_dead_claims_left, 90, survivors), (ledger(coach), logs(tmp_path))
        time.sleep(1.0)
    finally:
        codes = stop(children, tmp_path)
    assert codes[children.index(dead)] == -signal.SIGKILL
    assert [c for c, child in zip(codes, children) if child is not dead] == [0, 0], logs(tmp_path)
    left = ledger(coach).get("pending", 0)
    assert left > 0  # the kill really left drills claimed and not recorded
    # (on a Monday a channel's digest comes first: claimed too, and skipped as empty when recovered)
    left_all = coach.db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").fetchone()[0]

    # A restart once the dead process's lease is over: it re-sends those claims, with the same keys.
    monkeypatch.setattr(discord.http.Route, "BASE", discord_api.server.base)
    restart_at = datetime.now(UTC) + LEASE + timedelta(minutes=1)

    async def restart():
        client = build_client(coach, {}, env={"DISCORD_SYNC": "0"})
        await client.login(TOKEN)
        try:
            coach.clock = lambda: restart_at
            return await DailyScheduler(coach, {"discord": DiscordSender(client)}).run_due(restart_at)
        finally:
            await client.close()

    summary = asyncio.run(restart())
    assert (summary.resent, summary.sent + summary.empty, summary.failed) == (left_all, left_all, 0)
    assert ledger(coach) == {"sent": n}
    posted = discord_api.message_nonces()
    expected = daily_nonces(coach)
    assert all(posted[k] >= 1 for k in expected)  # zero lost
    duplicates = sum(posted[k] - 1 for k in expected)
    assert sum(posted.values()) == n + duplicates  # nothing posted but the drills
    # repeats only where the platform had accepted a post the dead process had not recorded yet
    assert duplicates <= CONCURRENCY, duplicates
    print(f"killed {victim} with {left} claims unrecorded; re-sent {left}, of them {duplicates} already posted; "
          f"drills per process {sorted(owners(coach).values(), reverse=True)}")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_unserialized_transaction_takes_the_write_lock_only_when_a_nested_one_needs_it(db_file):
    """What lets three processes write send results and compose batches at once: no advisory lock for
    those, while anything inside them that needs the one writer still gets it."""
    mine, other = storage.connect(str(db_file)), storage.connect(str(db_file))
    other.set_lock_wait(0.05)

    def other_can_write() -> bool:
        try:
            with storage.transaction(other):
                return True
        except storage.Error as exc:
            assert storage.fault(exc) == "busy"
            return False

    try:
        with storage.transaction(mine, serialized=False):
            assert other_can_write()
            with storage.transaction(mine):  # e.g. a reveal's scoring inside a compose batch
                assert not other_can_write()
            assert not other_can_write()  # held to the end of the outer transaction
        assert other_can_write()
        with storage.transaction(mine):
            assert not other_can_write()
    finally:
        mine.close()
        other.close()
