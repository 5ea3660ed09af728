"""The delivery loop: new leads of active integrations posted through their parser, exactly once, every attempt logged.

    report = deliver_once(now)          # one pass (the scheduler job "deliver", `xsc-desktop deliver --once`)

Delivery is a policy on the work queue (`xsc_desktop.workqueue`, which holds the claim/commit/retry machine):
this module says what to send (new leads and due retries of active integrations), how to claim one (a Delivery
row `sending`, written only while the lead is still in the state it was picked in) and how to read the answer.

Never twice: the `sending` row is committed before the request goes out; the answer resolves that row and the
lead's state. To keep to one commit per lead, an answer is written together with the worker's next claim (or when
it ends), and workers of a pass share a commit (`workqueue.GroupCommit`); a process killed before that leaves
`sending` rows, and the next pass (holding the process lock "delivery", so the old holder is gone) marks them and
their leads `uncertain`. Uncertain leads wait for the operator (resend, or mark delivered) unless the parser declares
its endpoint idempotent (`retry.idempotent`), in which case they are resent automatically.

Retries: retryable outcomes (timeouts, dropped connections, 429, 5xx) wait `backoff_base * 2**(attempt-1)` seconds
with jitter (or the answer's Retry-After, never less) up to the parser's `max_attempts`; rejected and duplicate
answers are final. When an answer may have reached a non-idempotent client (no answer in time, connection dropped
after sending), the lead becomes `uncertain` instead of being posted again.

Circuit breaker: `delivery.breaker_threshold` consecutive errors or rejects pause the integration; the operator is
told (tray notification and an e-mail to `operator.email` through the outbox); `resume_integration()` undoes it.

Per-host limit: at most `delivery.per_host_limit` requests at once to one host (the parser URL's host), ramped up
by the work queue only while every worker waits for an answer. Each worker's session reads the environment
(proxies, CA bundle, ~/.netrc) once per host per pass (`posting.pass_session`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from xsc_desktop import activity, delivery_gate, delivery_rules, events, reconnect, settings, storage, workqueue
from xsc_desktop.clock import naive_utc
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Campaign, Client, Delivery, Integration, Lander, Lead, Parser, database, utcnow
from xsc_desktop.states import FINAL_LEAD_STATES, LeadState, state_values

log = logging.getLogger(__name__)

PASS_LIMIT = 500  # leads per integration per pass, so one pass never holds the scheduler for long
EXCERPT_CHARS = 2000
REQUEST_CHARS = 20_000
LEAD_STATES = tuple(s for s in state_values(LeadState) if s != LeadState.RECORDS)  # the states delivery sets
FINAL_STATES = FINAL_LEAD_STATES


# The masked request as the attempt log keeps it (json.dumps(..., ensure_ascii=False), the encoder built once).
_request_json = json.JSONEncoder(ensure_ascii=False).encode


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
    gate: Any = None  # delivery_gate.Gate when the integration has delivery rules


def _route_for(integration: Integration, now: datetime | None = None) -> _Route | None:
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
    name = f"{integration.lander.name} → {integration.parser.name}"
    gate = None
    if integration.delivery_rules:
        client = integration.lander.campaign.client  # joined by the pass
        try:
            gate = delivery_gate.gate_for(integration, name, now or utcnow(), client.id, client.time_zone)
        except delivery_rules.RuleError as exc:  # damaged rules: its leads wait, none goes against the contract
            log.warning("Integration %s holds its leads: %s", integration.id, exc)
            return None
    return _Route(integration.id, integration.lander_id, name, spec, compiled, values, secrets,
                  _host_of(compiled, spec, values, secrets), gate)


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
    taken: int = 0  # picked leads another process (or a person) took first
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
    request: Any = None  # the rendered request (parsers.render.OutgoingRequest)
    masked: str = ""  # the masked request as the attempt log keeps it


def recover_interrupted() -> int:
    """Attempts left `sending` by a process that stopped become `uncertain`, and so do their leads (call inside
    `workqueue.working("delivery")`; a colleague's attempts in flight on a shared database are left alone). An
    idempotent endpoint's uncertain leads are resent by the next pass (`_due_waiting`)."""

    def leads_too(ids: list[int]) -> None:
        in_flight = Delivery.select(Delivery.lead).where(Delivery.id.in_(ids))
        Lead.update(delivery_state="uncertain").where(
            Lead.id.in_(in_flight) & (Lead.delivery_state == "sending")).execute()

    return len(workqueue.recover(Delivery, Delivery.state, "sending", "uncertain", also=leads_too,
                                 owner=Delivery.claimed_by, kind="delivery",
                                 reason="The app stopped while this attempt was being sent; the client may have the "
                                        "lead — resend it or mark it delivered"))


def _candidates(route: _Route, now: datetime, limit: int, lead_ids: list[int] | None) -> list[_Job]:
    """The leads this pass delivers for an integration: due retries and new leads, each oldest first. Retries that
    are due keep at least half of the pass even when new leads would fill it, so a steady flood of new leads never
    starves them; either kind takes what the other leaves."""
    gate = route.gate
    if gate is not None:  # delivery rules: nothing when closed or at a cap, else no more than they allow
        if not gate.opens():
            return []
        limit = gate.selection_limit(limit)
    new = [(lead_id, "new") for lead_id, _attempt in _waiting(route, "new", limit, lead_ids)]
    if gate is not None:  # leads waiting at a cap go with the new ones, oldest first
        new = sorted(new + [(lead_id, "capped") for lead_id, _ in _waiting(route, "capped", limit, lead_ids)])
    waiting = _due_waiting(route, now, limit, lead_ids)
    take_waiting = min(len(waiting), max(limit - len(new), (limit + 1) // 2))
    jobs = [_Job(route, lead_id, attempt, lead_state) for lead_id, lead_state, attempt in waiting[:take_waiting]]
    jobs.extend(_Job(route, lead_id, 1, lead_state) for lead_id, lead_state in new[:limit - take_waiting])
    from xsc_desktop.leads import render_values

    values = render_values([job.lead_id for job in jobs])
    for job in jobs:
        job.values = values.get(job.lead_id)
    jobs = [job for job in jobs if job.values is not None]
    return jobs if gate is None else gate.screen(jobs)


def _waiting(route: _Route, state: str, limit: int, lead_ids: list[int] | None, condition: str = "",
             extra: tuple[Any, ...] = ()) -> list[tuple[int, int]]:
    """(lead id, next attempt number) of the integration's leads in `state`, oldest first, that meet `condition`
    (on `d`, the lead's latest attempt for this integration)."""
    if lead_ids is not None and not lead_ids:
        return []
    sql, params = _waiting_query(route, state, limit, lead_ids, condition, extra)
    return [tuple(row) for row in database.execute_sql(sql, params)]


def _waiting_query(route: Any, state: str, limit: int, lead_ids: list[int] | None, condition: str = "",
                   extra: tuple[Any, ...] = ()) -> tuple[str, tuple[Any, ...]]:
    """The SQL of `_waiting`. Both lookups are index seeks whatever the planner knows: the leads walk lead
    (lander_id, delivery_state, id) in id order (no sort) and stop at `limit`; each lead's latest attempt is one
    seek in delivery (lead_id, integration_id, id). tests/unit/leads/test_delivery_plans.py holds them to it."""
    p = database.param
    only, ids = "", ()
    if lead_ids:
        only, ids = f" AND l.id IN ({', '.join([p] * len(lead_ids))})", tuple(lead_ids)
    if state in ("new", "capped"):  # never attempted for this integration (a lead waits at a cap only when new)
        return (f'SELECT l.id, 1 FROM "lead" AS l WHERE l.lander_id = {p} AND l.delivery_state = {p}{only} '
                f"AND l.is_test = FALSE ORDER BY l.id LIMIT {p}", (route.lander_id, state, *ids, limit))
    return ('SELECT l.id, COALESCE(d.attempt, 0) + 1 FROM "lead" AS l LEFT JOIN "delivery" AS d ON d.id = '
            f'(SELECT MAX(id) FROM "delivery" WHERE lead_id = l.id AND integration_id = {p}) '
            f"WHERE l.lander_id = {p} AND l.delivery_state = {p}{only} AND l.is_test = FALSE"
            f"{condition.format(p=p)} ORDER BY l.id LIMIT {p}",
            (route.integration_id, route.lander_id, state, *ids, *extra, limit))


# Conditions on `d` for `_waiting`; {p} is the engine's placeholder.
RETRY_DUE = " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= {p})"
ATTEMPTS_LEFT = " AND COALESCE(d.attempt, 0) + 1 <= {p}"


def _due_waiting(route: _Route, now: datetime, limit: int, lead_ids: list[int] | None) -> list[tuple[int, str, int]]:
    """(lead id, state, next attempt number) of waiting leads that may go out now, oldest first: retries whose
    time has come, and (for an idempotent endpoint) uncertain leads with attempts left. Filtered in SQL, so leads
    that are not due yet never take the places of those that are."""
    found = [(lead_id, "retry", attempt) for lead_id, attempt in _waiting(
        route, "retry", limit, lead_ids, RETRY_DUE, (_stamp(now),))]
    if route.spec.retry.idempotent:
        # Resent automatically as often as the parser allows; then the operator decides.
        found += [(lead_id, "uncertain", attempt) for lead_id, attempt in _waiting(
            route, "uncertain", limit, lead_ids, ATTEMPTS_LEFT, (max(1, route.spec.retry.max_attempts),))]
        found.sort()
    return found[:limit]


class _Pass:
    """The shared state of one pass: report, breaker, clock, the workers' shared commit."""

    def __init__(self, now: datetime, rng: random.Random, report: PassReport,
                 stop: threading.Event | None = None) -> None:
        self.now = now
        self.stop = stop  # set when the pass must end: workers finish the lead in hand and take no other
        self.started = time.monotonic()
        self.rng = rng
        self.report = report
        self.lock = threading.Lock()
        self.writes = workqueue.GroupCommit()
        self.names: dict[int, str] = {}
        self.breaker = workqueue.Breaker(
            int(settings.get("delivery.breaker_threshold") or 5),
            load=lambda integration_id: Integration.select(Integration.consecutive_failures).where(
                Integration.id == integration_id).scalar() or 0,
            store=lambda integration_id, count: self.writes(functools.partial(
                database.execute_sql,
                f'UPDATE "integration" SET consecutive_failures = {database.param} WHERE id = {database.param}',
                (count, integration_id))),
            trip=self._trip)

    def _trip(self, integration_id: Any, count: int, reason: str) -> None:
        with self.lock:
            self.report.paused.append(self.names.get(integration_id, str(integration_id)))
        pause_integration(integration_id, f"{count} failed attempts in a row; the last: {reason}"[:500])

    def clock(self) -> datetime:
        """The pass's injected `now`, moved on by the real time spent since the pass began."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


@dataclass
class _Answer:
    attempt: Any  # posting.Attempt, or None when posting raised
    outcome: Any


class _Delivery:
    """Delivery as a work-queue policy: the claim is the attempt's `sending` row (written only while the lead is
    still in the state it was picked in), the side effect the post, the settlement the row's and the lead's state."""

    def __init__(self, state: _Pass) -> None:
        self.state = state

    def host(self, job: _Job) -> str:
        return job.route.host

    def worker(self) -> contextlib.closing[Any]:
        from xsc_desktop.posting import pass_session

        return contextlib.closing(pass_session())

    def prepare(self, job: _Job) -> workqueue.Step | None:
        from parsers.render import RenderError

        route, state = job.route, self.state
        if route.integration_id in state.breaker.tripped:
            return workqueue.Step()  # left as it is: the next pass after resuming takes it
        try:
            job.request = route.compiled.render(job.values or {}, route.settings, route.secrets)
        except RenderError as exc:
            at, reason, written, whole = state.clock(), str(exc), [], bool(exc.settings)

            def write_failure() -> None:
                if _claim(job, "", at):
                    _resolve(job, state, delivery_state="error", lead_state="failed", status=None, reason=reason,
                             remote_id="", latency=None, excerpt="", due=None)
                    written.append(True)

            # Empty settings break every lead alike: that counts towards the breaker; a lead's own gaps do not.
            return workqueue.Step(write_failure, after=lambda: written and state.breaker.record(
                route.integration_id, failed=whole, reason=reason))
        job.masked = _request_json(job.request.to_dict(masked=True))[:REQUEST_CHARS]
        return None

    def claim(self, job: _Job) -> int | None:
        delivery_id = _claim(job, job.masked, self.state.clock())
        if delivery_id is None:
            with self.state.lock:
                self.state.report.taken += 1
        return delivery_id

    def send(self, job: _Job, delivery_id: int, session: Any) -> _Answer:
        from parsers.outcome import Outcome
        from xsc_desktop.posting import post

        try:
            attempt = post(job.request, job.route.spec, session=session)
        except Exception as exc:  # posting never raises for network trouble; anything else must not leave `sending`
            log.exception("Posting lead %s failed", job.lead_id)
            return _Answer(None, Outcome("error", False,
                                         f"The request could not be sent ({type(exc).__name__}); check the parser"))
        return _Answer(attempt, attempt.outcome)

    def settle(self, job: _Job, delivery_id: int, answer: _Answer) -> workqueue.Step:
        from parsers.render import mask_text

        route, state, attempt, outcome = job.route, self.state, answer.attempt, answer.outcome
        excerpt = mask_text(attempt.body_excerpt or attempt.error or "", route.secrets)[:EXCERPT_CHARS] \
            if attempt else ""
        delivery_state, lead_state, due = _judge(job, outcome, attempt, state)
        write = functools.partial(
            _resolve, job, state, delivery_state=delivery_state, lead_state=lead_state,
            status=attempt.status if attempt else None, reason=mask_text(outcome.reason, route.secrets),
            remote_id=outcome.remote_id[:200], latency=round(attempt.elapsed * 1000, 1) if attempt else None,
            excerpt=excerpt, due=due, delivery_id=delivery_id)
        return workqueue.Step(write, after=functools.partial(
            state.breaker.record, route.integration_id, failed=outcome.kind in ("error", "rejected"),
            reason=outcome.summary()))

    def failed(self, job: _Job, exc: Exception) -> None:
        log.error("Delivering lead %s failed unexpectedly: %s", job.lead_id, exc)

    def finished(self, job: _Job) -> None:
        """Counted as written (`_resolve`)."""


def _run_jobs(jobs_: list[_Job], state: _Pass) -> None:
    """Deliver `jobs_` on the work queue: one commit per lead (an answer rides with the worker's next claim, and
    workers claiming at the same moment share a commit), at most delivery.per_host_limit posts per host at once."""
    from xsc_desktop import jobs

    for job in jobs_:
        state.names[job.route.integration_id] = job.route.name
    workqueue.run(jobs_, _Delivery(state), per_host=max(1, int(settings.get("delivery.per_host_limit") or 1)),
                  max_workers=1024, stop=state.stop, writer=state.writes, defer_settle=True,
                  on_thread_end=jobs.close_thread_connection, thread_name="delivery")



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
    with workqueue.working("delivery") as free:
        if not free:
            report.skipped = "Another delivery run is working right now; this pass was skipped."
            return report
        report.recovered = recover_interrupted()
        state = _Pass(naive_utc(now), rng or random.Random(), report, stop)
        integrations = (Integration.select(Integration, Parser, Lander, Campaign, Client).join(Parser)
                        .switch(Integration).join(Lander).join(Campaign).join(Client)
                        .where((Integration.active == True) & (Integration.paused == False)))  # noqa: E712
        todo: list[_Job] = []
        gates = []
        for integration in integrations:
            route = _route_for(integration, state.now)
            if route is not None:
                todo.extend(_candidates(route, state.now, limit, lead_ids))
                gates += [route.gate] if route.gate is not None else []
        if len(todo) > 1 and storage.is_postgresql(database) and _colleagues_sending():
            # Colleagues' daemons are at work on the same leads: this one starts its walk at its own place in the
            # list, so they claim different leads instead of racing for the same ones.
            turn = state.rng.randrange(len(todo))
            todo = todo[turn:] + todo[:turn]
        if todo:
            _run_jobs(todo, state)
        for gate in gates:
            gate.publish()
    if report.attempts or report.recovered:
        events.publish(Topic.DELIVERY_CHANGED, lead_ids=report.lead_ids[-1000:], summary=report.summary())
    return report


def _colleagues_sending() -> bool:
    """Whether another process has an attempt in flight right now (a team's daemons delivering together)."""
    p = database.param
    return database.execute_sql(f'SELECT 1 FROM "delivery" WHERE state = {p} AND claimed_by <> {p} LIMIT 1',
                                ("sending", workqueue.OWNER)).fetchone() is not None


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
    backoff = workqueue.Backoff(spec.retry.backoff_base, spec.retry.max_attempts, jitter=True)
    if outcome.retryable and backoff.allows(job.attempt):
        delay = backoff.delay(job.attempt, outcome.retry_after, state.rng)
        return "error", "retry", state.clock() + timedelta(seconds=delay)
    return "error", "failed", None


def _stamp(moment: datetime | None) -> str | None:
    # Stored as peewee stores DateTimeField values, written by hand on the hot path.
    return moment.isoformat(sep=" ") if moment is not None else None


def _claim(job: _Job, masked_request: str, at: datetime) -> int | None:
    """Claim the lead (it moves to `sending`, only while still in the state it was picked in: another process may
    have taken it, an operator marked it delivered) and write the attempt's `sending` row naming this process.

    Plain SQL: this and `_resolve` run for every lead, and peewee's query building costs more than the post.
    """
    gate = job.route.gate
    if gate is not None and not gate.claim_allowed(job.lead_id, job.from_state, at):
        return None  # at a cap: counted and refused in this transaction; the lead is `capped`
    if not database.execute_sql(workqueue.claim_sql("lead", "delivery_state"),
                                ("sending", job.lead_id, job.from_state)).rowcount:
        return None
    return _claim_row(job, at, masked_request)


def _resolve(job: _Job, state: _Pass, *, delivery_state: str, lead_state: str, status: int | None, reason: str,
             remote_id: str, latency: float | None, excerpt: str, due: datetime | None,
             delivery_id: int | None = None) -> None:
    if delivery_id is None:
        p = database.param
        delivery_id = database.execute_sql(
            f'SELECT id FROM "delivery" WHERE lead_id = {p} AND state = {p} ORDER BY id DESC LIMIT 1',
            (job.lead_id, "sending")).fetchone()
        delivery_id = delivery_id[0] if delivery_id else _claim_row(job, state.clock())
    p = database.param
    database.execute_sql(
        f'UPDATE "delivery" SET state = {p}, http_status = {p}, reason = {p}, remote_id = {p}, latency_ms = {p}, '
        f"response_excerpt = {p}, next_attempt_at = {p} WHERE id = {p}",
        (delivery_state, status, reason[:1000], remote_id, latency, excerpt, _stamp(due), delivery_id))
    database.execute_sql(f'UPDATE "lead" SET delivery_state = {p} WHERE id = {p}', (lead_state, job.lead_id))
    with state.lock:
        state.report.outcomes[delivery_state if delivery_state != "error" or lead_state != "retry" else "retry"] += 1
        state.report.lead_ids.append(job.lead_id)


def _claim_row(job: _Job, at: datetime, masked_request: str = "") -> int:
    p = database.param
    return storage.insert_id(
        database,
        'INSERT INTO "delivery" (lead_id, integration_id, attempt, state, reason, remote_id, request_masked, '
        f"response_excerpt, created_at, claimed_by) VALUES ({p}, {p}, {p}, 'sending', '', '', {p}, '', {p}, {p})",
        (job.lead_id, job.route.integration_id, job.attempt, masked_request, _stamp(at), workqueue.OWNER))


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
    events.publish(Topic.INTEGRATION_PAUSED, integration_id=integration_id, lander_id=integration.lander_id,
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
    events.publish(Topic.INTEGRATION_CHANGED, integration_id=integration_id, lander_id=integration.lander_id)


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
    events.publish(Topic.DELIVERY_CHANGED, lead_ids=[lead_id], summary=report.summary())
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
    events.publish(Topic.DELIVERY_CHANGED, lead_ids=[lead_id], summary="marked delivered")


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
        try:
            report = reconnect.retrying(lambda: deliver_once(stop=stop), stop=stop, what="A delivery pass")
        except reconnect.Stopped:
            return
        if on_pass is not None:
            on_pass(report)
        if report.attempts or report.taken or report.recovered:
            continue  # more may be waiting (a full pass, leads lost to a colleague, a stopped colleague's leads)
        wait = float(interval or settings.get("delivery.interval_seconds") or 60)
        due = reconnect.retrying(next_due, stop=stop)
        if due is not None:
            wait = max(0.5, min(wait, (due - utcnow()).total_seconds()))
        stop.wait(wait)
