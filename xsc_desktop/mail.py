"""The outbox and the SMTP sender: every message is written before it is sent, and sent once.

    email = mail.queue_email(kind="confirmation", to=["ops@firm.example"], subject=s, body=b,
                             dedupe_key=f"confirmation:task:{task.id}")   # a second call returns the same row
    summary = mail.send_pending()            # sends due rows over SMTP: queued → sending → sent / failed
    mail.send_test("me@agency.example")      # one message now, UserError with the reason when it fails
    subject, body = mail.render_confirmation(values)        # the Settings templates with {placeholders}
    subject, body = mail.preview_confirmation()             # the same with made-up values, for Settings

States: queued (waiting, maybe until `next_attempt_at`), sending (claimed by one sender: the claim is an
UPDATE ... WHERE state='queued', so two processes never both send a row), sent, failed (with `last_error`).
A transient failure (server unreachable, timeout, 4xx) puts the row back to queued with a backoff of
RETRY_BASE * 2**(attempts-1) seconds, up to MAX_ATTEMPTS; a permanent one (5xx, refused sign-in,
refused recipients, no sender set) fails at once. `resend(id)` puts any row back to queued by hand.

A row left "sending" by a process that was killed mid-send may or may not have reached the server; it is
marked failed with that reason rather than sent again (a client never gets two confirmations). So is a message
whose end-of-DATA answer never came (the server may have taken it). The operator sees them in the Outbox and
offers them again in one step: `resend_interrupted()` (the Outbox's "Resend interrupted" button).

Sending is a policy on the work queue (`xsc_desktop.workqueue`): the claim is the UPDATE above, the side effect
one SMTP transaction, the settlement sent / queued with back-off / failed.

SMTP settings: smtp.host/port/security (none|starttls|ssl)/user/password (a secret)/from/reply_to/timeout, and
smtp.data_timeout: how long the final answer after the message may take (RFC 5321 allows the server 10 minutes).
The password never reaches a log line, an error reason or a message.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from peewee import IntegrityError

from parsers.fields import EMAIL_RE
from xsc_desktop import activity, events, jobs, settings, workqueue
from xsc_desktop.clock import naive_utc
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Email, database, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = 60.0  # seconds before the second attempt; doubles each time
BACKOFF = workqueue.Backoff(RETRY_BASE, MAX_ATTEMPTS)
DATA_TIMEOUT = 600.0  # RFC 5321 4.5.3.2.6: the client waits up to 10 minutes for the answer to the message
INTERRUPTED = ("Sending was interrupted when the app stopped; the message may or may not have gone out. "
               "Check with the recipient and resend by hand if needed.")
MAYBE_SENT = "may have taken the message"  # in the reason of a message whose final answer never came

CONFIRMATION_PLACEHOLDERS: dict[str, str] = {
    "client": "the client's name",
    "lander": "the lander's name",
    "lander_url": "the lander's web address",
    "campaign": "the campaign",
    "intake_system": "the client's intake system (or the parser's name)",
    "sent_at": "when the test lead was sent (UTC)",
    "test_ref": "the test lead's reference",
    "remote_id": "the id the client's system gave the test lead",
}
PREVIEW_VALUES: dict[str, str] = {
    "client": "Smith & Partners", "lander": "Auto Accident TX", "lander_url": "https://example.com/auto-tx",
    "campaign": "Auto Accident", "intake_system": "Lead Docket", "sent_at": "2026-11-28 08:03 UTC",
    "test_ref": "XSC-TEST-42-20261128", "remote_id": "123456",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# ---- templates --------------------------------------------------------------------------------------------------
def fill(template: str, values: Mapping[str, Any]) -> str:
    """`template` with each {name} replaced by its value; unknown names and stray braces stay as written."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def unknown_placeholders(template: str) -> list[str]:
    """The {names} in a template that the confirmation does not know (shown as a warning in Settings)."""
    return [n for n in dict.fromkeys(_PLACEHOLDER.findall(template)) if n not in CONFIRMATION_PLACEHOLDERS]


def render_confirmation(values: Mapping[str, Any], subject_template: str | None = None,
                        body_template: str | None = None) -> tuple[str, str]:
    """The confirmation's subject and body from the Settings templates (or the ones given) and `values`."""
    subject_template = settings.get("mail.confirmation_subject") if subject_template is None else subject_template
    body_template = settings.get("mail.confirmation_body") if body_template is None else body_template
    subject = " ".join(fill(subject_template, values).split())  # one line, whatever the template held
    return subject, fill(body_template, values)


def preview_confirmation(subject_template: str | None = None, body_template: str | None = None) -> tuple[str, str]:
    """The confirmation rendered with made-up values, for the template preview in Settings."""
    return render_confirmation(PREVIEW_VALUES, subject_template, body_template)


# ---- the outbox -------------------------------------------------------------------------------------------------
def clean_recipients(to: str | Iterable[str]) -> list[str]:
    """Addresses from a list or a comma/semicolon-separated text, trimmed and unique; UserError when one is bad."""
    items = re.split(r"[,;\s]+", to) if isinstance(to, str) else list(to)
    out: list[str] = []
    for item in items:
        address = parseaddr(str(item).strip())[1] if item else ""
        if not address:
            continue
        if not EMAIL_RE.match(address):
            raise UserError(f"{item!r} is not an e-mail address; check the recipients.")
        if address.lower() not in (a.lower() for a in out):
            out.append(address)
    return out


def queue_email(*, kind: str, to: str | Iterable[str], subject: str, body: str, attachments: Iterable[str | Path] = (),
                dedupe_key: str | None = None) -> Email:
    """Write a message to the outbox (queued); with a dedupe key already used, the existing row is returned."""
    recipients = clean_recipients(to)
    if not recipients:
        raise UserError("The message has no recipient; add an e-mail address.")
    if dedupe_key:
        existing = Email.get_or_none(Email.dedupe_key == dedupe_key)
        if existing is not None:
            return existing
    try:
        with database.atomic():
            email = Email.create(dedupe_key=dedupe_key or None, kind=kind, to=recipients, subject=subject, body=body,
                                 attachments=[str(p) for p in attachments], state="queued", created_at=utcnow())
    except IntegrityError:  # another thread or process queued the same key a moment ago
        existing = Email.get_or_none(Email.dedupe_key == dedupe_key)
        if existing is None:
            raise
        return existing
    activity.record("email", email.id, "queued", to_state="queued", note=f"{kind} to {', '.join(recipients)}")
    events.publish(Topic.EMAIL_CHANGED, email_id=email.id, state="queued")
    return email


def resend(email_id: int) -> Email:
    """Put a message back in the queue by hand (a sent one is sent again: the operator asked for it)."""
    email = Email.get_or_none(Email.id == email_id)
    if email is None:
        raise UserError(f"There is no message {email_id} in the outbox.")
    if email.state == "sending":
        raise UserError("That message is being sent right now; wait a moment and look again.")
    old = email.state
    email.state, email.next_attempt_at, email.last_error, email.attempts = "queued", None, "", 0
    email.save()
    activity.record("email", email.id, "resend", from_state=old, to_state="queued")
    events.publish(Topic.EMAIL_CHANGED, email_id=email.id, state="queued")
    return email


def list_outbox(limit: int = 500, state: str | None = None) -> list[Email]:
    """The newest messages first."""
    query = Email.select().order_by(Email.created_at.desc(), Email.id.desc()).limit(limit)
    if state:
        query = query.where(Email.state == state)
    return list(query)


def email_json(email: Email) -> dict[str, Any]:
    """The documented JSON shape of `mail outbox --json` (bodies left out: see the Outbox page)."""
    return {"id": email.id, "kind": email.kind, "to": email.to, "subject": email.subject, "state": email.state,
            "attempts": email.attempts, "last_error": email.last_error, "dedupe_key": email.dedupe_key,
            "attachments": email.attachments,
            "created_at": email.created_at.isoformat() if email.created_at else None,
            "sent_at": email.sent_at.isoformat() if email.sent_at else None,
            "next_attempt_at": email.next_attempt_at.isoformat() if email.next_attempt_at else None}


# ---- sending ----------------------------------------------------------------------------------------------------
@dataclass
class SmtpConfig:
    """The SMTP settings read once per sending round (the password is kept out of repr)."""

    host: str
    port: int
    security: str
    user: str
    sender: str
    reply_to: str
    timeout: float
    password: str = ""
    data_timeout: float = DATA_TIMEOUT

    def __repr__(self) -> str:
        return f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"

    @classmethod
    def from_settings(cls) -> SmtpConfig:
        """Read smtp.* settings."""
        return cls(host=str(settings.get("smtp.host") or "").strip(), port=int(settings.get("smtp.port") or 0),
                   security=str(settings.get("smtp.security") or "none"), user=str(settings.get("smtp.user") or ""),
                   sender=str(settings.get("smtp.from") or "").strip(),
                   reply_to=str(settings.get("smtp.reply_to") or "").strip(),
                   timeout=float(settings.get("smtp.timeout") or 20), password=str(settings.get("smtp.password") or ""),
                   data_timeout=float(settings.get("smtp.data_timeout") or DATA_TIMEOUT))

    def problem(self) -> str:
        """Why nothing can be sent with these settings, or ""."""
        if not self.host:
            return "No SMTP server is set; fill in smtp.host in Settings."
        if not self.sender:
            return "No sender address is set; fill in smtp.from in Settings."
        return ""


class SendError(Exception):
    """One message could not be sent; `retryable` says whether trying later may help. The text holds no secret."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def _patient(base: type[smtplib.SMTP]) -> type[smtplib.SMTP]:
    """An SMTP client class that waits `data_timeout` for the answer to the message (not the short command
    timeout) and knows whether the message went out (`message_out`), so a lost answer is never a resend."""

    class Patient(base):  # type: ignore[misc, valid-type]
        data_timeout = DATA_TIMEOUT
        message_out = False
        _in_data = False

        def data(self, msg: Any) -> tuple[int, bytes]:
            self._in_data = True
            try:
                return super().data(msg)
            finally:
                self._in_data = False
                if self.sock is not None:
                    self.sock.settimeout(self.timeout)

        def send(self, s: Any) -> None:
            super().send(s)
            if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
                self.message_out = True
                if self.sock is not None:
                    self.sock.settimeout(self.data_timeout)

    return Patient


_SMTP = _patient(smtplib.SMTP)
_SMTP_SSL = _patient(smtplib.SMTP_SSL)


class _NoAuth(Exception):
    """The server offers no AUTH while smtp.user is set."""


class _Connection:
    """One SMTP session reused for a round of messages."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        return self._open_checked()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        smtp: smtplib.SMTP | None = None
        try:
            if c.security == "ssl":
                smtp = _SMTP_SSL(c.host, c.port or 465, timeout=c.timeout, context=ssl.create_default_context())
            else:
                smtp = _SMTP(c.host, c.port or 25, timeout=c.timeout)
                if c.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            smtp.data_timeout = max(c.data_timeout, c.timeout)
            if c.user:
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("auth"):
                    raise _NoAuth
                smtp.login(c.user, c.password)
        except BaseException:
            if smtp is not None:
                smtp.close()
            raise
        self.smtp = smtp
        return smtp

    def _open_checked(self) -> smtplib.SMTP:
        c = self.config
        try:
            return self._connect()
        except _NoAuth:
            raise SendError(f"The SMTP server {c.host}:{c.port} does not offer sign-in (AUTH); clear smtp.user to "
                            "send without signing in, or use the server's submission port (often 587 with "
                            "starttls).", retryable=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"The SMTP server refused the sign-in for {c.user} ({_smtp_text(exc)}); check smtp.user "
                            "and smtp.password.", retryable=False) from None
        except smtplib.SMTPNotSupportedError:
            raise SendError(f"The SMTP server {c.host} does not offer STARTTLS; set smtp.security to ssl or none.",
                            retryable=False) from None
        except ssl.SSLError as exc:
            raise SendError(f"The secure connection to {c.host}:{c.port} failed ({exc.reason or exc}); check "
                            "smtp.security and smtp.port.", retryable=False) from None
        except smtplib.SMTPResponseException as exc:  # e.g. "554 No SMTP service here" instead of a greeting
            raise SendError(f"The SMTP server {c.host}:{c.port} refused to serve ({exc.smtp_code} {_smtp_text(exc)});"
                            " check smtp.host and smtp.port, or ask the server's owner.",
                            retryable=400 <= exc.smtp_code < 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            if _timed_out(exc):  # smtplib reports a silent server as "Connection unexpectedly closed: timed out"
                raise SendError(f"The SMTP server {c.host}:{c.port} did not answer in {c.timeout:g} s.",
                                retryable=True) from None
            raise SendError(f"Could not reach the SMTP server {c.host}:{c.port} ({_plain(exc)}).",
                            retryable=True) from None

    def send(self, message: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        """Send one message; returns the recipients the server refused when it took the others. When the message
        went out but its answer did not come back, the failure is final: the server may have taken it."""
        smtp = self.open()
        smtp.message_out = False
        try:
            refused = smtp.send_message(message, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            detail = "; ".join(f"{addr}: {code} {_bytes_text(text)}" for addr, (code, text) in exc.recipients.items())
            raise SendError(f"The SMTP server refused every recipient ({detail}).",
                            retryable=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise SendError(f"The SMTP server answered {exc.smtp_code} ({_smtp_text(exc)}).",
                            retryable=400 <= exc.smtp_code < 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            if smtp.message_out:
                how = (f"gave no answer within {smtp.data_timeout:g} s" if _timed_out(exc)
                       else "closed the connection before answering")
                raise SendError(f"The SMTP server {MAYBE_SENT} but {how}; it may or may not have gone out. Check "
                                "with the recipient and resend by hand if needed.", retryable=False) from None
            if isinstance(exc, smtplib.SMTPServerDisconnected) and str(exc) == "Server not connected":
                if _timed_out(exc):
                    raise SendError(f"The SMTP server stopped taking the message for {smtp.timeout:g} s (it did not "
                                    "get all of it); it is tried again later.", retryable=True) from None
                raise SendError("The SMTP server closed the connection while the message was being sent (it did not "
                                "get all of it); it is tried again later.", retryable=True) from None
            raise SendError(f"The connection to the SMTP server broke ({_plain(exc)}).", retryable=True) from None
        return dict(refused or {})

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # the server went away already; nothing to tidy
                smtp.close()


def _timed_out(exc: BaseException) -> bool:
    """Whether `exc` is, or was raised while handling, a socket timeout."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _bytes_text(text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(text.split())[:200]


def _smtp_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return " ".join(text.split())[:200]


def _plain(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def build_message(email: Email, config: SmtpConfig) -> EmailMessage:
    """The MIME message of an outbox row (attachments read from their files)."""
    message = EmailMessage()
    message["From"] = config.sender if "<" in config.sender else formataddr(("XSC Desktop", config.sender))
    message["To"] = ", ".join(email.to)
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(config.sender)[1].partition("@")[2] or "xsc-desktop.local"
    message["Message-ID"] = make_msgid(idstring=f"xsc{email.id}", domain=domain)
    if email.dedupe_key:
        message["X-XSC-Dedupe-Key"] = email.dedupe_key
    message.set_content(email.body)
    for name in email.attachments or []:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SendError(f"The attachment {path.name} cannot be read ({exc.strerror or exc}); it may have been "
                            "moved.", retryable=False) from None
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return message


@dataclass
class SendSummary:
    """What one sending round did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped_reason: str = ""

    def line(self) -> str:
        """One line for logs and job details."""
        if self.skipped_reason:
            return self.skipped_reason
        return f"{self.sent} sent, {self.failed} failed, {self.retrying} to retry"


def recover_interrupted() -> int:
    """Rows left "sending" by a sender that died: failed with the reason (call with the outbox lock held)."""
    ids = workqueue.recover(Email, Email.state, "sending", "failed", owner=Email.claimed_by, kind="outbox",
                            last_error=INTERRUPTED)
    for email_id in ids:
        activity.record("email", email_id, "interrupted", from_state="sending", to_state="failed")
        events.publish(Topic.EMAIL_CHANGED, email_id=email_id, state="failed")
    if ids:
        offer_interrupted(list(Email.select().where(Email.id.in_(ids)).order_by(Email.id)))
    return len(ids)


def offer_interrupted(emails: list[Email], why: str = "stopped mid-send") -> None:
    """A notification (tray, or the in-app list) naming messages that may or may not have gone out; a click on it
    sends them again (`resend_interrupted_now`)."""
    if not emails:
        return
    if len(emails) == 1:
        what = f"\"{emails[0].subject}\" to {', '.join(emails[0].to)}"
        title = "Confirmation e-mail interrupted" if emails[0].kind == "confirmation" else "E-mail interrupted"
    else:
        what, title = f"{len(emails)} e-mails", "E-mails interrupted"
    events.notify(title, f"{what} {why} and may or may not have reached the recipient.", "warning",
                  resend_emails=[e.id for e in emails])


def resend_interrupted_now(email_ids: Iterable[int]) -> SendSummary:
    """Send these interrupted messages again now (the operator's one click); a message no longer interrupted (sent
    again already, or resent by hand) is left alone, so a second click sends nothing."""
    ids = resend_interrupted(email_ids)
    if not ids:
        return SendSummary(skipped_reason="nothing to send again: the message was sent again already")
    return send_pending(only_ids=ids, wait=True)


def is_interrupted(state: str, last_error: str) -> bool:
    """Whether a message in this state with this reason is one `resend_interrupted` offers again."""
    return state == "failed" and (last_error == INTERRUPTED or MAYBE_SENT in (last_error or ""))


def interrupted(limit: int = 500) -> list[Email]:
    """Failed messages that may or may not have gone out (the app stopped mid-send, or the server's answer to the
    message never came): the ones offered for resend in one step."""
    return list(Email.select().where((Email.state == "failed") & (
        (Email.last_error == INTERRUPTED) | Email.last_error.contains(MAYBE_SENT))).order_by(Email.id).limit(limit))


def resend_interrupted(email_ids: Iterable[int] | None = None) -> list[int]:
    """Put the interrupted messages (all, or those of `email_ids`) back in the queue; returns their ids. The
    operator checked (or accepts) that the recipient may get one twice."""
    wanted = None if email_ids is None else set(email_ids)
    again = []
    for email in interrupted(limit=10_000):
        if wanted is not None and email.id not in wanted:
            continue
        if workqueue.claim(Email, email.id, Email.state, "failed", "queued", next_attempt_at=None, last_error="",
                           attempts=0):
            activity.record("email", email.id, "resend", from_state="failed", to_state="queued",
                            note="interrupted message offered again")
            events.publish(Topic.EMAIL_CHANGED, email_id=email.id, state="queued")
            again.append(email.id)
    return again


class _Outbox:
    """The outbox as a work-queue policy: claim queued → sending, send over one SMTP connection per round,
    settle sent / queued again with back-off / failed."""

    def __init__(self, config: SmtpConfig, problem: str, now: datetime) -> None:
        self.config, self.problem, self.now = config, problem, now
        self.outcomes: dict[int, str] = {}

    def host(self, email_id: int) -> str:
        return self.config.host

    def worker(self) -> contextlib.closing[_Connection]:
        return contextlib.closing(_Connection(self.config))

    def prepare(self, email_id: int) -> None:
        return None

    def claim(self, email_id: int) -> Email | None:
        if not workqueue.claim(Email, email_id, Email.state, "queued", "sending", attempts=Email.attempts + 1,
                               claimed_by=workqueue.OWNER):
            self.outcomes[email_id] = "gone"  # another sender took it
            return None
        return Email.get_by_id(email_id)

    def send(self, email_id: int, email: Email, connection: _Connection) -> dict[str, Any] | SendError:
        events.publish(Topic.EMAIL_CHANGED, email_id=email.id, state="sending")
        try:
            if self.problem:
                raise SendError(self.problem, retryable=False)
            return connection.send(build_message(email, self.config), list(email.to))
        except SendError as exc:
            return exc

    def settle(self, email_id: int, email: Email, answer: dict[str, Any] | SendError) -> workqueue.Step:
        if isinstance(answer, SendError):
            return self._not_sent(email, answer)
        # Sent to the others: the row is sent (resending would duplicate theirs); the refused addresses its reason.
        refusal = ""
        if answer:
            refusal = ("Sent, but the SMTP server refused " + "; ".join(
                f"{address} ({code} {_bytes_text(text)})" for address, (code, text) in answer.items())
                + "; check those addresses.")
        email.state, email.sent_at, email.last_error, email.next_attempt_at = "sent", utcnow(), refusal, None
        self.outcomes[email_id] = "sent"

        def after() -> None:
            log.info("E-mail %s (%s) sent to %s", email.id, email.kind,
                     ", ".join(a for a in email.to if a not in answer))
            events.publish(Topic.EMAIL_CHANGED, email_id=email.id, state="sent", reason=refusal)
            if refusal:
                log.warning("E-mail %s (%s): %s", email.id, email.kind, refusal)
                events.notify("E-mail partly refused", f"{email.subject}: {refusal}", "warning")

        return workqueue.Step(self._saver(email, "sent", refusal), after=after)

    def _not_sent(self, email: Email, exc: SendError) -> workqueue.Step:
        reason = _masked(exc.reason, self.config)
        last_try = not exc.retryable or not BACKOFF.allows(email.attempts)
        email.last_error = reason
        if last_try:
            email.state, email.next_attempt_at = "failed", None
        else:
            email.state = "queued"
            email.next_attempt_at = self.now + timedelta(seconds=BACKOFF.delay(email.attempts))
        self.outcomes[email.id] = "failed" if last_try else "retry"

        def after() -> None:
            log.warning("E-mail %s (%s) attempt %s failed: %s", email.id, email.kind, email.attempts, reason)
            events.publish(Topic.EMAIL_CHANGED, email_id=email.id, state=email.state, reason=reason)
            if last_try and is_interrupted(email.state, reason):
                offer_interrupted([email], "got no answer from the SMTP server in time")
            elif last_try:
                events.notify("E-mail not sent", f"{email.subject} to {', '.join(email.to)}: {reason}", "error")

        return workqueue.Step(self._saver(email, "send failed", reason), after=after)

    @staticmethod
    def _saver(email: Email, action: str, note: str) -> Any:
        def save() -> None:
            email.save()
            activity.record("email", email.id, action, from_state="sending", to_state=email.state, note=note)

        return save

    def failed(self, email_id: int, exc: Exception) -> workqueue.Step:
        email = Email.get_by_id(email_id)
        return self._not_sent(email, SendError(f"The message could not be sent ({type(exc).__name__}).", False))

    def finished(self, email_id: int) -> None:
        """Counted in `outcomes`."""


def _send(ids: list[int], config: SmtpConfig, problem: str, now: datetime) -> dict[int, str]:
    """Send `ids` in order on one connection (call holding the outbox lock); each one's outcome."""
    outbox = _Outbox(config, problem, now)
    workqueue.run(ids, outbox, per_host=1, stop=jobs.current_stop_event())
    return outbox.outcomes


def send_pending(now: datetime | None = None, *, only_ids: Iterable[int] | None = None,
                 config: SmtpConfig | None = None, wait: bool = False) -> SendSummary:
    """Send the queued messages that are due (all of them, or `only_ids`); returns the counts.

    Another sender at work (the outbox job, another process) makes this return at once, unless `wait`.
    """
    now_naive = naive_utc(now)
    summary = SendSummary()
    with workqueue.working("outbox", blocking=wait) as got:
        if not got:
            summary.skipped_reason = "another sender is working on the outbox"
            return summary
        recover_interrupted()
        query = Email.select(Email.id).where((Email.state == "queued") & (
            Email.next_attempt_at.is_null() | (Email.next_attempt_at <= now_naive))).order_by(Email.id)
        if only_ids is not None:
            query = query.where(Email.id.in_(list(only_ids)))
        ids = [row.id for row in query]
        if not ids:
            return summary
        config = config or SmtpConfig.from_settings()
        for outcome in _send(ids, config, config.problem(), now_naive).values():
            if outcome == "sent":
                summary.sent += 1
            elif outcome == "failed":
                summary.failed += 1
            elif outcome == "retry":
                summary.retrying += 1
    return summary


def _masked(text: str, config: SmtpConfig) -> str:
    if config.password and config.password in text:
        text = text.replace(config.password, settings.MASK)
    return text


def send_test(to: str) -> Email:
    """Queue and send one test message now; returns the sent row, or UserError saying what went wrong."""
    recipients = clean_recipients(to)
    if not recipients:
        raise UserError("Give an address to send the test e-mail to.")
    config = SmtpConfig.from_settings()
    if config.problem():
        raise UserError(config.problem())
    stamp = utcnow().strftime("%Y-%m-%d %H:%M:%S UTC")
    email = queue_email(kind="test", to=recipients, subject=f"XSC Desktop test e-mail ({stamp})",
                        body=f"This is a test e-mail from XSC Desktop, sent {stamp} through {config.host}:{config.port} "
                             f"({config.security}).\nIf you can read it, the SMTP settings work.\n")
    with workqueue.working("outbox", blocking=True):
        _send([email.id], config, "", utcnow())
    email = Email.get_by_id(email.id)
    if email.state != "sent":
        if email.state == "queued":  # a transient failure: do not leave a test message retrying on its own
            email.state, email.next_attempt_at = "failed", None
            email.save()
        raise UserError(f"The test e-mail was not sent: {email.last_error}")
    return email
