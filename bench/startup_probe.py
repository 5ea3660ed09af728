"""Start XSC Desktop as `xsc-desktop --data-dir DIR` does, print when its window first painted and when the Landers
board painted its rows, then quit. The app carries no probe: this script instruments `ui.app` from outside and then
calls the command line's own entry point.

    python bench/startup_probe.py --data-dir DIR

Prints one line: "PAINTED <epoch s> BOARD <epoch s> rows=<n> rss_mb=<MB>".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

import ui.app as ui_app
from xsc_desktop import cli


class FirstPaintClock(QObject):
    """Remembers when the window's navigation column first painted (the window shell on screen)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.painted_at: float | None = None
        window.navigation.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.painted_at is None and event.type() == QEvent.Type.Paint:
            self.painted_at = time.time()
            watched.removeEventFilter(self)
        return False


class BoardPaintProbe(QObject):
    """Prints the first paint and the board's paint with its rows, then quits."""

    def __init__(self, window, app: QApplication, first_paint: FirstPaintClock) -> None:
        super().__init__(window)
        self.window, self.app, self.first_paint = window, app, first_paint
        self.loaded = False
        board = window.page("landers")
        board.loaded.connect(self._loaded)
        board.table.viewport().installEventFilter(self)
        board.empty_label.installEventFilter(self)

    def _loaded(self, _count: int) -> None:
        self.loaded = True
        # Be the first filter to see the board's paint, so the report is queued before the deferred features
        # (whose imports would otherwise be counted as the board's paint).
        viewport = self.window.page("landers").table.viewport()
        viewport.removeEventFilter(self)
        viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.loaded and event.type() == QEvent.Type.Paint:
            self.loaded = False
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        with open("/proc/self/status") as status:
            rss_kb = next((int(line.split()[1]) for line in status if line.startswith("VmRSS")), 0)
        rows = self.window.page("landers").model.rowCount()
        print(f"PAINTED {self.first_paint.painted_at:.6f} BOARD {time.time():.6f} rows={rows} "
              f"rss_mb={rss_kb / 1024:.1f}", flush=True)
        self.app.quit()


class ProbedWindow(ui_app.MainWindow):
    """The app's window with a clock on its first paint."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_paint_clock = FirstPaintClock(self)


_finish_start = ui_app.finish_start


def finish_start_probed(window, app, **kwargs) -> None:
    """The app's own finish_start, then the board probe (where the window has its board)."""
    _finish_start(window, app, **kwargs)
    window.board_probe = BoardPaintProbe(window, app, window.first_paint_clock)


if __name__ == "__main__":
    ui_app.MainWindow = ProbedWindow
    ui_app.finish_start = finish_start_probed
    sys.exit(cli.main(sys.argv[1:]))
