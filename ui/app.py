"""Starting the window: display check, one instance per data dir, crash dialog, tray, demo data on first start."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon

from resources import resource_path
from ui.main_window import MainWindow
from ui.theme import apply_theme
from xsc_desktop import APP_ID, APP_NAME
from xsc_desktop.context import Context
from xsc_desktop.errors import UserError

log = logging.getLogger(__name__)

NO_DISPLAY = ("No display found: run `xvfb-run -a .venv/bin/xsc-desktop` for a virtual screen, or set "
              "QT_QPA_PLATFORM=offscreen to run the app without showing a window.")

def has_display() -> bool:
    """Whether Qt can show a window here (or was told to run offscreen)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def instance_name(data_dir: Path) -> str:
    """The local-socket name that makes one running app per data dir."""
    digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    return f"{APP_ID}-{digest}"


class SingleInstance(QObject):
    """Owns the local socket of a data dir; a second launch asks the first to come forward and exits."""

    raise_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None

    def another_is_running(self) -> bool:
        """Ask a running instance to show its window; True when one answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(300):
            return False
        socket.write(b"raise\n")
        socket.waitForBytesWritten(300)
        socket.disconnectFromServer()
        return True

    def listen(self) -> None:
        """Become the instance others talk to (clearing a socket left by a crash)."""
        QLocalServer.removeServer(self.name)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connected)
        if not self.server.listen(self.name):
            log.warning("Single-instance socket could not listen: %s", self.server.errorString())

    def _connected(self) -> None:
        while self.server and self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            connection.readyRead.connect(lambda c=connection: self._read(c))

    def _read(self, connection: QLocalSocket) -> None:
        if bytes(connection.readAll().data()).strip() == b"raise":
            self.raise_requested.emit()
        connection.disconnectFromServer()


class CrashReporter(QObject):
    """Shows unexpected exceptions from any thread in a dialog with a copyable report and the log path."""

    crashed = Signal(str)
    fault = Signal(str)  # a known fault of the machine (a locked or damaged database, a full disk): its sentence

    def __init__(self, log_path: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self.crashed.connect(self._show)
        self.fault.connect(self._show_fault)
        self._showing = False
        self.box: QMessageBox | None = None  # the dialog on screen

    def install(self) -> None:
        """Take over sys.excepthook and threading.excepthook."""
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value, args.exc_traceback)

    def _hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        from xsc_desktop.faults import user_error

        known = user_error(exc) if exc is not None else None
        if known is not None:
            log.warning("%s", known)
            self.fault.emit(str(known))
            return
        report = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("Unexpected error:\n%s", report)
        self.crashed.emit(report)

    def _show_fault(self, sentence: str) -> None:
        if self._showing:
            return
        self._showing = True
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, sentence)
        box.finished.connect(lambda _r: setattr(self, "_showing", False))
        box.open()

    def _show(self, report: str) -> None:
        if self._showing:
            return  # one dialog at a time: a burst of the same error must not pile up boxes
        self._showing = True
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME} hit an unexpected error",
                          "Something went wrong that the app did not expect. Your data is safe; the app keeps running. "
                          f"Please send the report below to the developers.\n\nLog file: {self.log_path or 'not open yet'}",
                          QMessageBox.StandardButton.Close, parent)
        box.setDetailedText(report)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copy = box.addButton("Copy report", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()  # an action button would close the box; copying keeps it open
        copy.clicked.connect(lambda: QApplication.clipboard().setText(report))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._closed)
        self.box = box  # without a reference the box is collected at once and never shows
        box.open()

    def _closed(self, _result: int) -> None:
        self._showing = False
        self.box = None


def build_tray(window: MainWindow, app: QApplication) -> QSystemTrayIcon | None:
    """The tray icon with its menu, when the desktop has a tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(window.windowIcon(), app)
    tray.setToolTip(APP_NAME)
    menu = QMenu()
    menu.addAction("Open XSC Desktop", lambda: bring_forward(window))
    window.tray_menu = menu
    window.tray_quit_separator = menu.addSeparator()  # feature entries go above it
    menu.addAction("Quit", window._quit)
    tray.setContextMenu(menu)
    tray.activated.connect(lambda reason: bring_forward(window)
                           if reason == QSystemTrayIcon.ActivationReason.Trigger else None)
    tray.show()
    return tray


def bring_forward(window: MainWindow) -> None:
    """Show, un-minimise and raise the window."""
    window.show()
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.raise_()
    window.activateWindow()


def open_context(data_dir: str | None, database_url: str | None) -> Context:
    """Resolve the data dir, open the database (migrating it) and seed demo data into an empty one."""
    ctx = Context.create(data_dir, database_url)
    open_database(ctx)
    return ctx


def open_database(ctx: Context) -> None:
    """Open the context's database, seeding demo data on the very first start."""
    ctx.open_database()
    from xsc_desktop import demo

    if not os.environ.get("XSC_NO_DEMO") and demo.is_empty():
        demo.seed(data_dir=ctx.data_dir)


def create_window(ctx: Context, app: QApplication) -> MainWindow:
    """The main window on an open database, with its tray, start-up hooks and first page; not yet shown."""
    window = MainWindow(ctx)
    finish_start(window, app)
    return window


def start_features(window: MainWindow) -> None:
    """The features that join the window after its first paint, in plain order: their File menu entries, drop
    handlers (asked in this order), lander context-menu actions, and the scheduler. Their modules are imported here,
    not at the top of this module, so the window shell paints before they load."""
    from ui import posting_docs, scheduling, team
    from ui.dialogs.integration_dialog import IntegrationAction
    from ui.pages import leads_page
    from ui.pages.spreadsheets_page import GenerateReportAction

    leads_page.install(window)  # File > Import leads…, and dropped lead files
    window.lander_actions.append(GenerateReportAction(window))
    posting_docs.install(window)  # File > Import posting doc… / Posting docs…, dropped posting docs
    window.stops.append(scheduling.start_with_window(window))  # the scheduler and its tray entries
    window.lander_actions.append(IntegrationAction(window))
    team.install(window)  # the database in the status bar, the unreachable banner, other operators' changes live


def finish_start(window: MainWindow, app: QApplication, *, features_later: bool = False) -> None:
    """Everything after the first paint: the tray and the first page, then the features (`start_features`). With
    `features_later` the features wait until the board has shown its rows, so their imports do not hold the board
    back."""
    tray = build_tray(window, app)
    window.notifications.tray = tray
    window.tray = tray
    started = False

    def start_once() -> None:
        nonlocal started
        if not started:
            started = True
            start_features(window)

    window.start()
    if not features_later:
        start_once()
        return
    board = window.pages.get("landers")
    if board is not None and hasattr(board, "loaded"):
        # After the board has painted its rows (an empty board has nothing to paint: the fallback below).
        board.loaded.connect(lambda _n: FirstPaint(board.table.viewport(), start_once))
    QTimer.singleShot(1000, start_once)  # also when the board could not load


def run(data_dir: str | None = None, database_url: str | None = None) -> int:
    """Open XSC Desktop; returns the process exit code."""
    if not has_display():
        print(f"xsc-desktop: {NO_DISPLAY}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("XSocialCampaigns")
    app.setWindowIcon(QIcon(str(resource_path("icons", "xsc-desktop.svg"))))
    apply_theme(app)  # colours from the desktop's palette, light or dark
    try:
        ctx = Context.create(data_dir, database_url)
    except UserError as exc:
        print(f"xsc-desktop: {exc}", file=sys.stderr)
        return 1
    instance = SingleInstance(instance_name(ctx.data_dir))
    if instance.another_is_running():
        print(f"{APP_NAME} is already running on {ctx.data_dir}; its window was brought forward.")
        return 0
    instance.listen()
    reporter = CrashReporter(None)
    reporter.install()
    # Paint the window first; the database, tray, scheduler and the board follow on the next turn of the loop.
    window = MainWindow(ctx)
    instance.raise_requested.connect(lambda: bring_forward(window))
    window.quit_requested = app.quit
    failed: list[str] = []

    def continue_start() -> None:
        try:
            open_database(ctx)
        except UserError as exc:
            failed.append(str(exc))
            QMessageBox.critical(window, APP_NAME, str(exc))
            app.exit(1)
            return
        reporter.log_path = ctx.log_path
        finish_start(window, app, features_later=True)
        app.setQuitOnLastWindowClosed(window.tray is None)
        app.aboutToQuit.connect(window.save_layout)
        app.aboutToQuit.connect(window.shutdown)

    FirstPaint(window.navigation.viewport(), continue_start)
    window.show()
    code = app.exec()
    if failed:
        print(f"xsc-desktop: {failed[0]}", file=sys.stderr)
    return code


class FirstPaint(QObject):
    """Calls `then` once, right after the watched widget's first paint."""

    def __init__(self, widget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self.then = then
        self.painted = False
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.then)
        return False
