"""Parsers page: how fast the live preview follows a keystroke (target: within 100 ms).

Types into the endpoint URL field and into a mapping's target of every preset's editable copy, offscreen,
and measures (a) the refresh itself (validate + render + show) and (b) a keystroke to the preview shown,
which includes the 50 ms debounce. Run `.venv/bin/python bench/bench_parsers_preview.py`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XSC_NO_DEMO"] = "1"

KEYS = 40


def main() -> int:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from parsers.presets import PRESET_NAMES
    from ui import workers
    from ui.app import create_window, open_context
    from ui.theme import STYLE_SHEET

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE_SHEET)
    workers.set_runner(workers.run_inline)
    ctx = open_context(tempfile.mkdtemp(prefix="xsc-bench-"), None)
    window = create_window(ctx, app)
    window.resize(1400, 860)
    window.show()
    window.show_page("parsers")
    page = window.pages["parsers"]
    page.ask_unsaved = lambda: "discard"

    def wait_for_preview() -> None:
        loop = QEventLoop()
        page.preview_updated.connect(loop.quit)
        QTimer.singleShot(2000, loop.quit)
        loop.exec()
        page.preview_updated.disconnect(loop.quit)

    print(f"{'preset':<16}{'refresh median ms':>18}{'refresh p95 ms':>16}{'keystroke→preview median ms':>30}"
          f"{'p95 ms':>10}{'max ms':>10}")
    all_end_to_end: list[float] = []
    for name in PRESET_NAMES:
        page.ask_name = lambda *_a, n=name: f"bench {n}"
        page.select_parser(name, is_preset=True)
        page.duplicate_current()
        refresh: list[float] = []
        end_to_end: list[float] = []
        table = page.editor.mappings_model
        for n in range(KEYS):
            if n % 2:
                page.editor.tabs.setCurrentIndex(0)
                target = page.editor.url_edit
                target.setFocus()
                target.end(False)
                started = time.perf_counter()
                QTest.keyClick(target, Qt.Key.Key_A if n % 4 else Qt.Key.Key_Backspace)
            else:
                started = time.perf_counter()
                row = n % max(1, table.rowCount())
                table.setData(table.index(row, table.DEFAULT), f"x{n}", Qt.ItemDataRole.EditRole)
            wait_for_preview()
            end_to_end.append((time.perf_counter() - started) * 1000)
            refresh.append(page.last_preview_ms)
        all_end_to_end += end_to_end
        print(f"{name:<16}{statistics.median(refresh):>18.2f}{_p95(refresh):>16.2f}"
              f"{statistics.median(end_to_end):>30.1f}{_p95(end_to_end):>10.1f}{max(end_to_end):>10.1f}")
    print(f"\nall presets: keystroke→preview median {statistics.median(all_end_to_end):.1f} ms, "
          f"p95 {_p95(all_end_to_end):.1f} ms, max {max(all_end_to_end):.1f} ms "
          f"({len(all_end_to_end)} keystrokes; includes the {page._preview_timer.interval()} ms debounce)")
    window.shutdown()
    workers.set_runner(None)
    return 0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


if __name__ == "__main__":
    sys.exit(main())
