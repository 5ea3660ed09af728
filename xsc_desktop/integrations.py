"""A lander wired to a parser: the parser, the per-lander settings, the secrets (kept apart), the sample lead.

    integrations.set_integration(lander_id, parser="Captorra", settings={"CaptorraId": "310775"},
                                 secrets={"api_key": "..."}, sample_lead={...})
    integration = integrations.get_integration(lander_id)       # Integration row or None
    spec = integrations.spec_for(integration)                   # the parser's ParserSpec
    secrets = integrations.secrets_for(integration)             # {name: value}: render with them, never print them
    integrations.missing_info(lander)     # ["no posting doc", "no parser", "CaptorraId is empty",
                                          #  "no client contact for the confirmation"] or [] when ready to test
    integrations.view(lander_id)          # the masked, JSON-ready picture (`integrations show --json`)

Secrets are kept through `xsc_desktop.secrets` (sealed: never plain text in the database) under scope
"integration:<integration id>"; the parser's own secrets (scope "parser:<name>", see parsers_store) are merged
beneath them. A secret this copy of the app cannot read (no key, keyring locked) raises SecretUnavailable from
`secrets_for` with one sentence; masks and `missing_info` need no value and keep working. Settings are plain values in
Integration.settings. Choosing a preset as the parser saves a copy of it named "<client> (<preset>)" (presets
are read-only), so the lander's parser can later be edited without touching other clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xsc_desktop import activity, events, rowversion
from xsc_desktop import secrets as secret_store
from xsc_desktop.db import write_transaction
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Integration, Lander, Parser, PostingDoc, utcnow
from xsc_desktop.settings import MASK

NO_POSTING_DOC = "no posting doc"
NO_PARSER = "no parser"
NO_CONTACT = "no client contact for the confirmation"


def secret_scope(integration: Integration | int) -> str:
    """The Secret.scope of an integration's secrets."""
    return f"integration:{integration if isinstance(integration, int) else integration.id}"


def _lander(lander: Lander | int) -> Lander:
    # Always read afresh: a row held by the caller may carry a stale client (contacts changed since).
    from xsc_desktop.landers import get_lander

    return get_lander(lander.id if isinstance(lander, Lander) else lander)


def get_integration(lander: Lander | int) -> Integration | None:
    """The lander's integration row, or None."""
    lander_id = lander.id if isinstance(lander, Lander) else lander
    return (Integration.select(Integration, Parser).join(Parser)
            .where(Integration.lander == lander_id).first())


def _saved_parser_for(name: str, lander: Lander) -> Parser:
    """The saved Parser row for `name`; a preset name saves a copy for the lander's client first."""
    from parsers.presets import is_preset
    from xsc_desktop import parsers_store

    row = Parser.get_or_none(Parser.name == name)
    if row is not None:
        return row
    if not is_preset(name):
        parsers_store.get_parser(name)  # raises the plain "there is no parser called ..." error
    from parsers.spec import preset_label

    copy_name = f"{lander.campaign.client.name} ({preset_label(name)})"
    row = Parser.get_or_none(Parser.name == copy_name)
    if row is None:
        parsers_store.duplicate(name, copy_name)
        row = Parser.get(Parser.name == copy_name)
    return row


def set_integration(lander: Lander | int, *, parser: str | None = None, settings: dict[str, Any] | None = None,
                    secrets: dict[str, str] | None = None, sample_lead: dict[str, Any] | None = None,
                    replace_settings: bool = False, expected_version: int | None = None) -> Integration:
    """Create or change the lander's integration; settings merge into the existing ones unless `replace_settings`.
    `expected_version` is the integration's row version the editor started from: an integration someone else
    saved since is not overwritten (rowversion.ChangedElsewhere).

    An empty secret value forgets that secret. Secrets are sealed by `xsc_desktop.secrets`; the activity note
    names what changed, never a value.
    """
    changes: list[str] = []
    with write_transaction():
        lander = _lander(lander)
        integration = get_integration(lander)
        if integration is None and not parser:
            raise UserError(f"Lander {lander.id} has no integration yet; give a parser with --parser NAME.")
        if integration is not None:
            rowversion.check(integration, expected_version, "integration")
        stamp = utcnow()
        if parser:
            row = _saved_parser_for(parser.strip(), lander)
            if integration is None:
                integration = Integration.create(lander=lander, parser=row, settings={}, created_at=stamp,
                                                 updated_at=stamp, **rowversion.stamp())
                changes.append(f"parser {row.name}")
            elif integration.parser_id != row.id:
                integration.parser = row
                changes.append(f"parser {row.name}")
        assert integration is not None
        if settings is not None:
            clean = {str(k).strip(): ("" if v is None else v) for k, v in settings.items() if str(k).strip()}
            merged = clean if replace_settings else {**(integration.settings or {}), **clean}
            if merged != (integration.settings or {}):
                integration.settings = merged
                changes.append("settings " + (", ".join(sorted(clean)) or "cleared"))
        secret_changes = [str(n).strip() for n in (secrets or {}) if str(n).strip()]
        if changes or secret_changes or sample_lead is not None:
            integration.updated_at = stamp
            rowversion.save(integration, "integration", expected_version)
        for name, value in (secrets or {}).items():
            name = str(name).strip()
            if not name:
                continue
            secret_store.put(secret_scope(integration), name, str(value) if value else "")
            changes.append(f"secret {name} {'set' if value else 'forgotten'}")
        if sample_lead is not None:
            if not isinstance(sample_lead, dict):
                raise UserError("A sample lead must be a JSON object of field: value.")
            lander.sample_lead = sample_lead or None
            lander.updated_at = stamp
            rowversion.save(lander, "lander")
            changes.append("sample lead")
        if changes:
            activity.record("integration", integration.id, "changed", note="; ".join(changes))
    if changes:
        events.publish(Topic.LANDER_CHANGED, lander_id=lander.id)
    return integration


def spec_for(integration: Integration):  # -> parsers.spec.ParserSpec
    """The parser spec of an integration (its saved parser, read fresh)."""
    from parsers.spec import ParserSpec, SpecError

    parser = Parser.get_by_id(integration.parser_id)
    try:
        return ParserSpec.from_dict(parser.spec)
    except SpecError as exc:
        raise UserError(f"The parser {parser.name} cannot be read ({exc}); fix it on the Parsers page.") from None


def secrets_for(integration: Integration) -> dict[str, str]:
    """The secrets to render with: the parser's own, overridden by the integration's. Never print them.

    SecretUnavailable (a UserError) says in one sentence when one of them cannot be read here."""
    from xsc_desktop import parsers_store

    parser = Parser.get_by_id(integration.parser_id)
    values = dict(parsers_store.parser_secrets(parser.name))
    values.update(secret_store.read(secret_scope(integration)))
    return values


def secret_names(integration: Integration) -> list[str]:
    """The names of the secrets set for an integration (its parser's and its own), without reading a value."""
    from xsc_desktop import parsers_store

    parser = Parser.get_by_id(integration.parser_id)
    return sorted(set(parsers_store.parser_secret_names(parser.name)) | set(secret_store.names(secret_scope(integration))))


def secrets_problem(integration: Integration) -> str:
    """Why the integration's secrets cannot be read here (one sentence), or "" when they can."""
    try:
        secrets_for(integration)
    except secret_store.SecretUnavailable as exc:
        return str(exc)
    return ""


def held_by_secrets() -> list[str]:
    """One sentence per active integration whose leads wait because a secret cannot be read here."""
    out = []
    for integration in Integration.select().where(Integration.active == True):  # noqa: E712
        problem = secrets_problem(integration)
        if problem:
            out.append(f"Integration {integration.id} holds its leads. {problem}")
    return out


def settings_for(integration: Integration) -> dict[str, Any]:
    """The integration's settings as rendering takes them."""
    return dict(integration.settings or {})


def has_posting_doc(lander: Lander) -> bool:
    """Whether a posting doc is stored for the lander."""
    return PostingDoc.select(PostingDoc.id).where((PostingDoc.lander == lander.id)
                                                  & (PostingDoc.kind != "summary")).exists()


def missing_info(lander: Lander | int) -> list[str]:
    """What keeps the lander from being tested, in the operators' words; [] when everything is there."""
    from parsers.spec import errors, missing_settings

    lander = _lander(lander)
    missing: list[str] = []
    integration = get_integration(lander)
    if integration is None:
        if not has_posting_doc(lander):
            missing.append(NO_POSTING_DOC)
        missing.append(NO_PARSER)
    else:
        try:
            spec = spec_for(integration)
        except UserError as exc:
            missing.append(str(exc))
        else:
            problems = errors(spec)
            if problems:
                missing.append(f"the parser {integration.parser.name} has a problem: {problems[0]}")
            present = dict.fromkeys(secret_names(integration), MASK)
            for name in missing_settings(spec, settings_for(integration), present):
                missing.append(f"{name} is empty")
            problem = secrets_problem(integration)
            if problem:
                missing.append(problem)
    if not lander.campaign.client.contacts:
        missing.append(NO_CONTACT)
    return missing


@dataclass
class IntegrationView:
    """An integration as people and `integrations show` see it: secrets masked."""

    lander_id: int
    lander: str
    client: str
    integration_id: int | None = None
    parser: str = ""
    preset: str = ""
    system: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    settings_needed: list[str] = field(default_factory=list)
    secrets_needed: list[str] = field(default_factory=list)
    sample_lead: dict[str, Any] | None = None
    active: bool = False
    paused: bool = False
    missing: list[str] = field(default_factory=list)
    row_version: int | None = None  # what the dialog passes back when it saves (not part of the JSON)

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape of `integrations show --json`."""
        return {"lander_id": self.lander_id, "lander": self.lander, "client": self.client,
                "integration_id": self.integration_id, "parser": self.parser, "preset": self.preset,
                "system": self.system, "settings": self.settings, "secrets": self.secrets,
                "settings_needed": self.settings_needed, "secrets_needed": self.secrets_needed,
                "sample_lead": self.sample_lead, "active": self.active, "paused": self.paused,
                "missing": self.missing}


def masked_secrets(integration: Integration) -> dict[str, str]:
    """Each secret name with a mask (empty text when the secret is empty)."""
    return dict.fromkeys(secret_names(integration), MASK)


def view(lander: Lander | int) -> IntegrationView:
    """The masked picture of the lander's integration (also for a lander without one)."""
    from parsers.spec import secrets_needed, settings_needed

    lander = _lander(lander)
    out = IntegrationView(lander_id=lander.id, lander=lander.name, client=lander.campaign.client.name,
                          sample_lead=lander.sample_lead, missing=missing_info(lander))
    integration = get_integration(lander)
    if integration is None:
        return out
    parser = Parser.get_by_id(integration.parser_id)
    out.integration_id, out.parser, out.preset, out.system = integration.id, parser.name, parser.preset, parser.system
    out.settings = settings_for(integration)
    out.secrets = masked_secrets(integration)
    out.active, out.paused = bool(integration.active), bool(integration.paused)
    out.row_version = integration.row_version
    try:
        spec = spec_for(integration)
        out.settings_needed, out.secrets_needed = settings_needed(spec), secrets_needed(spec)
        for name in out.secrets_needed:
            out.secrets.setdefault(name, "")
    except UserError:
        pass
    return out
