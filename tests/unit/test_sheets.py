"""Spreadsheet reports: files read back with openpyxl cell by cell, templates, runs, schedules across DST."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.helpers import lead_rows
from xsc_desktop import events, landers, sheet_runs, sheet_writer, sheets
from xsc_desktop.errors import UserError
from xsc_desktop.models import Client, Delivery, Integration, Lead, Parser, ReportRun, ReportSchedule, ReportTemplate

NOW = datetime(2026, 11, 20, 5, 0)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    return folder


@pytest.fixture
def lander(ctx):
    return landers.add_lander(client="Alvarez Law", campaign="Auto", name="Houston Auto", url="https://a.example/h")


def add_lead(lander_id: int, n: int, **values) -> Lead:
    row = {"lander_id": lander_id, "external_id": f"x{n}", "received_at": (NOW - timedelta(hours=10 - n)).isoformat(" "),
           "custom": "{}", "is_test": False, "problems": "", "delivery_state": "new", **values}
    if isinstance(row["custom"], dict):
        row["custom"] = json.dumps(row["custom"])
    lead_rows.insert([row])
    return Lead.get(Lead.external_id == f"x{n}")


def open_sheet(run: ReportRun, title: str | None = None):
    wb = load_workbook(run.file)
    return wb[title] if title else wb.worksheets[0]


def header(ws) -> list:
    return [c.value for c in ws[1]]


def test_generic_report_cell_by_cell(lander, tmp_path):
    add_lead(lander.id, 1, first_name="Ana", last_name="Ruiz", phone="2145550100", zip="02134",
             date_of_birth="1985-04-12", state="TX", custom={"Accident type": "rear-end", "Hospital": "yes"},
             captured_at="2026-11-19 18:59:30")
    add_lead(lander.id, 2, first_name="Bo", phone="0015550100", zip="00501", custom={"Hospital": "no"})
    add_lead(lander.id, 3, first_name="Test", is_test=True)

    [run] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW)

    assert run.state == "done" and run.rows == 2 and run.error == ""
    assert Path(run.file).name == "Alvarez Law-Houston Auto-2026-11-20.xlsx"
    ws = open_sheet(run, "Houston Auto")
    # Our id, received time, delivery state, then fields with data in canonical order, then custom fields by name.
    assert header(ws) == ["Lead id", "Received (UTC)", "Delivery state", "First name", "Last name", "Phone", "State",
                          "ZIP", "Date of birth", "Captured at", "Accident type", "Hospital"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L3"
    assert ws.max_row == 3  # the test lead is left out by default
    first = [c for c in ws[2]]
    assert first[0].value == 1 and first[0].data_type == "n"
    assert first[1].value == datetime(2026, 11, 19, 20, 0) and first[1].is_date
    assert first[1].number_format == "yyyy-mm-dd hh:mm"
    assert first[5].value == "2145550100" and first[5].data_type == "s"
    assert first[7].value == "02134" and first[7].data_type == "s"
    assert first[8].value == datetime(1985, 4, 12) and first[8].number_format == "mm/dd/yyyy"
    assert first[9].value == datetime(2026, 11, 19, 18, 59, 30)
    assert [first[10].value, first[11].value] == ["rear-end", "yes"]
    second = [c.value for c in ws[3]]
    assert second[5] == "0015550100" and second[7] == "00501"  # leading zeros kept
    assert second[4] is None and second[10] is None
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["A"] >= 8 and widths["D"] >= len("First name") and max(widths.values()) <= 60


def test_values_that_look_like_formulas_stay_text(lander, tmp_path, engine):
    long_text = "x" * 40000
    # PostgreSQL text holds no NUL character (an import drops it before storing); SQLite may hold one.
    address = "bell\x07and\x00null\ufffe" if engine == "sqlite" else "bell\x07andnull\ufffe"
    add_lead(lander.id, 1, first_name="=HYPERLINK(\"http://evil.example\",\"click\")", last_name="+1-800",
             email="@SUM(A1)", city="-2+3", description=long_text, address=address,
             custom={"Note": "=1+1"})
    [run] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW)
    ws = open_sheet(run)
    cells = {h: c for h, c in zip(header(ws), ws[2], strict=True)}
    for title, value in (("First name", "=HYPERLINK(\"http://evil.example\",\"click\")"), ("Last name", "+1-800"),
                         ("E-mail", "@SUM(A1)"), ("City", "-2+3"), ("Note", "=1+1")):
        assert cells[title].data_type == "s", title
        assert cells[title].value == value
        assert cells[title].quotePrefix, title
    assert cells["Address"].value == "bellandnull"
    description = cells["Description"].value
    assert len(description) == sheets.EXCEL_CELL_LIMIT and description.endswith(sheets.TRUNCATION_MARK)
    assert "cut to Excel's 32,767-character cell limit" in run.error
    assert "characters a spreadsheet cannot hold removed" in run.error
    assert run.state == "done"


def _custom_spec(**changes):
    spec = {
        "columns": [
            {"key": "computed:full_name", "title": "Name"},
            {"key": "phone", "title": "Phone"},
            {"key": "incident_date", "title": "Accident"},
            {"key": "injured", "title": "Hurt?"},
            {"key": "custom:Hospital", "title": "Hospital"},
            {"key": "computed:outcome"},
            {"key": "computed:remote_id", "title": "Their id"},
            {"key": "computed:age_days"},
            {"key": "computed:received_at", "title": "When", "format": {"datetime": "dd/mm/yyyy hh:mm"}},
        ],
        "formats": {"date": "dd.mm.yyyy", "phone": "parens", "yes": "Y", "no": "N"},
        "sheet_name": "{client} - {lander}",
    }
    spec.update(changes)
    return spec


def _deliver(lead: Lead, *attempts: tuple[str, str, str]) -> None:
    parser = Parser.get_or_none(Parser.name == "p") or Parser.create(name="p", spec={})
    integration = (Integration.get_or_none(Integration.lander == lead.lander_id)
                   or Integration.create(lander=lead.lander_id, parser=parser))
    for n, (state, reason, remote) in enumerate(attempts, start=1):
        Delivery.create(lead=lead, integration=integration, attempt=n, state=state, reason=reason, remote_id=remote)


def test_custom_template_columns_titles_formats_and_computed(lander, tmp_path):
    sheets.save_template("Firm A", _custom_spec())
    one = add_lead(lander.id, 1, first_name="Ana", last_name="Ruiz", phone="2145550100", incident_date="2026-10-03",
                   injured="yes", custom={"Hospital": "St. Mary"}, delivery_state="delivered")
    add_lead(lander.id, 2, full_name="Bo Li", phone="not a phone", incident_date="03/10/2026", injured="no")
    _deliver(one, ("error", "timeout", ""), ("accepted", "", "R-77"))

    [run] = sheets.run_report(lander_id=lander.id, template="firm a", out_dir=tmp_path, now=NOW)

    ws = open_sheet(run, "Alvarez Law - Houston Auto")
    assert header(ws) == ["Name", "Phone", "Accident", "Hurt?", "Hospital", "Delivery outcome", "Their id",
                          "Age of lead (days)", "When"]
    a = [c for c in ws[2]]
    assert [a[0].value, a[1].value, a[3].value, a[4].value, a[5].value, a[6].value] == [
        "Ana Ruiz", "(214) 555-0100", "Y", "St. Mary", "accepted", "R-77"]
    assert a[2].value == datetime(2026, 10, 3) and a[2].number_format == "dd.mm.yyyy"
    assert a[7].value == pytest.approx(9 / 24, abs=0.05) and a[7].data_type == "n"
    assert a[8].number_format == "dd/mm/yyyy hh:mm"
    b = [c.value for c in ws[3]]
    assert b[:4] == ["Bo Li", "not a phone", datetime(2026, 3, 10), "N"]
    assert b[5] is None and b[6] is None


def test_filters_only_delivered_and_test_leads(lander, tmp_path):
    spec = _custom_spec(filter={"only_delivered": True})
    sheets.save_template("Delivered only", spec)
    add_lead(lander.id, 1, first_name="A", delivery_state="delivered")
    add_lead(lander.id, 2, first_name="B", delivery_state="rejected")
    add_lead(lander.id, 3, first_name="C", delivery_state="delivered", is_test=True)
    [run] = sheets.run_report(lander_id=lander.id, template="Delivered only", out_dir=tmp_path, now=NOW)
    assert run.rows == 1 and open_sheet(run).cell(2, 1).value == "A"
    sheets.save_template("With tests", _custom_spec(filter={"include_test": True}))
    [run] = sheets.run_report(lander_id=lander.id, template="With tests", out_dir=tmp_path, now=NOW)
    assert run.rows == 3


def test_client_report_as_sheets_or_files(lander, tmp_path):
    other = landers.add_lander(client="Alvarez Law", campaign="Tort", name="Dallas Tort", url="https://a.example/d")
    add_lead(lander.id, 1, first_name="A")
    add_lead(other.id, 2, first_name="B")
    add_lead(other.id, 3, first_name="C")
    client_id = Client.get(Client.name == "Alvarez Law").id

    [run] = sheets.run_report(client_id=client_id, out_dir=tmp_path, now=NOW)
    wb = load_workbook(run.file)
    assert Path(run.file).name == "Alvarez Law-2026-11-20.xlsx"
    assert wb.sheetnames == ["Dallas Tort", "Houston Auto"]
    assert wb["Dallas Tort"].max_row == 3 and wb["Houston Auto"].max_row == 2
    assert run.rows == 3 and run.lander_id is None and run.client_id == client_id

    runs = sheets.run_report(client_id=client_id, out_dir=tmp_path, now=NOW, file_pattern="{lander}_{date}.xlsx")
    assert sorted(Path(r.file).name for r in runs) == ["Dallas Tort_2026-11-20.xlsx", "Houston Auto_2026-11-20.xlsx"]
    assert sorted(r.rows for r in runs) == [1, 2]


def test_since_last_report_takes_only_new_leads(lander, tmp_path):
    add_lead(lander.id, 1, first_name="Old")
    [first] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW, since_last=True)
    add_lead(lander.id, 2, first_name="New", received_at=(NOW + timedelta(hours=3)).isoformat(" "))
    [second] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW + timedelta(days=1), since_last=True)
    assert (first.rows, second.rows) == (1, 1)
    assert open_sheet(second).cell(2, 4).value == "New"
    assert Path(first.file).exists() and first.file != second.file  # the earlier file is never overwritten


def test_missing_or_unusable_folder_fails_in_one_sentence(lander, tmp_path):
    add_lead(lander.id, 1, first_name="A")
    seen = []
    events.subscribe("report.finished", lambda topic, payload: seen.append(payload))
    [run] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path / "gone", now=NOW)
    assert run.state == "failed" and run.file == "" and run.finished_at is not None
    assert run.error == f"The report folder {tmp_path / 'gone'} does not exist; create it or choose another folder."
    assert seen[-1]["state"] == "failed"
    (tmp_path / "afile").write_text("x")
    [run] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path / "afile", now=NOW)
    assert run.state == "failed" and "is a file, not a folder" in run.error


def test_cancel_leaves_no_file_and_is_recorded(lander, out, monkeypatch):
    monkeypatch.setattr(sheet_writer, "BATCH_ROWS", 50)
    lead_rows.insert(lead_rows.generate(400, lander.id, start=datetime(2026, 11, 1)))
    cancel = threading.Event()
    progress = []

    def on_progress(done, total):
        progress.append((done, total))
        if done >= 100:
            cancel.set()

    with pytest.raises(sheets.ReportCancelled):
        sheets.run_report(lander_id=lander.id, out_dir=out, now=NOW, progress=on_progress, cancel=cancel)
    assert list(out.iterdir()) == []
    assert progress[0] == (0, 400) and progress[-1] == (100, 400)
    run = ReportRun.get()
    assert run.state == "cancelled" and run.file == ""


def test_a_crash_mid_write_never_leaves_the_final_name(lander, out, monkeypatch):
    add_lead(lander.id, 1, first_name="A")

    def broken(*args, **kwargs):
        Path(args[0]).write_bytes(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sheet_runs, "write_workbook", broken)
    [run] = sheets.run_report(lander_id=lander.id, out_dir=out, now=NOW)
    assert run.state == "failed" and "No space left on device" in run.error
    assert list(out.iterdir()) == []


def test_preview_renders_first_rows_as_the_sheet_shows_them(lander):
    add_lead(lander.id, 1, first_name="Ana", last_name="Ruiz", phone="2145550100", incident_date="2026-10-03",
             injured="yes", custom={"Hospital": "St. Mary"})
    add_lead(lander.id, 2, first_name="=cmd", phone="2145550101")
    titles, rows = sheets.preview(_custom_spec(), lander_id=lander.id, now=NOW)
    assert titles[:4] == ["Name", "Phone", "Accident", "Hurt?"]
    assert rows[0][:5] == ["Ana Ruiz", "(214) 555-0100", "03.10.2026", "Y", "St. Mary"]
    assert rows[0][8] == "19/11/2026 20:00"
    assert rows[1][0] == "=cmd"
    titles, rows = sheets.preview(_custom_spec(), lander_id=lander.id, limit=1)
    assert len(rows) == 1


def test_format_date_for_preview_knows_minutes_from_months():
    when = datetime(2026, 3, 8, 14, 5, 9)
    assert sheets.format_date_for_preview(when, "mm/dd/yyyy hh:mm:ss") == "03/08/2026 14:05:09"
    assert sheets.format_date_for_preview(when, "d-mmm-yy h:mm AM/PM") == "8-Mar-26 2:05 PM"
    assert sheets.format_date_for_preview(when, "%Y-%m-%d") == "2026-03-08"


def test_builtin_templates_are_read_only_and_duplicate_to_edit(ctx):
    names = [t.name for t in sheets.list_templates()]
    assert names[:2] == ["Generic", "Intake summary"]
    with pytest.raises(UserError, match="built in and cannot be changed; duplicate it"):
        sheets.save_template("Generic", {"columns": ["phone"]}, original_name="Generic")
    with pytest.raises(UserError, match="built in and cannot be deleted"):
        sheets.delete_template("Generic")
    copy = sheets.duplicate_template("Intake summary")
    assert copy.name == "Intake summary copy" and not copy.builtin
    assert sheets.duplicate_template("Intake summary").name == "Intake summary copy 2"
    renamed = sheets.save_template("Firm B", {**copy.spec, "sheet_name": "Leads"}, original_name=copy.name)
    assert renamed.id == copy.id and ReportTemplate.get_by_id(copy.id).spec["sheet_name"] == "Leads"


def test_template_export_import_round_trip(ctx, tmp_path):
    sheets.save_template("Firm A", _custom_spec())
    exported = sheets.export_template("Firm A")
    assert exported["format"] == "xsc-report-template" and exported["spec"]["columns"][0]["key"] == "computed:full_name"
    path = tmp_path / "firm-a.json"
    path.write_text(json.dumps(exported))
    imported = sheets.import_template(path)
    assert imported.name == "Firm A 2"
    assert sheets.normalise_spec(imported.spec) == sheets.normalise_spec(sheets.get_template("Firm A").spec)
    with pytest.raises(UserError, match="not a report template"):
        sheets.import_template('{"hello": 1}')
    (tmp_path / "bad.json").write_text("nope")
    with pytest.raises(UserError, match="not JSON"):
        sheets.import_template(tmp_path / "bad.json")


def test_check_spec_names_problems_plainly():
    problems = sheets.check_spec({"columns": [{"key": "nope"}, {"key": "phone"}, {"key": "phone"}],
                                  "formats": {"date": "banana", "phone": "smoke"}})
    assert any("'nope' does not exist" in p for p in problems)
    assert any("appears twice" in p for p in problems)
    assert any("'banana' is not a date pattern" in p for p in problems)
    assert any("'smoke' is not a phone pattern" in p for p in problems)
    assert sheets.check_spec({"columns": []}) == ["The template has no columns; add at least one."]
    assert sheets.check_spec(_custom_spec()) == []


def test_sheet_titles_are_valid_and_unique():
    taken: set[str] = set()
    source = sheets.SheetSource(1, "Camp Lejeune: Water [NC] / long long long long name", "C")
    first = sheets.sheet_title("{lander}", source, taken)
    second = sheets.sheet_title("{lander}", source, taken)
    assert len(first) <= 31 and not set(first) & set("[]:*?/\\")
    assert second != first and second.endswith("(2)") and len(second) <= 31


@pytest.mark.parametrize("zone_day, before, after", [
    (date(2026, 11, 1), "01:00 EDT", "00:00 EST"),   # New York leaves daylight time at 06:00 UTC on Nov 1
    (date(2026, 3, 8), "00:00 EST", "01:00 EDT"),    # and enters it at 07:00 UTC on Mar 8
])
def test_schedule_fires_at_0500_utc_across_a_dst_change(lander, out, zone_day, before, after):
    zone = ZoneInfo("America/New_York")
    add_lead(lander.id, 1, first_name="A", received_at="2026-01-01 00:00:00")
    schedule = sheets.add_schedule(lander_id=lander.id, out_dir=out, period="all")
    assert schedule.time_utc == "05:00"
    start = datetime.combine(zone_day - timedelta(days=1), datetime.min.time()).replace(hour=5)
    fired = []
    clock = start
    while clock < start + timedelta(days=3):
        fired += [(clock, r) for r in sheets.run_due_reports(clock)]
        clock += timedelta(minutes=20)
    assert [at for at, _run in fired] == [start + timedelta(days=n) for n in range(3)]
    assert all(run.state == "done" and run.started_at == at for at, run in fired)
    assert sorted(p.name for p in out.iterdir()) == [
        f"Alvarez Law-Houston Auto-{(start + timedelta(days=n)):%Y-%m-%d}.xlsx" for n in range(3)]
    assert sheets.local_time_text("05:00", zone_day - timedelta(days=1), zone) == before
    assert sheets.local_time_text("05:00", zone_day + timedelta(days=1), zone) == after
    assert f"05:00 UTC ({after})" in sheets.describe_schedule(schedule, zone, zone_day + timedelta(days=1))


def test_failed_slot_is_recorded_and_retried_at_the_next_slot(lander, tmp_path):
    folder = tmp_path / "share"
    add_lead(lander.id, 1, first_name="A", received_at="2026-01-01 00:00:00")
    schedule = sheets.add_schedule(lander_id=lander.id, out_dir=folder, period="since_last")
    [failed] = sheets.run_due_reports(datetime(2026, 11, 20, 5, 0))
    assert failed.state == "failed" and "does not exist" in failed.error
    folder.mkdir()
    assert sheets.run_due_reports(datetime(2026, 11, 20, 9, 0)) == []  # same slot: not again
    [done] = sheets.run_due_reports(datetime(2026, 11, 21, 5, 1))
    assert done.state == "done" and done.rows == 1  # since_last counts from the last successful run
    assert sheets.get_schedule(schedule.id).last_run_at == datetime(2026, 11, 21, 5, 1)


def test_schedule_validation(lander, tmp_path):
    with pytest.raises(UserError, match="either a lander or a client"):
        sheets.add_schedule(out_dir=tmp_path)
    with pytest.raises(UserError, match="HH:MM"):
        sheets.add_schedule(lander_id=lander.id, out_dir=tmp_path, time_utc="5am")
    with pytest.raises(UserError, match="file-name pattern"):
        sheets.add_schedule(lander_id=lander.id, out_dir=tmp_path, file_pattern="{nope}.xlsx")
    row = sheets.add_schedule(lander_id=lander.id, out_dir=tmp_path, time_utc="6:30")
    assert row.time_utc == "06:30"
    changed = sheets.update_schedule(row.id, time_utc="07:15", active=False, template="Intake summary")
    assert (changed.time_utc, changed.active, changed.template.name) == ("07:15", False, "Intake summary")
    with pytest.raises(UserError, match="used by 1 schedule"):
        sheets.save_template("Mine", _custom_spec())
        sheets.update_schedule(row.id, template="Mine")
        sheets.delete_template("Mine")
    sheets.delete_schedule(row.id)
    assert sheets.list_schedules() == []


def test_file_names_are_safe():
    when = datetime(2026, 11, 20, 5, 0)
    assert sheets.file_name("{client}/{lander}:{date}", client="A|B", lander="C?", when=when,
                            template="T") == "A-B-C-2026-11-20.xlsx"
    assert sheets.file_name("{template} {time}.XLSX", client="", lander="", when=when, template="T") == "T 0500.XLSX"


def test_more_leads_than_a_sheet_holds_go_on_in_continuation_sheets(lander, out, monkeypatch):
    monkeypatch.setattr(sheet_writer, "SHEET_ROW_LIMIT", 5)  # 4 leads a sheet
    monkeypatch.setattr(sheet_writer, "BATCH_ROWS", 3)  # batches that straddle the sheet boundary
    lead_rows.insert(lead_rows.generate(10, lander.id, start=datetime(2026, 11, 1)))
    [run] = sheets.run_report(lander_id=lander.id, out_dir=out, now=NOW)
    wb = load_workbook(run.file)
    assert wb.sheetnames == ["Houston Auto", "Houston Auto (2)", "Houston Auto (3)"]
    assert [ws.max_row for ws in wb.worksheets] == [5, 5, 3]
    assert [ws.auto_filter.ref[-1] for ws in wb.worksheets] == ["5", "5", "3"]
    ids = [ws.cell(r, 1).value for ws in wb.worksheets for r in range(2, ws.max_row + 1)]
    assert ids == sorted(ids) and len(set(ids)) == 10 and run.rows == 10
    assert all(ws.cell(1, 1).value == "Lead id" and ws.freeze_panes == "A2" for ws in wb.worksheets)


def test_a_relative_folder_is_refused_and_local_time_shown(lander):
    with pytest.raises(UserError, match="full path"):
        sheets.add_schedule(lander_id=lander.id, out_dir="reports")
    assert sheets.time_label("05:00", date(2026, 7, 1), ZoneInfo("America/New_York")) == "05:00 UTC (01:00 EDT)"
    assert sheets.time_label("05:00", date(2026, 7, 1), ZoneInfo("UTC")) == "05:00 UTC"
    assert sheets.local_time_text("02:00", date(2026, 7, 1), ZoneInfo("America/Los_Angeles")) == \
        "19:00 PDT the day before"


def test_a_schedule_stopped_by_quitting_runs_again_at_the_next_check(lander, out):
    add_lead(lander.id, 1, first_name="A", received_at="2026-01-01 00:00:00")
    sheets.add_schedule(lander_id=lander.id, out_dir=out)
    stop = threading.Event()
    stop.set()
    [cancelled] = sheets.run_due_reports(datetime(2026, 11, 20, 5, 0), cancel=stop)
    assert cancelled.state == "cancelled" and list(out.iterdir()) == []
    assert sheets._summary([cancelled]).endswith("stopped by quitting, the rest wait for the next check")
    [done] = sheets.run_due_reports(datetime(2026, 11, 20, 5, 1))
    assert done.state == "done" and done.rows == 1


def test_since_last_takes_import_batches_committed_after_the_report(lander, tmp_path):
    # A file import stamps every row with its start time and commits in batches; a report between two
    # batches must not leave the later batch out of every report.
    started = NOW - timedelta(minutes=5)
    lead_rows.insert(lead_rows.generate(3, lander.id, start=started, step_seconds=0))  # the first batch
    [first] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW, since_last=True)
    lead_rows.insert([{**row, "external_id": f"late-{n}"}
                      for n, row in enumerate(lead_rows.generate(2, lander.id, start=started, step_seconds=0))])
    [second] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW + timedelta(days=1), since_last=True)
    [third] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW + timedelta(days=2), since_last=True)
    assert (first.rows, second.rows, third.rows) == (3, 2, 0)
    assert sorted(r[0].value for r in open_sheet(second).iter_rows(min_row=2)) == sorted(
        lead.id for lead in Lead.select().where(Lead.external_id.startswith("late-")))


def test_since_last_after_a_report_without_a_lead_mark_uses_its_start_time(lander, tmp_path):
    from xsc_desktop.models import Setting

    add_lead(lander.id, 1, first_name="Old")
    sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW, since_last=True)
    Setting.delete().where(Setting.key.startswith("reports.last_lead.")).execute()  # a run of an older version
    add_lead(lander.id, 2, first_name="Stamped before", received_at=(NOW - timedelta(hours=1)).isoformat(" "))
    add_lead(lander.id, 3, first_name="New", received_at=(NOW + timedelta(hours=3)).isoformat(" "))
    [second] = sheets.run_report(lander_id=lander.id, out_dir=tmp_path, now=NOW + timedelta(days=1), since_last=True)
    assert second.rows == 1 and open_sheet(second).cell(2, 4).value == "New"


def test_a_manual_report_goes_on_from_the_scheduled_one(lander, out):
    add_lead(lander.id, 1, first_name="Old")
    sheets.add_schedule(lander_id=lander.id, out_dir=out, period="since_last")
    [scheduled] = sheets.run_due_reports(NOW)
    add_lead(lander.id, 2, first_name="New", received_at=(NOW - timedelta(hours=2)).isoformat(" "))
    [manual] = sheets.run_report(lander_id=lander.id, out_dir=out, now=NOW + timedelta(hours=1), since_last=True)
    assert (scheduled.rows, manual.rows) == (1, 1)
    assert open_sheet(manual).cell(2, 4).value == "New"


def test_two_reports_finishing_at_once_never_share_a_file(lander, out):
    add_lead(lander.id, 1, first_name="A")
    both_writing = threading.Barrier(2, timeout=20)
    results: list = []

    def generate() -> None:
        # Both reports pick their file name while the other one is writing.
        results.extend(sheets.run_report(lander_id=lander.id, out_dir=out, now=NOW,
                                         progress=lambda done, total: done or both_writing.wait()))

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [r.state for r in results] == ["done", "done"]
    assert sorted(Path(r.file).name for r in results) == ["Alvarez Law-Houston Auto-2026-11-20-2.xlsx",
                                                         "Alvarez Law-Houston Auto-2026-11-20.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(r.file).name for r in results)
    for run in results:
        assert open_sheet(run).cell(2, 1).value is not None  # each file is whole, not overwritten


def test_report_times_are_read_by_the_shared_hhmm_reader(lander, out):
    assert sheets._check_time(" 9:05 ") == "09:05"
    for bad in ("24:00", "7:5", "9am", "09:60"):
        with pytest.raises(UserError, match="HH:MM"):
            sheets._check_time(bad)
    schedule = sheets.add_schedule(lander_id=lander.id, out_dir=out, period="all")
    ReportSchedule.update(time_utc="9am").where(ReportSchedule.id == schedule.id).execute()  # edited by hand
    add_lead(lander.id, 1, first_name="A")
    [run] = sheets.run_due_reports(datetime(2026, 11, 20, 5, 1))  # runs at the default 05:00, not a crash
    assert run.state == "done" and sheets.latest_slot("9am", datetime(2026, 11, 20, 5, 1)) == NOW
