"""The parser editor of the Parsers page: basics, auth and test values, mappings, static fields, response
rules, test mode and delivery policy, all editing one `ParserSpec` in place.

`edited` fires after every change (a keystroke in a field, a cell edit, a row added or moved); the page
re-renders its preview from `spec()` then. Test values (what the preview and "Send test" fill the spec's
{settings} and secrets with) are kept beside the spec, never in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from parsers.fields import CANONICAL_FIELDS
from parsers.spec import (
    AUTH_KINDS,
    BODY_FORMATS,
    METHODS,
    SYSTEMS,
    TEST_KINDS,
    Mapping,
    ParserSpec,
    Problem,
    ResponseRule,
    SettingInfo,
    StaticField,
    system_label,
)
from ui.models.parser_models import (
    KIND_ROLE,
    OUTCOME_LABELS,
    HeaderItem,
    HeadersModel,
    MappingsModel,
    RulesModel,
    SettingsInfoModel,
    StaticFieldsModel,
)
from ui.pages.parser_widgets import (
    ChoiceDelegate,
    MappingSourceDelegate,
    TableSection,
    TestValues,
    _ChipEditingDelegate,
)
from ui.widgets import ChipDelegate, SideTabs, hint

AUTH_LABELS = {"none": "None", "basic": "Basic (user name and password)", "bearer": "Bearer token",
               "api_key": "API key"}
BODY_LABELS = {"json": "JSON", "form": "Form (urlencoded)", "xml": "XML", "query": "Query string"}
TEST_LABELS = {"none": "No test switch", "field": "Send a test field", "url": "Post to a separate test URL",
               "label": "Send a clearly labelled TEST lead"}
OUTCOME_COLOURS = {"accepted": ("#ceead6", "#0d652d"), "duplicate": ("#d2e3fc", "#174ea6"),
                   "rejected": ("#fad2cf", "#a50e0e"), "error": ("#feefc3", "#8a4b00")}



class ParserEditor(QWidget):
    """Every part of one parser; `load()` a spec, `spec()` is the edited object, `edited` on each change."""

    edited = Signal()

    def __init__(self, current_lead: Callable[[], dict[str, Any]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = ParserSpec(name="")
        self.read_only = False
        self._loading = False
        self._current_lead = current_lead or dict  # the preview's lead: offers its custom fields, feeds "Try it"

        self.mappings_model = MappingsModel(self)
        self.static_model = StaticFieldsModel(self)
        self.headers_model = HeadersModel(self)
        self.rules_model = RulesModel(self)
        self.settings_model = SettingsInfoModel(self)

        self.tabs = SideTabs()  # a list beside the sections: no scroll arrows in a narrow window
        self.tabs.addTab(self._basics_tab(), "Basics")
        self.tabs.addTab(self._mappings_tab(), "Mappings")
        self.tabs.addTab(self._static_tab(), "Static")
        self.tabs.addTab(self._auth_tab(), "Auth && settings")
        self.tabs.addTab(self._rules_tab(), "Rules")
        self.tabs.addTab(self._delivery_tab(), "Test && retry")
        self.tabs.setTabToolTip(2, "Static fields sent with every lead")
        self.tabs.setTabToolTip(4, "Response rules: how the client's answers are read")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        for model in (self.mappings_model, self.static_model, self.rules_model, self.settings_model):
            for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.rowsMoved):
                signal.connect(self._changed)
        for signal in (self.headers_model.dataChanged, self.headers_model.rowsInserted,
                       self.headers_model.rowsRemoved):
            signal.connect(self._headers_changed)

    # --- tabs

    def _basics_tab(self) -> QWidget:
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Captorra — Alvarez Accident Lawyers")
        self.system_combo = QComboBox()
        for system in SYSTEMS:
            self.system_combo.addItem(system_label(system), system)
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("What this parser is for (optional)")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://client.example/api/leads/{CampaignId}   ({name} = an integration setting)")
        self.test_url_edit = QLineEdit()
        self.test_url_edit.setPlaceholderText("Only when the client gives a separate test endpoint")
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(METHODS))
        self.format_combo = QComboBox()
        for key in BODY_FORMATS:
            self.format_combo.addItem(BODY_LABELS[key], key)
        self.xml_root_edit = QLineEdit()
        self.send_empty_box = QCheckBox("Send empty fields too")
        self.send_empty_box.setToolTip("Send the optional fields that are empty for a lead too")
        for combo in (self.system_combo, self.method_combo, self.format_combo):
            # narrow with the column instead of as wide as the longest choice
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        request_row = QHBoxLayout()
        request_row.addWidget(self.method_combo)
        request_row.addWidget(self.format_combo, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow column puts labels above
        form.addRow("Name", self.name_edit)
        form.addRow("Intake system", self.system_combo)
        form.addRow("Description", self.description_edit)
        form.addRow("Endpoint URL", self.url_edit)
        form.addRow("Test URL", self.test_url_edit)
        form.addRow("Request", request_row)
        form.addRow("XML root", self.xml_root_edit)
        form.addRow("", self.send_empty_box)

        self.headers_section = TableSection(self.headers_model, HeaderItem,
                                            "Extra headers; values may hold {settings}.")
        headers_box = QGroupBox("Headers")
        QVBoxLayout(headers_box).addWidget(self.headers_section)

        for edit in (self.name_edit, self.description_edit, self.url_edit, self.test_url_edit, self.xml_root_edit):
            edit.textEdited.connect(self._basics_edited)
        for combo in (self.system_combo, self.method_combo, self.format_combo):
            combo.currentIndexChanged.connect(self._basics_edited)
        self.send_empty_box.toggled.connect(self._basics_edited)

        headers_box.setMaximumHeight(220)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(2, 0, 4, 0)
        layout.addLayout(form)
        layout.addWidget(headers_box)
        layout.addStretch(1)
        return tab

    def _mappings_tab(self) -> QWidget:
        self.transforms_button = QPushButton("Transforms…")
        self.transforms_button.clicked.connect(self.edit_transforms)
        self.mappings_section = TableSection(
            self.mappings_model, lambda: Mapping(target="", source="", kind="field"),
            "Each client field and where its value comes from. Drag rows (or use Up and Down) to set the order "
            "fields are sent in; double-click Transforms to edit a chain.",
            ordered=True, extra_buttons=(self.transforms_button,))
        table = self.mappings_section.table
        self.mapping_delegate = MappingSourceDelegate(self._custom_field_names, table)
        table.setItemDelegate(self.mapping_delegate)
        table.doubleClicked.connect(self._mapping_double_clicked)
        header = table.horizontalHeader()
        for column, width in enumerate((108, 70, 118, 116, 54, 66)):
            header.resizeSection(column, width)
        return self.mappings_section

    def _static_tab(self) -> QWidget:
        self.reveal_static = QCheckBox("Show secret values")
        self.reveal_static.toggled.connect(self.static_model.set_revealed)
        self.static_section = TableSection(
            self.static_model, lambda: StaticField(name=""),
            "Values sent with every lead (campaign ids, source codes, keys). Leave a value empty to take the "
            "integration's setting of the same name; secret ones come from the integration's secrets.",
            extra_buttons=(self.reveal_static,))
        self.static_section.table.setItemDelegate(ChoiceDelegate(
            {StaticFieldsModel.LOCATION: [("body", "body"), ("query", "query"), ("header", "header")]},
            parent=self.static_section.table))
        header = self.static_section.table.horizontalHeader()
        for column, width in enumerate((170, 220, 80)):
            header.resizeSection(column, width)
        return self.static_section

    def _auth_tab(self) -> QWidget:
        self.auth_combo = QComboBox()
        for key in AUTH_KINDS:
            self.auth_combo.addItem(AUTH_LABELS[key], key)
        self.auth_user_edit = QLineEdit()
        self.auth_user_edit.setPlaceholderText("user name, or a {setting}")
        self.auth_secret_edit = QLineEdit()
        self.auth_secret_edit.setPlaceholderText("name of the secret, e.g. ApiKey (the value is never saved here)")
        self.auth_name_edit = QLineEdit()
        self.auth_name_edit.setPlaceholderText("header or query parameter name, e.g. X-Api-Key")
        self.auth_location_combo = QComboBox()
        self.auth_location_combo.addItems(["header", "query"])
        auth_box = QGroupBox("Authentication")
        self.auth_form = QFormLayout(auth_box)
        self.auth_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: the label goes above
        self.auth_form.addRow("Kind", self.auth_combo)
        self.auth_form.addRow("User name", self.auth_user_edit)
        self.auth_form.addRow("Secret", self.auth_secret_edit)
        self.auth_form.addRow("Key name", self.auth_name_edit)
        self.auth_form.addRow("Key goes in", self.auth_location_combo)
        for edit in (self.auth_user_edit, self.auth_secret_edit, self.auth_name_edit):
            edit.textEdited.connect(self._auth_edited)
        self.auth_combo.currentIndexChanged.connect(self._auth_edited)
        self.auth_location_combo.currentIndexChanged.connect(self._auth_edited)

        self.settings_section = TableSection(
            self.settings_model, lambda: SettingInfo(name=""),
            "Settings each integration fills in, with a label and an example (the preview uses the example).")
        settings_box = QGroupBox("Settings per integration")
        QVBoxLayout(settings_box).addWidget(self.settings_section)
        self.settings_section.table.setMinimumHeight(110)
        for column, width in enumerate((120, 220, 150)):
            self.settings_section.table.horizontalHeader().resizeSection(column, width)

        self.test_values = TestValues()
        self.test_values.changed.connect(self._changed)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(auth_box)
        layout.addWidget(settings_box)
        layout.addWidget(self.test_values)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        return scroll

    def _rules_tab(self) -> QWidget:
        self.rules_section = TableSection(
            self.rules_model, lambda: ResponseRule(outcome="accepted", status="2xx"),
            "Tried in order; the first rule whose conditions all hold decides. Without a match: 2xx accepted, "
            "409 duplicate, 408/429/5xx retried later, other 4xx rejected (bodies with a clear answer win).",
            ordered=True)
        table = self.rules_section.table
        table.setItemDelegate(ChoiceDelegate({RulesModel.OUTCOME: list(OUTCOME_LABELS.items())}, parent=table))
        self.rules_chip = ChipDelegate(KIND_ROLE, OUTCOME_COLOURS, parent=table)
        table.setItemDelegateForColumn(RulesModel.OUTCOME, _ChipEditingDelegate(self.rules_chip, table))
        header = table.horizontalHeader()
        for column, width in enumerate((96, 70, 150, 110, 100, 90, 130)):
            header.resizeSection(column, width)
        return self.rules_section

    def _delivery_tab(self) -> QWidget:
        self.test_kind_combo = QComboBox()
        for key in TEST_KINDS:
            self.test_kind_combo.addItem(TEST_LABELS[key], key)
        self.test_field_edit = QLineEdit()
        self.test_field_edit.setPlaceholderText("e.g. lp_test")
        self.test_value_edit = QLineEdit()
        self.test_value_edit.setPlaceholderText("e.g. 1")
        test_box = QGroupBox("Test mode")
        test_form = QFormLayout(test_box)
        test_form.addRow("How a test is marked", self.test_kind_combo)
        test_form.addRow("Test field", self.test_field_edit)
        test_form.addRow("Test value", self.test_value_edit)
        test_form.addRow("", hint("A separate test URL is set on the Basics tab."))

        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(0.5, 300)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setDecimals(1)
        self.attempts_spin = QSpinBox()
        self.attempts_spin.setRange(1, 20)
        self.backoff_spin = QDoubleSpinBox()
        self.backoff_spin.setRange(0, 86400)
        self.backoff_spin.setSuffix(" s")
        self.backoff_spin.setDecimals(1)
        self.idempotent_box = QCheckBox("Re-sending the same lead is harmless")
        self.idempotent_box.setToolTip("The client's system drops duplicates, or an external id is sent. When not "
                                       "ticked, a lead that timed out is not sent again (it may have arrived).")
        delivery_box = QGroupBox("Timeout and retries")
        delivery_form = QFormLayout(delivery_box)
        delivery_form.addRow("Timeout", self.timeout_spin)
        delivery_form.addRow("Attempts in all", self.attempts_spin)
        delivery_form.addRow("First wait (doubles)", self.backoff_spin)
        delivery_form.addRow("", self.idempotent_box)
        delivery_form.addRow("", hint("Tick it when the system drops duplicates or an external id is sent; "
                                      "otherwise a lead that timed out is not sent again, as it may have arrived."))

        for edit in (self.test_field_edit, self.test_value_edit):
            edit.textEdited.connect(self._delivery_edited)
        self.test_kind_combo.currentIndexChanged.connect(self._delivery_edited)
        for spin in (self.timeout_spin, self.attempts_spin, self.backoff_spin):
            spin.valueChanged.connect(self._delivery_edited)
        self.idempotent_box.toggled.connect(self._delivery_edited)

        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(test_box)
        layout.addWidget(delivery_box)
        layout.addStretch(1)
        return tab

    # --- loading

    def load(self, spec: ParserSpec, read_only: bool = False) -> None:
        """Edit `spec` in place (a copy the page owns); `read_only` locks everything (presets)."""
        self._loading = True
        self._spec = spec
        self.read_only = read_only
        blockers = [QSignalBlocker(w) for w in self._field_widgets()]
        self.name_edit.setText(spec.name)
        if self.system_combo.findData(spec.system) < 0:
            self.system_combo.addItem(spec.system, spec.system)  # keep an unknown value visible (validation names it)
        _set_combo(self.system_combo, spec.system)
        self.description_edit.setText(spec.description)
        self.url_edit.setText(spec.url)
        self.test_url_edit.setText(spec.test_url)
        _set_combo(self.method_combo, spec.method, by_text=True)
        _set_combo(self.format_combo, spec.body_format)
        self.xml_root_edit.setText(spec.xml_root)
        self.send_empty_box.setChecked(spec.send_empty)
        _set_combo(self.auth_combo, spec.auth.kind)
        self.auth_user_edit.setText(spec.auth.username)
        self.auth_secret_edit.setText(spec.auth.secret)
        self.auth_name_edit.setText(spec.auth.name)
        _set_combo(self.auth_location_combo, spec.auth.location, by_text=True)
        _set_combo(self.test_kind_combo, spec.test.kind)
        self.test_field_edit.setText(spec.test.field)
        self.test_value_edit.setText(spec.test.value)
        self.timeout_spin.setValue(spec.timeout)
        self.attempts_spin.setValue(spec.retry.max_attempts)
        self.backoff_spin.setValue(spec.retry.backoff_base)
        self.idempotent_box.setChecked(spec.retry.idempotent)
        del blockers
        self.mappings_model.set_items(spec.mappings, read_only)
        self.static_model.set_items(spec.static, read_only)
        self.headers_model.set_items([HeaderItem(k, v) for k, v in spec.headers.items()], read_only)
        self.rules_model.set_items(spec.rules, read_only)
        self.settings_model.set_items(spec.settings, read_only)
        for widget in self._field_widgets():
            # Read-only text stays readable (a disabled field greys it out); choices are simply locked.
            if isinstance(widget, QLineEdit):
                widget.setReadOnly(read_only)
                widget.setEnabled(True)
                widget.setCursorPosition(0)
            else:
                widget.setEnabled(not read_only)
        for section in (self.mappings_section, self.static_section, self.headers_section, self.rules_section,
                        self.settings_section):
            section.set_read_only(read_only)
        self.transforms_button.setEnabled(True)  # presets can show their chains, read-only
        self._update_enabled()
        self.test_values.rebuild(spec)
        self._loading = False

    def spec(self) -> ParserSpec:
        """The spec being edited (the same object on every call until the next load)."""
        return self._spec

    def _field_widgets(self) -> list[QWidget]:
        return [self.name_edit, self.system_combo, self.description_edit, self.url_edit, self.test_url_edit,
                self.method_combo, self.format_combo, self.xml_root_edit, self.send_empty_box, self.auth_combo,
                self.auth_user_edit, self.auth_secret_edit, self.auth_name_edit, self.auth_location_combo,
                self.test_kind_combo, self.test_field_edit, self.test_value_edit, self.timeout_spin,
                self.attempts_spin, self.backoff_spin, self.idempotent_box]

    def _update_enabled(self) -> None:
        editable = not self.read_only
        spec = self._spec
        kind = spec.auth.kind
        # Fields that do not apply to the chosen kind are greyed out; read-only text edits stay readable.
        self.xml_root_edit.setEnabled(spec.body_format == "xml")
        self.auth_user_edit.setEnabled(kind == "basic")
        self.auth_secret_edit.setEnabled(kind != "none")
        self.auth_name_edit.setEnabled(kind == "api_key")
        self.auth_location_combo.setEnabled(editable and kind == "api_key")
        self.test_field_edit.setEnabled(spec.test.kind == "field")
        self.test_value_edit.setEnabled(spec.test.kind == "field")

    # --- edits → spec

    def _basics_edited(self, *_args) -> None:
        if self._loading or self.read_only:
            return
        spec = self._spec
        spec.name = self.name_edit.text()
        spec.system = self.system_combo.currentData() or self.system_combo.currentText()
        spec.description = self.description_edit.text()
        spec.url = self.url_edit.text().strip()
        spec.test_url = self.test_url_edit.text().strip()
        spec.method = self.method_combo.currentText()
        spec.body_format = self.format_combo.currentData()
        spec.xml_root = self.xml_root_edit.text().strip()
        spec.send_empty = self.send_empty_box.isChecked()
        self._update_enabled()
        self._changed()

    def _auth_edited(self, *_args) -> None:
        if self._loading or self.read_only:
            return
        auth = self._spec.auth
        auth.kind = self.auth_combo.currentData()
        auth.username = self.auth_user_edit.text()
        auth.secret = self.auth_secret_edit.text().strip()
        auth.name = self.auth_name_edit.text().strip()
        auth.location = self.auth_location_combo.currentText()
        self._update_enabled()
        self._changed()

    def _delivery_edited(self, *_args) -> None:
        if self._loading or self.read_only:
            return
        spec = self._spec
        spec.test.kind = self.test_kind_combo.currentData()
        spec.test.field = self.test_field_edit.text().strip()
        spec.test.value = self.test_value_edit.text()
        spec.timeout = self.timeout_spin.value()
        spec.retry.max_attempts = self.attempts_spin.value()
        spec.retry.backoff_base = self.backoff_spin.value()
        spec.retry.idempotent = self.idempotent_box.isChecked()
        self._update_enabled()
        self._changed()

    def _headers_changed(self, *_args) -> None:
        if self._loading:
            return
        self._spec.headers = self.headers_model.headers()
        self._changed()

    def _changed(self, *_args) -> None:
        if self._loading:
            return
        self.test_values.rebuild(self._spec)
        self.edited.emit()

    # --- mappings

    def _custom_field_names(self) -> list[str]:
        """Custom lead fields worth offering: the preview lead's own fields and those mappings already read."""
        canonical = {f.name for f in CANONICAL_FIELDS}
        names = [k for k in self._current_lead() if k not in canonical]
        names += [m.source for m in self._spec.mappings
                  if m.kind == "field" and m.source and m.source not in canonical and m.source not in names]
        return names

    def _mapping_double_clicked(self, index: QModelIndex) -> None:
        if index.column() == MappingsModel.TRANSFORMS:
            self.edit_transforms()

    def edit_transforms(self) -> None:
        """Open the transform chain dialog for the selected mapping."""
        from ui.dialogs.transform_chain_dialog import TransformChainDialog

        row = self.mappings_section.current_row()
        mapping = self.mappings_model.item_at(row)
        if mapping is None:
            return
        lead = dict(self._current_lead())
        sample = str(lead.get(mapping.source, "")) if mapping.kind == "field" else mapping.source
        dialog = TransformChainDialog(mapping.transforms, mapping.target, sample, lead, self.read_only, self)
        if dialog.exec() == TransformChainDialog.DialogCode.Accepted and not self.read_only:
            self.mappings_model.set_transforms(row, dialog.steps())


    def go_to(self, problem: Problem | None) -> bool:
        """Show the part of the editor a validation problem is about: its row of a table (`section`, `index`),
        else the setting it names ("endpoint URL", "auth"...)."""
        if problem is None:
            return False
        rows = {"mappings": self.mappings_section, "static": self.static_section, "rules": self.rules_section}
        section = rows.get(problem.section)
        if section is not None and problem.index is not None:
            self.tabs.setCurrentWidget(section)
            section.select(problem.index)
            section.table.setFocus()
            return True
        where = problem.where
        head = where.split(" ")[0].lower()
        targets = {"name": self.name_edit, "system": self.system_combo, "method": self.method_combo,
                   "body": self.format_combo, "xml": self.xml_root_edit, "endpoint": self.url_edit,
                   "test": self.test_url_edit if where.startswith("test URL") else self.test_kind_combo,
                   "header": self.headers_section.table, "auth": self.auth_combo, "timeout": self.timeout_spin,
                   "retry": self.attempts_spin, "settings": self.test_values}
        widget = targets.get(head)
        if widget is None:
            return False
        tab = widget
        while tab is not None and self.tabs.indexOf(tab) < 0:
            tab = tab.parentWidget()
        if tab is not None:
            self.tabs.setCurrentWidget(tab)
        widget.setFocus()
        return True



def _set_combo(combo: QComboBox, value: str, by_text: bool = False) -> None:
    index = combo.findText(value) if by_text else combo.findData(value)
    if index < 0 and by_text:
        combo.addItem(value)  # keep an unknown value visible (validation names it)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))
