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
