"""`python -m ui.screenshot --out DIR`: renders every page of the main window to PNG files, offscreen, and the
integration dialog's Delivery rules tab (delivery-rules.png; `--pages delivery-rules` for it alone).

    --size 960x780      the window size (default 1280x780, the size the window opens at)
    --dark              a dark palette, as on a dark desktop
    --all-sets          three sets in sub-folders: 1280x780/, 960x780/ and dark-1280x780/

Uses a throwaway data dir with demo data unless --data-dir is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

SETS = (("1280x780", (1280, 780), False), ("960x780", (960, 780), False), ("dark-1280x780", (1280, 780), True))


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def render(app, ctx, out: Path, size: tuple[int, int], pages: list[str] | None) -> list[Path]:
    """Open a window at `size` on the context, show each page and save it; returns the files written."""
    from PySide6.QtCore import QEventLoop, QThreadPool

    from ui.app import create_window
    from ui.main_window import PAGES

    window = create_window(ctx, app)
    window.resize(*size)
    window.show()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, *_rest in PAGES:
        if pages and key not in pages:
            continue
        window.show_page(key)
        for _ in range(20):  # let background loads land
            QThreadPool.globalInstance().waitForDone(2000)
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        path = out / f"{key}.png"
        window.grab().save(str(path))
        written.append(path)
        print(path)
    if not pages or "delivery-rules" in pages:
        written += _delivery_rules_dialog(window, out, app)
    window.shutdown()
    window.close()
    window.deleteLater()
    return written


def _delivery_rules_dialog(window, out: Path, app) -> list[Path]:
    """The integration dialog's Delivery rules tab for the first lander with an integration."""
    from ui.dialogs.integration_dialog import IntegrationDialog, load_state
    from xsc_desktop.models import Integration

    integration = Integration.select().order_by(Integration.id).first()
    if integration is None:
        return []
    dialog = IntegrationDialog(load_state(integration.lander_id), window)
    dialog.tabs.setCurrentWidget(dialog.rules_tab)
    dialog.resize(700, 780)
    dialog.show()
    app.processEvents()
    path = out / "delivery-rules.png"
    dialog.grab().save(str(path))
    dialog.close()
    print(path)
    return [path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--data-dir")
    parser.add_argument("--pages", nargs="*", help="page keys (default: all)")
    parser.add_argument("--size", default="1280x780", help="window size WIDTHxHEIGHT")
    parser.add_argument("--dark", action="store_true", help="render with a dark palette")
    parser.add_argument("--all-sets", action="store_true", help="1280x780, 960x780 and a dark set, in sub-folders")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ui.app import open_context
    from ui.theme import apply_theme, dark_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    light = app.palette()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="xsc-shot-")
    ctx = open_context(data_dir, None)
    sets = SETS if args.all_sets else (("", _size(args.size), args.dark),)
    for folder, size, dark in sets:
        app.setPalette(dark_palette() if dark else light)
        apply_theme(app)
        render(app, ctx, Path(args.out) / folder if folder else Path(args.out), size, args.pages)
    app.setPalette(light)
    apply_theme(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
