"""A small world for lead tests: a lander wired to a JSON parser posting to a local endpoint, and leads in it.

    integration = wire_lander(url, idempotent=True, max_attempts=3, backoff=10)
    ids = add_leads(integration.lander_id, 5)
"""

from __future__ import annotations

from datetime import datetime

from parsers.presets import preset
from xsc_desktop.models import Campaign, Client, Integration, Lander, Parser, Secret

API_KEY = "sk-live-9f8e7d6c5b4a"


def wire_lander(url: str, *, name: str = "Auto lander", idempotent: bool = True, max_attempts: int = 3,
                backoff: float = 10.0, timeout: float = 5.0, with_secret: bool = True) -> Integration:
    """A client, campaign, lander, parser (generic JSON preset) and integration posting to `url`."""
    client, _ = Client.get_or_create(name="Smith & Wesson Law")
    campaign, _ = Campaign.get_or_create(client=client, name="Auto accident")
    lander = Lander.create(campaign=campaign, name=name, url=f"https://landers.example/{name.replace(' ', '-')}",
                           status="integrated")
    spec = preset("generic_json").to_dict()
    spec["name"] = f"parser for {name}"
    spec["retry"] = {"max_attempts": max_attempts, "backoff_base": backoff, "idempotent": idempotent}
    spec["timeout"] = timeout
    if with_secret:
        spec["static"] = list(spec.get("static") or []) + [
            {"name": "api_key", "value": "", "secret": True, "location": "body"}]
    parser = Parser.create(name=spec["name"], preset="generic_json", spec=spec)
    integration = Integration.create(lander=lander, parser=parser, settings={"endpoint": url})
    if with_secret:
        Secret.create(scope=f"integration:{integration.id}", name="api_key", value=API_KEY)
    return integration


def add_leads(lander_id: int, count: int, *, start: int = 0, now: datetime | None = None) -> list[int]:
    """`count` deliverable leads for the lander (external ids E<start>...); returns their ids in order."""
    from xsc_desktop.leads import ImportReport, import_rows
    from xsc_desktop.models import Lead

    rows = [(n + 1, {"Lead ID": f"E{n:06d}", "First Name": "Ana", "Last Name": f"Test{n}",
                     "Email": f"ana{n}@example.com", "Phone": f"(214) 555-{n % 10000:04d}", "State": "Texas"})
            for n in range(start, start + count)]
    mapping = {"Lead ID": "lead_id", "First Name": "first_name", "Last Name": "last_name", "Email": "email",
               "Phone": "phone", "State": "state"}
    import_rows(lander_id, iter(rows), mapping, ImportReport(file="test", lander_id=lander_id), now=now)
    ids = [f"E{n:06d}" for n in range(start, start + count)]
    return [lead.id for lead in Lead.select().where((Lead.lander == lander_id) & Lead.external_id.in_(ids))
            .order_by(Lead.id)]
