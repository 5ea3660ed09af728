"""The landers wired to a parser and their saved values, so the Parsers page previews and tests a parser with
the settings a real lander will send (its endpoint, its vendor id), not with stand-ins."""

from __future__ import annotations

from typing import Any

from xsc_desktop import integrations
from xsc_desktop.models import Campaign, Client, Integration, Lander, Parser


def landers_using(parser_name: str) -> list[tuple[int, str]]:
    """(lander id, "client — lander") of every lander whose integration uses the parser, by client and lander."""
    rows = (Integration.select(Lander.id, Lander.name, Client.name.alias("client"))
            .join(Parser, on=(Integration.parser == Parser.id)).switch(Integration)
            .join(Lander).join(Campaign).join(Client)
            .where(Parser.name == parser_name).order_by(Client.name, Lander.name).dicts())
    return [(r["id"], f"{r['client']} — {r['name']}") for r in rows]


def lander_values(lander_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The lander's saved settings and secrets (secrets: render with them, never show them)."""
    integration = integrations.get_integration(lander_id)
    if integration is None:
        return {}, {}
    return integrations.settings_for(integration), integrations.secrets_for(integration)
