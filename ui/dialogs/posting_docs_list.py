"""Lists of stored posting docs: the Posting docs window (File > Posting docs…) and the lander pane's list.

Both read `intake.review.docs_overview` on a worker, refresh on `posting_doc.changed`, and open a doc's
review on double-click (an unreadable doc shows its one sentence instead).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.posting_doc_models import STATE_COLOURS, STATE_ROLE, PostingDocsModel
from ui.widgets import ChipDelegate, hint, page_title
from ui.workers import run_task


def open_summary(doc) -> bool:  # a DocRow
    """Open a posting summary (the PDF sent to the client) in the system's viewer; False for any other doc."""
    if doc.state != "summary":
        return False
    from xsc_desktop.intake.store import local_path

    path = local_path(doc.id)  # on a shared database, also a summary another operator's copy made
    if path:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(path))
    return True


def _docs_table(model: PostingDocsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(28)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setItemDelegateForColumn(PostingDocsModel.STATE_COLUMN, ChipDelegate(STATE_ROLE, STATE_COLOURS, view))
    return view


class PostingDocsDialog(QDialog):
    """Every stored posting doc: original name, received time, format, client / lander and state."""

    def __init__(self, window, intake, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.intake = intake
        self.setWindowTitle("Posting docs")
        self.setObjectName("postingDocsList")
        self.model = PostingDocsModel(self)
        self.table = _docs_table(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 130), (2, 70), (3, 260), (4, 170)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.count_label = hint("")
        self.open_button = QPushButton("Open review")
        self.open_button.clicked.connect(lambda: self.open_row(self.table.currentIndex().row()))
        import_button = QPushButton("Import posting doc…")
        import_button.clicked.connect(lambda: intake.choose_files())
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(import_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Posting docs"))
        layout.addWidget(hint("Every posting doc received, newest first. Double-click one to review it and apply it "
                              "to its lander; drop files on the window to add more."))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(960, 520)
        window.bridge.event.connect(self._on_event)

    def reload(self) -> None:
        """Read the docs on a worker."""
        from xsc_desktop.intake.review import docs_overview

        run_task(docs_overview, self._loaded)

    def _loaded(self, rows) -> None:
        self.model.set_rows(rows)
        unreadable = sum(1 for r in rows if r.state == "unreadable")
        self.count_label.setText(f"{len(rows)} posting doc{'s' if len(rows) != 1 else ''}"
                                 + (f", {unreadable} unreadable" if unreadable else ""))
        self.open_button.setEnabled(bool(rows))

    def open_row(self, row: int) -> None:
        """Open the review of the doc on a row."""
        doc = self.model.row_at(row)
        if doc is not None and not open_summary(doc):
            self.intake.open_stored(doc.id)

    def _on_event(self, topic: str, _payload: dict) -> None:
        if topic == "posting_doc.changed" and self.isVisible():
            self.reload()


class LanderPostingDocs(QWidget):
    """The selected lander's posting docs on the board's detail pane; double-click opens the review."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PostingDocsModel(self, compact=True)
        self.table = _docs_table(self.model)
        self.table.setObjectName("landerPostingDocs")
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The pane is narrow and about one lander: the doc's name and its state say enough (the rest in tooltips
        # and in File > Posting docs…).
        for column in (1, 2, 3):
            self.table.hideColumn(column)
        self.table.horizontalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setMaximumHeight(4 * 26 + 4)
        self.table.setToolTip("Double-click a posting doc to review it")
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.empty = hint("No posting doc yet — drop one on this lander's row.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Posting docs")
        title.setStyleSheet("padding-top: 6px;")
        layout.addWidget(title)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        self.lander_id: int | None = None
        self.table.hide()

    def show_lander(self, lander_id: int | None) -> None:
        """Show the docs of one lander (read on a worker)."""
        from xsc_desktop.intake.review import docs_overview

        self.lander_id = lander_id
        if lander_id is None:
            self.model.set_rows([])
            self.table.hide()
            self.empty.show()
            return
        run_task(lambda: docs_overview(lander_id), lambda rows, i=lander_id: self._loaded(i, rows))

    def _loaded(self, lander_id: int, rows) -> None:
        if lander_id != self.lander_id:
            return  # another lander was selected meanwhile
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)

    def refresh(self) -> None:
        """Read the current lander's docs again."""
        self.show_lander(self.lander_id)

    def open_row(self, row: int) -> None:
        """Open the review of the doc on a row, through the window's intake."""
        from ui.posting_docs import intake_of

        doc = self.model.row_at(row)
        intake = intake_of(self.window())
        if doc is not None and not open_summary(doc) and intake is not None:
            intake.open_stored(doc.id)
