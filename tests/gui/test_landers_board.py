"""The Landers board as an operator uses it: search, filters, chips, moves, add/edit, CSV import by drop."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.gui.conftest import close_window
from ui.dialogs.lander_dialog import LanderDialog
from ui.models.landers_model import COLUMNS, ROW_ROLE, LandersModel
from xsc_desktop import activity, demo, landers
from xsc_desktop.models import Lander


@pytest.fixture
def board(window):
    demo.seed()
    page = window.page("landers")
    page.reload()
    return page


def test_landers_model_passes_the_model_tester(qtmodeltester, ctx):
    demo.seed()
    model = LandersModel()
    model.set_rows(landers.list_landers())
    qtmodeltester.check(model)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    model.set_filter(text="auto")
    qtmodeltester.check(model)


def test_window_has_every_page_in_the_navigation(window):
    labels = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert labels == ["Landers", "Clients", "Queue", "Parsers", "Leads", "Spreadsheets", "Outbox", "Activity", "Settings"]


def test_board_shows_every_lander_and_highlights_new_clients(board):
    assert board.model.rowCount() == Lander.select().count()
    assert board.callout.isVisible() and "Martin Trial Group" in board.callout_label.text()
    new_rows = [board.model.row_at(r) for r in range(board.model.rowCount()) if board.model.row_at(r).new_client]
    assert new_rows and all(r.client == "Martin Trial Group" for r in new_rows)


def test_search_filters_as_you_type_over_client_campaign_lander_and_url(qtbot, board):
    target = Lander.select().order_by(Lander.id.desc()).first()
    fragment = target.url.split("//")[1].split(".")[0]
    qtbot.keyClicks(board.search, fragment)
    rows = [board.model.row_at(r) for r in range(board.model.rowCount())]
    assert target.id in {r.id for r in rows} and all(fragment in r.url for r in rows)
    board.search.clear()
    client, campaign = target.campaign.client.name, target.campaign.name
    qtbot.keyClicks(board.search, f"{client.split()[0].upper()} {campaign.split()[0].lower()}")
    rows = [board.model.row_at(r) for r in range(board.model.rowCount())]
    assert rows and all(r.client == client and r.campaign.startswith(campaign.split()[0]) for r in rows)
    board.search.clear()
    assert board.model.rowCount() == Lander.select().count()


def test_status_and_client_filters_combine(board):
    board.status_filter.setCurrentIndex(board.status_filter.findData("ready"))
    assert {board.model.row_at(r).status for r in range(board.model.rowCount())} == {"ready"}
    client_index = board.client_filter.findText("Martin Trial Group")
    board.client_filter.setCurrentIndex(client_index)
    rows = [board.model.row_at(r) for r in range(board.model.rowCount())]
    assert rows and all(r.status == "ready" and r.client == "Martin Trial Group" for r in rows)


def test_every_column_sorts(board):
    for column in range(len(COLUMNS)):
        board.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
        first = board.model.index(0, column).data(ROW_ROLE)
        board.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
        assert board.model.rowCount() == Lander.select().count()
        assert first is not None
    board.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    names = [board.model.row_at(r).name.lower() for r in range(board.model.rowCount())]
    assert names == sorted(names)


def test_selecting_shows_facts_and_history(board):
    lander = Lander.select().where(Lander.status == "ready").first()
    landers.set_status(lander.id, "queued", note="from the test")
    board.reload()
    assert board.select_lander(lander.id)
    assert lander.name in board.detail.heading.text()
    history = [board.detail.history.item(i).text() for i in range(board.detail.history.count())]
    assert any("Ready → Queued — from the test" in line for line in history)


def test_move_is_refused_with_the_allowed_moves_named(board, monkeypatch):
    lander = Lander.select().where(Lander.status == "in_production").first()
    board.select_lander(lander.id)
    shown = []
    monkeypatch.setattr("ui.pages.landers_page.show_error", lambda parent, title, exc: shown.append(str(exc)))
    assert not board.move_selected("confirmed")
    assert "ready, paused, archived" in shown[0]
    assert board.move_selected("ready", "handed over")
    assert Lander.get_by_id(lander.id).status == "ready"
    assert activity.history("lander", lander.id)[0].note == "handed over"


def test_lander_dialog_checks_url_and_other_flag_note(qtbot, ctx):
    dialog = LanderDialog()
    qtbot.addWidget(dialog)
    dialog.client.setCurrentText("New Firm LLP")
    dialog.campaign.setCurrentText("Auto")
    dialog.name.setText("Austin Auto")
    dialog.url.setText("austin.example")
    assert "http" in dialog.problem.text()
    dialog.url.setText("https://austin.example/")
    assert dialog.problem.text() == ""
    dialog.flag_boxes["other"].setChecked(True)
    assert "other custom script" in dialog.problem.text()
    dialog.flag_note.setText("Popup for policy number")
    dialog.new_client.setChecked(True)
    values = dialog.values()
    assert values["flags"] == ["other"] and values["new_client"] is True
    lander = landers.add_lander(**values)
    assert lander.campaign.client.is_new


def test_dropping_a_landers_csv_on_the_window_imports_it(qtbot, window, samples, monkeypatch):
    page = window.page("landers")
    reports = []
    monkeypatch.setattr(window, "show_report", lambda title, summary, details: reports.append((summary, details)))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples / "landers" / "landers.csv"))])
    event = QDropEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert Lander.select().count() == 18
    assert page.model.rowCount() == 18
    assert reports and "line 10" in reports[0][1].lower()


def test_window_remembers_its_geometry(qtbot, ctx, inline_tasks):
    from PySide6.QtWidgets import QApplication

    from ui.app import create_window

    first = create_window(ctx, QApplication.instance())
    qtbot.addWidget(first)
    first.resize(640, 470)
    first.save_layout()
    close_window(first)
    second = create_window(ctx, QApplication.instance())
    qtbot.addWidget(second)
    assert (second.size().width(), second.size().height()) == (640, 470)
    close_window(second)


def test_settings_page_refuses_a_bad_value_and_saves_good_ones(window):
    page = window.show_page("settings")
    page.set_value("queue.gather_time", "25:99")
    assert page.save() == []
    assert "HH:MM" in page.problem.text()
    page.set_value("queue.gather_time", "14:30")
    assert page.save() == ["queue.gather_time"]


def test_screenshot_tool_writes_pngs(tmp_path, ctx, inline_tasks, qtbot):
    from ui import screenshot

    out = tmp_path / "shots"
    assert screenshot.main(["--out", str(out), "--data-dir", str(ctx.data_dir), "--pages", "landers"]) == 0
    assert Path(out / "landers.png").stat().st_size > 10_000


def test_typing_keeps_the_selected_lander_selected_and_brings_it_back(qtbot, board):
    lander = Lander.select().where(Lander.status == "ready").first()
    assert board.select_lander(lander.id)
    word = lander.name.split()[0]
    qtbot.keyClicks(board.search, word)
    assert board.selected_row() is not None and board.selected_row().id == lander.id
    assert lander.name in board.detail.heading.text()
    board.search.setText("no lander is called this")
    assert board.model.rowCount() == 0 and board.selected_row() is None
    assert board.detail.heading.text() == "Select a lander to see its details."
    board.search.clear()
    assert board.selected_row() is not None and board.selected_row().id == lander.id
    assert lander.name in board.detail.heading.text()
