"""Leads in: file import (CSV, XLSX, JSON / JSON Lines) and feed pull, normalised, deduplicated, never dropped silently.

    preview = preview_file(path, lander_id)            # columns, proposed mapping, sample rows (for the dialog)
    report = import_file(path, lander_id, mapping=None, progress=fn, cancel=event)
    report = pull_feed(lander_id)                      # one poll of the lander's feed_url, cursor persisted

Rules:
- Columns are matched to canonical fields by name and synonyms (`parsers.fields.canonical_name`); the operator's
  confirmed choice is remembered per lander and wins next time; unknown columns are kept as custom fields.
- The same external id for a lander is the same lead: re-importing a file inserts nothing twice. A row without an
  id gets one from a hash of its values, so re-importing that file is harmless too.
- A row with neither phone nor e-mail cannot be delivered: it is kept `held` and listed as a problem.
- With `delivery.duplicate_days` > 0, the same phone or e-mail on the lander within that many days makes the new
  lead a `duplicate` (kept, not delivered).
- Imported leads of an integrated lander are posted to the client: `delivery` decides. "auto" (the default) keeps
  leads captured longer ago than `leads.records_only_after_hours` for records only (state `records`: never
  delivered unless the operator sends one by hand), "deliver" sends them all, "records" keeps them all.
- The same external id with a different person (phone, e-mail or name) is a conflict, reported by line;
  `on_conflict="new"` imports such rows as new leads (under the id with "#2", "#3"... appended), "skip" leaves them.
- Rows go to the database through `cursor().executemany` inside `atomic()` in batches (peewee's insert_many is
  ~10x slower); each batch commits, so a cancelled or broken file keeps what was good.

Where the code is: `lead_files` reads files, `lead_mapping` maps columns and normalises a row, `lead_import`
writes rows, `lead_feed` polls feeds, `lead_export` reads leads back (JSON, render values, CSV); this module
browses (the Leads page's filter, counts and keyset pages) and names the public functions of all of them.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from xsc_desktop import storage
from xsc_desktop.lead_export import EXPORT_COLUMNS, export_csv, lead_for_render, lead_json, list_leads
from xsc_desktop.lead_feed import FeedError, feeds_job, pull_all_feeds, pull_feed, set_feed
from xsc_desktop.lead_files import LEAD_FILE_SUFFIXES, open_lead_file
from xsc_desktop.lead_import import (
    CONFLICT_CHOICES,
    DELIVERY_CHOICES,
    INSERT_COLUMNS,
    LEAD_FIELD_COLUMNS,
    RECORDS_ONLY,
    ImportReport,
    _check_lander,
    import_file,
    import_rows,
    records_cutoff,
)
from xsc_desktop.lead_mapping import (
    FilePreview,
    RowNormaliser,
    looks_like_lead_file,
    preview_file,
    propose_mapping,
    remember_mapping,
    remembered_mapping,
)
from xsc_desktop.models import Integration, database, utcnow

__all__ = [  # the public names of the lead modules, importable from here as before the split
    "CONFLICT_CHOICES", "DELIVERY_CHOICES", "EXPORT_COLUMNS", "INSERT_COLUMNS", "LEAD_FIELD_COLUMNS",
    "LEAD_FILE_SUFFIXES", "RECORDS_ONLY", "FeedError", "FilePreview", "ImportReport", "LeadFilter", "RowNormaliser",
    "_check_lander", "count_leads", "count_quickly", "export_csv", "feeds_job", "import_file", "import_rows",
    "integrated_landers", "lander_counts", "lander_names", "lead_for_render", "lead_json", "lead_page", "list_leads",
    "looks_like_lead_file", "open_lead_file", "preview_file", "propose_mapping", "pull_all_feeds", "pull_feed",
    "records_cutoff", "remember_mapping", "remembered_mapping", "render_values", "row_key", "set_feed",
]


def lander_counts(lander_id: int, now: datetime | None = None) -> dict[str, int]:
    """Leads of a lander: received today (since local midnight in the operator's zone), delivered, failed,
    held (never to be posted: held, or rejected by a delivery rule), pending (capped leads too: they will go) —
    from one grouped query. `now` is naive UTC (or aware)."""
    from xsc_desktop.clock import local_day_bounds_utc, to_local

    start = local_day_bounds_utc(to_local(now or utcnow()).date())[0].isoformat(sep=" ")
    # One pass over the lander's index entries, no grouping (a GROUP BY here would sort the lander's leads).
    p = database.param
    sql = (f"SELECT COUNT(*), SUM(CASE WHEN received_at >= {p} THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN delivery_state = 'delivered' THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN delivery_state IN ('failed', 'rejected', 'uncertain') THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN delivery_state IN ('held', 'rejected_by_rule') THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN delivery_state = {p} THEN 1 ELSE 0 END) FROM \"lead\" WHERE lander_id = {p}")
    total, today, delivered, failed, held, records = (
        n or 0 for n in database.execute_sql(sql, (start, RECORDS_ONLY, lander_id)).fetchone())
    return {"today": today, "delivered": delivered, "failed": failed, "held": held, "records": records,
            "pending": total - delivered - failed - held - records, "total": total}



# ---- browsing millions of leads (the Leads page and its benchmark) -------------------------------------------
@dataclass(frozen=True)
class LeadFilter:
    """What the Leads page shows: client, lander, delivery state, received between two times, a search text."""

    client_id: int | None = None
    lander_id: int | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition and its parameters; every part can use an index."""
        p = database.param
        parts: list[str] = []
        params: list[Any] = []
        if self.lander_id is not None:
            parts.append(f"lander_id = {p}")
            params.append(self.lander_id)
        elif self.client_id is not None:
            parts.append("lander_id IN (SELECT l.id FROM lander l JOIN campaign c ON c.id = l.campaign_id "
                         f"WHERE c.client_id = {p})")
            params.append(self.client_id)
        if self.state:
            parts.append(f"delivery_state = {p}")
            params.append(self.state)
        if self.since is not None:
            parts.append(f"received_at >= {p}")
            params.append(self.since.isoformat(sep=" "))
        if self.until is not None:
            parts.append(f"received_at < {p}")
            params.append(self.until.isoformat(sep=" "))
        text = self.text.strip()
        if text:
            sql, values = _search_condition(text)
            parts.append(sql)
            params.extend(values)
        return (" AND ".join(parts) or "1 = 1"), params


def _prefix(column: str, value: str) -> tuple[str, list[Any]]:
    # A range, not LIKE: SQLite uses the column's index for it whatever the collation.
    p = database.param
    return f"({column} >= {p} AND {column} < {p})", [value, value + "\U0010ffff"]


def _search_condition(text: str) -> tuple[str, list[Any]]:
    """Prefix search by e-mail, phone digits or last name (each an indexed range)."""
    if "@" in text:
        return _prefix("email", text.lower())
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) >= 3 and not re.search(r"[A-Za-z]", text):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return _prefix("phone", digits)
    words = text.split()
    last = words[-1]
    variants = sorted({last, last.lower(), last.upper(), last[:1].upper() + last[1:].lower()})
    ors, params = [], []
    for variant in variants:
        sql, values = _prefix("last_name", variant)
        ors.append(sql)
        params.extend(values)
    sql, values = _prefix("email", last.lower())
    ors.append(sql)
    params.extend(values)
    condition = "(" + " OR ".join(ors) + ")"
    if len(words) > 1:  # "Ana Lee": the first word narrows the indexed last-name hits
        p = database.param
        condition += f" AND (first_name LIKE {p} OR full_name LIKE {p})"
        params.extend([words[0] + "%", words[0] + "%"])
    return condition, params


LIST_COLUMNS = ("id", "received_at", "lander_id", "first_name", "last_name", "full_name", "phone", "email", "state",
                "delivery_state", "external_id")


def count_leads(flt: LeadFilter) -> int:
    """How many leads match (a COUNT query answered from an index: never loads them)."""
    where, params = flt.where()
    return database.execute_sql(f'SELECT COUNT(*) FROM "lead" WHERE {where}', params).fetchone()[0]


# The page order is newest first by (received_at, id); a row's key is that pair, and every page read seeks on it
# (keyset), so reading anywhere costs the same as reading the top. The two sentinels bound the seek from either
# end, which keeps even the first page a SEARCH on an index.
Key = tuple[str, int]
_TOP: Key = ("\U0010ffff", 2 ** 62)
_BOTTOM: Key = ("", -1)


def _bound(key: Key) -> Key:
    """A key as the engine compares it: the two sentinels become the engine's own ends of time."""
    if key is _TOP:
        return storage.highest_timestamp(database), key[1]
    if key is _BOTTOM:
        return storage.lowest_timestamp(database), key[1]
    return key
_NEWEST_FIRST = "ORDER BY received_at DESC, id DESC"
_OLDEST_FIRST = "ORDER BY received_at ASC, id ASC"
_RECEIVED, _ID = LIST_COLUMNS.index("received_at"), LIST_COLUMNS.index("id")


def row_key(row: tuple) -> Key:
    """The (received_at, id) key of a row read by `lead_page`."""
    return (str(row[_RECEIVED]), row[_ID])


def _client_landers(client_id: int) -> list[int]:
    sql = ("SELECT l.id FROM lander l JOIN campaign c ON c.id = l.campaign_id "
           f"WHERE c.client_id = {database.param} ORDER BY l.id")
    return [r[0] for r in database.execute_sql(sql, (client_id,))]


def _seek(flt: LeadFilter, limit: int, key: Key, newest_first: bool, columns: str = "") -> list[tuple]:
    """Up to `limit` rows past `key` in one direction, each filter part on an index."""
    where, params = flt.where()
    columns = columns or ", ".join(LIST_COLUMNS)
    compare, order = ("<", _NEWEST_FIRST) if newest_first else (">", _OLDEST_FIRST)
    p = database.param
    key = _bound(key)
    sql = f'SELECT {columns} FROM "lead" WHERE {where} AND (received_at, id) {compare} ({p}, {p}) {order} LIMIT {p}'
    return list(database.execute_sql(sql, [*params, key[0], key[1], limit]))


def _seek_merged(flt: LeadFilter, limit: int, key: Key, newest_first: bool) -> list[tuple]:
    """A client's leads: one indexed seek per lander reading only keys, merged, then the rows by id (one SQL over
    all the client's landers would sort them all)."""
    if flt.lander_id is not None or flt.client_id is None:
        return _seek(flt, limit, key, newest_first)
    parts = [_seek(replace(flt, client_id=None, lander_id=lander), limit, key, newest_first, "received_at, id")
             for lander in _client_landers(flt.client_id)]
    merged = heapq.merge(*parts, reverse=newest_first)
    return _rows_by_id([i for _, i in itertools.islice(merged, limit)])


def _keys_at(flt: LeadFilter, limit: int, offset: int, newest_first: bool) -> list[int]:
    """The ids of `limit` rows `offset` rows from one end, read from the index alone."""
    where, params = flt.where()
    compare, key, order = ("<", _TOP, _NEWEST_FIRST) if newest_first else (">", _BOTTOM, _OLDEST_FIRST)
    p = database.param
    key = _bound(key)
    sql = (f'SELECT id FROM "lead" WHERE {where} AND (received_at, id) {compare} ({p}, {p}) {order} '
           f"LIMIT {p} OFFSET {p}")
    return [r[0] for r in database.execute_sql(sql, [*params, key[0], key[1], limit, offset])]


def _rows_by_id(ids: list[int]) -> list[tuple]:
    if not ids:
        return []
    columns = ", ".join(LIST_COLUMNS)
    sql = f'SELECT {columns} FROM "lead" WHERE id IN ({", ".join(database.param for _ in ids)})'
    found = {row[_ID]: row for row in database.execute_sql(sql, ids)}
    return [found[i] for i in ids if i in found]


TEXT_KEYS_LIMIT = 50_000  # a search matching more leads than this is paged in SQL like the other filters


def _text_keys(flt: LeadFilter) -> list[Key] | None:
    """The (received_at, id) keys of a search's leads, oldest first, or None when there are too many.

    A search reads its few matches off the e-mail, phone and last-name indexes and sorts them here: asked for an
    order, the planner would walk the received-time index through millions of leads looking for them."""
    if not flt.text.strip():
        return None
    where, params = flt.where()
    rows = database.execute_sql(f'SELECT received_at, id FROM "lead" WHERE {where} LIMIT {database.param}',
                                [*params, TEXT_KEYS_LIMIT + 1]).fetchall()
    if len(rows) > TEXT_KEYS_LIMIT:
        return None
    return sorted((str(received), lead_id) for received, lead_id in rows)


def _text_page(keys: list[Key], limit: int, after: Key | None, before: Key | None, offset: int,
               from_end: bool) -> list[tuple]:
    # `keys` run oldest first; the page shows newest first.
    if after is not None:
        stop = bisect.bisect_left(keys, after)
        chosen = keys[max(0, stop - limit):stop]
    elif before is not None:
        start = bisect.bisect_right(keys, before)
        chosen = keys[start:start + limit]
    elif from_end:
        chosen = keys[offset:offset + limit]
    else:
        stop = len(keys) - offset
        chosen = keys[max(0, stop - limit):max(0, stop)]
    return _rows_by_id([i for _, i in reversed(chosen)])


def count_quickly(flt: LeadFilter) -> tuple[int, bool]:
    """(how many leads match, whether that is exact): every filtered count is exact and read from an index; with
    no filter at all the id span stands in (exact unless leads were deleted) while `count_leads` walks an index."""
    if flt == LeadFilter():
        # Two subqueries: SQLite answers a lone MIN or MAX from the index's end, but both at once by a full scan.
        low, high = database.execute_sql('SELECT (SELECT MIN(id) FROM "lead"), (SELECT MAX(id) FROM "lead")').fetchone()
        return (high - low + 1 if high is not None else 0), high is None
    keys = _text_keys(flt)
    return (len(keys) if keys is not None else count_leads(flt)), True


def lead_page(flt: LeadFilter, limit: int, *, after: Key | None = None, before: Key | None = None,
              offset: int = 0, from_end: bool = False) -> list[tuple]:
    """Rows (LIST_COLUMNS) newest first: the `limit` rows after the row keyed `after` (older ones), the `limit` rows
    before the row keyed `before` (newer ones), or for a jump the rows `offset` rows from the top — or, with
    `from_end`, the `limit` rows ending `offset` rows before the bottom (seek from the nearer end)."""
    keys = _text_keys(flt)
    if keys is not None:
        return _text_page(keys, limit, after, before, offset, from_end)
    if after is not None:
        return _seek_merged(flt, limit, after, newest_first=True)
    if before is not None:
        return list(reversed(_seek_merged(flt, limit, before, newest_first=False)))
    if from_end:
        if offset == 0:
            return list(reversed(_seek_merged(flt, limit, _BOTTOM, newest_first=False)))
        return list(reversed(_rows_by_id(_keys_at(flt, limit, offset, newest_first=False))))
    if offset == 0:
        return _seek_merged(flt, limit, _TOP, newest_first=True)
    return _rows_by_id(_keys_at(flt, limit, offset, newest_first=True))


def integrated_landers() -> set[int]:
    """Ids of the landers whose leads are delivered now (an active integration)."""
    return {lander_id for (lander_id,) in Integration.select(Integration.lander)
            .where(Integration.active == True).tuples()}  # noqa: E712 - peewee expression


def lander_names() -> dict[int, tuple[str, str, int]]:
    """Every lander's (name, client name, client id), for labelling lead rows without a join per row."""
    sql = ("SELECT l.id, l.name, c.name, c.id FROM lander l JOIN campaign m ON m.id = l.campaign_id "
           "JOIN client c ON c.id = m.client_id")
    return {lander_id: (name, client, client_id) for lander_id, name, client, client_id in database.execute_sql(sql)}


_RENDER_COLUMNS = ("id", "external_id", "captured_at", "custom", *LEAD_FIELD_COLUMNS)


def render_values(lead_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`lead_for_render` for many leads at once, read with plain SQL (the delivery loop's hot path)."""
    out: dict[int, dict[str, Any]] = {}
    columns = ", ".join(_RENDER_COLUMNS)
    for start in range(0, len(lead_ids), 500):
        chunk = lead_ids[start:start + 500]
        p = database.param
        sql = f'SELECT {columns} FROM "lead" WHERE id IN ({", ".join(p for _ in chunk)})'
        for row in database.execute_sql(sql, chunk):
            lead_id, external_id, captured, custom = row[:4]
            values: dict[str, Any] = json.loads(custom) if custom else {}
            for name, value in zip(LEAD_FIELD_COLUMNS, row[4:], strict=True):
                if value is not None and value != "":
                    values[name] = value
            values["lead_id"] = external_id or str(lead_id)
            if captured:
                try:
                    values["created_at"] = datetime.fromisoformat(str(captured))
                except ValueError:
                    values["created_at"] = captured
            out[lead_id] = values
    return out
