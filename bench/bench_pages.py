"""How long each page takes to open, and the longest the window stops answering while the scheduler's jobs run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_pages.py [--runs 3] [--rounds 3]

1. First open: each run opens a fresh window (1280×780, demo data) and shows every page once (built, loaded,
   painted); the figure is the slowest run per page. Baseline in the same run: a bare QTableView over a
   QStandardItemModel of 100 rows × 8 columns, shown and painted.
2. Jobs running: a fresh window; a plain thread runs every scheduler job by hand (gather, queue run, e-mail,
   delivery, feeds, reports), round after round, while the window switches through every page; a 5 ms QTimer
   records each gap of the GUI event loop. Baseline: the same timer in the same window with nothing running.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XSC_NO_SCHEDULER"] = "1"  # the benchmark runs the jobs itself, all of them, at once


def _window(app):
    from ui.app import create_window, open_context
    from ui.theme import apply_theme

    apply_theme(app)
    ctx = open_context(tempfile.mkdtemp(prefix="xsc-pages-"), None)
    window = create_window(ctx, app)
    window.resize(1280, 780)
    window.show()
    app.processEvents()
    return window


def _close(app, window) -> None:
    from ui.workers import wait_for_tasks

    wait_for_tasks(30000)
    window.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()


def bare_table_ms(app) -> float:
    """A bare PySide6 table of 100 rows shown and painted."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    started = time.perf_counter()
    model = QStandardItemModel(100, 8)
    for row in range(100):
        for column in range(8):
            model.setItem(row, column, QStandardItem(f"cell {row}.{column}"))
    view = QTableView()
    view.setModel(model)
    view.resize(1100, 700)
    view.show()
    app.processEvents()
    view.grab()
    elapsed = (time.perf_counter() - started) * 1000
    view.close()
    view.deleteLater()
    return elapsed


def first_open(app) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QThreadPool

    from ui.main_window import PAGES

    window = _window(app)
    times = {}
    for key, *_ in PAGES:
        started = time.perf_counter()
        window.show_page(key)
        QThreadPool.globalInstance().waitForDone(5000)  # the page's own background load, finished
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        window.grab()  # painted
        times[key] = (time.perf_counter() - started) * 1000
    _close(app, window)
    return times


class GapTimer:
    """A 5 ms QTimer that records how late each tick came (the event loop's stalls)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.spans: list[tuple[float, float]] = []  # (from, to) of each gap
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self.spans.append((self._last, now))
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return self.gaps


def _spin(app, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)  # the benchmark's own loop; the app never sleeps on its GUI thread


def _p99(gaps: list[float]) -> float:
    ordered = sorted(gaps)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else 0.0


def while_jobs_run(app, rounds: int) -> dict:
    """Switch through every page while a thread runs all the scheduler's jobs by hand."""
    from ui.main_window import PAGES

    window = _window(app)
    for key, *_ in PAGES:  # every page built once: this phase measures opening a page again, with jobs running
        window.show_page(key)
        _spin(app, 0.1)
    window.show_page(PAGES[0][0])
    idle = GapTimer()
    idle.start()
    _spin(app, 2.0)
    idle_gaps = idle.stop()

    scheduler = window.scheduler
    names = list(scheduler.jobs)
    runs: list[tuple[str, float]] = []
    stop = threading.Event()

    def work() -> None:
        from xsc_desktop import jobs

        for _ in range(rounds):
            for name in names:
                if stop.is_set():
                    return
                started = time.perf_counter()
                scheduler.run_now(name, wait=60)
                runs.append((name, time.perf_counter() - started))
        jobs.close_thread_connection()

    busy = GapTimer()
    busy.start()
    thread = threading.Thread(target=work, name="bench-jobs")
    thread.start()
    opens: dict[str, list[float]] = {}
    opening: list[tuple[float, float]] = []
    while thread.is_alive():
        for key, *_ in PAGES:
            started = time.perf_counter()
            window.show_page(key)
            app.processEvents()
            ended = time.perf_counter()
            opening.append((started, ended))
            opens.setdefault(key, []).append((ended - started) * 1000)
            _spin(app, 0.25)
            if not thread.is_alive():
                break
    busy_gaps = busy.stop()
    thread.join()
    _close(app, window)
    # A gap that spans a page being opened is that page's open time (its own figure); the rest are the stalls
    # the jobs cause.
    between = [gap for gap, (a, b) in zip(busy_gaps, busy.spans, strict=True)
               if not any(a < end and start < b for start, end in opening)]
    return {"idle_max": max(idle_gaps), "idle_p99": _p99(idle_gaps), "busy_max": max(between),
            "busy_p99": _p99(between), "ticks": len(between), "all_max": max(busy_gaps), "opens": opens,
            "job_runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all jobs in the second part")
    args = parser.parse_args()
    import logging

    from PySide6.QtWidgets import QApplication

    logging.disable(logging.WARNING)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    first: dict[str, float] = {}
    worst: dict[str, float] = {}
    bare = []
    for run in range(max(2, args.runs)):
        bare.append(bare_table_ms(app))
        for key, ms in first_open(app).items():
            if run == 0:
                first[key] = ms
            else:
                worst[key] = max(worst.get(key, 0.0), ms)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("\n| page | first window (its modules loaded on first use) | later windows (slowest) "
          "| later vs a bare 100-row QTableView | target |")
    print("|---|---|---|---|---|")
    base = max(bare[1:])
    for key, ms in worst.items():
        print(f"| {key} | {first[key]:.0f} ms | {ms:.0f} ms | {ms / base:.1f}× ({base:.0f} ms) | ≤ 250 ms |")

    result = while_jobs_run(app, args.rounds)
    jobs_ran = {}
    for name, seconds in result["job_runs"]:
        jobs_ran.setdefault(name, []).append(seconds)
    print("\nJobs run by hand while the pages were switched: "
          + ", ".join(f"{name} ×{len(s)} (slowest {max(s):.2f} s)" for name, s in jobs_ran.items()))
    print("\n| page | opened again while jobs ran (slowest) | target |")
    print("|---|---|---|")
    for key, times in result["opens"].items():
        print(f"| {key} | {max(times):.0f} ms (×{len(times)}) | ≤ 250 ms |")
    print("\n| event loop, 5 ms timer | largest gap | p99 | target |")
    print("|---|---|---|---|")
    print(f"| idle window (baseline) | {result['idle_max']:.1f} ms | {result['idle_p99']:.1f} ms | |")
    print(f"| jobs running, between page opens ({result['ticks']} ticks) | {result['busy_max']:.1f} ms | "
          f"{result['busy_p99']:.1f} ms | < 50 ms |")
    print(f"| jobs running, page opens included | {result['all_max']:.1f} ms | | (the open times above) |")


if __name__ == "__main__":
    main()
