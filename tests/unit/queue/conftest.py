"""Fixtures for the queue tests: landers with clients, integrations on a local endpoint (`endpoint` and
`smtp_server` come from tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_lander(ctx):
    """make_lander(name, status="ready", contacts=[...], flags=[...], new_client=False, client="Smith Law")."""
    from xsc_desktop import clients, landers
    from xsc_desktop.models import Client

    counter = iter(range(1, 10_000))

    def make(name="Auto TX", *, status="ready", contacts=("intake@smith.example",), flags=(), new_client=False,
             client="Smith Law", campaign="Auto Accident"):
        n = next(counter)
        lander = landers.add_lander(client=client, campaign=campaign, name=name, url=f"https://lp.example/{n}",
                                    status=status, flags=list(flags), new_client=new_client)
        c = Client.get(Client.name == client)
        if contacts is not None:
            clients.set_client(c.id, contacts=list(contacts))
        return lander

    return make


@pytest.fixture
def integrate(ctx):
    """integrate(lander, endpoint_url, **spec_changes): wire the lander to a generic JSON parser posting there."""
    from parsers.presets import preset
    from xsc_desktop import integrations, parsers_store

    def wire(lander, url, *, parser_name=None, backoff=0.01, max_attempts=3, timeout=5.0, secrets=None, **changes):
        name = parser_name or f"Test JSON {lander.id}"
        spec = preset("generic_json")
        spec.name = name
        spec.retry.backoff_base = backoff
        spec.retry.max_attempts = max_attempts
        spec.timeout = timeout
        for key, value in changes.items():
            setattr(spec, key, value)
        parsers_store.save_parser(spec)
        return integrations.set_integration(lander.id, parser=name, settings={"endpoint": url}, secrets=secrets)

    return wire
