"""Start-up, board filter and memory with 10,000 landers and 1,000,000 leads, beside a bare PySide6 window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_startup.py [--runs 5] [--leads 1000000]

Start-up is measured from process spawn to the first paint of the Landers board holding its rows; the baseline
is a bare QMainWindow holding one empty QTableView, started the same way (a Python process), in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
win = QMainWindow(); table = QTableView(); win.setCentralWidget(table); win.resize(1280, 780)
class Probe(QObject):
    done = False
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, lambda: (print(f"PAINTED {time.time():.6f}", flush=True), app.quit()))
        return False
probe = Probe(); table.viewport().installEventFilter(probe)
win.show(); app.exec()
"""


def build_database(data_dir: Path, landers: int, leads: int) -> None:
    """Fill a data dir with `landers` landers and `leads` leads (bulk SQL), unless it already holds them."""
    from xsc_desktop import db
    from xsc_desktop.context import Context
    from xsc_desktop.models import Lander, Lead, database

    ctx = Context.create(str(data_dir))
    ctx.open_database()
    if Lander.select().count() >= landers and Lead.select().count() >= leads:
        db.close()
        return
    rng = random.Random(3)
    statuses = ["in_production", "ready", "queued", "integrated", "confirmed", "needs_info", "failed", "paused",
                "archived"]
    with database.atomic():
        cur = database.cursor()
        cur.executemany("insert into client (name, contacts, is_new, notes, created_at) values (?, '[]', ?, '', "
                        "datetime('now'))", [(f"Client {i}", int(i % 17 == 0)) for i in range(200)])
        cur.executemany("insert into campaign (client_id, name, case_type) values (?, ?, '')",
                        [(1 + i % 200, f"Campaign {i}") for i in range(1000)])
        cur.executemany(
            "insert into lander (campaign_id, name, url, status, flags, flag_note, missing_info, created_at, "
            "updated_at) values (?, ?, ?, ?, ?, '', '[]', datetime('now'), datetime('now', ?))",
            [(1 + i % 1000, f"Lander {i}", f"https://lp{i}.bench.example/{rng.choice(['auto', 'tort', 'comp'])}",
              rng.choice(statuses), rng.choice(["", "", "dq", "reroute;dq"]), f"-{i} minutes") for i in range(landers)])
        batch = []
        for i in range(leads):
            batch.append((1 + i % landers, f"L{i:08d}", f"First{i % 997}", f"Last{i % 1009}",
                          f"user{i}@example.com", f"{2000000000 + i}", "TX", "{}"))
            if len(batch) == 50_000:
                cur.executemany("insert into lead (lander_id, external_id, first_name, last_name, email, phone, state, "
                                "custom, received_at, is_test, problems, delivery_state) values (?, ?, ?, ?, ?, ?, ?, "
                                "?, datetime('now'), 0, '', 'new')", batch)
                batch = []
        if batch:
            cur.executemany("insert into lead (lander_id, external_id, first_name, last_name, email, phone, state, "
                            "custom, received_at, is_test, problems, delivery_state) values (?, ?, ?, ?, ?, ?, ?, ?, "
                            "datetime('now'), 0, '', 'new')", batch)
    db.close()


def time_process(cmd: list[str], env: dict) -> tuple[float, str, float]:
    """Seconds from spawn to the first paint, the probe's line, and seconds to the board's paint (if reported)."""
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("PAINTED")), None)
    if line is None:
        raise SystemExit(f"no paint reported: {out.stderr[-2000:]}")
    parts = line.split()
    board = float(parts[3]) - start if len(parts) > 3 and parts[2] == "BOARD" else 0.0
    return float(parts[1]) - start, line, board


def filter_keystrokes(data_dir: Path) -> tuple[float, float, int]:
    """Median and worst time from a search keystroke to the repainted board, in ms."""
    from PySide6.QtWidgets import QApplication

    from ui import workers
    from ui.app import create_window
    from xsc_desktop.context import Context

    app = QApplication.instance() or QApplication(sys.argv[:1])
    workers.set_runner(workers.run_inline)
    ctx = Context.create(str(data_dir))
    ctx.open_database()
    window = create_window(ctx, app)
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    board = window.page("landers")
    rows = board.model.rowCount()
    times = []
    for text in ["l", "la", "lan", "land", "lande", "lander", "lander 1", "lander 12", "lander 123", "lander 12",
                 "lp4", "lp45", "auto", "tort", "client 1", "client 17 campaign", "", "comp", "x", ""]:
        t0 = time.perf_counter()
        board.search.setText(text)
        board.table.viewport().repaint()
        times.append((time.perf_counter() - t0) * 1000)
    window.shutdown()
    return statistics.median(times), max(times), rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--landers", type=int, default=10_000)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "xsc-bench-startup"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    data_dir = Path(args.data_dir)
    t0 = time.perf_counter()
    build_database(data_dir, args.landers, args.leads)
    print(f"database ready in {time.perf_counter() - t0:.1f} s: {args.landers} landers, {args.leads} leads")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XSC_NO_DEMO": "1"}
    bare, app, board, rss = [], [], [], []
    for _ in range(args.runs):
        bare.append(time_process([sys.executable, "-c", BARE], env)[0])
        seconds, line, filled = time_process([sys.executable, str(REPO / "bench" / "startup_probe.py"), "--data-dir", str(data_dir)],
                                             env)
        app.append(seconds)
        board.append(filled)
        rss.append(float(line.split("rss_mb=")[1]))
    median_ms, worst_ms, rows = filter_keystrokes(data_dir)
    bare_s, app_s = statistics.median(bare), statistics.median(app)
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| bare PySide6 window + empty QTableView, spawn → paint (median of {args.runs}) | {bare_s:.3f} s | |")
    board_s = statistics.median(board)
    print(f"| XSC Desktop, spawn → main window painted (median of {args.runs}) | {app_s:.3f} s | |")
    print(f"| ratio app / bare | {app_s / bare_s:.2f}× | ≤ 1.6× |")
    print(f"| XSC Desktop, spawn → board painted with all {rows} landers (median of {args.runs}) | {board_s:.3f} s "
          f"({board_s / bare_s:.2f}×) | |")
    print(f"| board filter keystroke → repainted (median / worst of 20) | {median_ms:.1f} / {worst_ms:.1f} ms "
          f"| < 50 ms |")
    print(f"| resident memory at first paint (max of {args.runs}) | {max(rss):.0f} MB | < 250 MB |")


if __name__ == "__main__":
    main()
