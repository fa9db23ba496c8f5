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

The composer also writes the scheduler's send results (``write_results``): in the child, so the
sending process keeps no thread busy during a burst.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
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
    done: dict = {}
    try:
        with transaction(coach.db, serialized=False):
            for item in rest:
                coach.db.execute("SAVEPOINT compose")
                try:
                    done[item.id] = compose_one(coach, item)
                except Exception as exc:
                    log.exception("composing %s failed", item.key)
                    coach.db.execute("ROLLBACK TO compose")
                    done[item.id] = exc
                coach.db.execute("RELEASE compose")
    except Exception as exc:  # the transaction itself (its BEGIN or COMMIT): none of these was composed
        log.exception("composing %d posts together failed", len(rest))
        done = {item.id: exc for item in rest}
    # The drills above are committed whatever became of the rest: they go out, not reported failed.
    out.update(done)
    return out


_RESULT = ("UPDATE deliveries SET state = ?, parts_sent = ?, message_ref = COALESCE(NULLIF(?, ''), message_ref), "
           "error = ?, attempts = attempts + ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
           "lease_until = CASE WHEN ? = 1 THEN NULL ELSE lease_until END, post_id = COALESCE(?, post_id), "
           "updated_at = ? WHERE id = ? AND state = 'pending'")


def write_results(coach, rows: list[list]) -> None:
    """Send results (the scheduler's ``_record`` rows) in one transaction. A row already final is left
    alone (``state = 'pending'``): written twice — a composing process that died after its commit —
    a result changes nothing the second time."""
    # Each update is of a row this process claimed: on PostgreSQL no need for the one writer's lock
    # (with it, three processes' result writes queued behind each other and behind compose batches).
    with transaction(coach.db, serialized=False):
        coach.db.executemany(_RESULT, rows)


class ThreadComposer:
    """Composes in a thread of the scheduler's process (its writer lane), with that thread's connection;
    send results are written in the results lane."""

    def __init__(self, lane, results_lane=None):
        self.lane = lane
        self.results_lane = results_lane or lane

    async def compose(self, coach, items: list) -> dict:
        return await workers.call_in(self.lane(coach), coach, compose_batch, items)

    async def write_results(self, coach, rows: list[list]) -> None:
        await workers.call_in(self.results_lane(coach), coach, write_results, rows)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class ComposerGone(Exception):
    """The composing process died (or its pipe broke) with a batch in hand."""


class ProcessComposer:
    """Composes in one child process, its own connection to the same database and its own copy of the
    library. The child is started (spawned: the parent runs threads, so no fork) when the scheduler
    starts and warms up in the background. Should it die, a batch it had is composed in the parent's
    thread instead and a new child is started for the next one: nothing is lost, and a post the dead
    child had registered is found by its key, not made twice.

    A pipe, not a ProcessPoolExecutor: the pool's manager and feeder threads cost the sending process
    ~0.07 ms of CPU a post under its one GIL. Here the loop writes a batch (a few KB) and one thread
    that sleeps in ``recv`` hands each finished batch back."""

    GIVE_UP_AFTER = 3  # children dead in a row (one that can't even start: a bad content folder, no database)

    def __init__(self, coach, fallback: ThreadComposer):
        self.args = (coach.db.location, str(coach.library.root), coach.config)
        self.fallback = fallback
        self.child: _Child | None = None
        self.deaths = 0  # children lost in a row (each counted once, however many batches it had)
        self.closed = False  # shut down: what is still composed goes to the thread, no new child

    @property
    def pid(self) -> int | None:
        return self.child.process.pid if self.child else None

    @property
    def given_up(self) -> bool:
        return self.deaths >= self.GIVE_UP_AFTER

    def start(self) -> None:
        """(The scheduler's start) a child, warming up in the background."""
        self.closed = False
        self._child()

    def _child(self) -> "_Child | None":
        """The live child, started if need be; None when composing stays in this process."""
        if self.closed or self.given_up:
            return None
        if self.child is None or not self.child.alive:
            try:
                self.child = _Child(self.args)
            except Exception as exc:  # no process to be had (a pids limit, no memory): compose here
                self.child = None
                self._lost(f"could not be started ({exc})")
        return self.child

    def _lost(self, why: str) -> None:
        self.deaths += 1
        if self.given_up:
            log.error("the composing process %s, %d times in a row; composing in this process from now on "
                      "(its own log lines say why)", why, self.deaths)
        else:
            log.warning("the composing process %s; composing in this process meanwhile, starting a new one", why)

    async def compose(self, coach, items: list) -> dict:
        return await self._ask("compose", items, coach, self.fallback.compose)

    async def write_results(self, coach, rows: list[list]) -> None:
        """Send results are written by the child too: the sending process is left with its loop and no
        thread taking the GIL from it at every write (the loop gives it up at each socket call, and got it
        back only after the other thread's switch interval). Measured: 1,186–1,343 → 1,235–1,641 posts/s."""
        failure = await self._ask("results", rows, coach, self.fallback.write_results)
        if failure is not None:
            raise failure

    async def _ask(self, kind: str, payload: list, coach, fallback):
        child = self._child()
        if child is None:
            return await fallback(coach, payload)
        try:
            out = await child.ask(kind, payload, coach.clock())
        except ComposerGone:
            if not child.mourned:  # one death, however many batches it had in hand
                child.mourned = True
                self._lost("died")
            # it may have committed before dying: composing again finds its posts by their keys, and a
            # result written twice changes nothing the second time (write_results)
            return await fallback(coach, payload)
        self.deaths = 0
        return out

    def close(self) -> None:
        self.closed = True
        child, self.child = self.child, None
        if child is not None:
            child.close()


class _Child:
    """One composing process and the thread that reads its answers."""

    def __init__(self, args: tuple):
        ctx = multiprocessing.get_context("spawn")
        # Two one-way pipes, not one two-way: closing our end of the requests is how the child learns to stop,
        # and a socket another thread is blocked reading (the answers) would not close until that read ended.
        their_requests, self.requests = ctx.Pipe(duplex=False)
        self.answers, their_answers = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_child_main, args=(their_requests, their_answers, *args),
                                   name="coach-composer", daemon=True)
        try:
            self.process.start()
        finally:
            their_requests.close()  # the child's ends are the child's: when it dies, our reads end
            their_answers.close()
        self.pending: dict[int, asyncio.Future] = {}
        self.seq = itertools.count()
        self.alive = True
        self.mourned = False  # its death counted
        threading.Thread(target=self._read, name="coach-composer-results", daemon=True).start()

    async def ask(self, kind: str, payload: list, now: datetime):
        """The child's answer to ``kind`` ("compose": the items' posts; "results": None or the exception)."""
        if not self.alive:
            raise ComposerGone()
        seq = next(self.seq)
        request = pickle.dumps((seq, kind, payload, now), pickle.HIGHEST_PROTOCOL)  # before anything waits on it
        done = self.pending[seq] = asyncio.get_running_loop().create_future()
        # a run cancelled meanwhile (a stop, asyncio.run ending) forgets its batch: nothing to settle later
        done.add_done_callback(lambda _, seq=seq: self.pending.pop(seq, None))
        try:
            self.requests.send_bytes(request)
        except (OSError, ValueError) as exc:  # the child is gone (a broken pipe) or we closed it
            self.pending.pop(seq, None)
            raise ComposerGone() from exc
        return await done

    def _read(self) -> None:
        try:
            while True:
                seq, out = pickle.loads(self.answers.recv_bytes())
                done = self.pending.pop(seq, None)
                if done is not None:
                    _hand_back(done, out)
        except (EOFError, OSError):  # the child exited, or we closed the pipe
            pass
        except Exception:
            log.exception("the composing process's answer could not be read")
            self.process.kill()  # no one reads its answers any more: what it had goes to the thread
        finally:
            self.alive = False
            while self.pending:
                _hand_back(self.pending.popitem()[1], ComposerGone())

    def close(self) -> None:
        self.alive = False
        self.requests.close()  # the child sees the end of its input and exits after the batch in hand


def _hand_back(done: asyncio.Future, out) -> None:
    """(in the reader thread) Settle ``done`` in its own loop, unless that loop is gone (a run that ended)."""
    loop = done.get_loop()
    if done.done() or loop.is_closed():
        return
    try:
        loop.call_soon_threadsafe(_settle, done, out)
    except RuntimeError:  # the loop closed just now
        pass


def _settle(done: asyncio.Future, out) -> None:
    if done.done():
        return
    if isinstance(out, ComposerGone):
        done.set_exception(out)
    else:
        done.set_result(out)


# ------------------------------------------------------------ in the child process
def _child_main(requests, answers, location: str, root: str, config) -> None:
    """Compose each batch the parent sends, until its end of the pipe closes (it stopped, or died)."""
    from pathlib import Path

    from . import content, storage
    from .coach import Coach

    # Ctrl-C in a terminal reaches the whole process group: the coach run stops and closes the pipe, and
    # this process ends with it instead of printing a KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    level = (os.environ.get("COACH_LOG_LEVEL") or "WARNING").upper()  # coach run's own setting, as the parent reads it
    logging.basicConfig(level=level if isinstance(logging.getLevelName(level), int) else "WARNING",
                        format="%(asctime)s composer %(levelname)s %(name)s: %(message)s")
    try:
        coach = Coach(storage.open_db(location), content.load(Path(root)), config=config)
    except Exception as exc:  # one line for the operator, not a traceback; the scheduler composes without us
        log.error("the composing process could not start: %s", str(exc).splitlines()[0] if str(exc) else repr(exc))
        return
    while True:
        try:
            seq, kind, payload, now = pickle.loads(requests.recv_bytes())
        except (EOFError, OSError):
            return
        coach.clock = lambda now=now: now  # the parent's clock (a test's, or simply ahead of ours)
        if kind == "results":
            try:
                write_results(coach, payload)
                out = None
            except Exception as exc:  # the parent's ledger reports it as its own thread's write would
                log.exception("writing %d send results failed", len(payload))
                out = _crossable_error(exc)
        else:
            try:
                out = _crossable(compose_batch(coach, payload))
            except Exception as exc:  # the batch's transaction itself failed: each post fails with it
                log.exception("composing %d posts failed", len(payload))
                out = {item.id: _crossable_error(exc) for item in payload}
        try:
            answers.send_bytes(pickle.dumps((seq, out), pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):
            return


def _crossable(out: dict) -> dict:
    return {key: _crossable_error(got) if isinstance(got, Exception) else got for key, got in out.items()}


def _crossable_error(exc: Exception) -> Exception:
    """The exception itself if it survives pickling, else a RuntimeError with its repr."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(repr(exc))
    return exc
