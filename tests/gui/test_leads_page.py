"""The Leads page: lazy model checked by qtmodeltester, filters and search, detail pane, resend, drops, import."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import add_leads, wire_lander
from ui.models import leads_model
from ui.models.leads_model import ID_ROLE, LeadsModel
from xsc_desktop import settings
from xsc_desktop.leads import LeadFilter
from xsc_desktop.models import Activity, Lead


@pytest.fixture
def endpoint():
    with RecordingEndpoint() as server:
        server.answer("/leads", Reply(200, b'{"success": true, "id": "C-1"}', {"Content-Type": "application/json"}))
        yield server


@pytest.fixture
def world(ctx, endpoint):
    integration = wire_lander(endpoint.url("/leads"))
    ids = add_leads(integration.lander_id, 700)
    return integration, ids


def test_lazy_model_passes_qtmodeltester_and_holds_only_pages(qtmodeltester, world, monkeypatch, inline_tasks):
    monkeypatch.setattr(leads_model, "PAGE_ROWS", 64)
    monkeypatch.setattr(leads_model, "CACHE_PAGES", 3)
    model = LeadsModel()
    model.set_filter(LeadFilter(), background=False)
    assert model.rowCount() == 700
    qtmodeltester.check(model)
    ids = [model.index(r, 0).data(ID_ROLE) for r in range(700)]  # scrolling the whole table, page by page
    assert ids == sorted(world[1], reverse=True)
    assert model.cached_rows() <= 3 * 64
    assert model.index(699, 0).data(ID_ROLE) == world[1][0]  # a jump back to the end (offset query)


def test_filters_search_and_counts(qtmodeltester, world, inline_tasks):
    integration, ids = world
    Lead.update(delivery_state="delivered").where(Lead.id.in_(ids[:10])).execute()
    model = LeadsModel()
    model.set_filter(LeadFilter(state="delivered"), background=False)
    assert model.rowCount() == 10
    qtmodeltester.check(model)
    model.set_filter(LeadFilter(text="test12"), background=False)  # last-name prefix, any case
    names = {model.index(r, 2).data() for r in range(model.rowCount())}
    assert names == {"Ana Test12"} | {f"Ana Test{n}" for n in range(120, 130)}
    model.set_filter(LeadFilter(text="ana5@"), background=False)
    assert model.rowCount() == 1
    model.set_filter(LeadFilter(text="(214) 555-00"), background=False)
    assert model.rowCount() == 100
    model.set_filter(LeadFilter(lander_id=integration.lander_id + 1), background=False)
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_page_search_debounce_detail_and_resend(qtbot, window, world, endpoint, monkeypatch):
    _integration, ids = world
    settings.set("delivery.per_host_limit", 1)
    page = window.page("leads")
    window.show_page("leads")
    assert page.model.rowCount() == 700
    assert page.count_label.text() == "700 leads"
    page.search.setText("ana699@")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=3000)
    page.table.selectRow(0)
    assert "Ana Test699" in page.detail.heading.text()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.resend_selected()
    lead = Lead.get_by_id(ids[699])
    assert lead.delivery_state == "delivered"
    assert json.loads(endpoint.wait_for(1)[0].body)["last_name"] == "Test699"
    assert Activity.get(Activity.subject_type == "lead", Activity.subject_id == lead.id).action == "resend"
    page.table.selectRow(0)
    assert page.deliveries.rowCount() == 1
    page.detail.attempts.selectRow(0)
    assert "C-1" in page.detail.exchange.toPlainText()
    assert "sk-live" not in page.detail.exchange.toPlainText()  # the secret is masked in the log


def test_resend_cancelled_sends_nothing(window, world, endpoint, monkeypatch):
    page = window.page("leads")
    window.show_page("leads")
    page.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    page.resend_selected()
    assert endpoint.received == []


def test_export_selection(window, world, tmp_path):
    page = window.page("leads")
    window.show_page("leads")
    page.table.selectRow(0)
    out = tmp_path / "sel.csv"
    page.export_selection(out)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "Test699" in lines[1]


def test_dropping_a_lead_file_on_a_lander_imports_it_after_mapping(qtbot, window, samples, ctx, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from xsc_desktop.models import Campaign, Client, Lander

    # Made through the models, so no lander event starts the board's reload timer after the test.
    campaign = Campaign.create(client=Client.create(name="Acme Law"), name="Auto")
    lander = Lander.create(campaign=campaign, name="Drop lander", url="https://landers.example/d")
    monkeypatch.setattr("ui.pages.leads_page.MappingDialog.exec", lambda self: QDialog.DialogCode.Accepted)
    window.handle_files([samples / "leads" / "leads.jsonl"], lander.id)
    page = window.page("leads")
    assert page.mapping_dialog.lander_id() == lander.id
    assert page.mapping_dialog.mapping()["Email Address"] == "email"
    qtbot.waitUntil(lambda: Lead.select().where(Lead.lander == lander.id).count() == 25, timeout=5000)


def test_landers_csv_is_left_to_the_landers_import(window, samples):
    landers_csv = next((samples / "landers").glob("*.csv"))
    handlers = window.drop_handlers
    assert not any(h([landers_csv], None) for h in handlers if h.__name__ == "take_lead_files")


def test_paused_integration_banner_resumes_in_one_click(window, world):
    integration, _ids = world
    from xsc_desktop.delivery import pause_integration
    from xsc_desktop.models import Integration

    pause_integration(integration.id, "5 failed attempts in a row")
    page = window.page("leads")
    page.reload()
    assert not page.banner.isHidden()
    button = next(w for w in page.banner.findChildren(type(page.import_button)) if w.text() == "Resume")
    button.click()
    assert not Integration.get_by_id(integration.id).paused
    assert page.banner.isHidden()


def test_lander_detail_shows_lead_counts(window, world):
    integration, ids = world
    Lead.update(delivery_state="delivered").where(Lead.id.in_(ids[:5])).execute()
    Lead.update(delivery_state="failed").where(Lead.id.in_(ids[5:7])).execute()
    board = window.page("landers")
    board.reload()
    assert board.select_lander(integration.lander_id)
    text = board.detail.leads_line.text()
    assert "700 received today" in text and "5 delivered" in text and "2 failed" in text and "693 pending" in text


def _timed_world():
    """One lander (wired, so deliveries can be logged) with leads at known UTC times around New York's midnight."""
    from datetime import datetime

    from xsc_desktop.models import Delivery

    integration = wire_lander("http://127.0.0.1:9/leads")
    late = Lead.create(lander=integration.lander_id, external_id="late", received_at=datetime(2026, 11, 20, 3, 30),
                       first_name="Late", last_name="Evening", phone="2145550100")
    morning = Lead.create(lander=integration.lander_id, external_id="morning", first_name="Early", last_name="Morning",
                          received_at=datetime(2026, 11, 20, 14, 5), phone="2145550101")
    Delivery.create(lead=morning, integration=integration, state="accepted", created_at=datetime(2026, 11, 20, 14, 6, 7))
    return late, morning


def test_times_show_on_the_operators_clock(window, ctx, monkeypatch):
    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    late, morning = _timed_world()
    page = window.page("leads")
    window.show_page("leads")
    page.reload()
    received = {page.model.index(r, 0).data(ID_ROLE): page.model.index(r, 0).data() for r in range(2)}
    assert received == {late.id: "2026-11-19 22:30", morning.id: "2026-11-20 09:05"}  # stored 03:30 and 14:05 UTC
    assert page.select_lead(morning.id)
    assert "<td>2026-11-20 09:05</td>" in page.detail.fields.text()
    assert page.deliveries.index(0, 0).data() == "2026-11-20 09:06:07"


def test_received_dates_filter_by_the_operators_days(window, ctx, monkeypatch):
    from PySide6.QtCore import QDate

    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    late, morning = _timed_world()
    page = window.page("leads")
    window.show_page("leads")
    page.reload()
    page.since.setDate(QDate(2026, 11, 20))  # 03:30 UTC on the 20th is the evening of the 19th in New York
    page.model.set_filter(page.current_filter(), background=False)
    assert [page.model.index(r, 0).data(ID_ROLE) for r in range(page.model.rowCount())] == [morning.id]
    page.since.setDate(page.since.minimumDate())
    page.until.setDate(QDate(2026, 11, 19))
    page.model.set_filter(page.current_filter(), background=False)
    assert [page.model.index(r, 0).data(ID_ROLE) for r in range(page.model.rowCount())] == [late.id]


@pytest.fixture
def pool_tasks():
    """The real thread pool (the window fixture runs tasks inline); inline again afterwards."""
    from ui import workers

    workers.set_runner(None)
    yield workers
    workers.wait_for_tasks()
    workers.set_runner(workers.run_inline)


def _watch_threads(monkeypatch, module, *names) -> dict[str, list[bool]]:
    """Wrap module functions to record, per call, whether it ran on the GUI thread."""
    import threading

    seen: dict[str, list[bool]] = {}
    for name in names:
        real = getattr(module, name)

        def call(*args, _real=real, _name=name, **kwargs):
            seen.setdefault(_name, []).append(threading.current_thread() is threading.main_thread())
            return _real(*args, **kwargs)
        monkeypatch.setattr(module, name, call)
    return seen


def _two_landers():
    from xsc_desktop.models import Campaign, Client, Lander

    campaign = Campaign.create(client=Client.create(name="Acme Law"), name="Auto")
    return (Lander.create(campaign=campaign, name="First lander", url="https://landers.example/1"),
            Lander.create(campaign=campaign, name="Second lander", url="https://landers.example/2"))


def test_a_dropped_file_is_read_on_workers_only(qtbot, window, samples, ctx, monkeypatch, pool_tasks):
    from PySide6.QtWidgets import QDialog

    from xsc_desktop import leads

    lander, _other = _two_landers()
    seen = _watch_threads(monkeypatch, leads, "looks_like_lead_file", "preview_file", "lander_names")
    monkeypatch.setattr("ui.pages.leads_page.MappingDialog.exec", lambda self: QDialog.DialogCode.Accepted)
    window.handle_files([samples / "leads" / "leads.jsonl"], lander.id)
    assert not hasattr(window.page("leads"), "mapping_dialog")  # the drop returned before the file was read
    qtbot.waitUntil(lambda: Lead.select().where(Lead.lander == lander.id).count() == 25, timeout=10000)
    assert set(seen) == {"looks_like_lead_file", "preview_file", "lander_names"}
    assert not any(on_gui for calls in seen.values() for on_gui in calls)


def test_a_dropped_file_without_leads_goes_on_to_the_other_handlers(window, tmp_path, monkeypatch):
    notes = tmp_path / "notes.csv"
    notes.write_text("colour,size\nred,9\n", encoding="utf-8")
    taken = []
    monkeypatch.setattr(window.posting_doc_intake, "take", lambda paths, lander_id: taken.append(paths))
    window.handle_files([notes])
    assert taken == [[notes]] and not hasattr(window.page("leads"), "mapping_dialog")


def test_picking_another_lander_proposes_its_remembered_columns_before_import(qtbot, window, samples, ctx,
                                                                              monkeypatch, pool_tasks):
    from PySide6.QtWidgets import QDialog

    from xsc_desktop import leads

    first, second = _two_landers()
    leads.remember_mapping(second.id, {"Email Address": None})  # kept as a custom field for this lander
    seen = _watch_threads(monkeypatch, leads, "remembered_mapping")
    waited = []

    def pick_second_then_import(dialog):
        assert dialog.mapping()["Email Address"] == "email"
        dialog.lander_box.setCurrentIndex(dialog.lander_box.findData(second.id))
        waited.append(not dialog.import_button.isEnabled())  # Import waits for the second lander's choices
        qtbot.waitUntil(dialog.import_button.isEnabled, timeout=5000)
        assert dialog.mapping()["Email Address"] is None
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr("ui.pages.leads_page.MappingDialog.exec", pick_second_then_import)
    window.page("leads").import_files([samples / "leads" / "leads.jsonl"], first.id)
    qtbot.waitUntil(lambda: Lead.select().where(Lead.lander == second.id).count() == 25, timeout=10000)
    lead = Lead.select().where(Lead.lander == second.id).first()
    assert lead.email in ("", None) and "Email Address" in lead.custom
    assert waited == [True] and set(seen["remembered_mapping"]) == {False}


def test_mark_delivered_and_resume_write_on_workers(qtbot, window, world, monkeypatch, pool_tasks):
    from xsc_desktop import delivery
    from xsc_desktop.models import Integration

    integration, ids = world
    seen = _watch_threads(monkeypatch, delivery, "mark_delivered", "resume_integration")
    page = window.page("leads")
    window.show_page("leads")
    qtbot.waitUntil(lambda: page.model.rowCount() == 700, timeout=5000)
    page.table.selectRow(0)
    page.mark_selected_delivered(confirm=False)
    qtbot.waitUntil(lambda: Lead.get_by_id(ids[-1]).delivery_state == "delivered", timeout=5000)
    delivery.pause_integration(integration.id, "5 failed attempts in a row")
    page.resume(integration.id)
    qtbot.waitUntil(lambda: not Integration.get_by_id(integration.id).paused, timeout=5000)
    assert seen == {"mark_delivered": [False], "resume_integration": [False]}
