"""The Spreadsheets page: models checked by qtmodeltester, the editor with its live preview, Generate now with
progress and cancel on a real worker thread, schedules and history, and the lander context-menu action."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.helpers import lead_rows
from xsc_desktop import landers, sheet_writer, sheets
from xsc_desktop.models import ReportRun, ReportSchedule


@pytest.fixture
def lander(ctx):
    lander = landers.add_lander(client="Whitfield & Osei", campaign="Comp", name="Denver Comp",
                                url="https://w.example/denver")
    lead_rows.insert([{"lander_id": lander.id, "external_id": f"e{n}", "received_at": f"2026-11-0{n} 10:00:00",
                       "custom": json.dumps({"Employer": f"Acme {n}"}), "is_test": 0, "problems": "",
                       "first_name": f"Pat{n}", "last_name": "Lee", "phone": "3035550100", "zip": "08002",
                       "injured": "yes", "delivery_state": "delivered"} for n in range(1, 4)])
    return lander


@pytest.fixture
def page(window, lander):
    from PySide6.QtCore import QTimer

    page = window.page("spreadsheets")
    window.show_page("spreadsheets")
    yield page
    # Debounce timers started by this test's events must not fire into the next test's database.
    for timer in window.findChildren(QTimer):
        timer.stop()


def test_page_loads_templates_schedules_history_and_models_pass_the_tester(page, lander, tmp_path, qtmodeltester,
                                                                          monkeypatch):
    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    sheets.add_schedule(lander_id=lander.id, out_dir=tmp_path)
    sheets.run_report(lander_id=lander.id, out_dir=tmp_path)
    page.reload()
    assert [page.templates_model.row_at(i)["name"] for i in range(2)] == ["Generic", "Intake summary"]
    schedule = page.schedules_model.row_at(0)
    assert schedule["time_label"].startswith("05:00 UTC (0") and schedule["target"] == (
        f"Whitfield & Osei — Comp — Denver Comp (#{lander.id})")
    assert page.runs_model.row_at(0)["state"] == "done" and page.runs_model.row_at(0)["rows"] == 3
    page.templates_view.selectRow(1)
    assert page.preview_model.rowCount() == 3
    for model in (page.templates_model, page.schedules_model, page.runs_model, page.preview_model,
                  page.columns_model, page.choices_model):
        qtmodeltester.check(model)


def test_builtin_is_read_only_and_duplicate_makes_an_editable_copy(page):
    page.templates_view.selectRow(0)
    assert page.readonly_note.isVisibleTo(page) and not page.name_edit.isEnabled()
    assert not page.delete_button.isEnabled() and page.duplicate_button.isEnabled()
    page.duplicate_template()
    assert page._current_name == "Generic copy"
    assert page.name_edit.isEnabled() and not page.readonly_note.isVisibleTo(page)


def test_editing_columns_updates_the_preview_and_saves(page, qtbot):
    page.templates_view.selectRow(1)
    page.duplicate_template()
    page.auto_columns.setChecked(False)
    page.columns_model.set_columns([])
    for label in ("Full name (or first + last)", "ZIP", "Injured"):
        row = next(i for i in range(page.choices_model.rowCount()) if page.choices_model.row_at(i)["label"] == label)
        page.choices_view.selectRow(row)
        page.add_selected_choice()
    page.columns_model.setData(page.columns_model.index(1, 1), "Postcode")
    page.columns_view.selectRow(2)
    page.move_selected_column(-1)
    page.yes_word.setText("Sí")
    assert page.dirty and page.save_button.isEnabled()
    with qtbot.waitSignal(page.preview_shown, timeout=20000):
        pass  # the debounce timer fires the preview
    assert [page.preview_model.headerData(i, _horizontal()) for i in range(3)] == ["Full name (or first + last)", "Injured",
                                                                                  "Postcode"]
    assert page.preview_model.data(page.preview_model.index(0, 0)) == "Pat1 Lee"
    assert page.preview_model.data(page.preview_model.index(0, 1)) == "Sí"
    assert page.preview_model.data(page.preview_model.index(0, 2)) == "08002"
    assert page.save_template()
    spec = sheets.get_template("Intake summary copy").spec
    assert [c["key"] for c in spec["columns"]] == ["computed:full_name", "injured", "zip"]
    assert spec["columns"][2]["title"] == "Postcode" and spec["formats"]["yes"] == "Sí"
    assert not page.dirty


def test_a_bad_pattern_blocks_saving_with_one_sentence(page):
    page.duplicate_template()
    page.date_format.setText("banana")
    assert page.problems.text() == "'banana' is not a date pattern; write it like mm/dd/yyyy or yyyy-mm-dd hh:mm."
    assert not page.save_button.isEnabled()


def test_generate_now_on_a_worker_writes_the_file_and_shows_it_in_history(page, lander, qtbot, tmp_path):
    from ui import workers

    workers.set_runner(None)  # a real worker thread: the GUI stays free while the report is written
    page.out_dir.setText(str(tmp_path))
    page.target_template.setCurrentText("Intake summary")
    with qtbot.waitSignal(page.generation_finished, timeout=20000) as blocker:
        assert page.generate(lander_id=lander.id)
        assert page.generating and page.cancel_button.isVisibleTo(page)
    [run] = blocker.args[0]
    assert run["state"] == "done" and run["rows"] == 3
    assert load_workbook(run["file"])["Denver Comp"].cell(1, 2).value == "Name"
    qtbot.waitUntil(lambda: page.runs_model.rowCount() == 1, timeout=20000)
    assert not page.generating and not page.progress.isVisibleTo(page)
    assert page.tabs.currentIndex() == 2
    page.runs_view.selectRow(0)
    assert page.open_file_button.isEnabled() and page.open_folder_button.isEnabled()
    assert "Wrote 3 leads" in page.generate_status.text()


def test_cancel_stops_the_report_and_leaves_no_file(page, lander, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(sheet_writer, "BATCH_ROWS", 10)
    lead_rows.insert(lead_rows.generate(300, lander.id, start=datetime(2026, 11, 10)))
    out = tmp_path / "out"
    out.mkdir()
    page.out_dir.setText(str(out))
    seen = []

    def progress(done, total):  # cancel from the progress signal, as the Cancel button would
        seen.append((done, total))
        if done >= 50:
            page.cancel_generation()

    page._progress.changed.connect(progress)
    with qtbot.waitSignal(page.generation_finished, timeout=20000) as blocker:
        page.generate(lander_id=lander.id)
    assert isinstance(blocker.args[0], sheets.ReportCancelled)
    assert seen[0] == (0, 303) and seen[-1][0] < 303
    assert list(out.iterdir()) == []
    assert ReportRun.get().state == "cancelled"
    assert page.generate_status.text() == "Cancelled; no file was left behind."


def test_a_missing_folder_is_said_in_one_sentence(page, lander, tmp_path):
    page.out_dir.setText(str(tmp_path / "nope"))
    page.generate(lander_id=lander.id)
    assert page.generate_status.text() == (f"The report failed: The report folder {tmp_path / 'nope'} does not "
                                           "exist; create it or choose another folder.")


def test_lander_context_menu_action_generates_the_report(window, page, lander, qtbot):
    [action] = [a for a in window.lander_actions if a.text == "Generate report now"]
    row = next(r for r in landers.list_landers() if r.id == lander.id)
    window.show_page("landers")
    with qtbot.waitSignal(page.generation_finished, timeout=20000) as blocker:
        action.run(row)
    assert window.current_page_key() == "spreadsheets"
    [run] = blocker.args[0]
    assert run["lander_id"] == lander.id and run["state"] == "done"
    assert run["file"].startswith(str(window.ctx.data_dir / "reports"))


def test_schedules_add_pause_and_delete(page, lander, tmp_path):
    assert page.save_schedule(None, {"lander_id": lander.id, "client_id": None, "template": "Generic",
                                     "period": "all", "time_utc": "06:30", "out_dir": str(tmp_path),
                                     "file_pattern": None, "email": False, "active": True})
    assert page.schedules_model.rowCount() == 1
    page.schedules_view.selectRow(0)
    assert page.toggle_schedule_button.text() == "Pause"
    page.toggle_schedule()
    assert not ReportSchedule.get().active
    page.schedules_view.selectRow(0)
    assert page.schedules_model.row_at(0)["state_label"] == "Paused" and page.toggle_schedule_button.text() == "Resume"


def test_schedule_dialog_shows_local_time_and_gives_values(page, lander):
    from zoneinfo import ZoneInfo

    from ui.dialogs.report_schedule_dialog import ReportScheduleDialog

    dialog = ReportScheduleDialog(page, targets=[("Denver Comp", f"lander:{lander.id}")], templates=["Generic"],
                                  default_dir="/tmp/r", zone=ZoneInfo("America/New_York"))
    assert dialog.time.text() == "05:00"
    assert dialog.local_time.text().startswith("= 0") and ("EST" in dialog.local_time.text()
                                                          or "EDT" in dialog.local_time.text())
    dialog.time.setText("25:00")
    assert dialog.local_time.text() == "write the time as HH:MM"
    dialog.time.setText("07:00")
    values = dialog.values()
    assert values["lander_id"] == lander.id and values["time_utc"] == "07:00" and values["out_dir"] == "/tmp/r"
    dialog.deleteLater()


def test_import_and_export_template_files(page, tmp_path):
    path = tmp_path / "t.json"
    page.export_file("Intake summary", path)
    assert json.loads(path.read_text())["name"] == "Intake summary"
    page.import_file(path)
    assert page._current_name == "Intake summary 2"
    assert page.templates_model.find("name", "Intake summary 2") >= 0


def _horizontal():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal


def test_reload_never_asks_and_survives_the_edited_template_vanishing(page):
    page.duplicate_template()
    page.sheet_name.setText("Edited")
    assert page.dirty
    page.reload()  # same template still there: the edits stay
    assert page.dirty and page.sheet_name.text() == "Edited"
    sheets.delete_template("Generic copy")
    page.reload()
    assert page._current_name == "Generic" and not page.dirty
    assert page.selected_template()["name"] == "Generic"


def test_a_hidden_page_loads_when_shown_again(window, page, lander, tmp_path):
    window.show_page("landers")
    sheets.run_report(lander_id=lander.id, out_dir=tmp_path)
    page.reload()
    assert page.runs_model.rowCount() == 0  # not on screen: nothing loaded yet
    window.show_page("spreadsheets")
    assert page.runs_model.rowCount() == 1


def test_history_and_schedules_show_times_on_the_operators_clock(page, lander, tmp_path, monkeypatch):
    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    sheets.add_schedule(lander_id=lander.id, out_dir=tmp_path)
    sheets.run_due_reports(datetime(2026, 11, 20, 5, 0))  # stored as 05:00 UTC
    page.reload()
    assert page.runs_model.row_at(0)["started"] == "2026-11-20 00:00"
    assert page.schedules_model.row_at(0)["last_run"] == "2026-11-20 00:00"
    assert page.runs_model.headerData(0, _horizontal()) == "Started"


def test_deleting_a_schedule_that_is_gone_says_so_in_one_sentence(page, lander, tmp_path, monkeypatch,
                                                                   message_boxes):
    from PySide6.QtWidgets import QMessageBox

    schedule = sheets.add_schedule(lander_id=lander.id, out_dir=tmp_path)
    page.reload()
    page.schedules_view.selectRow(0)
    sheets.delete_schedule(schedule.id)  # from the command line, say, while the page still lists it
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_schedule()
    assert message_boxes == [("warning", "Delete schedule", f"There is no report schedule {schedule.id}; "
                                                            "`xsc-desktop sheets schedule list` shows them.")]
    assert page.schedules_model.rowCount() == 0  # reloaded: the stale row is gone


def test_template_and_schedule_actions_run_off_the_gui_thread(qtbot, page, lander, tmp_path, monkeypatch):
    import threading

    from PySide6.QtWidgets import QMessageBox

    from ui import workers
    from xsc_desktop.models import ReportTemplate

    threads: dict[str, bool] = {}

    def watched(name):
        real = getattr(sheets, name)

        def call(*args, **kwargs):
            threads[name] = threading.current_thread() is threading.main_thread()
            return real(*args, **kwargs)
        monkeypatch.setattr(sheets, name, call)

    for name in ("duplicate_template", "save_template", "export_template", "import_template", "add_schedule",
                 "update_schedule", "delete_schedule", "delete_template"):
        watched(name)
    workers.set_runner(None)  # the real thread pool
    try:
        page.templates_view.selectRow(0)
        page.duplicate_template()
        qtbot.waitUntil(lambda: page._current_name == "Generic copy" and page._template("Generic copy") is not None,
                        timeout=20000)
        page.sheet_name.setText("Edited")
        assert page.save_template()
        qtbot.waitUntil(lambda: not page.dirty, timeout=20000)
        path = tmp_path / "t.json"
        page.export_file("Generic copy", path)
        qtbot.waitUntil(path.exists, timeout=20000)
        page.import_file(path)
        qtbot.waitUntil(lambda: page._current_name == "Generic copy 2", timeout=20000)
        page.delete_template_named("Generic copy 2")
        qtbot.waitUntil(lambda: not ReportTemplate.select().where(ReportTemplate.name == "Generic copy 2").exists(),
                        timeout=20000)
        page.save_schedule(None, {"lander_id": lander.id, "client_id": None, "template": "Generic", "period": "all",
                                  "time_utc": "06:30", "out_dir": str(tmp_path), "file_pattern": None,
                                  "email": False, "active": True})
        qtbot.waitUntil(lambda: page.schedules_model.rowCount() == 1, timeout=20000)
        page.schedules_view.selectRow(0)
        page.toggle_schedule()
        qtbot.waitUntil(lambda: not ReportSchedule.get().active, timeout=20000)
        qtbot.waitUntil(lambda: page.schedules_model.rowCount() == 1
                        and page.schedules_model.row_at(0)["state"] == "paused", timeout=20000)
        page.schedules_view.selectRow(0)
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        page.delete_schedule()
        qtbot.waitUntil(lambda: ReportSchedule.select().count() == 0, timeout=20000)
        workers.wait_for_tasks()
        qtbot.waitUntil(lambda: page.schedules_model.rowCount() == 0, timeout=20000)
    finally:
        workers.wait_for_tasks()
        workers.set_runner(workers.run_inline)
    assert threads == {name: False for name in threads} and len(threads) == 8


def test_add_schedule_defaults_to_the_lander_picked_on_the_page_and_every_target_is_unique(page, lander):
    twin = landers.add_lander(client="Whitfield & Osei", campaign="Comp", name="Denver Comp",
                              url="https://w.example/denver-2")
    landers.add_lander(client="Aaron Law", campaign="Auto", name="A first", url="https://a.example/a")
    page.reload()
    page.target.setCurrentIndex(page.target.findData(f"lander:{twin.id}"))
    dialog = page._schedule_dialog()
    assert dialog.values()["lander_id"] == twin.id
    labels = [dialog.target.itemText(i) for i in range(dialog.target.count())]
    assert len(labels) == len(set(labels))
    assert f"Whitfield & Osei — Comp — Denver Comp (#{twin.id})" in labels
    dialog.deleteLater()
