"""The confirmation e-mail a client reads: no parser names, preset ids or empty placeholders."""

from __future__ import annotations

from datetime import datetime

from tests.helpers.endpoint import Reply
from xsc_desktop import clients, confirmation, integrations, landers, queue
from xsc_desktop.models import Client, Email


def _wired(endpoint, *, system=None, zone=None):
    lander = landers.add_lander(client="Baker Injury Group", campaign="Auto Accident", name="Baker auto",
                                url="https://baker.example/auto", status="ready")
    client = Client.get(Client.name == "Baker Injury Group")
    clients.set_client(client.id, contacts=["intake@baker.example"], intake_system=system or "", time_zone=zone or "")
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": endpoint.url("/leads")},
                                 sample_lead={"first_name": "Ann", "last_name": "Lee", "phone": "2145550100"})
    return lander


def test_an_accepted_test_lead_without_an_id_e_mails_the_client_in_their_words(ctx, endpoint):
    endpoint.answer("/leads", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}))
    _wired(endpoint)
    queue.gather()
    queue.run(include_future=True, send_mail=False)
    email = Email.get(Email.kind == "confirmation")
    text = email.subject + "\n" + email.body
    assert "integrated with your intake system" in text
    for internal in ("(generic", "generic_json", "Baker Injury Group (", "(none given)", "Your system's id"):
        assert internal not in text, internal
    assert "{" not in text


def test_the_clients_system_and_clock_are_named_as_they_know_them(ctx, endpoint):
    endpoint.answer("/leads", Reply(200, b'{"success": true, "id": "R-7"}', {"Content-Type": "application/json"}))
    _wired(endpoint, system="lead_docket", zone="America/Chicago")
    queue.gather()
    queue.run(include_future=True, send_mail=False)
    body = Email.get(Email.kind == "confirmation").body
    assert "integrated with Lead Docket." in body and "lead_docket" not in body
    assert "Your system's id for it: R-7" in body
    assert " CST" in body or " CDT" in body


def test_preview_with_a_real_lander_and_the_made_up_example(ctx, endpoint):
    lander = _wired(endpoint, system="clio_grow")
    subject, body = confirmation.preview(lander.id)
    assert subject == "Integration confirmed: Baker auto (Auto Accident)"
    assert "integrated with Clio Grow" in body and "https://baker.example/auto" in body
    assert "Your system's id" not in body  # nothing came back yet: the line is left out, not "(none given)"
    _subject, example = confirmation.preview(None)
    assert "Smith & Partners" in example and "123456" in example


def test_lines_with_only_empty_values_are_left_out():
    template = "A {x}\nB {y} and {x}\nC {z}\nD\n"
    assert confirmation.drop_empty_lines(template, {"x": "", "y": "1", "z": " "}) == "B {y} and {x}\nD\n"
    assert confirmation.sent_at_text(datetime(2026, 11, 28, 14, 3), None) == "2026-11-28 14:03 UTC"


def test_the_template_editor_previews_with_a_chosen_lander(window, endpoint):
    lander = _wired(endpoint, system="clio_grow")
    tools = window.show_page("settings").mail_tools
    assert "Smith & Partners" in tools.preview.toPlainText()
    tools.preview_lander.setCurrentIndex(tools.preview_lander.findData(lander.id))
    text = tools.preview.toPlainText()
    assert "Hello Baker Injury Group," in text and "integrated with Clio Grow" in text
    assert "Your system's id" not in text and "(none given)" not in text
    tools.page.editors["mail.confirmation_subject"].setText("Ready: {lander} for {client}")
    assert "Subject: Ready: Baker auto for Baker Injury Group" in tools.preview.toPlainText()
