"""The integration-queue run: each pending integrate task gets a TEST lead posted through its parser, the answer
classified and settled (see `queue` for the safety rules); one run at a time per database."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from xsc_desktop import events, integrations, jobs, landers, mail, settings, workqueue
from xsc_desktop.clock import aware_utc as _aware
from xsc_desktop.clock import in_zone
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Email, Lander, Task, utcnow
from xsc_desktop.queue_tasks import (
    EXCERPT,
    MAX_WORKERS,
    _announce,
    _lander_changed,
    _log_entry,
    _now_text,
    _publish,
    _set,
    _tx,
    _zone,
    window_end,
)

log = logging.getLogger(__name__)


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
    """Tasks left running by a run that died go back to pending (call inside `workqueue.working("queue-run")`; on a
    shared database a colleague's running tasks are left alone)."""
    count = 0
    for task in Task.select().where(Task.status == "running"):
        if not workqueue.gone("queue-run", task.claimed_by or ""):
            continue
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
    with workqueue.working("queue-run") as got:
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
        events.publish(Topic.QUEUE_FINISHED, **result.as_json())
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
                               claimed_by=workqueue.OWNER,
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
            events.publish(Topic.QUEUE_PROGRESS, done=progress["done"], total=progress["total"])

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
            _announce(Topic.POSTING_DOC_CHANGED, doc_id=doc.id, lander_id=lander.id)
            if settings.get("mail.confirmation_attach_summary"):
                attachments.append(doc.path)
        if client.contacts:
            email = mail.queue_email(kind="confirmation", to=client.contacts, subject=subject, body=body,
                                     attachments=attachments, dedupe_key=f"confirmation:task:{task.id}")
            _announce(Topic.EMAIL_CHANGED, email_id=email.id, state=email.state)
        else:
            note = "; no client contact, so no confirmation was queued"
            _announce(Topic.NOTIFY, title="No confirmation sent", message=f"{client.name} has no contact for "
                      f"{lander.name}.", level="warning")
        _set(task, "done", reason=f"accepted{f' (id {remote_id})' if remote_id else ''}{note}", actor="queue")

    return write


def _posting_summary(job: _Job, sent_at: datetime, remote_id: str) -> tuple[Any, bytes] | None:
    """The posting summary of the lander going live and its PDF, or None (logged) when it cannot be made: the
    integration is live all the same and the confirmation goes without it."""
    from xsc_desktop import summary

    try:
        return summary.for_accepted_test(job.lander_id, reference=job.test_ref, sent_at=sent_at, remote_id=remote_id)
    except Exception:  # a summary problem must not undo an accepted test lead
        log.exception("The posting summary of lander %s could not be made", job.lander_id)
        return None


def _system_label(spec: Any) -> str:
    system = getattr(spec, "system", "") or "generic"
    return spec.name if system == "generic" else system.replace("_", " ").title()
