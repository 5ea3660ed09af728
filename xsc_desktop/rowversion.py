"""Row versions: an edit saved over someone else's newer change is refused with one sentence, never lost.

Landers, clients, parsers, integrations and report templates carry `row_version` (with `changed_by` and
`changed_at`). Their services write an edit with one conditional `UPDATE … WHERE id = ? AND row_version = ?`: the
version the editor started from (a dialog passes the one it loaded) or, without one, the version just read. When
another operator or daemon saved in between, no row matches and the edit is refused with who changed it and when.
Two operators moving the same lander at the same moment: one UPDATE wins, the other is told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import Model

from xsc_desktop.clock import local_text, to_local, utcnow
from xsc_desktop.errors import UserError


class ChangedElsewhere(UserError):
    """An edit refused because the row changed (or was deleted) since the editor read it."""

    def __init__(self, message: str, *, changed_by: str = "", changed_at: datetime | None = None) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at


def version_of(row: Model | None) -> int | None:
    """The row version an editor keeps while the form is open (None for a row not saved yet)."""
    return None if row is None else getattr(row, "row_version", None)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "a moment ago"
    local = to_local(moment)
    if local.date() == to_local(utcnow()).date():
        return f"at {local_text(moment, '%H:%M')}"
    return f"on {local_text(moment, '%Y-%m-%d')} at {local_text(moment, '%H:%M')}"


def refusal(model: type[Model], row_id: int, what: str) -> ChangedElsewhere:
    """The sentence for an edit that lost: who changed the row and when, or that it is gone."""
    fresh = model.get_or_none(model.id == row_id)
    if fresh is None:
        return ChangedElsewhere(f"Someone else deleted this {what}; close this window, your change cannot be saved.")
    who = (fresh.changed_by or "").strip() or "Someone else"
    return ChangedElsewhere(f"{who} changed this {what} {_when(fresh.changed_at)}; reload to see that change, "
                            "then save again.", changed_by=who, changed_at=fresh.changed_at)


def check(row: Model, expected: int | None, what: str) -> None:
    """Refuse early when the editor's version is not the row's version any more."""
    if expected is not None and row.row_version != expected:
        raise refusal(type(row), row.id, what)


def save(row: Model, what: str, expected: int | None = None, *, actor: str | None = None) -> None:
    """Write the row's changed fields only if its version is still `expected` (default: the version read), bumping
    the version and recording who changed it and when; ChangedElsewhere otherwise. Call inside the transaction that
    writes the Activity row, so both land or neither."""
    from xsc_desktop import activity

    model = type(row)
    version = row.row_version if expected is None else expected
    values: dict[Any, Any] = {field: row.__data__.get(field.name) for field in row.dirty_fields
                              if not field.primary_key and field.name not in ("row_version", "changed_by", "changed_at")}
    by = actor or activity.current_actor()
    now = utcnow()
    values.update({model.row_version: version + 1, model.changed_by: by, model.changed_at: now})
    if model.update(values).where((model.id == row.id) & (model.row_version == version)).execute() != 1:
        raise refusal(model, row.id, what)
    row.row_version, row.changed_by, row.changed_at = version + 1, by, now
    row._dirty.clear()


def stamp(actor: str | None = None) -> dict[str, Any]:
    """The `changed_by`/`changed_at` of a row being created."""
    from xsc_desktop import activity

    return {"changed_by": actor or activity.current_actor(), "changed_at": utcnow()}
