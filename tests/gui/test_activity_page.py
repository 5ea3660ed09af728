"""The Activity page: every change, newest first, searchable."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.models.activity_model import ActivityModel
from xsc_desktop import activity, landers


def test_activity_lists_changes_newest_first_and_searches(qtbot, window, qtmodeltester):
    lander = landers.add_lander(client="Pryor Family Law", campaign="Divorce", name="Reno Divorce",
                                url="https://reno.example/")
    landers.set_status(lander.id, "ready", note="handed over by production")
    page = window.show_page("activity")
    page.reload()
    qtmodeltester.check(page.model)
    assert page.model.index(0, 6).data() == "handed over by production"
    qtbot.keyClicks(page.search, "Reno")
    page.reload()
    assert page.model.rowCount() == 1 and "Reno Divorce" in page.model.index(0, 6).data()


def test_activity_model_on_its_own(qtmodeltester, ctx):
    activity.record("lander", 1, "status", from_state="ready", to_state="queued", note="x")
    model = ActivityModel()
    model.set_rows(activity.recent())
    qtmodeltester.check(model)
    assert [model.index(0, c).data() for c in (2, 4, 5)] == ["Lander 1", "Ready", "Queued"]


def test_the_activity_page_names_the_operator_set_in_settings(window):
    import getpass

    page = window.show_page("settings")
    name = page.editors["operator.name"]
    assert name.text() == "" and name.placeholderText() == getpass.getuser()
    name.setText("Maria Lopez")
    assert "operator.name" in page.save()
    lander = landers.add_lander(client="Pryor Family Law", campaign="Divorce", name="Reno Divorce",
                                url="https://reno.example/")
    landers.set_status(lander.id, "ready")
    activity_page = window.show_page("activity")
    activity_page.reload()
    assert activity_page.model.headerData(1, Qt.Orientation.Horizontal) == "Who"
    assert activity_page.model.index(0, 1).data() == "Maria Lopez"


def test_a_subject_is_named_not_numbered(window):
    from xsc_desktop import clients, integrations

    lander = landers.add_lander(client="Pryor Family Law", campaign="Divorce", name="Reno Divorce",
                                url="https://reno.example/")
    integration = integrations.set_integration(lander.id, parser="generic_json")
    activity.record("integration", integration.id, "changed", note="parser chosen")
    client = lander.campaign.client
    clients.set_client(client.id, contacts=["intake@pryor.example"])
    activity.record("client", client.id, "changed")
    activity.record("lander", 99999, "deleted")  # gone since: its number is all there is
    page = window.show_page("activity")
    page.reload()
    subjects = [page.model.index(r, 2).data() for r in range(page.model.rowCount())]
    assert "Integration: Reno Divorce" in subjects
    assert "Client: Pryor Family Law" in subjects
    assert "Lander: Reno Divorce" in subjects
    assert "Lander 99999" in subjects
    assert not any(s.startswith(("Integration ", "Client ")) and s.split()[-1].isdigit() for s in subjects)


def test_notes_name_the_lander_not_its_number(window, endpoint):
    from xsc_desktop import integrations, queue

    lander = landers.add_lander(client="Pryor Family Law", campaign="Divorce", name="Reno Divorce",
                                url="https://reno.example/", status="ready")
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": endpoint.url("/r")})
    queue.gather()
    notes = [row[7] or "" for row in activity.recent()]
    assert any("Reno Divorce" in note for note in notes)
    assert not any(f"lander {lander.id}" in note for note in notes), notes
