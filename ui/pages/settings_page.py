"""The Settings page: every typed setting in groups, secrets masked until revealed, saved together."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.widgets import add_reveal, hint, page_title
from xsc_desktop import activity, settings
from xsc_desktop.errors import UserError
from xsc_desktop.settings import SETTINGS, SettingDef

GROUPS: dict[str, str] = {
    "queue": "Integration queue", "jobs": "Scheduler", "reports": "Spreadsheet reports", "leads": "Lead import",
    "delivery": "Lead delivery", "operator": "Operator", "ui": "Window", "smtp": "E-mail (SMTP)",
    "mail": "E-mail templates", "secrets": "Secrets",
}
# How each choice of a choice setting reads.
CHOICE_LABELS: dict[str, str] = {
    "run": "Run them when the app starts", "ask": "Ask me", "skip": "Skip them",
    "none": "None (plain)", "starttls": "STARTTLS", "ssl": "SSL/TLS",
}

# Where the key's own words read badly as a label.
LABELS: dict[str, str] = {
    "reports.time_utc": "Time (UTC)",
    "leads.records_only_after_hours": "Keep for records after (hours)",
    "jobs.catch_up": "Missed slots",
    "queue.per_host_limit": "Tasks at once per host",
    "delivery.per_host_limit": "Posts at once per host",
    "delivery.breaker_threshold": "Pause after errors in a row",
    "ui.close_to_tray": "Close to the tray",
    "smtp.host": "Server",
    "smtp.user": "User name",
    "smtp.from": "From",
    "delivery.duplicate_days": "Duplicate window (days)",
    "delivery.interval_seconds": "Every (seconds)",
    "operator.email": "E-mail for alerts",
    "operator.name": "Your name",
    "smtp.reply_to": "Reply-To",
    "smtp.timeout": "Timeout (seconds)",
    "secrets.key_file": "Team key file",
    "mail.confirmation_subject": "Confirmation subject",
    "mail.confirmation_body": "Confirmation body",
    "mail.confirmation_attach_summary": "Attach the posting summary (PDF)",
}


def label_of(key: str) -> str:
    """A setting's label on screen (never its key)."""
    return LABELS.get(key) or key.split(".", 1)[1].replace("_", " ").capitalize()


def in_words(text: str) -> str:
    """A message with every setting key in it replaced by its label."""
    for d in sorted(SETTINGS, key=lambda d: -len(d.key)):
        text = text.replace(d.key, label_of(d.key))
    return text


class SettingsPage(QWidget):
    """A form per settings group; Save checks and stores every changed value."""

    title = "Settings"
    saved = Signal(list)  # keys that changed

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.editors: dict[str, QWidget] = {}
        self.group_boxes: dict[str, QGroupBox] = {}
        body = QWidget()
        body.setMaximumWidth(820)
        body_layout = QVBoxLayout(body)
        for prefix, title in GROUPS.items():
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for d in (d for d in SETTINGS if d.key.split(".")[0] == prefix):
                editor = self._editor(d)
                self.editors[d.key] = editor
                label = QLabel(label_of(d.key))
                label.setToolTip(d.help)
                editor.setToolTip(d.help)
                form.addRow(label, editor)
            self.group_boxes[prefix] = box
            body_layout.addWidget(box)
        # One label column for every group, so the forms line up down the page.
        labels = [form.labelForField(editor) for editor in self.editors.values()
                  if (form := editor.parentWidget().layout()) is not None and isinstance(form, QFormLayout)]
        widest = max((label.sizeHint().width() for label in labels if label is not None), default=0)
        for label in labels:
            if label is not None:
                label.setMinimumWidth(widest)
        body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.problem = QLabel()
        self.problem.setProperty("role", "problem")
        self.save_button = QPushButton("Save settings")
        self.save_button.setDefault(True)
        self.revert_button = QPushButton("Revert")
        buttons = QHBoxLayout()
        buttons.addWidget(self.problem, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Settings"))
        layout.addWidget(hint("Times are local unless they say UTC. Secrets are stored apart and never shown in "
                              "logs, exports or e-mails."))
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.reload)
        from ui.pages.settings_mail import MailTools

        self.mail_tools = MailTools(self)  # Send test e-mail, confirmation template preview

    def _editor(self, d: SettingDef) -> QWidget:
        if d.choices:
            combo = QComboBox()
            for choice in d.choices:
                combo.addItem(CHOICE_LABELS.get(choice, choice), choice)
            return combo
        if d.kind is bool:
            return QCheckBox()
        if d.kind is int:
            spin = QSpinBox()
            spin.setRange(0, 1_000_000)
            spin.setMaximumWidth(140)
            return spin
        if d.key.endswith("_body"):
            text = QPlainTextEdit()
            text.setMinimumHeight(160)
            return text
        line = QLineEdit()
        line.setMaximumWidth(90 if d.time_of_day else 420)
        if d.key == "operator.name":
            line.setPlaceholderText(activity.login_name())  # what Activity shows while it is empty
        if d.secret:
            line.setPlaceholderText("not set")
            add_reveal(line)
        return line

    def value_of(self, key: str):
        """What the form holds for a setting."""
        editor = self.editors[key]
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QSpinBox):
            return editor.value()
        if isinstance(editor, QPlainTextEdit):
            return editor.toPlainText()
        return editor.text()

    def set_value(self, key: str, value) -> None:
        """Put a value into the form (not saved until Save)."""
        editor = self.editors[key]
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(str(value))))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QPlainTextEdit):
            editor.setPlainText(str(value))
        else:
            editor.setText(str(value))

    def reload(self) -> None:
        """Show the stored values (a quick query)."""
        for d in SETTINGS:
            self.set_value(d.key, settings.for_form(d.key))
        self.problem.setText(" ".join(settings.unreadable_secrets()))

    def save(self) -> list[str]:
        """Check and store every changed value; a bad one is named and nothing is stored."""
        changed: dict[str, object] = {}
        try:
            for d in SETTINGS:
                value = settings.coerce(d.key, self.value_of(d.key))
                if value != settings.for_form(d.key):
                    changed[d.key] = value
        except UserError as exc:
            self.problem.setText(in_words(str(exc)))
            return []
        for key, value in changed.items():
            settings.set(key, value)
        if changed:
            shown = ", ".join(label_of(key) for key in changed)
            activity.record("settings", None, "changed", note=shown)
            self.app.status_message(f"Saved: {shown}.")
        self.problem.clear()
        self.saved.emit(list(changed))
        return list(changed)
