"""The Leads page's models: a lazy window over millions of leads in SQLite, and a lead's delivery attempts.

LeadsModel never holds all rows: `rowCount` comes from a COUNT answered by an index, rows are read in pages of
PAGE_ROWS when the view asks for them and at most CACHE_PAGES pages are kept. A page next to a cached one is read
by seeking on its neighbour's (received_at, id) key; a jump reads from the nearer end (the last page is a seek from
the bottom, as quick as the first). A new filter is counted off the GUI thread (`run_task`).
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ui.models.base import TableModel
from ui.workers import run_task
from xsc_desktop.clock import local_text
from xsc_desktop.leads import (
    LIST_COLUMNS,
    LeadFilter,
    count_leads,
    count_quickly,
    lander_names,
    lead_page,
    row_key,
)
from xsc_desktop.states import RULE_STATES

COLUMNS = ("Received", "Delivery", "Name", "Phone", "E-mail", "Lander", "Client", "State", "External id")
STATE_COLUMN = COLUMNS.index("Delivery")
PAGE_ROWS = 256
CACHE_PAGES = 40

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 3

_ID, _RECEIVED, _LANDER, _FIRST, _LAST, _FULL, _PHONE, _EMAIL, _STATE, _DELIVERY, _EXTERNAL = range(len(LIST_COLUMNS))

STATE_LABELS = {"new": "new", "sending": "sending", "retry": "retrying", "delivered": "delivered",
                "duplicate": "duplicate", "rejected": "rejected", "failed": "failed", "uncertain": "uncertain",
                "held": "held", "capped": "capped", "rejected_by_rule": "filtered by rule",
                "records": "kept for records"}
# The rule states (states.RULE_STATES): the row and the lead pane show the rule (and its reason) from the Activity.
# Chip colours per delivery state: calm for done, warm for what needs a person.
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "new": ("#e8eaed", "#3c4043"), "sending": ("#d2e3fc", "#174ea6"), "retry": ("#feefc3", "#8a4b00"),
    "delivered": ("#ceead6", "#0d652d"), "duplicate": ("#e9d7fe", "#5b2b9a"), "rejected": ("#fad2cf", "#a50e0e"),
    "failed": ("#fad2cf", "#a50e0e"), "uncertain": ("#fde293", "#7a4100"), "held": ("#f1f3f4", "#5f6368"),
    "records": ("#f1f3f4", "#5f6368"), "capped": ("#fce8b2", "#7a4100"), "rejected_by_rule": ("#f6e0f0", "#8b1a6b"),
}


def rule_notes(rows: list[tuple], id_at: int = _ID, state_at: int = _DELIVERY) -> dict[int, str]:
    """{lead id: "rule: reason"} for the rows in a rule state: the latest Activity that put each there (one query
    by the (subject_type, subject_id) index, only when a row needs it)."""
    from xsc_desktop.models import Activity

    wanted = {data[id_at]: data[state_at] for data in rows if data[state_at] in RULE_STATES}
    if not wanted:
        return {}
    notes: dict[int, str] = {}
    query = (Activity.select(Activity.subject_id, Activity.to_state, Activity.note)
             .where((Activity.subject_type == "lead") & Activity.subject_id.in_(list(wanted))
                    & Activity.to_state.in_(RULE_STATES))
             .order_by(Activity.id.desc()).tuples())
    for lead_id, to_state, note in query:
        if lead_id not in notes and wanted.get(lead_id) == to_state and note:
            notes[lead_id] = note
    return notes


def rule_of(note: str) -> str:
    """The rule named at the start of a note ("Cap of 25 a day: ..." → "Cap of 25 a day")."""
    return note.split(": ", 1)[0] if note else ""


def _phone_text(phone: str | None) -> str:
    if phone and len(phone) == 10 and phone.isdigit():
        return f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    return phone or ""


class LeadsModel(QAbstractTableModel):
    """Leads matching a LeadFilter, newest first, read page by page."""

    counted = Signal(int)  # rows matching the filter, after every (re)load

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._filter = LeadFilter()
        self._count = 0
        self._pages: OrderedDict[int, list[tuple]] = OrderedDict()
        self._landers: dict[int, tuple[str, str, int]] = {}
        self._notes: dict[int, str] = {}  # rule notes of the cached rows in a rule state
        self._generation = 0

    # --- loading

    @property
    def filter(self) -> LeadFilter:
        """The filter in force."""
        return self._filter

    def set_filter(self, flt: LeadFilter, *, background: bool = True) -> None:
        """Show the leads matching `flt`; read off the GUI thread unless `background` is False.

        The first page shows as soon as it is read; with no filter the row count is first the id span (an index
        lookup) and the exact count follows from its own task (`counted` is emitted once the count is exact)."""
        self._filter = flt
        self._generation += 1
        generation = self._generation

        def load():
            count, exact = count_quickly(flt)
            first = lead_page(flt, PAGE_ROWS)
            return count, exact, first, lander_names(), rule_notes(first)

        if background:
            run_task(load, lambda result: self._loaded(generation, result, background))
        else:
            self._loaded(generation, load(), background)

    def reload(self, *, background: bool = True) -> None:
        """Count and read again (after imports and deliveries)."""
        self.set_filter(self._filter, background=background)

    def _loaded(self, generation: int, result, background: bool) -> None:
        if generation != self._generation:
            return  # a newer filter is on its way
        count, exact, first, landers, notes = result
        self.beginResetModel()
        self._count = count
        self._landers = landers
        self._notes = notes
        self._pages.clear()
        if first:
            self._pages[0] = first
        self.endResetModel()
        if exact:
            self.counted.emit(count)
            return
        flt = self._filter
        if background:
            run_task(lambda: count_leads(flt), lambda n: self._recounted(generation, n))
        else:
            self._recounted(generation, count_leads(flt))

    def _recounted(self, generation: int, count: int) -> None:
        if generation != self._generation:
            return
        if count < self._count:
            self.beginRemoveRows(QModelIndex(), count, self._count - 1)
            self._count = count
            self.endRemoveRows()
        elif count > self._count:
            self.beginInsertRows(QModelIndex(), self._count, count - 1)
            self._count = count
            self.endInsertRows()
        self.counted.emit(count)

    def _page(self, number: int) -> list[tuple]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        before = self._pages.get(number - 1)
        after = self._pages.get(number + 1)
        first = number * PAGE_ROWS
        size = min(PAGE_ROWS, self._count - first)
        if before and len(before) == PAGE_ROWS:
            page = lead_page(self._filter, size, after=row_key(before[-1]))
        elif after:
            page = lead_page(self._filter, size, before=row_key(after[0]))
        elif first <= self._count - first - size:
            page = lead_page(self._filter, size, offset=first)
        else:  # nearer the bottom: count from there
            page = lead_page(self._filter, size, offset=self._count - first - size, from_end=True)
        self._pages[number] = page
        self._notes.update(rule_notes(page))
        while len(self._pages) > CACHE_PAGES:
            self._pages.popitem(last=False)
        if len(self._notes) > CACHE_PAGES * PAGE_ROWS:
            cached = {data[_ID] for p in self._pages.values() for data in p}
            self._notes = {k: v for k, v in self._notes.items() if k in cached}
        return page

    def _row(self, row: int) -> tuple | None:
        if row < 0 or row >= self._count:
            return None
        page = self._page(row // PAGE_ROWS)
        offset = row % PAGE_ROWS
        return page[offset] if offset < len(page) else None

    # --- reading rows

    def lead_id_at(self, row: int) -> int | None:
        """The lead id shown on a row."""
        data = self._row(row)
        return data[_ID] if data else None

    def row_of(self, lead_id: int) -> int:
        """The row of a lead among the cached pages, or -1."""
        for number, page in self._pages.items():
            for offset, data in enumerate(page):
                if data[_ID] == lead_id:
                    return number * PAGE_ROWS + offset
        return -1

    def cached_rows(self) -> int:
        """How many rows are held in memory now (the benchmark checks it stays small)."""
        return sum(len(p) for p in self._pages.values())

    # --- Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid():
            return None
        if role != DISPLAY and role != ID_ROLE and role != STATE_ROLE and role != TOOLTIP:
            return None
        data = self._row(index.row())
        if data is None:
            return None
        if role == ID_ROLE:
            return data[_ID]
        if role == STATE_ROLE:
            return data[_DELIVERY]
        column = index.column()
        if role == TOOLTIP:
            if column == 1 and data[_ID] in self._notes:
                return self._notes[data[_ID]]
            return f"Lead {data[_ID]}" if column == 0 else None
        if column == 0:
            return local_text(data[_RECEIVED])  # stored as naive UTC; shown on the operator's clock
        if column == 1:
            label = STATE_LABELS.get(data[_DELIVERY], data[_DELIVERY])
            rule = rule_of(self._notes.get(data[_ID], ""))
            if len(rule) > 26:  # the whole rule and its reason are in the tooltip and the lead pane
                rule = rule[:25] + "…"
            return f"{label}: {rule}" if rule else label
        if column == 2:
            name = " ".join(p for p in (data[_FIRST], data[_LAST]) if p)
            return name or data[_FULL] or ""
        if column == 3:
            return _phone_text(data[_PHONE])
        if column == 4:
            return data[_EMAIL] or ""
        if column == 5:
            return self._landers.get(data[_LANDER], (f"lander {data[_LANDER]}", "", 0))[0]
        if column == 6:
            return self._landers.get(data[_LANDER], ("", "", 0))[1]
        if column == 7:
            return data[_STATE] or ""
        if column == 8:
            return data[_EXTERNAL] or ""
        return None


DELIVERY_COLUMNS = ("Time", "Attempt", "Outcome", "HTTP", "Latency", "Reason", "Remote id")


class DeliveriesModel(TableModel):
    """A lead's delivery attempts, oldest first (a handful of rows)."""

    columns = DELIVERY_COLUMNS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        if role == STATE_ROLE:
            return {"accepted": "delivered", "error": "failed"}.get(row.state, row.state)
        if role == TOOLTIP:
            return row.response_excerpt[:500] or row.reason or None
        if role != DISPLAY:
            return None
        column = index.column()
        if column == 0:
            return local_text(row.created_at, "%Y-%m-%d %H:%M:%S")
        if column == 1:
            return str(row.attempt)
        if column == 2:
            return row.state + (" (will retry)" if row.next_attempt_at else "")
        if column == 3:
            return str(row.http_status) if row.http_status else "—"
        if column == 4:
            return f"{row.latency_ms:.0f} ms" if row.latency_ms is not None else "—"
        if column == 5:
            return row.reason
        if column == 6:
            return row.remote_id
        return None
