"""Clients: the law firms, their contacts for confirmations and reports, and whether they are new."""

from __future__ import annotations

from peewee import fn

from parsers.fields import EMAIL_RE
from xsc_desktop import activity, events
from xsc_desktop.errors import UserError
from xsc_desktop.models import Campaign, Client, Lander


def check_emails(addresses: list[str]) -> list[str]:
    """The addresses trimmed and lower-cased, or UserError naming the first bad one."""
    clean: list[str] = []
    for address in addresses:
        address = address.strip().lower()
        if not EMAIL_RE.match(address):
            raise UserError(f"{address!r} is not an e-mail address; write it as name@example.com.")
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
    client = Client.create(name=name, contacts=check_emails(contacts or []), is_new=is_new)
    activity.record("client", client.id, "created", note=name + (" (new client)" if is_new else ""))
    events.publish("lander.changed", client_id=client.id)
    return client


def get_client(client_id: int) -> Client:
    """The client with that id, or UserError."""
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise UserError(f"There is no client {client_id}; `xsc-desktop clients list` shows their ids.")
    return client


def set_client(client_id: int, *, contacts: list[str] | None = None, is_new: bool | None = None,
               intake_system: str | None = None) -> Client:
    """Change a client's contacts, new-client mark or intake system."""
    client = get_client(client_id)
    notes: list[str] = []
    if contacts is not None:
        client.contacts = check_emails(contacts)
        notes.append(f"contacts {', '.join(client.contacts) or 'none'}")
    if is_new is not None and is_new != client.is_new:
        client.is_new = is_new
        notes.append("marked new" if is_new else "no longer new")
    if intake_system is not None:
        client.intake_system = intake_system or None
        notes.append(f"intake system {intake_system or 'none'}")
    client.save()
    if notes:
        activity.record("client", client.id, "edited", note="; ".join(notes))
        events.publish("lander.changed", client_id=client.id)
    return client


def list_clients() -> list[dict]:
    """Every client with its lander count, by name; the documented shape of `clients list --json`."""
    counts = dict(Lander.select(Campaign.client, fn.COUNT(Lander.id)).join(Campaign).group_by(Campaign.client).tuples())
    return [{"id": c.id, "name": c.name, "contacts": c.contacts or [], "new": c.is_new,
             "intake_system": c.intake_system, "landers": counts.get(c.id, 0)}
            for c in Client.select().order_by(fn.lower(Client.name))]
