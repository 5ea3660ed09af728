"""The outbox against SMTP servers that refuse, stall or hang up mid-message (real sockets on 127.0.0.1): each
message gets one plain reason, and none is ever delivered twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers.raw_smtp import RawSmtp, closed_port
from tests.helpers.smtp import use_smtp
from xsc_desktop import mail, settings
from xsc_desktop.models import Email, utcnow


def _queue(lines: int = 10) -> Email:
    return mail.queue_email(kind="confirmation", to=["intake@smith.example"], subject="Integration confirmed: Auto TX",
                            body=("The test lead arrived. " * 39 + "\r\n") * lines, dedupe_key="confirmation:task:1")


def _plain(reason: str) -> None:
    assert reason and "\n" not in reason and "b'" not in reason and "(554," not in reason, reason
    assert "Traceback" not in reason and "Error(" not in reason, reason


def _later():
    return utcnow() + timedelta(hours=1)


def test_a_server_that_hangs_up_inside_the_message_is_retried_and_the_message_arrives_once(ctx):
    with RawSmtp("drop_mid_data") as server:
        use_smtp(server)
        email = _queue(lines=10_000)  # 9 MB: more than the sockets buffer, so the hang-up stops the sending
        first = mail.send_pending()
        row = Email.get_by_id(email.id)
        assert server.cut == 1 and server.messages == []
        _plain(row.last_error)
        # Cut before the end of the message: the server cannot have taken it, so it is tried again later.
        assert "may have taken" not in row.last_error and "did not get all of it" in row.last_error
        assert (first.retrying, row.state) == (1, "queued")
        server.mode = "ok"
        assert mail.send_pending(_later()).sent == 1
        assert mail.send_pending(_later() + timedelta(hours=2)).sent == 0
        assert len(server.messages) == 1


def test_a_server_that_hangs_up_after_the_message_is_never_resent_on_its_own(ctx):
    with RawSmtp("drop_after_dot") as server:
        use_smtp(server)
        email = _queue()
        mail.send_pending()
        row = Email.get_by_id(email.id)
        _plain(row.last_error)
        assert row.state == "failed" and mail.is_interrupted(row.state, row.last_error)
        assert "closed the connection before answering" in row.last_error  # not "no answer within 600 s"
        server.mode = "ok"
        assert mail.send_pending(_later()).sent == 0
        assert server.messages == [] and server.connections == 1


def test_a_server_that_refuses_the_connection_is_one_sentence_and_retried(ctx):
    with RawSmtp() as server:
        use_smtp(server)
        settings.set("smtp.port", closed_port())
        email = _queue()
        assert mail.send_pending().retrying == 1
        row = Email.get_by_id(email.id)
        _plain(row.last_error)
        assert row.state == "queued" and "Could not reach the SMTP server" in row.last_error
        settings.set("smtp.port", server.port)
        assert mail.send_pending(_later()).sent == 1
        assert len(server.messages) == 1


def test_a_server_that_refuses_service_at_the_greeting_is_one_sentence(ctx):
    with RawSmtp("refuse") as server:
        use_smtp(server)
        email = _queue()
        mail.send_pending()
        row = Email.get_by_id(email.id)
        _plain(row.last_error)
        assert "refused" in row.last_error and "554" in row.last_error, row.last_error
        assert server.messages == []


def test_a_server_that_refuses_the_message_fails_it_for_good_with_its_words(ctx):
    with RawSmtp("reject_data") as server:
        use_smtp(server)
        email = _queue()
        assert mail.send_pending().failed == 1
        row = Email.get_by_id(email.id)
        _plain(row.last_error)
        assert row.state == "failed" and "554" in row.last_error and "refused as spam" in row.last_error
        assert not mail.is_interrupted(row.state, row.last_error)
        assert mail.send_pending(_later()).sent == 0 and server.messages == []


@pytest.mark.parametrize("mode", ["stall", "stall_mid_data"])
def test_a_server_that_stalls_ends_at_the_timeout_with_one_sentence(ctx, mode):
    with RawSmtp(mode) as server:
        use_smtp(server)
        settings.set("smtp.timeout", 1)
        email = _queue(lines=10_000 if mode == "stall_mid_data" else 10)  # 9 MB: more than the sockets buffer
        assert mail.send_pending().retrying == 1
        row = Email.get_by_id(email.id)
        _plain(row.last_error)
        expected = "did not answer in 1 s" if mode == "stall" else "stopped taking the message for 1 s"
        assert row.state == "queued" and expected in row.last_error, row.last_error
        server.mode = "ok"
        assert mail.send_pending(_later()).sent == 1
        assert len(server.messages) == 1
