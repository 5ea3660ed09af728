"""The Outbox page: every e-mail the app sends with its state and reason; open one, resend by hand, send now."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.outbox_model import (
    COLUMNS,
    REASON_COLUMN,
    STATE_COLOURS,
    STATE_COLUMN,
    STATE_LABELS,
    STATE_ROLE,
    OutboxModel,
    load_outbox,
)
from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate, hint, page_title, show_error
from ui.workers import run_task
from xsc_desktop import mail


class OutboxPage(QWidget):
    """Messages with their state and reason, the selected one's text, Resend and Send queued now."""

    title = "Outbox"
    loaded = Signal(int)
    action_finished = Signal(str)

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.model = OutboxModel(self)
        self._selected_id: int | None = None
        self._loading = False
        self._again = False

        self.send_button = QPushButton("Send queued now")
        self.resend_button = QPushButton("Resend")
        self.resend_button.setToolTip("Send the selected message again (it was sent, or failed).")
        self.interrupted_button = QPushButton("Resend interrupted")
        self.interrupted_button.setToolTip("Send again every message whose sending was interrupted (it may or may "
                                           "not have reached the recipient).")
        self._interrupted = 0
        self.summary = QLabel("")
        self.summary.setProperty("role", "hint")
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.interrupted_button)
        bar.addWidget(self.resend_button)
        bar.addWidget(self.send_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(STATE_COLUMN, ChipDelegate(STATE_ROLE, STATE_COLOURS, parent=self.table))
        subject = COLUMNS.index("Subject")  # the subject stays readable; the reason gives way
        fit_columns(self.table, stretch=subject, keep=(STATE_COLUMN,), floors={subject: 220, REASON_COLUMN: 70})

        self.message_view = QPlainTextEdit()
        self.message_view.setReadOnly(True)
        self.message_view.setPlaceholderText("Select a message to read it.")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("outbox-splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.message_view)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Outbox"))
        layout.addWidget(hint("Every message is written here before it is sent and is sent once; failures are "
                              "retried with growing pauses and show their reason."))
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(300)
        self._reload_timer.timeout.connect(self.reload)
        self.send_button.clicked.connect(self.send_now)
        self.resend_button.clicked.connect(self.resend_selected)
        self.interrupted_button.clicked.connect(self.resend_interrupted)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _old: self._selected(current.row()))
        app.bridge.event.connect(self._on_event)
        self._update_buttons()

    def open_selected(self) -> None:
        """Return on the table: read the selected message."""
        self.message_view.setFocus()

    def reload(self) -> None:
        """Read the outbox in a worker."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        run_task(load_outbox, self._loaded, self._failed_load)

    def _loaded(self, rows: list[dict]) -> None:
        self._loading = False
        self.model.set_rows(rows)
        self._interrupted = sum(1 for r in rows if mail.is_interrupted(r["state"], r["last_error"]))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["state"]] = counts.get(r["state"], 0) + 1
        self.summary.setText(", ".join(f"{n} {STATE_LABELS.get(s, s).lower()}" for s, n in sorted(counts.items()))
                             or "The outbox is empty.")
        if self._selected_id is not None:
            row = self.model.row_of(self._selected_id)
            if row >= 0:
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
                self._show(self.model.row_at(row))
        self._update_buttons()
        self.loaded.emit(len(rows))
        if self._again:
            self._again = False
            self._reload_timer.start()

    def _failed_load(self, exc: Exception) -> None:
        self._loading = False
        self.app.status_message(f"The outbox could not be read: {exc}", 10000)

    def _on_event(self, topic: str, payload: dict) -> None:
        if topic == "email.changed":
            self._reload_timer.start()

    def selected(self) -> dict | None:
        """The selected message, or None."""
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _selected(self, row: int) -> None:
        message = self.model.row_at(row)
        self._selected_id = message["id"] if message else None
        self._show(message)
        self._update_buttons()

    def _show(self, message: dict | None) -> None:
        if message is None:
            self.message_view.clear()
            return
        lines = [f"To: {', '.join(message['to'])}", f"Subject: {message['subject']}",
                 f"State: {STATE_LABELS.get(message['state'], message['state'])}"
                 + (f" — {message['last_error']}" if message["last_error"] else "")]
        if message["attachments"]:
            lines.append("Attachments: " + ", ".join(message["attachments"]))
        self.message_view.setPlainText("\n".join(lines) + "\n\n" + message["body"])

    def _update_buttons(self) -> None:
        message = self.selected()
        self.resend_button.setEnabled(message is not None and message["state"] in ("sent", "failed"))
        self.interrupted_button.setEnabled(self._interrupted > 0)
        self.interrupted_button.setText(f"Resend interrupted ({self._interrupted})" if self._interrupted
                                        else "Resend interrupted")

    def _act(self, fn, text) -> None:
        def done(result) -> None:
            line = text(result)
            self.app.status_message(line, 8000)
            self.action_finished.emit(line)
            self._reload_timer.start()

        def failed(exc: Exception) -> None:
            show_error(self, "Outbox", exc)
            self.action_finished.emit(str(exc))

        run_task(fn, done, failed)

    def send_now(self) -> None:
        """Send the queued messages that are due."""
        self._act(mail.send_pending, lambda summary: f"Outbox: {summary.line()}.")

    def resend_selected(self) -> None:
        """Resend the selected message now."""
        message = self.selected()
        if message is None:
            return
        email_id = message["id"]
        if message["state"] == "sent":
            # It reached the server once already: a second copy is what the outbox otherwise never sends.
            answer = QMessageBox.question(
                self, "Resend e-mail",
                f"\"{message['subject']}\" was sent to {', '.join(message['to'])} already. Send it again?")
            if answer != QMessageBox.StandardButton.Yes:
                return

        def resend():
            mail.resend(email_id)
            return mail.send_pending(only_ids=[email_id])

        self._act(resend, lambda summary: f"Message {email_id}: {summary.line()}.")

    def resend_interrupted(self) -> None:
        """Offer every interrupted message again (after a yes: the recipient may have one already) and send."""
        count = self._interrupted
        if not count:
            return
        answer = QMessageBox.question(
            self, "Resend interrupted e-mail",
            f"{count} message{'s' if count != 1 else ''} stopped mid-send and may or may not have reached the "
            "recipient. Send them again now?")
        if answer != QMessageBox.StandardButton.Yes:
            return

        def resend():
            ids = mail.resend_interrupted()
            return mail.send_pending(only_ids=ids, wait=True)

        self._act(resend, lambda summary: f"Interrupted messages: {summary.line()}.")
