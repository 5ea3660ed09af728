"""Importing a lead file in the window: the dialog says what will happen and the operator chooses; reused ids."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import wire_lander
from xsc_desktop.models import Lead


@pytest.fixture
def endpoint():
    with RecordingEndpoint() as server:
        server.answer("/leads", Reply(200, b'{"success": true, "id": "C-1"}', {"Content-Type": "application/json"}))
        yield server


def _import(window, monkeypatch, path, lander_id, choose):
    seen = []

    def exec_(dialog):
        seen.append(dialog)
        choose(dialog)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr("ui.pages.leads_page.MappingDialog.exec", exec_)
    window.page("leads").import_files([path], lander_id)
    return seen


def test_the_dialog_says_the_leads_go_live_and_defaults_to_keeping_old_ones(qtbot, window, samples, endpoint,
                                                                           monkeypatch):
    integration = wire_lander(endpoint.url("/leads"))
    seen = _import(window, monkeypatch, samples / "leads" / "leads_utf8_bom.csv", integration.lander_id,
                   lambda dialog: None)
    dialog = seen[0]
    assert "is integrated" in dialog.delivery_note.text() and "within a minute" in dialog.delivery_note.text()
    assert dialog.choice_auto.isChecked() and dialog.delivery() == "auto"
    assert "(first_name)" not in " ".join(b.itemText(i) for b in dialog.boxes.values() for i in range(b.count()))
    qtbot.waitUntil(lambda: Lead.select().where(Lead.lander == integration.lander_id).count() == 40, timeout=10000)
    states = {lead.delivery_state for lead in Lead.select()}
    assert states == {"records", "held"}  # captured 2026-11-20: kept for records, nothing goes to the client
    assert endpoint.received == []
    assert any("kept for records only" in n.message for n in window.notifications.items)


def test_records_only_keeps_even_fresh_leads_and_deliver_sends_old_ones(qtbot, window, samples, endpoint,
                                                                         monkeypatch):
    integration = wire_lander(endpoint.url("/leads"))
    _import(window, monkeypatch, samples / "leads" / "leads.jsonl", integration.lander_id,
            lambda dialog: dialog.choice_records.setChecked(True))
    qtbot.waitUntil(lambda: Lead.select().count() == 25, timeout=10000)
    assert "new" not in {lead.delivery_state for lead in Lead.select()}
    Lead.delete().execute()
    _import(window, monkeypatch, samples / "leads" / "leads.jsonl", integration.lander_id,
            lambda dialog: dialog.choice_deliver.setChecked(True))
    qtbot.waitUntil(lambda: Lead.select().count() == 25, timeout=10000)
    assert "records" not in {lead.delivery_state for lead in Lead.select()}


def test_reused_ids_are_listed_by_line_and_imported_as_new_on_request(qtbot, window, ctx, tmp_path, monkeypatch):
    from xsc_desktop import leads
    from xsc_desktop.landers import add_lander

    lander = add_lander(client="Acme Law", campaign="Auto", name="Auto", url="https://acme.example/a")
    first = tmp_path / "a.csv"
    first.write_text("Lead ID,First Name,Email,Phone\nE1,Ana,a@x.co,2145550100\nE2,Bo,b@x.co,2145550101\n")
    leads.import_file(first, lander.id)
    second = tmp_path / "b.csv"
    second.write_text("Lead ID,First Name,Email,Phone\nE1,Ana,a@x.co,2145550100\nE2,Zed,z@x.co,2145550999\n")
    _import(window, monkeypatch, second, lander.id, lambda dialog: None)
    page = window.page("leads")
    qtbot.waitUntil(lambda: hasattr(page, "conflicts_dialog"), timeout=10000)
    dialog = page.conflicts_dialog
    assert dialog.isVisible() and "Line 3: lead id E2 — another phone, e-mail, first name" in dialog.lines.toPlainText()
    dialog.new_button.click()
    qtbot.waitUntil(lambda: Lead.select().where(Lead.external_id == "E2#2").exists(), timeout=10000)
    assert Lead.get(Lead.external_id == "E2#2").first_name == "Zed"


def test_import_defaults_to_the_lander_the_page_is_filtered_to(window, ctx):
    from xsc_desktop.landers import add_lander

    add_lander(client="Aaron Law", campaign="Auto", name="A first", url="https://a.example/a")
    wanted = add_lander(client="Zimmer Law", campaign="Auto", name="Z lander", url="https://z.example/z")
    page = window.show_page("leads")
    page.reload()
    page.client_filter.setCurrentIndex(page.client_filter.findText("Zimmer Law"))
    assert page.default_lander() == wanted.id
