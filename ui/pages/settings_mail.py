"""E-mail tools on the Settings page: "Send test e-mail" in the SMTP group and a live preview of the confirmation
template (with its placeholders and a warning for unknown ones) in the templates group."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from ui.widgets import show_error
from ui.workers import run_task
from xsc_desktop import confirmation, mail, settings


class MailTools:
    """Adds the test-e-mail row and the template preview to a SettingsPage."""

    def __init__(self, page) -> None:
        self.page = page
        smtp_box = page.group_boxes.get("smtp")
        templates_box = page.group_boxes.get("mail")
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText("your@address")
        self.test_button = QPushButton("Send test e-mail")
        self.test_button.setToolTip("Saves the settings, then sends one message with them.")
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        if smtp_box is not None:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(self.test_to, 1)
            line.addWidget(self.test_button)
            form = smtp_box.layout()
            if isinstance(form, QFormLayout):
                form.addRow("Test to", row)
                form.addRow("", self.test_result)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setMinimumHeight(160)
        self.placeholders = QLabel("Placeholders: " + ", ".join("{" + k + "}" for k in mail.CONFIRMATION_PLACEHOLDERS))
        self.placeholders.setProperty("role", "hint")
        self.placeholders.setWordWrap(True)
        self.warning = QLabel("")
        self.warning.setProperty("role", "problem")
        self.preview_lander = QComboBox()
        self.preview_lander.addItem("A made-up example", None)
        self.preview_lander.setToolTip("Preview the e-mail exactly as this lander's client would get it.")
        self._preview_values: tuple[int | None, dict | None] = (None, None)
        if templates_box is not None and isinstance(templates_box.layout(), QFormLayout):
            form = templates_box.layout()
            form.addRow("", self.placeholders)
            form.addRow("Preview for", self.preview_lander)
            form.addRow("Preview", self.preview)
            form.addRow("", self.warning)
        self.test_button.clicked.connect(self.send_test)
        self.preview_lander.currentIndexChanged.connect(lambda _i: self._load_lander_values())
        run_task(confirmation.preview_landers, self._fill_landers, lambda exc: None)
        for key in ("mail.confirmation_subject", "mail.confirmation_body"):
            editor = page.editors.get(key)
            signal = getattr(editor, "textChanged", None)
            if signal is not None:
                signal.connect(self.update_preview)
        self.update_preview()

    def _template(self, key: str) -> str:
        try:
            return str(self.page.value_of(key))
        except KeyError:
            return str(settings.get(key))

    def _fill_landers(self, landers: list[tuple[int, str]]) -> None:
        for lander_id, text in landers:
            self.preview_lander.addItem(text, lander_id)

    def _load_lander_values(self) -> None:
        """Read the chosen lander's values on a worker; the preview follows the form from then on."""
        lander_id = self.preview_lander.currentData()
        if lander_id is None:
            self._preview_values = (None, None)
            self.update_preview()
            return

        def load() -> dict:
            return confirmation.preview_values(lander_id)

        def loaded(values: dict) -> None:
            if self.preview_lander.currentData() == lander_id:
                self._preview_values = (lander_id, values)
                self.update_preview()

        run_task(load, loaded, lambda exc: show_error(self.page, "Preview", exc))

    def update_preview(self) -> None:
        """Render the confirmation as the form holds it, with the chosen lander's values or made-up ones (pure
        text work, instant)."""
        subject_tpl = self._template("mail.confirmation_subject")
        body_tpl = self._template("mail.confirmation_body")
        values = self._preview_values[1] or dict(mail.PREVIEW_VALUES)
        subject, body = confirmation.render(values, subject_tpl, body_tpl)
        self.preview.setPlainText(f"Subject: {subject}\n\n{body}")
        unknown = mail.unknown_placeholders(subject_tpl + "\n" + body_tpl)
        self.warning.setText(("Unknown placeholders stay as written: " + ", ".join("{" + u + "}" for u in unknown))
                             if unknown else "")

    def send_test(self) -> None:
        """Save the settings, then send a test message in a worker and say how it went."""
        to = self.test_to.text().strip() or str(settings.get("operator.email") or "")
        if not to:
            show_error(self.page, "Send test e-mail", "Type the address to send the test e-mail to.")
            return
        self.page.save()
        if self.page.problem.text():
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Sending...")

        def done(email) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(f"Sent to {', '.join(email.to)}.")

        def failed(exc: Exception) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(str(exc))

        run_task(lambda: mail.send_test(to), done, failed)
