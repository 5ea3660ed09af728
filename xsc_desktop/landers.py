"""Lander lifecycle: statuses, the allowed moves between them, exception flags, and adding or importing landers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from peewee import JOIN, fn

from xsc_desktop import activity, events, rowversion
from xsc_desktop.db import write_transaction
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Campaign, Client, Lander, database, utcnow
from xsc_desktop.states import LanderStatus, state_values

# The pipeline in order, then the side states.
STATUSES: tuple[str, ...] = state_values(LanderStatus)
STATUS_LABELS: dict[str, str] = {
    "in_production": "In production", "ready": "Ready", "queued": "Queued", "integrated": "Integrated",
    "confirmed": "Confirmed", "needs_info": "Needs info", "failed": "Failed", "paused": "Paused",
    "archived": "Archived",
}

# The one table of allowed moves. Everything that changes a lander's status goes through set_status().
TRANSITIONS: dict[str, frozenset[str]] = {
    "in_production": frozenset({"ready", "paused", "archived"}),
    "ready": frozenset({"queued", "needs_info", "in_production", "paused", "archived"}),
    "needs_info": frozenset({"ready", "queued", "in_production", "paused", "archived"}),
    "queued": frozenset({"integrated", "failed", "needs_info", "ready", "paused", "archived"}),
    "integrated": frozenset({"confirmed", "failed", "queued", "paused", "archived"}),
    "confirmed": frozenset({"queued", "paused", "archived"}),
    "failed": frozenset({"queued", "ready", "needs_info", "paused", "archived"}),
    "paused": frozenset({"in_production", "ready", "queued", "integrated", "confirmed", "archived"}),
    "archived": frozenset({"in_production", "ready"}),
}

# Exception flags: custom scripts production cannot build.
FLAGS: dict[str, str] = {
    "rightsignature": "RightSignature e-signature",
    "reroute": "Rerouting by answers",
    "dq": "DQ logic",
    "other": "Other custom script",
}
_FLAG_WORDS = {
    "rightsignature": "rightsignature", "right signature": "rightsignature", "esign": "rightsignature",
    "e-signature": "rightsignature", "esignature": "rightsignature", "reroute": "reroute", "rerouting": "reroute",
    "routing": "reroute", "dq": "dq", "disqualification": "dq", "dq logic": "dq", "other": "other",
}


def status_from_text(text: str) -> str:
    """The status a person typed ("Ready", "IN PRODUCTION", "needs-info"), or UserError."""
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if key in TRANSITIONS:
        return key
    raise UserError(f"{text!r} is not a lander status; use one of {', '.join(STATUSES)}.")


def parse_flags(text: str) -> tuple[list[str], str]:
    """Split a flags cell ("reroute;dq", "RightSignature, other: custom popup") into known flags and a note."""
    flags: list[str] = []
    notes: list[str] = []
    for part in re.split(r"[;,|]", text or ""):
        part = part.strip()
        if not part:
            continue
        word, _, note = part.partition(":")
        flag = _FLAG_WORDS.get(word.strip().lower())
        if flag is None:
            flag, note = "other", part
        if flag not in flags:
            flags.append(flag)
        if note.strip():
            notes.append(note.strip())
    return flags, "; ".join(notes)


def flags_of(lander: Lander) -> list[str]:
    """The lander's exception flags as a list."""
    return [f for f in (lander.flags or "").split(";") if f]


def check_url(url: str) -> str:
    """The URL trimmed, or UserError when it is not an http(s) address."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL" and the like
        raise UserError(f"{url!r} is not a web address; a lander URL starts with http:// or https://.") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise UserError(f"{url!r} is not a web address; a lander URL starts with http:// or https://.")
    return url


def get_or_create_client(name: str, *, is_new: bool = False) -> Client:
    """The client of that name (case-insensitive), created when unknown."""
    name = name.strip()
    if not name:
        raise UserError("A lander needs a client name.")
    client = Client.get_or_none(fn.lower(Client.name) == name.lower())
    if client is None:
        client = Client.create(name=name, is_new=is_new, **rowversion.stamp())
        activity.record("client", client.id, "created", note=name + (" (new client)" if is_new else ""))
    elif is_new and not client.is_new:
        client.is_new = True
        rowversion.save(client, "client")
    return client


def get_or_create_campaign(client: Client, name: str) -> Campaign:
    """The client's campaign of that name, created when unknown."""
    name = name.strip()
    if not name:
        raise UserError("A lander needs a campaign name.")
    campaign = Campaign.get_or_none((Campaign.client == client) & (fn.lower(Campaign.name) == name.lower()))
    return campaign or Campaign.create(client=client, name=name)


def add_lander(*, client: str, campaign: str, name: str, url: str, status: str = "in_production",
               flags: list[str] | None = None, flag_note: str = "", new_client: bool = False) -> Lander:
    """Create a lander (and its client and campaign when they are new)."""
    url = check_url(url)
    if not name.strip():
        raise UserError("A lander needs a name.")
    status = status_from_text(status)
    unknown = [f for f in flags or [] if f not in FLAGS]
    if unknown:
        raise UserError(f"Unknown flag {unknown[0]!r}; use {', '.join(FLAGS)}.")
    if Lander.get_or_none(Lander.url == url):
        raise UserError(f"A lander with the URL {url} already exists; edit that one instead.")
    with database.atomic():
        c = get_or_create_client(client, is_new=new_client)
        p = get_or_create_campaign(c, campaign)
        now = utcnow()
        lander = Lander.create(campaign=p, name=name.strip(), url=url, status=status,
                               flags=";".join(dict.fromkeys(flags or [])), flag_note=flag_note.strip(),
                               handed_over_at=now if status != "in_production" else None,
                               created_at=now, updated_at=now, **rowversion.stamp())
        activity.record("lander", lander.id, "created", to_state=status, note=f"{c.name} / {p.name} / {lander.name}")
    events.publish(Topic.LANDER_CHANGED, lander_id=lander.id)
    return lander


def update_lander(lander_id: int, *, client: str | None = None, campaign: str | None = None, name: str | None = None,
                  url: str | None = None, flags: list[str] | None = None, flag_note: str | None = None,
                  new_client: bool | None = None, expected_version: int | None = None) -> Lander:
    """Change a lander's facts (not its status: that is set_status). `expected_version` is the row version the
    editor started from: when someone else saved the lander since, nothing is written (rowversion.ChangedElsewhere)."""
    changes: list[str] = []
    with write_transaction():
        lander = get_lander(lander_id)
        rowversion.check(lander, expected_version, "lander")
        if client is not None or campaign is not None:
            c = get_or_create_client(client or lander.campaign.client.name)
            p = get_or_create_campaign(c, campaign or lander.campaign.name)
            if p.id != lander.campaign_id:
                lander.campaign = p
                changes.append(f"campaign {c.name} / {p.name}")
        if new_client is not None:
            c = lander.campaign.client
            if c.is_new != new_client:
                c.is_new = new_client
                rowversion.save(c, "client")
                changes.append("new client" if new_client else "no longer a new client")
        if name is not None and name.strip() and name.strip() != lander.name:
            lander.name = name.strip()
            changes.append(f"name {lander.name}")
        if url is not None:
            url = check_url(url)
            if url != lander.url:
                other = Lander.get_or_none((Lander.url == url) & (Lander.id != lander.id))
                if other:
                    raise UserError(f"Another lander ({other.name}) already has the URL {url}.")
                lander.url = url
                changes.append(f"URL {url}")
        if flags is not None:
            joined = ";".join(dict.fromkeys(flags))
            if joined != lander.flags:
                lander.flags = joined
                changes.append(f"flags {joined or 'none'}")
        if flag_note is not None and flag_note.strip() != lander.flag_note:
            lander.flag_note = flag_note.strip()
            changes.append("flag note")
        if changes:
            lander.updated_at = utcnow()
            rowversion.save(lander, "lander", expected_version)
            activity.record("lander", lander.id, "edited", note=", ".join(changes))
    if changes:
        events.publish(Topic.LANDER_CHANGED, lander_id=lander.id)
    return lander


def get_lander(lander_id: int) -> Lander:
    """The lander with that id, or UserError."""
    lander = Lander.get_or_none(Lander.id == lander_id)
    if lander is None:
        raise UserError(f"There is no lander {lander_id}; `xsc-desktop landers list` shows their ids.")
    return lander


def allowed_moves(status: str) -> list[str]:
    """The statuses a lander in `status` may move to, in pipeline order."""
    return [s for s in STATUSES if s in TRANSITIONS.get(status, ())]


def set_status(lander_id: int, status: str, *, note: str = "", actor: str | None = None,
               missing_info: list[str] | None = None, expected_version: int | None = None) -> Lander:
    """Move a lander to another status when the move is allowed; every move writes an Activity row. Two moves of
    the same lander at the same moment: one is written, the other refused (rowversion.ChangedElsewhere)."""
    lander = get_lander(lander_id)
    rowversion.check(lander, expected_version, "lander")
    status = status_from_text(status)
    old = lander.status
    if status == old:
        return lander
    if status not in TRANSITIONS[old]:
        allowed = ", ".join(allowed_moves(old)) or "none"
        raise UserError(f"A lander cannot go from {old} to {status}; from {old} it can go to {allowed}.")
    now = utcnow()
    with database.atomic():
        lander.status = status
        lander.updated_at = now
        if status == "ready" and lander.handed_over_at is None:
            lander.handed_over_at = now
        if missing_info is not None or status != "needs_info":
            lander.missing_info = missing_info or []
        rowversion.save(lander, "lander", expected_version, actor=actor)
        activity.record("lander", lander.id, "status", from_state=old, to_state=status, note=note, actor=actor)
    events.publish(Topic.LANDER_CHANGED, lander_id=lander.id, from_state=old, to_state=status)
    return lander


@dataclass(slots=True)
class LanderRow:
    """A lander with its client and campaign, flat, as lists and tables show it (slots: the board holds 100,000)."""

    id: int
    client: str
    client_id: int
    new_client: bool
    campaign: str
    name: str
    url: str
    status: str
    flags: list[str]
    flag_note: str
    handed_over_at: str | None  # stored ISO text, "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC
    updated_at: str
    missing_info: list[str] = field(default_factory=list)
    row_version: int = 0  # what an edit or a move passes back, so it never lands over someone else's newer change

    def as_json(self) -> dict:
        """The documented JSON shape of `landers list --json`."""
        return {
            "id": self.id, "client": self.client, "client_id": self.client_id, "campaign": self.campaign,
            "name": self.name, "url": self.url, "status": self.status, "flags": list(self.flags),
            "flag_note": self.flag_note, "new_client": self.new_client,
            "handed_over_at": self.handed_over_at.replace(" ", "T") if self.handed_over_at else None,
            "updated_at": self.updated_at.replace(" ", "T"), "missing_info": list(self.missing_info),
        }


def lander_row(lander_id: int) -> LanderRow:
    """One lander as the board shows it, read now (an editor reloading after someone else's change); UserError when
    it is gone."""
    rows = list_landers(lander_id=lander_id)
    if not rows:
        raise UserError(f"There is no lander {lander_id} any more; someone else deleted it.")
    return rows[0]


def list_landers(status: str | None = None, client_id: int | None = None,
                 lander_id: int | None = None) -> list[LanderRow]:
    """Landers with their client and campaign in one flat query, newest change first.

    Read through the raw cursor with times kept as their stored ISO text: building model objects or datetimes
    for tens of thousands of rows would cost more than the rest of start-up.
    """
    query = (Lander.select(Lander.id, Client.name, Client.id, Client.is_new, Campaign.name, Lander.name, Lander.url,
                           Lander.status, Lander.flags, Lander.flag_note, Lander.handed_over_at, Lander.updated_at,
                           Lander.missing_info, Lander.row_version)
             .join(Campaign, JOIN.INNER).join(Client, JOIN.INNER)
             .order_by(Lander.updated_at.desc(), Lander.id.desc()))
    if status:
        query = query.where(Lander.status == status_from_text(status))
    if client_id:
        query = query.where(Client.id == client_id)
    if lander_id is not None:
        query = query.where(Lander.id == lander_id)
    sql, params = query.sql()
    loads = json.loads
    none: list[str] = []  # one empty list for every lander without flags or missing info: read, never changed
    names: dict[str, str] = {}
    shared = names.setdefault  # one string per client and campaign name, not one per lander
    return [
        LanderRow(id=i, client=shared(cname, cname), client_id=cid, new_client=bool(new),
                  campaign=shared(pname, pname), name=name, url=url,
                  status=st, flags=flags.split(";") if flags else none, flag_note=note or "",
                  handed_over_at=str(handed) if handed else None, updated_at=str(updated),
                  missing_info=loads(missing) if missing and missing != "[]" else none, row_version=version)
        for (i, cname, cid, new, pname, name, url, st, flags, note, handed, updated, missing, version)
        in database.execute_sql(sql, params)
    ]
