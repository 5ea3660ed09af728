"""The Leads page's lead pane: the selected lead's fields, its state explained, and its delivery attempts with
the masked request and the answer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.leads_model import (
    DELIVERY_COLUMNS,
    RULE_STATES,
    STATE_COLOURS,
    STATE_LABELS,
    STATE_ROLE,
    DeliveriesModel,
    rule_notes,
)
from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate, rich_escape
from xsc_desktop.clock import local_text

RULE_STATE_NOTES = {
    "capped": "It waits at the integration's cap and goes when the window reopens (oldest first).",
    "held": "A check before posting failed: it is never sent as it is. Fix the lead, or resend it by hand.",
    "rejected_by_rule": "A filter of the integration's delivery rules turned it away; it is not sent.",
}


def field_label(name: str) -> str:
    """A lead field as the lead pane names it: first_name → First name (the canonical field's own label)."""
    from parsers.fields import FIELDS_BY_NAME

    if name == "captured_at":
        return "Captured"
    known = FIELDS_BY_NAME.get(name)
    return known.label if known is not None else name.replace("_", " ").capitalize()


class LeadDetail(QWidget):
    """The selected lead's fields and its delivery attempts with the masked request and the answer."""

    def __init__(self, deliveries: DeliveriesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.deliveries = deliveries
        self.heading = QLabel("Select a lead to see its fields and delivery attempts.")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.fields = QLabel()
        self.fields.setWordWrap(True)
        self.fields.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.fields)
        self.attempts = QTableView()
        self.attempts.setModel(deliveries)
        self.attempts.setItemDelegateForColumn(2, ChipDelegate(STATE_ROLE, STATE_COLOURS, self.attempts))
        self.attempts.verticalHeader().hide()
        self.attempts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.attempts.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # a narrow pane drops what the request and answer below show anyway
        fit_columns(self.attempts, stretch=DELIVERY_COLUMNS.index("Reason"), keep=(2,),
                    optional=tuple(DELIVERY_COLUMNS.index(c) for c in ("Remote id", "Latency", "Attempt")))
        self.exchange = QPlainTextEdit()
        self.exchange.setReadOnly(True)
        self.exchange.setPlaceholderText("Select an attempt to see the request sent (secrets masked) and the answer.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("lead-detail-splitter")
        splitter.addWidget(scroll)
        splitter.addWidget(self.attempts)
        splitter.addWidget(self.exchange)
        splitter.setSizes([260, 160, 160])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(splitter, 1)
        self.attempts.selectionModel().selectionChanged.connect(self._attempt_selected)

    def show_lead(self, lead_id: int | None, selected: int = 0) -> None:
        """Show one lead (a quick query by primary key), or a hint."""
        from xsc_desktop.delivery import attempts_of
        from xsc_desktop.leads import lead_json
        from xsc_desktop.models import Lead

        lead = Lead.get_or_none(Lead.id == lead_id) if lead_id is not None else None
        self.exchange.clear()
        if lead is None:
            self.heading.setText(f"{selected:,} leads selected." if selected > 1
                                 else "Select a lead to see its fields and delivery attempts.")
            self.fields.clear()
            self.deliveries.set_rows([])
            return
        data = lead_json(lead)
        name = " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.full_name or f"Lead {lead.id}"
        self.heading.setText(f"{name} — {STATE_LABELS.get(lead.delivery_state, lead.delivery_state)}")
        rows = [("Lead id", str(lead.id)), ("External id", lead.external_id or ""),
                ("Received", local_text(data["received_at"]))]
        rows += [(field_label(key), local_text(value) if key == "captured_at" else str(value))
                 for key, value in data.items()
                 if key not in ("id", "external_id", "lander_id", "custom", "delivery_state", "received_at", "is_test",
                                "problems", "lead_id") and value not in (None, "")]
        rows += [(f"{key} (custom)", str(value)) for key, value in (lead.custom or {}).items()]
        if lead.problems:
            rows.append(("Problems", lead.problems))
        if lead.delivery_state in RULE_STATES:
            note = rule_notes([(lead.id, lead.delivery_state)], id_at=0, state_at=1).get(lead.id, "")
            rule, _, reason = note.partition(": ")
            if rule:
                rows.insert(0, ("Delivery rule", rule))
            if reason:
                rows.insert(1, ("Why", reason))
            rows.append(("Note", RULE_STATE_NOTES[lead.delivery_state]))
        if lead.delivery_state == "uncertain":
            rows.append(("Note", "The last attempt got no answer: the client may have this lead. Check, then "
                                 "resend or mark it delivered."))
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        self.fields.setText("<table cellspacing=3>" + "".join(
            f"<tr><td style='color:{muted}'>{rich_escape(k)}</td><td>{rich_escape(v[:2000])}</td></tr>" for k, v in rows)
            + "</table>")
        self.deliveries.set_rows(attempts_of(lead.id))

    def _attempt_selected(self, *_args) -> None:
        indexes = self.attempts.selectionModel().selectedRows()
        row = self.deliveries.row_at(indexes[0].row()) if indexes else None
        if row is None:
            self.exchange.clear()
            return
        self.exchange.setPlainText(f"Request (secrets masked):\n{row.request_masked or '—'}\n\n"
                                   f"Answer (HTTP {row.http_status or '—'}):\n{row.response_excerpt or row.reason}")
