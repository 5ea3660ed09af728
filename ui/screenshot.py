"""`python -m ui.screenshot --out DIR`: renders every page of the main window to PNG files, offscreen.

Uses a throwaway data dir with demo data unless --data-dir is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--data-dir")
    parser.add_argument("--pages", nargs="*", help="page keys (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QThreadPool
    from PySide6.QtWidgets import QApplication

    from ui.app import create_window, open_context
    from ui.main_window import PAGES
    from ui.theme import STYLE_SHEET

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE_SHEET)
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="xsc-shot-")
    ctx = open_context(data_dir, None)
    window = create_window(ctx, app)
    window.resize(1400, 860)
    window.show()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for key, *_rest in PAGES:
        if args.pages and key not in args.pages:
            continue
        window.show_page(key)
        for _ in range(20):  # let background loads land
            QThreadPool.globalInstance().waitForDone(2000)
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        path = out / f"{key}.png"
        window.grab().save(str(path))
        print(path)
    window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
