"""The lander's integration in a dialog: parser, the settings and secrets it needs, the sample lead.

Opened from the Landers board's context menu ("Integration settings…"). Secrets are never shown: a secret that
is set shows as a masked placeholder, and an empty field keeps it. What is still missing for the next gather is
shown as it would be reported (needs info).
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.widgets import hint
from ui.workers import run_task
from xsc_desktop import integrations, parsers_store
from xsc_desktop.errors import UserError


def setting_label(name: str, label: str = "") -> str:
    """A parser setting as a form row reads: its label, else its name in words (vendor_id → Vendor id)."""
    if label:
        return label
    return name.replace("_", " ").capitalize() if "_" in name else name


def load_state(lander_id: int) -> dict:
    """Everything the dialog shows for a lander (run in a worker): the masked view and the parser names."""
    return {"view": integrations.view(lander_id), "parsers": [p.name for p in parsers_store.list_parsers()]}


class IntegrationDialog(QDialog):
    """Set a lander's parser, settings, secrets and sample lead; Save stores them in a worker."""

    def __init__(self, state: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = state["view"]
        self.setWindowTitle(f"Integration — {self.view.lander}")
        self.setMinimumWidth(560)
        self.parser = QComboBox()
        self.parser.addItem("(choose a parser)", "")
        from parsers.presets import is_preset
        from parsers.spec import preset_label

        for name in state["parsers"]:
            self.parser.addItem(f"{preset_label(name)} (preset)" if is_preset(name) else name, name)
        index = self.parser.findData(self.view.parser)
        self.parser.setCurrentIndex(max(index, 0))
        self.fields_box = QGroupBox("Settings and secrets this parser needs")
        self.fields_form = QFormLayout(self.fields_box)
        self.setting_edits: dict[str, QLineEdit] = {}
        self.secret_edits: dict[str, QLineEdit] = {}
        self.sample = QPlainTextEdit()
        self.sample.setPlaceholderText('{"first_name": "Ann", "phone": "2145550100"}   (empty: a made-up lead)')
        self.sample.setMaximumHeight(110)
        if self.view.sample_lead:
            self.sample.setPlainText(json.dumps(self.view.sample_lead, indent=1, ensure_ascii=False))
        self.missing = QLabel("")
        self.missing.setWordWrap(True)
        self.problem = QLabel("")
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)

        form = QFormLayout()
        form.addRow("Parser", self.parser)
        layout = QVBoxLayout(self)
        layout.addWidget(hint(f"{self.view.client} / {self.view.lander}. A preset is copied for this client the "
                              "first time it is chosen."))
        layout.addLayout(form)
        layout.addWidget(self.fields_box)
        layout.addWidget(QLabel("Sample lead (JSON) the TEST lead is built from"))
        layout.addWidget(self.sample)
        layout.addWidget(self.missing)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.parser.currentIndexChanged.connect(lambda _i: self._build_fields())
        self._build_fields()
        self._show_missing(self.view.missing)

    def _build_fields(self) -> None:
        from parsers.spec import secrets_needed, settings_needed

        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.setting_edits.clear()
        self.secret_edits.clear()
        name = self.parser.currentData()
        if not name:
            self.fields_form.addRow(QLabel("Choose a parser to see what it needs."))
            return
        try:
            spec = parsers_store.get_parser(name)  # a quick read of one row (or a bundled preset)
        except UserError as exc:
            self.fields_form.addRow(QLabel(str(exc)))
            return
        labels = {s.name: (s.label, s.example) for s in spec.settings}
        for key in dict.fromkeys([*settings_needed(spec), *self.view.settings]):
            edit = QLineEdit(str(self.view.settings.get(key, "")))
            label, example = labels.get(key, ("", ""))
            if example:
                edit.setPlaceholderText(f"e.g. {example}")
            edit.setToolTip(label or key)
            self.setting_edits[key] = edit
            self.fields_form.addRow(setting_label(key, label), edit)
        for key in dict.fromkeys([*secrets_needed(spec), *self.view.secrets]):
            edit = QLineEdit()
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText("set — type to replace" if self.view.secrets.get(key) else "not set")
            self.secret_edits[key] = edit
            self.fields_form.addRow(f"{setting_label(key, labels.get(key, ('', ''))[0])} (secret)", edit)
        if not self.setting_edits and not self.secret_edits:
            self.fields_form.addRow(QLabel("This parser needs no settings."))

    def _show_missing(self, missing: list[str]) -> None:
        self.missing.setText(("Still missing for the next gather: " + "; ".join(missing) + ".") if missing
                             else "Complete: the next gather puts this lander on the to-do list.")

    def values(self) -> dict:
        """What Save stores: parser, settings, secrets typed (empty ones kept), sample lead; UserError when bad."""
        sample_text = self.sample.toPlainText().strip()
        sample = None
        if sample_text:
            try:
                sample = json.loads(sample_text)
            except ValueError:
                raise UserError("The sample lead is not valid JSON; write one object of field: value.") from None
            if not isinstance(sample, dict):
                raise UserError("The sample lead must be one JSON object of field: value.")
        elif self.view.sample_lead:
            sample = {}  # cleared by the person
        parser = self.parser.currentData() or None
        if parser is None:
            raise UserError("Choose the parser this lander posts through.")
        return {"parser": parser, "settings": {k: e.text().strip() for k, e in self.setting_edits.items()},
                "secrets": {k: e.text() for k, e in self.secret_edits.items() if e.text()},
                "sample_lead": sample}

    def save(self) -> None:
        """Check the form and store it in a worker; the dialog closes when stored."""
        try:
            values = self.values()
        except UserError as exc:
            self.problem.setText(str(exc))
            return
        self.save_button.setEnabled(False)
        lander_id = self.view.lander_id

        def store():
            integrations.set_integration(lander_id, **values)
            return integrations.view(lander_id)

        def done(view) -> None:
            self.view = view
            self._show_missing(view.missing)
            self.accept()

        def failed(exc: Exception) -> None:
            self.save_button.setEnabled(True)
            self.problem.setText(str(exc))

        run_task(store, done, failed)


class IntegrationAction:
    """"Integration settings…" on the Landers board's context menu."""

    text = "Integration settings…"

    def __init__(self, window) -> None:
        self.window = window
        self.dialog: IntegrationDialog | None = None

    def run(self, lander_row) -> None:
        """Load the lander's integration in a worker, then open the dialog."""
        def show(state: dict) -> None:
            self.dialog = IntegrationDialog(state, self.window)
            self.dialog.accepted.connect(lambda: self.window.status_message(
                f"Integration of {state['view'].lander} saved. {self.dialog.missing.text()}", 8000))
            self.dialog.open()

        run_task(lambda: load_state(lander_row.id), show, lambda exc: self.window.status_message(str(exc), 8000))
