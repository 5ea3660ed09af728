"""The integration dialog's Delivery rules tab on a real database: rules typed as the CLI takes them, how each reads,
problems only once typed, "Would the sample lead pass?" live, and Save storing everything or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QApplication

from tests.gui.test_words import _bad
from xsc_desktop import integrations, landers
from xsc_desktop.delivery_rules import DeliveryRules
from xsc_desktop.models import Client, Integration

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Chicago


@pytest.fixture
def lander(ctx):
    lander = landers.add_lander(client="Smith Law", campaign="Auto Accident", name="Auto TX",
                                url="https://lp.example/auto-tx", status="ready")
    Client.update(time_zone="America/Chicago", contacts=["intake@smith.example"]).execute()
    integrations.set_integration(lander.id, parser="lead_docket", settings={"firm": "smith", "form_id": "7"},
                                 secrets={"apikey": "sk-tab-1"},
                                 sample_lead={"first_name": "Ann", "state": "TX", "phone": "2145550199"})
    return lander


def open_dialog(window, qtbot, lander_id):
    from ui.dialogs.integration_dialog import IntegrationDialog, load_state

    dialog = IntegrationDialog(load_state(lander_id), window)
    qtbot.addWidget(dialog)
    dialog.rules_tab.now = lambda: NOW
    dialog.tabs.setCurrentWidget(dialog.rules_tab)
    dialog.show()
    return dialog


def type_rule(rule_list, text):
    rule_list.add()
    row = rule_list.table.rowCount() - 1
    rule_list.table.item(row, 0).setText(text)
    return rule_list.table.item(row, 1).text()


def stored(lander_id):
    return DeliveryRules.from_json(Integration.get(Integration.lander == lander_id).delivery_rules)


def test_typed_rules_read_back_live_and_save(window, qtbot, lander):
    dialog = open_dialog(window, qtbot, lander.id)
    tab = dialog.rules_tab
    assert tab.problems.isHidden() and "Yes: it would go now" in tab.verdict.text()

    assert type_rule(tab.filters, "state in OK,LA") == "State in OK, LA"
    assert tab.verdict.text() == ('Would the sample lead pass? No: filtered by rule "State in OK, LA". State is TX '
                                  '(rule "State in OK, LA").')
    tab.filters.table.item(0, 0).setText("state in TX,OK")
    assert "Yes: it would go now" in tab.verdict.text()
    assert type_rule(tab.hours, "mon-fri 10:00-18:00") == "Monday to Friday 10:00–18:00"
    assert "Yes, but not now: Outside delivery hours; waits until Wed 2026-12-02 10:00 America/Chicago" in \
        tab.verdict.text()
    tab.cap_edits[("caps", "day")].setText("25")
    tab.cap_edits[("caps", "day")].textEdited.emit("25")
    tab.check_boxes["phone"].setChecked(True)
    assert "No: held by the check \"Plausible phone\"" in tab.verdict.text()  # 555-01xx is fictional
    assert _bad(tab) == []

    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    rules = stored(lander.id)
    assert [f.describe() for f in rules.filters] == ["State in TX, OK"]
    assert rules.caps.day == 25 and rules.require == ("phone",) and rules.hours[0].text() == "mon-fri 10:00-18:00"

    again = open_dialog(window, qtbot, lander.id)  # the saved rules come back as typed
    assert again.rules_tab.filters.texts() == ["state in TX,OK"]
    assert again.rules_tab.cap_edits[("caps", "day")].text() == "25"


def test_problems_show_once_typed_and_nothing_is_saved_half(window, qtbot, lander):
    Integration.update(delivery_rules=DeliveryRules.from_dict({"caps": {"day": 10}}).to_json()).execute()
    dialog = open_dialog(window, qtbot, lander.id)
    tab = dialog.rules_tab
    assert tab.problems.isHidden() and tab.problems.text() == ""  # no red before the person typed

    reads = type_rule(tab.hours, "mon-fri 08:00-12:00")
    assert reads == "Monday to Friday 08:00–12:00" and tab.problems.isHidden()
    type_rule(tab.hours, "mon 11:00-13:00")
    assert not tab.problems.isHidden()
    assert "overlap on Monday" in tab.problems.text()
    assert "Fix the rules above first" in tab.verdict.text()
    assert "not readable" in type_rule(tab.filters, "state equals TX")

    dialog.tabs.setCurrentIndex(0)
    dialog.setting_edits["firm"].setText("changed-firm")
    dialog.save()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.tabs.currentWidget() is tab  # the person is taken to the problem
    assert dialog.problem.text().startswith("Nothing was saved: ")
    integration = Integration.get(Integration.lander == lander.id)
    assert integration.settings["firm"] == "smith" and stored(lander.id).caps.day == 10


def test_a_cap_of_zero_is_a_notice_and_an_unknown_zone_a_problem(window, qtbot, lander):
    dialog = open_dialog(window, qtbot, lander.id)
    tab = dialog.rules_tab
    tab.cap_edits[("caps", "day")].setText("0")
    tab.cap_edits[("caps", "day")].textEdited.emit("0")
    assert "pauses delivery" in tab.notices.text() and tab.problems.isHidden()
    tab.zone.setCurrentText("Mars/Olympus")
    tab.zone.lineEdit().textEdited.emit("Mars/Olympus")
    assert "The time zone 'Mars/Olympus' is unknown" in tab.problems.text()
    dialog.save()
    assert stored(lander.id).is_empty()  # refused whole
    tab.zone.setCurrentText("America/Denver")
    tab.zone.lineEdit().textEdited.emit("America/Denver")
    dialog.save()
    rules = stored(lander.id)
    assert rules.caps.day == 0 and rules.time_zone == "America/Denver"


def test_render_the_tab(window, qtbot, lander, tmp_path):
    """The tab as a person sees it (the image is looked at when the layout changes; here: it paints)."""
    dialog = open_dialog(window, qtbot, lander.id)
    type_rule(dialog.rules_tab.filters, "state in TX,OK")
    dialog.resize(700, 900)
    QApplication.processEvents()
    image = dialog.grab()
    assert image.width() >= 640 and image.save(str(tmp_path / "rules.png"))
