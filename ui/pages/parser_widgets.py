"""Pieces of the parser editor: combo-box cell editors, the spec tables with their add/remove/move buttons,
and the test values box."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from parsers.fields import CANONICAL_FIELDS
from parsers.spec import (
    VALUE_TYPES,
    ParserSpec,
    secrets_needed,
    settings_needed,
)
from ui.models.parser_models import (
    OUTCOME_LABELS,
    SOURCE_KIND_LABELS,
    MappingsModel,
    RulesModel,
    SpecListModel,
)
from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate, FlowRow, hint


class ChoiceDelegate(QStyledItemDelegate):
    """Edits some columns with a combo box of (value, label) choices; `editable_columns` accept typing too."""

    def __init__(self, choices: dict[int, list[tuple[str, str]]], editable_columns: frozenset[int] = frozenset(),
                 parent=None) -> None:
        super().__init__(parent)
        self.choices = choices
        self.editable_columns = editable_columns

    def createEditor(self, parent, option, index: QModelIndex):
        choices = self._choices_for(index)
        if choices is None:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.setEditable(index.column() in self.editable_columns)
        for value, label in choices:
            combo.addItem(label, value)
        return combo

    def _choices_for(self, index: QModelIndex) -> list[tuple[str, str]] | None:
        return self.choices.get(index.column())

    def setEditorData(self, editor, index: QModelIndex) -> None:
        if isinstance(editor, QComboBox):
            value = index.data(Qt.ItemDataRole.EditRole)
            found = editor.findData(value)
            if found >= 0:
                editor.setCurrentIndex(found)
            elif editor.isEditable():
                editor.setEditText("" if value is None else str(value))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor, model, index: QModelIndex) -> None:
        if isinstance(editor, QComboBox):
            text = editor.currentText()
            found = editor.findText(text)
            value = editor.itemData(found) if found >= 0 else text
            model.setData(index, value, Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)


class MappingSourceDelegate(ChoiceDelegate):
    """The mapping table's editors: the source kind, and for lead fields the canonical fields plus custom ones."""

    def __init__(self, custom_fields, parent=None) -> None:
        kinds = [(k, label) for k, label in SOURCE_KIND_LABELS.items()]
        types = [(t, t) for t in VALUE_TYPES]
        super().__init__({MappingsModel.KIND: kinds, MappingsModel.TYPE: types}, frozenset({MappingsModel.SOURCE}),
                         parent)
        self.custom_fields = custom_fields  # callable → names of custom lead fields worth offering

    def _choices_for(self, index: QModelIndex):
        if index.column() == MappingsModel.SOURCE:
            mapping = index.model().item_at(index.row())
            if mapping is None or mapping.kind != "field":
                return None
            fields = [(f.name, f"{f.name}  ({f.label})") for f in CANONICAL_FIELDS]
            fields += [(name, f"{name}  (custom)") for name in self.custom_fields()
                       if name not in {f.name for f in CANONICAL_FIELDS}]
            return fields
        return super()._choices_for(index)


def spec_table(model: SpecListModel, ordered: bool = False) -> QTableView:
    """A calm table for one of the spec's lists (drag to reorder when `ordered`)."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                          | QAbstractItemView.EditTrigger.AnyKeyPressed)
    table.verticalHeader().setDefaultSectionSize(26)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.setShowGrid(False)
    table.setWordWrap(False)
    fit_columns(table, stretch=getattr(model, "STRETCH", model.columnCount() - 1))
    if ordered:
        table.setDragEnabled(True)
        table.setAcceptDrops(True)
        table.setDropIndicatorShown(True)
        table.setDragDropOverwriteMode(False)
        table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        table.setDefaultDropAction(Qt.DropAction.MoveAction)
    return table


class TableSection(QWidget):
    """A spec table with its Add / Remove (and Up / Down for ordered tables) buttons."""

    def __init__(self, model: SpecListModel, make_item, explanation: str = "", ordered: bool = False,
                 extra_buttons: tuple[QPushButton, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.make_item = make_item
        self.table = spec_table(model, ordered)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button.clicked.connect(lambda: self.move(1))
        if not ordered:
            self.up_button.hide()
            self.down_button.hide()
        # the buttons wrap onto a second line in a narrow column rather than make it scroll sideways
        buttons = FlowRow((self.add_button, self.remove_button, self.up_button, self.down_button, *extra_buttons))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if explanation:
            layout.addWidget(hint(explanation))
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def current_row(self) -> int:
        """The selected row, or -1."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def select(self, row: int) -> None:
        """Select a row."""
        if 0 <= row < self.model.rowCount():
            self.table.selectRow(row)

    def add(self) -> None:
        """Add a new row after the selected one, and start editing its first cell."""
        row = self.current_row()
        new = self.model.add_item(self.make_item(), row + 1 if row >= 0 else None)
        self.select(new)
        self.table.edit(self.model.index(new, 0))

    def remove(self) -> None:
        """Remove the selected row."""
        row = self.current_row()
        if row >= 0:
            self.model.removeRows(row, 1)
            self.select(min(row, self.model.rowCount() - 1))

    def move(self, delta: int) -> None:
        """Move the selected row up or down."""
        row = self.current_row()
        if row >= 0 and self.model.move_row(row, row + delta):
            self.select(row + delta)

    def set_read_only(self, read_only: bool) -> None:
        """Lock the buttons (presets)."""
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            button.setEnabled(not read_only)


class TestValues(QGroupBox):
    """The values the preview and "Send test" fill the spec's {settings} and secrets with.

    Secrets are masked until "Show secrets" is ticked; nothing here is saved in the parser.
    """

    __test__ = False  # not a pytest test class despite the name
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Test values", parent)  # a short title: a group box is never narrower than its title
        self.form = QFormLayout()
        self.reveal = QCheckBox("Show secrets")
        self.reveal.toggled.connect(self._reveal)
        self.empty = hint("This parser needs no settings or secrets.")
        layout = QVBoxLayout(self)
        layout.addWidget(hint("Used by the preview and Send test; not saved in the parser."))
        layout.addLayout(self.form)
        layout.addWidget(self.empty)
        layout.addWidget(self.reveal)
        self._settings: dict[str, QLineEdit] = {}
        self._secrets: dict[str, QLineEdit] = {}
        # Remembered per parser (a key typed for one client must never be posted to another's endpoint).
        self._values: dict[tuple[str, str, str], str] = {}
        self._parser = ""

    def rebuild(self, spec: ParserSpec) -> None:
        """Show one field per needed setting and secret (keeping what was typed)."""
        wanted = ([("setting", n) for n in settings_needed(spec)] + [("secret", n) for n in secrets_needed(spec)])
        current = [("setting", n) for n in self._settings] + [("secret", n) for n in self._secrets]
        if wanted == current and spec.name == self._parser:
            return
        self._parser = spec.name
        examples = {s.name: s.example for s in spec.settings}
        labels = {s.name: s.label for s in spec.settings}
        while self.form.rowCount():
            self.form.removeRow(0)
        self._settings, self._secrets = {}, {}
        for kind, name in wanted:
            # Never prefilled with the example: a test post must go where the operator says, not to an example.
            edit = QLineEdit(self._values.get((spec.name, kind, name), ""))
            example = f" (e.g. {examples[name]})" if examples.get(name) else ""
            edit.setPlaceholderText((labels.get(name) or ("the secret value" if kind == "secret" else name)) + example)
            if kind == "secret":
                edit.setEchoMode(QLineEdit.EchoMode.Normal if self.reveal.isChecked() else QLineEdit.EchoMode.Password)
                self._secrets[name] = edit
            else:
                self._settings[name] = edit
            edit.textChanged.connect(lambda text, k=(spec.name, kind, name): self._typed(k, text))
            self.form.addRow(f"{name}{' (secret)' if kind == 'secret' else ''}", edit)
        self.empty.setVisible(not wanted)
        self.reveal.setVisible(bool(self._secrets))

    def _typed(self, key: tuple[str, str, str], text: str) -> None:
        self._values[key] = text
        self.changed.emit()

    def _reveal(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        for edit in self._secrets.values():
            edit.setEchoMode(mode)

    def settings(self) -> dict[str, str]:
        """Setting name → typed value."""
        return {n: e.text() for n, e in self._settings.items()}

    def secrets(self) -> dict[str, str]:
        """Secret name → typed value."""
        return {n: e.text() for n, e in self._secrets.items()}

    def set_value(self, name: str, value: str, secret: bool = False) -> None:
        """Fill one value (tests, and a future "use the integration's values")."""
        edit = (self._secrets if secret else self._settings).get(name)
        self._values[("secret" if secret else "setting", name)] = value
        if edit is not None:
            edit.setText(value)


class _ChipEditingDelegate(ChoiceDelegate):
    """The rule outcome column: painted as a chip, edited with a combo box."""

    def __init__(self, chip: ChipDelegate, parent=None) -> None:
        super().__init__({RulesModel.OUTCOME: list(OUTCOME_LABELS.items())}, parent=parent)
        self.chip = chip

    def paint(self, painter, option, index) -> None:
        self.chip.paint(painter, option, index)

    def sizeHint(self, option, index):
        return self.chip.sizeHint(option, index)
