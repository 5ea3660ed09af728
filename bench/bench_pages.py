"""How long each page takes to open the first time (built, loaded, painted), on the demo data, offscreen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_pages.py [--runs 3]

Each run opens a fresh window on a fresh data dir; the figure is the slowest of the runs per page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def one_run() -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QThreadPool
    from PySide6.QtWidgets import QApplication

    from ui.app import create_window, open_context
    from ui.main_window import PAGES
    from ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    ctx = open_context(tempfile.mkdtemp(prefix="xsc-pages-"), None)
    window = create_window(ctx, app)
    window.resize(1280, 780)
    window.show()
    app.processEvents()
    times = {}
    for key, *_ in PAGES:
        started = time.perf_counter()
        window.show_page(key)
        QThreadPool.globalInstance().waitForDone(5000)
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        window.grab()  # painted
        times[key] = (time.perf_counter() - started) * 1000
    window.shutdown()
    window.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    worst: dict[str, float] = {}
    for _ in range(args.runs):
        for key, ms in one_run().items():
            worst[key] = max(worst.get(key, 0.0), ms)
    print("| page | first open (slowest run) | target |")
    print("|---|---|---|")
    for key, ms in worst.items():
        print(f"| {key} | {ms:.0f} ms | ≤ 250 ms |")


if __name__ == "__main__":
    main()
