"""The leads a report sheet takes: its source (lander, client, time and lead-id windows), the SQL condition
for it, the custom fields found in it and the template columns resolved against it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xsc_desktop import storage
from xsc_desktop.errors import UserError
from xsc_desktop.models import (
    Campaign,
    Client,
    Lander,
    database,
)
from xsc_desktop.sheet_templates import (
    LEAD_FIELD_CHOICES,
)

EXCEL_CELL_LIMIT = 32767
SHEET_ROW_LIMIT = 1_048_576  # rows in one Excel sheet; more leads go on in continuation sheets
BATCH_ROWS = 2000
PREVIEW_ROWS = 20


# ---- targets and the lead query -------------------------------------------------------------------------------

@dataclass
class SheetSource:
    """One sheet's leads: the lander, its client, the received-time window and the lead-id window.

    A report takes the leads with `after_id < id <= upto_id`: ids grow in the order imports commit, so a
    batch committed after one report is in the next one, whatever received time it carries. `since` is the
    older received-time cut-off, used when the previous report recorded no lead id.
    """

    lander_id: int
    lander: str
    client: str
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    upto_id: int | None = None


def _lander_facts(lander_id: int) -> tuple[str, str, int]:
    row = (Lander.select(Lander.name, Client.name.alias("client_name"), Client.id.alias("client_id"))
           .join(Campaign).join(Client).where(Lander.id == lander_id).dicts().first())
    if row is None:
        raise UserError(f"There is no lander {lander_id}; `xsc-desktop landers list` shows their ids.")
    return row["name"], row["client_name"], row["client_id"]


def _client_landers(client_id: int) -> list[tuple[int, str]]:
    return list(Lander.select(Lander.id, Lander.name).join(Campaign)
                .where((Campaign.client == client_id) & (Lander.status != "archived"))
                .order_by(Lander.name, Lander.id).tuples())


def _stamp(value: datetime) -> str:
    # The text form SQLite holds for a naive datetime, so comparisons stay on the index.
    return value.isoformat(" ")


def _where(source: SheetSource, filt: dict[str, bool]) -> tuple[str, list[Any]]:
    p = database.param
    clauses = [f"l.lander_id = {p}"]
    params: list[Any] = [source.lander_id]
    if not filt.get("include_test"):
        clauses.append("l.is_test = FALSE")
    if filt.get("only_delivered"):
        clauses.append("l.delivery_state = 'delivered'")
    if source.since is not None:
        clauses.append(f"l.received_at > {p}")
        params.append(_stamp(source.since))
    if source.until is not None:
        clauses.append(f"l.received_at <= {p}")
        params.append(_stamp(source.until))
    if source.after_id is not None:
        clauses.append(f"l.id > {p}")
        params.append(source.after_id)
    if source.upto_id is not None:
        clauses.append(f"l.id <= {p}")
        params.append(source.upto_id)
    return " AND ".join(clauses), params


def _lead_columns_with_data(source: SheetSource, filt: dict[str, bool]) -> list[str]:
    names = [c.key for c in LEAD_FIELD_CHOICES]
    sql_names = ["captured_at" if n == "created_at" else n for n in names]
    # captured_at is a timestamp (never empty text); the other fields are text, where '' means no value.
    counts = ", ".join(f'COUNT(l."{n}")' if n == "captured_at" else f"COUNT(NULLIF(l.\"{n}\", ''))"
                       for n in sql_names)
    where, params = _where(source, filt)
    row = database.execute_sql(f"SELECT {counts} FROM lead l WHERE {where}", params).fetchone()
    return [n for n, count in zip(names, row, strict=True) if count]


def custom_field_names(source: SheetSource | int, filt: dict[str, bool] | None = None) -> list[str]:
    """The custom field names the lander's leads hold (in the report window), sorted."""
    if isinstance(source, int):
        name, client, _ = _lander_facts(source)
        source = SheetSource(source, name, client)
    where, params = _where(source, filt if filt is not None else {"include_test": True})
    keys = storage.json_keys_sql(database, "l.custom")
    if keys is not None:
        rows = database.execute_sql(
            f"SELECT DISTINCT j.key FROM lead l, {keys} WHERE {where} AND l.custom != '{{}}'", params).fetchall()
        names = {r[0] for r in rows}
    else:  # a SQLite built without JSON functions: read the JSON here
        names = set()
        cursor = database.execute_sql(f"SELECT l.custom FROM lead l WHERE {where} AND l.custom != '{{}}'", params)
        for (text,) in cursor:
            names.update(json.loads(text or "{}"))
    return sorted(names, key=str.lower)


def resolve_columns(spec: dict[str, Any], source: SheetSource) -> list[dict[str, Any]]:
    """The template's columns for one sheet; the automatic (generic) layout is worked out from the data."""
    if not spec["auto"]:
        return spec["columns"]
    keys = ["computed:lead_id", "computed:received_at", "computed:delivery_state"]
    keys += _lead_columns_with_data(source, spec["filter"])
    keys += [f"custom:{n}" for n in custom_field_names(source, spec["filter"])]
    explicit = {c["key"]: c for c in spec["columns"]}
    return [explicit.get(k, {"key": k, "title": ""}) for k in keys]
