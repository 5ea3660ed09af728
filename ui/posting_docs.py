"""Posting docs in the window: dropped files and File > Import posting doc… go to the intake on a worker, then
to the review dialog; File > Posting docs… lists every stored doc.

Dropped files are routed by what they are: lead exports (the Leads page's handler, which runs first) and
landers CSVs (the board's import) are left alone; what remains and reads as a posting doc by its extension
or its content is taken in here. Several files are read one after another on a worker, with progress in
the status bar; each readable doc opens its review, and unreadable ones are told in one sentence each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ui.workers import run_task

log = logging.getLogger(__name__)

# Files that are posting docs we read, or ones we can at least explain (scans, old Office files).
_EXPLAINED_SUFFIXES = frozenset({".doc", ".xls", ".rtf", ".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff"})
# Content kinds that make a file with an unknown extension a posting doc (plain text alone does not).
_CONTENT_KINDS = frozenset({"pdf", "docx", "xlsx", "eml", "html", "json"})
FILE_FILTER = ("Posting docs (*.pdf *.docx *.odt *.xlsx *.ods *.csv *.html *.htm *.eml *.txt *.md *.json);;All files (*)")


def _posting_doc_suffixes() -> frozenset[str]:
    from xsc_desktop.intake.extract import _EXTENSION_FORMAT

    return frozenset(_EXTENSION_FORMAT) | _EXPLAINED_SUFFIXES


def is_posting_doc(path: Path) -> bool:
    """Whether a dropped file is a posting doc: not a landers CSV, not a lead export, and a posting-doc format by
    extension or, for an unknown extension, by content."""
    from xsc_desktop.lander_import import looks_like_landers_csv
    from xsc_desktop.leads import LEAD_FILE_SUFFIXES, looks_like_lead_file

    path = Path(path)
    if not path.is_file():
        return False
    suffix = path.suffix.lower()
    if looks_like_landers_csv(path):
        return False
    if suffix in LEAD_FILE_SUFFIXES and looks_like_lead_file(path):
        return False
    if suffix in _posting_doc_suffixes():
        return True
    from xsc_desktop.intake.extract import IntakeError, detect_format

    try:
        with path.open("rb") as stream:
            head = stream.read(65536)
        kind = detect_format(head, path.name)
    except IntakeError:
        return True  # a scan, an old Office file, a damaged archive: the intake explains it in one sentence
    except OSError:
        return False
    return kind in _CONTENT_KINDS


@dataclass
class IntakeOutcome:
    """What one run of dropped files gave: the reviews opened and the files that could not be read."""

    reviews: list = field(default_factory=list)  # intake.review.Review of each readable doc
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file name, sentence)


class IntakeRun(QObject):
    """Reads posting docs one after another on a worker; progress goes to the status bar."""

    review_ready = Signal(object)  # a Review, as soon as its file is read
    finished = Signal(object)  # the IntakeOutcome

    def __init__(self, window, paths: list[Path], lander_id: int | None) -> None:
        super().__init__(window)
        self.window = window
        self.paths = list(paths)
        self.lander_id = lander_id
        self.outcome = IntakeOutcome()
        self._next = 0

    def start(self) -> None:
        """Begin with the first file."""
        self._read_next()

    def _read_next(self) -> None:
        if self._next >= len(self.paths):
            self._finish()
            return
        path = self.paths[self._next]
        total = len(self.paths)
        counter = f" ({self._next + 1} of {total})" if total > 1 else ""
        self.window.status_message(f"Reading posting doc {path.name}{counter}…", 0)
        from xsc_desktop.intake.review import read_for_review

        data_dir, lander_id = self.window.ctx.data_dir, self.lander_id
        run_task(lambda: read_for_review(path, data_dir, lander_id=lander_id),
                 self._read, lambda exc, p=path: self._failed(p, exc))

    def _read(self, review) -> None:  # intake.review.Review
        self._next += 1
        if review.error:
            self.outcome.failures.append((review.name, review.error))
        else:
            self.outcome.reviews.append(review)
            self.review_ready.emit(review)
        self._read_next()

    def _failed(self, path: Path, exc: Exception) -> None:
        from xsc_desktop.errors import UserError

        self._next += 1
        if not isinstance(exc, UserError):
            log.error("Reading posting doc %s failed: %r", path.name, exc)
        sentence = str(exc) if isinstance(exc, UserError) else (
            f"{path.name} could not be read because of an unexpected error; the log has the details.")
        self.outcome.failures.append((path.name, sentence))
        self._read_next()

    def _finish(self) -> None:
        read, failed = len(self.outcome.reviews), len(self.outcome.failures)
        if failed and not read:
            text = self.outcome.failures[0][1] if failed == 1 else f"{failed} posting docs could not be read."
        else:
            text = f"{read} posting doc{'s' if read != 1 else ''} read" + (f", {failed} could not be read" if failed
                                                                          else "") + "."
        self.window.status_message(text, 8000)
        self.finished.emit(self.outcome)
        self.deleteLater()


class PostingDocIntake(QObject):
    """The window's posting-doc intake: starts runs, opens reviews, tells about unreadable files."""

    review_opened = Signal(object)  # the PostingDocReviewDialog just shown
    problem_shown = Signal(object)  # the QMessageBox telling about unreadable files

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.dialogs: list = []
        self.waiting: list = []  # reviews of dropped docs not shown yet: one review at a time keeps it calm
        self.list_dialog = None

    def take(self, paths: list[Path], lander_id: int | None = None) -> IntakeRun:
        """Read these posting docs on a worker and open their reviews one after another."""
        run = IntakeRun(self.window, paths, lander_id)
        run.review_ready.connect(lambda review: self._queue_review(review, lander_id))
        run.finished.connect(self._tell_failures)
        run.start()
        return run

    def _queue_review(self, review, lander_id: int | None) -> None:  # a Review
        if lander_id is not None and review.lander_id is None:
            review.lander_id = lander_id
        if self.dialogs:
            self.waiting.append(review)
            self.window.status_message(f"{len(self.waiting)} more posting doc{'s' if len(self.waiting) > 1 else ''} "
                                       "waiting for review.", 8000)
        else:
            self.open_review(review)

    def _next_waiting(self) -> None:
        if self.waiting and not self.dialogs:
            self.open_review(self.waiting.pop(0))

    def open_review(self, review, lander_id: int | None = None):  # a Review
        """Show the review dialog of a read doc (non-modal: the window stays usable beside it)."""
        from ui.dialogs.posting_doc_review import PostingDocReviewDialog

        if lander_id is not None and review.lander_id is None:
            review.lander_id = lander_id
        dialog = PostingDocReviewDialog(review, self.window, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d))
        dialog.show()
        _bring_forward(dialog)
        self.review_opened.emit(dialog)
        return dialog

    def _closed(self, dialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)
        self._next_waiting()

    def open_stored(self, doc_id: int) -> None:
        """Open the review of a stored doc (from a list); an unreadable one is told in its sentence."""
        from xsc_desktop.intake.review import load_review

        def loaded(review) -> None:
            if review.error:
                self._tell_failures(IntakeOutcome(failures=[(review.name, review.error)]))
            else:
                self.open_review(review)

        run_task(lambda: load_review(doc_id), loaded,
                 lambda exc: self._tell_failures(IntakeOutcome(failures=[("", str(exc))])))

    def _tell_failures(self, outcome: IntakeOutcome) -> None:
        if not outcome.failures:
            return
        if len(outcome.failures) == 1:
            text = outcome.failures[0][1]
            details = ""
        else:
            text = f"{len(outcome.failures)} posting docs could not be read; each is stored with its reason."
            details = "\n".join(f"{name}: {sentence}" for name, sentence in outcome.failures)
        box = QMessageBox(QMessageBox.Icon.Warning, "Posting doc not read", text, QMessageBox.StandardButton.Ok,
                          self.window)
        if details:
            box.setDetailedText(details)
        box.setInformativeText("The file is kept in the Posting docs list (File > Posting docs…).")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()
        self.problem_shown.emit(box)

    def choose_files(self, lander_id: int | None = None) -> None:
        """File > Import posting doc…: pick files and take them in (for the given lander, else the one selected on
        the board)."""
        paths, _ = QFileDialog.getOpenFileNames(self.window, "Import posting doc", str(Path.home()), FILE_FILTER)
        if paths:
            self.take([Path(p) for p in paths], lander_id if lander_id is not None else _selected_lander(self.window))

    def show_list(self):
        """File > Posting docs…: the list of every stored doc (one window, brought forward when open)."""
        from ui.dialogs.posting_docs_list import PostingDocsDialog

        if self.list_dialog is None:
            self.list_dialog = PostingDocsDialog(self.window, self)
            self.list_dialog.destroyed.connect(lambda *_a: setattr(self, "list_dialog", None))
        self.list_dialog.show()
        _bring_forward(self.list_dialog)
        self.list_dialog.reload()
        return self.list_dialog


class ImportForLanderAction:
    """The board's context-menu entry: import a posting doc for the lander under the mouse."""

    text = "Import posting doc for this lander…"

    def __init__(self, intake: PostingDocIntake) -> None:
        self.intake = intake

    def run(self, lander_row) -> None:  # a landers.LanderRow
        """Pick the files and take them in for this lander."""
        self.intake.choose_files(lander_row.id)


def _bring_forward(widget) -> None:
    # The offscreen platform (tests, screenshots) has no window stacking and warns about raise().
    if QGuiApplication.platformName() != "offscreen":
        widget.raise_()
        widget.activateWindow()


def _selected_lander(window) -> int | None:
    page = getattr(window, "pages", {}).get("landers")
    row = page.selected_row() if page is not None and hasattr(page, "selected_row") else None
    return row.id if row is not None else None


def intake_of(window) -> PostingDocIntake | None:
    """The window's posting-doc intake (installed at start-up), or None."""
    return window.posting_doc_intake


# ---- start-up: drop handler and File menu entries ----------------------------------------------------------------
def install(window) -> None:
    """Take dropped posting docs and add File > Import posting doc… and File > Posting docs…."""
    intake = PostingDocIntake(window)
    window.posting_doc_intake = intake
    menu = window.file_menu
    if menu is not None:
        before = window.file_menu_separator
        import_action = QAction("Import &posting doc…", window)
        import_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        import_action.triggered.connect(lambda: intake.choose_files())
        list_action = QAction("Posting &docs…", window)
        list_action.triggered.connect(intake.show_list)
        menu.insertAction(before, import_action)
        menu.insertAction(before, list_action)
        window.import_posting_doc_action = import_action
        window.posting_docs_action = list_action

    window.lander_actions.append(ImportForLanderAction(intake))
    rerouting = {"on": False}

    def take_posting_docs(paths: list[Path], lander_id: int | None) -> bool:
        if rerouting["on"]:
            return False
        docs = [p for p in paths if is_posting_doc(p)]
        if not docs:
            return False
        intake.take(docs, lander_id)
        rest = [p for p in paths if p not in docs]
        if rest:
            # A mixed drop: the other files go on to the handlers after this one (lead files, landers CSVs).
            rerouting["on"] = True
            try:
                window.handle_files(rest, lander_id)
            finally:
                rerouting["on"] = False
        return True

    window.drop_handlers.append(take_posting_docs)
    return None
