"""The live preview of the Parsers page: a sample lead, the exact request the parser makes (secrets masked),
the validation problems, and the answer of a test post with its classified outcome.

Rendering and validating take microseconds to a millisecond, so the page runs them on the GUI thread a
few tens of milliseconds after the last keystroke; only "Send test" goes to a worker.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from parsers.expressions import PLACEHOLDER_RE
from parsers.render import OutgoingRequest, preview, sample_lead
from parsers.spec import Extract, ParserSpec, Problem, ResponseRule, secrets_needed, settings_needed, validate
from ui.models.parser_models import OUTCOME_LABELS
from ui.theme import muted_colour, problem_colour, warning_colour

OUTCOME_STYLE = {"accepted": "background:#ceead6; color:#0d652d;", "duplicate": "background:#d2e3fc; color:#174ea6;",
                 "rejected": "background:#fad2cf; color:#a50e0e;", "error": "background:#feefc3; color:#8a4b00;"}


def _tricky_lead() -> dict[str, Any]:
    lead = sample_lead()
    lead.update({"first_name": "José", "last_name": "O'Brien & <Sons>", "full_name": "José O'Brien & <Sons>",
                 "description": 'Said "it hurts" — back & neck;\nsecond line.', "state": "texas",
                 "phone": "(214) 555-0199", "how_did_you_hear": "Radio ad"})
    return lead


def _minimal_lead() -> dict[str, Any]:
    return {"first_name": "Sam", "last_name": "Minimal", "phone": "214-555-0142"}


def _no_name_lead() -> dict[str, Any]:
    lead = sample_lead()
    for key in ("first_name", "last_name", "full_name"):
        lead.pop(key)
    return lead


# Built-in sample leads: (label, factory). Made-up data only (555-01xx phones, example.com e-mail).
SAMPLE_LEADS: tuple[tuple[str, Any], ...] = (
    ("Complete lead (Jane Sample)", sample_lead),
    ("Only name and phone", _minimal_lead),
    ("Accents, quotes, & < > and a custom field", _tricky_lead),
    ("Lead without a name", _no_name_lead),
)


@dataclass
class PreviewResult:
    """What the preview shows for one spec and lead: the masked request (or None) and every problem."""

    request: OutgoingRequest | None
    problems: list[Problem]
    stand_ins: list[str]
    complete: bool = True  # False when the request shown would not be sent as it is (empty required values)


def stand_in_values(spec: ParserSpec, settings: dict[str, str], secrets: dict[str, str]
                    ) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Test values with stand-ins for the empty ones, so the preview always shows a request's shape.

    A setting's stand-in is its example, or its own name ("https://endpoint.example/" when it is the
    whole endpoint URL); a secret's is a dummy that masking hides anyway. Returns the names stood in for.
    """
    settings, secrets = dict(settings), dict(secrets)
    examples = {s.name: s.example for s in spec.settings}
    whole_url = {m.group(1) for text in (spec.url, spec.test_url) if (m := PLACEHOLDER_RE.fullmatch(text.strip()))}
    stood_in: list[str] = []
    for name in settings_needed(spec):
        if not str(settings.get(name, "")).strip():
            example = examples.get(name, "")
            settings[name] = example or ("https://endpoint.example/" if name in whole_url else name)
            stood_in.append(name)
    for name in secrets_needed(spec):
        if not str(secrets.get(name, "")).strip():
            secrets[name] = f"stand-in-{name}"
            stood_in.append(name)
    return settings, secrets, stood_in


def build_preview(spec: ParserSpec, lead: dict[str, Any], settings: dict[str, str], secrets: dict[str, str],
                  test: bool = False) -> PreviewResult:
    """Validate `spec` and render `lead` (masked); never raises. Empty required fields are shown empty and
    listed, so the request keeps its shape while the lead is incomplete."""
    problems = validate(spec)
    settings, secrets, stood_in = stand_in_values(spec, settings, secrets)
    shown = preview(spec, lead, settings, secrets, test=test)
    if shown.missing_fields:
        names = ", ".join(shown.missing_fields)
        problems.append(Problem("lead", f"required {names} {'is' if len(shown.missing_fields) == 1 else 'are'} "
                                        "empty for this lead, so it would not be sent"))
    if shown.missing_settings:
        problems.append(Problem("settings", f"{', '.join(shown.missing_settings)} empty"))
    for name in stood_in:
        problems.append(Problem("settings", f"{name} is not filled in: the request shows a stand-in; fill it "
                                            "(or pick a lander that has it) before sending", "error",
                                section="settings"))
    if shown.error and not any(", transform" in p.where for p in problems):
        problems.append(Problem("request", shown.error.removeprefix("Cannot build the request: ").rstrip(".")))
    return PreviewResult(shown.request, problems, stood_in, shown.complete)


def pretty_body(request: OutgoingRequest) -> str:
    """The body for reading: JSON indented, XML indented, form fields one per line (decoded)."""
    text = request.body_text()
    if not text:
        return ""
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type or text[:1] in "{[":
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    if "xml" in content_type or text.startswith("<?xml"):
        from xml.dom import minidom

        try:
            return minidom.parseString(request.body).toprettyxml(indent="  ").split("\n", 1)[1].rstrip()
        except Exception:  # malformed XML is shown as it is
            return text
    if "x-www-form-urlencoded" in content_type:
        return "\n".join(f"{k} = {v}" for k, v in parse_qsl(text, keep_blank_values=True))
    return text


def request_text(request: OutgoingRequest) -> str:
    """Method and URL, the headers, a blank line and the pretty body; query fields listed under the URL."""
    lines = [f"{request.method} {request.url}"]
    query = urlsplit(request.url).query
    if query:
        lines += [f"    ?{k} = {v}" for k, v in parse_qsl(query, keep_blank_values=True)]
    lines += [f"{k}: {v}" for k, v in request.headers.items()]
    body = pretty_body(request)
    if body:
        lines += ["", body]
    return "\n".join(lines)


def suggest_rule(status: int | None, body: str, outcome: str) -> ResponseRule:
    """A response rule matching an answer that came back, deciding `outcome`.

    JSON bodies match on a flag-like key (success, result, status, outcome...) and take the id and
    message keys as remote id and reason; XML on its first status-like element; other bodies on the
    exact status and the first words of the text.
    """
    rule = ResponseRule(outcome=outcome, status=str(status) if status else "")
    stripped = body.strip()
    document = None
    if stripped[:1] in "{[":
        try:
            document = json.loads(stripped)
        except ValueError:
            document = None
    if isinstance(document, dict):
        keys = {k.lower(): k for k in document}
        for flag in ("success", "result", "status", "outcome", "response", "accepted"):
            key = keys.get(flag)
            if key is not None and not isinstance(document[key], (dict, list)):
                value = document[key]
                rule.json_path = f"$.{key}"
                rule.equals = json.dumps(value) if value is None or isinstance(value, bool) else str(value)
                break
        for id_key in ("lead_id", "leadid", "id", "opportunityid", "intakeid", "record_id", "recordid"):
            key = keys.get(id_key)
            if key is not None and not isinstance(document[key], (dict, list)):
                rule.remote_id = Extract("json_path", f"$.{key}")
                break
        for reason_key in ("message", "msg", "reason", "error", "errors", "detail"):
            key = keys.get(reason_key)
            if key is not None:
                rule.reason = Extract("json_path", f"$.{key}")
                break
        return rule
    if stripped.startswith("<") and not stripped.lower().startswith(("<!doctype html", "<html")):
        match = re.search(r"<(Response|status|result|responseCode|Status|Result)>([^<]{1,60})<", stripped)
        if match:
            rule.xpath = f".//{match.group(1)}"
            rule.equals = match.group(2).strip()
        return rule
    first = stripped.splitlines()[0][:40] if stripped else ""
    words = re.match(r"[A-Za-z]+(?:[ |:_-][A-Za-z]+)?", first)
    if words:
        rule.body_regex = "^\\s*" + re.escape(words.group(0))
    return rule


class PreviewPane(QWidget):
    """Sample lead picker, the request preview, problems, and the Send test area."""

    lead_changed = Signal()
    test_toggled = Signal(bool)
    problem_activated = Signal(object)  # the Problem: its section and row say where it is

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._lead: dict[str, Any] = sample_lead()
        self._lead_error = ""

        self.lead_combo = QComboBox()
        for label, _factory in SAMPLE_LEADS:
            self.lead_combo.addItem(label)
        self.lead_combo.addItem("Edited lead")
        self.lead_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lead_combo.setMinimumContentsLength(6)
        self.edit_lead_button = QPushButton("Edit lead…")
        self.edit_lead_button.setCheckable(True)
        self.lander_combo = QComboBox()
        self.lander_combo.setToolTip("Preview and test with the settings saved for this lander (its endpoint, its "
                                     "ids); values typed under Auth & settings go over them.")
        self.lander_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lander_combo.setMinimumContentsLength(6)
        self.lander_combo.addItem("Only the values typed under Auth & settings", None)
        self.as_test_box = QCheckBox("As a test post")
        self.as_test_box.setToolTip("Show the request as Send test makes it (test field, test URL or TEST label)")
        top = QHBoxLayout()
        top.addWidget(QLabel("Lead"))
        top.addWidget(self.lead_combo, 1)
        top.addWidget(self.edit_lead_button)
        lander_row = QHBoxLayout()
        lander_row.addWidget(QLabel("Lander"))
        lander_row.addWidget(self.lander_combo, 1)

        self.lead_edit = QPlainTextEdit()
        self.lead_edit.setFont(mono)
        self.lead_edit.setPlaceholderText('{"first_name": "Jane", ...}')
        self.lead_edit.setMaximumHeight(180)
        self.lead_edit.hide()

        self.request_view = QPlainTextEdit()
        self.request_view.setReadOnly(True)
        self.request_view.setFont(mono)
        self.request_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.request_view.setObjectName("request-preview")
        self.request_summary = QLabel()
        self.request_summary.setProperty("role", "hint")

        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("problems")
        self.problems_title = QLabel("Problems")
        self.problems_title.setStyleSheet("font-weight: 600;")

        self.send_button = QPushButton("Send test")
        self.send_button.setToolTip("Post the lead to the real endpoint (the test URL or test switch when set)")
        self.send_state = QLabel()
        self.send_state.setProperty("role", "hint")
        self.add_rule_button = QToolButton()
        self.add_rule_button.setText("Add a rule…")
        self.add_rule_button.setToolTip("Add a response rule that matches this answer")
        self.add_rule_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_rule_menu = QMenu(self.add_rule_button)
        self.add_rule_button.setMenu(self.add_rule_menu)
        self.add_rule_button.hide()
        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer_view = QPlainTextEdit()
        self.answer_view.setReadOnly(True)
        self.answer_view.setFont(mono)
        self.answer_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.answer_view.setPlaceholderText("The answer of a test post shows here.")
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.send_state, 1)
        send_row.addWidget(self.add_rule_button)

        request_page = QWidget()
        request_layout = QVBoxLayout(request_page)
        request_layout.setContentsMargins(0, 4, 0, 0)
        request_layout.addWidget(self.request_view, 1)
        below = QHBoxLayout()
        below.addWidget(self.request_summary, 1)
        below.addWidget(self.as_test_box)
        request_layout.addLayout(below)
        self.request_summary.setWordWrap(True)
        answer_page = QWidget()
        answer_layout = QVBoxLayout(answer_page)
        answer_layout.setContentsMargins(0, 4, 0, 0)
        answer_layout.addLayout(send_row)
        answer_layout.addWidget(self.outcome_label)
        answer_layout.addWidget(self.answer_view, 1)
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.views.addTab(request_page, "Request")
        self.views.addTab(answer_page, "Test post")

        problems_box = QFrame()
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.problems_title)
        problems_layout.addWidget(self.problems, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("parsers-preview-splitter")
        self.splitter.addWidget(self.views)
        self.splitter.addWidget(problems_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 160])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        title = QLabel("Preview")
        title.setStyleSheet("font-weight: 600; font-size: 14px;")
        layout.addWidget(title)
        layout.addLayout(lander_row)
        layout.addLayout(top)
        layout.addWidget(self.lead_edit)
        layout.addWidget(self.splitter, 1)

        self.lead_combo.currentIndexChanged.connect(self._pick_lead)
        self.edit_lead_button.toggled.connect(self._toggle_lead_edit)
        self.lead_edit.textChanged.connect(self._lead_typed)
        self.as_test_box.toggled.connect(self.test_toggled)
        self.problems.itemActivated.connect(
            lambda item: self.problem_activated.emit(item.data(Qt.ItemDataRole.UserRole)))

    # --- the lander whose saved values are used

    def set_landers(self, landers: list[tuple[int, str]]) -> None:
        """The landers wired to the parser shown; the first is chosen (its saved values are the default)."""
        self.lander_combo.blockSignals(True)
        while self.lander_combo.count() > 1:
            self.lander_combo.removeItem(1)
        for lander_id, text in landers:
            self.lander_combo.addItem(text, lander_id)
        self.lander_combo.setCurrentIndex(1 if landers else 0)
        self.lander_combo.blockSignals(False)

    def lander_id(self) -> int | None:
        """The lander whose saved values the preview uses, or None."""
        return self.lander_combo.currentData()

    # --- the lead

    def lead(self) -> dict[str, Any]:
        """The lead the preview renders (the last valid one when the typed JSON is broken)."""
        return self._lead

    def set_lead(self, lead: dict[str, Any]) -> None:
        """Use an edited lead (tests, and the JSON box)."""
        self._lead = dict(lead)
        self._lead_error = ""
        self.lead_combo.blockSignals(True)
        self.lead_combo.setCurrentIndex(self.lead_combo.count() - 1)
        self.lead_combo.blockSignals(False)
        self.lead_changed.emit()

    def _pick_lead(self, index: int) -> None:
        if 0 <= index < len(SAMPLE_LEADS):
            self._lead = SAMPLE_LEADS[index][1]()
            self._lead_error = ""
            if self.lead_edit.isVisible():
                self._show_lead_json()
            self.lead_changed.emit()

    def _toggle_lead_edit(self, on: bool) -> None:
        self.lead_edit.setVisible(on)
        if on:
            self._show_lead_json()

    def _show_lead_json(self) -> None:
        self.lead_edit.blockSignals(True)
        self.lead_edit.setPlainText(json.dumps(self._lead, indent=2, ensure_ascii=False))
        self.lead_edit.blockSignals(False)

    def _lead_typed(self) -> None:
        try:
            lead = json.loads(self.lead_edit.toPlainText())
        except ValueError as exc:
            self._lead_error = f"the lead is not valid JSON ({exc}); the preview uses the last valid lead"
        else:
            if isinstance(lead, dict):
                self._lead = lead
                self._lead_error = ""
                self.lead_combo.blockSignals(True)
                self.lead_combo.setCurrentIndex(self.lead_combo.count() - 1)
                self.lead_combo.blockSignals(False)
            else:
                self._lead_error = "the lead must be a JSON object of field: value"
        self.lead_changed.emit()

    def as_test(self) -> bool:
        """Whether the preview shows the test-post form of the request."""
        return self.as_test_box.isChecked()

    # --- showing a preview

    def show_preview(self, result: PreviewResult) -> None:
        """Show a rendered request (or why there is none) and the problems."""
        if result.request is not None:
            text = request_text(result.request)
            if text != self.request_view.toPlainText():
                bar = self.request_view.verticalScrollBar().value()
                self.request_view.setPlainText(text)
                self.request_view.verticalScrollBar().setValue(bar)  # keep the reader's place while typing
            content_type = next((v for k, v in result.request.headers.items() if k.lower() == "content-type"),
                                "no body")
            self.request_summary.setText(
                ("Incomplete, would not be sent: see the problems · " if not result.complete else "")
                + f"{len(result.request.body)} bytes · {content_type} · secrets shown as ••••")
        else:
            self.request_view.setPlainText("No request can be built yet: see the problems below.")
            self.request_summary.setText("")
        self.problems.clear()
        problems = list(result.problems)
        if self._lead_error:
            problems.insert(0, Problem("lead", self._lead_error))
        for problem in problems:
            item = QListWidgetItem(("✖ " if problem.severity == "error" else "⚠ ") + str(problem))
            item.setForeground(problem_colour(self.palette()) if problem.severity == "error"
                               else warning_colour(self.palette()))
            item.setData(Qt.ItemDataRole.UserRole, problem)
            item.setToolTip("Double-click to go there")
            self.problems.addItem(item)
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        if not problems:
            self.problems_title.setText("No problems")
        else:
            parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
            parts += [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
            self.problems_title.setText("Problems: " + ", ".join(parts))

    def problem_texts(self) -> list[str]:
        """The problem lines as shown."""
        return [self.problems.item(i).text() for i in range(self.problems.count())]

    # --- the answer of a test post

    def show_sending(self, url: str) -> None:
        """Say a test post is on its way."""
        self.views.setCurrentIndex(1)
        self.send_button.setEnabled(False)
        self.send_state.setText(f"Sending to {urlsplit(url).hostname or url}…")
        self.add_rule_button.hide()

    def show_attempt(self, attempt) -> None:
        """Show status, latency, headers, body and the outcome of a posting Attempt."""
        self.views.setCurrentIndex(1)
        self.send_button.setEnabled(True)
        outcome = attempt.outcome
        status = f"HTTP {attempt.status}" if attempt.status is not None else "No answer"
        self.send_state.setText(f"{status} · {attempt.elapsed * 1000:.0f} ms")
        style = OUTCOME_STYLE.get(outcome.kind, "")
        muted = muted_colour(self.palette()).name()
        self.outcome_label.setText(
            f'<span style="{style} padding: 2px 8px; border-radius: 8px;">&nbsp;{OUTCOME_LABELS.get(outcome.kind, outcome.kind)}'
            f"&nbsp;</span>&nbsp; {html.escape(_outcome_details(outcome))}"
            + (f"<br><span style='color:{muted}'>decided by response rule {outcome.rule}</span>" if outcome.rule else
               f"<br><span style='color:{muted}'>decided by the default reading (no rule matched)</span>"))
        lines = [attempt.error] if attempt.error else []
        lines += [f"{k}: {v}" for k, v in attempt.headers.items()]
        body = attempt.body_excerpt
        if body:
            try:
                body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
            except ValueError:
                pass
            lines += ["", body + ("\n… (cut: the answer was longer)" if attempt.truncated else "")]
        self.answer_view.setPlainText("\n".join(lines))
        self.add_rule_button.setVisible(attempt.status is not None)

    def show_send_problem(self, message: str) -> None:
        """Say why no test post was made."""
        self.views.setCurrentIndex(1)
        self.send_button.setEnabled(True)
        self.send_state.setText("Not sent.")
        self.outcome_label.setText(html.escape(message))
        self.answer_view.clear()
        self.add_rule_button.hide()


def _outcome_details(outcome) -> str:
    parts = [f"remote id {outcome.remote_id}"] if outcome.remote_id else []
    if outcome.reason:
        parts.append(outcome.reason)
    if outcome.retryable:
        parts.append("would be retried" + (f" in {outcome.retry_after:g} s" if outcome.retry_after is not None else ""))
    return " · ".join(parts)

