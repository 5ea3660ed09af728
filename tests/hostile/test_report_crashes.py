"""Report runs killed mid-way: the slot's report and e-mail still come, no half file under a final name, no
leftover .part or writer temp files, and a new schedule never fires for a slot already past."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import REPO, run_cli
from tests.helpers import lead_rows
from xsc_desktop import db, landers, recovery, sheets
from xsc_desktop.models import Client, ReportRun, utcnow

LEADS = 1000
BATCH = 200  # rows per batch in the killed writer: a progress line (a point to kill at) every 200 rows


@pytest.fixture
def scheduled(ctx, tmp_path):
    """A lander with leads and a daily report schedule (e-mailed) that has been active for two days."""
    lander = landers.add_lander(client="Harbor Injury", campaign="Auto", name="Tampa Auto", url="https://h.example/t")
    Client.update(contacts=["intake@harbor.example"]).execute()
    lead_rows.insert(lead_rows.generate(LEADS, lander.id, start=datetime(2026, 11, 1), step_seconds=1))
    out = tmp_path / "reports"
    out.mkdir()
    row = sheets.add_schedule(lander_id=lander.id, out_dir=out, email=True, period="all")
    row.active_since = utcnow() - timedelta(days=2)
    row.save()
    db.close()
    return ctx.data_dir, out


def _writer(data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "XSC_NO_DEMO": "1"}
    return subprocess.Popen([sys.executable, "-m", "tests.hostile.report_writer", str(data_dir), str(BATCH)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_at(proc: subprocess.Popen, lines: int) -> list[str]:
    """SIGKILL the writer after it printed `lines` lines (or when it ends first); returns what it printed."""
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if len(seen) >= lines:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(60)
    proc.stdout.close()
    proc.stderr.close()
    return seen


def _rows(path: Path) -> int:
    book = load_workbook(path, read_only=True)
    try:
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def _finals(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if not p.name.startswith("."))


def _ours_in_temp(pid: int) -> list[str]:
    return [n for n in os.listdir(tempfile.gettempdir()) if n.startswith(f"{recovery.WORK_DIR_PREFIX}{pid}-")]


def _states(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "xsc-desktop.sqlite3") as con:
        return [s for (s,) in con.execute("select state from report_run order by id")]


@pytest.mark.slow
def test_killed_scheduled_report_runs_again_with_its_email(scheduled):
    data_dir, out = scheduled
    proc = _writer(data_dir)
    printed = _kill_at(proc, 4)  # started, progress 0, 200, 400: mid-sheet
    assert printed[0] == "started" and proc.returncode == -signal.SIGKILL
    assert _finals(out) == []
    assert any(p.name.endswith(".part") for p in out.iterdir())  # what the kill left
    assert _states(data_dir) == ["running"]

    again = run_cli("sheets", "run", "--json", data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    [run] = json.loads(again.stdout)
    assert run["state"] == "done" and run["rows"] == LEADS
    assert _states(data_dir) == ["interrupted", "done"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the .part file was swept
    assert _ours_in_temp(proc.pid) == []  # and the killed writer's temporary row files
    [final] = _finals(out)
    assert _rows(final) == LEADS + 1
    with sqlite3.connect(data_dir / "xsc-desktop.sqlite3") as con:
        mails = con.execute("select attachments from email where kind = 'report'").fetchall()
    assert len(mails) == 1 and str(final) in mails[0][0]
    assert run_cli("sheets", "run", data_dir=data_dir).stdout.strip() == "No report was due."


def test_run_left_running_by_a_dead_process_is_interrupted_and_its_slot_runs(ctx, tmp_path):
    lander = landers.add_lander(client="Harbor Injury", campaign="Auto", name="Tampa Auto", url="https://h.example/t")
    lead_rows.insert(lead_rows.generate(30, lander.id, start=datetime(2026, 11, 1)))
    out = tmp_path / "reports"
    out.mkdir()
    row = sheets.add_schedule(lander_id=lander.id, out_dir=out, period="all")
    row.active_since = datetime(2026, 11, 1)
    row.save()
    now = datetime(2026, 11, 20, 5, 3)
    # What a killed process leaves: its run row (no owner holds its lease) and its hidden part file.
    ReportRun.create(schedule=row, template_name="Generic", lander=lander.id, client=lander.campaign.client_id,
                     started_at=datetime(2026, 11, 20, 5, 0), state="running")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    part = out / f".Harbor-Tampa.xlsx.{int(dead.stdout)}.1.part"
    part.write_bytes(b"PK half")
    mine = out / f".Other.xlsx.{os.getpid()}.1.part"  # a live process's part file stays
    mine.write_bytes(b"PK writing")
    runs = sheets.run_due_reports(now)
    assert [r.state for r in runs] == ["done"]
    states = [r.state for r in ReportRun.select().order_by(ReportRun.id)]
    assert states == ["interrupted", "done"]
    assert not part.exists() and mine.exists()
    assert sheets.run_due_reports(now) == []  # the slot is done now


def test_a_run_whose_owner_lives_is_left_running(ctx, tmp_path):
    lander = landers.add_lander(client="Harbor Injury", campaign="Auto", name="Tampa Auto", url="https://h.example/t")
    run = ReportRun.create(template_name="Generic", lander=lander.id, state="running")
    with recovery.lease("report", run.id):
        assert sheets.recover_interrupted_runs() == 0
        assert ReportRun.get_by_id(run.id).state == "running"
    assert sheets.recover_interrupted_runs() == 1
    assert ReportRun.get_by_id(run.id).state == "interrupted"


def test_scheduler_start_recovers_report_runs(ctx):
    from xsc_desktop import jobs
    from xsc_desktop.scheduled import default_jobs

    lander = landers.add_lander(client="Harbor Injury", campaign="Auto", name="Tampa Auto", url="https://h.example/t")
    run = ReportRun.create(template_name="Generic", lander=lander.id, state="running")
    jobs.Scheduler(jobs=default_jobs()).recover_interrupted()
    assert ReportRun.get_by_id(run.id).state == "interrupted"


def test_new_schedule_first_slot_is_the_next_one_never_one_already_past(ctx, tmp_path):
    lander = landers.add_lander(client="Harbor Injury", campaign="Auto", name="Tampa Auto", url="https://h.example/t")
    lead_rows.insert(lead_rows.generate(5, lander.id, start=datetime(2026, 11, 1)))
    out = tmp_path / "reports"
    out.mkdir()
    row = sheets.add_schedule(lander_id=lander.id, out_dir=out, time_utc="10:05", period="all")
    added = datetime(2026, 11, 20, 10, 0)
    row.active_since = added  # added at 10:00 for 10:05
    row.save()
    assert sheets.run_due_reports(added) == []  # yesterday's 10:05 is not its slot
    assert sheets.run_due_reports(added + timedelta(minutes=4)) == []
    assert [r.state for r in sheets.run_due_reports(added + timedelta(minutes=5))] == ["done"]
    # Retimed to a slot already past today: the next one is tomorrow's.
    with_new_time = sheets.update_schedule(row.id, time_utc="09:00")
    with_new_time.active_since = added + timedelta(minutes=10)
    with_new_time.save()
    assert sheets.run_due_reports(added + timedelta(minutes=11)) == []
    assert [r.state for r in sheets.run_due_reports(datetime(2026, 11, 21, 9, 0))] == ["done"]
