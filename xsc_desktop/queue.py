"""The integration queue: gather() builds the to-do list (15:00), run() proves each integration (08:00).

    result = queue.gather(now)     # ready landers → integrate tasks (lander queued) or needs_info with the list;
                                   # custom-script tasks for flagged landers; a new-client item per new client
    result = queue.run(now)        # each pending integrate task: TEST lead → parser → post → classify →
                                   # accepted: task done, lander integrated, confirmation in the outbox
                                   # rejected/error: task failed with the reason and the attempt record
    queue.retry(task_id) / queue.skip(task_id, reason) / queue.tick_off(task_id, note)
    queue.list_tasks(planned_for=None) → [TaskRow]

Tasks are unique per (lander, kind, planned_for), so gathering twice creates nothing new. `planned_for` is the
local date of the run the task belongs to (the next queue.run_time after the gather).

Safety of a run:
- One run at a time per database (a process lock): a second `run()` returns at once saying so.
- A task is marked running (attempts + 1) before its post and settled in one transaction after; a run that
  finds tasks left running takes them over as interrupted (the lock proves their process is gone), so killing
  the app mid-run loses no task.
- The confirmation is queued in the same transaction that marks the task done, with dedupe key
  "confirmation:task:<id>", and sent from the outbox (which sends a row once); a rerun never sends it twice.
- Retryable errors (503, timeouts, ...) are retried after the parser's backoff while the window (until
  queue.run_deadline, at least RUN_WINDOW_MIN after the start) allows; no thread waits holding a host's slot.
- At most queue.per_host_limit posts run at once per host, MAX_WORKERS in all.
- Stop (the scheduler quitting) is honoured between attempts: running posts finish, the rest stay pending.

Events: "task.changed" {task_id, lander_id, kind, status, attempts, reason, done, total} for every change,
"queue.progress" {done, total}, "queue.finished" {done, failed, skipped, total}, "queue.gathered" {...};
tray messages through events.notify.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

from peewee import JOIN, IntegrityError

from xsc_desktop import activity, db, events, integrations, jobs, landers, locks, mail, settings, workqueue
from xsc_desktop.clock import aware_utc as _aware
from xsc_desktop.clock import in_zone, operator_zone
from xsc_desktop.errors import UserError
from xsc_desktop.models import Campaign, Client, Email, Lander, Task, database, utcnow

log = logging.getLogger(__name__)

KINDS = ("new_client", "integrate", "custom_script")
KIND_LABELS = {"new_client": "New client", "integrate": "Integrate", "custom_script": "Custom script"}
STATUSES = ("pending", "running", "done", "failed", "skipped")
MAX_WORKERS = 16
RUN_WINDOW_MIN = timedelta(minutes=30)
EXCERPT = 2000


# ---- time helpers -----------------------------------------------------------------------------------------------
def _zone(tz: tzinfo | None) -> tzinfo | None:
    return tz if tz is not None else operator_zone()


def planned_date(now: datetime | None = None, tz: tzinfo | None = None) -> date:
    """The local date of the next queue run: today before queue.run_time, else tomorrow."""
    tz = _zone(tz)
    local = in_zone(_aware(now), tz)
    at = settings.time_setting("queue.run_time")
    return local.date() if (local.hour, local.minute) < (at.hour, at.minute) else local.date() + timedelta(days=1)


def window_end(now: datetime, tz: tzinfo | None = None) -> datetime:
    """Until when a run started at `now` may retry: today's queue.run_deadline, but at least RUN_WINDOW_MIN."""
    tz = _zone(tz)
    local = in_zone(now, tz)
    naive = datetime.combine(local.date(), settings.time_setting("queue.run_deadline"))
    end = naive.replace(tzinfo=tz).astimezone(UTC) if tz is not None else naive.astimezone().astimezone(UTC)
    return max(end, now + RUN_WINDOW_MIN)


# ---- events -----------------------------------------------------------------------------------------------------
_write_lock = threading.Lock()
_held = threading.local()  # per thread: a stack of event lists, one per open _tx()


@contextlib.contextmanager
def _tx() -> Iterator[None]:
    """One write transaction of the queue. Threads take turns (the writes are tiny), and on SQLite the transaction
    starts IMMEDIATE: a read that later upgrades to a write can fail at once with "database is locked" when
    another connection writes, busy timeout or not.

    Events announced inside (see `_announce`) are published after the commit, so a reader on another connection
    (the GUI reloading on the event) sees what the event says; a rolled-back transaction announces nothing. A
    nested _tx() is a savepoint whose events go out with the outer commit.
    """
    stack: list[list[tuple[str, dict[str, Any]]]] = _held.__dict__.setdefault("stack", [])
    held: list[tuple[str, dict[str, Any]]] = []
    nested = bool(stack)
    stack.append(held)
    try:
        if nested:
            with database.atomic():
                yield
        else:
            with _write_lock, db.write_transaction():
                yield
    finally:
        stack.pop()
    if nested:
        stack[-1].extend(held)
        return
    for topic, payload in held:
        events.publish(topic, **payload)


def _announce(topic: str, **payload: Any) -> None:
    """Publish an event, after the commit when a _tx() is open on this thread."""
    stack = getattr(_held, "stack", None)
    if stack:
        stack[-1].append((topic, payload))
    else:
        events.publish(topic, **payload)


def _lander_changed(lander_id: int) -> None:
    # landers.set_status announces its change before our enclosing transaction commits; say it again after the
    # commit so the last event a reader sees comes when the change is visible.
    _announce("lander.changed", lander_id=lander_id)


def _publish(task: Task, **extra: Any) -> None:
    _announce("task.changed", task_id=task.id, lander_id=task.lander_id, kind=task.kind, status=task.status,
              attempts=task.attempts, reason=task.reason, **extra)


def _log_entry(task: Task, entry: dict[str, Any]) -> None:
    task.log = [*(task.log or []), entry]


def _now_text() -> str:
    return utcnow().isoformat(timespec="seconds") + "Z"


# ---- gather -----------------------------------------------------------------------------------------------------
@dataclass
class GatherResult:
    """What a gather did, for the summary notification and `queue gather --json`."""

    planned_for: str
    integrate: list[int] = field(default_factory=list)
    custom_script: list[int] = field(default_factory=list)
    new_client: list[int] = field(default_factory=list)
    needs_info: dict[int, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: "5 to integrate, 2 custom scripts, 1 new client, 3 need info"."""
        parts = [f"{len(self.integrate)} to integrate"]
        if self.custom_script:
            parts.append(f"{len(self.custom_script)} custom script{'s' * (len(self.custom_script) != 1)}")
        if self.new_client:
            parts.append(f"{len(self.new_client)} new client{'s' * (len(self.new_client) != 1)}")
        if self.needs_info:
            parts.append(f"{len(self.needs_info)} need{'s' * (len(self.needs_info) == 1)} info")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape of `queue gather --json`."""
        return {"planned_for": self.planned_for, "integrate": self.integrate, "custom_script": self.custom_script,
                "new_client": self.new_client, "needs_info": {str(k): v for k, v in self.needs_info.items()},
                "summary": self.summary()}


def _add_task(lander: Lander, kind: str, planned_for: str, reason: str = "") -> Task | None:
    """Insert a task unless one exists for (lander, kind, planned_for); returns the new task or None."""
    where = (Task.lander == lander.id) & (Task.kind == kind) & (Task.planned_for == planned_for)
    if Task.select(Task.id).where(where).exists():
        return None
    stamp = utcnow()
    try:
        with _tx():
            task = Task.create(lander=lander.id, kind=kind, planned_for=planned_for, status="pending", reason=reason,
                               log=[], created_at=stamp, updated_at=stamp)
    except IntegrityError:  # another process gathered the same task a moment ago
        return None
    activity.record("task", task.id, "created", to_state="pending", note=f"{KIND_LABELS[kind]} for lander {lander.id}")
    _publish(task)
    return task


def gather(now: datetime | None = None, *, tz: tzinfo | None = None) -> GatherResult:
    """Build the to-do list of the next run from the landers in ready (and needs_info, re-checked)."""
    now = _aware(now)
    planned = planned_date(now, tz).isoformat()
    result = GatherResult(planned_for=planned)
    candidates = list(Lander.select(Lander, Campaign, Client).join(Campaign).join(Client)
                      .where(Lander.status.in_(("ready", "needs_info"))).order_by(Lander.id))
    new_clients_done: set[int] = set()
    for lander in candidates:
        client = lander.campaign.client
        missing = integrations.missing_info(lander)
        with _tx():
            if client.is_new and client.id not in new_clients_done:
                new_clients_done.add(client.id)
                if not _client_has_item(client.id, planned):
                    task = _add_task(lander, "new_client", planned, reason=f"New client: {client.name}")
                    if task:
                        result.new_client.append(task.id)
            flags = landers.flags_of(lander)
            if flags:
                names = ", ".join(landers.FLAGS.get(f, f) for f in flags)
                note = f"{names}" + (f" ({lander.flag_note})" if lander.flag_note else "")
                task = _add_task(lander, "custom_script", planned, reason=note)
                if task:
                    result.custom_script.append(task.id)
            if missing:
                result.needs_info[lander.id] = missing
                if lander.status != "needs_info" or lander.missing_info != missing:
                    if lander.status == "needs_info":
                        Lander.update(missing_info=missing, updated_at=utcnow()).where(Lander.id == lander.id).execute()
                        activity.record("lander", lander.id, "missing info", note="; ".join(missing))
                    else:
                        landers.set_status(lander.id, "needs_info", note="; ".join(missing), missing_info=missing,
                                           actor="gather")
                    _lander_changed(lander.id)
                continue
            task = _add_task(lander, "integrate", planned)
            if task:
                result.integrate.append(task.id)
            if lander.status != "queued":
                landers.set_status(lander.id, "queued", note=f"to integrate on {planned}", actor="gather")
                _lander_changed(lander.id)
    events.publish("queue.gathered", **result.as_json())
    if result.new_client:
        events.notify("New client landers", f"{len(result.new_client)} new client(s) on the list for {planned}.")
    events.notify("To-do list ready", f"For {planned}: {result.summary()}.")
    log.info("Gathered for %s: %s", planned, result.summary())
    return result


def _client_has_item(client_id: int, planned: str) -> bool:
    return (Task.select(Task.id).join(Lander).join(Campaign)
            .where((Campaign.client == client_id) & (Task.kind == "new_client") & (Task.planned_for == planned))
            .exists())


# ---- listing ----------------------------------------------------------------------------------------------------
@dataclass
class TaskRow:
    """A task with its lander, client and campaign, flat, as the Queue page and `queue list` show it."""

    id: int
    kind: str
    planned_for: str
    status: str
    attempts: int
    reason: str
    remote_id: str
    test_ref: str
    lander_id: int
    lander: str
    lander_status: str
    client: str
    campaign: str
    updated_at: datetime
    log: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, *, with_log: bool = False) -> dict[str, Any]:
        """The documented JSON shape of `queue list --json` (the attempt log with `with_log`)."""
        data = {"id": self.id, "kind": self.kind, "planned_for": self.planned_for, "status": self.status,
                "attempts": self.attempts, "reason": self.reason, "remote_id": self.remote_id,
                "test_ref": self.test_ref, "lander_id": self.lander_id, "lander": self.lander,
                "lander_status": self.lander_status, "client": self.client, "campaign": self.campaign,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}
        if with_log:
            data["log"] = self.log
        return data


def list_tasks(planned_for: str | None = None, *, status: str | None = None, with_log: bool = True,
               task_ids: Iterable[int] | None = None) -> list[TaskRow]:
    """Tasks, new clients first, then integrations, then custom scripts; newest dates first."""
    fields = [Task.id, Task.kind, Task.planned_for, Task.status, Task.attempts, Task.reason, Task.remote_id,
              Task.test_ref, Lander.id, Lander.name, Lander.status, Client.name, Campaign.name, Task.updated_at]
    if with_log:
        fields.append(Task.log)
    query = (Task.select(*fields).join(Lander, JOIN.INNER).join(Campaign, JOIN.INNER).join(Client, JOIN.INNER))
    if planned_for:
        query = query.where(Task.planned_for == planned_for)
    if status:
        query = query.where(Task.status == status)
    if task_ids is not None:
        query = query.where(Task.id.in_(list(task_ids)))
    rows = []
    for values in query.tuples():
        raw_log = values[14] if with_log else None
        if isinstance(raw_log, str):
            import json

            raw_log = json.loads(raw_log)
        rows.append(TaskRow(*values[:14], log=raw_log or []))
    order = {k: i for i, k in enumerate(KINDS)}
    rows.sort(key=lambda r: (_neg_date(r.planned_for), order.get(r.kind, 9), r.id))
    return rows


def _neg_date(text: str) -> int:
    try:
        return -date.fromisoformat(text).toordinal()
    except ValueError:
        return 0


def dates() -> list[str]:
    """Planned dates that have tasks, newest first."""
    return [r[0] for r in Task.select(Task.planned_for).distinct().order_by(Task.planned_for.desc()).tuples()]


# ---- the person's actions ---------------------------------------------------------------------------------------
def get_task(task_id: int) -> Task:
    """The task with that id, or UserError."""
    task = Task.get_or_none(Task.id == task_id)
    if task is None:
        raise UserError(f"There is no task {task_id}; `xsc-desktop queue list` shows them.")
    return task


def _set(task: Task, status: str, *, reason: str | None = None, note: str = "", actor: str | None = None) -> Task:
    old = task.status
    task.status = status
    if reason is not None:
        task.reason = reason
    task.updated_at = utcnow()
    task.save()
    activity.record("task", task.id, "status", from_state=old, to_state=status, note=note or task.reason, actor=actor)
    _publish(task)
    return task


def retry(task_id: int) -> Task:
    """Put a failed or skipped task back to pending (the lander back to queued); run it with run(task_ids=[id])."""
    task = get_task(task_id)
    if task.status == "running":
        raise UserError("That task is running right now; wait for it to finish.")
    if task.status == "done" and task.kind == "integrate":
        raise UserError("That integration was proven already; nothing to retry.")
    with _tx():
        if task.kind == "integrate":
            lander = landers.get_lander(task.lander_id)
            if lander.status in ("failed", "ready", "needs_info"):
                landers.set_status(lander.id, "queued", note=f"retry of task {task.id}")
                _lander_changed(lander.id)
        _set(task, "pending", reason="", note="retry by hand")
    return task


def skip(task_id: int, reason: str) -> Task:
    """Skip a task with the person's reason; a skipped integration puts its lander back to ready."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError("Say why the task is skipped; the reason is kept with it.")
    task = get_task(task_id)
    if task.status == "running":
        raise UserError("That task is running right now; wait for it to finish.")
    with _tx():
        if task.kind == "integrate" and task.status != "done":
            lander = landers.get_lander(task.lander_id)
            if lander.status in ("queued", "failed"):
                landers.set_status(lander.id, "ready", note=f"task {task.id} skipped: {reason}")
                _lander_changed(lander.id)
        _set(task, "skipped", reason=reason)
    return task


def tick_off(task_id: int, note: str = "") -> Task:
    """Mark a custom-script or new-client item done by hand."""
    task = get_task(task_id)
    if task.kind == "integrate":
        raise UserError("An integration is proven by running it; use Run this task instead.")
    return _set(task, "done", reason=note.strip() or task.reason, note="ticked off")


# ---- run --------------------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """What a run did, for the summary notification and `queue run --json`."""

    total: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    emails_sent: int = 0
    busy: bool = False
    tasks: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line: "4 done, 1 failed" (and what stayed pending)."""
        if self.busy:
            return "another queue run is in progress"
        if not self.total:
            return "nothing to run"
        text = f"{self.done} done, {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        if self.pending:
            text += f", {self.pending} left pending"
        return text

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape of `queue run --json`."""
        return {"total": self.total, "done": self.done, "failed": self.failed, "skipped": self.skipped,
                "pending": self.pending, "emails_sent": self.emails_sent, "busy": self.busy, "tasks": self.tasks,
                "summary": self.summary()}


@dataclass
class _Job:
    """One integrate task prepared for posting (rendered once)."""

    task_id: int
    lander_id: int
    host: str
    spec: Any = None
    request: Any = None
    secrets: dict[str, str] = field(default_factory=dict)
    test_ref: str = ""
    test_lead: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    attempt: int = 0  # attempts in this run (for the back-off)
    status: str = "pending"  # where the task ended (for the run's counts)


def test_reference(task_id: int, planned_for: str) -> str:
    """The reference the TEST lead carries (and the confirmation quotes)."""
    return f"XSC-TEST-{task_id}-{planned_for.replace('-', '')}"


def build_test_lead(lander: Lander, test_ref: str) -> dict[str, Any]:
    """The lander's sample lead (else a complete made-up one), clearly labelled TEST, carrying `test_ref`."""
    from parsers.render import label_test_lead, sample_lead

    lead = dict(sample_lead())
    lead.update({k: v for k, v in (lander.sample_lead or {}).items() if v not in (None, "")})
    lead = label_test_lead(lead)
    lead["lead_id"] = test_ref
    lead["sub_id"] = "xsc-test"
    lead["landing_page_url"] = lander.url
    lead["created_at"] = utcnow().isoformat(timespec="seconds") + "Z"
    return lead


def _prepare(task: Task) -> _Job:
    from parsers.render import RenderError, render

    job = _Job(task_id=task.id, lander_id=task.lander_id, host="")
    lander = landers.get_lander(task.lander_id)
    job.test_ref = task.test_ref or test_reference(task.id, task.planned_for)
    integration = integrations.get_integration(lander)
    if integration is None:
        job.problem = "The lander has no integration any more; set its parser and run the task again."
        return job
    try:
        spec = integrations.spec_for(integration)
        job.secrets = integrations.secrets_for(integration)
    except UserError as exc:
        job.problem = str(exc)
        return job
    job.spec = spec
    job.test_lead = build_test_lead(lander, job.test_ref)
    try:
        job.request = render(spec, job.test_lead, integrations.settings_for(integration), job.secrets, test=True)
    except RenderError as exc:
        job.problem = f"The test lead could not be built: {exc}"
        return job
    except Exception as exc:  # a broken parser must fail its task, not the run
        job.problem = f"The test lead could not be built ({type(exc).__name__}: {exc})."
        return job
    parts = urlsplit(job.request.url)
    job.host = (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")
    return job


def _select_tasks(now: datetime, tz: tzinfo | None, task_ids: Iterable[int] | None, include_future: bool) -> list[Task]:
    query = Task.select().where((Task.kind == "integrate") & (Task.status == "pending")).order_by(Task.id)
    if task_ids is not None:
        query = query.where(Task.id.in_(list(task_ids)))
    elif not include_future:
        today = in_zone(now, _zone(tz)).date().isoformat()
        query = query.where(Task.planned_for <= today)
    return list(query)


def recover_interrupted() -> int:
    """Tasks left running by a run that died go back to pending (call with the queue-run lock held)."""
    count = 0
    for task in Task.select().where(Task.status == "running"):
        _log_entry(task, {"at": _now_text(), "event": "interrupted", "note": "the app stopped mid-run; retried"})
        _set(task, "pending", note="interrupted; back to pending", actor="queue")
        count += 1
    return count


_runs = threading.Condition()
_active_runs = [0]


def running() -> bool:
    """Whether a queue run is in progress in this process (the window asks before quitting)."""
    with _runs:
        return _active_runs[0] > 0


def wait_until_idle(timeout: float | None = None) -> bool:
    """Wait for this process's queue runs to end (after their stop event was set); True when none is left."""
    with _runs:
        return _runs.wait_for(lambda: _active_runs[0] == 0, timeout)


def run(now: datetime | None = None, *, tz: tzinfo | None = None, task_ids: Iterable[int] | None = None,
        include_future: bool = False, stop: threading.Event | None = None,
        deadline: datetime | None = None, send_mail: bool = True) -> RunResult:
    """Run the pending integrate tasks (those planned for today or earlier, or all with `include_future`, or just
    `task_ids`), then send the confirmations; see the module docstring for the guarantees."""
    with _runs:
        _active_runs[0] += 1
    try:
        return _run(_aware(now), tz, task_ids, include_future, stop, deadline, send_mail)
    finally:
        with _runs:
            _active_runs[0] -= 1
            _runs.notify_all()


def _run(now: datetime, tz: tzinfo | None, task_ids: Iterable[int] | None, include_future: bool,
         stop: threading.Event | None, deadline: datetime | None, send_mail: bool) -> RunResult:
    stop = stop if stop is not None else jobs.current_stop_event()
    result = RunResult()
    with locks.hold("queue-run") as got:
        if not got:
            result.busy = True
            return result
        recover_interrupted()
        tasks = _select_tasks(now, tz, task_ids, include_future)
        result.total = len(tasks)
        result.tasks = [t.id for t in tasks]
        if tasks:
            # The window is measured on the monotonic clock from the run's own `now`: an injected time (tests) or a
            # wall-clock jump cannot stretch or cut it.
            window = ((deadline or window_end(now, tz)) - now).total_seconds()
            _run_tasks(tasks, result, stop, time.monotonic() + max(0.0, window))
        if send_mail and not (stop is not None and stop.is_set()):
            # This run's confirmations and any a killed run left queued (the outbox sends each row once); a row a
            # killed sender left "sending" is settled by send_pending (failed, never sent twice) even when none is
            # queued, so `queue run` after a crash shows it at once.
            ids = [e.id for e in Email.select(Email.id).where((Email.kind == "confirmation")
                                                               & (Email.state == "queued"))]
            if ids or Email.select(Email.id).where(Email.state == "sending").exists():
                result.emails_sent = mail.send_pending(only_ids=ids, wait=True).sent
    if result.total:
        events.publish("queue.finished", **result.as_json())
        level = "warning" if result.failed else "info"
        events.notify("Queue finished", result.summary() + ".", level)
    log.info("Queue run: %s", result.summary())
    return result


class _QueueRun:
    """The queue run as a work-queue policy: the claim marks the task running (attempts + 1) while it is still
    pending, the side effect posts its TEST lead, the settlement records the attempt and decides done, failed or
    another try while the run's window allows. Every write goes through `_tx` (events after the commit)."""

    def __init__(self, deadline: float, settled: Any) -> None:
        self.deadline = deadline  # monotonic time after which no retry is scheduled
        self.settled = settled

    def host(self, job: _Job) -> str:
        return job.host

    @contextlib.contextmanager
    def worker(self) -> Iterator[None]:
        from xsc_desktop import posting

        try:
            yield None
        finally:
            posting.close_thread_session()

    def prepare(self, job: _Job) -> workqueue.Step | None:
        task = Task.get_by_id(job.task_id)
        if task.status != "pending":
            job.status = task.status  # settled meanwhile (skipped by a person)
            return workqueue.Step()
        lander = Lander.get_by_id(task.lander_id)
        if lander.status not in ("paused", "archived"):
            return None

        def skip() -> None:
            if workqueue.claim(Task, job.task_id, Task.status, "pending", "skipped",
                               reason=f"the lander is {lander.status}", updated_at=utcnow()):
                job.status = "skipped"
                _publish(Task.get_by_id(job.task_id))
            else:
                job.status = Task.get_by_id(job.task_id).status

        return workqueue.Step(skip)

    def claim(self, job: _Job) -> int | None:
        if not workqueue.claim(Task, job.task_id, Task.status, "pending", "running", attempts=Task.attempts + 1,
                               test_ref=job.test_ref, updated_at=utcnow()):
            job.status = Task.get_by_id(job.task_id).status
            return None
        task = Task.get_by_id(job.task_id)
        _publish(task)
        return task.attempts

    def send(self, job: _Job, attempts: int, _resources: None) -> tuple[Any, datetime]:
        from xsc_desktop import posting

        job.attempt += 1
        sent_at = utcnow()
        return posting.post(job.request, job.spec), sent_at

    def settle(self, job: _Job, attempts: int, answer: tuple[Any, datetime]) -> workqueue.Step:
        from parsers.render import mask_text

        attempt, sent_at = answer
        outcome = attempt.outcome
        entry = {
            "at": sent_at.isoformat(timespec="seconds") + "Z", "attempt": attempts, "test_ref": job.test_ref,
            "request": job.request.masked().to_dict(), "status": attempt.status, "outcome": outcome.kind,
            "retryable": outcome.retryable, "reason": outcome.reason or (attempt.error or ""),
            "remote_id": outcome.remote_id, "elapsed_ms": round(attempt.elapsed * 1000, 1),
            "response": mask_text(attempt.body_excerpt[:EXCERPT], job.secrets),
        }
        if outcome.ok:
            job.status = "done"
            return workqueue.Step(_accepted(job, entry, outcome.remote_id, sent_at))
        reason = mask_text(outcome.reason or attempt.error or outcome.kind, job.secrets)
        backoff = workqueue.Backoff(job.spec.retry.backoff_base, job.spec.retry.max_attempts)
        delay = backoff.delay(job.attempt, outcome.retry_after)
        if outcome.retryable and backoff.allows(job.attempt) and time.monotonic() + delay < self.deadline:
            entry["next_try_in_s"] = round(delay, 3)
            entry["max_attempts"] = max(1, job.spec.retry.max_attempts)  # "attempt 2 of 3" on the Queue page
            job.status = "pending"

            def again() -> None:
                task = Task.get_by_id(job.task_id)
                _log_entry(task, entry)
                task.status, task.reason, task.updated_at = "pending", f"{reason} (retrying)", utcnow()
                task.save()
                _publish(task)

            return workqueue.Step(again, retry_in=delay)
        job.status = "failed"

        def fail() -> None:
            task = Task.get_by_id(job.task_id)
            _log_entry(task, entry)
            _fail_lander(task, reason)
            _set(task, "failed", reason=reason, actor="queue")

        name = Lander.get_by_id(job.lander_id).name
        return workqueue.Step(fail, after=lambda: events.notify("Integration failed", f"{name}: {reason}", "error"))

    def failed(self, job: _Job, exc: Exception) -> workqueue.Step:
        def problem() -> None:
            job.status = "failed"
            _settle_problem(job, f"Unexpected error: {type(exc).__name__}: {exc}")

        return workqueue.Step(after=problem)  # if this fails too, the task stays running: the next run takes it over

    def finished(self, job: _Job) -> None:
        self.settled(job.status)


def _in_tx(write: Any) -> Any:
    with _tx():
        return write()


def _run_tasks(tasks: list[Task], result: RunResult, stop: threading.Event | None, deadline: float) -> None:
    prepared = [_prepare(task) for task in tasks]
    ready = [j for j in prepared if not j.problem]
    progress = {"done": 0, "total": len(prepared)}
    lock = threading.Lock()

    def settled(status: str) -> None:
        with lock:
            progress["done"] += 1
            if status == "done":
                result.done += 1
            elif status == "failed":
                result.failed += 1
            elif status == "skipped":
                result.skipped += 1
            events.publish("queue.progress", done=progress["done"], total=progress["total"])

    for job in prepared:
        if job.problem:
            settled(_settle_problem(job, job.problem))
    if not ready:
        return
    workqueue.run(ready, _QueueRun(deadline, settled), per_host=int(settings.get("queue.per_host_limit") or 1),
                  max_workers=MAX_WORKERS, stop=stop, writer=_in_tx, inline=False,
                  on_thread_end=jobs.close_thread_connection, thread_name="xsc-queue-worker")
    result.pending = sum(1 for t in Task.select(Task.status).where(Task.id.in_([j.task_id for j in ready]))
                         if t.status in ("pending", "running"))
    # Tasks waiting for a retry when the run stopped stay pending with their log; nothing is left "running".
    Task.update(status="pending").where(Task.id.in_([j.task_id for j in ready]) & (Task.status == "running")).execute()


def _settle_problem(job: _Job, problem: str) -> str:
    with _tx():
        task = Task.get_by_id(job.task_id)
        _log_entry(task, {"at": _now_text(), "event": "not sent", "reason": problem})
        task.test_ref = job.test_ref
        _fail_lander(task, problem)
        _set(task, "failed", reason=problem, actor="queue")
    events.notify("Integration failed", f"Task {task.id}: {problem}", "error")
    return "failed"


def _fail_lander(task: Task, reason: str) -> None:
    lander = Lander.get_by_id(task.lander_id)
    if lander.status == "queued":
        landers.set_status(lander.id, "failed", note=f"task {task.id}: {reason}", actor="queue")
        _lander_changed(lander.id)


def _accepted(job: _Job, entry: dict[str, Any], remote_id: str, sent_at: datetime) -> Any:
    """The write that records an accepted TEST lead: task done, lander integrated, confirmation queued."""
    lander = Lander.get_by_id(job.lander_id)
    client = lander.campaign.client
    spec = job.spec
    from xsc_desktop import confirmation  # the client's words: no parser names, ids or empty placeholders

    values = confirmation.values_for(lander.id, system=getattr(spec, "system", None), sent_at=sent_at,
                                     test_ref=job.test_ref, remote_id=remote_id)
    subject, body = confirmation.render(values)
    pdf = _posting_summary(job, sent_at, remote_id)

    def write() -> None:
        task = Task.get_by_id(job.task_id)
        lander = Lander.get_by_id(job.lander_id)
        _log_entry(task, entry)
        task.remote_id, task.test_ref = remote_id or "", job.test_ref
        if lander.status != "integrated":
            if lander.status not in ("queued",):
                if "queued" in landers.TRANSITIONS.get(lander.status, ()):
                    landers.set_status(lander.id, "queued", note=f"task {task.id} run by hand", actor="queue")
            landers.set_status(lander.id, "integrated", note=f"test lead {job.test_ref} accepted"
                               + (f" (id {remote_id})" if remote_id else ""), actor="queue")
            _lander_changed(lander.id)
        note = ""
        attachments = []
        if pdf is not None:
            from xsc_desktop import summary

            doc = summary.keep(lander.id, pdf[0], pdf[1])
            _announce("posting_doc.changed", doc_id=doc.id, lander_id=lander.id)
            if settings.get("mail.confirmation_attach_summary"):
                attachments.append(doc.path)
        if client.contacts:
            email = mail.queue_email(kind="confirmation", to=client.contacts, subject=subject, body=body,
                                     attachments=attachments, dedupe_key=f"confirmation:task:{task.id}")
            _announce("email.changed", email_id=email.id, state=email.state)
        else:
            note = "; no client contact, so no confirmation was queued"
            _announce("notify", title="No confirmation sent", message=f"{client.name} has no contact for "
                      f"{lander.name}.", level="warning")
        _set(task, "done", reason=f"accepted{f' (id {remote_id})' if remote_id else ''}{note}", actor="queue")

    return write


def _posting_summary(job: _Job, sent_at: datetime, remote_id: str) -> tuple[Any, bytes] | None:
    """The posting summary of the lander going live and its PDF, or None (logged) when it cannot be made: the
    integration is live all the same and the confirmation goes without it."""
    from xsc_desktop import summary

    try:
        return summary.for_accepted_test(job.lander_id, reference=job.test_ref, sent_at=sent_at, remote_id=remote_id)
    except Exception:  # noqa: BLE001 - a summary problem must not undo an accepted test lead
        log.exception("The posting summary of lander %s could not be made", job.lander_id)
        return None


def _system_label(spec: Any) -> str:
    system = getattr(spec, "system", "") or "generic"
    return spec.name if system == "generic" else system.replace("_", " ").title()
