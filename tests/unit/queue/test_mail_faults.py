"""The outbox against awkward SMTP servers on 127.0.0.1: a late answer to the message, a lost answer, a server
without sign-in, and interrupted messages offered again in one step."""

from __future__ import annotations

from xsc_desktop import mail, settings
from xsc_desktop.models import Email


def _queue(subject: str = "Integration confirmed") -> Email:
    return mail.queue_email(kind="confirmation", to=["ops@firm.example"], subject=subject, body="b",
                            dedupe_key=f"confirmation:{subject}")


def test_a_late_answer_to_the_message_is_waited_for_and_the_message_sent_once(smtp_server):
    settings.set("smtp.timeout", 1)  # commands answer at once; only the message's answer is slow
    settings.set("smtp.data_timeout", 30)
    smtp_server.answer_late(2)
    email = _queue()
    summary = mail.send_pending()
    assert (summary.sent, summary.retrying, summary.failed) == (1, 0, 0)
    assert Email.get_by_id(email.id).state == "sent"
    assert len(smtp_server.wait_for(1)) == 1


def test_a_lost_answer_to_the_message_is_never_resent_on_its_own_but_offered_again(smtp_server):
    settings.set("smtp.timeout", 1)
    settings.set("smtp.data_timeout", 1)
    smtp_server.answer_late(3)
    email = _queue()
    summary = mail.send_pending()
    row = Email.get_by_id(email.id)
    assert (summary.sent, summary.retrying, summary.failed) == (0, 0, 1)
    assert row.state == "failed" and "may or may not have gone out" in row.last_error
    assert mail.send_pending().sent == 0  # nothing queued: the server may have it
    assert [e.id for e in mail.interrupted()] == [email.id]


def test_a_lost_answer_is_offered_again_in_a_notification(smtp_server):
    from xsc_desktop import events

    offers = []
    events.subscribe("notify", lambda _t, payload: offers.append(payload))
    settings.set("smtp.timeout", 1)
    settings.set("smtp.data_timeout", 1)
    smtp_server.answer_late(3)
    email = _queue()
    mail.send_pending()
    [offer] = offers
    assert offer["resend_emails"] == [email.id] and "no answer from the SMTP server" in offer["message"]
    smtp_server.answer_late(0)
    assert mail.resend_interrupted_now([email.id]).sent == 1
    assert mail.resend_interrupted_now([email.id]).sent == 0  # a second click sends nothing


def test_a_server_without_sign_in_gets_the_right_reason(ctx):
    from tests.helpers.smtp import SmtpServer, use_smtp

    with SmtpServer(offer_auth=False) as server:
        use_smtp(server)
        settings.set("smtp.user", "ops@agency.example")
        settings.set("smtp.password", "pw-secret-1")
        email = _queue()
        mail.send_pending()
        row = Email.get_by_id(email.id)
    assert row.state == "failed"
    assert "does not offer sign-in (AUTH)" in row.last_error and "STARTTLS" not in row.last_error
    assert "pw-secret-1" not in row.last_error


def test_interrupted_confirmations_are_offered_again_in_one_call_and_sent_once(smtp_server):
    first, second, sent = _queue("one"), _queue("two"), _queue("three")
    Email.update(state="sending").where(Email.id << [first.id, second.id]).execute()  # as a killed sender leaves
    mail.send_pending()
    assert {e.id for e in mail.interrupted()} == {first.id, second.id}
    assert smtp_server.wait_for(1)[0].subject == "three"
    assert Email.get_by_id(sent.id).state == "sent"
    assert sorted(mail.resend_interrupted()) == [first.id, second.id]
    assert mail.resend_interrupted() == []  # once
    assert mail.send_pending().sent == 2
    assert sorted(m.subject for m in smtp_server.wait_for(3)) == ["one", "three", "two"]
    assert mail.interrupted() == []
