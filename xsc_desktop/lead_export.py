"""Leads read back: as JSON (CLI), as render values (parsers), and exported to CSV (formula-safe)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from parsers.fields import FIELD_NAMES
from xsc_desktop.errors import UserError
from xsc_desktop.lead_import import LEAD_FIELD_COLUMNS
from xsc_desktop.models import Lead


# ---- reading leads back (CLI, export, the Leads page) --------------------------------------------------------
def lead_json(lead: Lead) -> dict[str, Any]:
    """A lead as JSON: id, external_id, lander_id, canonical fields by their names, custom fields, state."""
    out: dict[str, Any] = {"id": lead.id, "external_id": lead.external_id, "lander_id": lead.lander_id}
    for name in FIELD_NAMES:
        if name == "lead_id":
            out[name] = lead.external_id
        elif name == "created_at":
            out[name] = lead.captured_at.isoformat(sep=" ") if lead.captured_at else None
        else:
            out[name] = getattr(lead, name)
    out["custom"] = lead.custom or {}
    out["delivery_state"] = lead.delivery_state
    out["received_at"] = lead.received_at.isoformat(sep=" ") if lead.received_at else None
    out["is_test"] = bool(lead.is_test)
    out["problems"] = lead.problems or ""
    return out


def lead_for_render(lead: Lead) -> dict[str, Any]:
    """The values a parser renders from: canonical fields (lead_id = our external id) plus custom fields."""
    values: dict[str, Any] = dict(lead.custom or {})
    for name in LEAD_FIELD_COLUMNS:
        value = getattr(lead, name)
        if value not in (None, ""):
            values[name] = value
    values["lead_id"] = lead.external_id or str(lead.id)
    if lead.captured_at:
        values["created_at"] = lead.captured_at
    return values


def list_leads(lander_id: int | None = None, state: str | None = None, limit: int | None = None):
    """Leads, newest first, optionally of one lander and one delivery state."""
    query = Lead.select().order_by(Lead.id.desc())
    if lander_id is not None:
        query = query.where(Lead.lander == lander_id)
    if state:
        query = query.where(Lead.delivery_state == state)
    if limit:
        query = query.limit(limit)
    return query.iterator()


EXPORT_COLUMNS: tuple[str, ...] = ("id", "external_id", "lander_id", "received_at", "delivery_state",
                                   *[n for n in FIELD_NAMES if n != "lead_id"])


def export_csv(path: Path | str, *, lander_id: int | None = None, lead_ids: list[int] | None = None) -> int:
    """Write leads (of a lander, or the given ids) to a CSV file, custom fields as extra columns; returns the
    row count. Values that a spreadsheet would run as formulas are prefixed with a quote."""
    path = Path(path)
    if lead_ids is not None:
        def leads_iter():
            for start in range(0, len(lead_ids), 500):
                yield from Lead.select().where(Lead.id.in_(lead_ids[start:start + 500])).order_by(Lead.id)
    else:
        def leads_iter():
            query = Lead.select().order_by(Lead.id)
            if lander_id is not None:
                query = query.where(Lead.lander == lander_id)
            yield from query.iterator()
    # Custom columns are known only after a pass; collect them from a grouped query instead of holding leads.
    custom_names: list[str] = []
    for lead in leads_iter():
        for key in lead.custom or {}:
            if key not in custom_names:
                custom_names.append(key)
    count = 0
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow([*EXPORT_COLUMNS, *custom_names])
            for lead in leads_iter():
                data = lead_json(lead)
                row = [data.get(c) for c in EXPORT_COLUMNS] + [(lead.custom or {}).get(c) for c in custom_names]
                writer.writerow([_safe_cell(v) for v in row])
                count += 1
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"Could not write {path} ({exc.strerror}); pick another folder.") from None
    return count


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _NUMBERISH.match(value):
        return "'" + value
    return "" if value is None else value


_NUMBERISH = re.compile(r"^[+-]?\d[\d\s().-]*$")
