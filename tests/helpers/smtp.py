"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives, for tests of anything that e-mails.

    from tests.helpers.smtp import SmtpServer, use_smtp

    with SmtpServer() as server:                 # a free port on 127.0.0.1, plain SMTP, any sign-in accepted
        use_smtp(server)                         # points the smtp.* settings of the open database at it
        ... send ...
        message = server.wait_for(1)[0]          # Received(mail_from, recipients, message: email.message.Message)
        assert message.recipients == ["ops@firm.example"]
        assert message.subject.startswith("Integration confirmed")
        assert "TEST" in message.body

    server.fail_next(451, "try later")           # the next RCPT answers 451 (transient); 550 for permanent
    server.hold_data()                           # DATA is taken but not answered until release() (or stop)
    server.wait_for_held(1)                      # ... a sender is now waiting, its row "sending"
    server.require_auth("user", "pass")          # AUTH PLAIN/LOGIN required, those credentials only
    server.answer_late(3)                        # take each message but answer 250 only 3 s later
    SmtpServer(offer_auth=False)                 # a server whose EHLO offers no AUTH at all

As a pytest fixture: `smtp_server` in tests/conftest.py (started, and the test database's smtp.* settings
pointed at it).

`wait_for(n, timeout)` waits on a condition (no sleeping) and fails the test with a clear message when fewer
than n messages arrive in time.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    """One message as the server got it: envelope sender, envelope recipients, the parsed message and raw bytes."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        return str(self.message["Subject"] or "")

    @property
    def body(self) -> str:
        """The text of the first text/plain part."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def attachment_names(self) -> list[str]:
        """File names of the attachments."""
        return [p.get_filename() or "" for p in self.message.iter_attachments()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """aiosmtpd's threaded Controller on 127.0.0.1, recording messages (see the module docstring)."""

    def __init__(self, *, offer_auth: bool = True) -> None:
        self.offer_auth = offer_auth
        self.late = 0.0
        self.received: list[Received] = []
        self.host = "127.0.0.1"
        self.port = _free_port()
        self._cond = threading.Condition()
        self._failures: list[tuple[int, str]] = []
        self._auth: tuple[str, str] | None = None
        self._hold = False
        self.held = 0  # messages whose DATA arrived while holding
        self._released = threading.Event()
        self.controller = None

    # ---- aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's name
        with self._cond:
            if self._failures:
                code, text = self._failures.pop(0)
                return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name
        if self._hold:
            import asyncio

            with self._cond:
                self.held += 1
                self._cond.notify_all()
            # Wait without blocking the server's loop; a held message is neither answered nor recorded.
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait)
            return "451 Held by the test server"
        if self.late:
            import asyncio

            # A slow server: the message is taken, its answer comes late (sooner when the server stops).
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait, self.late)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = message_from_bytes(raw, policy=policy.default)
        with self._cond:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
            self._cond.notify_all()
        return "250 Message accepted"

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (self._auth is None or (isinstance(auth_data, LoginPassword)
              and (auth_data.login.decode(), auth_data.password.decode()) == self._auth))
        # handled=False lets aiosmtpd answer 535 itself on a refusal.
        return AuthResult(success=ok, handled=False)

    # ---- control
    def start(self) -> SmtpServer:
        """Start listening."""
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname=self.host, port=self.port, authenticator=self._authenticator,
                                     auth_require_tls=not self.offer_auth, auth_required=False)
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (held messages are let go first)."""
        self._released.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, code: int = 451, text: str = "Try again later") -> None:
        """Answer the next recipient with this error (4xx transient, 5xx permanent)."""
        with self._cond:
            self._failures.append((code, text))

    def hold_data(self) -> None:
        """From now on take each message's DATA but do not answer it until `release()` (then 451, not recorded):
        a sender stays in the middle of sending, for tests that kill it there."""
        self._hold = True

    def release(self) -> None:
        """Stop holding and let held messages go (answered 451)."""
        self._hold = False
        self._released.set()

    def wait_for_held(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until `count` messages are held; AssertionError when fewer arrive in time."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(f"expected {count} held e-mail(s), the SMTP server holds {self.held}")

    def answer_late(self, seconds: float) -> None:
        """From now on answer each message (250, recorded) only `seconds` after its DATA ends."""
        self.late = seconds

    def require_auth(self, user: str, password: str) -> None:
        """Accept sign-ins with these credentials only."""
        self._auth = (user, password)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first `count` messages, waiting up to `timeout` seconds for them; AssertionError when too few."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} e-mail(s), the SMTP server got {len(self.received)}")
            return list(self.received[:count])


def use_smtp(server: SmtpServer, *, sender: str = "queue@agency.example", reply_to: str = "") -> None:
    """Point the smtp.* settings of the open database at `server` (plain SMTP, no sign-in)."""
    from xsc_desktop import settings

    settings.set("smtp.host", server.host)
    settings.set("smtp.port", server.port)
    settings.set("smtp.security", "none")
    settings.set("smtp.user", "")
    settings.set("smtp.from", sender)
    settings.set("smtp.reply_to", reply_to)
    settings.set("smtp.timeout", 10)
