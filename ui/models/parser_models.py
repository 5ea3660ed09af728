"""Table models of the Parsers page: the parser list, and the editable tables of one parser spec.

The spec tables (mappings, static fields, headers, response rules, declared settings) edit the lists of a
`parsers.spec.ParserSpec` in place, so the page renders its live preview straight from the spec object.
Every change goes through Qt's model signals (dataChanged, rowsInserted/Removed/Moved), which the
editor listens to; rows of the ordered tables (mappings, rules) move by drag and drop or by move_row().
"""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from parsers.expressions import PLACEHOLDER_RE
from parsers.fields import FIELDS_BY_NAME
from parsers.spec import (
    VALUE_TYPES,
    Extract,
    Mapping,
    ResponseRule,
    SettingInfo,
    StaticField,
    TransformStep,
    preset_label,
    system_label,
)
from ui.models.base import ROW_ROLE, TableModel
from xsc_desktop.parsers_store import ParserSummary, ParserVersionInfo

# Role constants built once: a per-call enum lookup costs microseconds on every paint.
DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
CHECK = Qt.ItemDataRole.CheckStateRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # chip status: "preset"/"saved", or a rule's outcome
CHECKED = Qt.CheckState.Checked
UNCHECKED = Qt.CheckState.Unchecked
NO_INDEX = QModelIndex()
_GREY = QBrush(QColor("#80868b"))  # "(from the integration)": a value filled elsewhere

ROW_MIME = "application/x-xsc-spec-row"
MASK = "••••"
SOURCE_KIND_LABELS = {"field": "Lead", "constant": "Constant", "template": "Template"}
OUTCOME_LABELS = {"accepted": "Accepted", "duplicate": "Duplicate", "rejected": "Rejected", "error": "Error"}

_BASE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDIT_FLAGS = _BASE_FLAGS | Qt.ItemFlag.ItemIsEditable
_CHECK_FLAGS = _BASE_FLAGS | Qt.ItemFlag.ItemIsUserCheckable
_DRAG = Qt.ItemFlag.ItemIsDragEnabled
_DROP = Qt.ItemFlag.ItemIsDropEnabled

T = TypeVar("T")


def transform_label(name: str) -> str:
    """A transform's name as a person reads it: regex_replace → regex replace."""
    return name.replace("_", " ")


def transforms_text(steps: list[TransformStep]) -> str:
    """A transform chain in one line: "trim → phone(dashes) → truncate(length=10)"."""
    parts = []
    for step in steps:
        args = step.args or {}
        name = transform_label(step.name)
        if not args:
            parts.append(name)
        elif len(args) == 1:
            value = next(iter(args.values()))
            parts.append(f"{name}({_short(value)})")
        else:
            parts.append(f"{name}(" + ", ".join(f"{transform_label(k)}={_short(v)}" for k, v in args.items()) + ")")
    return " → ".join(parts)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 24 else text[:23] + "…"


def extract_text(extract: Extract | None) -> str:
    """An answer extract as "json_path $.id", or "" when none."""
    return f"{extract.kind} {extract.expr}" if extract else ""


def parse_extract(text: str) -> Extract | None:
    """Read "json_path $.id" / "regex id=(\\d+)" / "literal Bad key" back; a bare $-path means json_path."""
    text = text.strip()
    if not text:
        return None
    kind, _, expr = text.partition(" ")
    if kind in ("json_path", "xpath", "regex", "literal"):
        return Extract(kind, expr.strip())
    if text.startswith("$"):
        return Extract("json_path", text)
    return Extract("literal", text)


# ---- the spec tables -----------------------------------------------------------------------------------------
class SpecListModel(QAbstractTableModel, Generic[T]):
    """An editable table over a list of spec items (edited in place), with add, remove and move.

    Subclasses name their COLUMNS and implement `_display`, `_edit_value` and `_set`; `CHECK_COLUMNS`
    hold booleans shown as check boxes. `ORDERED` tables accept drag and drop to reorder rows.
    """

    COLUMNS: tuple[str, ...] = ()
    CHECK_COLUMNS: frozenset[int] = frozenset()
    READ_ONLY_COLUMNS: frozenset[int] = frozenset()
    ORDERED = False
    TIPS: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[T] = []
        self.read_only = False

    # --- loading and lookups

    def set_items(self, items: list[T], read_only: bool = False) -> None:
        """Show (and edit in place) this list of spec items."""
        self.beginResetModel()
        self._items = items
        self.read_only = read_only
        self.endResetModel()

    def items(self) -> list[T]:
        """The list being edited."""
        return self._items

    def item_at(self, row: int) -> T | None:
        """The item on a row, or None."""
        return self._items[row] if 0 <= row < len(self._items) else None

    # --- changes

    def add_item(self, item: T, row: int | None = None) -> int:
        """Insert `item` (at the end by default); returns its row."""
        row = len(self._items) if row is None else max(0, min(row, len(self._items)))
        self.beginInsertRows(NO_INDEX, row, row)
        self._items.insert(row, item)
        self.endInsertRows()
        return row

    def replace_item(self, row: int, item: T) -> None:
        """Put a new item on a row (after a dialog edited a copy)."""
        if 0 <= row < len(self._items):
            self._items[row] = item
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def removeRows(self, row: int, count: int, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> bool:
        if parent.isValid() or count < 1 or row < 0 or row + count > len(self._items):
            return False
        self.beginRemoveRows(NO_INDEX, row, row + count - 1)
        del self._items[row:row + count]
        self.endRemoveRows()
        return True

    def moveRows(self, source_parent, source_row: int, count: int, destination_parent,
                 destination_child: int) -> bool:
        if (source_parent.isValid() or destination_parent.isValid() or count < 1 or source_row < 0
                or source_row + count > len(self._items) or not 0 <= destination_child <= len(self._items)
                or source_row <= destination_child <= source_row + count):
            return False
        if not self.beginMoveRows(NO_INDEX, source_row, source_row + count - 1, NO_INDEX, destination_child):
            return False
        moving = self._items[source_row:source_row + count]
        del self._items[source_row:source_row + count]
        insert_at = destination_child - count if destination_child > source_row else destination_child
        self._items[insert_at:insert_at] = moving
        self.endMoveRows()
        return True

    def move_row(self, row: int, to: int) -> bool:
        """Move one row so it ends up at row `to` (up/down buttons and drops)."""
        if row == to or not (0 <= row < len(self._items)) or not (0 <= to < len(self._items)):
            return False
        return self.moveRows(NO_INDEX, row, 1, NO_INDEX, to + 1 if to > row else to)

    # --- drag and drop (ordered tables)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [ROW_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(ROW_MIME, QByteArray(json.dumps(rows).encode()))
        return data

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return self.ORDERED and not self.read_only and data is not None and data.hasFormat(ROW_MIME)

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        try:
            rows = json.loads(bytes(data.data(ROW_MIME).data()))
        except ValueError:
            return False
        if len(rows) != 1:
            return False
        target = row if row >= 0 else (parent.row() if parent.isValid() else len(self._items))
        source = rows[0]
        to = target - 1 if target > source else target
        self.move_row(source, max(0, min(to, len(self._items) - 1)))
        # The row has been moved here; returning False stops the view from also removing the "source" rows.
        return False

    # --- Qt model interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            if role == DISPLAY:
                return self.COLUMNS[section]
            if role == TOOLTIP and section < len(self.TIPS):
                return self.TIPS[section] or None
        if orientation == Qt.Orientation.Vertical and role == DISPLAY and 0 <= section < len(self._items):
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return _DROP if self.ORDERED and not self.read_only else Qt.ItemFlag.NoItemFlags
        column = index.column()
        if self.read_only or column in self.READ_ONLY_COLUMNS:
            flags = _BASE_FLAGS
        elif column in self.CHECK_COLUMNS:
            flags = _CHECK_FLAGS
        else:
            flags = _EDIT_FLAGS
        if self.ORDERED and not self.read_only:
            flags |= _DRAG
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid():
            return None
        item = self._items[index.row()]
        column = index.column()
        if column in self.CHECK_COLUMNS:
            if role == CHECK:
                return CHECKED if self._edit_value(item, column) else UNCHECKED
            return None
        if role == DISPLAY:
            return self._display(item, column)
        if role == EDIT:
            return self._edit_value(item, column)
        if role == ROW_ROLE:
            return item
        return self._extra(item, column, role)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = EDIT) -> bool:
        if not index.isValid() or self.read_only:
            return False
        column = index.column()
        if column in self.CHECK_COLUMNS:
            if role != CHECK:
                return False
            value = value in (CHECKED, CHECKED.value, 2, True)
        elif role != EDIT or column in self.READ_ONLY_COLUMNS:
            return False
        item = self._items[index.row()]
        if not self._set(item, column, value):
            return False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self.COLUMNS) - 1))
        return True

    # --- per table

    def _display(self, item: T, column: int) -> Any:
        return self._edit_value(item, column)

    def _edit_value(self, item: T, column: int) -> Any:
        raise NotImplementedError

    def _set(self, item: T, column: int, value: Any) -> bool:
        raise NotImplementedError

    def _extra(self, item: T, column: int, role: int) -> Any:
        return None


class MappingsModel(SpecListModel[Mapping]):
    """The field mappings: client field ← lead field / constant / template, transforms, required, default."""

    COLUMNS = ("Client field", "From", "Source", "Transforms", "Type", "Required", "Default")
    STRETCH = 2  # the column that takes the room left (ui.table_fit)
    TIPS = ("The client's field name; a dotted path nests it in JSON and XML bodies",
            "Where the value comes from: a lead field, a constant, or a template such as {first_name} {last_name}",
            "The lead field, constant text or template", "Transforms applied in order (double-click to edit)",
            "How a JSON body writes the value: text, a number, or true/false",
            "A required field that comes out empty stops the lead from being sent", "Used when the value is empty")
    TARGET, KIND, SOURCE, TRANSFORMS, TYPE, REQUIRED, DEFAULT = range(7)
    FREE_TEXT_COLUMNS = (TARGET, DEFAULT)  # the client's own field names and the operator's values
    CHECK_COLUMNS = frozenset({REQUIRED})
    READ_ONLY_COLUMNS = frozenset({TRANSFORMS})  # edited in the transform chain dialog
    ORDERED = True

    def _display(self, item: Mapping, column: int) -> Any:
        if column == self.KIND:
            return SOURCE_KIND_LABELS.get(item.kind, item.kind)
        if column == self.SOURCE and item.kind == "field" and item.source:
            known = FIELDS_BY_NAME.get(item.source)
            return known.label if known is not None else f"{item.source} (custom)"
        if column == self.TRANSFORMS:
            return transforms_text(item.transforms)
        return self._edit_value(item, column)

    def _edit_value(self, item: Mapping, column: int) -> Any:
        return (item.target, item.kind, item.source, transforms_text(item.transforms), item.type, item.required,
                item.default)[column]

    def _set(self, item: Mapping, column: int, value: Any) -> bool:
        if column == self.TARGET:
            item.target = str(value).strip()
        elif column == self.KIND:
            if value not in SOURCE_KIND_LABELS:
                return False
            item.kind = str(value)
        elif column == self.SOURCE:
            item.source = str(value) if item.kind != "field" else str(value).strip()
        elif column == self.TYPE:
            if value not in VALUE_TYPES:
                return False
            item.type = str(value)
        elif column == self.REQUIRED:
            item.required = bool(value)
        elif column == self.DEFAULT:
            item.default = str(value)
        else:
            return False
        return True

    def _extra(self, item: Mapping, column: int, role: int) -> Any:
        if role == TOOLTIP:
            if column == self.TRANSFORMS:
                return (transforms_text(item.transforms) or "No transforms") + " — double-click to edit the chain"
            if column == self.SOURCE and item.kind == "field" and item.source:
                known = FIELDS_BY_NAME.get(item.source)
                return known.label if known else \
                    "Not a canonical lead field: filled only from a lead's custom field of this name"
        return None

    def set_transforms(self, row: int, steps: list[TransformStep]) -> None:
        """Replace a mapping's transform chain."""
        item = self.item_at(row)
        if item is not None and not self.read_only:
            item.transforms = steps
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))


class StaticFieldsModel(SpecListModel[StaticField]):
    """Static fields sent with every lead; literal values of secret fields stay masked until revealed."""

    COLUMNS = ("Name", "Value", "Goes in", "Secret")
    STRETCH = 1  # the column that takes the room left (ui.table_fit)
    TIPS = ("The client's field name", "Text, a {setting} placeholder, or empty for the integration's setting "
            "of the same name", "Body, query string or header", "Read from the integration's secrets; masked")
    NAME, VALUE, LOCATION, SECRET = range(4)
    CHECK_COLUMNS = frozenset({SECRET})

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.revealed = False
        self.kept_secrets: set[str] = set()  # secret fields whose value the store keeps apart for the parser

    def set_revealed(self, revealed: bool) -> None:
        """Show or mask the literal values of secret static fields."""
        self.revealed = revealed
        if self._items:
            self.dataChanged.emit(self.index(0, self.VALUE), self.index(len(self._items) - 1, self.VALUE))

    def _display(self, item: StaticField, column: int) -> Any:
        if column == self.VALUE:
            if not item.value:
                return "(kept secret)" if item.secret and item.name in self.kept_secrets else "(from the integration)"
            if item.secret and not self.revealed and not PLACEHOLDER_RE.fullmatch(item.value):
                return MASK
        return self._edit_value(item, column)

    def _edit_value(self, item: StaticField, column: int) -> Any:
        return (item.name, item.value, item.location, item.secret)[column]

    def _set(self, item: StaticField, column: int, value: Any) -> bool:
        if column == self.NAME:
            item.name = str(value).strip()
        elif column == self.VALUE:
            item.value = str(value)
        elif column == self.LOCATION:
            if value not in ("body", "query", "header"):
                return False
            item.location = str(value)
        elif column == self.SECRET:
            item.secret = bool(value)
        else:
            return False
        return True

    def _extra(self, item: StaticField, column: int, role: int) -> Any:
        if role == FOREGROUND and column == self.VALUE and not item.value:
            return _GREY
        return None


class HeaderItem:
    """One header row (the spec keeps headers as a dict; the table edits them as ordered pairs)."""

    __slots__ = ("name", "value")

    def __init__(self, name: str = "", value: str = "") -> None:
        self.name = name
        self.value = value


class HeadersModel(SpecListModel[HeaderItem]):
    """Extra request headers (values may hold {settings})."""

    COLUMNS = ("Header", "Value")
    NAME, VALUE = range(2)

    def headers(self) -> dict[str, str]:
        """The rows as the spec's header dict (rows without a name left out)."""
        return {h.name: h.value for h in self._items if h.name.strip()}

    def _edit_value(self, item: HeaderItem, column: int) -> Any:
        return item.name if column == self.NAME else item.value

    def _set(self, item: HeaderItem, column: int, value: Any) -> bool:
        if column == self.NAME:
            item.name = str(value).strip()
        else:
            item.value = str(value)
        return True


class RulesModel(SpecListModel[ResponseRule]):
    """Response rules, tried in order: conditions → outcome, with where to read the reason and remote id."""

    COLUMNS = ("Outcome", "Status", "Body pattern", "JSON path", "XPath", "Equals", "Reason from", "Remote id from")
    STRETCH = 2  # the column that takes the room left (ui.table_fit)
    TIPS = ("What a matching answer means", "200, 2xx, 400-499 or 401,403",
            "A regular expression searched in the body (case-insensitive)", "e.g. $.success", "e.g. .//Response",
            "The JSON path / XPath value must equal one of these (| between alternatives)",
            "e.g. json_path $.message, regex reason=(\\w+), literal Bad key", "e.g. json_path $.id")
    OUTCOME, STATUS, BODY, JSON_PATH, XPATH, EQUALS, REASON, REMOTE_ID = range(8)
    ORDERED = True

    def _display(self, item: ResponseRule, column: int) -> Any:
        if column == self.OUTCOME:
            return OUTCOME_LABELS.get(item.outcome, item.outcome)
        return self._edit_value(item, column)

    def _edit_value(self, item: ResponseRule, column: int) -> Any:
        return (item.outcome, item.status, item.body_regex, item.json_path, item.xpath, item.equals or "",
                extract_text(item.reason), extract_text(item.remote_id))[column]

    def _set(self, item: ResponseRule, column: int, value: Any) -> bool:
        text = str(value)
        if column == self.OUTCOME:
            if text not in OUTCOME_LABELS:
                return False
            item.outcome = text
        elif column == self.STATUS:
            item.status = text.strip()
        elif column == self.BODY:
            item.body_regex = text
        elif column == self.JSON_PATH:
            item.json_path = text.strip()
        elif column == self.XPATH:
            item.xpath = text.strip()
        elif column == self.EQUALS:
            item.equals = text if text else None
        elif column == self.REASON:
            item.reason = parse_extract(text)
        elif column == self.REMOTE_ID:
            item.remote_id = parse_extract(text)
        else:
            return False
        return True

    def _extra(self, item: ResponseRule, column: int, role: int) -> Any:
        if role == KIND_ROLE:
            return item.outcome
        return None


class SettingsInfoModel(SpecListModel[SettingInfo]):
    """The settings each integration fills (CaptorraId, ...), with a label and an example."""

    COLUMNS = ("Setting", "Label", "Example", "Secret")
    STRETCH = 1  # the column that takes the room left (ui.table_fit)
    NAME, LABEL, EXAMPLE, SECRET = range(4)
    CHECK_COLUMNS = frozenset({SECRET})

    def _edit_value(self, item: SettingInfo, column: int) -> Any:
        return (item.name, item.label, item.example, item.secret)[column]

    def _set(self, item: SettingInfo, column: int, value: Any) -> bool:
        if column == self.NAME:
            item.name = str(value).strip()
        elif column == self.LABEL:
            item.label = str(value)
        elif column == self.EXAMPLE:
            item.example = str(value)
        else:
            item.secret = bool(value)
        return True


# ---- the parser list and the history ------------------------------------------------------------------------
class ParserListModel(QAbstractTableModel):
    """Presets and saved parsers, saved ones first; `set_filter` narrows by name, system or description."""

    COLUMNS = ("Parser", "System", "Kind")
    NAME, SYSTEM, KIND = range(3)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ParserSummary] = []
        self._visible: list[ParserSummary] = []
        self._text = ""

    def set_rows(self, rows: list[ParserSummary]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: (r.is_preset, r.name.lower()))
        self._visible = self._filtered()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Show only parsers whose name, system or description hold every word of `text`."""
        self.beginResetModel()
        self._text = text.strip().lower()
        self._visible = self._filtered()
        self.endResetModel()

    def _filtered(self) -> list[ParserSummary]:
        words = self._text.split()
        if not words:
            return list(self._rows)
        return [r for r in self._rows
                if all(w in f"{r.name}\n{r.system}\n{r.description}".lower() for w in words)]

    def entry_at(self, row: int) -> ParserSummary | None:
        """The entry on a view row."""
        return self._visible[row] if 0 <= row < len(self._visible) else None

    def row_of(self, name: str, is_preset: bool | None = None) -> int:
        """The view row of a parser by name (and kind), or -1."""
        for n, r in enumerate(self._visible):
            if r.name == name and (is_preset is None or r.is_preset == is_preset):
                return n
        return -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid():
            return None
        r = self._visible[index.row()]
        column = index.column()
        if role == DISPLAY:
            if column == self.NAME:
                return preset_label(r.name) if r.is_preset else r.name
            if column == self.SYSTEM:
                return system_label(r.system)
            return "preset" if r.is_preset else f"v{r.version}" if r.version else "saved"
        if role == KIND_ROLE:
            return "preset" if r.is_preset else "saved"
        if role == ROW_ROLE:
            return r
        if role == TOOLTIP:
            lines = [f"Intake system: {system_label(r.system)}"]
            if r.is_preset:
                lines.append("A bundled preset: read-only. Duplicate it to edit.")
            elif r.problems:
                lines.append(f"{r.problems} problem{'s' if r.problems != 1 else ''} to fix before it can post.")
            if r.description:
                lines.append(r.description)
            return "\n".join(lines)
        return None


class HistoryModel(TableModel):
    """The saved versions of one parser, newest first."""

    COLUMNS = ("Version", "Saved", "By", "Note")
    columns = COLUMNS

    def set_rows(self, rows: list[ParserVersionInfo]) -> None:
        """Replace every row (newest first)."""
        super().set_rows(sorted(rows, key=lambda r: r.version, reverse=True))

    def entry_at(self, row: int) -> ParserVersionInfo | None:
        """The version on a row."""
        return self.row_at(row)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        if role == DISPLAY:
            column = index.column()
            if column == 0:
                return f"v{r.version}"
            if column == 1:
                return r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else ""
            return r.author if column == 2 else r.note
        if role == ROW_ROLE:
            return r
        return None
