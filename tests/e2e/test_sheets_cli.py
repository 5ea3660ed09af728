"""`xsc-desktop sheets ...` in a subprocess against a real data dir; files read back with openpyxl."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.helpers import lead_rows
from xsc_desktop import landers

pytestmark = pytest.mark.slow


@pytest.fixture
def lander(ctx):
    lander = landers.add_lander(client="Harbor Injury", campaign="Auto", name="Tampa Auto", url="https://h.example/t")
    lead_rows.insert(lead_rows.generate(25, lander.id, start=datetime(2026, 11, 1)))
    return lander


def test_run_templates_history_and_schedules(cli, ctx, lander, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    done = cli("sheets", "run", "--lander", str(lander.id), "--template", "intake summary", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    [run] = json.loads(done.stdout)
    assert run["state"] == "done" and run["rows"] == 25 and run["template"] == "Intake summary"
    ws = load_workbook(run["file"])["Tampa Auto"]
    assert ws.cell(1, 2).value == "Name" and ws.max_row == 26
    assert Path(run["file"]).parent == out

    listed = cli("sheets", "templates", "--json")
    names = [t["name"] for t in json.loads(listed.stdout)]
    assert names[:2] == ["Generic", "Intake summary"]

    exported = tmp_path / "t.json"
    assert cli("sheets", "export", "Intake summary", "-o", str(exported)).returncode == 0
    imported = cli("sheets", "import", str(exported), "--name", "Harbor daily")
    assert imported.returncode == 0 and "Harbor daily" in imported.stdout

    hist = json.loads(cli("sheets", "history", "--json").stdout)
    assert [h["id"] for h in hist] == [run["id"]] and hist[0]["duration_s"] is not None

    added = cli("sheets", "schedule", "add", "--lander", str(lander.id), "--out", str(out), "--template",
                "Harbor daily", "--json")
    assert added.returncode == 0, added.stderr
    schedule = json.loads(added.stdout)
    assert schedule["time_utc"] == "05:00" and schedule["period"] == "since_last"
    [listed_schedule] = json.loads(cli("sheets", "schedule", "list", "--json").stdout)
    assert listed_schedule["next_run_at"].endswith("T05:00:00")

    fresh = cli("sheets", "run")  # no target: the due schedules; a new one's first slot is the next one
    assert fresh.returncode == 0 and fresh.stdout.strip() == "No report was due."
    with sqlite3.connect(ctx.data_dir / "xsc-desktop.sqlite3") as con:  # as if it had been added two days ago
        con.execute("update report_schedule set active_since = datetime('now', '-2 days')")
    due = cli("sheets", "run", "--json")
    assert due.returncode == 0, due.stderr
    [scheduled] = json.loads(due.stdout)
    assert scheduled["schedule_id"] == schedule["id"] and scheduled["rows"] == 25
    again = cli("sheets", "run")
    assert again.returncode == 0 and again.stdout.strip() == "No report was due."


def test_failures_are_one_sentence_with_exit_1(cli, lander, tmp_path):
    missing = tmp_path / "nowhere"
    failed = cli("sheets", "run", "--lander", str(lander.id), "--out", str(missing))
    assert failed.returncode == 1
    assert failed.stderr.strip().endswith(f"The report folder {missing} does not exist; create it or choose another "
                                          "folder.")
    unknown = cli("sheets", "run", "--lander", "999")
    assert unknown.returncode == 1 and "There is no lander 999" in unknown.stderr
    bad = cli("sheets", "run", "--template", "Nope")
    assert bad.returncode == 2 and "need --lander or --client" in bad.stderr
    history = json.loads(cli("sheets", "history", "--json").stdout)
    assert history[0]["state"] == "failed"


def test_export_into_a_missing_folder_is_one_sentence(cli, ctx, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "generic.json"
    failed = cli("sheets", "export", "Generic", "-o", str(target))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines()[-1].endswith(
        f"Cannot write {target} (No such file or directory); check that its folder exists and can be written to.")
