"""Clients in the window: the Clients page, the client dialog, and a lander's missing contact fixed from its pane."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from ui.dialogs.client_dialog import ClientDialog
from xsc_desktop import clients, demo, integrations, landers, queue
from xsc_desktop.models import Client


@pytest.fixture
def needy(ctx):
    """A lander of a client without contacts, gathered into Needs info."""
    lander = landers.add_lander(client="Okafor Law", campaign="Auto Accident", name="Okafor auto",
                                url="https://okafor-auto.example", status="ready")
    queue.gather()
    assert landers.get_lander(lander.id).status == "needs_info"
    return lander


def test_clients_page_lists_every_client_and_adds_one_with_checked_contacts(window, qtbot):
    demo.seed()
    page = window.show_page("clients")
    page.reload()
    names = [page.model.row_at(r)["name"] for r in range(page.model.rowCount())]
    assert names == sorted((c.name for c in Client.select()), key=str.lower)
    page.add_button.click()
    dialog = window.client_dialog
    assert isinstance(dialog, ClientDialog) and dialog.isVisible()
    assert dialog.contacts_problem.text() == ""  # nothing red before anything was typed
    dialog.name.setText("Quill & Reyes")
    qtbot.keyClicks(dialog.contacts, "intake@quill")
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert "not an e-mail address" in dialog.contacts_problem.text() and not save.isEnabled()
    qtbot.keyClicks(dialog.contacts, "reyes.example")
    qtbot.keyClick(dialog.contacts, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.contacts, "Ops@QuillReyes.example")
    assert dialog.contacts_problem.text() == "" and save.isEnabled()
    dialog.is_new.setChecked(True)
    dialog.intake_system.setCurrentIndex(dialog.intake_system.findData("clio_grow"))
    dialog.time_zone.setCurrentText("America/Chicago")
    save.click()
    client = Client.get(Client.name == "Quill & Reyes")
    assert client.contacts == ["intake@quillreyes.example", "ops@quillreyes.example"]
    assert client.is_new and client.intake_system == "clio_grow" and client.time_zone == "America/Chicago"
    assert page.selected_client()["name"] == "Quill & Reyes"
    shown = [page.model.data(page.model.index(page.model.row_of(client.id), c)) for c in range(6)]
    assert "Clio Grow" in shown and "clio_grow" not in shown


def test_a_bad_time_zone_is_said_in_the_dialog_and_nothing_changes(window, needy):
    client_id = clients.client_of_lander(needy.id)
    page = window.show_page("clients")
    page.reload()
    page.select_client(client_id)
    page.table.setFocus()
    from PySide6.QtTest import QTest

    QTest.keyClick(page.table, Qt.Key.Key_Return)  # Return opens the selected client
    dialog = window.client_dialog
    assert dialog.client_id == client_id
    assert [dialog.landers.item(i).text().split("  ·")[0] for i in range(dialog.landers.count())] == \
        ["Auto Accident — Okafor auto"]
    dialog.time_zone.setCurrentText("Mars/Olympus")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.isVisible() and "not a time zone" in dialog.problem.text()
    assert Client.get_by_id(client_id).time_zone is None


def test_missing_contact_on_the_lander_pane_opens_the_client_and_fixing_it_clears_the_reason(window, needy):
    board = window.show_page("landers")
    board.reload()
    assert board.select_lander(needy.id)
    facts = board.detail.facts.text()
    assert 'href="fix:client"' in facts and integrations.NO_CONTACT in facts
    board.detail.facts.linkActivated.emit("fix:client")
    dialog = window.client_dialog
    assert dialog.isVisible() and dialog.name.text() == "Okafor Law"
    dialog.contacts.setPlainText("intake@okafor.example")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert not dialog.isVisible()
    assert integrations.NO_CONTACT not in integrations.missing_info(needy.id)


def test_the_board_context_menu_and_client_link_reach_the_client(window, needy):
    board = window.show_page("landers")
    board.reload()
    board.select_lander(needy.id)
    board.edit_client()
    assert window.client_dialog.client_id == clients.client_of_lander(needy.id)
    window.client_dialog.reject()
    # A missing parser opens the integration settings of that lander.
    assert clients.fix_place(integrations.NO_PARSER) == clients.FIX_INTEGRATION
    assert clients.fix_place(integrations.NO_POSTING_DOC) == clients.FIX_POSTING_DOC
    assert 'href="fix:integration"' in board.detail.facts.text()
