"""The Activity log: who did what when. Notes must never hold secrets."""

from __future__ import annotations

import getpass

from xsc_desktop.models import Activity

_actor: str | None = None


def login_name() -> str:
    """The operator's login name on this computer."""
    try:
        return getpass.getuser()
    except Exception:
        return "operator"


def current_actor() -> str:
    """Who changes made from this computer are recorded as: the `operator.name` setting, else the login name."""
    global _actor
    if _actor is None:
        from xsc_desktop import settings

        _actor = str(settings.get("operator.name") or "").strip() or login_name()
    return _actor


def forget_actor() -> None:
    """Read the operator's name again at the next change (it was set)."""
    global _actor
    _actor = None


def record(subject_type: str, subject_id: int | None, action: str, *, from_state: str = "", to_state: str = "",
           note: str = "", actor: str | None = None) -> Activity:
    """Write one Activity row."""
    return Activity.create(subject_type=subject_type, subject_id=subject_id, action=action, from_state=from_state,
                           to_state=to_state, note=note, actor=actor or current_actor())


def history(subject_type: str, subject_id: int, limit: int = 200) -> list[Activity]:
    """The newest activity of one subject first."""
    return list(Activity.select().where((Activity.subject_type == subject_type) & (Activity.subject_id == subject_id))
                .order_by(Activity.at.desc(), Activity.id.desc()).limit(limit))


def recent(text: str = "", limit: int = 2000) -> list[tuple]:
    """The newest activity rows as tuples, optionally only those mentioning `text`."""
    query = (Activity.select(Activity.at, Activity.actor, Activity.subject_type, Activity.subject_id, Activity.action,
                             Activity.from_state, Activity.to_state, Activity.note)
             .order_by(Activity.at.desc(), Activity.id.desc()).limit(limit))
    if text:
        like = f"%{text}%"
        query = query.where(Activity.note ** like | Activity.action ** like | Activity.actor ** like
                            | Activity.subject_type ** like | Activity.to_state ** like)
    return list(query.tuples())


def subject_names(rows: list[tuple]) -> dict[tuple[str, int], str]:
    """What each row of `recent` is about, by name (a few queries for the whole page): a lander and its
    integration by the lander's name, a client by its name, a posting doc by its file name, a report schedule by
    what it reports on. Keys are (subject_type, subject_id); a subject gone since has no entry."""
    from xsc_desktop.models import Client, Integration, Lander, PostingDoc, ReportSchedule

    wanted: dict[str, set[int]] = {}
    for row in rows:
        kind, subject_id = row[2], row[3]
        if subject_id is not None:
            wanted.setdefault(kind, set()).add(subject_id)
    names: dict[tuple[str, int], str] = {}
    lander_names: dict[int, str] = {}

    def landers_named(ids: set[int]) -> None:
        missing = ids - lander_names.keys()
        if missing:
            lander_names.update(Lander.select(Lander.id, Lander.name).where(Lander.id.in_(list(missing))).tuples())

    if wanted.get("lander"):
        landers_named(wanted["lander"])
        names.update({("lander", i): lander_names[i] for i in wanted["lander"] if i in lander_names})
    if wanted.get("integration"):
        pairs = dict(Integration.select(Integration.id, Integration.lander).where(
            Integration.id.in_(list(wanted["integration"]))).tuples())
        landers_named(set(pairs.values()))
        names.update({("integration", i): lander_names[lid] for i, lid in pairs.items() if lid in lander_names})
    if wanted.get("client"):
        names.update({("client", i): n for i, n in Client.select(Client.id, Client.name).where(
            Client.id.in_(list(wanted["client"]))).tuples()})
    if wanted.get("posting_doc"):
        names.update({("posting_doc", i): n for i, n in PostingDoc.select(PostingDoc.id, PostingDoc.original_name)
                      .where(PostingDoc.id.in_(list(wanted["posting_doc"]))).tuples()})
    if wanted.get("report_schedule"):
        schedules = list(ReportSchedule.select(ReportSchedule.id, ReportSchedule.lander, ReportSchedule.client)
                         .where(ReportSchedule.id.in_(list(wanted["report_schedule"]))).tuples())
        landers_named({lid for _i, lid, _c in schedules if lid is not None})
        clients = dict(Client.select(Client.id, Client.name).where(
            Client.id.in_([c for _i, _l, c in schedules if c is not None])).tuples())
        for i, lid, cid in schedules:
            about = lander_names.get(lid) if lid is not None else clients.get(cid)
            if about:
                names[("report_schedule", i)] = about
    return names
