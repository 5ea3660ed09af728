"""Review a posting doc's draft beside its text, edit anything, then Apply it to a lander.

The doc's text sits on the left with every extracted value highlighted; the draft sits on the right, every
value editable. Selecting a draft value (a field row, a static value, the endpoint...) scrolls the text to
where the doc says it: the analysis's own evidence span when the draft carries one, else where the value is
found. What needs a person is listed first, at the top: the analysis's findings (safety rules that fired,
conflicts, doubts; see `intake.store.findings` for the draft keys), then unmapped fields and warnings. A
blocking finding holds Apply back, with the reason, until the operator marks it checked. Apply runs
`intake.review.apply_reviewed` on a worker: a parser from the detected system's preset plus the lander's
integration settings, with secrets in the secret store.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from parsers.spec import BODY_FORMATS, LOCATIONS, METHODS, SYSTEMS
from ui.models.posting_doc_models import EDIT, SECRET_ROLE, DraftFieldsModel, StaticValuesModel
from ui.widgets import error_sentence, hint
from ui.workers import run_task
from xsc_desktop.intake.review import (
    FIELD_TYPES,
    Mark,
    Review,
    locate,
    mask_text,
    unmapped_fields,
)
from xsc_desktop.intake.store import FINDING_KINDS, findings, span

# Highlight colours per kind of extracted value: soft enough to read the text through.
MARK_COLOURS = {
    "endpoint": "#d2e3fc",
    "method": "#d2e3fc",
    "format": "#d2e3fc",
    "field": "#fde9a6",
    "example": "#fbe3cf",
    "static": "#d7efdd",
    "test": "#eadcfb",
    "finding": "#f6c7c3",
}
FINDING_LABELS = {"safety": "Safety rule", "conflict": "Conflict", "doubt": "Doubt", "dropped": "Left out"}
CURRENT_COLOUR = "#f9ab00"  # the value the operator is looking at
FORMAT_LABELS = {"json": "JSON", "form": "Form (x-www-form-urlencoded)", "xml": "XML", "query": "Query string"}
SYSTEM_LABELS = {"captorra": "Captorra", "lead_docket": "Lead Docket", "law_ruler": "Law Ruler", "litify": "Litify",
                 "clio_grow": "Clio Grow", "leadspedia": "LeadsPedia-style", "ice": "ICE", "intakedesk": "IntakeDesk",
                 "salesforce_w2l": "Salesforce Web-to-Lead", "hubspot_forms": "HubSpot Forms", "boberdoo": "boberdoo",
                 "five9_web2campaign": "Five9 Web2Campaign", "leadconduit": "LeadConduit", "leadbyte": "LeadByte",
                 "lawmatics": "Lawmatics", "smartadvocate": "SmartAdvocate", "generic": "Generic (custom system)"}


class ChoiceDelegate(QStyledItemDelegate):
    """Edits a cell with a drop-down of (value, label) choices; the choice is committed as soon as it is picked."""

    def __init__(self, choices: list[tuple[Any, str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:
        box = QComboBox(parent)
        for value, label in self.choices:
            box.addItem(label, value)
        box.activated.connect(lambda _i, b=box: self.commitData.emit(b))
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        value = index.data(EDIT) or None
        found = editor.findData(value)
        if found < 0 and value:
            editor.addItem(str(value), value)  # a value the doc used that is not in the list stays choosable
            found = editor.count() - 1
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:
        model.setData(index, editor.currentData(), EDIT)


class SecretValueDelegate(QStyledItemDelegate):
    """Edits a static value; a secret one is typed into a password field, never shown."""

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:
        edit = QLineEdit(parent)
        if index.data(SECRET_ROLE):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        editor.setText(index.data(EDIT) or "")

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:
        model.setData(index, editor.text(), EDIT)


class PostingDocReviewDialog(QDialog):
    """One posting doc's draft beside its text; Apply turns it into the lander's parser and integration."""

    applied = Signal(dict)  # apply's summary (secrets named, never shown)
    jumped = Signal(str)  # the draft key whose place in the text was just shown

    def __init__(self, review: Review, window=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from parsers.fields import CANONICAL_FIELDS

        self.review = review
        self.main_window = window
        self.draft: dict[str, Any] = copy.deepcopy(review.draft or {})
        # The analysis may name a system by another of its names ("filevine", "hubspot"): the preset's name.
        from parsers.presets import SYSTEM_ALIASES

        if self.draft.get("system") in SYSTEM_ALIASES:
            self.draft["system"] = SYSTEM_ALIASES[self.draft["system"]]
        self.draft.setdefault("fields", [])
        self.draft.setdefault("static", [])
        self.marks: list[Mark] = with_evidence(list(review.marks), review.text, self.draft)
        self.current_key = ""
        self.setWindowTitle(f"Review posting doc — {review.name}")
        self.setObjectName("postingDocReview")
        self.setSizeGripEnabled(True)
        labels = {f.name: f"{f.label} ({f.name})" for f in CANONICAL_FIELDS}

        # --- the source text, highlighted
        self.text_view = QPlainTextEdit()
        self.text_view.setObjectName("postingDocText")
        self.text_view.setReadOnly(True)
        # Tables in the text keep their columns lined up only when lines do not wrap; prose reads better wrapped.
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap if _has_tables(review.text)
                                       else QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text_view.setPlainText(review.text)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        mono.setPointSizeF(max(9.0, self.font().pointSizeF() - 0.5))
        self.text_view.setFont(mono)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addWidget(_section("The posting doc"))
        left_layout.addWidget(self.text_view, 1)
        left_layout.addWidget(_legend())

        # --- the draft, editable
        self.lander_box = QComboBox()
        self.lander_box.addItem("Choose the lander…", None)
        for lander_id, label in review.landers:
            self.lander_box.addItem(label, lander_id)
        self.lander_box.setCurrentIndex(max(0, self.lander_box.findData(review.lander_id)))
        self.system_box = _choice_box([(s, SYSTEM_LABELS.get(s, s)) for s in SYSTEMS], self.draft.get("system"))
        self.endpoint_edit = QLineEdit(self.draft.get("endpoint") or "")
        self.endpoint_edit.setPlaceholderText("https://… (the doc gives none: ask the client)")
        self.method_box = _choice_box([(m, m) for m in METHODS], self.draft.get("method") or "POST")
        self.format_box = _choice_box([(f, FORMAT_LABELS[f]) for f in BODY_FORMATS], self.draft.get("format"))
        test = self.draft.get("test") or {}
        self.test_check = QCheckBox("Test leads carry")
        self.test_check.setChecked(bool(test))
        self.test_name = QLineEdit(str(test.get("name") or ""))
        self.test_name.setPlaceholderText("parameter")
        self.test_value = QLineEdit(str(test.get("value") or ""))
        self.test_value.setPlaceholderText("value")
        self.test_value.setMaximumWidth(90)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_check)
        test_row.addWidget(self.test_name, 1)
        test_row.addWidget(QLabel("="))
        test_row.addWidget(self.test_value)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Lander", self.lander_box)
        form.addRow("Intake system", self.system_box)
        form.addRow("Endpoint", self.endpoint_edit)
        method_row = QHBoxLayout()
        method_row.addWidget(self.method_box)
        method_row.addSpacing(12)
        method_row.addWidget(QLabel("Body"))
        method_row.addWidget(self.format_box, 1)
        form.addRow("Method", method_row)
        form.addRow("Test switch", test_row)

        self.fields_model = DraftFieldsModel(labels, self)
        self.fields_model.set_items(self.draft["fields"])
        self.fields_view = _table(self.fields_model)
        self.fields_view.setObjectName("draftFields")
        maps_to_choices: list[tuple[Any, str]] = [(None, "not mapped (custom field)")]
        maps_to_choices += [(f.name, labels[f.name]) for f in CANONICAL_FIELDS]
        self.maps_to_delegate = ChoiceDelegate(maps_to_choices, self)
        self.fields_view.setItemDelegateForColumn(DraftFieldsModel.MAPS_TO_COLUMN, self.maps_to_delegate)
        self.type_delegate = ChoiceDelegate([(t, t) for t in FIELD_TYPES], self)
        self.fields_view.setItemDelegateForColumn(2, self.type_delegate)
        header = self.fields_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DraftFieldsModel.MAPS_TO_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.fields_view.setColumnWidth(0, 190)
        self.fields_view.setColumnWidth(1, 70)
        self.fields_view.setColumnWidth(2, 80)
        self.fields_view.setColumnWidth(3, 140)

        self.static_model = StaticValuesModel(self)
        self.static_model.set_items(self.draft["static"])
        self.static_view = _table(self.static_model)
        self.static_view.setObjectName("draftStatic")
        self.value_delegate = SecretValueDelegate(self)
        self.static_view.setItemDelegateForColumn(StaticValuesModel.VALUE_COLUMN, self.value_delegate)
        self.location_delegate = ChoiceDelegate([(loc, loc) for loc in LOCATIONS], self)
        self.static_view.setItemDelegateForColumn(2, self.location_delegate)
        self.static_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.static_view.setColumnWidth(0, 170)
        self.static_view.setColumnWidth(2, 70)
        self.static_view.setColumnWidth(3, 60)
        # Room for a header and four values before it scrolls: keys and ids are what operators check most.
        self.static_view.setMinimumHeight(5 * 26 + 6)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.addWidget(_section("The draft parser setup"))
        right_layout.addLayout(form)
        right_layout.addLayout(_table_header("Fields from the lead", self._add_field, self._remove_field))
        right_layout.addWidget(self.fields_view, 3)
        right_layout.addLayout(_table_header("Static values (keys, ids, constants)", self._add_static,
                                             self._remove_static))
        right_layout.addWidget(self.static_view, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("postingDocReviewSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setSizes([560, 740])
        self.splitter.setChildrenCollapsible(False)

        # --- what needs a person, first
        self.attention = QFrame()
        self.attention.setObjectName("callout")
        self.attention_label = QLabel()
        self.attention_label.setObjectName("attention")
        self.attention_label.setWordWrap(True)
        self.attention_label.setTextFormat(Qt.TextFormat.RichText)
        self.attention_label.linkActivated.connect(self._attention_link)
        attention_layout = QVBoxLayout(self.attention)
        attention_layout.setContentsMargins(10, 6, 10, 6)
        attention_layout.addWidget(self.attention_label)

        title = QLabel(review.name)
        title.setProperty("role", "page-title")
        self.summary_label = hint(self._summary_text())
        self.outcome_label = QLabel()
        self.outcome_label.setObjectName("outcome")
        self.outcome_label.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton("Apply to lander", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setDefault(True)
        self.open_button = self.buttons.addButton("Open original", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setEnabled(bool(review.path))
        self.close_button = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.apply_button.clicked.connect(self.apply)
        self.open_button.clicked.connect(self._open_original)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.attention)
        layout.addWidget(self.splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.outcome_label, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.resize(1320, 800)

        # --- wiring: edits go into the draft; selecting a value shows its place in the text
        self.lander_box.currentIndexChanged.connect(self._update_apply)
        self.system_box.currentIndexChanged.connect(lambda _i: self._set("system", self.system_box.currentData()))
        self.endpoint_edit.textEdited.connect(lambda text: self._set("endpoint", text.strip(), relocate=True))
        self.method_box.currentIndexChanged.connect(lambda _i: self._set("method", self.method_box.currentData(),
                                                                         relocate=True))
        self.format_box.currentIndexChanged.connect(lambda _i: self._set("format", self.format_box.currentData(),
                                                                         relocate=True))
        for widget in (self.test_check, self.test_name, self.test_value):
            signal = widget.toggled if widget is self.test_check else widget.textEdited
            signal.connect(lambda *_a: self._test_changed())
        self.fields_view.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self.go_to(f"field:{current.row()}") if current.isValid() else None)
        self.static_view.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self.go_to(f"static:{current.row()}") if current.isValid() else None)
        for model in (self.fields_model, self.static_model):
            model.dataChanged.connect(lambda *_a: self._draft_changed())
            model.rowsInserted.connect(lambda *_a: self._draft_changed())
            model.rowsRemoved.connect(lambda *_a: self._draft_changed())
        self._focus_keys = {self.endpoint_edit: "endpoint", self.method_box: "method", self.format_box: "format",
                            self.test_name: "test", self.test_value: "test"}
        for widget in self._focus_keys:
            widget.installEventFilter(self)
        self._paint_marks()
        self._fill_attention()
        self._update_apply()

    # --- the text and its highlights

    def go_to(self, key: str) -> bool:
        """Scroll the text to where the doc states the draft value `key` ("field:3", "endpoint"...); False when the
        doc does not state it in so many words."""
        self.current_key = key
        mark = next((m for m in self.marks if m.key == key), None)
        self._paint_marks()
        if mark is None:
            return False
        cursor = self.text_view.textCursor()
        cursor.setPosition(mark.start)
        self.text_view.setTextCursor(cursor)
        self.text_view.centerCursor()
        self.jumped.emit(key)
        return True

    def _paint_marks(self) -> None:
        selections = []
        document = self.text_view.document()
        for mark in self.marks:
            fmt = QTextCharFormat()
            current = mark.key == self.current_key
            fmt.setBackground(QColor(CURRENT_COLOUR if current else MARK_COLOURS.get(mark.kind, "#eeeeee")))
            if current:
                fmt.setFontWeight(QFont.Weight.DemiBold)
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(document)
            cursor.setPosition(mark.start)
            cursor.setPosition(mark.end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.text_view.setExtraSelections(selections)

    def highlighted(self) -> list[tuple[str, str]]:
        """(key, highlighted text) of every highlight (tests and the screenshot check)."""
        text = self.text_view.toPlainText()
        return [(m.key, text[m.start:m.end]) for m in self.marks]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and watched in self._focus_keys:
            self.go_to(self._focus_keys[watched])
        return False

    # --- editing

    def _set(self, key: str, value: Any, relocate: bool = False) -> None:
        self.draft[key] = value
        if relocate:
            self._draft_changed()
        else:
            self._fill_attention()

    def _test_changed(self) -> None:
        name = self.test_name.text().strip()
        on = self.test_check.isChecked() and bool(name)
        self.draft["test"] = {"name": name, "value": self.test_value.text().strip()} if on else None
        self._draft_changed()

    def _draft_changed(self) -> None:
        masked = mask_text(self.review.text, self.draft)
        if masked != self.review.text:
            # A value just flagged secret disappears from the text too (bullets of the same length).
            self.review.text = masked
            scroll = self.text_view.verticalScrollBar().value()
            self.text_view.setPlainText(masked)
            self.text_view.verticalScrollBar().setValue(scroll)
        # Names may have changed or rows moved: find every value again (a few ms even for long docs).
        self.marks = with_evidence(locate(self.review.text, self.draft), self.review.text, self.draft)
        self._paint_marks()
        self._fill_attention()

    def _add_field(self) -> None:
        row = self.fields_model.add_item({"name": "new_field", "required": False, "type": "string", "example": "",
                                          "description": "", "maps_to": None})
        self.fields_view.setCurrentIndex(self.fields_model.index(row, 0))
        self.fields_view.edit(self.fields_model.index(row, 0))

    def _remove_field(self) -> None:
        index = self.fields_view.currentIndex()
        if index.isValid():
            self.fields_model.remove_row(index.row())

    def _add_static(self) -> None:
        row = self.static_model.add_item({"name": "new_value", "value": "", "location": "body", "secret": False})
        self.static_view.setCurrentIndex(self.static_model.index(row, 0))
        self.static_view.edit(self.static_model.index(row, 0))

    def _remove_static(self) -> None:
        index = self.static_view.currentIndex()
        if index.isValid():
            self.static_model.remove_row(index.row())

    # --- what needs a person

    def finding_rows(self) -> list[tuple[int, dict]]:
        """(index in draft["findings"], the finding with every key) — unresolved blocking ones first, then by kind."""
        raw = self.draft.get("findings") or []
        rows = []
        for index, item in enumerate(raw):
            found = findings({"findings": [item]})
            if found:
                rows.append((index, found[0]))
        order = {kind: n for n, kind in enumerate(FINDING_KINDS)}
        return sorted(rows, key=lambda r: (not (r[1]["blocking"] and not r[1]["resolved"]), r[1]["resolved"],
                                           order[r[1]["kind"]], r[0]))

    def held_back(self) -> list[str]:
        """Messages of the findings that hold Apply back (blocking, not yet marked checked)."""
        return [f["message"] for _i, f in self.finding_rows() if f["blocking"] and not f["resolved"]]

    def attention_items(self) -> list[str]:
        """The plain lines of the attention box: the analysis's findings first (safety rules that fired and other
        blocking ones, then conflicts, doubts and rows left out), then unmapped fields, then warnings."""
        lines = [f"{FINDING_LABELS[f['kind']]}{' (checked)' if f['resolved'] else ''}: "
                 f"{mask_text(f['message'], self.draft)}" for _i, f in self.finding_rows()]
        lines += [f"{name} is not mapped to a lead field" for name in unmapped_fields(self.draft)]
        if self._endpoint_line_needed():
            lines.append("No endpoint: enter the address the client gave")
        lines += self._warnings()
        return lines

    def _endpoint_line_needed(self) -> bool:
        # The analysis usually says so already; one sentence about it is enough.
        return not self.draft.get("endpoint") and not any(
            "url" in w.lower() or "endpoint" in w.lower() for w in self._warnings())

    def _warnings(self) -> list[str]:
        """The analysis's warnings, less the ones the unmapped-fields line already says (it lists the same names
        as links)."""
        unmapped = unmapped_fields(self.draft)
        # A warning may quote a URL carrying a key: secrets are masked there as in the text.
        return [mask_text(str(w), self.draft) for w in self.draft.get("warnings") or []
                if not (unmapped and "lead field" in str(w) and all(name in str(w) for name in unmapped))]

    def _fill_attention(self) -> None:
        parts = []
        for index, f in self.finding_rows():
            line = f"<b>{FINDING_LABELS[f['kind']]}</b>: {html.escape(mask_text(f['message'], self.draft))}"
            links = []
            if f["evidence"] or f["key"]:
                links.append(f'<a href="finding:{index}">show in the doc</a>')
            if f["blocking"] and not f["resolved"]:
                line = "⚠ " + line
                links.append(f'<a href="resolve:{index}">I checked it</a>')
            elif f["resolved"]:
                line += " <i>(checked)</i>"
            parts.append(line + (" — " + " · ".join(links) if links else ""))
        unmapped = [(i, f) for i, f in enumerate(self.draft.get("fields") or []) if not f.get("maps_to")]
        if unmapped:
            links = ", ".join(f'<a href="field:{i}" style="color:#7a4100">{html.escape(str(f.get("name")))}</a>'
                              for i, f in unmapped)
            parts.append(f"<b>Not mapped to a lead field</b> ({len(unmapped)}): {links} — pick the lead field in "
                         "the table, or leave them to read custom fields of the same name.")
        if self._endpoint_line_needed():
            parts.append("<b>No endpoint</b>: enter the address the client gave.")
        for warning in self._warnings():
            parts.append("• " + html.escape(warning))
        self.attention_label.setText("<br>".join(parts))
        self.attention.setVisible(bool(parts))

    def _attention_link(self, key: str) -> None:
        if key.startswith("finding:"):
            self.show_finding(int(key.split(":", 1)[1]))
        elif key.startswith("resolve:"):
            self.resolve_finding(int(key.split(":", 1)[1]))
        elif key.startswith("field:"):
            row = int(key.split(":", 1)[1])
            self.fields_view.setCurrentIndex(self.fields_model.index(row, DraftFieldsModel.MAPS_TO_COLUMN))
            self.fields_view.scrollTo(self.fields_model.index(row, 0))

    def show_finding(self, index: int) -> bool:
        """Highlight where the doc says what finding `index` (of draft["findings"]) is about."""
        if any(m.key == f"finding:{index}" for m in self.marks):
            return self.go_to(f"finding:{index}")
        raw = (self.draft.get("findings") or [])[index] if index < len(self.draft.get("findings") or []) else {}
        return self.go_to(str(raw.get("key"))) if raw.get("key") else False

    def resolve_finding(self, index: int) -> None:
        """The operator checked finding `index`: it no longer holds Apply back (the draft remembers it)."""
        items = self.draft.get("findings") or []
        if 0 <= index < len(items) and isinstance(items[index], dict):
            items[index]["resolved"] = True
        self._fill_attention()
        self._update_apply()

    def _summary_text(self) -> str:
        r = self.review
        bits = [r.format.upper() or "Unknown format"]
        if r.received_at:
            bits.append(f"received {r.received_at:%Y-%m-%d %H:%M} UTC")
        system = self.draft.get("system")
        if system:
            confidence = self.draft.get("confidence")
            bits.append(f"read as {SYSTEM_LABELS.get(system, system)}"
                        + (f" (confidence {confidence:.0%})" if isinstance(confidence, int | float) else ""))
        bits.append(f"{len(self.draft.get('fields') or [])} fields, {len(self.draft.get('static') or [])} static values")
        if r.duplicate:
            bits.append("this file was received before: the same doc is shown again")
        return " · ".join(bits)

    # --- apply

    def lander_id(self) -> int | None:
        """The lander chosen for this doc."""
        return self.lander_box.currentData()

    def _update_apply(self) -> None:
        has_lander = self.lander_id() is not None
        held = self.held_back()
        self.apply_button.setEnabled(has_lander and not held)
        if held:
            more = f" (and {len(held) - 1} more)" if len(held) > 1 else ""
            self._say(f"Apply is held back: {mask_text(held[0], self.draft).rstrip('.')}{more}. Check it in the doc, "
                      "fix the value if needed, then choose “I checked it” above.", "held")
        elif not has_lander:
            self._say("Pick the lander this posting doc is for, then Apply.", "hint")
        elif self.outcome_label.property("tone") in ("hint", "held"):
            self._say("", "hint")

    def apply(self) -> None:
        """Create/update the parser and the lander's integration from the draft as edited (on a worker)."""
        from xsc_desktop.intake.review import apply_reviewed

        lander_id = self.lander_id()
        if lander_id is None:
            self._say("Pick the lander this posting doc is for, then Apply.", "error")
            return
        if self.held_back():
            self._update_apply()
            return
        doc_id, draft = self.review.doc_id, copy.deepcopy(self.draft)
        self.apply_button.setEnabled(False)
        self._say("Applying…", "hint")
        run_task(lambda: apply_reviewed(doc_id, draft, lander_id), self._applied, self._apply_failed)

    def _applied(self, summary: dict) -> None:
        text = "Applied: " + summary.get("summary", "")
        if self.main_window is not None:
            self.main_window.status_message(text, 10000)
        self.applied.emit(summary)
        if summary.get("missing"):
            # Stay open: the operator can add what is missing here and Apply again.
            self.apply_button.setEnabled(True)
            self._say(f"{text}. Add the missing values as static values and Apply again, or fill them in on the "
                      "Parsers page.", "warn")
            return
        self._say(text, "ok")
        self.accept()

    def _apply_failed(self, exc: Exception) -> None:
        self.apply_button.setEnabled(self.lander_id() is not None and not self.held_back())
        self._say(error_sentence(exc), "error")

    def _say(self, text: str, tone: str) -> None:
        colours = {"ok": "#0d652d", "error": "#a50e0e", "hint": "#5f6368", "warn": "#8a4b00", "held": "#a50e0e"}
        self.outcome_label.setProperty("tone", tone)
        self.outcome_label.setStyleSheet(f"color: {colours.get(tone, '#202124')};")
        self.outcome_label.setText(text)

    def _open_original(self) -> None:
        if self.review.path and self.main_window is not None:
            self.main_window.open_path(Path(self.review.path))


def with_evidence(marks: list[Mark], text: str, draft: dict | None) -> list[Mark]:
    """The located marks, with the analysis's own evidence spans winning over finding a value by its name
    (a value's evidence replaces the marks of its key), plus one mark per finding that points into the text."""
    draft = draft or {}
    spans: dict[str, tuple[str, tuple[int, int]]] = {}
    for key in ("endpoint", "method", "format", "system"):
        found = span((draft.get("evidence") or {}).get(key)) if isinstance(draft.get("evidence"), dict) else None
        if found:
            spans[key] = (key, found)
    for kind in ("field", "static"):
        for i, item in enumerate(draft.get("fields" if kind == "field" else "static") or []):
            found = span(item.get("evidence")) if isinstance(item, dict) else None
            if found:
                spans[f"{kind}:{i}"] = (kind, found)
    test = draft.get("test")
    if isinstance(test, dict) and span(test.get("evidence")):
        spans["test"] = ("test", span(test.get("evidence")))  # type: ignore[assignment]
    for i, item in enumerate(draft.get("findings") or []):
        found = span(item.get("evidence")) if isinstance(item, dict) else None
        if found:
            spans[f"finding:{i}"] = ("finding", found)
    size = len(text)
    spans = {k: v for k, v in spans.items() if v[1][1] <= size}  # offsets past the text are not the text's
    out = [m for m in marks if m.key not in spans]
    out += [Mark(start, end, kind, key) for key, (kind, (start, end)) in spans.items()]
    out.sort(key=lambda m: (m.start, m.end))
    return out


def _has_tables(text: str) -> bool:
    """Whether the text holds column-aligned rows (runs of spaces or pipes between cells) worth not wrapping."""
    rows = sum(1 for line in text[:20000].splitlines() if _TABLE_ROW.search(line))
    return rows >= 3


_TABLE_ROW = re.compile(r"\S {2,}\S.* {2,}\S|\S \| \S.* \| \S|\t\S.*\t")


# ---- small builders --------------------------------------------------------------------------------------------
def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; color: #3c4043; padding: 4px 0 2px 0;")
    return label


def _legend() -> QLabel:
    swatch = '<span style="background:{c}">&nbsp;{t}&nbsp;</span>'
    items = [("#d2e3fc", "endpoint, method, format"), ("#fde9a6", "field"), ("#fbe3cf", "example"),
             ("#d7efdd", "static value"), ("#eadcfb", "test switch")]
    label = QLabel("Highlighted: " + " ".join(swatch.format(c=c, t=t) for c, t in items) +
                   " — select a value on the right to see it here.")
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


def _choice_box(choices: list[tuple[str, str]], current: str | None) -> QComboBox:
    box = QComboBox()
    for value, label in choices:
        box.addItem(label, value)
    index = box.findData(current)
    if index < 0 and current:
        box.addItem(str(current), current)
        index = box.count() - 1
    box.setCurrentIndex(max(index, 0))
    return box


def _table(model) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                         | QAbstractItemView.EditTrigger.SelectedClicked)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(26)
    view.setAlternatingRowColors(False)
    view.setWordWrap(False)
    return view


def _table_header(text: str, on_add, on_remove) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 8, 0, 0)
    row.addWidget(_section(text))
    row.addStretch(1)
    for label, slot in (("Add", on_add), ("Remove", on_remove)):
        button = QPushButton(label)
        button.setFlat(True)
        button.clicked.connect(slot)
        row.addWidget(button)
    return row
