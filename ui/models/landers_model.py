"""The Landers board's model: every lander in memory as flat rows, filtered and sorted here, not in a proxy.

Filtering a few tens of thousands of pre-lowered strings in Python takes a few milliseconds; a
QSortFilterProxyModel calling back into Python per row is an order of magnitude slower.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

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
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
_NEW_BRUSH = QBrush(QColor(NEW_CLIENT_BACKGROUND))


def _when(value: str | None) -> str:
    return local_text(value) if value else ""


def _flags_text(row: LanderRow) -> str:
    return ", ".join(FLAGS.get(f, f) for f in row.flags)


class LandersModel(QAbstractTableModel):
    """Landers as table rows; `set_filter` and `sort` work on an index list over the loaded rows."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[LanderRow] = []
        self._haystack: list[str] = []
        self._visible: list[int] = []
        self._text = ""
        self._status: str | None = None
        self._client_id: int | None = None
        self._sort_column = 7
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._bold = QFont()
        self._bold.setBold(True)

    # --- loading, filtering, sorting

    def set_rows(self, rows: list[LanderRow]) -> None:
        """Replace every row (after a reload from the database)."""
        self.beginResetModel()
        self._rows = rows
        self._haystack = [f"{r.client}\n{r.campaign}\n{r.name}\n{r.url}".lower() for r in rows]
        self._visible = self._filtered()
        self._sort_visible()
        self.endResetModel()

    def set_filter(self, text: str | None = None, status: str | None = "", client_id: int | None = -1) -> None:
        """Show only rows matching the search text (client, campaign, lander, URL), the status and the client."""
        if text is not None:
            self._text = text.strip().lower()
        if status != "":
            self._status = status or None
        if client_id != -1:
            self._client_id = client_id or None
        self.beginResetModel()
        self._visible = self._filtered()
        self._sort_visible()
        self.endResetModel()

    def _filtered(self) -> list[int]:
        words = self._text.split()
        status, client_id, rows, hay = self._status, self._client_id, self._rows, self._haystack
        return [i for i in range(len(rows))
                if (status is None or rows[i].status == status)
                and (client_id is None or rows[i].client_id == client_id)
                and all(w in hay[i] for w in words)]

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

    def _sort_visible(self) -> None:
        self._visible.sort(key=self._key(self._sort_column),
                           reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old = {self._visible[p.row()]: p for p in self.persistentIndexList() if p.isValid()}
        self._sort_column, self._sort_order = column, order
        self._sort_visible()
        if old:
            position = {row: n for n, row in enumerate(self._visible)}
            persistent = self.persistentIndexList()
            moved = [self.index(position[self._visible[p.row()]], p.column()) if p.isValid() else QModelIndex()
                     for p in persistent]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    # --- lookups for the page

    def row_at(self, row: int) -> LanderRow | None:
        """The lander shown at a view row."""
        return self._rows[self._visible[row]] if 0 <= row < len(self._visible) else None

    def row_of(self, lander_id: int) -> int:
        """The view row showing a lander, or -1."""
        for n, i in enumerate(self._visible):
            if self._rows[i].id == lander_id:
                return n
        return -1

    def all_rows(self) -> list[LanderRow]:
        """Every loaded lander, filtered or not."""
        return self._rows

    # --- Qt model interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid():
            return None
        r = self._rows[self._visible[index.row()]]
        col = index.column()
        if role == DISPLAY:
            if col == 0:
                return f"★ {r.client}" if r.new_client else r.client
            return (None, r.campaign, r.name, r.url, STATUS_LABELS.get(r.status, r.status), _flags_text(r),
                    _when(r.handed_over_at), _when(r.updated_at))[col]
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
            if col == 5 and r.flag_note:
                return r.flag_note
            if col == STATUS_COLUMN and r.missing_info:
                return "Missing: " + "; ".join(r.missing_info)
        return None
