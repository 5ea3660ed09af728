"""The client-facing confirmation e-mail: values in the client's words, and no line left with an empty value.

    values = confirmation.values_for(lander_id, system="lead_docket", sent_at=when, test_ref=ref, remote_id="")
    subject, body = confirmation.render(values)          # the Settings templates
    subject, body = confirmation.preview(lander_id, subject_tpl, body_tpl)   # as that lander's client gets it

A client reads this e-mail: it never carries our parser names ("Baker Injury Group (generic)"), preset ids
(lead_docket) or a placeholder filled with nothing ("Your system's id for it: (none given)"): a template line whose
placeholders are all empty is left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from parsers.spec import system_label
from xsc_desktop import mail, settings
from xsc_desktop.models import Campaign, Client, Lander

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
NO_SYSTEM = "your intake system"  # when neither the client nor the parser names a known system


def client_system(client_system_key: str | None, parser_system: str | None) -> str:
    """The intake system as the client knows it: the client's recorded system, else the parser's known system."""
    for key in (client_system_key, parser_system):
        if key and key != "generic":
            return system_label(key)
    return NO_SYSTEM


def sent_at_text(sent_at: datetime, zone_name: str | None) -> str:
    """When the test lead went out, on the client's clock when their zone is known (else UTC)."""
    aware = sent_at.replace(tzinfo=UTC) if sent_at.tzinfo is None else sent_at
    if zone_name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return aware.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M %Z")
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def values_for(lander_id: int, *, system: str | None, sent_at: datetime, test_ref: str,
               remote_id: str | None) -> dict[str, str]:
    """The confirmation's placeholder values for a lander, in the client's words."""
    lander = (Lander.select(Lander, Campaign, Client).join(Campaign).join(Client)
              .where(Lander.id == lander_id).get())
    client = lander.campaign.client
    return {"client": client.name, "lander": lander.name, "lander_url": lander.url,
            "campaign": lander.campaign.name, "intake_system": client_system(client.intake_system, system),
            "sent_at": sent_at_text(sent_at, client.time_zone), "test_ref": test_ref, "remote_id": remote_id or ""}


def drop_empty_lines(template: str, values: dict[str, Any]) -> str:
    """The template without the lines whose placeholders all have empty values."""
    kept = []
    for line in template.splitlines(keepends=True):
        names = [n for n in _PLACEHOLDER.findall(line) if n in values]
        if names and all(not str(values[n]).strip() for n in names):
            continue
        kept.append(line)
    return "".join(kept)


def render(values: dict[str, Any], subject_template: str | None = None,
           body_template: str | None = None) -> tuple[str, str]:
    """Subject and body from the Settings templates (or the ones given), empty-valued lines left out."""
    subject_template = settings.get("mail.confirmation_subject") if subject_template is None else subject_template
    body_template = settings.get("mail.confirmation_body") if body_template is None else body_template
    return mail.render_confirmation(values, drop_empty_lines(subject_template, values),
                                    drop_empty_lines(body_template, values))


def preview_values(lander_id: int | None) -> dict[str, str]:
    """The values a lander's client would get today (the integration's system, no id given back yet); None gives
    the made-up example."""
    if lander_id is None:
        return dict(mail.PREVIEW_VALUES)
    from xsc_desktop.integrations import get_integration, spec_for

    system = None
    integration = get_integration(lander_id)
    if integration is not None:
        try:
            system = spec_for(integration).system
        except Exception:  # a broken parser still previews, with the generic wording
            system = None
    return values_for(lander_id, system=system, sent_at=datetime.now(UTC), test_ref="XSC-TEST-PREVIEW", remote_id="")


def preview(lander_id: int | None, subject_template: str | None = None,
            body_template: str | None = None) -> tuple[str, str]:
    """The confirmation as `preview_values` fills it."""
    return render(preview_values(lander_id), subject_template, body_template)


def preview_landers() -> list[tuple[int, str]]:
    """(lander id, "client — lander") of every lander, for the preview's picker."""
    rows = (Lander.select(Lander.id, Lander.name, Client.name.alias("client")).join(Campaign).join(Client)
            .order_by(Client.name, Lander.name).dicts())
    return [(r["id"], f"{r['client']} — {r['name']}") for r in rows]
