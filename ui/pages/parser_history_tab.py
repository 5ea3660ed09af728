"""The Parsers page's History tab: a parser's saved versions, the difference from the one before, restore."""

from __future__ import annotations

import difflib

from PySide6.QtGui import QColor, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.table_fit import fit_columns
from ui.widgets import (
    hint,
    show_error,
)
from xsc_desktop import parsers_store
from xsc_desktop.errors import UserError


class DiffHighlighter(QSyntaxHighlighter):
    """Colours a unified diff: added lines green, removed lines red, hunk headers grey."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self.formats = {}
        for prefix, colour in (("+", "#0d652d"), ("-", "#a50e0e"), ("@", "#80868b")):
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            self.formats[prefix] = fmt

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("+++", "---")):
            return
        fmt = self.formats.get(text[:1])
        if fmt is not None:
            self.setFormat(0, len(text), fmt)


class HistoryTab:
    """The History tab of `ParsersPage` (built into the page; its widgets are the page's attributes)."""

    def _history_tab(self) -> QWidget:
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_view.verticalHeader().hide()
        self.history_view.verticalHeader().setDefaultSectionSize(26)
        self.history_view.setShowGrid(False)
        self.history_view.setMaximumHeight(170)
        fit_columns(self.history_view, stretch=3)
        self.diff_view = QPlainTextEdit()
        self.diff_view.setReadOnly(True)
        self.diff_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.diff_view.setPlaceholderText("Pick a version to see what changed in it.")
        self._diff_highlighter = DiffHighlighter(self.diff_view.document())
        self.restore_button = QPushButton("Restore this version")
        self.restore_button.setToolTip("Make the picked version current again, saved as a new version")
        self.restore_button.clicked.connect(self.restore_selected)
        self.history_view.selectionModel().selectionChanged.connect(self._history_picked)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(hint("Every save is a version; restoring one saves it again as the newest."))
        layout.addWidget(self.history_view)
        layout.addWidget(self.diff_view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.restore_button)
        layout.addLayout(row)
        return tab

    def _load_history(self) -> None:
        if self._current_name is None or self._current_is_preset:
            self.history_model.set_rows([])
        else:
            try:
                self.history_model.set_rows(parsers_store.history(self._current_name))
            except UserError:
                self.history_model.set_rows([])
        self.diff_view.clear()
        self.restore_button.setEnabled(False)

    def _history_picked(self, *_args) -> None:
        rows = self.history_view.selectionModel().selectedRows()
        entry = self.history_model.entry_at(rows[0].row()) if rows else None
        self.restore_button.setEnabled(entry is not None and rows[0].row() > 0)
        if entry is None:
            self.diff_view.clear()
            return
        older = self.history_model.entry_at(rows[0].row() + 1)
        self.diff_view.setPlainText(version_diff(self._current_name or "", older, entry))

    def restore_selected(self) -> None:
        """Make the picked version current again (saved as a new version)."""
        rows = self.history_view.selectionModel().selectedRows()
        entry = self.history_model.entry_at(rows[0].row()) if rows else None
        if entry is None or self._current_name is None or not self.confirm_leave():
            return
        try:
            summary = parsers_store.restore_version(self._current_name, entry.version)
        except UserError as exc:
            show_error(self, "Restore version", exc)
            return
        self.open_parser(summary.name, False)
        self.app.status_message(f"Restored version {entry.version} of {summary.name} as version {summary.version}.")
        self.reload()


def version_diff(name: str, older, newer) -> str:
    """A unified diff of two versions' pretty JSON (the first version against nothing)."""
    a = older.spec.to_json().splitlines(keepends=True) if older is not None else []
    b = newer.spec.to_json().splitlines(keepends=True)
    label = f"{name} v{older.version}" if older is not None else "(nothing)"
    text = "".join(difflib.unified_diff(a, b, label, f"{name} v{newer.version}"))
    note = f"Version {newer.version}" + (f" — {newer.note}" if newer.note else "") + "\n\n"
    return note + (text or "No change from the version before.")
