"""The posting summary: a one-page PDF whose text names every field sent and shows no secret; made when a test
lead is accepted, attached to the confirmation the real SMTP server receives, kept beside the lander's posting docs."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest

from tests.helpers.endpoint import Reply
from xsc_desktop import db, integrations, queue, settings, summary
from xsc_desktop.errors import UserError
from xsc_desktop.models import Client, Email, PostingDoc, Task

NY = ZoneInfo("America/New_York")
GATHER_AT = datetime(2026, 11, 27, 15, 0, tzinfo=NY)
RUN_AT = datetime(2026, 11, 28, 8, 0, tzinfo=NY)
ACCEPT = Reply(200, b'{"success": true, "id": "R-77"}', {"Content-Type": "application/json"})
SECRET = "sk-secret-9QX"
KEY = "key-7Hk2Lm9P"


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def lead_docket(make_lander, name="Auto TX", **kw):
    """A lander on a Lead Docket parser with its settings and an API key (a secret sent in the query)."""
    lander = make_lander(name, **kw)
    integrations.set_integration(lander.id, parser="lead_docket", settings={"firm": "smithlaw", "form_id": "77"},
                                 secrets={"apikey": KEY})
    return lander


def test_the_pdf_names_every_field_sent_and_no_secret(make_lander):
    lander = lead_docket(make_lander)
    Client.update(time_zone="America/Chicago").execute()
    spec = integrations.spec_for(integrations.get_integration(lander.id))

    data = summary.pdf_bytes(summary.build(lander.id))

    pages, text = pdf_text(data)
    assert pages == 1
    for mapping in spec.mappings:
        assert mapping.target in text
    assert "First name" in text and "Jane" in text  # where the value comes from, and an example
    assert "POST https://smithlaw.leaddocket.com/opportunities/formjson/77" in text
    assert KEY not in text and "apikey=" not in text and "sent with every lead, not shown here" in text
    assert "Caps None" in text and "Filters None" in text
    # Client-facing words: no parser name, preset id or setting key.
    assert "lead_docket" not in text and "(Lead Docket)" not in text and "form_id" not in text


def test_the_delivery_rules_are_on_the_page(make_lander):
    from xsc_desktop.delivery_rules import DeliveryRules
    from xsc_desktop.models import Integration

    lander = lead_docket(make_lander)
    rules = DeliveryRules.from_dict({"caps": {"day": 25, "week": 100}, "time_zone": "America/Chicago",
                                     "hours": ["mon-fri 08:00-18:00"], "holidays": ["2026-12-25"],
                                     "filters": ["state in TX,OK", "has_attorney is no"], "require": ["trustedform"]})
    Integration.update(delivery_rules=rules.to_json()).execute()

    text = pdf_text(summary.pdf_bytes(summary.build(lander.id)))[1]
    assert "25 a day; 100 a week" in text
    assert "Monday to Friday 08:00–18:00 (America/Chicago)" in text and "closed on 2026-12-25" in text
    assert "State in TX, OK; Has attorney is no" in text
    assert "TrustedForm certificate (at most 72 hours old)" in text


def test_a_lander_without_a_parser_is_one_sentence(make_lander, cli, data_dir):
    lander = make_lander("No parser yet")
    with pytest.raises(UserError, match=r"has no parser yet, so there is nothing to summarise; set its integration"):
        summary.build(lander.id)
    db.close()
    result = cli("integrations", "summary", str(lander.id), "-o", str(data_dir / "s.pdf"))
    assert result.returncode == 1 and not (data_dir / "s.pdf").exists()
    assert result.stderr.strip().count("\n") == 0 and "has no parser yet" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_writes_the_summary_of_a_lander_or_its_integration(make_lander, cli, data_dir):
    lander = lead_docket(make_lander)
    integration_id = integrations.get_integration(lander.id).id
    db.close()
    for ident, name in ((lander.id, "by-lander.pdf"), (integration_id, "by-integration.pdf")):
        result = cli("integrations", "summary", str(ident), "-o", str(data_dir / name))
        assert result.returncode == 0, result.stderr
        assert "Auto TX" in pdf_text((data_dir / name).read_bytes())[1]


def test_going_live_mails_the_summary_and_keeps_it_with_the_posting_docs(make_lander, integrate, endpoint,
                                                                         smtp_server):
    lander = make_lander("Auto TX", contacts=["intake@smith.example"])
    integrate(lander, endpoint.url("/a"), secrets={"token": SECRET})
    Client.update(time_zone="America/Chicago").execute()
    endpoint.answer("/a", ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    assert queue.run(RUN_AT, tz=NY).done == 1

    message = smtp_server.wait_for(1)[0]
    assert message.attachment_names() == ["Posting summary - Auto TX.pdf"]
    part = next(message.message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    pages, text = pdf_text(part.get_content())
    task = Task.get(Task.kind == "integrate")
    assert pages == 1 and task.test_ref in text and "R-77" in text and "Accepted" in text
    assert "CST" in text  # the test lead's time on the client's clock
    assert SECRET not in text and SECRET not in message.raw.decode()
    sent_fields = set(json.loads(endpoint.received[0].body))
    assert {"first_name", "email", "phone"} <= sent_fields and all(name in text for name in ("first_name", "email"))

    doc = PostingDoc.get(PostingDoc.lander == lander.id)
    assert doc.kind == "summary" and doc.path == Email.get().attachments[0]
    assert not integrations.has_posting_doc(lander)  # a summary is not the client's posting doc


def test_the_setting_off_sends_the_confirmation_without_it(make_lander, integrate, endpoint, smtp_server):
    settings.set("mail.confirmation_attach_summary", False)
    lander = make_lander("Auto TX")
    integrate(lander, endpoint.url("/a"))
    endpoint.answer("/a", ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    queue.run(RUN_AT, tz=NY)
    assert smtp_server.wait_for(1)[0].attachment_names() == []
    assert PostingDoc.get(PostingDoc.lander == lander.id).kind == "summary"  # kept all the same


def test_the_summary_dropped_back_in_is_not_analysed(make_lander, data_dir):
    from xsc_desktop.intake.review import docs_overview
    from xsc_desktop.intake.store import intake_file

    lander = lead_docket(make_lander)
    doc = summary.keep(lander.id, summary.build(lander.id))
    result = intake_file(doc.path, data_dir, lander_id=lander.id)
    assert result.analysis is None and "not analysed" in result.error
    assert PostingDoc.get_by_id(doc.id).kind == "summary" and PostingDoc.select().count() == 1
    assert [(r.state, r.state_text) for r in docs_overview(lander.id)] == [("summary", "Sent to client")]


def test_a_database_from_before_summaries_gets_the_kind_column(data_dir):
    url = db.database_url_for(data_dir)
    database = db.connect(url)
    database.execute_sql('ALTER TABLE "posting_doc" DROP COLUMN kind')
    from xsc_desktop.models import Meta

    Meta.update(value=str(db.MIGRATIONS.index(db._posting_doc_kind))).where(Meta.key == "schema_version").execute()
    db.close()
    database = db.connect(url)
    assert "kind" in {c.name for c in database.get_columns("posting_doc")}
    db.close()
