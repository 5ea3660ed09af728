"""The lander's integration in a dialog: parser, the settings and secrets it needs, the sample lead, and on its
second tab the delivery rules (caps, hours, filters, checks; see ui.dialogs.delivery_rules_tab).

Opened from the Landers board's context menu ("Integration settings…"). Secrets are never shown: a secret that
is set shows as a masked placeholder, and an empty field keeps it. What is still missing for the next gather is
shown as it would be reported (needs info). Save stores the integration and its rules in one transaction: rules
that cannot be saved keep everything else unsaved too.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs.delivery_rules_tab import DeliveryRulesTab
from ui.widgets import add_reveal, changed_elsewhere, hint, offer_reload
from ui.workers import run_task
from xsc_desktop import delivery_rules, integrations, parsers_store
from xsc_desktop.errors import UserError


def setting_label(name: str, label: str = "") -> str:
    """A parser setting as a form row reads: its label, else its name in words (vendor_id → Vendor id)."""
    if label:
        return label
    return name.replace("_", " ").capitalize() if "_" in name else name


def load_state(lander_id: int) -> dict:
    """Everything the dialog shows for a lander (run in a worker): the masked view, the parser names, the delivery
    rules with what the lander collects and its client's zone."""
    from xsc_desktop.landers import get_lander

    view = integrations.view(lander_id)
    integration = integrations.get_integration(lander_id)
    rules, rules_problem = delivery_rules.DeliveryRules(), ""
    if integration is not None:
        try:
            rules = delivery_rules.DeliveryRules.from_json(integration.delivery_rules)
        except delivery_rules.RuleError as exc:
            rules_problem = str(exc)
    return {"view": view, "parsers": [p.name for p in parsers_store.list_parsers()], "rules": rules,
            "rules_problem": rules_problem, "lander_fields": _lander_fields(lander_id),
            "client_zone": get_lander(lander_id).campaign.client.time_zone}


def _lander_fields(lander_id: int) -> set[str] | None:
    from xsc_desktop import delivery_gate

    return delivery_gate.lander_fields(lander_id)


def save_state(lander_id: int, values: dict, rules: delivery_rules.DeliveryRules | None) -> integrations.IntegrationView:
    """Store the integration and its delivery rules in one transaction (run in a worker); UserError and nothing
    stored when either is refused."""
    from xsc_desktop import delivery_gate
    from xsc_desktop.models import database

    with database.atomic():
        integration = integrations.set_integration(lander_id, **values)
        if rules is not None:
            delivery_gate.save_rules(integration.id, rules)
    return integrations.view(lander_id)


class IntegrationDialog(QDialog):
    """Set a lander's parser, settings, secrets and sample lead; Save stores them in a worker."""

    reload_wanted = Signal()  # someone else saved the integration first and the operator chose Reload

    def __init__(self, state: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = state["view"]
        self.stored_rules = state.get("rules") or delivery_rules.DeliveryRules()
        self.setWindowTitle(f"Integration — {self.view.lander}")
        self.setMinimumWidth(640)
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
        main = QWidget()
        main_layout = QVBoxLayout(main)
        main_layout.addWidget(hint(f"{self.view.client} / {self.view.lander}. A preset is copied for this client "
                                   "the first time it is chosen."))
        main_layout.addLayout(form)
        main_layout.addWidget(self.fields_box)
        main_layout.addWidget(QLabel("Sample lead (JSON) the TEST lead is built from"))
        main_layout.addWidget(self.sample)
        main_layout.addStretch(1)
        self.rules_tab = DeliveryRulesTab(self.stored_rules, client_zone=state.get("client_zone"),
                                          lander_fields=state.get("lander_fields"), sample_lead=self.sample_for_rules)
        self.sample.textChanged.connect(self.rules_tab.refresh)
        self.tabs = QTabWidget()
        self.tabs.addTab(main, "Integration")
        self.tabs.addTab(self.rules_tab, "Delivery rules")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.missing)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.parser.currentIndexChanged.connect(lambda _i: self._build_fields())
        self._build_fields()
        self._show_missing(self.view.missing)
        if state.get("rules_problem"):
            self.problem.setText(state["rules_problem"])

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
            add_reveal(edit)
            edit.setPlaceholderText("set — type to replace" if self.view.secrets.get(key) else "not set")
            self.secret_edits[key] = edit
            self.fields_form.addRow(f"{setting_label(key, labels.get(key, ('', ''))[0])} (secret)", edit)
        if not self.setting_edits and not self.secret_edits:
            self.fields_form.addRow(QLabel("This parser needs no settings."))

    def sample_for_rules(self) -> dict:
        """The lead "Would the sample lead pass?" checks: the sample typed on the first tab (while it reads as an
        object), over the complete made-up lead."""
        from parsers.render import sample_lead

        lead = dict(sample_lead())
        try:
            typed = json.loads(self.sample.toPlainText().strip() or "{}")
        except ValueError:
            typed = self.view.sample_lead or {}
        if isinstance(typed, dict):
            lead.update({k: v for k, v in typed.items() if v not in (None, "")})
        return lead

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
            self.tabs.setCurrentIndex(0)
            self.problem.setText(str(exc))
            return
        try:
            rules = self.rules_tab.rules()
        except delivery_rules.RuleError as exc:
            self.tabs.setCurrentWidget(self.rules_tab)
            self.problem.setText(f"Nothing was saved: {exc}")
            return
        self.problem.setText("")
        self.save_button.setEnabled(False)
        lander_id = self.view.lander_id
        changed = None if rules == self.stored_rules else rules

        opened_version = self.view.row_version

        def store():
            return save_state(lander_id, {**values, "expected_version": opened_version}, changed)

        def done(view) -> None:
            self.view = view
            self._show_missing(view.missing)
            self.accept()

        def failed(exc: Exception) -> None:
            self.save_button.setEnabled(True)
            self.problem.setText(str(exc))
            if changed_elsewhere(exc) and offer_reload(self, "Save integration", exc):
                self.reject()
                self.reload_wanted.emit()

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
            self.dialog.reload_wanted.connect(lambda: self.run(lander_row))
            self.dialog.accepted.connect(lambda: self.window.status_message(
                f"Integration of {state['view'].lander} saved. {self.dialog.missing.text()}", 8000))
            self.dialog.open()

        run_task(lambda: load_state(lander_row.id), show, lambda exc: self.window.status_message(str(exc), 8000))
