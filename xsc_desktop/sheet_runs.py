"""Report runs: one file written under a free name (claimed, never overwritten), recorded as a ReportRun with
its rows, file, times and state; interrupted runs recovered at start; the history."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from xsc_desktop import activity, events, recovery
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import (
    Client,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    Setting,
    database,
    utcnow,
)
from xsc_desktop.sheet_source import SheetSource, _client_landers, _lander_facts
from xsc_desktop.sheet_templates import GENERIC, get_template, normalise_spec
from xsc_desktop.sheet_writer import ProgressFn, ReportCancelled, WriteStats, write_workbook

log = logging.getLogger(__name__)

DEFAULT_FILE_PATTERN = "{client}-{lander}-{date}.xlsx"
DEFAULT_CLIENT_PATTERN = "{client}-{date}.xlsx"


# ---- runs -----------------------------------------------------------------------------------------------------

_FILE_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def file_name(pattern: str, *, client: str, lander: str, when: datetime, template: str) -> str:
    """A safe file name from a pattern with {client}, {lander}, {date}, {time} and {template}."""
    pattern = pattern or DEFAULT_FILE_PATTERN
    values = {"client": client, "lander": lander, "date": when.strftime("%Y-%m-%d"), "time": when.strftime("%H%M"),
              "template": template}
    try:
        name = pattern.format(**values)
    except (KeyError, IndexError, ValueError):
        raise UserError(f"The file-name pattern {pattern!r} is not valid; use {{client}}, {{lander}}, {{date}}, "
                        "{time} and {template}.") from None
    name = _FILE_BAD.sub("-", name).strip(" .-") or "report"
    if not name.lower().endswith(".xlsx"):
        name += ".xlsx"
    return name


def default_folder(data_dir: Path) -> Path:
    """Where reports go unless the operator or a schedule names another folder: the `reports.folder` setting (in
    team mode a shared folder every operator and the daemon reach), else the reports folder in the data dir."""
    from xsc_desktop import settings

    shared = str(settings.get("reports.folder") or "").strip()
    return Path(shared).expanduser() if shared else Path(data_dir) / "reports"


def check_out_dir(out_dir: Path) -> None:
    """UserError in one sentence when reports cannot be written into `out_dir`."""
    if not out_dir.exists():
        raise UserError(f"The report folder {out_dir} does not exist; create it or choose another folder.")
    if not out_dir.is_dir():
        raise UserError(f"The report folder {out_dir} is a file, not a folder; choose a folder.")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"The report folder {out_dir} cannot be written to; fix its permissions or choose another.")


def _candidates(path: Path) -> Iterator[Path]:
    # Never overwrite an earlier report (it may have been e-mailed already): add -2, -3...
    yield path
    n = 2
    while True:
        yield path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1


def _claim(partial: Path, path: Path) -> Path:
    """Give the written file the first free name of `path`, -2, -3...; taking the name is atomic, so two
    reports finishing at once (another process, "Generate now" beside the schedule) never share a file."""
    for candidate in _candidates(path):
        try:
            os.link(partial, candidate)  # fails when the name exists: nobody else's file is replaced
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: reserve the name, then move the file onto it
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            os.replace(partial, candidate)
            return candidate
        partial.unlink()
        return candidate
    raise AssertionError("unreachable")  # _candidates never ends


def _write_file(final: Path, sources: list[SheetSource], spec: dict[str, Any], now: datetime,
                progress: ProgressFn | None, cancel: threading.Event | None) -> tuple[Path, int, WriteStats]:
    check_out_dir(final.parent)
    recovery.sweep_parts(final.parent)  # what a killed run left here
    partial = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with open(partial, "wb"):
            pass
    except OSError as exc:
        raise UserError(f"Cannot write into the report folder {final.parent} ({exc.strerror or exc}); "
                        "fix its permissions or choose another folder.") from None
    try:
        rows, stats = write_workbook(partial, sources, spec, now=now, progress=progress, cancel=cancel)
        final = _claim(partial, final)  # a half-written file never carries the final name
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final, rows, stats


_MARK_KEY = "reports.last_lead.{scope}.{group}"  # not a user setting: a per-report fact kept beside them


def _mark_keys(schedule: ReportSchedule | None, template: ReportTemplate, lander_id: int | None,
               client_id: int | None) -> list[str]:
    """Where a report keeps the highest lead id it covered: per schedule and per template, for its lander or
    client, so a scheduled run and "Generate now" with the same template go on from each other as before."""
    group = f"lander-{lander_id}" if lander_id is not None else f"client-{client_id}"
    keys = [_MARK_KEY.format(scope=f"template-{template.id}", group=group)]
    if schedule is not None:
        keys.insert(0, _MARK_KEY.format(scope=f"schedule-{schedule.id}", group=group))
    return keys


def _previous_cutoff(*, schedule: ReportSchedule | None, template: ReportTemplate, lander_id: int | None,
                     client_id: int | None) -> tuple[datetime | None, int | None]:
    """Where "since the last report" starts: (received-time cut-off, lead-id cut-off), at most one of them.

    The lead id recorded by the last done report is used when there is one; a report made before lead ids
    were recorded falls back to its start time.
    """
    query = ReportRun.select(ReportRun.id, ReportRun.started_at).where(ReportRun.state == "done")
    if schedule is not None:
        query = query.where(ReportRun.schedule == schedule)
    else:
        query = query.where(ReportRun.template_name == template.name)
    if lander_id is not None:
        query = query.where(ReportRun.lander == lander_id)
    else:
        query = query.where((ReportRun.client == client_id) & ReportRun.lander.is_null())
    last = query.order_by(ReportRun.started_at.desc(), ReportRun.id.desc()).first()
    if last is None:
        return None, None
    mark = Setting.get_or_none(Setting.key == _mark_keys(schedule, template, lander_id, client_id)[0])
    value = mark.value if mark is not None and isinstance(mark.value, dict) else {}
    if value.get("run") == last.id and isinstance(value.get("lead"), int):
        return None, value["lead"]
    return last.started_at, None


def _highest_lead_id() -> int:
    # Read before the report's query: leads committed while it is written wait for the next report.
    return database.execute_sql("SELECT MAX(id) FROM lead").fetchone()[0] or 0


def _save_marks(keys: list[str], run: ReportRun, upto_id: int) -> None:
    for key in keys:
        (Setting.insert(key=key, value={"run": run.id, "lead": upto_id})
         .on_conflict(conflict_target=[Setting.key], preserve=[Setting.value]).execute())


def run_report(*, lander_id: int | None = None, client_id: int | None = None, template: str = GENERIC,
               out_dir: Path | str | None = None, file_pattern: str | None = None, since_last: bool | None = None,
               schedule: ReportSchedule | None = None, slot: datetime | None = None, now: datetime | None = None,
               progress: ProgressFn | None = None, cancel: threading.Event | None = None,
               default_dir: Path | None = None, on_done: Callable[[ReportRun], None] | None = None) -> list[ReportRun]:
    """Generate a report for a lander or a client now; one ReportRun per file written (or failed).

    A client's report is one file with a sheet per lander, or one file per lander when the file-name
    pattern holds {lander}. A failure is recorded on the run (state failed, error in one sentence) and
    returned, not raised; a cancelled run is recorded as cancelled and ReportCancelled is raised.
    `on_done(run)` runs in the transaction that records a run as done (a schedule queues its e-mail there).
    """
    if (lander_id is None) == (client_id is None):
        raise UserError("Choose either a lander or a client for the report.")
    now = now or utcnow()
    template_row = get_template(template)
    spec = normalise_spec(template_row.spec)
    if since_last is None:
        since_last = spec["filter"]["since_last_report"]
    if lander_id is not None:
        lander_name, client_name, client_id = _lander_facts(lander_id)
        groups = [(lander_id, [SheetSource(lander_id, lander_name, client_name)])]
        pattern = file_pattern or DEFAULT_FILE_PATTERN
    else:
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise UserError(f"There is no client {client_id}; `xsc-desktop clients list` shows their ids.")
        client_name = client.name
        landers = _client_landers(client_id)
        pattern = file_pattern or DEFAULT_CLIENT_PATTERN
        sources = [SheetSource(lid, name, client_name) for lid, name in landers]
        if "{lander}" in pattern:
            groups = [(s.lander_id, [s]) for s in sources]
        else:
            groups = [(None, sources)]
    folder = Path(out_dir) if out_dir else (default_dir or Path.cwd())
    runs: list[ReportRun] = []
    for group_lander, sources in groups:
        since, after_id = None, None
        if since_last:
            since, after_id = _previous_cutoff(schedule=schedule, template=template_row, lander_id=group_lander,
                                               client_id=client_id)
        upto_id = _highest_lead_id()
        for source in sources:
            # The lead-id bound replaces the old received-time one at the top: a lead stamped later than
            # `now` (a feed's clock) is in this report rather than marked as reported and left out.
            source.since, source.after_id, source.upto_id = since, after_id, upto_id
        lander_label = sources[0].lander if group_lander is not None else "all landers"
        # The run's lease is taken before its row is committed: no one sees it "running" without an owner.
        held = contextlib.ExitStack()
        with database.atomic():
            run = ReportRun.create(schedule=schedule, template_name=template_row.name, lander=group_lander,
                                   client=client_id, started_at=now, state="running")
            held.enter_context(recovery.lease("report", run.id))
        with held:
            runs.append(_run_one(run, sources, client_name, pattern, lander_label, template_row, spec, slot, now,
                                 folder, progress, cancel, schedule, group_lander, client_id, upto_id, on_done))
    return runs


def _run_one(run: ReportRun, sources: list[SheetSource], client_name: str, pattern: str, lander_label: str,
             template_row: ReportTemplate, spec: dict[str, Any], slot: datetime | None, now: datetime, folder: Path,
             progress: ProgressFn | None, cancel: threading.Event | None, schedule: ReportSchedule | None,
             group_lander: int | None, client_id: int | None, upto_id: int,
             on_done: Callable[[ReportRun], None] | None) -> ReportRun:
    events.publish(Topic.REPORT_STARTED, run_id=run.id)
    started = time.monotonic()
    try:
        if not sources:
            raise UserError(f"{client_name} has no landers to report on.")
        name = file_name(pattern, client=client_name, lander=lander_label, when=slot or now,
                         template=template_row.name)
        path, rows, stats = _write_file(folder / name, sources, spec, now, progress, cancel)
    except ReportCancelled:
        _finish(run, started, state="cancelled", error="Cancelled by the operator; no file was left behind.")
        raise
    except UserError as exc:
        _finish(run, started, state="failed", error=str(exc))
    except OSError as exc:
        _finish(run, started, state="failed",
                error=f"Writing the report failed ({exc.strerror or exc}); check the folder and disk space.")
    except Exception as exc:  # a report must never take the scheduler down; the run says what happened
        from xsc_desktop.faults import user_error

        known = user_error(exc)  # a locked database, a full disk: its own sentence
        if known is None:
            log.exception("Report %s failed", run.id)
        _finish(run, started, state="failed",
                error=str(known) if known else f"The report could not be written ({exc}); see the log.")
    else:
        # One transaction: a done run always has its lead-id mark and (for a schedule) its e-mail queued.
        with database.atomic():
            _record(run, started, state="done", rows=rows, file=str(path), error=stats.note())
            _save_marks(_mark_keys(schedule, template_row, group_lander, client_id), run, upto_id)
            if schedule is not None:
                schedule.last_run_at = now
                schedule.save(only=[ReportSchedule.last_run_at])
            if on_done is not None:
                on_done(run)
        _announce(run)
    return run


INTERRUPTED = "The app stopped while writing this report; no file was left under its name, and its slot runs again."


def recover_interrupted_runs(now: datetime | None = None) -> int:
    """Mark runs left "running" by a process that died as interrupted (their slot runs again), and sweep the
    half-written files and spreadsheet temp files such processes left. Returns how many runs were recovered."""
    changed = 0
    for run in ReportRun.select(ReportRun.id, ReportRun.started_at).where(ReportRun.state == "running"):
        if not recovery.is_dead("report", run.id, run.started_at, now):
            continue
        marked = (ReportRun.update(state="interrupted", finished_at=utcnow(), error=INTERRUPTED)
                  .where((ReportRun.id == run.id) & (ReportRun.state == "running")).execute())
        if marked:
            changed += 1
            activity.record("report", run.id, "interrupted", note=INTERRUPTED)
            events.publish(Topic.REPORT_FINISHED, run_id=run.id, state="interrupted", rows=0, file="", error=INTERRUPTED)
    for (folder,) in ReportSchedule.select(ReportSchedule.out_dir).distinct().tuples():
        if folder:
            recovery.sweep_parts(folder)
    recovery.sweep_work_dirs()
    return changed


def _finish(run: ReportRun, started: float, *, state: str, rows: int = 0, file: str = "", error: str = "") -> None:
    with database.atomic():
        _record(run, started, state=state, rows=rows, file=file, error=error)
    _announce(run)


def _record(run: ReportRun, started: float, *, state: str, rows: int = 0, file: str = "", error: str = "") -> None:
    run.finished_at = run.started_at + timedelta(seconds=time.monotonic() - started)
    run.state, run.rows, run.file, run.error = state, rows, file, error
    run.save()
    target = f"lander {run.lander_id}" if run.lander_id else f"client {run.client_id}"
    note = f"{run.template_name} for {target}: {rows} rows" + (f" → {file}" if file else "") + (
        f" ({error})" if error else "")
    activity.record("report", run.id, state, note=note)


def _announce(run: ReportRun) -> None:
    # After the commit: a page reloading on this event must see the finished run.
    events.publish(Topic.REPORT_FINISHED, run_id=run.id, state=run.state, rows=run.rows, file=run.file, error=run.error)
    if run.state == "failed":
        events.notify("Report failed", run.error, level="error")


def duration_seconds(run: ReportRun) -> float | None:
    """How long a run took, in seconds (None while running)."""
    if run.finished_at is None or run.started_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds()


def run_as_json(run: ReportRun) -> dict[str, Any]:
    """The documented JSON shape of one run (`sheets run --json`, `sheets history --json`)."""
    seconds = duration_seconds(run)
    return {"id": run.id, "schedule_id": run.schedule_id, "template": run.template_name, "lander_id": run.lander_id,
            "client_id": run.client_id, "state": run.state, "rows": run.rows, "file": run.file or None,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "duration_s": round(seconds, 3) if seconds is not None else None, "error": run.error}


def history(limit: int = 200, *, schedule_id: int | None = None) -> list[ReportRun]:
    """The newest runs first."""
    query = ReportRun.select()
    if schedule_id is not None:
        query = query.where(ReportRun.schedule == schedule_id)
    return list(query.order_by(ReportRun.started_at.desc(), ReportRun.id.desc()).limit(limit))
