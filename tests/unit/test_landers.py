"""Lander lifecycle: adding, editing, the allowed moves and the Activity they write."""

from __future__ import annotations

import pytest

from xsc_desktop import activity, landers
from xsc_desktop.errors import UserError
from xsc_desktop.models import Activity, Client, Lander


def _add(**overrides):
    values = {"client": "Alvarez Accident Lawyers", "campaign": "Auto", "name": "Houston Auto",
              "url": "https://auto-houston.example/lp"}
    return landers.add_lander(**{**values, **overrides})


def test_add_creates_client_and_campaign_once(ctx):
    first = _add()
    second = _add(name="Dallas Auto", url="https://auto-dallas.example/lp", client="alvarez accident lawyers")
    assert first.campaign_id == second.campaign_id
    assert Client.select().count() == 1


@pytest.mark.parametrize("url", ["not a url", "ftp://x.example/a", "https://", "http://a b.example"])
def test_add_refuses_urls_that_are_not_web_addresses(ctx, url):
    with pytest.raises(UserError, match="http"):
        _add(url=url)
    assert Lander.select().count() == 0


def test_add_refuses_a_second_lander_with_the_same_url(ctx):
    _add()
    with pytest.raises(UserError, match="already exists"):
        _add(name="Copy")


def test_pipeline_moves_write_activity_with_who_from_to_and_note(ctx):
    lander = _add()
    landers.set_status(lander.id, "ready", note="handed over by production", actor="dana")
    landers.set_status(lander.id, "queued")
    entry = activity.history("lander", lander.id)[1]
    assert (entry.actor, entry.from_state, entry.to_state, entry.note) == ("dana", "in_production", "ready",
                                                                           "handed over by production")
    assert Lander.get_by_id(lander.id).handed_over_at is not None


def test_forbidden_move_is_refused_and_names_the_allowed_moves(ctx):
    lander = _add()
    with pytest.raises(UserError) as info:
        landers.set_status(lander.id, "confirmed")
    assert "ready, paused, archived" in str(info.value)
    assert Lander.get_by_id(lander.id).status == "in_production"
    assert Activity.select().where(Activity.action == "status").count() == 0


def test_every_status_has_moves_and_every_move_targets_a_status():
    for status in landers.STATUSES:
        assert landers.TRANSITIONS[status], status
        assert landers.TRANSITIONS[status] <= set(landers.STATUSES)


@pytest.mark.parametrize(("text", "status"), [("READY", "ready"), ("In Production", "in_production"),
                                              ("needs-info", "needs_info")])
def test_status_typed_in_any_case_is_understood(text, status):
    assert landers.status_from_text(text) == status


def test_flags_cell_is_split_into_known_flags_and_a_note():
    assert landers.parse_flags("reroute;dq") == (["reroute", "dq"], "")
    assert landers.parse_flags("RightSignature, popup asks for policy") == (["rightsignature", "other"],
                                                                            "popup asks for policy")


def test_edit_changes_facts_and_records_what_changed(ctx):
    lander = _add()
    landers.update_lander(lander.id, name="Houston Auto 2", flags=["dq"], new_client=True)
    lander = Lander.get_by_id(lander.id)
    assert lander.name == "Houston Auto 2" and lander.flags == "dq" and lander.campaign.client.is_new
    assert "name Houston Auto 2" in activity.history("lander", lander.id)[0].note


def test_list_is_flat_and_carries_new_client_mark(ctx):
    _add(new_client=True, flags=["rightsignature"])
    [row] = landers.list_landers()
    data = row.as_json()
    assert data["new_client"] is True and data["flags"] == ["rightsignature"]
    assert {"id", "client", "campaign", "name", "url", "status", "flags", "new_client"} <= set(data)
