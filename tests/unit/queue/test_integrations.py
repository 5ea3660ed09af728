"""Lander ↔ parser wiring: settings, secrets kept apart and masked, presets copied, what is missing."""

from __future__ import annotations

from xsc_desktop import integrations
from xsc_desktop.models import Activity, Parser, PostingDoc, Secret


def test_missing_info_lists_each_gap(make_lander):
    lander = make_lander(contacts=None)
    assert integrations.missing_info(lander) == ["no posting doc", "no parser", "no client contact for the confirmation"]
    PostingDoc.create(sha256="x", original_name="captorra.pdf", lander=lander)
    assert integrations.missing_info(lander)[0] == "no parser"


def test_preset_is_copied_and_required_settings_are_named(make_lander):
    lander = make_lander()
    integrations.set_integration(lander.id, parser="captorra", settings={"Referrer": "abc"})
    assert Parser.get_or_none(Parser.name == "Smith Law (Captorra)") is not None
    assert integrations.missing_info(lander) == ["CaptorraId is empty"]
    integrations.set_integration(lander.id, settings={"CaptorraId": "310775"})
    assert integrations.missing_info(lander) == []
    assert integrations.view(lander.id).settings == {"Referrer": "abc", "CaptorraId": "310775"}


def test_secrets_are_kept_apart_and_masked(make_lander):
    lander = make_lander()
    integration = integrations.set_integration(lander.id, parser="lead_docket",
                                               settings={"firm": "smith", "form_id": "7"},
                                               secrets={"apikey": "sk-live-123"})
    assert integrations.secrets_for(integration) == {"apikey": "sk-live-123"}
    shown = integrations.view(lander.id).as_json()
    assert shown["secrets"] == {"apikey": "••••••••"} and "sk-live-123" not in str(shown)
    stored = Secret.get(Secret.scope == f"integration:{integration.id}").value
    assert stored.startswith("xsc-secret:1:f:") and "sk-live-123" not in stored  # sealed, not plain text
    assert "sk-live-123" not in " ".join(a.note for a in Activity.select())
    assert integrations.missing_info(lander) == []
    integrations.set_integration(lander.id, secrets={"apikey": ""})
    assert integrations.missing_info(lander) == ["apikey is empty"]


def test_sample_lead_is_stored_on_the_lander(make_lander):
    lander = make_lander()
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": "https://x.example/"},
                                 sample_lead={"first_name": "Ann", "phone": "2145550100"})
    assert integrations.view(lander.id).sample_lead == {"first_name": "Ann", "phone": "2145550100"}
