"""The main window: navigation column, pages (built when first shown), menus, status bar and file drops."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from resources import resource_path
from ui.bridge import EventBridge
from ui.notifications import DailyCapNotices, NotificationCenter
from ui.widgets import themed_icon
from xsc_desktop import APP_NAME

if TYPE_CHECKING:
    from xsc_desktop.context import Context

log = logging.getLogger(__name__)

# (key, navigation label), in the navigation's order; `MainWindow._build_page` builds each page.
PAGES: tuple[tuple[str, str], ...] = (
    ("landers", "Landers"),
    ("clients", "Clients"),
    ("queue", "Queue"),
    ("parsers", "Parsers"),
    ("leads", "Leads"),
    ("spreadsheets", "Spreadsheets"),
    ("outbox", "Outbox"),
    ("activity", "Activity"),
    ("settings", "Settings"),
)


def _page_about(title: str) -> str | None:
    """The page a notification without its own page is about, from its title's words."""
    words = title.lower()
    for needle, page in (("lead", "leads"), ("deliver", "leads"), ("integration", "queue"), ("queue", "queue"),
                         ("confirmation", "outbox"), ("e-mail", "outbox"), ("report", "spreadsheets"),
                         ("client", "clients"), ("lander", "landers"), ("posting doc", "landers")):
        if needle in words:
            return page
    return None


def follow_desktop_keys(page: QWidget) -> None:
    """Tab leaves every table and list of a page (arrow keys move inside); Return opens the selected row where
    the page says what opening is (`open_selected`)."""
    from PySide6.QtWidgets import QAbstractItemView

    from ui.widgets import table_keys

    for view in page.findChildren(QAbstractItemView):
        view.setTabKeyNavigation(False)
    opener = getattr(page, "open_selected", None)
    table = getattr(page, "table", None)
    if opener is not None and table is not None:
        table_keys(table, opener)


class MainWindow(QMainWindow):
    """The one window; `pages` maps a key to its page once built."""

    page_changed = Signal(str)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = EventBridge(self)
        self.notifications = NotificationCenter(parent=self)
        self.cap_notices = DailyCapNotices(self.notifications)
        self.pages: dict[str, QWidget] = {}
        self.lander_actions: list = []  # extra context-menu actions on a lander (added by features)
        self.drop_handlers: list[Callable[[list[Path], int | None], bool]] = []
        self.quit_requested: Callable[[], None] | None = None
        # Asked before the window closes without a tray (e.g. "jobs are running: stop them?"); False keeps it open.
        self.close_guard: Callable[[], bool] | None = None
        self.tray = None
        self.tray_menu: QMenu | None = None  # the tray icon's menu, when the desktop has a tray
        self.tray_quit_separator: QAction | None = None
        self.stops: list[Callable[[], None]] = []  # what `shutdown` stops, in order (the scheduler, ...)
        self.scheduler = None  # the scheduler and its GUI side (ui.scheduling), once the features started
        self.scheduler_control = None
        self.posting_doc_intake = None  # ui.posting_docs.PostingDocIntake, once the features started
        self.import_posting_doc_action: QAction | None = None  # File menu entries of the posting docs
        self.posting_docs_action: QAction | None = None
        self.setWindowTitle(f"{APP_NAME} — {ctx.data_dir}")
        self.setWindowIcon(QIcon(str(resource_path("icons", "xsc-desktop.svg"))))
        self.setAcceptDrops(True)
        self.resize(1280, 780)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(160)
        self.navigation.setIconSize(QSize(18, 18))
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        for key, label in PAGES:
            item = QListWidgetItem(label)
            if resource_path("icons", "nav", f"{key}.svg").exists():
                item.setIcon(themed_icon("icons", "nav", f"{key}.svg", palette=self.palette()))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.navigation.addItem(item)
            self.stack.addWidget(QWidget())  # replaced by the page when first shown
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.scheduler_label = QLabel("")
        self.scheduler_label.setProperty("role", "hint")
        self.bell = QToolButton()
        self.bell.setAutoRaise(True)
        self.bell.setText("Notifications")
        self.bell.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.bell_menu = QMenu(self.bell)
        self.bell.setMenu(self.bell_menu)
        self.bell_menu.aboutToShow.connect(self._fill_bell_menu)
        self.statusBar().addPermanentWidget(self.scheduler_label)
        self.statusBar().addPermanentWidget(self.bell)
        self.notifications.added.connect(self._notification_added)
        self.bridge.event.connect(self._on_event)

        self._build_menus()
        self._settings = QSettings(str(ctx.data_dir / "window.ini"), QSettings.Format.IniFormat)
        self._restore_layout()

    def start(self) -> None:
        """Build and show the first page (after the database is open); until then the navigation is inert."""
        self.navigation.currentRowChanged.connect(self._show_page_at)
        row = max(self.navigation.currentRow(), 0)
        self.navigation.setCurrentRow(row)
        self._show_page_at(row)

    # --- pages

    def page(self, key: str) -> QWidget:
        """The page for `key`, built on first use."""
        if key in self.pages:
            return self.pages[key]
        index = next(i for i, p in enumerate(PAGES) if p[0] == key)
        widget = self._build_page(key)
        old = self.stack.widget(index)
        self.stack.insertWidget(index, widget)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.pages[key] = widget
        follow_desktop_keys(widget)
        self._restore_splitters(widget)
        if hasattr(widget, "reload"):
            widget.reload()
        return widget

    def _build_page(self, key: str) -> QWidget:
        """A new page widget; each page's module is imported here on first use, so the shell paints before them."""
        if key == "landers":
            from ui.pages.landers_page import LandersPage

            return LandersPage(self)
        if key == "clients":
            from ui.pages.clients_page import ClientsPage

            return ClientsPage(self)
        if key == "queue":
            from ui.pages.queue_page import QueuePage

            return QueuePage(self)
        if key == "parsers":
            from ui.pages.parsers_page import ParsersPage

            return ParsersPage(self)
        if key == "leads":
            from ui.pages.leads_page import LeadsPage

            return LeadsPage(self)
        if key == "spreadsheets":
            from ui.pages.spreadsheets_page import SpreadsheetsPage

            return SpreadsheetsPage(self)
        if key == "outbox":
            from ui.pages.outbox_page import OutboxPage

            return OutboxPage(self)
        if key == "activity":
            from ui.pages.activity_page import ActivityPage

            return ActivityPage(self)
        if key == "settings":
            from ui.pages.settings_page import SettingsPage

            return SettingsPage(self)
        raise KeyError(key)

    def show_page(self, key: str) -> QWidget:
        """Switch to a page (building it when needed)."""
        index = next(i for i, p in enumerate(PAGES) if p[0] == key)
        self.navigation.setCurrentRow(index)
        return self.pages[key]

    def _show_page_at(self, row: int) -> None:
        if row < 0:
            return
        key = PAGES[row][0]
        page = self.page(key)
        self.stack.setCurrentWidget(page)
        self.page_changed.emit(key)

    def current_page_key(self) -> str:
        """The key of the page on screen."""
        return PAGES[self.navigation.currentRow()][0]

    # --- menus

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_landers_action = file_menu.addAction("Import &landers CSV…", self._import_landers)
        self.import_landers_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.file_menu = file_menu
        self.file_menu_separator = file_menu.addSeparator()
        open_data = file_menu.addAction("Open data folder", lambda: self.open_path(self.ctx.data_dir))
        open_data.setShortcut(QKeySequence("Ctrl+Shift+D"))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self._quit)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        self.edit_menu = self.menuBar().addMenu("&Edit")
        add = self.edit_menu.addAction("&Add lander…", lambda: self.page("landers").add_lander())
        add.setShortcut(QKeySequence.StandardKey.New)
        edit = self.edit_menu.addAction("&Edit lander…", lambda: self.page("landers").edit_selected())
        edit.setShortcut(QKeySequence("Ctrl+E"))
        refresh = self.edit_menu.addAction("&Refresh", self._refresh_current)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)

        view = self.menuBar().addMenu("&View")
        for n, (key, label) in enumerate(PAGES, start=1):
            action = view.addAction(label, lambda k=key: self.show_page(k))
            action.setShortcut(QKeySequence(f"Ctrl+{n}"))
        self.view_menu = view

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Open &log folder", lambda: self.open_path(self.ctx.data_dir / "logs"))
        help_menu.addAction("&About XSC Desktop", self._about)

    def _import_landers(self) -> None:
        self.show_page("landers")
        self.pages["landers"].choose_import_file()

    def _refresh_current(self) -> None:
        page = self.pages.get(self.current_page_key())
        if page is not None and hasattr(page, "reload"):
            page.reload()

    def _about(self) -> None:
        from xsc_desktop import __version__

        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b> {__version__}<br>Landers, parsers, the integration queue, leads "
                          f"and spreadsheet reports in one place.<br><br>Data folder: {self.ctx.data_dir}")

    def open_path(self, path: Path) -> None:
        """Open a file or folder with the desktop's default program."""
        path.mkdir(parents=True, exist_ok=True) if not path.suffix else None
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _quit(self) -> None:
        if self.quit_requested is not None:
            self.quit_requested()
        else:
            self.close()

    def shutdown(self) -> None:
        """Stop what the features started (the scheduler waits for its running job), then the event bridge."""
        for stop in self.stops:
            try:
                stop()
            except Exception:
                log.exception("A component failed to stop")
        self.bridge.close()

    # --- status bar and notifications

    def status_message(self, text: str, msecs: int = 5000) -> None:
        """A short message in the status bar."""
        self.statusBar().showMessage(text, msecs)

    def show_report(self, title: str, summary: str, details: str) -> None:
        """A message with a summary and copyable details (import problems and the like)."""
        box = QMessageBox(QMessageBox.Icon.Information, title, summary, QMessageBox.StandardButton.Ok, self)
        box.setDetailedText(details)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()

    def _notification_added(self, item) -> None:
        self.bell.setText(f"Notifications ({self.notifications.unread})")
        self.status_message(f"{item.title}: {item.message}", 8000)

    def _fill_bell_menu(self) -> None:
        self.bell_menu.clear()
        if not self.notifications.items:
            self.bell_menu.addAction("No notifications yet.").setEnabled(False)
        for item in self.notifications.items[:20]:
            action = self.bell_menu.addAction(f"{item.at:%H:%M}  {item.title}: {item.message}")
            page = item.page or _page_about(item.title)
            if page is not None:
                action.triggered.connect(lambda _checked=False, p=page: self.show_page(p))
            if item.action is not None:  # e.g. "Send it again" under an interrupted e-mail
                offer = self.bell_menu.addAction(f"        {item.action[0]}")
                offer.triggered.connect(lambda _checked=False, it=item: it.act())
        self.notifications.mark_read()
        QTimer.singleShot(0, lambda: self.bell.setText("Notifications"))

    def _on_event(self, topic: str, payload: dict) -> None:
        if topic == "notify":
            action = None
            if payload.get("resend_emails"):
                ids = list(payload["resend_emails"])
                action = ("Send it again", lambda: self.resend_emails(ids))
            self.notifications.notify(payload.get("title", APP_NAME), payload.get("message", ""),
                                      payload.get("level", "info"), action=action)
        elif topic == "integration.capped":
            self.cap_notices.capped(payload)

    def resend_emails(self, email_ids: list[int]) -> None:
        """Send interrupted e-mails again in the background (a notification's one click); the outcome in the
        status bar."""
        from ui.widgets import show_error
        from ui.workers import run_task
        from xsc_desktop import mail

        run_task(lambda: mail.resend_interrupted_now(email_ids),
                 lambda summary: self.status_message(f"Sent again: {summary.line()}.", 8000),
                 lambda exc: show_error(self, "Send again", exc))

    # --- drops: files dropped anywhere are routed by what they are

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        lander_id = None
        page = self.pages.get(self.current_page_key())
        if self.current_page_key() == "landers" and page is not None:
            viewport = page.table.viewport()
            row = page.lander_at(viewport.mapFrom(self, event.position().toPoint()))
            lander_id = row.id if row else None
        self.handle_files(paths, lander_id)

    def handle_files(self, paths: list[Path], lander_id: int | None = None) -> None:
        """Route dropped or opened files: feature handlers first, then lander CSVs to the landers import."""
        for handler in self.drop_handlers:
            if handler(paths, lander_id):
                return
        from xsc_desktop.lander_import import looks_like_landers_csv

        rest = []
        for path in paths:
            if looks_like_landers_csv(path):
                self.page("landers").import_csv(path)
            else:
                rest.append(path)
        if rest:
            names = ", ".join(p.name for p in rest)
            self.status_message(f"Nothing here takes {names} yet; drop a landers CSV on the board.", 8000)

    # --- layout memory

    def _restore_layout(self) -> None:
        geometry = self._settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._restore_splitters(self)

    def _restore_splitters(self, widget: QWidget) -> None:
        splitters = widget.findChildren(QSplitter)
        if isinstance(widget, QSplitter):
            splitters.append(widget)
        for splitter in splitters:
            state = self._settings.value(f"splitter/{splitter.objectName()}")
            if isinstance(state, QByteArray) and splitter.objectName():
                splitter.restoreState(state)

    def save_layout(self) -> None:
        """Remember window geometry and every named splitter."""
        self._settings.setValue("geometry", self.saveGeometry())
        for splitter in self.findChildren(QSplitter):
            if splitter.objectName():
                self._settings.setValue(f"splitter/{splitter.objectName()}", splitter.saveState())
        self._settings.sync()

    def closeEvent(self, event) -> None:
        self.save_layout()
        from xsc_desktop import settings

        tray = getattr(self, "tray", None)
        if tray is not None and tray.isVisible() and settings.get("ui.close_to_tray"):
            # Keep the scheduler running in the tray; Quit in the tray menu or File menu really quits.
            event.ignore()
            self.hide()
            self.notifications.notify(APP_NAME, "Still running in the tray; scheduled jobs go on.")
            return
        if self.close_guard is not None and not self.close_guard():
            event.ignore()
            return
        super().closeEvent(event)
