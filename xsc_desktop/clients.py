"""Clients: the law firms, their contacts for confirmations and reports, and whether they are new."""

from __future__ import annotations

from peewee import fn

from parsers.fields import EMAIL_RE
from parsers.spec import system_label
from xsc_desktop import activity, events, rowversion
from xsc_desktop.db import write_transaction
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Campaign, Client, Lander


def check_emails(addresses: list[str]) -> list[str]:
    """The addresses trimmed and lower-cased, or UserError naming the first bad one."""
    clean: list[str] = []
    for address in addresses:
        address = address.strip().lower()
        if not EMAIL_RE.match(address):
            raise UserError(f"“{address}” is not an e-mail address; write it as name@example.com.")
        if address not in clean:
            clean.append(address)
    return clean


def add_client(name: str, contacts: list[str] | None = None, *, is_new: bool = False) -> Client:
    """Create a client, or UserError when one of that name exists."""
    name = name.strip()
    if not name:
        raise UserError("A client needs a name.")
    if Client.get_or_none(fn.lower(Client.name) == name.lower()):
        raise UserError(f"A client called {name} already exists; use `clients set` to change it.")
    client = Client.create(name=name, contacts=check_emails(contacts or []), is_new=is_new, **rowversion.stamp())
    activity.record("client", client.id, "created", note=name + (" (new client)" if is_new else ""))
    events.publish(Topic.LANDER_CHANGED, client_id=client.id)
    return client


def get_client(client_id: int) -> Client:
    """The client with that id, or UserError."""
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise UserError(f"There is no client {client_id}; `xsc-desktop clients list` shows their ids.")
    return client


def check_time_zone(name: str) -> str:
    """An IANA zone name as typed (trimmed), "" for none, or UserError."""
    name = name.strip()
    if not name:
        return ""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"{name} is not a time zone; write it as Region/City, for example America/Chicago.") from None
    return name


def set_client(client_id: int, *, contacts: list[str] | None = None, is_new: bool | None = None,
               intake_system: str | None = None, name: str | None = None, time_zone: str | None = None,
               expected_version: int | None = None) -> Client:
    """Change a client's name, contacts, new-client mark, intake system or time zone. `expected_version` is the
    row version the editor started from: a client someone else saved since is not overwritten
    (rowversion.ChangedElsewhere)."""
    with write_transaction():
        client, notes = _set_client(client_id, contacts=contacts, is_new=is_new, intake_system=intake_system,
                                    name=name, time_zone=time_zone, expected_version=expected_version)
    if notes:
        events.publish(Topic.LANDER_CHANGED, client_id=client.id)
    return client


def _set_client(client_id: int, *, contacts: list[str] | None, is_new: bool | None, intake_system: str | None,
                name: str | None, time_zone: str | None, expected_version: int | None) -> tuple[Client, list[str]]:
    client = get_client(client_id)
    rowversion.check(client, expected_version, "client")
    notes: list[str] = []
    if name is not None and name.strip() != client.name:
        name = name.strip()
        if not name:
            raise UserError("A client needs a name.")
        other = Client.get_or_none((fn.lower(Client.name) == name.lower()) & (Client.id != client.id))
        if other is not None:
            raise UserError(f"A client called {name} already exists; choose another name.")
        notes.append(f"renamed from {client.name}")
        client.name = name
    if time_zone is not None and (check_time_zone(time_zone) or None) != client.time_zone:
        client.time_zone = check_time_zone(time_zone) or None
        notes.append(f"time zone {client.time_zone or 'none'}")
    if contacts is not None and check_emails(contacts) != list(client.contacts or []):
        client.contacts = check_emails(contacts)
        notes.append(f"contacts {', '.join(client.contacts) or 'none'}")
    if is_new is not None and is_new != client.is_new:
        client.is_new = is_new
        notes.append("marked new" if is_new else "no longer new")
    if intake_system is not None and (intake_system or None) != client.intake_system:
        client.intake_system = intake_system or None
        notes.append(f"intake system {system_label(intake_system) or 'none'}")
    if notes:
        rowversion.save(client, "client", expected_version)
        activity.record("client", client.id, "edited", note="; ".join(notes))
    return client, notes


def list_clients() -> list[dict]:
    """Every client with its lander count, by name; the documented shape of `clients list --json`."""
    counts = dict(Lander.select(Campaign.client, fn.COUNT(Lander.id)).join(Campaign).group_by(Campaign.client).tuples())
    return [{"id": c.id, "name": c.name, "contacts": c.contacts or [], "new": c.is_new,
             "intake_system": c.intake_system, "time_zone": c.time_zone, "landers": counts.get(c.id, 0)}
            for c in Client.select().order_by(fn.lower(Client.name))]


def client_landers(client_id: int) -> list[dict]:
    """The client's landers by campaign and name: id, name, campaign, status (its label) and what is missing."""
    from xsc_desktop.landers import STATUS_LABELS

    rows = (Lander.select(Lander, Campaign).join(Campaign).where(Campaign.client == client_id)
            .order_by(fn.lower(Campaign.name), fn.lower(Lander.name)))
    return [{"id": r.id, "name": r.name, "campaign": r.campaign.name, "status": r.status,
             "status_label": STATUS_LABELS.get(r.status, r.status), "missing": list(r.missing_info or [])}
            for r in rows]


def client_of_lander(lander_id: int) -> int:
    """The id of the client a lander belongs to, or UserError."""
    row = Lander.select(Campaign.client).join(Campaign).where(Lander.id == lander_id).tuples().first()
    if row is None:
        raise UserError(f"There is no lander {lander_id}; `xsc-desktop landers list` shows their ids.")
    return row[0]


# Where each "needs info" reason is fixed: the client (contacts), the lander's posting docs, or its integration.
FIX_CLIENT, FIX_POSTING_DOC, FIX_INTEGRATION = "client", "posting-doc", "integration"


def fix_place(reason: str) -> str:
    """Which place fixes a needs-info reason (FIX_CLIENT, FIX_POSTING_DOC or FIX_INTEGRATION)."""
    from xsc_desktop.integrations import NO_CONTACT, NO_POSTING_DOC

    if reason == NO_CONTACT:
        return FIX_CLIENT
    if reason == NO_POSTING_DOC:
        return FIX_POSTING_DOC
    return FIX_INTEGRATION
