"""The Landers board's model: every lander in memory as flat rows, filtered and sorted here, not in a proxy.

The rows are sorted once (on load and on a header click) into `_order`; a filter walks that order, so what it
keeps is already sorted. Typed text is found with a plain substring scan: each row's lowered client, campaign,
lander and URL are joined, in sorted order, into one string, `str.find` runs over it at C speed and the hits map
back to rows through their start offsets; a common word (many hits) is tested row by row instead, and typing
more letters only narrows the rows already shown. A QSortFilterProxyModel calling back into Python per row is an
order of magnitude slower.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import compress, repeat
from operator import contains

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ui.models.base import ROW_ROLE
from ui.theme import NEW_CLIENT_BACKGROUND
from xsc_desktop.clock import local_text
from xsc_desktop.landers import FLAGS, STATUS_LABELS, LanderRow

COLUMNS = ("Client", "Campaign", "Lander", "URL", "Status", "Flags", "Handed over", "Updated")
STATUS_COLUMN = COLUMNS.index("Status")

# Role constants built once: a per-call enum lookup costs microseconds on every paint.
DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
FONT = Qt.ItemDataRole.FontRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
_NEW_BRUSH = QBrush(QColor(NEW_CLIENT_BACKGROUND))
# The roles `data` answers: a view asks each painted cell for about seven roles, most of which the board leaves to
# the style, and those are turned away before any row is looked up.
_SERVED = frozenset(getattr(r, "value", r) for r in (DISPLAY, TOOLTIP, BACKGROUND, FONT, SORT_ROLE, ROW_ROLE,
                                                     STATUS_ROLE))


CAP_REACHED = "Cap reached today"
CAP_TOOLTIP = ("The integration has taken its daily cap: more leads wait (capped) and go when the day's window "
               "reopens.")


def _flags_text(row: LanderRow) -> str:
    return ", ".join(FLAGS.get(f, f) for f in row.flags)


class LandersModel(QAbstractTableModel):
    """Landers as table rows; `set_filter` and `sort` work on an index list over the loaded rows."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[LanderRow] = []
        self._haystack: list[str] = []
        self._order: list[int] = []  # every row, in the sort order
        self._blob = ""  # the haystacks in sort order, joined by NUL ("" until a text filter needs it)
        self._sorted_hay: list[str] = []  # the haystacks in sort order
        self._starts: list[int] = []  # where each row of `_order` starts in `_blob`
        self._visible: list[int] = []
        self._text = ""
        self._status: str | None = None
        self._client_id: int | None = None
        self._sort_column = 7
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._times: dict[str, str] = {}  # stored time -> local text, for the rows painted since the last load
        self._bold = QFont()
        self._bold.setBold(True)
        self._capped: frozenset[int] = frozenset()  # landers whose integration reached its daily cap today

    # --- loading, filtering, sorting

    def set_rows(self, rows: list[LanderRow]) -> None:
        """Replace every row (after a reload from the database)."""
        self.beginResetModel()
        self._rows = rows
        self._times = {}  # the operator's time zone may have changed
        self._haystack = []  # made when a search first needs it: the board paints sooner
        self._sort_rows()
        self._visible = self._filtered()
        self.endResetModel()

    def set_capped(self, lander_ids: Iterable[int]) -> None:
        """The landers at their daily cap (read off the GUI thread once per refresh); their Flags cell says so."""
        capped = frozenset(lander_ids)
        if capped == self._capped:
            return
        self._capped = capped
        if self._visible:
            self.dataChanged.emit(self.index(0, 5), self.index(len(self._visible) - 1, 5), [DISPLAY, TOOLTIP])

    def capped(self) -> frozenset[int]:
        """The landers at their daily cap today (as last read)."""
        return self._capped

    def set_filter(self, text: str | None = None, status: str | None = "", client_id: int | None = -1) -> None:
        """Show only rows matching the search text (client, campaign, lander, URL), the status and the client."""
        narrower = False
        if text is not None:
            text = text.strip().lower()
            narrower = text.startswith(self._text) and status == "" and client_id == -1
            self._text = text
        if status != "":
            self._status = status or None
        if client_id != -1:
            self._client_id = client_id or None
        if narrower:  # more letters typed: the new matches are among the rows shown
            self._relayout(lambda: self._narrowed(self._visible, self._text.split()))
        else:
            self._relayout(self._filtered)

    def _relayout(self, visible) -> None:
        """Show the rows `visible()` returns as a layout change: the selection and every persistent index follow
        their lander (or are dropped when it is filtered out), and the view keeps its columns and header as they
        are. A model reset would rebuild the view's state for every row and clear the selection on each keystroke."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        shown = [self._visible[p.row()] if p.isValid() and p.row() < len(self._visible) else None
                 for p in persistent]
        self._visible = visible()
        if persistent:
            if len(persistent) <= 16:  # the selection and current row: a scan in C each, no map of every row
                rows = [self._position(row) for row in shown]
            else:
                position = {row: n for n, row in enumerate(self._visible)}
                rows = [position.get(row) if row is not None else None for row in shown]
            moved = [self.index(n, p.column()) if n is not None else QModelIndex()
                     for p, n in zip(persistent, rows, strict=True)]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _position(self, row: int | None) -> int | None:
        """Where a loaded row is shown now, or None."""
        if row is None:
            return None
        try:
            return self._visible.index(row)
        except ValueError:
            return None

    def _filtered(self) -> list[int]:
        """The rows passing every filter, in sort order."""
        words = self._text.split()
        status, client_id, rows = self._status, self._client_id, self._rows
        if words:
            blob = self._joined()
            words = list(dict.fromkeys(words))
            if len(words) > 1:  # the rarest word first: it leaves the fewest rows
                words.sort(key=blob.count)
            found = self._narrowed(self._containing(words[0]), words[1:])
        else:
            found = self._order
        if status is None and client_id is None:
            return list(found)
        return [i for i in found if (status is None or rows[i].status == status)
                and (client_id is None or rows[i].client_id == client_id)]

    def _narrowed(self, rows: list[int], words: list[str]) -> list[int]:
        """The rows among `rows` holding every word (one plain loop per word)."""
        hay = self._hay()
        for word in words:  # compress/map keep the per-row loop in C
            rows = list(compress(rows, map(contains, map(hay.__getitem__, rows), repeat(word))))
        return rows

    def _joined(self) -> str:
        """Every row's search text in sort order, joined by NUL (made on first use after a load or sort)."""
        if not self._blob and self._order:
            hay = self._hay()
            parts = self._sorted_hay = [hay[i] for i in self._order]
            self._blob = "\0".join(parts)
            starts, at = [], 0
            for part in parts:
                starts.append(at)
                at += len(part) + 1
            self._starts = starts
        return self._blob

    def _containing(self, word: str) -> list[int]:
        """Rows whose haystack holds `word`, in sort order: one substring scan over the joined haystacks."""
        blob, starts, order = self._joined(), self._starts, self._order
        hits = blob.count(word)
        if hits * 16 > len(order):  # a common word: testing each row (in C) is quicker than mapping every hit
            return list(compress(order, map(contains, self._sorted_hay, repeat(word))))
        found: list[int] = []
        find, count = blob.find, len(starts)
        pos = find(word)
        while pos != -1:
            k = bisect_right(starts, pos) - 1
            found.append(order[k])
            if k + 1 >= count:
                break
            pos = find(word, starts[k + 1])  # on from the next row: one hit per row
        return found

    def _hay(self) -> list[str]:
        """Each row's lowered client, campaign, lander and URL (made on first use)."""
        if len(self._haystack) != len(self._rows):
            self._haystack = [f"{r.client}\n{r.campaign}\n{r.name}\n{r.url}".lower() for r in self._rows]
        return self._haystack

    def _sort_rows(self) -> None:
        self._order = sorted(range(len(self._rows)), key=self._key(self._sort_column),
                             reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        self._blob, self._starts, self._sorted_hay = "", [], []

    def _key(self, column: int):
        rows = self._rows
        if column == 6:
            return lambda i: rows[i].handed_over_at or ""
        if column == 7:
            return lambda i: rows[i].updated_at
        if column == STATUS_COLUMN:
            order = {s: n for n, s in enumerate(STATUS_LABELS)}
            return lambda i: order.get(rows[i].status, 99)
        attr = ("client", "campaign", "name", "url", None, None)[column]
        if attr is None:
            return lambda i: _flags_text(rows[i]).lower()
        return lambda i: getattr(rows[i], attr).lower()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort_column, self._sort_order = column, order
        self._sort_rows()
        self._relayout(self._filtered)

    def _when(self, value: str | None) -> str:
        """A stored time as the operator reads it; converting costs ~0.1 ms, so each is converted once."""
        if not value:
            return ""
        text = self._times.get(value)
        if text is None:
            if len(self._times) > 20_000:  # scrolled through many rows: start over rather than grow
                self._times.clear()
            text = self._times[value] = local_text(value)
        return text

    # --- lookups for the page

    def row_at(self, row: int) -> LanderRow | None:
        """The lander shown at a view row."""
        return self._rows[self._visible[row]] if 0 <= row < len(self._visible) else None

    def row_of(self, lander_id: int) -> int:
        """The view row showing a lander, or -1."""
        loaded = next((k for k, r in enumerate(self._rows) if r.id == lander_id), None)
        found = self._position(loaded)
        return -1 if found is None else found

    def all_rows(self) -> list[LanderRow]:
        """Every loaded lander, filtered or not."""
        return self._rows

    # --- Qt model interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if getattr(role, "value", role) not in _SERVED or not index.isValid():
            return None
        r = self._rows[self._visible[index.row()]]
        col = index.column()
        if role == DISPLAY:
            if col == 0:
                return f"★ {r.client}" if r.new_client else r.client
            if col >= 6:
                return self._when(r.handed_over_at if col == 6 else r.updated_at)
            if col == 5 and r.id in self._capped:
                flags = _flags_text(r)
                return f"{CAP_REACHED}, {flags}" if flags else CAP_REACHED
            return (None, r.campaign, r.name, r.url, STATUS_LABELS.get(r.status, r.status), _flags_text(r),
                    None, None)[col]
        if role == STATUS_ROLE:
            return r.status
        if role == SORT_ROLE:
            return self._key(col)(self._visible[index.row()])
        if role == ROW_ROLE:
            return r
        if role == BACKGROUND and r.new_client:
            return _NEW_BRUSH
        if role == FONT and col == 0 and r.new_client:
            return self._bold
        if role == TOOLTIP:
            if col == 0 and r.new_client:
                return "New client: check everything twice."
            if col == 5 and r.id in self._capped:
                return CAP_TOOLTIP + (f"\n{r.flag_note}" if r.flag_note else "")
            if col == 5 and r.flag_note:
                return r.flag_note
            if col == STATUS_COLUMN and r.missing_info:
                return "Missing: " + "; ".join(r.missing_info)
        return None
