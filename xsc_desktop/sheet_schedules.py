"""Report schedules: add, change, delete and describe them in the operator's time zone, find the slots due,
run them (and e-mail the file when asked); the scheduler's two report jobs."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from xsc_desktop import activity, events
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import (
    Client,
    ReportRun,
    ReportSchedule,
    Setting,
    database,
    utcnow,
)
from xsc_desktop.sheet_runs import (
    _MARK_KEY,
    DEFAULT_CLIENT_PATTERN,
    DEFAULT_FILE_PATTERN,
    _finish,
    file_name,
    recover_interrupted_runs,
    run_report,
)
from xsc_desktop.sheet_source import _lander_facts
from xsc_desktop.sheet_templates import GENERIC, get_template
from xsc_desktop.sheet_writer import ProgressFn, ReportCancelled

log = logging.getLogger(__name__)

PERIODS = ("all", "since_last")
DEFAULT_TIME_UTC = "05:00"


# ---- schedules ------------------------------------------------------------------------------------------------

def _check_time(value: str) -> str:
    from xsc_desktop.settings import parse_hhmm

    parsed = parse_hhmm(value)
    if parsed is None:
        raise UserError(f"A report time is written as HH:MM in UTC, not {value!r}.")
    return f"{parsed:%H:%M}"


def _hour_minute(time_utc: str) -> tuple[int, int]:
    # A stored time was checked when saved; one that is not HH:MM (edited by hand) runs at the default hour
    # rather than stopping every report.
    from xsc_desktop.settings import parse_hhmm

    parsed = parse_hhmm(time_utc) or parse_hhmm(DEFAULT_TIME_UTC)
    return parsed.hour, parsed.minute


def add_schedule(*, template: str = GENERIC, lander_id: int | None = None, client_id: int | None = None,
                 period: str = "since_last", time_utc: str | None = None, out_dir: str | Path = "",
                 file_pattern: str | None = None, email: bool = False, active: bool = True) -> ReportSchedule:
    """A new report schedule for a lander or a client (05:00 UTC unless told otherwise)."""
    from xsc_desktop import settings

    values = _schedule_values(template=template, lander_id=lander_id, client_id=client_id, period=period,
                              time_utc=time_utc or settings.get("reports.time_utc"), out_dir=out_dir,
                              file_pattern=file_pattern, email=email)
    row = ReportSchedule.create(active=active, active_since=utcnow(), **values)
    activity.record("report_schedule", row.id, "created", note=describe_schedule(row))
    events.publish(Topic.REPORT_SCHEDULES_CHANGED, schedule_id=row.id)
    return row


def _schedule_values(*, template: str, lander_id: int | None, client_id: int | None, period: str, time_utc: str,
                     out_dir: str | Path, file_pattern: str | None, email: bool) -> dict[str, Any]:
    if (lander_id is None) == (client_id is None):
        raise UserError("A report schedule is for either a lander or a client; choose one.")
    if lander_id is not None:
        _lander_facts(lander_id)
    elif Client.get_or_none(Client.id == client_id) is None:
        raise UserError(f"There is no client {client_id}; `xsc-desktop clients list` shows their ids.")
    if period not in PERIODS:
        raise UserError(f"A report period is 'all' or 'since_last', not {period!r}.")
    if not str(out_dir).strip():
        raise UserError("A report schedule needs an output folder.")
    folder = Path(str(out_dir).strip()).expanduser()
    if not folder.is_absolute():
        # The app and the headless daemon start in different folders: a relative path would mean two places.
        raise UserError(f"Write the report folder as a full path (such as {Path.home() / 'Reports'}), not {out_dir!r}.")
    pattern = file_pattern or (DEFAULT_FILE_PATTERN if lander_id is not None else DEFAULT_CLIENT_PATTERN)
    file_name(pattern, client="c", lander="l", when=utcnow(), template="t")  # checks the pattern
    return {"template": get_template(template), "lander": lander_id, "client": client_id, "period": period,
            "time_utc": _check_time(time_utc), "out_dir": str(folder), "file_pattern": pattern, "email": bool(email)}


def update_schedule(schedule_id: int, **changes: Any) -> ReportSchedule:
    """Change a schedule (same arguments as `add_schedule`, plus active)."""
    row = get_schedule(schedule_id)
    current = {"template": row.template.name, "lander_id": row.lander_id, "client_id": row.client_id,
               "period": row.period, "time_utc": row.time_utc, "out_dir": row.out_dir,
               "file_pattern": row.file_pattern, "email": row.email}
    active = changes.pop("active", row.active)
    current.update({k: v for k, v in changes.items() if k in current})
    old_time, was_active = row.time_utc, row.active
    for key, value in _schedule_values(**current).items():
        setattr(row, key, value)
    row.active = bool(active)
    if row.active and (row.time_utc != old_time or not was_active):
        row.active_since = utcnow()  # a new time, or switched back on: slots already past are not run
    row.save()
    activity.record("report_schedule", row.id, "edited", note=describe_schedule(row))
    events.publish(Topic.REPORT_SCHEDULES_CHANGED, schedule_id=row.id)
    return row


def delete_schedule(schedule_id: int) -> None:
    """Delete a schedule (its runs stay in the history)."""
    row = get_schedule(schedule_id)
    with database.atomic():
        row.delete_instance()
        Setting.delete().where(Setting.key.startswith(_MARK_KEY.format(scope=f"schedule-{schedule_id}", group="")))\
            .execute()
    activity.record("report_schedule", schedule_id, "deleted")
    events.publish(Topic.REPORT_SCHEDULES_CHANGED, schedule_id=schedule_id)


def get_schedule(schedule_id: int) -> ReportSchedule:
    """The schedule with that id, or UserError."""
    row = ReportSchedule.get_or_none(ReportSchedule.id == schedule_id)
    if row is None:
        raise UserError(f"There is no report schedule {schedule_id}; `xsc-desktop sheets schedule list` shows them.")
    return row


def list_schedules() -> list[ReportSchedule]:
    """Every schedule, by id."""
    return list(ReportSchedule.select().order_by(ReportSchedule.id))


def schedule_target(row: ReportSchedule) -> str:
    """What a schedule reports on, in words ("Houston Auto Accident (Alvarez…)" or "client Alvarez…")."""
    if row.lander_id is not None:
        name, client, _ = _lander_facts(row.lander_id)
        return f"{name} ({client})"
    return f"all landers of {row.client.name}"


def local_time_text(time_utc: str, on: date, zone: tzinfo | None = None) -> str:
    """A UTC schedule time as the operator's local clock shows it on a given day ("00:00 EST")."""
    hour, minute = _hour_minute(time_utc)
    moment = datetime(on.year, on.month, on.day, hour, minute, tzinfo=UTC)
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    day = "" if local.date() == on else (" the day before" if local.date() < on else " the next day")
    return f"{local:%H:%M} {local.tzname()}{day}"


def time_label(time_utc: str, on: date, zone: tzinfo | None = None) -> str:
    """"05:00 UTC (00:00 EST)", or "05:00 UTC" when the operator's clock is on UTC."""
    local = local_time_text(time_utc, on, zone)
    return f"{time_utc} UTC" if local.split()[1:] == ["UTC"] else f"{time_utc} UTC ({local})"


def describe_schedule(row: ReportSchedule, zone: tzinfo | None = None, today: date | None = None) -> str:
    """One line: template, target, time in UTC and local time, folder, e-mail."""
    today = today or utcnow().date()
    period = "leads since the last report" if row.period == "since_last" else "all leads"
    mail = ", e-mailed to the client" if row.email else ""
    return (f"{row.template.name} of {schedule_target(row)}: {period}, daily at "
            f"{time_label(row.time_utc, today, zone)} into {row.out_dir}{mail}")


def schedule_as_json(row: ReportSchedule) -> dict[str, Any]:
    """The documented JSON shape of a schedule (`sheets schedule list --json`)."""
    return {"id": row.id, "template": row.template.name, "lander_id": row.lander_id, "client_id": row.client_id,
            "period": row.period, "time_utc": row.time_utc, "out_dir": row.out_dir,
            "file_pattern": row.file_pattern, "email": row.email, "active": row.active,
            "last_run_at": row.last_run_at.isoformat() if row.last_run_at else None}


def latest_slot(time_utc: str, now: datetime) -> datetime:
    """The most recent time (naive UTC) at or before `now` when a schedule at `time_utc` was due."""
    hour, minute = _hour_minute(time_utc)
    slot = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return slot if slot <= now else slot - timedelta(days=1)


def next_slot(time_utc: str, now: datetime) -> datetime:
    """The next time (naive UTC) after `now` a schedule at `time_utc` is due."""
    return latest_slot(time_utc, now) + timedelta(days=1)


def _attempted(row: ReportSchedule, slot: datetime) -> bool:
    # Done and failed runs use up their slot (a failure waits for the next one); a cancelled one does not, nor one
    # a killed process left interrupted.
    return ReportRun.select().where((ReportRun.schedule == row) & (ReportRun.started_at >= slot)
                                    & ReportRun.state.not_in(("cancelled", "interrupted"))).exists()


def _before_schedule(row: ReportSchedule, slot: datetime, now: datetime) -> bool:
    """Whether the slot came before the schedule took effect (added, retimed or switched on after it): a new
    schedule's first slot is the next one. A clock earlier than that moment (set back) does not count."""
    since = row.active_since
    return since is not None and slot < since <= now


def run_due_reports(now: datetime | None = None, *, default_dir: Path | None = None,
                    progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                    skip_time: str | None = None, within: timedelta | None = None) -> list[ReportRun]:
    """Run every active schedule whose latest slot (at or before `now`, UTC) has not been attempted yet.

    A failed run counts as the attempt of its slot, so a broken folder is retried at the next slot,
    not in a loop. `skip_time` leaves out schedules at that time and `within` leaves out slots older than
    that (the on-time check for schedules at other times than the daily job's). Returns the runs made; []
    when another process is running reports right now (it runs the due ones).
    """
    from xsc_desktop import locks

    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    runs: list[ReportRun] = []
    with locks.hold("reports") as got:
        if not got:
            return runs
        recover_interrupted_runs(now)
        query = ReportSchedule.select().where(ReportSchedule.active == True)  # noqa: E712 - peewee expression
        for row in query.order_by(ReportSchedule.id):
            if skip_time is not None and row.time_utc == skip_time:
                continue
            slot = latest_slot(row.time_utc, now)
            if (within is not None and now - slot > within) or _before_schedule(row, slot, now) \
                    or _attempted(row, slot):
                continue
            try:
                runs.extend(_run_schedule(row, slot, now, default_dir, progress, cancel))
            except ReportCancelled:  # quitting: the cancelled run is recorded; its slot stays open
                runs.append(ReportRun.select().where(ReportRun.schedule == row)
                            .order_by(ReportRun.id.desc()).first())
                break
    return runs


def _run_schedule(row: ReportSchedule, slot: datetime, now: datetime, default_dir: Path | None,
                  progress: ProgressFn | None, cancel: threading.Event | None) -> list[ReportRun]:
    # The e-mail is queued in the transaction that records the run done: never a done run left unsent.
    email = (lambda run: _email_report(row, run, slot)) if row.email else None
    try:
        made = run_report(lander_id=row.lander_id, client_id=row.client_id, template=row.template.name,
                          out_dir=row.out_dir, file_pattern=row.file_pattern, since_last=row.period == "since_last",
                          schedule=row, slot=slot, now=now, progress=progress, cancel=cancel, default_dir=default_dir,
                          on_done=email)
    except UserError as exc:  # the lander or client went away: record it on a run of this slot
        run = ReportRun.create(schedule=row, template_name=row.template.name, lander=row.lander_id,
                               client=row.client_id, started_at=now, state="running")
        _finish(run, time.monotonic(), state="failed", error=str(exc))
        made = [run]
    return made


def _email_report(row: ReportSchedule, run: ReportRun, slot: datetime) -> None:
    """Queue the file for the client's contacts through the outbox, once per schedule and slot.

    A message the outbox refuses (a contact that is no e-mail address) is noted on the run, not raised.
    """
    client = Client.get_or_none(Client.id == run.client_id)
    contacts = list(client.contacts or []) if client else []
    if not contacts:
        _append_note(run, "Not e-mailed: the client has no contacts.")
        return
    try:
        from xsc_desktop import mail
    except ImportError:
        _append_note(run, "Not e-mailed: the outbox is not available in this version.")
        return
    target = run.lander.name if run.lander_id else f"all landers of {client.name}"
    subject = f"Leads report: {target} ({slot:%Y-%m-%d})"
    body = (f"Hello {client.name},\n\nAttached is the leads report for {target}: {run.rows} lead"
            f"{'' if run.rows == 1 else 's'} ({'since the last report' if row.period == 'since_last' else 'all leads'})."
            f"\n\nBest regards,\nXSC integration team\n")
    key = f"report:{row.id}:{slot:%Y-%m-%dT%H:%M}:{run.lander_id or 'all'}"
    try:
        with database.atomic():  # a savepoint: a refused message leaves the run's transaction whole
            mail.queue_email(kind="report", to=contacts, subject=subject, body=body, attachments=[run.file],
                             dedupe_key=key)
    except UserError as exc:
        _append_note(run, f"Not e-mailed: {exc}")
        events.notify("Report not e-mailed", f"{target}: {exc}", level="error")


def _append_note(run: ReportRun, note: str) -> None:
    run.error = f"{run.error} {note}".strip()
    run.save(only=[ReportRun.error])


def reports_job(now: datetime | None = None) -> str:
    """The scheduler's daily "reports" job (at reports.time_utc): run every due schedule, say so in one line."""
    return _summary(run_due_reports(now, cancel=_stop_event()))


def other_times_job(now: datetime | None = None) -> str:
    """The scheduler's frequent check for schedules set to another time than reports.time_utc, run on time.

    Older missed slots are left to the daily job, which follows the operator's catch-up setting.
    """
    from xsc_desktop import settings

    return _summary(run_due_reports(now, skip_time=settings.get("reports.time_utc"), cancel=_stop_event(),
                                    within=timedelta(seconds=2 * OTHER_TIMES_CHECK_SECONDS)))


def _stop_event() -> threading.Event | None:
    # Quitting sets the scheduler's stop event: a long report stops at its next batch instead of holding the exit.
    try:
        from xsc_desktop import jobs
    except ImportError:
        return None
    return jobs.current_stop_event()


def _summary(runs: list[ReportRun]) -> str:
    failed = [r for r in runs if r.state == "failed"]
    done = sum(1 for r in runs if r.state == "done")
    text = f"{done} report{'s' if done != 1 else ''} written ({sum(r.rows for r in runs)} rows)"
    if failed:
        text += f", {len(failed)} failed: {failed[0].error}"
    if any(r.state == "cancelled" for r in runs):
        text += "; stopped by quitting, the rest wait for the next check"
    return text


OTHER_TIMES_CHECK_SECONDS = 300
