"""Lead rows written to the database: deduplicated by external id, conflicts reported, delivery choice applied,
in batches through `executemany` (each batch commits, so a cancelled or broken file keeps what was good)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from parsers.fields import FIELD_NAMES
from xsc_desktop import events, settings, storage
from xsc_desktop.clock import naive_utc
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.lead_files import open_lead_file
from xsc_desktop.lead_mapping import RowNormaliser, _close, propose_mapping, remember_mapping, remembered_mapping
from xsc_desktop.models import Lander, Lead, database, utcnow
from xsc_desktop.states import LeadState

RECORDS_ONLY = LeadState.RECORDS.value  # the lead state of leads kept for records only (never picked by delivery)
DELIVERY_CHOICES = ("auto", "deliver", "records")
CONFLICT_CHOICES = ("skip", "new")
BATCH_ROWS = 5000  # rows per transaction: fewer commits (each may run a WAL checkpoint); cancel is seen every 1000
PROBLEM_LIMIT = 10_000  # problems kept in a report; the count goes on beyond it

# Lead columns that import fills; our own id is the primary key and the capture time is `captured_at`.
LEAD_FIELD_COLUMNS: tuple[str, ...] = tuple(n for n in FIELD_NAMES if n not in ("lead_id", "created_at"))
INSERT_COLUMNS: tuple[str, ...] = ("lander_id", "external_id", "captured_at", "received_at", "custom", "is_test",
                                   "duplicate_of", "problems", "delivery_state", *LEAD_FIELD_COLUMNS)


@dataclass
class ImportReport:
    """What an import or a feed pull did: counts, the column mapping used and every problem by line."""

    file: str
    lander_id: int
    rows: int = 0
    imported: int = 0
    already_there: int = 0
    held: int = 0
    duplicates: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    problem_count: int = 0
    problem_lines: set[int] = field(default_factory=set, repr=False)
    mapping: dict[str, str | None] = field(default_factory=dict)
    encoding: str = ""
    cancelled: bool = False
    error: str = ""  # a reason the file stopped being readable part-way (what came before is kept)
    lead_ids: list[int] = field(default_factory=list, repr=False)
    records_only: int = 0  # new leads kept for records only (not delivered)
    records_after_hours: int | None = None  # the age beyond which "auto" kept leads for records, when it did
    conflicts: list[tuple[int, str, str]] = field(default_factory=list)  # (line, lead id, what differs)
    imported_as_new: int = 0  # conflicting rows imported as new leads

    def problem(self, line: int, message: str) -> None:
        """Record one problem of one line."""
        self.problem_count += 1
        self.problem_lines.add(line)
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append((line, message))

    @property
    def problem_rows(self) -> int:
        """How many rows had at least one problem."""
        return len(self.problem_lines)

    @property
    def importable(self) -> int:
        """Rows stored ready for delivery (new or already there), held ones excluded."""
        return self.rows - self.held - self.refused

    @property
    def refused(self) -> int:
        """Rows that could not be stored at all (unreadable)."""
        return max(0, self.rows - self.imported - self.already_there)

    def summary(self) -> str:
        """One line for the status bar and the CLI."""
        parts = [f"{self.imported} new lead{'s' if self.imported != 1 else ''} from {self.file}"]
        if self.already_there:
            parts.append(f"{self.already_there} already there")
        if self.held:
            parts.append(f"{self.held} held (no phone or e-mail)")
        if self.duplicates:
            parts.append(f"{self.duplicates} flagged duplicate")
        if self.records_only:
            why = (f" (captured more than {self.records_after_hours} h ago)"
                   if self.records_after_hours is not None else "")
            parts.append(f"{self.records_only} kept for records only{why}, not sent to the client")
        if self.conflicts:
            n = len(self.conflicts)
            parts.append(f"{n} with the id of an earlier lead but another person (not imported)")
        if self.imported_as_new:
            parts.append(f"{self.imported_as_new} with a reused id imported as new leads")
        if self.refused:
            parts.append(f"{self.refused} refused")
        if self.problem_rows:
            parts.append(f"problems on {self.problem_rows} row{'s' if self.problem_rows != 1 else ''}")
        text = "; ".join(parts) + "."
        if self.cancelled:
            text = "Cancelled: " + text
        if self.error:
            text += f" {self.error}"
        return text

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's --json)."""
        return {"file": self.file, "lander_id": self.lander_id, "rows": self.rows, "imported": self.imported,
                "already_there": self.already_there, "held": self.held, "duplicates": self.duplicates,
                "refused": self.refused, "problem_rows": self.problem_rows, "cancelled": self.cancelled,
                "records_only": self.records_only, "imported_as_new": self.imported_as_new,
                "conflicts": [{"line": line, "lead_id": lead_id, "differs": what}
                              for line, lead_id, what in self.conflicts],
                "error": self.error, "encoding": self.encoding, "mapping": self.mapping,
                "problems": [{"line": line, "message": msg} for line, msg in self.problems]}



def _external_id(lead: dict[str, Any], custom: dict[str, Any]) -> str:
    given = lead.pop("lead_id", None)
    if given:
        return str(given)[:200]
    # No id in the file: the same values give the same id, so importing the file again adds nothing.
    digest = hashlib.sha1(json.dumps([sorted((k, str(v)) for k, v in lead.items()), sorted(custom.items())],
                                     ensure_ascii=False).encode("utf-8")).hexdigest()[:20]
    return f"row-{digest}"


# ---- storing -------------------------------------------------------------------------------------------------
def _check_lander(lander_id: int) -> Lander:
    lander = Lander.get_or_none(Lander.id == lander_id)
    if lander is None:
        raise UserError(f"There is no lander with id {lander_id}; `xsc-desktop landers list` shows them.")
    return lander


# The custom fields as the JSONField stores them (same text as json.dumps with these options, built once).
_CUSTOM_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _custom_json(custom: dict[str, Any]) -> str:
    """`_CUSTOM_JSON(custom)`, written directly for the usual custom fields (text by text name): the encoder's
    own string escaping, without its per-call setup, which costs more than the few fields of a lead."""
    try:
        if len(custom) == 1:
            for name, value in custom.items():
                return "{" + encode_basestring(name) + ": " + encode_basestring(value) + "}"
        return "{" + ", ".join([encode_basestring(name) + ": " + encode_basestring(value)
                                for name, value in sorted(custom.items())]) + "}"
    except TypeError:  # a name or value that is not text: the encoder knows what to do
        return _CUSTOM_JSON(custom)


class _Writer:
    """Buffers normalised rows and writes them in batches, with the duplicate rule applied per batch."""

    def __init__(self, lander_id: int, report: ImportReport, now: datetime, duplicate_days: int,
                 on_conflict: str = "skip") -> None:
        self.lander_id = lander_id
        self.report = report
        self.now = now
        self.duplicate_days = duplicate_days
        self.on_conflict = on_conflict
        self.rows: list[tuple[int, dict[str, Any]]] = []
        self._sql: dict[tuple[str, ...], str] = {}

    def _insert_sql(self, fields: tuple[str, ...]) -> str:
        # Only the columns the batch fills: binding 40 NULLs per row costs more than the insert itself.
        sql = self._sql.get(fields)
        if sql is None:
            columns = (*INSERT_COLUMNS[:9], *fields)
            p = database.param
            sql = self._sql[fields] = (f'INSERT INTO "lead" ({", ".join(columns)}) '
                                       f'VALUES ({", ".join(p for _ in columns)}) ON CONFLICT DO NOTHING')
        return sql

    def add(self, line: int, record: dict[str, Any]) -> None:
        self.rows.append((line, record))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        batch, self.rows = self.rows, []
        now_text = self.now.isoformat(sep=" ")
        with database.atomic():
            if self.duplicate_days > 0:
                self._flag_duplicates(batch)
            present: set[str] = set().union(*[r["lead"] for _line, r in batch])
            fields = tuple(name for name in LEAD_FIELD_COLUMNS if name in present)
            params = []
            stamps: dict[datetime, str] = {}  # a file's capture times repeat (and parse to the same objects)
            for _line, r in batch:
                captured = r["captured_at"]
                if captured is not None:
                    stamp = stamps.get(captured)
                    if stamp is None:
                        stamp = stamps[captured] = captured.isoformat(sep=" ")
                else:
                    stamp = None
                custom = _custom_json(r["custom"]) if r["custom"] else "{}"
                params.append((self.lander_id, r["external_id"], stamp, now_text, custom, False,
                               r["duplicate_of"], r["problems"], r["delivery_state"], *map(r["lead"].get, fields)))
            scrub = storage.text_scrubber(database)
            if scrub is not None:
                params = [scrub(row) for row in params]
            cursor = database.cursor()
            sql = self._insert_sql(fields)
            inserted = storage.inserted_count(database, cursor, lambda: cursor.executemany(sql, params))
        self.report.imported += inserted
        self.report.already_there += len(batch) - inserted
        # Counted only for rows really stored (a re-import of a held row is "already there").
        if inserted == len(batch):
            for _l, r in batch:
                state = r["delivery_state"]
                if state == "held":
                    self.report.held += 1
                elif state == "duplicate":
                    self.report.duplicates += 1
                elif state == RECORDS_ONLY:
                    self.report.records_only += 1
        else:
            self._count_states_of_new(batch)

    def _count_states_of_new(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        ids = [r["external_id"] for _l, r in batch]
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            query = (Lead.select(Lead.external_id, Lead.delivery_state, Lead.received_at, *_PERSON_COLUMNS)
                     .where((Lead.lander == self.lander_id) & Lead.external_id.in_(chunk)).tuples())
            found.update({row[0]: row[1:] for row in query})
        again: list[tuple[int, dict[str, Any]]] = []
        for line, r in batch:
            state, received, *person = found.get(r["external_id"], (None, None))
            if received == self.now:
                if state == "held":
                    self.report.held += 1
                elif state == "duplicate":
                    self.report.duplicates += 1
                elif state == RECORDS_ONLY:
                    self.report.records_only += 1
            elif state is not None:
                differs = _person_differs(person, r["lead"])
                if differs:
                    again.append((line, r))
                    self.report.already_there -= 1
                    if self.on_conflict != "new":
                        self.report.conflicts.append((line, r["external_id"], differs))
        if again and self.on_conflict == "new":
            self._insert_as_new(again)

    def _insert_as_new(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Rows whose id belongs to another person: stored under the id with "#2", "#3"... unless that person is
        already stored under one of those ids (importing the same file twice adds nothing twice)."""
        fresh: list[tuple[int, dict[str, Any]]] = []
        for line, r in rows:
            base = r["external_id"]
            taken = {e: person for e, *person in Lead.select(Lead.external_id, *_PERSON_COLUMNS).where(
                (Lead.lander == self.lander_id) & (Lead.external_id.startswith(base + "#"))).tuples()}
            if any(not _person_differs(person, r["lead"]) for person in taken.values()):
                self.report.already_there += 1
                continue
            number = 2
            while f"{base}#{number}" in taken or any(f"{base}#{number}" == o["external_id"] for _l, o in fresh):
                number += 1
            r["external_id"] = f"{base}#{number}"
            fresh.append((line, r))
        if not fresh:
            return
        before = self.report.imported
        self.rows = fresh
        self.flush()
        self.report.imported_as_new += self.report.imported - before

    def _flag_duplicates(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        since = (self.now - timedelta(days=self.duplicate_days)).isoformat(sep=" ")
        phones = {r["lead"]["phone"] for _l, r in batch if r["lead"].get("phone")}
        emails = {r["lead"]["email"] for _l, r in batch if r["lead"].get("email")}
        known: dict[tuple[str, str], int] = {}
        for column, values in (("phone", phones), ("email", emails)):
            values_list = list(values)
            for start in range(0, len(values_list), 400):
                chunk = values_list[start:start + 400]
                p = database.param
                marks = ", ".join(p for _ in chunk)
                sql = (f'SELECT {column}, MIN(id) FROM "lead" WHERE lander_id = {p} AND received_at >= {p} '
                       f"AND {column} IN ({marks}) GROUP BY {column}")
                for value, lead_id in database.execute_sql(sql, (self.lander_id, since, *chunk)):
                    known[(column, value)] = lead_id
        seen_in_batch: dict[tuple[str, str], str] = {}
        for line, r in batch:
            if r["delivery_state"] != "new":
                continue
            keys = [(c, r["lead"][c]) for c in ("phone", "email") if r["lead"].get(c)]
            earlier = next((known[k] for k in keys if k in known), None)
            same_file = next((seen_in_batch[k] for k in keys if k in seen_in_batch), None)
            if earlier is not None or same_file is not None:
                r["delivery_state"] = "duplicate"
                r["duplicate_of"] = earlier
                what = "an earlier lead" if earlier is not None else f"the lead of line {same_file}"
                r["problems"] = "; ".join(filter(None, [r["problems"], f"same phone or e-mail as {what} within "
                                                                       f"{self.duplicate_days} days"]))
            for k in keys:
                seen_in_batch.setdefault(k, str(line))


_PERSON_COLUMNS = (Lead.phone, Lead.email, Lead.first_name, Lead.last_name)
_PERSON_WORDS = ("phone", "e-mail", "first name", "last name")


def _person_differs(stored: list[Any], lead: dict[str, Any]) -> str:
    """What tells a stored lead's person from a row's ("phone, e-mail"), or "" when they may be the same person:
    a field differs only when both have it."""
    differs = []
    for word, old, name in zip(_PERSON_WORDS, stored, ("phone", "email", "first_name", "last_name"), strict=True):
        new = lead.get(name)
        if old and new and str(old).strip().casefold() != str(new).strip().casefold():
            differs.append(word)
    return ", ".join(differs)


def records_cutoff(now: datetime, hours: int | None = None) -> datetime:
    """The capture time before which an "auto" import keeps leads for records only."""
    if hours is None:
        hours = int(settings.get("leads.records_only_after_hours"))
    return now - timedelta(hours=hours)


def _prepare(line: int, values: dict[str, Any] | list[Any], normaliser: RowNormaliser,
             report: ImportReport) -> dict | None:
    if type(values) is dict and "__bad__" in values:
        report.problem(line, f"Line {line} {values['__bad__']}; not imported")
        return None
    lead, custom, problems = normaliser.normalise(values)
    captured = lead.pop("created_at", None)
    if isinstance(captured, str):
        captured = None  # an unreadable capture time stays in the problems, the lead keeps its receive time
    if lead.get("full_name") and not (lead.get("first_name") or lead.get("last_name")):
        first, _, last = str(lead["full_name"]).partition(" ")
        lead["first_name"], lead["last_name"] = first, last.strip() or None
    state = "new"
    phone, email = lead.get("phone"), lead.get("email")
    phone_ok = bool(phone) and len(phone := str(phone)) == 10 and phone.isdigit()
    email_ok = bool(email) and "@" in str(email)
    if not phone_ok and not email_ok:
        state = "held"
        problems.append("no phone or e-mail, so it cannot be delivered; kept as held")
    for message in problems:
        report.problem(line, message)
    external_id = _external_id(lead, custom)
    return {"lead": lead, "custom": custom, "external_id": external_id, "captured_at": captured,
            "problems": "; ".join(problems), "delivery_state": state, "duplicate_of": None}


def import_rows(lander_id: int, rows: Iterator[tuple[int, dict[str, Any]]], mapping: dict[str, str | None],
                report: ImportReport, *, now: datetime | None = None,
                progress: Callable[[int], None] | None = None,
                cancel: threading.Event | None = None, columns: list[str] | None = None,
                delivery: str = "deliver", on_conflict: str = "skip") -> ImportReport:
    """Normalise and store rows (line, values by column — or lists in the order of `columns`) for a lander;
    shared by file import and feed pull (which delivers everything)."""
    if delivery not in DELIVERY_CHOICES:
        raise UserError(f"Choose to deliver the leads or keep them for records only, not {delivery}.")
    if on_conflict not in CONFLICT_CHOICES:
        raise UserError(f"Leads whose id belongs to another person are skipped or imported as new, not {on_conflict}.")
    now = naive_utc(now) if now else utcnow()
    normaliser = RowNormaliser(mapping, columns)
    writer = _Writer(lander_id, report, now, int(settings.get("delivery.duplicate_days") or 0), on_conflict)
    batch = writer.rows
    cutoff = None
    if delivery == "auto":
        report.records_after_hours = int(settings.get("leads.records_only_after_hours"))
        cutoff = records_cutoff(now, report.records_after_hours)
    keep_all = delivery == "records"
    for count, (line, values) in enumerate(rows, 1):
        report.rows += 1
        record = _prepare(line, values, normaliser, report)
        if record is not None:
            if record["delivery_state"] == "new" and (
                    keep_all or (cutoff is not None and record["captured_at"] is not None
                                 and record["captured_at"] < cutoff)):
                record["delivery_state"] = RECORDS_ONLY
            batch.append((line, record))  # `writer.add`, inline: this loop runs for every row
            if len(batch) >= BATCH_ROWS:
                writer.flush()
                batch = writer.rows
        if count % 1000 == 0:
            if progress is not None:
                progress(count)
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
    writer.flush()
    if report.imported >= OPTIMIZE_AFTER_ROWS:  # fresh planner statistics once the table has grown a lot
        from xsc_desktop import db

        db.optimize()
    return report


OPTIMIZE_AFTER_ROWS = 10_000


def import_file(path: Path | str, lander_id: int, mapping: dict[str, str | None] | None = None, *,
                remember: bool = True, progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None, now: datetime | None = None,
                delivery: str = "auto", on_conflict: str = "skip") -> ImportReport:
    """Import a lead file for a lander, streaming; `progress(done, total)` is called now and then, `cancel`
    stops after the current batch (what was stored stays). `delivery` and `on_conflict` as the module says.
    Returns the report; raises UserError when the file cannot be read at all."""
    path = Path(path)
    lander = _check_lander(lander_id)
    source = open_lead_file(path)
    if mapping is None:
        mapping = propose_mapping(source.columns, remembered_mapping(lander.id))
    else:
        mapping = {c: (mapping.get(c) or None) for c in source.columns} | {
            c: t for c, t in mapping.items() if c not in source.columns}
    report = ImportReport(file=path.name, lander_id=lander.id, mapping=dict(mapping), encoding=source.encoding)
    on_rows = (lambda _n: progress(source.position(), source.total)) if progress else None
    try:
        import_rows(lander.id, source.rows, mapping, report, now=now, progress=on_rows, cancel=cancel,
                    columns=source.columns, delivery=delivery, on_conflict=on_conflict)
    finally:
        _close(source.rows)
    for line, message in source.errors:
        report.problem(line, message)
        report.error = message + "."
    counter = getattr(source, "_counter", None)
    if counter and counter[1]:
        report.encoding = f"mixed UTF-8 and cp1252 ({counter[1]} lines read as cp1252)"
    elif counter and source.encoding == "utf-8" and counter[1] == 0:
        report.encoding = "utf-8"
    if remember:
        remember_mapping(lander.id, mapping)
    if progress is not None:
        progress(source.total, source.total)
    from xsc_desktop import activity

    activity.record("lander", lander.id, "leads imported", note=report.summary())
    events.publish(Topic.LEAD_IMPORTED, lander_id=lander.id, count=report.imported, file=path.name)
    return report
