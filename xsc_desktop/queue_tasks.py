"""Integration-queue tasks: the kinds and states, gathering the to-do list, listing it, and the person's actions
(retry, skip, tick off); the queue's events. The run that proves each task is `queue_run`."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from peewee import JOIN, IntegrityError

from xsc_desktop import activity, db, events, integrations, landers, settings
from xsc_desktop.clock import aware_utc as _aware
from xsc_desktop.clock import in_zone, operator_zone
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Campaign, Client, Lander, Task, database, utcnow
from xsc_desktop.states import TaskStatus, state_values

log = logging.getLogger(__name__)


KINDS = ("new_client", "integrate", "custom_script")
KIND_LABELS = {"new_client": "New client", "integrate": "Integrate", "custom_script": "Custom script"}
STATUSES = state_values(TaskStatus)
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
    _announce(Topic.LANDER_CHANGED, lander_id=lander_id)


def _publish(task: Task, **extra: Any) -> None:
    _announce(Topic.TASK_CHANGED, task_id=task.id, lander_id=task.lander_id, kind=task.kind, status=task.status,
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
    activity.record("task", task.id, "created", to_state="pending", note=f"{KIND_LABELS[kind]} for {lander.name}")
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
    events.publish(Topic.QUEUE_GATHERED, **result.as_json())
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
