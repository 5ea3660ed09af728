"""The posting-doc store and apply: one row per content hash, bad files kept with their error, drafts
turned into a parser plus the lander's integration settings and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.intake.postingdoc_makers import make_zip_bomb_docx
from xsc_desktop.intake.extract import IntakeError
from xsc_desktop.intake.store import apply, build_parser_setup, intake_bytes, intake_file, list_docs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postingdocs"


@pytest.fixture
def lander(ctx):
    from xsc_desktop.landers import add_lander

    return add_lander(client="Whitfield Moss", campaign="Auto", name="Houston Auto", url="https://houston.example/")


def test_same_file_twice_is_one_doc(ctx, lander):
    first = intake_file(FIXTURES / "f01_lead_docket_formjson.md", ctx.data_dir)
    again = intake_file(FIXTURES / "f01_lead_docket_formjson.md", ctx.data_dir, lander_id=lander.id)
    assert again.doc.id == first.doc.id and again.duplicate and not first.duplicate
    stored = list((ctx.data_dir / "postingdocs").iterdir())
    assert [p.name for p in stored] == [f"{first.doc.sha256}.md"]
    row = list_docs()[0]
    assert (row["name"], row["format"], row["lander_id"], row["system"]) == (
        "f01_lead_docket_formjson.md", "md", lander.id, "lead_docket")
    assert row["client_id"] == lander.campaign.client.id and row["campaign_id"] == lander.campaign.id
    assert "Whitfield" in again.doc.text and again.doc.draft["endpoint"].endswith("/formjson/27")


def test_bad_file_is_stored_with_its_error(ctx):
    result = intake_bytes(make_zip_bomb_docx(300), "bomb.docx", ctx.data_dir)
    assert result.analysis is None and "unpacks to 300 MB" in result.error
    assert result.doc.error == result.error and result.doc.format == "docx"
    assert (ctx.data_dir / "postingdocs" / f"{result.doc.sha256}.docx").exists()


def test_oversize_file_is_recorded_but_not_copied(ctx, tmp_path):
    big = tmp_path / "huge.pdf"
    with big.open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)
    result = intake_file(big, ctx.data_dir)
    assert "over the 50 MB limit" in result.error and result.doc.path == ""
    assert not any((ctx.data_dir / "postingdocs").iterdir())


def test_build_parser_setup_fills_url_settings_from_the_preset_template():
    draft = {"file": "d", "system": "lead_docket", "endpoint": "https://smith.leaddocket.com/opportunities/formjson/12",
             "method": "POST", "format": "json",
             "fields": [{"name": "First", "required": True, "maps_to": "first_name"},
                        {"name": "_Question", "required": False, "maps_to": None}],
             "static": [{"name": "apikey", "value": "K1", "location": "query", "secret": True}],
             "test": None, "response_rules": [{"outcome": "accepted", "json_path": "$.success", "equals": "true"}]}
    setup = build_parser_setup(draft, "Smith (lead_docket)")
    assert setup.settings == {"firm": "smith", "form_id": "12"} and setup.secrets == {"apikey": "K1"}
    assert setup.missing == []
    assert [(m.target, m.source, m.required) for m in setup.spec.mappings] == [
        ("First", "first_name", True), ("_Question", "_Question", False)]
    assert setup.spec.rules[0].json_path == "$.success"
    assert all(s.value == "" for s in setup.spec.static)  # values live in settings/secrets, not in the spec


def test_build_parser_setup_for_a_doc_without_url_says_what_is_missing():
    draft = {"system": "generic", "endpoint": None, "method": "POST", "format": "form",
             "fields": [{"name": "fname", "required": True, "maps_to": "first_name"}], "static": [], "test": None}
    setup = build_parser_setup(draft, "x")
    assert setup.missing == ["endpoint"]


def test_apply_creates_parser_integration_and_secrets_then_updates(ctx, lander):
    from xsc_desktop.models import Activity, Integration, Parser, ParserVersion, Secret

    doc = intake_file(FIXTURES / "f02_law_ruler.docx", ctx.data_dir, lander_id=lander.id).doc
    applied = apply(doc)
    parser = Parser.get_by_id(applied["parser_id"])
    assert (parser.system, parser.version, parser.spec["url"]) == (
        "law_ruler", 1, "https://{firm}.lawruler.com/api-legalcrmapp.aspx")
    integration = Integration.get(Integration.lander == lander.id)
    assert integration.settings["firm"] == "harlanbrooks"
    assert integration.parser_id == parser.id
    assert integration.settings["Operation"] == "CreateLead" and "Key" not in integration.settings
    secret = Secret.get(Secret.scope == f"integration:{integration.id}", Secret.name == "Key")
    from xsc_desktop.integrations import secrets_for

    assert secrets_for(integration)["Key"] == "B7C2-99A1-4E5D-8F00" and "B7C2" not in secret.value
    assert "B7C2" not in str(parser.spec)
    assert all("B7C2" not in a.note for a in Activity.select())
    assert applied["missing"] == []
    # Applying the same draft again changes nothing; a changed draft makes version 2.
    assert apply(doc)["version"] == 1
    doc.draft = {**doc.draft, "method": "PUT"}
    doc.save()
    assert apply(doc)["version"] == 2 and ParserVersion.select().count() == 2


def test_apply_needs_a_lander_and_a_draft(ctx, lander):
    doc = intake_file(FIXTURES / "f12_no_url_prose.txt", ctx.data_dir).doc
    with pytest.raises(IntakeError, match="Pick the lander"):
        apply(doc)
    bad = intake_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "scan.png", ctx.data_dir).doc
    with pytest.raises(IntakeError, match="no draft to apply"):
        apply(bad, lander.id)


def test_apply_moves_a_lander_waiting_for_info_back_to_ready(ctx, lander):
    from xsc_desktop.clients import set_client
    from xsc_desktop.intake.store import get_doc, save_draft
    from xsc_desktop.landers import get_lander, set_status

    set_status(lander.id, "ready")
    set_status(lander.id, "needs_info", missing_info=["posting doc"])
    doc = get_doc(intake_file(FIXTURES / "f09_captorra.pdf", ctx.data_dir, lander_id=lander.id).doc.id)
    save_draft(doc, {**doc.draft, "fields": doc.draft["fields"][:3]})
    applied = apply(get_doc(doc.id))
    # Without a client contact the queue could not confirm, so the lander keeps waiting and the summary says so.
    assert applied["missing"] == [] and applied["lander_missing"] == ["no client contact for the confirmation"]
    assert get_lander(lander.id).status == "needs_info" and "still needs" in applied["summary"]
    set_client(lander.campaign.client.id, contacts=["intake@whitfieldmoss.example"])
    applied = apply(get_doc(doc.id))
    assert applied["lander_missing"] == [] and get_lander(lander.id).status == "ready"
    with pytest.raises(IntakeError, match="no posting doc 999"):
        get_doc(999)


def test_an_endpoint_keeps_its_trailing_slash():
    """Some systems answer 404 (or redirect a POST away) without the slash their doc shows."""
    from xsc_desktop.intake.store import build_parser_setup

    draft = {"system": "generic", "endpoint": "https://hooks.example/catch/55/2fj81az/", "method": "POST",
             "format": "json", "fields": [{"name": "first_name", "required": True, "maps_to": "first_name"}],
             "static": []}
    setup = build_parser_setup(draft, "Firm (generic)")
    assert (setup.settings.get("endpoint") or setup.spec.url) == "https://hooks.example/catch/55/2fj81az/"


def test_a_field_the_system_insists_on_follows_the_docs_own_name():
    """boberdoo's preset insists on Primary_Phone; a doc that posts the phone as Phone wires without a problem."""
    from parsers.spec import errors

    draft = {"system": "boberdoo", "endpoint": "https://crest.leadportal.example/genericPostlead.php",
             "method": "POST", "format": "form",
             "fields": [{"name": n, "required": True, "maps_to": m} for n, m in
                        (("First_Name", "first_name"), ("Last_Name", "last_name"), ("Phone", "phone"), ("Zip", "zip"))],
             "static": [{"name": "Key", "value": "CRL-55", "location": "body", "secret": True}]}
    setup = build_parser_setup(draft, "Crest (boberdoo)")
    assert setup.spec.required_fields == ["First_Name", "Last_Name", "Phone", "Zip"]
    assert errors(setup.spec) == []
