"""One durable work queue: claim → journal → side effect → settle → back off → recover after a crash.

Delivery (a lead posted to a client), the queue run (a TEST lead proving an integration) and the outbox (an
e-mail over SMTP) are the same machine with different policies. The machine lives here, once:

    result = workqueue.run(items, policy, per_host=2, stop=stop_event)

- **Claim, then journal, then the side effect.** For each item a worker runs `policy.claim(item)` inside a write
  transaction and waits for the commit before `policy.send(...)`: the row saying "this is out" is on disk before
  anything leaves. A claim is conditional (`claim()` below: an UPDATE ... WHERE state = expected, or the policy's own
  INSERT ... WHERE EXISTS), so two workers or two processes never both send one item.
- **Settle.** `policy.settle(item, token, answer)` returns a `Step`: the writes that record the answer, whether
  and when to try again in this run (`retry_in`), and what to do once committed (notifications). With
  `defer_settle` (delivery) the writes ride along with the worker's next claim, one commit per item; a crash in
  between leaves the item in flight, which recovery handles.
- **Back off.** `Backoff` computes the wait before the next attempt: exponential from a base, the server's
  Retry-After never undercut, optional "equal jitter" so clients do not retry in step.
- **Per-host concurrency (one algorithm, `_Dispatcher`).** Items are grouped by host; at most `per_host` run at
  once per host, hosts are served round-robin, items waiting for a retry hold no slot. Workers start one per host
  and another joins only while every worker busy with that host has waited `RAMP_AFTER` for an answer: against a
  fast endpoint one thread posts fastest (more only fight over the interpreter lock), against a slow one the limit
  is used. One host with `per_host == 1` runs on the calling thread.
- **Circuit breaker hook.** `Breaker` counts consecutive failures per key (an integration) and calls the policy's
  trip function once at the threshold.
- **Crash recovery.** `recover()` moves rows a dead process left in flight to the state the policy names: uncertain
  (delivery, unless the endpoint is idempotent), failed-and-offered-for-resend (the outbox), pending (the queue
  run's test leads). Call it holding the policy's process lock, so the old holder is known to be gone.

- **Several processes on one database (a team on PostgreSQL).** `working(kind)` replaces the one-process lock: on
  SQLite one process works on a kind at a time, as ever; on PostgreSQL each process holds only its own presence
  lock (`kind:OWNER`), so the daemons of a team share the work. Each claim is then one statement that skips a row
  another process is claiming at that moment (`SELECT ... FOR UPDATE SKIP LOCKED`), and in-flight rows carry their
  claimer (`OWNER`), so `recover()` moves only rows whose process is gone (its presence lock is free): a live
  colleague's in-flight rows are never touched.

Engine-specific SQL stays in `xsc_desktop.db` (`write_transaction`, `run_writes`), `xsc_desktop.storage` and in
`claim()` / `claim_sql()`; nothing else here changes.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from peewee import Field, Model

from xsc_desktop import db, locks, reconnect, storage
from xsc_desktop.models import database

log = logging.getLogger(__name__)

T = TypeVar("T")

RAMP_AFTER = 0.01  # seconds every worker on a host has been waiting for an answer before another one starts
RAMP_CHECK = 0.005  # how often the calling thread looks


# ---- who works: one process at a time (SQLite) or each process its share (PostgreSQL) ----------------------------
# This process as a claimer: written on the rows it puts in flight, so another process can tell whether it is gone.
OWNER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _shared() -> bool:
    return storage.is_postgresql(database)


@contextlib.contextmanager
def working(kind: str, *, blocking: bool = False) -> Iterator[bool]:
    """Hold this process's right to work on `kind` ("delivery") for the block; yields False when it must not
    (another thread of this process is at it, or on SQLite another process). On PostgreSQL processes share the
    work: each holds only its own presence lock, which `gone()` probes."""
    with locks.hold(f"{kind}:{OWNER}" if _shared() else kind, blocking=blocking) as free:
        yield free


def gone(kind: str, owner: str) -> bool:
    """Whether the process that claimed rows of `kind` as `owner` is no longer at work (call inside
    `working(kind)`): this process itself between two passes, any process on SQLite (holding the lock proves it), or
    on PostgreSQL one whose presence lock is free (it ended, was killed, or lost its connection)."""
    if not _shared() or owner == OWNER:
        return True
    with locks.hold(f"{kind}:{owner}") as free:
        return free


# ---- claim and recover: the only SQL of the machine -------------------------------------------------------------
def claim(model: type[Model], row_id: int, state: Field, expected: str | tuple[str, ...], to: str,
          **changes: Any) -> bool:
    """Move one row from `expected` to `to` (with `changes`) if it is still there; True when this caller got it.

    A conditional UPDATE: of two claimers (threads or processes) exactly one sees a changed row. On PostgreSQL the
    row is picked `FOR UPDATE SKIP LOCKED`, so a claimer never queues behind another process's claim of the same row:
    it finds it taken at once and goes on to the next.
    """
    states = (expected,) if isinstance(expected, str) else tuple(expected)
    key = model._meta.primary_key
    values = {state: to, **{getattr(model, k): v for k, v in changes.items()}}
    if _shared():
        pick = model.select(key).where((key == row_id) & state.in_(states)).for_update(skip_locked=True)
        return bool(model.update(values).where(key.in_(pick) & state.in_(states)).execute())
    return bool(model.update(values).where((key == row_id) & state.in_(states)).execute())


def claim_sql(table: str, state_column: str) -> str:
    """`claim()` as plain SQL for a hot path (one row, one expected state); parameters (to, row id, expected)."""
    return _claim_sql(table, state_column, _shared(), database.param)


@functools.lru_cache(maxsize=32)
def _claim_sql(table: str, state_column: str, shared: bool, p: str) -> str:
    if shared:
        return (f'UPDATE "{table}" SET "{state_column}" = {p} WHERE id = (SELECT id FROM "{table}" WHERE id = {p} '
                f'AND "{state_column}" = {p} FOR UPDATE SKIP LOCKED)')
    return f'UPDATE "{table}" SET "{state_column}" = {p} WHERE id = {p} AND "{state_column}" = {p}'


def recover(model: type[Model], state: Field, in_flight: str, to: str, *,
            also: Callable[[list[int]], Any] | None = None, owner: Field | None = None, kind: str = "",
            **changes: Any) -> list[int]:
    """Rows a stopped process left `in_flight` move to `to` (with `changes`); returns their ids. `also(ids)` runs in
    the same transaction (the policy's other rows that must agree). Call inside `working(kind)` (or holding the
    policy's process lock). With `owner` (the column naming each row's claimer) only rows of claimers that are
    `gone()` move: on a shared database a colleague's rows in flight are left alone."""
    key = model._meta.primary_key
    where = state == in_flight
    if owner is not None:
        claimers = [name for (name,) in model.select(owner).where(where).distinct().tuples()]
        dead = [name for name in claimers if gone(kind, name or "")]
        if not dead:
            return []
        where &= owner.in_(dead)
    with db.write_transaction():
        ids = [row_id for (row_id,) in model.select(key).where(where).tuples()]
        if ids:
            model.update({state: to, **{getattr(model, k): v for k, v in changes.items()}}).where(
                key.in_(ids) & where).execute()
        if also is not None:
            also(ids)
    if ids:
        log.warning("%d %s rows were interrupted while %s and are now %s", len(ids), model.__name__.lower(),
                    in_flight, to)
    return ids


# ---- back-off ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: `base * 2**(attempt-1)` seconds up to `max_attempts` attempts; a Retry-After from
    the server wins and is never undercut; with `jitter`, "equal jitter" (half fixed, half random) spreads clients,
    and a Retry-After gets up to 10 % (at most 5 s) added."""

    base: float
    max_attempts: int
    jitter: bool = False

    def allows(self, attempt: int) -> bool:
        """Whether another attempt may follow attempt number `attempt` (1-based)."""
        return attempt < max(1, self.max_attempts)

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after attempt number `attempt` (1-based)."""
        asked = retry_after is not None and retry_after >= 0
        delay = float(retry_after) if asked else float(self.base) * (2 ** max(0, attempt - 1))
        if not self.jitter:
            return delay
        rng = rng or random
        if asked:
            return delay + rng.uniform(0, min(5.0, 0.1 * delay))  # never earlier than the server asked
        return delay / 2 + rng.uniform(0, delay / 2)


# ---- the circuit breaker hook -----------------------------------------------------------------------------------
class Breaker:
    """Consecutive failures per key; `trip(key, count, reason)` is called once when the count reaches
    `threshold`. `load(key)` reads the stored count the first time a key is seen and `store(key, count)` writes
    changes only, so the count survives restarts without a write per success."""

    def __init__(self, threshold: int, load: Callable[[Hashable], int], store: Callable[[Hashable, int], None],
                 trip: Callable[[Hashable, int, str], None]) -> None:
        self.threshold = max(1, threshold)
        self._load, self._store, self._trip = load, store, trip
        self._lock = threading.Lock()
        self._counts: dict[Hashable, int] = {}
        self.tripped: set[Hashable] = set()

    def record(self, key: Hashable, *, failed: bool, reason: str = "") -> None:
        """Count one outcome for `key`."""
        with self._lock:
            before = self._counts.get(key)
            if before is None:
                before = self._load(key)
            count = before + 1 if failed else 0
            self._counts[key] = count
            trip = failed and count >= self.threshold and key not in self.tripped
            if trip:
                self.tripped.add(key)
        if count != before:
            self._store(key, count)
        if trip:
            self._trip(key, count, reason)


# ---- group commit -----------------------------------------------------------------------------------------------
class _Write:
    __slots__ = ("write", "done", "result", "error")

    def __init__(self, write: Callable[[], Any]) -> None:
        self.write = write
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Workers hand their writes here and wait until they are committed; whoever finds no commit running writes
    everything queued by then in one transaction (`db.run_writes`), so workers share commits instead of queueing
    for one each. `run` returns only after the commit, so a claim is on disk before its side effect. One
    transaction at a time within the process also keeps workers off SQLite's busy handler, which sleeps for
    milliseconds. If a shared transaction fails, each write is tried again alone, so one bad write does not cost
    the others their claim."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Write] = []
        self._busy = False

    def __call__(self, write: Callable[[], T]) -> T:
        """Run `write()` inside a committed transaction (perhaps shared); its result, or its error raised."""
        item = _Write(write)
        with self._cond:
            self._queue.append(item)
            while self._busy and not item.done:
                self._cond.wait()
            if not item.done:
                self._busy = True
                batch, self._queue = self._queue, []
        if not item.done:
            try:
                self._commit(batch)
            finally:
                for other in batch:  # only when the commit itself was interrupted
                    if not other.done:
                        other.error, other.done = RuntimeError("The write was interrupted"), True
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if item.error is not None:
            raise item.error
        return item.result

    @staticmethod
    def _commit(batch: list[_Write]) -> None:
        try:
            results = db.run_writes([item.write for item in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error, batch[0].done = exc, True
                return
            for item in batch:  # each alone: the failing one gets its error, the others their commit
                try:
                    item.result = db.run_writes([item.write])[0]
                except Exception as alone:
                    item.error = alone
                item.done = True
            return
        for item, result in zip(batch, results, strict=True):
            item.result, item.done = result, True


def transaction_writer(write: Callable[[], T]) -> T:
    """The plain writer: `write()` in its own write transaction."""
    with db.write_transaction():
        return write()


# ---- the policy -------------------------------------------------------------------------------------------------
@dataclass
class Step:
    """What a policy decided for an item: `write` records it (inside the machine's transaction), `retry_in` puts it
    back in this run after that many seconds, `after` runs once the write is committed (notifications, counts)."""

    write: Callable[[], Any] | None = None
    retry_in: float | None = None
    after: Callable[[], Any] | None = None


class Policy(Protocol[T]):
    """What a kind of work says about its items; the machine does the rest (see the module docstring)."""

    def host(self, item: T) -> str:
        """The host the side effect talks to (per-host limit)."""

    def prepare(self, item: T) -> Step | None:
        """Before the claim: None to go on, or a Step that settles the item without a side effect (bad input,
        paused meanwhile); its write shares the claim's transaction."""

    def claim(self, item: T) -> Any:
        """Inside a write transaction: claim the item and write its in-flight journal; a token, or None when the
        item is gone (taken by someone else, changed by a person)."""

    def send(self, item: T, token: Any, worker: Any) -> Any:
        """The side effect (committed claim in hand); its answer. Network trouble is an answer, not an error."""

    def settle(self, item: T, token: Any, answer: Any) -> Step:
        """How the answer is recorded and whether to try again."""

    def failed(self, item: T, exc: Exception) -> Step | None:
        """An unexpected error in any of the above (a bug): how to record it, or None to leave the item as is."""

    def worker(self) -> contextlib.AbstractContextManager[Any]:
        """Per-worker resources (an HTTP session, an SMTP connection), opened when a worker starts."""

    def finished(self, item: T) -> None:
        """The item is settled for good in this run (not waiting for another try): counts, progress."""


# ---- the dispatcher: the one per-host concurrency algorithm ----------------------------------------------------
class _Dispatcher(Generic[T]):
    """Hands items to workers: at most `limit` per host at once, round-robin over hosts, items waiting for a retry
    holding no slot. Tracks which workers wait for an answer, for the ramp-up."""

    def __init__(self, items: Iterable[tuple[str, T]], limit: int, stop: threading.Event | None) -> None:
        self.limit = max(1, limit)
        self.stop = stop
        self.cond = threading.Condition()
        self.ready: dict[str, deque[T]] = defaultdict(deque)
        self.waiting: list[tuple[float, int, str, T]] = []  # (monotonic due time, seq, host, item)
        self.active: dict[str, int] = defaultdict(int)
        self.hosts: deque[str] = deque()
        self.outstanding = 0
        self._seq = 0
        self.sending: dict[int, tuple[str, float]] = {}  # worker ident → (host, when its request went out)
        for host, item in items:
            if host not in self.ready:
                self.hosts.append(host)
            self.ready[host].append(item)
            self.outstanding += 1

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def take(self) -> tuple[str, T] | None:
        """The next (host, item) a worker may work on now, waiting as needed; None when all are settled or stopping."""
        with self.cond:
            while True:
                if self.outstanding <= 0 or self.stopping():
                    return None
                now = time.monotonic()
                while self.waiting and self.waiting[0][0] <= now:
                    _due, _seq, host, item = heapq.heappop(self.waiting)
                    if host not in self.hosts:
                        self.hosts.append(host)
                    self.ready[host].append(item)
                for _ in range(len(self.hosts)):
                    host = self.hosts[0]
                    self.hosts.rotate(-1)  # round-robin, so one busy host does not starve the others
                    if self.ready[host] and self.active[host] < self.limit:
                        self.active[host] += 1
                        return host, self.ready[host].popleft()
                timeout = 0.2
                if self.waiting:
                    timeout = max(0.0, min(timeout, self.waiting[0][0] - now))
                self.cond.wait(timeout)

    def finished(self, host: str, item: T, retry_in: float | None = None) -> None:
        """A worker is done with `item`: settled, or to be tried again in `retry_in` seconds."""
        with self.cond:
            self.active[host] -= 1
            if retry_in is None:
                self.outstanding -= 1
            else:
                self._seq += 1
                heapq.heappush(self.waiting, (time.monotonic() + retry_in, self._seq, host, item))
            self.cond.notify_all()

    def posting(self, host: str | None) -> None:
        """The calling worker's side effect on `host` began (or, with None, its answer is in)."""
        if host is None:
            self.sending.pop(threading.get_ident(), None)
        else:
            self.sending[threading.get_ident()] = (host, time.monotonic())

    def wants_another(self, workers: list[threading.Thread], now: float) -> bool:
        """Whether a host with takeable items has every worker on it waiting `RAMP_AFTER` for an answer (or none
        at all while every worker is busy elsewhere)."""
        with self.cond:
            alive = [t.ident for t in workers if t.is_alive()]
            if not alive:
                return False
            busy: dict[str, list[float]] = defaultdict(list)
            for ident in alive:
                entry = self.sending.get(ident)  # type: ignore[arg-type]
                if entry is not None:
                    busy[entry[0]].append(entry[1])
            free = len(alive) - sum(self.active.values())
            for host in self.hosts:
                if not self.ready[host] or self.active[host] >= self.limit:
                    continue
                since = busy.get(host, [])
                if since and len(since) == self.active[host] and all(now - s >= RAMP_AFTER for s in since):
                    return True
                if not self.active[host] and free <= 0:
                    return True
            return False

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()


# ---- the machine ------------------------------------------------------------------------------------------------
def run(items: Iterable[T], policy: Policy[T], *, per_host: int = 1, max_workers: int = 64,
        stop: threading.Event | None = None, writer: Callable[[Callable[[], Any]], Any] = transaction_writer,
        defer_settle: bool = False, inline: bool = True,
        on_thread_end: Callable[[], None] | None = None, thread_name: str = "xsc-work") -> None:
    """Work through `items` with `policy` (see the module docstring). Returns when every item is settled, or when
    `stop` is set (each worker finishes the item in hand; the others stay as they are for the next run).

    `writer` runs the machine's writes in a committed transaction (`GroupCommit()` to share commits between
    workers); `defer_settle` writes an answer with the worker's next claim; `inline` lets one host with
    `per_host == 1` run on the calling thread; `on_thread_end` runs on each worker thread as it ends (closing its
    database connection); worker threads are called `thread_name`.
    """
    dispatcher = _Dispatcher(((policy.host(item), item) for item in items), per_host, stop)
    if not dispatcher.outstanding:
        return
    if inline and (dispatcher.limit == 1 or max_workers == 1) and len(dispatcher.hosts) == 1:
        _work(dispatcher, policy, writer, defer_settle)
        return
    threads: list[threading.Thread] = []

    def worker() -> None:
        try:
            _work(dispatcher, policy, writer, defer_settle)
        finally:
            if on_thread_end is not None:
                on_thread_end()

    def start() -> None:
        thread = threading.Thread(target=worker, name=thread_name, daemon=True)
        threads.append(thread)
        thread.start()

    # Never more workers than could ever be busy at once.
    most = min(max_workers, dispatcher.limit * len(dispatcher.hosts), dispatcher.outstanding)
    for _ in range(min(len(dispatcher.hosts), most)):
        start()
    try:
        while True:
            alive = [t for t in threads if t.is_alive()]
            if not alive:
                return
            ramping = len(threads) < most
            alive[0].join(RAMP_CHECK if ramping else 0.2)  # all started: only the stop is watched
            if dispatcher.stopping():
                dispatcher.wake()
            elif ramping and dispatcher.wants_another(threads, time.monotonic()):
                start()
    finally:
        for thread in threads:
            thread.join()


def _work(dispatcher: _Dispatcher[T], policy: Policy[T], writer: Callable[[Callable[[], Any]], Any],
          defer_settle: bool) -> None:
    """One worker: take, (prepare), claim, send, settle, until nothing is left or the run stops."""
    pending: list[Callable[[], Any]] = []  # deferred settle writes, committed with the next claim

    def commit(write: Callable[[], Any] | None) -> Any:
        # A server that went away is waited out (the transaction was rolled back, so it is simply written again).
        return reconnect.retrying(lambda: commit_now(write), stop=dispatcher.stop, what="A work-queue write")

    def commit_now(write: Callable[[], Any] | None) -> Any:
        if not pending:
            return writer(write) if write is not None else None

        def together() -> Any:
            for earlier in pending:
                earlier()
            return write() if write is not None else None

        result = writer(together)
        pending.clear()  # only once committed: a failed transaction keeps them for the next try
        return result

    with policy.worker() as resources:
        try:
            while True:
                taken = dispatcher.take()
                if taken is None:
                    return
                host, item = taken
                retry_in: float | None = None
                try:
                    retry_in = _one(item, host, policy, resources, commit, pending, dispatcher, defer_settle)
                except reconnect.Stopped:
                    continue  # stopping while the server is away: the item stays as it is for the next run
                except Exception as exc:
                    if reconnect.lost(exc):
                        # The server went away under the item (its transaction was rolled back): once it answers
                        # the item goes again; its claim is conditional, so it is never sent twice.
                        if reconnect.wait_for_database(dispatcher.stop, exc):
                            retry_in = 0.0
                        continue
                    log.exception("A work item failed unexpectedly")
                    try:
                        step = policy.failed(item, exc)
                        if step is not None:
                            _apply(step, commit)
                    except Exception:  # left as it is: recovery or the next run takes it
                        log.exception("The failure could not be recorded")
                finally:
                    dispatcher.finished(host, item, retry_in)
                if retry_in is None:
                    policy.finished(item)
        finally:
            if pending:
                with contextlib.suppress(reconnect.Stopped):  # stopped while the server is away: recovery settles
                    commit(None)


def _apply(step: Step, commit: Callable[[Callable[[], Any] | None], Any]) -> None:
    if step.write is not None:
        commit(step.write)
    if step.after is not None:
        step.after()


def _one(item: T, host: str, policy: Policy[T], resources: Any, commit: Callable[..., Any],
         pending: list[Callable[[], Any]], dispatcher: _Dispatcher[T], defer_settle: bool) -> float | None:
    early = policy.prepare(item)
    if early is not None:
        _apply(early, commit)
        return early.retry_in
    token = commit(lambda: policy.claim(item))
    if token is None:
        return None  # gone: someone else has it, or a person changed it
    dispatcher.posting(host)
    try:
        answer = policy.send(item, token, resources)
    finally:
        dispatcher.posting(None)
    step = policy.settle(item, token, answer)
    if step.write is not None:
        if defer_settle:
            pending.append(step.write)
        else:
            commit(step.write)
    if step.after is not None:
        step.after()
    return step.retry_in


@contextlib.contextmanager
def no_resources() -> Iterator[None]:
    """A policy's `worker()` when its workers need nothing of their own."""
    yield None
