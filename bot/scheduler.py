"""Posting daily drills on time, exactly once: APScheduler for *when*, a ledger for *once*.

When: an APScheduler 3.x ``AsyncIOScheduler`` in the adapters' event loop holds one
``CronTrigger`` per subscription, in the subscription's own time zone (ZoneInfo), so 09:00
stays 09:00 local across DST; a team drill's reveal is a date job. Jobs live in a
MemoryJobStore and are rebuilt from the database at start and after every change
(``subscriptions.LISTENERS``). A one-minute sweep runs the same fan-out for everything, so
what a job could not do still happens: a sender that connected late, a change made by
another process, a claim abandoned by a crash. Jobs give punctuality; the ledger gives
correctness.

Once: the ``deliveries`` table has UNIQUE (subscription_id, kind, local_date), kind being
daily, reveal or digest. Claims are one INSERT OR IGNORE per batch (no write lock: the key is the guard); the rows the
insert returns are the ones this scheduler won. Everyone else — a second process, a
restarted one, a job firing twice in a DST fall-back hour, a clock jump — finds the row
and posts nothing. The job store is never the guard: it can't be shared between processes.

Every occurrence is judged by its lateness: within ``grace_hours`` it is posted (caught up
after downtime), older it is recorded as ``skipped``.

DST, as CronTrigger computes it: a time that doesn't exist on the spring-forward day (02:30
in Berlin on 29 Mar 2026) fires once, at the instant it would have been under the old offset
(03:30 CEST); a time that happens twice on the fall-back day fires twice, and the ledger
posts the first.
"""
from __future__ import annotations

import asyncio
import bisect
from collections import deque
import heapq
import itertools
import logging
import os
import random
import socket
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from . import reminders, scheduled_posts, subscriptions
from .delivery import ConsoleSender, PermanentError, RateLimited, Sender, Target
from .messages import Button, Reply, channel_ref
from .review import parse_stamp, stamp
from .storage import is_postgres, transaction
from . import workers
from .subscriptions import DAYS, Subscription, fire_times

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a pending claim older than this (and not renewed) belongs to a dead process
LOOKBACK = timedelta(days=8)  # how far back missed occurrences are looked for (and recorded as skipped)
SWEEP_SECONDS = 60
CONCURRENCY = 50  # sends in flight at once (a slot is held from the send until its result is written)
CLAIM_BATCH = 100  # deliveries claimed per write transaction
COMPOSE_BATCH = 25  # posts composed per worker call, in one write transaction
COMPOSING = 2  # compose batches in flight at once (queued in the composer: one starts as the other ends)
LOOKAHEAD = 2 * CONCURRENCY  # subscriptions composed and waiting to be sent, at most
COALESCE_SECONDS = 0.2  # jobs firing within this of each other are planned and posted by one run
TRIES = 3  # transient failures: this many attempts, then the delivery is recorded as failed
BACKOFF = 1.0  # seconds before the 2nd attempt; doubled each time
MAX_RATE_WAITS = 20  # a 429 is not a failure, but an endless stream of them is
EARLIEST, LATEST = 1970, 9000  # years `run-due --at` accepts


@dataclass
class Summary:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # missed by more than the grace window
    taken: int = 0  # already claimed: by another scheduler, or an earlier run
    resent: int = 0  # claims abandoned by a crash, re-sent within grace
    paused: int = 0  # subscriptions paused by a permanent error
    empty: int = 0  # composed to nothing worth posting (an empty digest)
    broken: int = 0  # subscriptions that could not be planned (an unknown zone, a bad row): see the log
    unsent: Counter = field(default_factory=Counter)  # platform -> due posts left unclaimed: no sender here

    def text(self) -> str:
        if not (self.sent or self.failed or self.skipped or self.taken or self.resent or self.unsent or self.empty
                or self.broken):
            return "nothing due"
        parts = [f"{self.sent} sent", f"{self.failed} failed", f"{self.skipped} skipped (missed beyond grace)",
                 f"{self.taken} already handled"]
        if self.resent:
            parts.append(f"{self.resent} re-sent after a crash")
        if self.broken:
            parts.append(f"{self.broken} subscription{'s' if self.broken != 1 else ''} could not be planned "
                         "(see the log)")
        if self.empty:
            parts.append(f"{self.empty} with nothing to post")
        if self.paused:
            parts.append(f"{self.paused} subscription{'s' if self.paused != 1 else ''} paused")
        return ", ".join(parts)


@dataclass
class Item:
    """One claimed delivery, ready to compose and send."""
    id: int
    sub: Subscription
    kind: str
    local_date: str
    thread: str = ""
    post_id: int | None = None
    lease_until: datetime | None = None
    due: datetime | None = None
    parts_sent: int = 0  # messages of this post already on the platform (a reveal is two)
    ref: str = ""  # the post's first message, once sent
    attempts: int = 0  # send calls made for it, this run (rate-limit waits not counted)
    attempts_recorded: int = 0

    @property
    def key(self) -> str:
        # The same on a re-send after a crash: Discord's nonce (derived from it) drops a
        # duplicate the platform already accepted, and practice.daily_drill returns the same drill.
        return f"{self.kind}:{self.sub.id}:{self.local_date}"

    def part_key(self, index: int) -> str:
        """Each message of a post has its own key: the first keeps the post's."""
        return self.key if index == 0 else f"{self.key}#{index + 1}"


def _occurrences(trigger, after: datetime, until: datetime, limit: int = 16):
    """The trigger's fire times in (after, until], ascending, in UTC.

    Stepped and compared in UTC: two aware datetimes of the *same* zone compare by wall
    clock, so on a fall-back day the second 02:30 (CET) is not "after" the first (CEST),
    and stepping from it by wall clock lands on the first again. Comparing in the zone
    once lost the whole week after an autumn change.
    """
    after, until = after.astimezone(timezone.utc), until.astimezone(timezone.utc)
    t = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    while t is not None and limit:
        t = t.astimezone(timezone.utc)
        if t > until:
            return
        yield t
        nxt = trigger.get_next_fire_time(None, t + timedelta(seconds=1))
        if nxt is None or nxt.astimezone(timezone.utc) <= t:
            return
        t, limit = nxt, limit - 1


class DailyScheduler:
    def __init__(self, coach, senders: dict[str, Sender], *, concurrency: int = CONCURRENCY, tries: int = TRIES,
                 backoff: float = BACKOFF, sleep=None, owner: str | None = None, compose_in_process: bool = False):
        self.coach = coach
        # ``coach run`` composes in a process of its own (see scheduled_posts); tests and run-due in a thread
        thread = scheduled_posts.ThreadComposer(lambda c: _lane(c, "compose"), lambda c: _lane(c, "results"))
        self.composer = (scheduled_posts.ProcessComposer(coach, thread)
                         if compose_in_process and workers.db_file(coach) else thread)
        self.senders = senders  # platform -> Sender; adapters add theirs as they connect
        self.tries = tries
        self.backoff = backoff
        self._sleep = sleep or asyncio.sleep  # tests pass one that advances their clock
        self._sem = asyncio.Semaphore(concurrency)
        self._limits: dict[str, tuple] = {}  # platform -> (sender, its own semaphore or None)
        self._ledger = _Ledger(self)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._aps = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # One cron job per distinct schedule (platform, hour, minute, zone, days), holding the ids
        # that share it: 100,000 subscriptions over 20 zones × quarter-hours × 3 day sets are
        # ~6,000 jobs, and everything due in one minute is planned and posted by one run_due.
        self._groups: dict[tuple, set[int]] = {}
        self._schedule_of: dict[int, tuple] = {}
        self._triggers: dict[tuple, object] = {}
        self._windows: dict[tuple, tuple[datetime, datetime, list[datetime]]] = {}  # occurrence cache
        self._done: dict[tuple, datetime] = {}  # schedule -> its latest occurrence already claimed in full
        self._seen_update: str | None = None  # the newest subscriptions.updated_at applied to the jobs
        self._due: set[int] = set()  # ids whose jobs fired, waiting for this minute's one run_due
        self._due_schedules: set[tuple] = set()
        self._flush_task: asyncio.Task | None = None
        self._reveals: dict[datetime, set[int]] = {}  # reveal minute -> subscription ids
        self._heap: list = []  # (next fire time, seq, schedule): what the minute tick looks at
        self._next: dict[tuple, datetime] = {}
        self._seq = itertools.count()

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.coach.config.grace_hours)

    @property
    def reveal_after(self) -> timedelta:
        return timedelta(hours=self.coach.config.reveal_hours)

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> Summary:
        """Start APScheduler in the running loop, build the jobs, and catch up what downtime missed."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        self._loop = asyncio.get_running_loop()
        self._aps = AsyncIOScheduler(
            event_loop=self._loop, timezone=timezone.utc,
            # The default misfire grace is 1 s: a loop busy for a second would silently drop a
            # post. Within our grace window a late run is still wanted; coalesce folds a backlog
            # into one run (the ledger would drop the rest anyway).
            job_defaults={"misfire_grace_time": max(1, int(self.grace.total_seconds())), "coalesce": True,
                          "max_instances": 3})
        # a line per job run (the sweep runs every minute) would drown the log; failures still show
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        # Paused while thousands of jobs are added: a running scheduler wakes up for each one.
        self._aps.start(paused=True)
        self.composer.start()  # a composing process warms up while the jobs are built
        subscriptions.LISTENERS.append(self._changed)
        rows, reveals = await workers.call(self.coach, self._load)
        self._apply(rows)
        for when, sub_id in reveals:
            self._add_reveal(when, sub_id)
        self._aps.add_job(self._sweep, IntervalTrigger(seconds=SWEEP_SECONDS), id="sweep", name="catch-up sweep",
                          replace_existing=True)
        self._aps.add_job(self._tick, CronTrigger(second=0), id="tick", name="daily drills due this minute",
                          replace_existing=True)
        self._aps.resume()
        # The catch-up is the sweep's: what fell due within grace while we were down. (Older
        # occurrences can't be posted; `coach schedule run-due` records them as skipped.)
        summary = await self._run_undone(self.coach.clock())
        log.info("scheduler started (%d jobs for %d subscriptions); catch-up: %s", len(self._groups),
                 len(self._schedule_of), summary.text())
        return summary

    def shutdown(self) -> None:
        """Stop firing. Posts in flight are abandoned as ``pending``; a restart re-sends them within grace."""
        if self._changed in subscriptions.LISTENERS:
            subscriptions.LISTENERS.remove(self._changed)
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
        self.composer.close()
        self._groups.clear()
        self._schedule_of.clear()
        self._reveals.clear()

    def jobs(self) -> list:
        return self._aps.get_jobs() if self._aps else []

    def _load(self, coach) -> tuple[list, list]:
        """(in a worker thread) every subscription's schedule, and the reveals still to come."""
        now = coach.clock()
        reveals = [(parse_stamp(sent_at) + self.reveal_after, sub_id)
                   for _, sub_id, sent_at in self._open_reveals(coach.db, now - self.grace)]
        return subscriptions.schedules(coach.db), [(w, i) for w, i in reveals if w > now]

    # ------------------------------------------------------------ jobs follow the subscriptions
    def _changed(self, coach, sub_id: int | None = None) -> None:
        """A subscription changed (this listener runs in whichever thread handled the command):
        update its own job on the loop, reading just its row."""
        if self._loop is None or self._aps is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._refresh(sub_id)
        else:
            self._loop.call_soon_threadsafe(self._refresh, sub_id)

    def _refresh(self, sub_id: int | None) -> None:
        if self._aps is None:
            return
        if sub_id is None:
            self._apply(subscriptions.schedules(self.coach.db))
            return
        row = self.coach.db.execute("SELECT updated_at FROM subscriptions WHERE id = ?", [sub_id]).fetchone()
        sub = subscriptions.get(self.coach.db, sub_id)
        wanted = sub.schedule if sub is not None and sub.active and not sub.paused else None
        self._apply([(sub_id, wanted, row[0] if row else None)])

    def _apply(self, rows) -> None:
        """Move subscriptions between schedule groups; a group's job is added with its first member
        and removed with its last. Only the changed ids are touched, never all the jobs."""
        for sub_id, schedule, updated in rows:
            if updated and (self._seen_update is None or updated > self._seen_update):
                self._seen_update = updated
            old = self._schedule_of.get(sub_id)
            if old == schedule:
                continue
            if old is not None:
                group = self._groups.get(old, set())
                group.discard(sub_id)
                del self._schedule_of[sub_id]
                if not group:
                    self._groups.pop(old, None)
                    self._done.pop(old, None)
                    self._next.pop(old, None)  # its heap entry is ignored from now on
            if schedule is None:
                continue
            if schedule not in self._groups:
                try:
                    nxt = next(fire_times(schedule, self.coach.clock(), None), None)
                except Exception as exc:  # that schedule alone (a zone this host lacks) goes without firing
                    log.error("subscription %s cannot be scheduled (%s), skipped: %s: %s", sub_id,
                              _job_id(schedule), type(exc).__name__, exc)
                    continue
                self._groups[schedule] = set()
                self._push(schedule, nxt)
            self._groups[schedule].add(sub_id)
            self._schedule_of[sub_id] = schedule
            self._done.pop(schedule, None)  # a newcomer may be due at the group's latest time

    def _trigger(self, schedule: tuple):
        trigger = self._triggers.get(schedule)
        if trigger is None:
            trigger = self._triggers[schedule] = subscriptions.trigger(schedule)
        return trigger

    # ------------------------------------------------------------ firing: one run per minute
    def _push(self, schedule: tuple, when: datetime | None) -> None:
        if when is None:
            return
        self._next[schedule] = when
        heapq.heappush(self._heap, (when, next(self._seq), schedule))

    async def _tick(self) -> None:
        """APScheduler's cron job at second 0 of every minute: every schedule whose fire time has
        come is enqueued for this minute's one run_due, and its next fire time goes on the heap."""
        now = self.coach.clock()
        while self._heap and self._heap[0][0] <= now:
            when, _, schedule = heapq.heappop(self._heap)
            if self._next.get(schedule) != when:
                continue  # the schedule was emptied or moved on since
            self._enqueue(self._groups.get(schedule, ()), schedule)
            self._push(schedule, next(fire_times(schedule, max(when, now), None), None))

    async def _fire(self, schedule: tuple) -> None:
        """One schedule's firing (what _tick does for each schedule due)."""
        self._enqueue(self._groups.get(schedule, ()), schedule)

    def _enqueue(self, ids, schedule: tuple | None = None) -> None:
        """Jobs firing in the same minute add their ids; one run_due plans and posts them all."""
        self._due.update(ids)
        if schedule is not None:
            self._due_schedules.add(schedule)
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.ensure_future(self._flush_due())

    async def _flush_due(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)  # let every job of this minute add its ids
        while self._due:
            ids, schedules = self._due, self._due_schedules
            self._due, self._due_schedules = set(), set()
            try:
                at = self.coach.clock()
                self._mark_done(schedules, at, await self.run_due(at, only=ids))
            except Exception:
                log.exception("scheduled run for %d subscriptions failed", len(ids))

    def _latest(self, schedule: tuple, at: datetime) -> datetime | None:
        """The schedule's latest fire time within grace of ``at`` (older ones can't be posted any more).

        Cached per schedule for a day ahead: the sweep asks for every schedule every minute."""
        cached = self._windows.get(schedule)
        if cached is None or not (cached[0] <= at - self.grace and at <= cached[1]):
            start, end = at - self.grace - timedelta(minutes=1), at + timedelta(days=1)
            times = list(fire_times(schedule, start, end))
            cached = self._windows[schedule] = (start, end, times)
        times = cached[2]
        k = bisect.bisect_right(times, at.astimezone(timezone.utc))
        return times[k - 1] if k and times[k - 1] > at - self.grace else None

    def _mark_done(self, schedules, at: datetime, summary: Summary) -> None:
        """Their latest occurrence is claimed in full: the sweep needn't plan them again until the next.
        (A subscription that can't be planned has no trigger either, so it is in no group here.)"""
        for schedule in schedules:
            if schedule[0] in self.senders:  # a platform without a sender here left its posts unclaimed
                latest = self._latest(schedule, at)
                if latest is not None:
                    self._done[schedule] = latest

    async def _sweep(self) -> None:
        """Each minute: changes made by another process, then any schedule whose latest occurrence is
        not known to be claimed in full (a job that could not run, a platform that connected late)."""
        try:
            at = self.coach.clock()
            changed = await workers.call(self.coach, lambda c: subscriptions.schedules(c.db, self._seen_update))
            self._apply(changed)
            await self._run_undone(at)
        except Exception:
            log.exception("scheduler sweep failed")

    async def _run_undone(self, at: datetime) -> Summary:
        """Post what fell due within grace for every schedule not known to be claimed in full."""
        ids, schedules = set(), []
        for schedule, group in self._groups.items():
            if schedule[0] not in self.senders:
                continue  # left for a process that can post there
            try:
                latest = self._latest(schedule, at)
            except Exception:
                continue
            if latest is not None and self._done.get(schedule, latest - timedelta(seconds=1)) < latest:
                ids |= group
                schedules.append(schedule)
        summary = await self.run_due(at, only=ids, sweep=True)
        self._mark_done(schedules, at, summary)
        return summary

    # ------------------------------------------------------------ the fan-out
    async def run_due(self, at: datetime | None = None, only: set[int] | None = None, *,
                      sweep: bool = False) -> Summary:
        """Everything due at ``at``: claim it in the ledger, then post concurrently (bounded).

        ``only``: just those subscriptions (a firing minute reads only their rows). Planning and
        claiming run in a worker thread with its own connection, so the event loop stays free;
        claims are taken in batches and posting starts after the first one, so a second
        scheduler racing this one claims the next batch instead of waiting for all of them.
        """
        at = at or self.coach.clock()
        summary = Summary()
        plan, by_id = await workers.call(self.coach, self._plan, at, only, summary, sweep)
        outbox = _Outbox(self, summary)
        # Every process plans the same list. Taken in the same order, the first one to claim would win
        # every batch while the others queue behind it for the write lock and find each one taken; in
        # its own random order each process mostly claims batches nobody has, so the posting is shared.
        # (A subscription's posts stay in one batch: on Mondays its digest goes before its drill.)
        batches: list[list] = [[]]
        for entry in plan:
            if len(batches[-1]) >= CLAIM_BATCH and entry[0].id != batches[-1][-1][0].id:
                batches.append([])
            batches[-1].append(entry)
        random.shuffle(batches)
        for batch in filter(None, batches):
            # Claim the next batch only when this process is ready to compose it: a process claiming
            # ahead of its sending would hold posts another process could send sooner.
            await outbox.wants_more(CLAIM_BATCH)
            outbox.add(await workers.call_in(_lane(self.coach, "claims"), self.coach, self._claim, batch, at, summary))
        outbox.add(await workers.call_in(_lane(self.coach, "claims"), self.coach, self._recover_in, at, summary,
                                         by_id if only is not None and not sweep else None))
        await outbox.finish()
        if only is None or sweep:  # people's evening reminders ride on the sweep (bot/reminders.py)
            sent = await reminders.run_due(self, at)
            summary.sent, summary.failed = summary.sent + sent["sent"], summary.failed + sent["failed"]
        return summary

    def _recover_in(self, coach, at, summary, by_id):
        with transaction(coach.db):
            return self._recover(coach, at, summary, by_id)

    def _plan(self, coach, at: datetime, only: set[int] | None, summary: Summary,
              sweep: bool = False) -> tuple[list, dict[int, Subscription]]:
        """(in a worker thread) What is due: (sub, kind, local_date, due, extra) for each occurrence
        since the last one recorded. Nothing here writes; with ``only`` it reads only those rows."""
        db = coach.db
        subs = subscriptions.active(db) if only is None else subscriptions.by_ids(db, only)
        by_id = {s.id: s for s in subs}
        since = at - LOOKBACK
        last: dict[int, str] = {}
        ids = sorted(by_id)
        for start in range(0, len(ids), 500):  # bounded by the look-back: an index range per subscription
            chunk = ids[start:start + 500]
            last.update(db.execute(
                "SELECT subscription_id, MAX(due_at) FROM deliveries WHERE subscription_id IN "
                f"({','.join('?' * len(chunk))}) AND kind IN ('daily', 'digest') AND due_at > ? "
                "GROUP BY subscription_id", [*chunk, stamp(since)]).fetchall())
        plan = []
        windows: dict[tuple, list[datetime]] = {}  # subscriptions sharing a schedule share the trigger's work
        lookback = self.grace + timedelta(minutes=1) if sweep else LOOKBACK
        for sub in subs:
            try:
                plan += self._plan_one(sub, at, last.get(sub.id), windows, lookback)
            except Exception as exc:  # one bad row (a zone this host lacks) must not starve the others
                summary.broken += 1
                _log_broken(sub, exc)
        for delivery_id, sub_id, sent_at, local_date, post_id, ref in self._due_reveals(
                db, at, by_id, only if not sweep else None, self.grace if sweep else LOOKBACK):
            plan.append((by_id[sub_id], "reveal", local_date, parse_stamp(sent_at) + self.reveal_after,
                         (post_id, ref or "")))
        return plan, by_id

    def _plan_one(self, sub: Subscription, at: datetime, last: str | None, windows: dict,
                  lookback: timedelta = LOOKBACK) -> list:
        after = max(sub.since, at - lookback)
        if last:
            after = max(after, parse_stamp(last))
        schedule = sub.schedule
        if schedule not in windows:
            windows[schedule] = list(fire_times(schedule, at - lookback, at))
        zone = ZoneInfo(sub.tz)
        plan = []
        for due in (t for t in windows[schedule] if t > after):
            local = due.astimezone(zone)
            kinds = (["digest"] if not sub.is_dm and local.weekday() == 0 else []) + \
                (["daily"] if DAYS[local.weekday()] in sub.days else [])
            for kind in kinds:
                plan.append((sub, kind, local.date().isoformat(), due, None))
        return plan

    def _claim(self, coach, plan: list, at: datetime, summary: Summary) -> list[Item]:
        """(in a worker thread) Claim a batch: INSERT OR IGNORE every planned delivery in one statement.

        The rows the statement RETURNs are the ones it inserted — those posts are ours;
        a row someone else inserted first is ignored and not returned (per row, what
        ``rowcount`` says for a single insert). The unique key is the guard, so on PostgreSQL
        the claim takes no write lock: processes claiming different batches don't wait for each
        other, and one inserting a key another has in flight waits for that one's commit, then
        skips it. Rows go in key order, so two claims that overlap (a sweep's batch and a
        minute's) wait for each other in one direction only — never a deadlock.
        """
        db = coach.db
        now, lease = stamp(at), at + LEASE
        values, wanted = [], []
        for sub, kind, local_date, due, extra in sorted(plan, key=lambda p: (p[0].id, p[1], p[2])):
            late = at - due > self.grace
            if not late and sub.platform not in self.senders:
                summary.unsent[sub.platform] += 1  # unclaimed: a process that can post will take it
                continue
            values += [sub.id, kind, local_date, stamp(due), "skipped" if late else "pending",
                       None if late else self.owner, None if late else stamp(lease),
                       extra[0] if extra else None, extra[1] if extra else None, now, now]
            wanted.append((sub, kind, local_date, extra, due))
        if not wanted:
            return []
        with transaction(db, serialized=False):
            won = {(r[1], r[2], r[3]): (r[0], r[4]) for r in db.execute(
                "INSERT OR IGNORE INTO deliveries (subscription_id, kind, local_date, due_at, state, claimed_by, "
                "lease_until, post_id, message_ref, created_at, updated_at) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(wanted))
                + " RETURNING id, subscription_id, kind, local_date, state", values).fetchall()}
        items: list[Item] = []
        for sub, kind, local_date, extra, due in wanted:
            got = won.get((sub.id, kind, local_date))
            if got is None:
                summary.taken += 1
            elif got[1] == "skipped":
                summary.skipped += 1
            else:
                items.append(Item(got[0], sub, kind, local_date, thread=extra[1] if extra else "",
                                  post_id=extra[0] if extra else None, lease_until=lease, due=due))
        return items

    def _open_reveals(self, db, since: datetime):
        """Sent team drills whose reveal is not in the ledger yet: (delivery id, subscription id, sent_at)."""
        return db.execute(
            "SELECT d.id, d.subscription_id, d.sent_at FROM deliveries d JOIN subscriptions s "
            "ON s.id = d.subscription_id WHERE d.kind = 'daily' AND d.state = 'sent' AND s.is_dm = 0 "
            "AND s.paused = 0 AND d.sent_at >= ? AND NOT EXISTS (SELECT 1 FROM deliveries r "
            "WHERE r.subscription_id = d.subscription_id AND r.kind = 'reveal' AND r.local_date = d.local_date)",
            [stamp(since - self.reveal_after)]).fetchall()

    def _due_reveals(self, db, at: datetime, by_id: dict[int, Subscription], only: set[int] | None,
                     window: timedelta):
        """Team drills already posted whose reveal is due (within ``window``). A channel that unsubscribed
        after the day's drill went out still gets that drill's reveal: its members' answers would
        otherwise stay open for ever. Paused channels get none (posting there fails)."""
        where, args = "", []
        if only is not None:
            if not only:
                return []
            where = f" AND d.subscription_id IN ({','.join('?' * len(only))})"
            args = sorted(only)
        rows = db.execute(
            "SELECT d.id, d.subscription_id, d.sent_at, d.local_date, d.post_id, d.message_ref FROM deliveries d "
            "WHERE d.kind = 'daily' AND d.state = 'sent' AND d.post_id IS NOT NULL AND d.sent_at <= ? "
            "AND d.sent_at >= ?" + where + " AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.subscription_id = "
            "d.subscription_id AND r.kind = 'reveal' AND r.local_date = d.local_date)",
            [stamp(at - self.reveal_after), stamp(at - self.reveal_after - window), *args]).fetchall()
        for r in rows:
            if r[1] not in by_id:
                sub = subscriptions.get(db, r[1])
                if sub is not None and not sub.is_dm and not sub.paused:
                    by_id[r[1]] = sub
        return [r for r in rows if r[1] in by_id and not by_id[r[1]].is_dm]

    def _recover(self, coach, at: datetime, summary: Summary, by_id: dict | None) -> list[Item]:
        """Claims left ``pending`` by a process that died between claiming and recording the result.

        We cannot know whether that post reached the platform. Re-sending risks a duplicate
        (at-least-once); dropping it risks a missing drill (at-most-once). Within the grace
        window we re-send with the *same* key — Discord drops the repeat by its nonce, and
        practice.daily_drill returns the same drill, so at worst a Slack channel sees the
        same drill twice after a crash at exactly that point. Beyond grace a late drill is
        worth less than the risk, so the claim is recorded as failed and nothing is sent.
        """
        db = coach.db
        rows = db.execute(
            "SELECT id, subscription_id, kind, local_date, due_at, post_id, message_ref, claimed_by, parts_sent "
            "FROM deliveries WHERE state = 'pending' AND lease_until < ?", [stamp(at)]).fetchall()
        items = []
        for delivery_id, sub_id, kind, local_date, due_at, post_id, ref, old_owner, parts_sent in rows:
            sub = (by_id or {}).get(sub_id) if by_id is not None else subscriptions.get(db, sub_id)
            if by_id is not None and sub is None:
                continue  # a single-subscription run leaves others' recovery to the sweep
            ended = sub is None or sub.paused or (not sub.active and kind != "reveal")
            if ended or at - parse_stamp(due_at) > self.grace:
                db.execute(
                    "UPDATE deliveries SET state = 'failed', error = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
                    [f"abandoned by {old_owner} between claim and send; outcome unknown, not re-sent "
                     "(beyond grace or no longer subscribed)", stamp(at), delivery_id])
                summary.failed += 1
                continue
            if sub.platform not in self.senders:
                summary.unsent[sub.platform] += 1
                continue
            cur = db.execute(  # compare-and-swap: one recoverer wins
                "UPDATE deliveries SET claimed_by = ?, lease_until = ?, updated_at = ? WHERE id = ? "
                "AND state = 'pending' AND claimed_by IS ? AND lease_until < ?",
                [self.owner, stamp(at + LEASE), stamp(at), delivery_id, old_owner, stamp(at)])
            if cur.rowcount:
                thread = ""
                if kind == "reveal":  # its thread is the daily post's message
                    row = db.execute(
                        "SELECT message_ref FROM deliveries WHERE subscription_id = ? AND kind = 'daily' "
                        "AND local_date = ?", [sub_id, local_date]).fetchone()
                    thread = (row[0] if row else "") or ""
                summary.resent += 1
                # messages the dead process recorded as sent are not sent again
                items.append(Item(delivery_id, sub, kind, local_date, thread=thread, post_id=post_id,
                                  lease_until=at + LEASE, due=parse_stamp(due_at), parts_sent=parts_sent,
                                  ref=(ref or "") if parts_sent else ""))
        return items

    # ------------------------------------------------------------ one delivery
    def _still_mine(self, item: Item) -> bool:
        """Renew the lease when half of it is used up; False if another process has taken the claim over."""
        now = self.coach.clock()
        if item.lease_until and now < item.lease_until - LEASE / 2:
            return True
        item.lease_until = now + LEASE
        cur = self.coach.db.execute(
            "UPDATE deliveries SET lease_until = ? WHERE id = ? AND state = 'pending' AND claimed_by = ?",
            [stamp(item.lease_until), item.id, self.owner])
        return bool(cur.rowcount)

    def _extend(self, item: Item, wait: timedelta) -> None:
        """Lengthen the lease when a wait would outlast half of it (a short 429 wait needs no write)."""
        if item.lease_until and self.coach.clock() + wait < item.lease_until - LEASE / 2:
            return
        item.lease_until = self.coach.clock() + wait + LEASE
        self.coach.db.execute("UPDATE deliveries SET lease_until = ? WHERE id = ? AND claimed_by = ?",
                              [stamp(item.lease_until), item.id, self.owner])

    async def _record(self, item: Item, state: str, error: str = "") -> None:
        """Write a result: it joins the ledger's next group write (see _Ledger); returns once written.

        A sender that takes one send at a time (the console: a local write, no network) has its
        results written at once instead: a hop to the ledger thread would be most of its time, and
        the time a post spends sent but unrecorded is what a kill -9 can turn into a duplicate."""
        now = stamp(self.coach.clock())
        done = state != "pending"
        params = [state, item.parts_sent, item.ref if item.parts_sent else "", error[:500] or None,
                  item.attempts - item.attempts_recorded, state, now, done, item.post_id, now, item.id]
        item.attempts_recorded = item.attempts
        if getattr(self.senders.get(item.sub.platform), "max_in_flight", None) == 1:
            scheduled_posts.write_results(self.coach, [params])
        else:
            await self._ledger.write(params)

    def _limit(self, platform: str):
        """The sender's own limit on sends at once (``max_in_flight``), as a semaphore, or None."""
        sender = self.senders[platform]
        got = self._limits.get(platform)
        if got is None or got[0] is not sender:
            n = getattr(sender, "max_in_flight", None)
            got = self._limits[platform] = (sender, asyncio.Semaphore(n) if n else None)
        return got[1]

    async def _deliver(self, item: Item, replies, summary: Summary) -> None:
        """Send a composed post (``replies``, or the exception composing it raised), message by message."""
        sub = item.sub
        if isinstance(replies, Exception):
            await self._record(item, "failed", error=f"could not compose: {replies!r}")
            summary.failed += 1
            return
        if not replies:  # nothing worth posting (an empty digest): recorded, so no one tries again
            await self._record(item, "skipped", error="nothing to post")
            summary.empty += 1
            return
        sender = self.senders[sub.platform]
        target = Target(sub.platform, sub.workspace, sub.channel, is_dm=sub.is_dm, thread=item.thread)
        tries = waits = 0  # for the message being sent
        while item.parts_sent < len(replies):
            index = item.parts_sent
            if not self._still_mine(item):
                log.warning("%s was taken over by another scheduler; not sending", item.key)
                summary.taken += 1
                return
            failure = None
            own = self._limit(sub.platform)
            async with self._sem:
                if own is not None:
                    await own.acquire()
                try:
                    ref = await sender.send(target, [replies[index]], item.part_key(index))
                except Exception as exc:  # handled below, once the slot is free
                    failure = exc
                else:
                    item.attempts += 1
                    item.parts_sent += 1
                    item.ref = item.ref or ref or ""
                    tries = waits = 0
                    # The slot is held until the result is written, so what a kill -9 can leave posted but
                    # unrecorded is at most one message per slot, as when each result was its own commit.
                    await self._record(item, "sent" if item.parts_sent == len(replies) else "pending")
                finally:
                    if own is not None:
                        own.release()
            if failure is None:
                continue
            if isinstance(failure, RateLimited):  # the platform said when: wait that long, it is not a failure
                waits += 1
                too_late = item.due and self.coach.clock() + timedelta(seconds=failure.retry_after) > item.due + self.grace
                if waits > MAX_RATE_WAITS or too_late:
                    why = "past the grace window" if too_late else f"after {waits - 1} waits"
                    await self._record(item, "failed", error=f"still rate limited {why}")
                    summary.failed += 1
                    return
                self._extend(item, timedelta(seconds=failure.retry_after))  # the wait may outlast the lease
                await self._sleep(failure.retry_after)
            elif isinstance(failure, PermanentError):
                item.attempts += 1
                await self._record(item, "failed", error=f"permanent: {failure}")
                summary.failed += 1
                if subscriptions.pause(self.coach, sub.id, str(failure) or "the platform refused the post"):
                    summary.paused += 1
                    await self._tell_subscriber(sub, str(failure))
                return
            else:  # TransientError, and anything a sender failed to classify
                item.attempts += 1
                tries += 1
                if tries >= self.tries:
                    log.warning("%s failed after %d attempts: %s", item.part_key(index), tries, failure)
                    await self._record(item, "failed", error=f"{type(failure).__name__}: {failure}")
                    summary.failed += 1
                    return
                await self._sleep(self.backoff * 2 ** (tries - 1))
        summary.sent += 1
        if item.kind == "daily" and not sub.is_dm:
            self._schedule_reveal(item)

    def _schedule_reveal(self, item: Item) -> None:
        self._add_reveal(self.coach.clock() + self.reveal_after, item.sub.id)

    def _add_reveal(self, when: datetime, sub_id: int) -> None:
        """Reveals due in the same minute share one date job (a 10,000-channel burst is a few jobs)."""
        if self._aps is None:
            return
        from apscheduler.triggers.date import DateTrigger

        minute = (when + timedelta(seconds=59)).replace(second=0, microsecond=0)  # never before it is due
        ids = self._reveals.get(minute)
        if ids is None:
            ids = self._reveals[minute] = set()
            self._aps.add_job(self._fire_reveals, DateTrigger(minute), args=[minute], id=f"reveal:{minute:%Y%m%d%H%M}",
                              name=f"reveals {minute:%Y-%m-%d %H:%M}", replace_existing=True)
        ids.add(sub_id)

    async def _fire_reveals(self, minute: datetime) -> None:
        self._enqueue(self._reveals.pop(minute, ()))

    async def _tell_subscriber(self, sub: Subscription, reason: str) -> None:
        """Best effort, once: the post failed for good, so say so to whoever set it up."""
        if not sub.subscriber:  # they asked to be forgotten; the pause shows in `subscriptions`
            return
        where = "your DMs" if sub.is_dm else channel_ref(sub.channel)
        reply = Reply(
            title="Daily drill paused",
            text=f"I couldn't post the daily drill to {where}: {reason or 'the platform refused it'}. "
                 "I've paused it rather than keep trying. Once that's fixed (for a channel: invite me back "
                 "or give me permission to post), resume it.",
            buttons=(Button("Resume", f"sub:resume:{sub.id}", style="primary"),
                     Button("Stop", f"sub:stop:{sub.id}")),
            kind="subscription")
        target = Target(sub.platform, sub.workspace, sub.subscriber, is_dm=True)
        try:
            await self.senders[sub.platform].send(target, [reply], f"paused:{sub.id}:{stamp(self.coach.clock())}")
        except Exception as exc:
            log.warning("could not tell %s that subscription %s is paused: %s", sub.subscriber, sub.id, exc)


# The scheduler's writes (claims, composing posts, send results) in threads of their own: they never
# queue behind people's commands in the pool. SQLite takes one writer at a time, so there they share
# one thread: apart they would only wait on each other's lock (and its busy waits sleep in coarse
# steps). PostgreSQL takes them at once on separate connections, so there each kind has its own
# thread and one's round trips to the server overlap the others' (one thread for all three was the
# bottleneck of a burst: claims waited behind compose batches and result writes).
_WRITER = workers.lane("coach-scheduler")
_LANES = {kind: workers.lane(f"coach-{kind}") for kind in ("claims", "compose", "results")}


def _lane(coach, kind: str):
    return _LANES[kind] if is_postgres(coach.db.location) else _WRITER


class _Ledger:
    """Send results written in groups: whatever came in while one write ran goes in the next, as one
    transaction, by the composer (in its process, or the scheduler's results thread). A commit per message
    cost more than the send; grouped, the crash window stays the same because each send keeps its slot
    until its result is written."""

    def __init__(self, sched: DailyScheduler):
        self.sched = sched
        self.rows: list[list] = []
        self.written: asyncio.Future | None = None  # resolves once ``rows`` are written
        self.writer: asyncio.Task | None = None

    def write(self, params: list) -> asyncio.Future:
        self.rows.append(params)
        if self.written is None:
            self.written = asyncio.get_running_loop().create_future()
        written = self.written
        if self.writer is None or self.writer.done():
            self.writer = asyncio.ensure_future(self._run())
        return written

    async def _run(self) -> None:
        while self.rows:
            rows, written = self.rows, self.written
            self.rows, self.written = [], None
            try:
                await self.sched.composer.write_results(self.sched.coach, rows)
            except Exception as exc:
                written.set_exception(exc)
            else:
                written.set_result(None)


class _Outbox:
    """Claimed posts on their way out: composed a batch at a time by the composer (``COMPOSING`` batches at
    once, a bounded number ahead of sending), then sent, each subscription's posts in order (on Mondays the digest first)."""

    ORDER = {"digest": 0, "daily": 1, "reveal": 2}

    def __init__(self, sched: DailyScheduler, summary: Summary):
        self.sched, self.summary = sched, summary
        self.waiting: deque[list[Item]] = deque()  # each subscription's items, not composed yet
        self.open = 0  # subscriptions composed (or being composed) and not sent yet
        self.room = asyncio.Event()
        self.taken = asyncio.Event()  # set whenever the pump takes subscriptions off ``waiting``
        self.pump: asyncio.Task | None = None
        # Batches being composed at once: with one, the composer sat idle while each batch travelled
        # back and its sends were started, which capped a burst near 1,800 posts/s with no sending at all.
        self.composing = asyncio.Semaphore(COMPOSING)
        self.tasks: list[asyncio.Task] = []

    def add(self, items: list[Item]) -> None:
        units: dict[int, list[Item]] = {}
        for item in items:
            units.setdefault(item.sub.id, []).append(item)
        self.waiting.extend(sorted(u, key=lambda i: self.ORDER[i.kind]) for u in units.values())
        if self.waiting and (self.pump is None or self.pump.done()):
            self.pump = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while self.waiting:
            while self.open >= LOOKAHEAD:
                self.room.clear()
                await self.room.wait()
            batch, n = [], 0
            while self.waiting and n < COMPOSE_BATCH:
                batch.append(self.waiting.popleft())
                n += len(batch[-1])
            self.open += len(batch)
            self.taken.set()
            await self.composing.acquire()
            self.tasks.append(asyncio.ensure_future(self._compose(batch)))

    async def _compose(self, batch: list[list[Item]]) -> None:
        items = [item for unit in batch for item in unit]
        try:
            composed = await self.sched.composer.compose(self.sched.coach, items)
        except Exception as exc:  # the batch's transaction itself failed: none of them was composed
            log.exception("composing %d posts failed", len(items))
            composed = {item.id: exc for item in items}
        finally:
            self.composing.release()
        for item in items:  # the post each became, recorded with its result (a re-send finds the same)
            got = composed[item.id]
            if not isinstance(got, Exception):
                item.post_id, composed[item.id] = got
        self.tasks += [asyncio.ensure_future(self._send(unit, composed)) for unit in batch]

    async def wants_more(self, backlog: int) -> None:
        """Return once fewer than ``backlog`` claimed subscriptions wait to be composed."""
        while len(self.waiting) >= backlog:
            self.taken.clear()
            await self.taken.wait()

    async def _send(self, unit: list[Item], composed: dict) -> None:
        try:
            for item in unit:
                await self.sched._deliver(item, composed[item.id], self.summary)
        finally:
            self.open -= 1
            self.room.set()

    async def finish(self) -> None:
        while True:
            if self.pump is not None:
                await self.pump
            tasks, self.tasks = self.tasks, []
            if not tasks:
                return
            await asyncio.gather(*tasks)


def _job_id(schedule: tuple) -> str:
    platform, hour, minute, tz, days = schedule
    return f"at:{platform}:{hour:02d}:{minute:02d}:{tz}:{days}"


def _log_broken(sub: Subscription, exc: Exception) -> None:
    log.error("subscription %s (%s/%s %s, %02d:%02d %s) cannot be planned, skipped: %s: %s", sub.id, sub.platform,
              sub.workspace, sub.where, sub.hour, sub.minute, sub.tz, type(exc).__name__, exc)


# ------------------------------------------------------------ the CLI


def _when(dt: datetime | None, tz: str) -> str:
    if dt is None:
        return "never"
    local = dt.astimezone(ZoneInfo(tz))
    return f"{local:%a %d %b %H:%M %Z} ({dt.astimezone(timezone.utc):%H:%M} UTC)"


def list_report(coach) -> str:
    """``coach schedule list``: every subscription, its schedule, state and next run."""
    subs = subscriptions.listed(coach.db)
    now = coach.clock()
    if not subs:
        return "No subscriptions yet. In a chat, `subscribe me` or `subscribe here` starts one."
    last = {r[0]: r[1:] for r in coach.db.execute(
        "SELECT subscription_id, state, local_date FROM deliveries WHERE kind = 'daily' AND id IN "
        "(SELECT MAX(id) FROM deliveries WHERE kind = 'daily' GROUP BY subscription_id)").fetchall()}
    rows = [("id", "target", "time", "tz", "days", "track", "state", "last drill", "next run")]
    for s in subs:
        target = f"{s.platform}/{s.workspace} " + (f"@{s.channel} (DM)" if s.is_dm else f"#{s.channel}")
        state = f"paused: {s.paused_reason}" if s.paused else "active"
        lst = f"{last[s.id][1]} {last[s.id][0]}" if s.id in last else "-"
        try:
            nxt = "paused" if s.paused else _when(s.next_run(now), s.tz)
        except Exception as exc:
            nxt = f"cannot plan: {type(exc).__name__}: {exc}"
        rows.append((str(s.id), target, s.time_text, s.tz, s.days_text, s.track or "all", state, lst, nxt))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows]
    return "\n".join(lines) + f"\n{len(subs)} subscription{'s' if len(subs) != 1 else ''}; now {now:%Y-%m-%d %H:%M} UTC"


def run_due_cli(coach, at_iso: str) -> int:
    """``coach schedule run-due --at ISO8601``: the fan-out as if at that time, console targets only.

    Without live adapters nothing can reach Slack or Discord from here, so their due posts
    are reported and left unclaimed for ``coach run`` rather than marked as sent.
    """
    import sys

    try:
        at = datetime.fromisoformat(at_iso.strip())
    except ValueError:
        print(f"I couldn't read '{at_iso}' as a time — use ISO 8601, e.g. 2026-11-23T09:00:00+01:00", file=sys.stderr)
        return 2
    if at.tzinfo is None:
        print("(no UTC offset given; reading it as UTC)", file=sys.stderr)
        at = at.replace(tzinfo=timezone.utc)
    if not EARLIEST <= at.year <= LATEST:  # the look-back and lease arithmetic needs room either side
        print(f"'{at_iso}' is out of range — run-due takes a time between the years {EARLIEST} and {LATEST}.",
              file=sys.stderr)
        return 2
    at = at.astimezone(timezone.utc)
    coach.clock = lambda: at  # this process is only the CLI: everything happens "at" that time
    sched = DailyScheduler(coach, {"console": ConsoleSender()})
    summary = asyncio.run(sched.run_due(at))
    print(f"run-due at {at.isoformat()}: {summary.text()}.")
    if summary.unsent:
        left = ", ".join(f"{p} {n}" for p, n in sorted(summary.unsent.items()))
        print(f"Not sent from here (no live connection in this process): {left}. They stay unclaimed; "
              f"`coach run` posts them if it runs within {coach.config.grace_hours:g} h of their time.")
    return 1 if summary.failed else 0
