"""The outbox against a real SMTP server on 127.0.0.1: dedupe, states, retries with backoff, test e-mail, templates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xsc_desktop import events, mail, settings
from xsc_desktop.errors import UserError
from xsc_desktop.models import Activity, Email, utcnow


def test_queue_is_idempotent_on_the_dedupe_key(ctx):
    first = mail.queue_email(kind="confirmation", to="a@firm.example; b@firm.example", subject="s", body="b",
                             dedupe_key="confirmation:task:1")
    again = mail.queue_email(kind="confirmation", to=["c@firm.example"], subject="other", body="other",
                             dedupe_key="confirmation:task:1")
    assert again.id == first.id and Email.select().count() == 1
    assert first.to == ["a@firm.example", "b@firm.example"]


def test_bad_recipient_is_refused_in_one_sentence(ctx):
    with pytest.raises(UserError, match="not an e-mail address"):
        mail.queue_email(kind="alert", to="nobody", subject="s", body="b")


def test_send_pending_delivers_once(smtp_server, tmp_path):
    settings.set("smtp.reply_to", "help@agency.example")
    attachment = tmp_path / "report.xlsx"
    attachment.write_bytes(b"PK fake")
    email = mail.queue_email(kind="report", to=["ops@firm.example"], subject="Daily report", body="Attached.",
                             attachments=[attachment], dedupe_key="report:1")
    summary = mail.send_pending()
    assert (summary.sent, summary.failed) == (1, 0)
    got = smtp_server.wait_for(1)[0]
    assert got.recipients == ["ops@firm.example"] and got.subject == "Daily report"
    assert got.body.strip() == "Attached." and got.attachment_names() == ["report.xlsx"]
    assert got.message["Reply-To"] == "help@agency.example"
    assert Email.get_by_id(email.id).state == "sent"
    assert mail.send_pending().sent == 0
    assert len(smtp_server.received) == 1


def test_transient_failure_retries_with_backoff(smtp_server):
    smtp_server.fail_next(451, "Mailbox busy")
    email = mail.queue_email(kind="alert", to=["ops@firm.example"], subject="s", body="b")
    now = utcnow()
    summary = mail.send_pending(now)
    row = Email.get_by_id(email.id)
    assert summary.retrying == 1 and row.state == "queued" and "451" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=mail.RETRY_BASE)
    assert mail.send_pending(now).sent == 0  # not due yet
    assert mail.send_pending(now + timedelta(seconds=61)).sent == 1
    assert Email.get_by_id(email.id).attempts == 2


def test_permanent_failure_fails_with_reason(smtp_server):
    smtp_server.fail_next(550, "No such user")
    email = mail.queue_email(kind="alert", to=["ghost@firm.example"], subject="s", body="b")
    assert mail.send_pending().failed == 1
    row = Email.get_by_id(email.id)
    assert row.state == "failed" and "refused" in row.last_error
    mail.resend(email.id)
    assert mail.send_pending().sent == 1


def test_unreachable_server_and_password_never_in_reasons(ctx):
    settings.set("smtp.host", "127.0.0.1")
    settings.set("smtp.port", 1)  # nothing listens there
    settings.set("smtp.security", "none")
    settings.set("smtp.from", "queue@agency.example")
    settings.set("smtp.user", "queue")
    settings.set("smtp.password", "hunter2-secret")
    email = mail.queue_email(kind="alert", to=["ops@firm.example"], subject="s", body="b")
    mail.send_pending()
    row = Email.get_by_id(email.id)
    assert row.state == "queued" and "Could not reach the SMTP server" in row.last_error
    notes = " ".join(a.note for a in Activity.select())
    assert "hunter2" not in row.last_error + notes
    assert "hunter2" not in repr(mail.SmtpConfig.from_settings())


def test_sign_in_with_the_secret_password(smtp_server):
    smtp_server.require_auth("queue", "s3cret pass")
    settings.set("smtp.user", "queue")
    settings.set("smtp.password", "wrong")
    with pytest.raises(UserError, match="refused the sign-in") as info:
        mail.send_test("me@agency.example")
    assert "wrong" not in str(info.value)
    settings.set("smtp.password", "s3cret pass")
    assert mail.send_test("me@agency.example").state == "sent"
    assert "s3cret" not in smtp_server.wait_for(1)[0].raw.decode()


def test_missing_settings_say_what_to_fill(ctx):
    with pytest.raises(UserError, match="smtp.host"):
        mail.send_test("me@agency.example")


def test_interrupted_sending_row_is_failed_not_resent(smtp_server):
    email = mail.queue_email(kind="confirmation", to=["ops@firm.example"], subject="s", body="b")
    Email.update(state="sending").where(Email.id == email.id).execute()  # as a killed sender leaves it
    mail.send_pending()
    row = Email.get_by_id(email.id)
    assert row.state == "failed" and "interrupted" in row.last_error
    assert smtp_server.received == []


def test_confirmation_templates_and_preview(ctx):
    values = dict(mail.PREVIEW_VALUES, lander="Mesothelioma CA")
    subject, body = mail.render_confirmation(values)
    assert subject == "Integration confirmed: Mesothelioma CA (Auto Accident)"
    assert "Test lead reference: XSC-TEST-42-20261128" in body and "{" not in body
    subject, body = mail.preview_confirmation("Done {lander} {unknown} {", "Hi {client}")
    assert subject == "Done Auto Accident TX {unknown} {" and body == "Hi Smith & Partners"
    assert mail.unknown_placeholders("{lander} {nope}") == ["nope"]


def test_some_recipients_refused_is_sent_with_the_refusal_as_its_reason(smtp_server):
    notes = []
    events.subscribe("notify", lambda t, p: notes.append(p))
    smtp_server.fail_next(550, "No such user")  # the first recipient only
    email = mail.queue_email(kind="confirmation", to=["ghost@firm.example", "boss@firm.example"], subject="Done",
                             body="b")
    summary = mail.send_pending()
    assert (summary.sent, summary.failed) == (1, 0)
    assert smtp_server.wait_for(1)[0].recipients == ["boss@firm.example"]
    row = Email.get_by_id(email.id)
    assert row.state == "sent"
    assert "refused ghost@firm.example (550 No such user)" in row.last_error
    assert "boss@firm.example" not in row.last_error
    assert notes and notes[-1]["title"] == "E-mail partly refused" and "ghost@firm.example" in notes[-1]["message"]
