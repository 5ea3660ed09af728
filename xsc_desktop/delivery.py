"""The delivery loop: new leads of active integrations posted through their parser, exactly once, every attempt logged.

    report = deliver_once(now)          # one pass (the scheduler job "deliver", `xsc-desktop deliver --once`)

Never twice: before a request goes out, a Delivery row `sending` is committed for it (only while the lead is
still in the state it was picked in); the answer resolves that row and the lead's state. To keep to one commit per
lead, a worker writes an answer together with its next claim (or when it ends), and workers of a pass share a
commit when they claim at the same moment (`_GroupCommit`); a process killed before that leaves `sending` rows, and the next pass (holding the process lock "delivery", so the old holder is gone) marks them and
their leads `uncertain`. Uncertain leads wait for the operator (resend, or mark delivered) unless the parser declares
its endpoint idempotent (`retry.idempotent`), in which case they are resent automatically.

Retries: retryable outcomes (timeouts, dropped connections, 429, 5xx) wait `backoff_base * 2**(attempt-1)` seconds
with jitter (or the answer's Retry-After, never less) up to the parser's `max_attempts`; rejected and duplicate
answers are final. When an answer may have reached a non-idempotent client (no answer in time, connection dropped
after sending), the lead becomes `uncertain` instead of being posted again.

Circuit breaker: `delivery.breaker_threshold` consecutive errors or rejects pause the integration; the operator is
told (tray notification and an e-mail to `operator.email` through the outbox); `resume_integration()` undoes it.

Per-host limit: at most `delivery.per_host_limit` requests at once to one host (the parser URL's host). A host starts
with one worker and gets another, up to the limit, only while every worker waits for an answer (`_Crew`): against a
fast endpoint one thread posts fastest. Each worker's requests.Session reads the environment (proxies, CA bundle,
~/.netrc) once per host per pass instead of once per request.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from xsc_desktop import activity, events, locks, settings
from xsc_desktop.errors import UserError
from xsc_desktop.models import Delivery, Integration, Lander, Lead, Parser, database, utcnow

log = logging.getLogger(__name__)

PASS_LIMIT = 500  # leads per integration per pass, so one pass never holds the scheduler for long
EXCERPT_CHARS = 2000
REQUEST_CHARS = 20_000
LEAD_STATES = ("new", "sending", "retry", "delivered", "duplicate", "rejected", "failed", "uncertain", "held")
FINAL_STATES = ("delivered", "duplicate", "rejected", "failed")


# The masked request as the attempt log keeps it (json.dumps(..., ensure_ascii=False), the encoder built once).
_request_json = json.JSONEncoder(ensure_ascii=False).encode


def _naive_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# ---- an integration's inputs ---------------------------------------------------------------------------------
def integration_inputs(integration: Integration) -> tuple[dict[str, Any], dict[str, Any]]:
    """(settings, secrets) an integration renders with (the parser's secrets overridden by the integration's)."""
    from xsc_desktop import integrations

    return integrations.settings_for(integration), integrations.secrets_for(integration)


@dataclass
class _Route:
    """One integration ready to deliver: its compiled parser, settings, secrets and host."""

    integration_id: int
    lander_id: int
    name: str
    spec: Any
    compiled: Any
    settings: dict[str, Any]
    secrets: dict[str, Any]
    host: str


def _route_for(integration: Integration) -> _Route | None:
    from parsers.render import compile_spec
    from parsers.spec import ParserSpec, SpecError

    try:
        spec = ParserSpec.from_dict(integration.parser.spec)
    except SpecError as exc:
        log.warning("Integration %s has an unreadable parser: %s", integration.id, exc)
        return None
    try:
        values, secrets = integration_inputs(integration)
    except UserError as exc:  # a secret unreadable here (no key, keyring locked): its leads wait, none is sent
        log.warning("Integration %s holds its leads: %s", integration.id, exc)
        return None
    compiled = compile_spec(spec)
    return _Route(integration.id, integration.lander_id, f"{integration.lander.name} → {integration.parser.name}",
                  spec, compiled, values, secrets, _host_of(compiled, spec, values, secrets))


def _host_of(compiled: Any, spec: Any, values: dict[str, Any], secrets: dict[str, Any]) -> str:
    """The host an integration posts to (its URL filled with its settings), for the per-host limit."""
    from parsers.render import RenderError, sample_lead

    try:
        url = compiled.render(sample_lead(), values, secrets).url
    except (RenderError, ValueError, KeyError):
        url = spec.url
    return urlsplit(url).netloc.lower() or url


# ---- the pass ------------------------------------------------------------------------------------------------
@dataclass
class PassReport:
    """What one delivery pass did."""

    skipped: str = ""  # why nothing was done (another process is delivering)
    recovered: int = 0  # attempts found `sending` from a stopped process, now uncertain
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    paused: list[str] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """Requests sent in this pass (render failures included)."""
        return sum(self.outcomes.values())

    def summary(self) -> str:
        """One line for the job log and the CLI."""
        if self.skipped:
            return self.skipped
        if not self.attempts and not self.recovered:
            return "No leads to deliver."
        parts = [f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"]
        parts += [f"{n} {state}" for state, n in sorted(self.outcomes.items()) if n]
        text = ", ".join(parts)
        if self.recovered:
            text += f"; {self.recovered} left sending by a stopped run marked uncertain"
        if self.paused:
            text += "; paused: " + ", ".join(self.paused)
        return text + "."

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"skipped": self.skipped, "recovered": self.recovered, "attempts": self.attempts,
                "outcomes": dict(self.outcomes), "paused": self.paused}


@dataclass
class _Job:
    route: _Route
    lead_id: int
    attempt: int
    from_state: str
    values: dict[str, Any] | None = None  # what the parser renders from, read in bulk with the candidates


def recover_interrupted() -> int:
    """Attempts left `sending` by a process that stopped become `uncertain` (call only holding the lock)."""
    with database.atomic():
        in_flight = Delivery.select(Delivery.lead).where(Delivery.state == "sending")
        Lead.update(delivery_state="uncertain").where(
            Lead.id.in_(in_flight) | (Lead.delivery_state == "sending")).execute()
        count = (Delivery.update(state="uncertain",
                                 reason="The app stopped while this attempt was being sent; the client may have the "
                                        "lead — resend it or mark it delivered")
                 .where(Delivery.state == "sending").execute())
    if count:
        log.warning("%d delivery attempts were interrupted and are now uncertain", count)
    return count


def _candidates(route: _Route, now: datetime, limit: int, lead_ids: list[int] | None) -> list[_Job]:
    """The leads this pass delivers for an integration: due retries (earliest due first) and new leads (oldest
    first). Retries that are due keep at least half of the pass even when new leads would fill it, so a steady flood
    of new leads never starves them; either kind takes what the other leaves."""
    base = (Lead.lander == route.lander_id) & (Lead.is_test == False)  # noqa: E712 - peewee expression
    if lead_ids is not None:
        base &= Lead.id.in_(lead_ids)
    new = [lead_id for (lead_id,) in Lead.select(Lead.id).where(base & (Lead.delivery_state == "new"))
           .order_by(Lead.id).limit(limit).tuples()]
    waiting = _due_waiting(route, now, limit, lead_ids)
    take_waiting = min(len(waiting), max(limit - len(new), (limit + 1) // 2))
    jobs = [_Job(route, lead_id, attempt, lead_state) for lead_id, lead_state, attempt in waiting[:take_waiting]]
    jobs.extend(_Job(route, lead_id, 1, "new") for lead_id in new[:limit - take_waiting])
    from xsc_desktop.leads import render_values

    values = render_values([job.lead_id for job in jobs])
    for job in jobs:
        job.values = values.get(job.lead_id)
    return [job for job in jobs if job.values is not None]


def _due_waiting(route: _Route, now: datetime, limit: int, lead_ids: list[int] | None) -> list[tuple[int, str, int]]:
    """(lead id, state, next attempt number) of waiting leads that may go out now, earliest due first: retries whose
    time has come, and (for an idempotent endpoint) uncertain leads with attempts left. Filtered in SQL, so leads
    that are not due yet never take the places of those that are."""
    states = ["retry"] + (["uncertain"] if route.spec.retry.idempotent else [])
    only = ""
    params: list[Any] = [route.integration_id, route.lander_id, *states]
    if lead_ids is not None:
        if not lead_ids:
            return []
        only = f" AND l.id IN ({', '.join('?' * len(lead_ids))})"
        params.extend(lead_ids)
    params += [_stamp(now), max(1, route.spec.retry.max_attempts), limit]
    sql = ('SELECT l.id, l.delivery_state, COALESCE(d.attempt, 0) + 1 FROM "lead" AS l '
           'LEFT JOIN "delivery" AS d ON d.id = (SELECT MAX(id) FROM "delivery" WHERE lead_id = l.id '
           "AND integration_id = ?) "
           f"WHERE l.lander_id = ? AND l.is_test = 0 AND l.delivery_state IN ({', '.join('?' * len(states))}){only} "
           "AND (l.delivery_state != 'retry' OR d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) "
           # Resent automatically as often as the parser allows; then the operator decides.
           "AND (l.delivery_state != 'uncertain' OR COALESCE(d.attempt, 0) + 1 <= ?) "
           "ORDER BY d.next_attempt_at, l.id LIMIT ?")  # SQLite sorts NULL (due at once) first
    return [tuple(row) for row in database.execute_sql(sql, params)]


class _Pass:
    """The shared state of one pass: report, breaker bookkeeping, threshold, clock."""

    def __init__(self, now: datetime, rng: random.Random, report: PassReport,
                 stop: threading.Event | None = None) -> None:
        self.now = now
        self.stop = stop  # set when the pass must end: workers finish the lead in hand and take no other
        self.started = time.monotonic()
        self.rng = rng
        self.report = report
        self.lock = threading.Lock()
        self.paused_ids: set[int] = set()
        self.failures: dict[int, int] = {}  # consecutive failures per integration, as stored
        self.threshold = max(1, int(settings.get("delivery.breaker_threshold") or 5))
        self.writes = _GroupCommit()

    def clock(self) -> datetime:
        """The pass's injected `now`, moved on by the real time spent since the pass began."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    def stopping(self) -> bool:
        """Whether the pass was asked to stop (the scheduler quitting, `deliver` interrupted)."""
        return self.stop is not None and self.stop.is_set()


def deliver_once(now: datetime | None = None, *, lead_ids: list[int] | None = None, limit: int = PASS_LIMIT,
                 rng: random.Random | None = None, stop: threading.Event | None = None) -> PassReport:
    """One delivery pass over every active, unpaused integration (or only `lead_ids`); returns what happened.

    Skipped (with the reason in the report) when another process or thread is delivering right now. When `stop`
    (by default the stop event of the scheduler running this job) is set, the pass ends promptly: each worker
    finishes and records the lead whose post has begun and takes no other; the rest wait for the next pass.
    """
    if stop is None:
        from xsc_desktop import jobs

        # Read here, on the calling (scheduler) thread: the worker threads cannot see the scheduler's stop.
        stop = jobs.current_stop_event()
    report = PassReport()
    with locks.hold("delivery") as free:
        if not free:
            report.skipped = "Another delivery run is working right now; this pass was skipped."
            return report
        report.recovered = recover_interrupted()
        state = _Pass(_naive_utc(now), rng or random.Random(), report, stop)
        integrations = (Integration.select(Integration, Parser, Lander).join(Parser).switch(Integration)
                        .join(Lander)
                        .where((Integration.active == True) & (Integration.paused == False)))  # noqa: E712
        by_host: dict[str, deque[_Job]] = defaultdict(deque)
        for integration in integrations:
            route = _route_for(integration)
            if route is None:
                continue
            for job in _candidates(route, state.now, limit, lead_ids):
                by_host[route.host].append(job)
        if by_host:
            _run_hosts(by_host, state)
    if report.attempts or report.recovered:
        events.publish("delivery.changed", lead_ids=report.lead_ids[-1000:], summary=report.summary())
    return report


RAMP_AFTER = 0.01  # seconds every worker of a host has been waiting for an answer before another one starts
RAMP_CHECK = 0.005  # how often the pass looks


class _Crew:
    """The workers of one host in a pass: one to start with, another (up to the per-host limit) whenever all of
    them have been waiting for an answer for RAMP_AFTER. Against a fast endpoint more threads only fight over the
    interpreter lock (one worker posts fastest); against a slow one they are what keeps the limit used."""

    def __init__(self, queue: deque[_Job], limit: int) -> None:
        self.queue = queue
        self.limit = limit
        self.threads: list[threading.Thread] = []
        self.waiting_since: dict[int, float | None] = {}  # worker thread id → when its request went out

    def start_worker(self, state: _Pass) -> None:
        """Start one more worker thread on this host's queue."""
        thread = threading.Thread(target=_worker, args=(self.queue, state), kwargs={"crew": self}, name="delivery",
                                  daemon=True)
        self.threads.append(thread)
        thread.start()

    def posting(self, started: float | None) -> None:
        """The calling worker's request went out at `started` (monotonic), or its answer is in (None)."""
        self.waiting_since[threading.get_ident()] = started

    def wants_another(self, now: float) -> bool:
        """Whether every worker has been waiting on the host long enough that one more would help."""
        if not self.queue or len(self.threads) >= self.limit:
            return False
        alive = [t.ident for t in self.threads if t.is_alive()]
        return bool(alive) and all((since := self.waiting_since.get(ident)) is not None and now - since >= RAMP_AFTER
                                   for ident in alive)


def _run_hosts(by_host: dict[str, deque[_Job]], state: _Pass) -> None:
    per_host = max(1, int(settings.get("delivery.per_host_limit") or 1))
    if len(by_host) == 1 and per_host == 1:
        _worker(by_host[next(iter(by_host))], state, own_thread=False)
        return
    crews = [_Crew(queue, per_host) for queue in by_host.values()]
    for crew in crews:
        crew.start_worker(state)
    while True:
        running = [t for crew in crews for t in crew.threads if t.is_alive()]
        if not running:
            return
        running[0].join(RAMP_CHECK)
        now = time.monotonic()
        for crew in crews:
            if crew.wants_another(now) and not state.stopping():
                crew.start_worker(state)


def _pass_session() -> Any:
    """A requests.Session for one worker of one pass that reads the environment (proxy variables, CA bundle,
    ~/.netrc) once per scheme and host instead of once per request.

    requests walks the whole environment twice per request to find proxies; against a fast endpoint that is a
    third of the post. The environment does not change during a pass, and the answer depends only on the URL's
    scheme and host (and on the arguments, which are part of the key), so the result is the same.
    """
    import requests
    from requests.utils import get_netrc_auth

    from xsc_desktop.posting import MAX_REDIRECTS

    class PassSession(requests.Session):
        """requests.Session with the environment lookup remembered per (scheme, host, arguments)."""

        def __init__(self) -> None:
            super().__init__()
            self.verify = True
            self.max_redirects = MAX_REDIRECTS
            self._environment: dict[tuple, dict[str, Any]] = {}
            self._netrc: dict[tuple[str, str], Any] = {}

        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            if not (self.trust_env and not request.auth and not self.auth):
                return super().prepare_request(request)
            # requests looks in ~/.netrc (a stat or three) for every request; the answer depends only on the host.
            parts = urlsplit(request.url)
            key = (parts.scheme, parts.netloc)
            if key not in self._netrc:
                self._netrc[key] = get_netrc_auth(request.url)
            if self._netrc[key] is not None:
                request.auth = self._netrc[key]
                return super().prepare_request(request)
            self.trust_env = False  # in prepare_request this only decides the netrc lookup, known to find nothing
            try:
                return super().prepare_request(request)
            finally:
                self.trust_env = True

        def merge_environment_settings(self, url: str, proxies: dict[str, str] | None, stream: Any, verify: Any,
                                       cert: Any) -> dict[str, Any]:
            if proxies:  # the caller named proxies: looked up as requests does
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, proxies is None, stream, verify, cert)
            try:
                known = self._environment.get(key)
            except TypeError:  # an unhashable argument: nothing to remember
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            if known is None:
                fresh = None if proxies is None else {}
                known = self._environment[key] = super().merge_environment_settings(url, fresh, stream, verify, cert)
            return {**known, "proxies": dict(known["proxies"])}  # requests may change the dict it is given

    return PassSession()


def _worker(queue: deque[_Job], state: _Pass, own_thread: bool = True, crew: _Crew | None = None) -> None:
    # Answers already in, written together with the next claim: one commit per lead instead of two.
    pending: list[Callable[[], None]] = []
    session = _pass_session()
    try:
        while True:
            if state.stopping():
                return  # the leads not taken stay as they are: the next pass takes them
            try:
                job = queue.popleft()
            except IndexError:
                return
            if job.route.integration_id in state.paused_ids:
                continue  # left as it is: the next pass after resuming takes it
            try:
                _deliver_one(job, state, pending, session, crew)
            except Exception:
                log.exception("Delivering lead %s failed unexpectedly", job.lead_id)
    finally:
        try:
            if pending:
                state.writes.run(functools.partial(_write_answers, pending))
                pending.clear()
        finally:
            session.close()
            if own_thread:
                if not database.is_closed():
                    database.close()


def _write_answers(pending: list[Callable[[], None]]) -> None:
    """Write the waiting answers (inside the caller's transaction); the caller clears them once committed, so they
    are kept for a retry if the transaction fails."""
    for write in pending:
        write()


def _deliver_one(job: _Job, state: _Pass, pending: list[Callable[[], None]], session: Any = None,
                 crew: _Crew | None = None) -> None:
    """Claim, post, judge one lead. The answer is written with the worker's next claim (or when it ends): if the
    process dies in between, the attempt is found `sending` and becomes uncertain — never posted twice."""
    from parsers.outcome import Outcome
    from parsers.render import RenderError, mask_text
    from xsc_desktop.posting import post

    route = job.route
    try:
        request = route.compiled.render(job.values or {}, route.settings, route.secrets)
    except RenderError as exc:
        at, reason = state.clock(), str(exc)

        def write_failure() -> bool:
            _write_answers(pending)
            if not _claim(job, "", at):
                return False
            _resolve(job, state, delivery_state="error", lead_state="failed", status=None, reason=reason,
                     remote_id="", latency=None, excerpt="", due=None)
            return True

        written = state.writes.run(write_failure)
        pending.clear()
        if not written:
            return
        # Empty settings break every lead alike: that counts towards the breaker; a lead's own gaps do not.
        _breaker(job, state, failed=bool(exc.settings), reason=str(exc))
        return
    masked = _request_json(request.to_dict(masked=True))[:REQUEST_CHARS]
    at = state.clock()

    def write_claim() -> int | None:
        _write_answers(pending)
        return _claim(job, masked, at)

    delivery_id = state.writes.run(write_claim)
    pending.clear()
    if not delivery_id:
        return
    if crew is not None:
        crew.posting(time.monotonic())
    try:
        attempt = post(request, route.spec, session=session)
    except Exception as exc:  # posting never raises for network trouble; anything else must not leave `sending`
        log.exception("Posting lead %s failed", job.lead_id)
        attempt = None
        outcome = Outcome("error", False, f"The request could not be sent ({type(exc).__name__}); check the parser")
    else:
        outcome = attempt.outcome
    finally:
        if crew is not None:
            crew.posting(None)
    status = attempt.status if attempt else None
    latency = round(attempt.elapsed * 1000, 1) if attempt else None
    excerpt = mask_text(attempt.body_excerpt or attempt.error or "", route.secrets)[:EXCERPT_CHARS] if attempt else ""
    delivery_state, lead_state, due = _judge(job, outcome, attempt, state)
    pending.append(functools.partial(
        _resolve, job, state, delivery_state=delivery_state, lead_state=lead_state, status=status,
        reason=mask_text(outcome.reason, route.secrets), remote_id=outcome.remote_id[:200], latency=latency,
        excerpt=excerpt, due=due, delivery_id=delivery_id))
    _breaker(job, state, failed=outcome.kind in ("error", "rejected"), reason=outcome.summary())


def _transacted(writes: list[Callable[[], Any]]) -> list[Any]:
    """Run `writes` in one write transaction and return their results: plain BEGIN / COMMIT on this thread's
    connection (this runs once per lead, where peewee's `atomic()` bookkeeping shows), or `atomic()` when the caller
    is inside a transaction already."""
    if database.in_transaction():
        with database.atomic():
            return [write() for write in writes]
    connection = database.connection()
    connection.execute("BEGIN")
    try:
        results = [write() for write in writes]
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return results


class _Write:
    """One worker's writes waiting for a group commit, and what came of them."""

    __slots__ = ("write", "done", "result", "error")

    def __init__(self, write: Callable[[], Any]) -> None:
        self.write = write
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class _GroupCommit:
    """Group commit for the workers of a pass: a worker hands its writes (the answers it has, the claim of its next
    lead) here and waits until they are committed; whoever finds no commit running writes everything queued by then
    in one transaction, so a few workers share a commit instead of queueing for one each.

    Never twice holds: `run` returns only after the writes are committed, so a claim is in the database before its
    request goes out. One transaction at a time within the process also keeps workers off SQLite's busy handler,
    which sleeps for milliseconds. If a shared transaction fails, each write is tried again alone, so one bad write
    does not cost the others their claim.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Write] = []
        self._busy = False

    def run(self, write: Callable[[], Any]) -> Any:
        """Run `write()` inside a committed transaction (perhaps shared with other workers); its result or error."""
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
                        other.error, other.done = RuntimeError("The delivery write was interrupted"), True
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if item.error is not None:
            raise item.error
        return item.result

    @staticmethod
    def _commit(batch: list[_Write]) -> None:
        try:
            results = _transacted([item.write for item in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                batch[0].done = True
                return
            for item in batch:  # each alone: the failing one gets its error, the others their commit
                try:
                    item.result = _transacted([item.write])[0]
                except Exception as alone:
                    item.error = alone
                item.done = True
            return
        for item, result in zip(batch, results, strict=True):
            item.result = result
            item.done = True


def _maybe_received(attempt: Any) -> bool:
    """True when no answer came back but the request may have reached the client (timeout, dropped connection)."""
    return attempt is not None and attempt.status is None and attempt.error_kind in ("timeout", "dropped")


def _judge(job: _Job, outcome: Any, attempt: Any, state: _Pass) -> tuple[str, str, datetime | None]:
    """(delivery row state, lead state, next attempt time) for an outcome."""
    spec = job.route.spec
    if outcome.kind == "accepted":
        return "accepted", "delivered", None
    if outcome.kind == "duplicate":
        return "duplicate", "duplicate", None
    if outcome.kind == "rejected":
        return "rejected", "rejected", None
    if _maybe_received(attempt) and not spec.retry.idempotent:
        return "uncertain", "uncertain", None
    if outcome.retryable and job.attempt < max(1, spec.retry.max_attempts):
        delay = spec.retry.delay(job.attempt, outcome.retry_after)
        if outcome.retry_after is not None:
            delay += state.rng.uniform(0, min(5.0, 0.1 * delay))  # never earlier than the client asked
        else:
            delay = delay / 2 + state.rng.uniform(0, delay / 2)  # "equal jitter": spread clients out
        return "error", "retry", state.clock() + timedelta(seconds=delay)
    return "error", "failed", None


def _stamp(moment: datetime | None) -> str | None:
    # Stored as peewee stores DateTimeField values, written by hand on the hot path.
    return moment.isoformat(sep=" ") if moment is not None else None


def _claim(job: _Job, masked_request: str, at: datetime) -> int | None:
    """Write the attempt's `sending` row, only while the lead is still in the state it was picked in (an operator
    may have marked it delivered meanwhile). The lead row itself is written once, when the answer is in.

    Plain SQL: this and `_resolve` run for every lead, and peewee's query building costs more than the post.
    """
    cursor = database.execute_sql(
        'INSERT INTO "delivery" (lead_id, integration_id, attempt, state, reason, remote_id, request_masked, '
        "response_excerpt, created_at) SELECT ?, ?, ?, 'sending', '', '', ?, '', ? "
        'WHERE EXISTS (SELECT 1 FROM "lead" WHERE id = ? AND delivery_state = ?)',
        (job.lead_id, job.route.integration_id, job.attempt, masked_request, _stamp(at), job.lead_id,
         job.from_state))
    return cursor.lastrowid if cursor.rowcount else None


def _resolve(job: _Job, state: _Pass, *, delivery_state: str, lead_state: str, status: int | None, reason: str,
             remote_id: str, latency: float | None, excerpt: str, due: datetime | None,
             delivery_id: int | None = None) -> None:
    if delivery_id is None:
        delivery_id = database.execute_sql(
            'SELECT id FROM "delivery" WHERE lead_id = ? AND state = ? ORDER BY id DESC LIMIT 1',
            (job.lead_id, "sending")).fetchone()
        delivery_id = delivery_id[0] if delivery_id else _claim_row(job, state)
    database.execute_sql(
        'UPDATE "delivery" SET state = ?, http_status = ?, reason = ?, remote_id = ?, latency_ms = ?, '
        "response_excerpt = ?, next_attempt_at = ? WHERE id = ?",
        (delivery_state, status, reason[:1000], remote_id, latency, excerpt, _stamp(due), delivery_id))
    database.execute_sql('UPDATE "lead" SET delivery_state = ? WHERE id = ?', (lead_state, job.lead_id))
    with state.lock:
        state.report.outcomes[delivery_state if delivery_state != "error" or lead_state != "retry" else "retry"] += 1
        state.report.lead_ids.append(job.lead_id)


def _claim_row(job: _Job, state: _Pass) -> int:
    cursor = database.execute_sql(
        'INSERT INTO "delivery" (lead_id, integration_id, attempt, state, reason, remote_id, request_masked, '
        "response_excerpt, created_at) VALUES (?, ?, ?, 'sending', '', '', '', '', ?)",
        (job.lead_id, job.route.integration_id, job.attempt, _stamp(state.clock())))
    return cursor.lastrowid


def _breaker(job: _Job, state: _Pass, *, failed: bool, reason: str) -> None:
    """Count consecutive failures per integration; the count is kept in the row (so it survives restarts) and
    mirrored in the pass, which holds the delivery lock, so only changes are written."""
    integration_id = job.route.integration_id
    with state.lock:
        before = state.failures.get(integration_id)
        if before is None:
            before = Integration.select(Integration.consecutive_failures).where(
                Integration.id == integration_id).scalar() or 0
        count = before + 1 if failed else 0
        state.failures[integration_id] = count
        trip = failed and count >= state.threshold and integration_id not in state.paused_ids
        if trip:
            state.paused_ids.add(integration_id)
            state.report.paused.append(job.route.name)
    if count != before:
        state.writes.run(functools.partial(database.execute_sql, 'UPDATE "integration" SET consecutive_failures = ? '
                                           "WHERE id = ?", (count, integration_id)))
    if trip:
        pause_integration(integration_id, f"{count} failed attempts in a row; the last: {reason}"[:500])


# ---- the breaker, resend, mark delivered ---------------------------------------------------------------------
def pause_integration(integration_id: int, reason: str) -> None:
    """Pause an integration (the breaker, or the operator); tell the operator in the tray and by e-mail."""
    integration = Integration.get_by_id(integration_id)
    if integration.paused:
        return
    Integration.update(paused=True, paused_reason=reason, updated_at=utcnow()).where(
        Integration.id == integration_id).execute()
    name = f"{integration.lander.name} → {integration.parser.name}"
    activity.record("integration", integration_id, "paused", from_state="active", to_state="paused", note=reason,
                    actor="delivery")
    events.publish("integration.paused", integration_id=integration_id, lander_id=integration.lander_id,
                   reason=reason)
    events.notify("Deliveries paused", f"{name}: {reason}. Resume it on the Leads page once fixed.", "warning")
    _alert_operator(integration, name, reason)


def _alert_operator(integration: Integration, name: str, reason: str) -> None:
    address = str(settings.get("operator.email") or "").strip()
    if not address:
        return
    from xsc_desktop import mail

    subject = f"Deliveries paused: {name}"
    body = (f"Deliveries of {name} were paused after repeated failures.\n\nReason: {reason}\n\n"
            "New leads wait; none is lost. Fix the cause, then press Resume on the Leads page "
            f"(or run `xsc-desktop deliver --resume {integration.id}`).\n")
    try:
        mail.queue_email(to=[address], subject=subject, body=body, kind="alert",
                         dedupe_key=f"breaker:{integration.id}:{utcnow():%Y%m%d%H%M%S}")
    except Exception:
        log.exception("Could not queue the pause alert e-mail")


def resume_integration(integration_id: int, actor: str | None = None) -> None:
    """Resume a paused integration (one click): its waiting leads go out at the next pass."""
    integration = Integration.get_or_none(Integration.id == integration_id)
    if integration is None:
        raise UserError(f"There is no integration with id {integration_id}; check the number.")
    if not integration.paused:
        return
    Integration.update(paused=False, paused_reason="", consecutive_failures=0, updated_at=utcnow()).where(
        Integration.id == integration_id).execute()
    activity.record("integration", integration_id, "resumed", from_state="paused", to_state="active", actor=actor)
    events.publish("integration.changed", integration_id=integration_id, lander_id=integration.lander_id)


def paused_integrations() -> list[dict[str, Any]]:
    """Paused integrations with their lander, parser and reason (for the Leads page banner)."""
    rows = (Integration.select(Integration, Lander, Parser).join(Lander).switch(Integration).join(Parser)
            .where(Integration.paused == True))  # noqa: E712
    return [{"id": i.id, "lander_id": i.lander_id, "name": f"{i.lander.name} → {i.parser.name}",
             "reason": i.paused_reason} for i in rows]


def _in_flight(lead_id: int) -> bool:
    """Whether an attempt for the lead is out right now (its `sending` row is not resolved yet)."""
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is not None and lead.delivery_state == "sending":
        return True
    return Delivery.select().where((Delivery.lead == lead_id) & (Delivery.state == "sending")).exists()


def resend(lead_id: int, *, actor: str | None = None, now: datetime | None = None) -> PassReport:
    """Send a lead again (the operator confirmed): a new round of attempts starts now; logged in Activity."""
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise UserError(f"There is no lead with id {lead_id}; check the number.")
    integration = Integration.get_or_none(Integration.lander == lead.lander_id)
    if integration is None or not integration.active:
        raise UserError(f"Lead {lead_id}'s lander has no active integration; wire it to a parser first.")
    if integration.paused:
        raise UserError(f"Deliveries of lead {lead_id}'s lander are paused; resume them first.")
    if _in_flight(lead_id):
        raise UserError(f"Lead {lead_id} is being sent right now; wait for the answer.")
    Lead.update(delivery_state="new").where(Lead.id == lead_id).execute()
    activity.record("lead", lead_id, "resend", from_state=lead.delivery_state, to_state="new", actor=actor)
    report = deliver_once(now, lead_ids=[lead_id])
    events.publish("delivery.changed", lead_ids=[lead_id], summary=report.summary())
    return report


def mark_delivered(lead_id: int, *, note: str = "", actor: str | None = None) -> None:
    """The operator checked that the client has the lead (an uncertain one, usually): mark it delivered."""
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise UserError(f"There is no lead with id {lead_id}; check the number.")
    if _in_flight(lead_id):
        raise UserError(f"Lead {lead_id} is being sent right now; wait for the answer.")
    Lead.update(delivery_state="delivered").where(Lead.id == lead_id).execute()
    activity.record("lead", lead_id, "marked delivered", from_state=lead.delivery_state, to_state="delivered",
                    note=note, actor=actor)
    events.publish("delivery.changed", lead_ids=[lead_id], summary="marked delivered")


def attempts_of(lead_id: int) -> list[Delivery]:
    """Every delivery attempt of a lead, oldest first."""
    return list(Delivery.select().where(Delivery.lead == lead_id).order_by(Delivery.id))


def delivery_json(row: Delivery) -> dict[str, Any]:
    """One attempt as JSON: time, attempt, masked request, status, latency, outcome, reason, remote id, excerpt."""
    return {"id": row.id, "lead_id": row.lead_id, "integration_id": row.integration_id, "attempt": row.attempt,
            "at": row.created_at.isoformat(sep=" ") if row.created_at else None, "state": row.state,
            "http_status": row.http_status, "latency_ms": row.latency_ms, "reason": row.reason,
            "remote_id": row.remote_id, "request": row.request_masked, "response_excerpt": row.response_excerpt,
            "next_attempt_at": row.next_attempt_at.isoformat(sep=" ") if row.next_attempt_at else None}


def next_due(now: datetime | None = None) -> datetime | None:
    """When the earliest waiting retry is due (the `deliver` loop sleeps until then at most)."""
    return (Delivery.select(Delivery.next_attempt_at).join(Lead)
            .where((Lead.delivery_state == "retry") & Delivery.next_attempt_at.is_null(False))
            .order_by(Delivery.next_attempt_at).limit(1).scalar())


def run_forever(stop: threading.Event, interval: float | None = None, on_pass=None) -> None:
    """Deliver until `stop` is set: a pass, then a wait until the next retry is due or the interval ends."""
    while not stop.is_set():
        report = deliver_once(stop=stop)
        if on_pass is not None:
            on_pass(report)
        wait = float(interval or settings.get("delivery.interval_seconds") or 60)
        due = next_due()
        if due is not None:
            wait = max(0.5, min(wait, (due - utcnow()).total_seconds()))
        stop.wait(wait)


# ---- the scheduler job ---------------------------------------------------------------------------------------
def _job(now: datetime) -> str:
    return deliver_once(now).summary()


def _register() -> None:
    try:
        from xsc_desktop import jobs
    except ImportError:
        return
    jobs.register("deliver", _job, every_seconds_setting="delivery.interval_seconds", default_time=60,
                  label="Deliver new leads")


_register()
