"""Lead import dialogs: the column mapping (with a preview of the first rows) and the conflicts an import found."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.widgets import hint, rich_escape


class ConflictsDialog(QDialog):
    """Rows whose lead id belongs to an earlier lead of another person, by line: import them as new leads or skip."""

    import_as_new = Signal()

    def __init__(self, report, parent: QWidget | None = None) -> None:  # an ImportReport
        super().__init__(parent)
        self.setWindowTitle(f"Import {report.file}: lead ids already used")
        n = len(report.conflicts)
        intro = QLabel(f"{n} row{'s' if n != 1 else ''} of {report.file} carr{'y' if n != 1 else 'ies'} the id of an "
                       "earlier lead of this lander, but the person differs. They were not imported.")
        intro.setWordWrap(True)
        self.lines = QPlainTextEdit("\n".join(f"Line {line}: lead id {lead_id} — another {differs}"
                                              for line, lead_id, differs in report.conflicts[:500]))
        self.lines.setReadOnly(True)
        buttons = QDialogButtonBox()
        self.new_button = buttons.addButton("Import them as new leads", QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = buttons.addButton("Skip them", QDialogButtonBox.ButtonRole.RejectRole)
        self.new_button.clicked.connect(self._as_new)
        self.skip_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.lines, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def _as_new(self) -> None:
        self.accept()
        self.import_as_new.emit()


class MappingDialog(QDialog):
    """Confirm which lander the file is for, which lead field each column fills (or keep it as custom), and
    whether the leads are sent to the client or kept for records only."""

    def __init__(self, preview, landers: dict[int, tuple[str, str, int]], lander_id: int | None,
                 parent: QWidget | None = None, *, integrated: set[int] | None = None,
                 records_after_hours: int = 24) -> None:
        from parsers.fields import CANONICAL_FIELDS

        super().__init__(parent)
        self.setWindowTitle(f"Import {preview.path.name}")
        self.preview = preview
        self.lander_box = QComboBox()
        for key, (name, client, _c) in sorted(landers.items(), key=lambda kv: (kv[1][1].lower(), kv[1][0].lower())):
            self.lander_box.addItem(f"{client} / {name}", key)
        self.lander_box.setCurrentIndex(max(0, self.lander_box.findData(lander_id)))
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        for column in preview.columns:
            box = QComboBox()
            box.addItem("keep as a custom field", None)
            for f in CANONICAL_FIELDS:
                box.addItem(f.label, f.name)
            box.setCurrentIndex(max(0, box.findData(preview.mapping.get(column))))
            example = next((str(r.get(column)) for r in preview.sample if r.get(column) not in (None, "")), "")
            muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
            label = QLabel(f"{rich_escape(column)}<br><span style='color:{muted}'>{rich_escape(example[:40])}</span>")
            label.setProperty("free_text", True)  # the file's own column names and values
            form.addRow(label, box)
            self.boxes[column] = box
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("Lander", self.lander_box)
        layout.addLayout(top)
        layout.addWidget(hint(f"{len(preview.columns)} columns ({preview.encoding}). Check the lead field of each; "
                              "your choice is remembered for this lander."))
        layout.addWidget(scroll, 1)
        self.integrated = integrated or set()
        self.landers = landers
        self.deliver_box = QGroupBox("What happens to these leads")
        self.delivery_note = QLabel()
        self.delivery_note.setWordWrap(True)
        self.choice_auto = QRadioButton(f"Send leads from the last {records_after_hours} hours to the client; keep "
                                        "older ones for records only")
        self.choice_deliver = QRadioButton("Send all these leads to the client")
        self.choice_records = QRadioButton("Keep all for records only — nothing is sent to the client")
        self.choice_auto.setChecked(True)
        self.choice_auto.setToolTip("Leads kept for records are never sent unless you resend one by hand.")
        choices = QVBoxLayout(self.deliver_box)
        choices.addWidget(self.delivery_note)
        for radio in (self.choice_auto, self.choice_deliver, self.choice_records):
            choices.addWidget(radio)
        layout.addWidget(self.deliver_box)
        layout.addWidget(buttons)
        self.lander_box.currentIndexChanged.connect(lambda _i: self._say_what_happens())
        self._say_what_happens()
        self.resize(600, 700)

    def _say_what_happens(self) -> None:
        lander_id = self.lander_id()
        name, client, _c = self.landers.get(lander_id, ("", "", 0))
        if lander_id in self.integrated:
            self.delivery_note.setText(f"“{name}” is integrated: leads to send are posted to {client}'s intake "
                                       "system within a minute, live.")
        else:
            self.delivery_note.setText(f"“{name}” is not integrated yet: nothing is sent now; leads to send go out "
                                       "once it is.")

    def delivery(self) -> str:
        """"auto", "deliver" or "records" (as `leads.import_file` takes it)."""
        if self.choice_deliver.isChecked():
            return "deliver"
        if self.choice_records.isChecked():
            return "records"
        return "auto"

    def lander_id(self) -> int:
        """The lander chosen."""
        return self.lander_box.currentData()

    def mapping(self) -> dict[str, str | None]:
        """Column → canonical field (None: custom field)."""
        return {column: box.currentData() for column, box in self.boxes.items()}

    def set_mapping(self, mapping: dict[str, str | None]) -> None:
        """Show another proposal (the chosen lander's remembered choices)."""
        for column, box in self.boxes.items():
            box.setCurrentIndex(max(0, box.findData(mapping.get(column))))

    def set_waiting(self, waiting: bool) -> None:
        """While the chosen lander's choices are read, Import waits (it would import with the old ones)."""
        self.import_button.setEnabled(not waiting)
        self.import_button.setText("Reading…" if waiting else "Import")
