"""Imported leads of an integrated lander: delivered or kept for records only, and ids reused by another person."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from xsc_desktop import delivery, leads, settings
from xsc_desktop.models import Lead

HEADER = "Lead ID,First Name,Last Name,Email Address,Phone,Date Submitted\n"
NOW = datetime(2026, 12, 4, 12, 0)


@pytest.fixture
def lander(ctx):
    from xsc_desktop.landers import add_lander

    return add_lander(client="Acme Law", campaign="Auto", name="Auto lander", url="https://landers.example/auto")


def _file(tmp_path, rows: list[str], name: str = "leads.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _states() -> dict[str, str]:
    return {lead.external_id: lead.delivery_state for lead in Lead.select()}


def test_old_leads_are_kept_for_records_and_fresh_ones_delivered_by_default(tmp_path, lander):
    old = (NOW - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    fresh = (NOW - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    path = _file(tmp_path, [f"E1,Ana,Lee,a@b.co,2145550100,{old}", f"E2,Bo,Ray,b@b.co,2145550101,{fresh}"])
    report = leads.import_file(path, lander.id, now=NOW)
    assert _states() == {"E1": "records", "E2": "new"}
    assert report.records_only == 1
    assert "1 kept for records only (captured more than 24 h ago)" in report.summary()
    settings.set("leads.records_only_after_hours", 100)
    path2 = _file(tmp_path, [f"E3,Cy,Ng,c@b.co,2145550102,{old}"], "b.csv")
    leads.import_file(path2, lander.id, now=NOW)
    assert _states()["E3"] == "new"


def test_deliver_sends_all_and_records_only_keeps_even_fresh_ones(tmp_path, lander):
    old = (NOW - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    fresh = (NOW - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    leads.import_file(_file(tmp_path, [f"E1,Ana,Lee,a@b.co,2145550100,{old}"], "a.csv"), lander.id, now=NOW,
                      delivery="deliver")
    report = leads.import_file(_file(tmp_path, [f"E2,Bo,Ray,b@b.co,2145550101,{fresh}"], "b.csv"), lander.id,
                               now=NOW, delivery="records")
    assert _states() == {"E1": "new", "E2": "records"} and report.records_only == 1


def test_delivery_never_picks_a_lead_kept_for_records(tmp_path, lander, endpoint):
    from tests.helpers.endpoint import Reply
    from tests.helpers.lead_world import wire_lander

    endpoint.answer("/leads", Reply(200, b'{"success": true, "id": "X1"}', {"Content-Type": "application/json"}))
    integration = wire_lander(endpoint.url("/leads"))
    leads.import_file(_file(tmp_path, ["R1,Ana,Lee,a@b.co,2145550100,2026-11-01 10:00:00",
                                       "R2,Bo,Ray,b@b.co,2145550101,2026-11-01 10:00:00"]),
                      integration.lander_id, now=NOW)
    assert set(_states().values()) == {"records"}
    delivery.deliver_once(NOW)
    assert endpoint.received == [] and set(_states().values()) == {"records"}
    # Sent by hand, one goes out.
    one = Lead.get(Lead.external_id == "R1")
    delivery.resend(one.id, now=NOW)
    assert len(endpoint.received) == 1 and Lead.get_by_id(one.id).delivery_state == "delivered"
    assert Lead.get(Lead.external_id == "R2").delivery_state == "records"


def test_same_id_with_another_person_is_a_conflict_skipped_or_imported_as_new(tmp_path, lander):
    leads.import_file(_file(tmp_path, ["E1,Ana,Lee,a@b.co,2145550100,", "E2,Bo,Ray,b@b.co,2145550101,"], "a.csv"),
                      lander.id, now=NOW)
    second = _file(tmp_path, ["E1,Ana,Lee,A@B.co,2145550100,",  # the same person: already there
                              "E2,Dee,Kim,d@k.co,2145550999,",  # another person under E2
                              "E3,Eve,Ong,e@o.co,2145550111,"], "b.csv")
    report = leads.import_file(second, lander.id, now=NOW + timedelta(minutes=1))
    assert (report.imported, report.already_there) == (1, 1)
    assert report.conflicts == [(3, "E2", "phone, e-mail, first name, last name")]
    assert "1 with the id of an earlier lead but another person" in report.summary()
    assert Lead.get(Lead.external_id == "E2").first_name == "Bo"
    again = leads.import_file(second, lander.id, now=NOW + timedelta(minutes=2), on_conflict="new")
    assert (again.imported, again.imported_as_new, again.conflicts) == (1, 1, [])
    assert Lead.get(Lead.external_id == "E2#2").first_name == "Dee"
    third = leads.import_file(second, lander.id, now=NOW + timedelta(minutes=3), on_conflict="new")
    assert (third.imported, third.already_there) == (0, 3)  # importing the same file again adds nothing twice
