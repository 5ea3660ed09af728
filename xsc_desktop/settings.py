"""Typed settings with their defaults in one place, stored in the database (secrets sealed by xsc_desktop.secrets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from xsc_desktop import secrets as secret_store
from xsc_desktop.clock import parse_hhmm  # the one HH:MM reader
from xsc_desktop.errors import UserError
from xsc_desktop.models import Setting

MASK = "••••••••"


@dataclass(frozen=True)
class SettingDef:
    """A setting's key, type, default, one-line help and, for choices, the allowed values."""

    key: str
    kind: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    secret: bool = False
    time_of_day: bool = False  # text written HH:MM (checked by parse_hhmm, stored as "09:05")
    this_machine: bool = False  # kept in the data dir, not in the (possibly shared) database: one per operator


DEFAULT_CONFIRMATION_SUBJECT = "Integration confirmed: {lander} ({campaign})"
DEFAULT_CONFIRMATION_BODY = """Hello {client},

Your lander "{lander}" for the {campaign} campaign is now integrated with {intake_system}.

We sent a clearly labelled test lead on {sent_at}; your system accepted it.
  Test lead reference: {test_ref}
  Your system's id for it: {remote_id}

Leads from {lander_url} will now reach you as they come in.
You may delete the test lead.

Best regards,
XSC integration team
"""

SETTINGS: tuple[SettingDef, ...] = (
    SettingDef("queue.gather_time", str, "15:00",
               "Local time the day's to-do list is gathered (HH:MM).", time_of_day=True),
    SettingDef("queue.run_time", str, "08:00",
               "Local time the integration queue runs (HH:MM).", time_of_day=True),
    SettingDef("queue.run_deadline", str, "09:00",
               "Local time by which the queue run must finish (HH:MM).", time_of_day=True),
    SettingDef("queue.per_host_limit", int, 2, "Queue tasks sent at once to one host."),
    SettingDef("jobs.catch_up", str, "run", "What to do with slots missed while the app was closed.",
               ("run", "ask", "skip")),
    SettingDef("jobs.paused", bool, False, "Whether the scheduler is paused."),
    SettingDef("reports.folder", str, "",
               "Folder reports are written to unless you choose another: on a shared database, a shared folder "
               "every operator and the daemon reach (empty: the reports folder in the data dir)."),
    SettingDef("reports.time_utc", str, "05:00",
               "UTC time spreadsheet reports activate (HH:MM).", time_of_day=True),
    SettingDef("delivery.per_host_limit", int, 4, "Lead posts sent at once to one host."),
    SettingDef("delivery.breaker_threshold", int, 5, "Consecutive errors or rejects that pause an integration."),
    SettingDef("delivery.duplicate_days", int, 0,
               "Flag a lead as duplicate when the same phone or e-mail reached the lander within this many days "
               "(0 turns the rule off)."),
    SettingDef("leads.records_only_after_hours", int, 24,
               "Imported leads captured longer ago than this many hours are kept for records only (not sent to the "
               "client) unless the import says to deliver them."),
    SettingDef("delivery.capped_expiry_hours", int, 72,
               "A lead waiting at its integration's cap longer than this many hours is rejected by rule instead of "
               "sent late (0 keeps it waiting)."),
    SettingDef("delivery.posts_per_minute", int, 60,
               "Posts a minute to an integration with delivery rules, unless its rules say otherwise, so the leads "
               "waiting for opening time do not burst past the client's rate limit (0: no pacing)."),
    SettingDef("delivery.interval_seconds", int, 60, "How often the scheduler delivers new leads and pulls feeds."),
    SettingDef("operator.name", str, "",
               "Your name as the Activity log and other operators see it (empty: your login name). Kept on this "
               "computer only.", this_machine=True),
    SettingDef("operator.email", str, "", "Where alerts for operators are e-mailed."),
    SettingDef("ui.close_to_tray", bool, True, "Closing the window keeps the app running in the tray."),
    SettingDef("smtp.host", str, "", "SMTP server host name."),
    SettingDef("smtp.port", int, 587, "SMTP server port."),
    SettingDef("smtp.security", str, "starttls", "SMTP connection security.", ("none", "starttls", "ssl")),
    SettingDef("smtp.user", str, "", "SMTP user name."),
    SettingDef("smtp.password", str, "", "SMTP password (kept as a secret).", secret=True),
    SettingDef("secrets.key_file", str, "",
               "A team key file every operator holds: secrets are encrypted with it, so all can read them "
               "(needed on a shared database)."),
    SettingDef("smtp.from", str, "", "Sender address of outgoing e-mail."),
    SettingDef("smtp.reply_to", str, "", "Reply-To address of outgoing e-mail."),
    SettingDef("smtp.timeout", int, 20, "Seconds to wait for the SMTP server."),
    SettingDef("smtp.data_timeout", int, 600,
               "Seconds to wait for the SMTP server's answer once a message is sent (the standard allows 10 minutes)."),
    SettingDef("mail.confirmation_subject", str, DEFAULT_CONFIRMATION_SUBJECT, "Subject of the confirmation e-mail."),
    SettingDef("mail.confirmation_body", str, DEFAULT_CONFIRMATION_BODY, "Body of the confirmation e-mail."),
    SettingDef("mail.confirmation_attach_summary", bool, True,
               "Attach the posting summary (a one-page PDF of what is sent) to the confirmation e-mail."),
)

DEFS: dict[str, SettingDef] = {d.key: d for d in SETTINGS}
SECRET_SCOPE = "settings"


def _definition(key: str) -> SettingDef:
    try:
        return DEFS[key]
    except KeyError:
        raise UserError(f"There is no setting called {key!r}; `xsc-desktop settings list` shows them all.") from None


def coerce(key: str, raw: Any) -> Any:
    """Turn a raw value (often text from the command line) into the setting's type, or say why not."""
    d = _definition(key)
    value: Any = raw
    if d.kind is bool and isinstance(raw, str):
        low = raw.strip().lower()
        if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise UserError(f"{key} takes yes or no, not {raw!r}.")
        value = low in {"1", "true", "yes", "on"}
    elif d.kind is int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise UserError(f"{key} takes a whole number, not {raw!r}.") from None
    elif d.kind is str:
        value = "" if raw is None else str(raw)
    if d.choices and value not in d.choices:
        raise UserError(f"{key} takes one of {', '.join(d.choices)}, not {raw!r}.")
    if d.time_of_day:
        parsed = parse_hhmm(value)
        if parsed is None:
            raise UserError(f"{key} takes a time of day as HH:MM (for example 09:00), not {raw!r}.")
        value = parsed.strftime("%H:%M")
    return value


def time_setting(key: str) -> time:
    """A time-of-day setting as a time; an unreadable stored value (written before it was checked) gives the
    setting's default."""
    d = _definition(key)
    parsed = parse_hhmm(get(key))
    return parsed if parsed is not None else parse_hhmm(d.default) or time(0, 0)


# Settings of this computer (operator.name): a small JSON file in the data dir, set by configure().
MACHINE_FILE = "this-computer.json"
_machine_file: Path | None = None
_machine_values: dict[str, Any] = {}


def configure(data_dir: Path) -> None:
    """Read this computer's own settings from the data dir (called when the database opens)."""
    global _machine_file, _machine_values
    _machine_file = Path(data_dir) / MACHINE_FILE
    try:
        loaded = json.loads(_machine_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        loaded = {}
    _machine_values = loaded if isinstance(loaded, dict) else {}
    _changed("operator.name")


def _set_machine(key: str, value: Any) -> None:
    _machine_values[key] = value
    if _machine_file is not None:
        _machine_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = _machine_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(_machine_values, indent=1, ensure_ascii=False), encoding="utf-8")
        temporary.replace(_machine_file)


def _changed(key: str) -> None:
    if key == "operator.name":
        from xsc_desktop import activity

        activity.forget_actor()


def get(key: str) -> Any:
    """The setting's value, or its default. A secret that cannot be read here raises SecretUnavailable (a
    UserError with one sentence), so nothing is sent with an empty password by mistake."""
    d = _definition(key)
    if d.this_machine:
        return _machine_values.get(key, d.default)
    if d.secret:
        value = secret_store.read_one(SECRET_SCOPE, key)
        return d.default if value is None else value
    row = Setting.get_or_none(Setting.key == key)
    return d.default if row is None else row.value


def for_form(key: str) -> Any:
    """The value a settings form shows and compares with: like get(), but a secret that cannot be read here is
    empty (saving the form unchanged then keeps the stored secret as it is)."""
    try:
        return get(key)
    except secret_store.SecretUnavailable:
        return ""


def unreadable_secrets() -> list[str]:
    """One sentence per secret setting that is set but cannot be read here."""
    out = []
    for d in SETTINGS:
        if d.secret:
            try:
                get(d.key)
            except secret_store.SecretUnavailable as exc:
                out.append(str(exc))
    return out


def set(key: str, value: Any) -> Any:  # the operators' verb
    """Store a setting after checking its type; returns the stored value (secrets sealed, an empty one forgotten)."""
    d = _definition(key)
    value = coerce(key, value)
    if d.this_machine:
        _set_machine(key, value.strip() if isinstance(value, str) else value)
        _changed(key)
    elif d.secret:
        secret_store.put(SECRET_SCOPE, key, value)
    else:
        Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key], preserve=[Setting.value]).execute()
    return value


def is_set(key: str) -> bool:
    """Whether a setting has a stored value (for a secret: without reading it)."""
    if _definition(key).this_machine:
        return key in _machine_values
    if _definition(key).secret:
        return key in secret_store.names(SECRET_SCOPE)
    return Setting.get_or_none(Setting.key == key) is not None


def shown(key: str) -> Any:
    """The value as it may be shown or printed: secrets masked (and never read)."""
    if _definition(key).secret:
        return MASK if is_set(key) else ""
    return get(key)


def all_shown() -> dict[str, Any]:
    """Every setting with its value, secrets masked."""
    return {d.key: shown(d.key) for d in SETTINGS}
