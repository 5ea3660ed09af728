"""Importing landers from a CSV file: headers matched by name, every bad row reported, re-imports idempotent."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from peewee import fn

from xsc_desktop import activity, events
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.landers import check_url, get_or_create_campaign, get_or_create_client, parse_flags, status_from_text
from xsc_desktop.models import Lander, database, utcnow
from xsc_desktop.textfiles import read_csv_rows, sniff_dialect, text_io

MAX_BYTES = 200 * 1024 * 1024

# Column → the header words that name it (compared lower-case, without spaces, dashes or underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "client": ("client", "clientname", "firm", "lawfirm", "customer"),
    "campaign": ("campaign", "campaignname"),
    "name": ("lander", "landername", "name", "page", "landingpage"),
    "url": ("url", "landerurl", "link", "address", "pageurl"),
    "status": ("status", "state", "stage"),
    "flags": ("flags", "flag", "exceptions", "customscripts"),
    "new_client": ("newclient", "new", "isnew"),
}
REQUIRED = ("client", "campaign", "name", "url")


@dataclass
class ImportReport:
    """What a lander import did: counts and every bad row with its line number and reason."""

    file: str
    created: int = 0
    already_known: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a person."""
        text = f"{self.created} landers imported, {self.already_known} already known"
        if self.problems:
            text += f", {len(self.problems)} rows with problems"
        return text + "."

    def as_json(self) -> dict:
        return {"file": self.file, "created": self.created, "already_known": self.already_known,
                "problems": [{"line": line, "reason": reason} for line, reason in self.problems]}


def _match_header(header: list[str]) -> dict[str, int]:
    squashed = [re.sub(r"[\s_\-]", "", h.strip().lower()) for h in header]
    found: dict[str, int] = {}
    for column, words in COLUMNS.items():
        for i, h in enumerate(squashed):
            if h in words and i not in found.values():
                found[column] = i
                break
    return found


def looks_like_landers_csv(path: Path) -> bool:
    """Whether a file is a CSV whose first row names the lander columns (for routing dropped files).

    Reads only the head of the file: routing runs on the GUI thread and a dropped file may be hundreds of MB.
    """
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return False
    stream = text_io(head)
    try:
        header = next(csv.reader(stream, sniff_dialect(stream)), [])
    except csv.Error:
        return False
    columns = _match_header(header)
    return all(c in columns for c in REQUIRED)


def import_landers(path: str | Path) -> ImportReport:
    """Import every good row of a landers CSV in one transaction; bad rows are reported, never half-written."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise UserError(f"The file {path} cannot be read; check the name and try again.") from None
    if size == 0:
        raise UserError(f"{path.name} is empty; export the landers again and import that file.")
    if size > MAX_BYTES:
        raise UserError(f"{path.name} is larger than 200 MB; split it and import the parts.")
    report = ImportReport(file=path.name)
    rows = read_csv_rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise UserError(f"{path.name} has no rows; export the landers again and import that file.") from None
    columns = _match_header(header)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UserError(f"{path.name} has no {', '.join(missing)} column; the first row must name the columns "
                        "client, campaign, lander, url (status and flags are optional).")
    known_urls = {url for (url,) in Lander.select(Lander.url).tuples()}
    # Clients and campaigns are looked up in memory: a file repeats the same few thousands of times.
    campaign_ids: dict[tuple[str, str], int] = {}
    width = max(columns.values()) + 1
    now = str(utcnow())  # the text peewee stores for a DateTimeField
    batch: list[tuple] = []
    insert = ("insert into lander (campaign_id, name, url, status, flags, flag_note, missing_info, handed_over_at, "
              "created_at, updated_at) values (?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)").replace("?", database.param)
    with database.atomic():
        first_new_id = (Lander.select(fn.MAX(Lander.id)).scalar() or 0) + 1
        cursor = database.cursor()
        for line, row in rows:
            if not any(cell.strip() for cell in row):
                continue
            if any("\x00" in cell for cell in row):
                report.problems.append((line, "it holds NUL bytes (a damaged or binary file); fix the row and "
                                              "import it again"))
                continue
            if len(row) < width:
                row = row + [""] * (width - len(row))
            cell = {c: row[i].strip() for c, i in columns.items()}
            try:
                url = check_url(cell["url"])
                for column in ("client", "campaign", "name"):
                    if not cell[column]:
                        raise UserError(f"the {column} is empty")
                status = status_from_text(cell.get("status") or "in_production")
                flags, note = parse_flags(cell.get("flags", ""))
            except UserError as exc:
                report.problems.append((line, str(exc).rstrip(".")))
                continue
            if url in known_urls:
                report.already_known += 1
                continue
            is_new = cell.get("new_client", "").lower() in {"1", "yes", "y", "true", "new"}
            key = (cell["client"].lower(), cell["campaign"].lower())
            campaign_id = campaign_ids.get(key)
            if campaign_id is None or is_new:
                client = get_or_create_client(cell["client"], is_new=is_new)
                campaign_id = campaign_ids[key] = get_or_create_campaign(client, cell["campaign"]).id
            batch.append((campaign_id, cell["name"], url, status, ";".join(flags), note,
                          None if status == "in_production" else now, now, now))
            known_urls.add(url)
            report.created += 1
            if len(batch) >= 5000:
                cursor.executemany(insert, batch)
                batch.clear()
        if batch:
            cursor.executemany(insert, batch)
        # One "created" Activity row per new lander: the new ids are those above the largest id before the import.
        database.execute_sql(
            "insert into activity (at, actor, subject_type, subject_id, action, from_state, to_state, note) "
            "select ?, ?, 'lander', id, 'created', '', status, ? from lander where id >= ?".replace("?", database.param),
            (now, activity.current_actor(), f"imported from {path.name}", first_new_id))
        created_ids = [i for (i,) in Lander.select(Lander.id).where(Lander.id >= first_new_id).tuples()]
        activity.record("lander", None, "imported", note=f"{path.name}: {report.summary()}")
    if created_ids:
        events.publish(Topic.LANDER_IMPORTED, lander_ids=created_ids)
    return report
