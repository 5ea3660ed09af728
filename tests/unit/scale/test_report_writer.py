"""The XLSX writer streams rows through temporary files: a finished, a cancelled and a failed report all leave none
behind, and many leads keep their types (read back with openpyxl)."""

from __future__ import annotations

import tempfile
import threading
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.helpers import lead_rows
from xsc_desktop import landers, sheet_writer, sheets
from xsc_desktop.models import ReportRun

NOW = datetime(2026, 11, 20, 5, 0)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The process's temporary folder, pointed at an empty one for the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def lander(ctx):
    return landers.add_lander(client="Alvarez Law", campaign="Auto", name="Houston Auto", url="https://a.example/h")


def test_thousands_of_rows_keep_their_types_and_leave_no_temporary_files(lander, tmp_path, scratch, monkeypatch):
    monkeypatch.setattr(sheet_writer, "BATCH_ROWS", 500)
    rows = list(lead_rows.generate(3000, lander.id, start=datetime(2026, 11, 1)))
    rows[10]["last_name"] = "=HYPERLINK(\"http://x.example\")"
    rows[11]["phone"] = "0145550100"
    lead_rows.insert(rows)
    [run] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW)
    assert run.state == "done" and run.rows == 3000
    ws = load_workbook(run.file).worksheets[0]
    titles = [c.value for c in ws[1]]
    body = list(ws.iter_rows(min_row=2))
    assert len(body) == 3000
    received = titles.index("Received (UTC)")
    assert all(isinstance(r[received].value, datetime) for r in body)
    last = titles.index("Last name")
    formula = next(r[last] for r in body if str(r[last].value).startswith("="))
    assert formula.data_type == "s" and formula.quotePrefix
    phone = titles.index("Phone")
    assert any(r[phone].value == "0145550100" and r[phone].data_type == "s" for r in body)
    assert list(scratch.iterdir()) == []


def test_a_cancelled_report_leaves_no_temporary_files(lander, tmp_path, scratch, monkeypatch):
    monkeypatch.setattr(sheet_writer, "BATCH_ROWS", 50)
    lead_rows.insert(lead_rows.generate(400, lander.id, start=datetime(2026, 11, 1)))
    cancel = threading.Event()

    def on_progress(done, total):
        if done >= 100:
            cancel.set()

    with pytest.raises(sheets.ReportCancelled):
        sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW, progress=on_progress, cancel=cancel)
    assert ReportRun.get().state == "cancelled"
    assert list(scratch.iterdir()) == []
