"""The window in team mode: which database it is on (status bar), a banner while the server cannot be reached, and
the live board (other operators' changes arrive through `xsc_desktop.live` as ordinary events on the bridge).

On SQLite the status bar names the file and nothing else changes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from xsc_desktop import events, live, storage

BANNER_TEXT = "The database server cannot be reached — retrying…"


def database_label(url: str, connection: events.Connection) -> tuple[str, str]:
    """The status bar's words for the database (engine, where, whether connected) and its tooltip; never a
    password."""
    if storage.engine_of(url) == storage.SQLITE:
        path = storage.sqlite_path(url)
        return f"SQLite · {path.name if path else 'in memory'}", f"One operator's database file: {path or url}"
    params = storage.postgres_params(url)
    host = params.get("host", "localhost")
    shown = f"{host}:{params.get('port', 5432)}/{params['dbname']}"
    state = "connected" if connection.connected else "not connected"
    tip = f"The team's shared database {storage.mask_url(url)}"
    if not connection.connected and connection.detail:
        tip += f"\n{connection.detail}"
    return f"PostgreSQL · {shown} · {state}", tip


class TeamStatus:
    """The database label in the status bar and the unreachable banner above the pages, kept up to date from the
    "database.connection" event; the live board's listener started and stopped with the window."""

    def __init__(self, window) -> None:  # the main window
        self.window = window
        self.url = window.ctx.database_url
        self.label = QLabel("")
        self.label.setObjectName("databaseLabel")
        self.label.setProperty("role", "hint")
        window.statusBar().insertPermanentWidget(0, self.label)
        self.banner = QFrame()
        self.banner.setObjectName("databaseBanner")
        self.banner.setProperty("role", "problem")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_text = QLabel(BANNER_TEXT)
        self.banner_text.setWordWrap(True)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.banner_text, 1)
        self.banner.hide()
        self._put_banner_above_pages()
        window.bridge.event.connect(self._on_event)
        self.listener = live.start(self.url)
        window.stops.append(self.stop)
        self.show(events.connection())

    def _put_banner_above_pages(self) -> None:
        pages = self.window.takeCentralWidget()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(pages, 1)
        self.window.setCentralWidget(holder)

    def _on_event(self, topic: str, _payload: dict) -> None:
        if topic == events.CONNECTION:
            self.show(events.connection())

    def show(self, connection: events.Connection) -> None:
        """Show the database and its state; the banner while the server cannot be reached."""
        text, tip = database_label(self.url, connection)
        self.label.setText(text)
        self.label.setToolTip(tip)
        self.banner.setVisible(not connection.connected)
        self.banner_text.setToolTip(connection.detail)

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None


def install(window) -> TeamStatus:  # the main window
    """Add the database label, the banner and the live board to the window."""
    window.team = TeamStatus(window)
    return window.team
