"""The integration dialog's "Delivery rules" tab: caps, time zone, delivery hours, holidays, filters and checks
before posting, laid out like the parser editor's Rules tab (a table of rules with Add / Remove under a hint).

Every rule is typed as the CLI takes it ("mon-fri 08:00-18:00", "state in TX,OK"); the table's second column says
how it reads ("Monday to Friday 08:00–18:00") or, once the person has typed, why it cannot be read. Problems of the
whole (overlapping hours, a filter on a field the lander does not collect, an unknown time zone) show under the
tabs as they type; nothing shows before they typed. A live line answers "Would the sample lead pass?" with
`delivery_rules.evaluate` on the sample lead, as if it came in now. `rules()` gives the DeliveryRules or raises
RuleError with the first blocking sentence, so Save stores everything or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.widgets import FlowRow, hint
from xsc_desktop import delivery_rules as dr
from xsc_desktop.delivery_rules import DeliveryRules, RuleError

PERIOD_HEADINGS = {"hour": "An hour", "day": "A day", "week": "A week", "month": "A month"}


class RuleList(QWidget):
    """A table of rules typed as text, each with how it reads, and Add / Remove buttons (the Rules tab's look)."""

    changed = Signal()

    def __init__(self, explanation: str, example: str, parse: Callable[[str], Any], describe: Callable[[Any], str],
                 texts: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parse, self.describe, self.example = parse, describe, example
        self.touched = False
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Written as", "Reads as"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().resizeSection(0, 190)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setMinimumHeight(26 * 2 + 28)
        self.table.setMaximumHeight(26 * 3 + 28)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint(explanation))
        layout.addWidget(self.table)
        layout.addWidget(FlowRow((self.add_button, self.remove_button)))
        self._filling = True
        for text in texts:
            self._append(text)
        self._filling = False
        self.table.itemChanged.connect(self._edited)

    def _append(self, text: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(text))
        reads = QTableWidgetItem("")
        reads.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.table.setItem(row, 1, reads)
        self._describe_row(row)
        return row

    def _describe_row(self, row: int) -> None:
        item, reads = self.table.item(row, 0), self.table.item(row, 1)
        if item is None or reads is None:
            return
        text = item.text().strip()
        if not text:
            reads.setText(f"Type a rule, for example {self.example}")
            reads.setToolTip("")
            return
        try:
            reads.setText(self.describe(self.parse(text)))
            reads.setToolTip("")
        except RuleError as exc:
            reads.setText(str(exc))
            reads.setToolTip(str(exc))

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        self.touched = True
        self._filling = True
        try:
            self._describe_row(item.row())
        finally:
            self._filling = False
        self.changed.emit()

    def add(self) -> None:
        """A new empty row, being edited."""
        self._filling = True
        row = self._append("")
        self._filling = False
        self.table.selectRow(row)
        self.table.editItem(self.table.item(row, 0))

    def remove(self) -> None:
        """Remove the selected row."""
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.table.removeRow(rows[0].row())
            self.touched = True
            self.changed.emit()

    def texts(self) -> list[str]:
        """The rules typed (empty rows left out)."""
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text().strip():
                out.append(item.text().strip())
        return out

    def problems(self) -> list[str]:
        """One sentence per rule that cannot be read."""
        out = []
        for text in self.texts():
            try:
                self.parse(text)
            except RuleError as exc:
                out.append(str(exc))
        return out


def filter_words(rule: dr.Filter) -> str:
    """A stored filter written as an operator types it ("has attorney is no"); parse_filter reads it back."""
    if rule.op == "required":
        return "required " + ", ".join(name.replace("_", " ") for name in rule.values)
    if rule.op == "<":
        return rule.text()
    return f"{rule.field.replace('_', ' ')} {rule.op} {','.join(rule.values)}"


def _holiday_words(day: Any) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}: closed all day"


class DeliveryRulesTab(QWidget):
    """The Delivery rules tab; `changed` on every edit, `rules()` for Save."""

    changed = Signal()

    def __init__(self, rules: DeliveryRules, *, client_zone: str | None, lander_fields: set[str] | None,
                 sample_lead: Callable[[], dict[str, Any] | None], now: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deliveryRulesTab")
        self.client_zone = client_zone
        self.lander_fields = lander_fields
        self.sample_lead = sample_lead
        self.now = now or (lambda: datetime.now(UTC))
        self.touched: set[str] = set()

        # Caps: this lander's integration, and all the client's landers together.
        caps_box = QGroupBox("Caps (accepted leads at most; empty: no cap, 0: paused)")
        grid = QGridLayout(caps_box)
        self.cap_edits: dict[tuple[str, str], QLineEdit] = {}
        for column, period in enumerate(dr.PERIODS, 1):
            grid.addWidget(QLabel(PERIOD_HEADINGS[period]), 0, column)
        for row, (part, words, caps) in enumerate((("caps", "This lander", rules.caps),
                                                   ("client_caps", "All the client's landers", rules.client_caps)), 1):
            grid.addWidget(QLabel(words), row, 0)
            for column, period in enumerate(dr.PERIODS, 1):
                value = getattr(caps, period)
                edit = QLineEdit("" if value is None else str(value))
                edit.setValidator(QIntValidator(0, 10_000_000, edit))
                edit.setPlaceholderText("no cap")
                edit.setMaximumWidth(90)
                edit.textEdited.connect(lambda _t, p=part: self._edited(p))
                self.cap_edits[(part, period)] = edit
                grid.addWidget(edit, row, column)
        grid.setColumnStretch(5, 1)

        # Time zone and pacing.
        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        from zoneinfo import available_timezones

        self.zone.addItem("")
        self.zone.addItems(sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/")))
        self.zone.setCurrentText(rules.time_zone or "")
        self.zone.lineEdit().setPlaceholderText(f"The client's zone ({client_zone or 'UTC'})")
        self.zone.setMinimumWidth(220)
        self.zone.lineEdit().textEdited.connect(lambda _t: self._edited("time_zone"))
        self.zone.activated.connect(lambda _i: self._edited("time_zone"))
        self.pace = QLineEdit("" if rules.posts_per_minute is None else str(rules.posts_per_minute))
        self.pace.setValidator(QIntValidator(1, 100_000, self.pace))
        self.pace.setPlaceholderText("the app's setting")
        self.pace.setMaximumWidth(120)
        self.pace.textEdited.connect(lambda _t: self._edited("posts_per_minute"))
        zone_row = QHBoxLayout()
        zone_row.addWidget(QLabel("Time zone"))
        zone_row.addWidget(self.zone)
        zone_row.addSpacing(16)
        zone_row.addWidget(QLabel("Posts a minute at most"))
        zone_row.addWidget(self.pace)
        zone_row.addStretch(1)

        self.hours = RuleList("Days and times leads may go, in the time zone above; leads outside wait and go at "
                              "opening, oldest first. No rows: any time.", "mon-fri 08:00-18:00",
                              dr.parse_hours, lambda r: r.describe(), [r.text() for r in rules.hours])
        self.holidays = RuleList("Days the client takes no leads (YYYY-MM-DD).", "2026-12-25", dr.parse_holiday,
                                 _holiday_words, [d.isoformat() for d in rules.holidays])
        self.filters = RuleList("A lead that fails one is not sent: it is filtered by rule, with the rule named.",
                                "state in TX,OK", dr.parse_filter, lambda f: f.describe(),
                                [filter_words(f) for f in rules.filters])
        for part, rule_list in (("hours", self.hours), ("holidays", self.holidays), ("filters", self.filters)):
            rule_list.changed.connect(lambda p=part: self._edited(p))

        # Checks before posting.
        checks_box = QGroupBox("Checks before posting (a lead that fails one is held, never posted)")
        checks = QGridLayout(checks_box)
        self.check_boxes: dict[str, QCheckBox] = {}
        for n, check in enumerate(dr.CHECKS):
            box = QCheckBox(dr.CHECK_LABELS[check])
            box.setChecked(check in rules.require)
            box.toggled.connect(lambda _on: self._edited("require"))
            self.check_boxes[check] = box
            checks.addWidget(box, n // 3, n % 3)
        self.tf_age = QSpinBox()
        self.tf_age.setRange(1, 24 * 90)
        self.tf_age.setSuffix(" hours")
        self.tf_age.setValue(rules.trustedform_max_age_hours)
        self.tf_age.valueChanged.connect(lambda _v: self._edited("require"))
        age_row = QHBoxLayout()
        age_row.addWidget(QLabel("TrustedForm certificate at most"))
        age_row.addWidget(self.tf_age)
        age_row.addStretch(1)
        checks.addLayout(age_row, 2, 0, 1, 3)
        self.check_boxes["trustedform"].toggled.connect(self.tf_age.setEnabled)
        self.tf_age.setEnabled("trustedform" in rules.require)

        self.problems = QLabel("")
        self.problems.setObjectName("rulesProblems")
        self.problems.setProperty("role", "problem")
        self.problems.setWordWrap(True)
        self.notices = QLabel("")
        self.notices.setObjectName("rulesNotices")
        self.notices.setWordWrap(True)
        self.verdict = QLabel("")
        self.verdict.setObjectName("samplePasses")
        self.verdict.setWordWrap(True)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(hint("The client's contract: how many leads, when, which ones, and what each must carry. "
                              "Leads over a cap or outside the hours wait; they are never dropped."))
        layout.addWidget(caps_box)
        layout.addLayout(zone_row)
        for title, rule_list in (("Delivery hours", self.hours), ("Holidays", self.holidays),
                                 ("Filters", self.filters)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(rule_list)
            layout.addWidget(box)
        layout.addWidget(checks_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 6)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.verdict)
        outer.addWidget(self.notices)
        outer.addWidget(self.problems)
        self.refresh()

    # ---- reading the form -------------------------------------------------------------------------------------
    def _caps(self, part: str) -> dict[str, str]:
        return {period: self.cap_edits[(part, period)].text().strip() for period in dr.PERIODS}

    def _data(self) -> dict[str, Any]:
        return {"caps": self._caps("caps"), "client_caps": self._caps("client_caps"),
                "time_zone": self.zone.currentText().strip() or None, "hours": self.hours.texts(),
                "holidays": self.holidays.texts(), "filters": self.filters.texts(),
                "require": [c for c, box in self.check_boxes.items() if box.isChecked()],
                "trustedform_max_age_hours": self.tf_age.value(),
                "posts_per_minute": self.pace.text().strip() or None}

    def check(self) -> tuple[DeliveryRules | None, list[tuple[str, str]], list[str]]:
        """(rules or None, blocking problems as (part, sentence), notices)."""
        problems: list[tuple[str, str]] = []
        for part, rule_list in (("hours", self.hours), ("holidays", self.holidays), ("filters", self.filters)):
            problems += [(part, sentence) for sentence in rule_list.problems()]
        if problems:
            return None, problems, []
        try:
            rules = DeliveryRules.from_dict(self._data())
        except RuleError as exc:
            return None, [("form", str(exc))], []
        found = dr.validate(rules, self.lander_fields)
        blocking = [(p.part or "rules", p.message) for p in found if p.blocking]
        notices = [p.message for p in found if not p.blocking]
        return (None if blocking else rules), blocking, notices

    def rules(self) -> DeliveryRules:
        """The rules to save; RuleError with the first blocking sentence (shown in full) when there is one."""
        self.touched.update(("caps", "client_caps", "time_zone", "hours", "holidays", "filters", "require"))
        self.refresh()
        rules, problems, _notices = self.check()
        if rules is None:
            raise RuleError(problems[0][1] if problems else "The delivery rules cannot be read.")
        return rules

    # ---- live feedback ----------------------------------------------------------------------------------------
    def _edited(self, part: str) -> None:
        self.touched.add(part)
        self.refresh()
        self.changed.emit()

    def refresh(self) -> None:
        """Show the problems of the parts already typed in, the notices, and whether the sample lead would pass."""
        rules, problems, notices = self.check()
        shown = [sentence for part, sentence in problems if self._was_touched(part)]
        self.problems.setText("\n".join(dict.fromkeys(shown)))
        self.problems.setVisible(bool(shown))
        self.notices.setText("\n".join(notices))
        self.notices.setVisible(bool(notices))
        self.verdict.setText(self.sample_verdict(rules))

    def _was_touched(self, part: str) -> bool:
        lists = {"hours": self.hours, "holidays": self.holidays, "filters": self.filters}
        if part == "form":  # a cap or the pacing that cannot be read
            return bool(self.touched & {"caps", "client_caps", "posts_per_minute"})
        return part in self.touched or (part in lists and lists[part].touched)

    def sample_verdict(self, rules: DeliveryRules | None) -> str:
        """"Would the sample lead pass?" answered in one line."""
        question = "Would the sample lead pass?"
        self.verdict.setToolTip("The sample lead of the Integration tab (else a made-up one), as if it came in now.")
        if rules is None:
            return f"{question} Fix the rules above first."
        lead = dict(self.sample_lead() or {})
        now = self.now()
        lead["created_at"] = now  # as if it came in now
        outcome = dr.evaluate(rules, lead, now, dr.Counts(), self.client_zone)
        if outcome.kind == "deliver":
            return f"{question} Yes: it would go now."
        if outcome.kind == "rejected_by_rule":
            return f"{question} No: filtered by rule \"{outcome.rule}\". {outcome.reason}"
        if outcome.kind == "held":
            return f"{question} No: held by the check \"{outcome.rule}\". {outcome.reason}"
        if outcome.kind == "outside_hours":
            return f"{question} Yes, but not now: {outcome.reason}"
        return f"{question} It passes the filters and checks; {outcome.reason}"
