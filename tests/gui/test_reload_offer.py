"""Two operators on one database: an edit saved over someone else's newer change is refused in every editor
with who changed it and when, and Reload shows their change (lander, move, client, integration, parser,
report template)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox

from parsers.presets import preset
from xsc_desktop import clients, integrations, landers, parsers_store, settings, sheets
from xsc_desktop.models import Client, Integration, Lander, Parser


def _as(name: str) -> None:
    settings.set("operator.name", name)


def elsewhere(name: str, change: Callable[[], object]) -> None:
    """Another operator's change: made as `name` on a connection of its own, so this window hears of it only
    later (as it would from another computer)."""
    import threading

    from xsc_desktop import db

    def run() -> None:
        try:
            _as(name)
            change()
        finally:
            _as("Sam")
            db.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)


@pytest.fixture
def answer(monkeypatch):
    """Answer modal windows in order, as the operator would: `answer(steps)` takes one step per window opened with
    exec() (each gets the window and returns its result) and gives back the texts of the message boxes seen."""
    def script(steps: list[Callable]) -> list[str]:
        seen: list[str] = []
        remaining = list(steps)

        def run(window):
            if isinstance(window, QMessageBox):
                seen.append(window.text())
            return remaining.pop(0)(window)

        monkeypatch.setattr(QMessageBox, "exec", run)
        monkeypatch.setattr(QDialog, "exec", run)
        return seen

    return script


def click(label: str) -> Callable:
    def step(box: QMessageBox) -> int:
        assert box.objectName() == "changedElsewhere"
        next(b for b in box.buttons() if b.text() == label).click()
        return 0
    return step


@pytest.fixture
def lander(ctx):
    return landers.add_lander(client="Alvarez Accident Lawyers", campaign="Auto", name="Houston Auto",
                              url="https://auto-houston.example/lp")


def test_lander_edit_refused_then_reload_opens_the_form_with_their_change(window, answer, lander):
    board = window.page("landers")
    board.reload()
    assert board.select_lander(lander.id)
    elsewhere("Maria", lambda: landers.update_lander(lander.id, name="Houston Auto (Maria)"))
    reopened: list[str] = []

    def type_and_save(dialog) -> QDialog.DialogCode:
        dialog.name.setText("Houston Car (Sam)")
        return QDialog.DialogCode.Accepted

    def look_and_cancel(dialog) -> QDialog.DialogCode:
        reopened.append(dialog.name.text())
        return QDialog.DialogCode.Rejected

    seen = answer([type_and_save, click("Reload"), look_and_cancel])
    board.edit_selected()
    assert seen and seen[0].startswith("Maria changed this lander at ") and "reload" in seen[0]
    assert reopened == ["Houston Auto (Maria)"]
    assert Lander.get_by_id(lander.id).name == "Houston Auto (Maria)"


def test_a_move_from_a_stale_board_is_refused_and_the_board_shows_where_it_is(window, answer, lander, qtbot):
    board = window.page("landers")
    board.reload()
    assert board.select_lander(lander.id)
    elsewhere("Maria", lambda: landers.set_status(lander.id, "ready"))  # the board here shows In production
    seen = answer([click("Reload")])
    assert not board.move_selected("paused")
    assert seen[0].startswith("Maria changed this lander at ")
    assert Lander.get_by_id(lander.id).status == "ready"
    qtbot.waitUntil(lambda: board.selected_row() is not None and board.selected_row().status == "ready")


def test_client_dialog_refused_then_reload_opens_it_again_fresh(window, answer, ctx, qtbot):
    from ui.dialogs.client_dialog import open_client_dialog

    client = clients.add_client("Kim Law", ["a@kim.example"])
    open_client_dialog(window, client.id)
    first = window.client_dialog
    elsewhere("Maria", lambda: clients.set_client(client.id, contacts=["maria@kim.example"]))
    first.time_zone.setCurrentText("America/Chicago")
    seen = answer([click("Reload")])
    first.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.client_dialog is not first)
    assert seen[0].startswith("Maria changed this client at ")
    assert window.client_dialog.contacts.toPlainText() == "maria@kim.example"
    assert Client.get_by_id(client.id).time_zone is None
    window.client_dialog.reject()


def test_integration_dialog_refused_then_reload_opens_it_again_fresh(window, answer, lander, qtbot):
    from ui.dialogs.integration_dialog import IntegrationAction

    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": "https://x.example/"})
    action = next(a for a in window.lander_actions if isinstance(a, IntegrationAction))
    action.run(landers.lander_row(lander.id))
    first = action.dialog
    elsewhere("Maria", lambda: integrations.set_integration(lander.id, settings={"endpoint": "https://maria.example/"}))
    first.setting_edits["endpoint"].setText("https://sam.example/")
    seen = answer([click("Reload")])
    first.save()
    qtbot.waitUntil(lambda: action.dialog is not first)
    assert seen[0].startswith("Maria changed this integration at ")
    assert action.dialog.setting_edits["endpoint"].text() == "https://maria.example/"
    assert Integration.get(Integration.lander == lander.id).settings["endpoint"] == "https://maria.example/"
    action.dialog.reject()


def test_parser_editor_refused_then_reload_shows_their_version(window, answer, ctx):
    spec = preset("generic_json")
    spec.name = "Kim JSON"
    parsers_store.save_parser(spec)
    page = window.show_page("parsers")
    page.open_parser("Kim JSON", False)
    theirs = parsers_store.get_parser("Kim JSON")
    theirs.description = "Maria's"
    elsewhere("Maria", lambda: parsers_store.save_parser(theirs))
    page.editor.description_edit.setText("Sam's")
    seen = answer([click("Reload")])
    assert not page.save()
    assert seen[0].startswith("Maria changed this parser at ")
    assert page.editor.spec().description == "Maria's"
    assert Parser.get(Parser.name == "Kim JSON").version == 2


def test_report_template_refused_then_reload_shows_their_version(window, answer, ctx, qtbot):
    sheets.save_template("Firm A", {"columns": ["first_name", "phone"]})
    page = window.show_page("spreadsheets")
    page.reload()
    qtbot.waitUntil(lambda: page._template("Firm A") is not None)
    page._show_template("Firm A", force=True)
    elsewhere("Maria", lambda: sheets.save_template("Firm A", {"columns": ["phone"]}, original_name="Firm A"))
    page.columns_model.set_columns([{"key": "email", "title": ""}])
    page.dirty = True
    seen = answer([click("Reload")])
    assert page.save_template()
    qtbot.waitUntil(lambda: bool(seen) and not page.dirty)
    assert seen[0].startswith("Maria changed this report template at ")
    assert [c["key"] for c in sheets.get_template("Firm A").spec["columns"]] == ["phone"]
