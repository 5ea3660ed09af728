"""Edit a mapping's transform chain: add steps from the registry, set their arguments, reorder, try a value."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from parsers.spec import TransformStep
from parsers.transforms import TRANSFORMS, Arg, check_step, compile_chain
from ui.models.parser_models import transform_label, transforms_text
from ui.widgets import hint


def map_to_text(mapping: dict[str, Any]) -> str:
    """A lookup table as "value = replacement" lines."""
    return "\n".join(f"{k} = {v}" for k, v in mapping.items())


def text_to_map(text: str) -> dict[str, str]:
    """Read "value = replacement" lines back (the first "=" splits; blank lines skipped)."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _sep, value = line.partition("=")
        table[key.strip()] = value.strip()
    return table



def value_text(value) -> str:  # whatever a transform gives
    """A transform's value as people read it: text in quotes (so spaces show), yes/no, numbers, lists joined —
    never a Python repr."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)

class TransformChainDialog(QDialog):
    """The chain of one mapping; `steps()` gives the edited chain (copies, the mapping is untouched)."""

    def __init__(self, steps: list[TransformStep], target: str = "", sample_value: str = "",
                 lead: dict[str, Any] | None = None, read_only: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Transforms of {target}" if target else "Transforms")
        self.setMinimumSize(640, 420)
        self._steps = [copy.deepcopy(s) for s in steps]
        self._lead = lead or {}
        self._read_only = read_only
        self._arg_widgets: dict[str, QWidget] = {}

        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show_step)
        self.add_combo = QComboBox()
        for name, info in TRANSFORMS.items():
            self.add_combo.addItem(transform_label(name), name)
            self.add_combo.setItemData(self.add_combo.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._add)
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.remove_button = QPushButton("Remove")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.remove_button.clicked.connect(self._remove)

        left = QVBoxLayout()
        left.addWidget(QLabel("Steps, applied top to bottom"))
        left.addWidget(self.list, 1)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_combo, 1)
        add_row.addWidget(self.add_button)
        left.addLayout(add_row)
        moves = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button):
            moves.addWidget(button)
        left.addLayout(moves)

        self.step_box = QGroupBox("Step")
        self.step_description = hint("")
        self.args_form = QFormLayout()
        self.step_problems = QLabel()
        self.step_problems.setWordWrap(True)
        self.step_problems.setProperty("role", "problem")
        step_layout = QVBoxLayout(self.step_box)
        step_layout.addWidget(self.step_description)
        step_layout.addLayout(self.args_form)
        step_layout.addWidget(self.step_problems)
        step_layout.addStretch(1)

        self.try_input = QLineEdit(sample_value)
        self.try_input.setPlaceholderText("Type a value to try the chain")
        self.try_output = QLabel()
        self.try_output.setWordWrap(True)
        self.try_input.textChanged.connect(self._try)
        try_box = QGroupBox("Try it")
        try_form = QFormLayout(try_box)
        try_form.addRow("Value", self.try_input)
        try_form.addRow("Result", self.try_output)

        right = QVBoxLayout()
        right.addWidget(self.step_box, 1)
        right.addWidget(try_box)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(buttons)
        for widget in (self.add_combo, self.add_button, self.up_button, self.down_button, self.remove_button):
            widget.setEnabled(not read_only)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not read_only)

        self._fill_list()
        if self._steps:
            self.list.setCurrentRow(0)
        else:
            self._show_step(-1)
        self._try()

    # --- the chain

    def steps(self) -> list[TransformStep]:
        """The edited chain."""
        return [copy.deepcopy(s) for s in self._steps]

    def _fill_list(self) -> None:
        current = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for n, step in enumerate(self._steps, 1):
            problems = check_step(step.name, step.args)
            mark = "  ⚠" if problems else ""
            self.list.addItem(f"{n}. {transforms_text([step])}{mark}")
        self.list.blockSignals(False)
        if 0 <= current < len(self._steps):
            self.list.setCurrentRow(current)

    def add_step(self, name: str, args: dict[str, Any] | None = None) -> None:
        """Append a step (the Add button, and tests)."""
        self._steps.append(TransformStep(name, dict(args or {})))
        self._fill_list()
        self.list.setCurrentRow(len(self._steps) - 1)
        self._try()

    def _add(self) -> None:
        self.add_step(self.add_combo.currentData())

    def _move(self, delta: int) -> None:
        row = self.list.currentRow()
        to = row + delta
        if 0 <= row < len(self._steps) and 0 <= to < len(self._steps):
            self._steps[row], self._steps[to] = self._steps[to], self._steps[row]
            self._fill_list()
            self.list.setCurrentRow(to)
            self._try()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._steps):
            del self._steps[row]
            self._fill_list()
            self.list.setCurrentRow(min(row, len(self._steps) - 1))
            self._show_step(self.list.currentRow())
            self._try()

    # --- one step's arguments

    def _show_step(self, row: int) -> None:
        while self.args_form.rowCount():
            self.args_form.removeRow(0)
        self._arg_widgets = {}
        step = self._steps[row] if 0 <= row < len(self._steps) else None
        self.step_box.setEnabled(step is not None)
        if step is None:
            self.step_box.setTitle("Step")
            self.step_description.setText("Add a step: the value goes through the steps in order.")
            self.step_problems.clear()
            return
        info = TRANSFORMS.get(step.name)
        self.step_box.setTitle(transform_label(step.name))
        self.step_description.setText(info.description if info else "Unknown transform.")
        if info is not None:
            for arg in info.args:
                widget = self._arg_widget(arg, step.args.get(arg.name))
                widget.setToolTip(arg.help)
                widget.setEnabled(not self._read_only)
                self._arg_widgets[arg.name] = widget
                label = arg.name.replace("_", " ") + (" *" if arg.required else "")
                self.args_form.addRow(label, widget)
        self._show_problems(step)

    def _arg_widget(self, arg: Arg, value: Any) -> QWidget:
        if arg.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(arg.choices))
            current = value if value is not None else arg.default
            if current in arg.choices:
                combo.setCurrentText(current)
            combo.currentTextChanged.connect(self._args_edited)
            return combo
        if arg.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value if value is not None else arg.default))
            box.toggled.connect(self._args_edited)
            return box
        if arg.kind == "int":
            spin = QSpinBox()
            spin.setRange(0, 100000)
            spin.setSpecialValueText("(not set)")
            spin.setValue(int(value) if isinstance(value, int) else int(arg.default or 0))
            spin.valueChanged.connect(self._args_edited)
            return spin
        if arg.kind == "map":
            edit = QPlainTextEdit(map_to_text(value) if isinstance(value, dict) else "")
            edit.setPlaceholderText("one per line:  value = replacement")
            edit.setFixedHeight(110)
            edit.textChanged.connect(self._args_edited)
            return edit
        line = QLineEdit()
        if arg.kind == "fields":
            line.setText(", ".join(value) if isinstance(value, list) else "")
            line.setPlaceholderText("first_name, last_name")
        else:
            line.setText("" if value is None else str(value))
            if arg.default not in (None, ""):
                line.setPlaceholderText(f"default: {value_text(arg.default)}")
        line.textChanged.connect(self._args_edited)
        return line

    def _args_edited(self, *_args) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._steps):
            return
        step = self._steps[row]
        info = TRANSFORMS.get(step.name)
        if info is None:
            return
        args: dict[str, Any] = {}
        for arg in info.args:
            widget = self._arg_widgets.get(arg.name)
            if isinstance(widget, QComboBox):
                args[arg.name] = widget.currentText()
            elif isinstance(widget, QCheckBox):
                if widget.isChecked() != bool(arg.default) or arg.name in step.args:
                    args[arg.name] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                if widget.value() > 0:
                    args[arg.name] = widget.value()
            elif isinstance(widget, QPlainTextEdit):
                table = text_to_map(widget.toPlainText())
                if table or arg.required:
                    args[arg.name] = table
            elif isinstance(widget, QLineEdit):
                text = widget.text()
                if arg.kind == "fields":
                    names = [n.strip() for n in text.split(",") if n.strip()]
                    if names:
                        args[arg.name] = names
                elif text == (arg.default or "") or (not text and arg.default is None):
                    continue  # the default: left out, so the spec stays short
                else:
                    args[arg.name] = text
        step.args = args
        self._fill_list()
        self._show_problems(step)
        self._try()

    def _show_problems(self, step: TransformStep) -> None:
        self.step_problems.setText("\n".join(check_step(step.name, step.args)))

    def _try(self, *_args) -> None:
        try:
            chain = compile_chain([(s.name, s.args) for s in self._steps])
            result = chain(self.try_input.text(), self._lead)
        except Exception as exc:  # a half-typed argument: say so, never crash
            self.try_output.setText(f"Cannot run the chain yet: {exc}")
            return
        self.try_output.setText(value_text(result))
