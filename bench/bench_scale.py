"""Scale benchmarks: the Leads page over millions of leads, the Landers board over 100,000 landers, XLSX reports
and start-up with the board's rows painted — every figure beside its bare baseline measured in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_scale.py [--leads 5000000] [--landers 100000]
        [--report-leads 100000] [--only build,page,board,report,startup] [--data-dir DIR]

The big databases are built once (bulk `executemany` in one transaction per batch, indexes rebuilt after the
fill) and cached under the data dir (default: $XSC_BENCH_DIR or <tmp>/xsc-bench-scale); later runs reuse them.
Building 5,000,000 leads takes a few minutes on two shared cores.
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
os.environ.setdefault("XSC_NO_DEMO", "1")

FIRST = ["Ana", "Liam", "Omar", "Zoë", "Renée", "José", "Aisha", "Tuan", "Chris", "Mary-Kate"]
LAST = ["Lopez", "Müller", "Haddad", "García", "O'Brien", "Park", "Smith", "Nguyen", "Okafor", "Kowalski"]
LEAD_STATES = ["delivered"] * 8 + ["new", "failed", "rejected", "uncertain", "retry", "held"]
LANDER_STATUSES = ["in_production", "ready", "queued", "integrated", "confirmed", "needs_info", "failed", "paused",
                   "archived"]


def table(title: str, rows: list[tuple], header: tuple) -> None:
    """Print a plain table."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=False)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)))
    sys.stdout.flush()


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """This process's peak resident memory, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_dir(folder: Path):
    """Open (and migrate) the database of a data dir as the app does."""
    from xsc_desktop import db
    from xsc_desktop.context import Context

    db.close()
    ctx = Context.create(str(folder))
    ctx.open_database()
    return ctx


# ---- building the databases once -------------------------------------------------------------------------------
def _bulk(table_name: str, rows_sql: str, make_rows, total: int, batch: int = 50_000) -> None:
    """Insert `total` rows made by `make_rows(start, stop)` with executemany, one transaction per batch, with the
    table's secondary indexes dropped during the fill and built again after it (a sorted build is far quicker)."""
    from xsc_desktop.models import database

    indexes = database.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                   "AND sql IS NOT NULL", (table_name,)).fetchall()
    for name, _sql in indexes:
        database.execute_sql(f'DROP INDEX "{name}"')
    began = time.perf_counter()
    for start in range(0, total, batch):
        params = make_rows(start, min(total, start + batch))
        with database.atomic():
            database.cursor().executemany(rows_sql, params)
        if (start // batch) % 10 == 0:
            done = min(total, start + batch)
            print(f"  {table_name}: {done:,} of {total:,} rows, {time.perf_counter() - began:.0f} s", flush=True)
    for _name, sql in indexes:
        database.execute_sql(sql)
    print(f"  {table_name}: {len(indexes)} indexes built, {time.perf_counter() - began:.0f} s in all", flush=True)


def build_leads_db(folder: Path, total: int, landers: int = 200, clients: int = 20) -> None:
    """A data dir holding `total` leads over `landers` landers of `clients` clients, received over two years in id
    order; reused when it already holds them."""
    from xsc_desktop.leads import INSERT_COLUMNS
    from xsc_desktop.models import database

    open_dir(folder)
    have = database.execute_sql('SELECT MAX(id) FROM "lead"').fetchone()[0] or 0
    if have >= total:
        return
    if have:
        raise SystemExit(f"{folder} holds {have:,} leads, fewer than {total:,}; delete it or pick another --data-dir")
    print(f"building {total:,} leads in {folder} (once)", flush=True)
    with database.atomic():
        cur = database.cursor()
        cur.executemany("INSERT INTO client (name, contacts, is_new, notes, created_at) VALUES (?, '[]', 0, '', "
                        "'2025-01-01 00:00:00')", [(f"Scale Client {i}",) for i in range(clients)])
        cur.executemany("INSERT INTO campaign (client_id, name, case_type) VALUES (?, ?, '')",
                        [(1 + i % clients, f"Campaign {i}") for i in range(landers)])
        cur.executemany("INSERT INTO lander (campaign_id, name, url, status, flags, flag_note, missing_info, "
                        "created_at, updated_at) VALUES (?, ?, ?, 'integrated', '', '', '[]', '2025-01-01 00:00:00', "
                        "'2025-01-01 00:00:00')",
                        [(1 + i, f"Scale lander {i}", f"https://scale{i}.example/") for i in range(landers)])
    index = {name: i for i, name in enumerate(INSERT_COLUMNS)}
    columns = ", ".join(INSERT_COLUMNS)
    sql = f'INSERT INTO "lead" ({columns}) VALUES ({", ".join("?" for _ in INSERT_COLUMNS)})'
    seconds = 2 * 365 * 86400

    def make(start: int, stop: int) -> list[tuple]:
        from datetime import datetime, timedelta

        rng = random.Random(start)
        base = datetime(2025, 1, 1)
        out = []
        for n in range(start, stop):
            row = [None] * len(INSERT_COLUMNS)
            # Lander sizes follow a long tail: a few big landers, many small ones.
            row[index["lander_id"]] = 1 + int(landers * rng.random() ** 2)
            row[index["external_id"]] = f"S{n}"
            row[index["received_at"]] = (base + timedelta(seconds=n * seconds // total)).isoformat(sep=" ")
            row[index["custom"]] = "{}"
            row[index["is_test"]] = 0
            row[index["problems"]] = ""
            row[index["delivery_state"]] = rng.choice(LEAD_STATES)
            row[index["first_name"]] = rng.choice(FIRST)
            row[index["last_name"]] = rng.choice(LAST) + str(n % 1000)
            row[index["email"]] = f"s{n}@example.com"
            row[index["phone"]] = str(rng.randint(2000000000, 9999999999))
            row[index["state"]] = "TX"
            row[index["zip"]] = f"{rng.randint(0, 99999):05d}" if "zip" in index else None
            out.append(tuple(row))
        return out

    _bulk("lead", sql, make, total)
    database.execute_sql("PRAGMA optimize")


def build_landers_db(folder: Path, landers: int, leads: int = 0) -> None:
    """A data dir holding `landers` landers (and `leads` leads spread over them); reused when present."""
    from xsc_desktop.models import database

    open_dir(folder)
    have = database.execute_sql("SELECT COUNT(*) FROM lander").fetchone()[0]
    if have >= landers:
        return
    print(f"building {landers:,} landers in {folder} (once)", flush=True)
    rng = random.Random(3)
    with database.atomic():
        cur = database.cursor()
        cur.executemany("INSERT INTO client (name, contacts, is_new, notes, created_at) VALUES (?, '[]', ?, '', "
                        "datetime('now'))", [(f"Client {i}", int(i % 17 == 0)) for i in range(200)])
        cur.executemany("INSERT INTO campaign (client_id, name, case_type) VALUES (?, ?, '')",
                        [(1 + i % 200, f"Campaign {i}") for i in range(1000)])
        cur.executemany(
            "INSERT INTO lander (campaign_id, name, url, status, flags, flag_note, missing_info, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, '', '[]', datetime('now'), datetime('now', ?))",
            [(1 + i % 1000, f"Lander {i}", f"https://lp{i}.bench.example/{rng.choice(['auto', 'tort', 'comp'])}",
              rng.choice(LANDER_STATUSES), rng.choice(["", "", "dq", "reroute;dq"]), f"-{i} minutes")
             for i in range(landers)])

    def make(start: int, stop: int) -> list[tuple]:
        return [(1 + i % landers, f"L{i:08d}", f"First{i % 997}", f"Last{i % 1009}", f"user{i}@example.com",
                 f"{2000000000 + i}", "TX", "{}") for i in range(start, stop)]

    if leads:
        _bulk("lead", "INSERT INTO lead (lander_id, external_id, first_name, last_name, email, phone, state, custom, "
              "received_at, is_test, problems, delivery_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, datetime('now'), 0, "
              "'', 'new')", make, leads)
    database.execute_sql("PRAGMA optimize")


# ---- the Leads page over millions of leads ----------------------------------------------------------------------
def bench_page(folder: Path, delivery_index: bool = False) -> list[tuple]:
    """Open, filters and jumps of the Leads page's model and table, each timed to the repainted view."""
    from datetime import datetime

    from PySide6.QtWidgets import QApplication, QTableView

    from ui import workers
    from ui.models.leads_model import LeadsModel
    from xsc_desktop.leads import LeadFilter
    from xsc_desktop.models import database

    said: list[str] = []
    began = time.perf_counter()
    from xsc_desktop import db

    db.close()
    db.connect(db.database_url_for(folder), progress=said.append)
    opened_db = time.perf_counter() - began
    if delivery_index:  # the index the delivery loop's new-lead selection adds in its own migration
        database.execute_sql('CREATE INDEX IF NOT EXISTS "lead_lander_id_delivery_state_id" ON "lead" '
                             '("lander_id", "delivery_state", "id")')
        database.execute_sql("ANALYZE lead")
    total = database.execute_sql('SELECT COUNT(*) FROM "lead"').fetchone()[0]
    big = database.execute_sql('SELECT lander_id, COUNT(*) n FROM "lead" GROUP BY lander_id ORDER BY n DESC '
                               "LIMIT 1").fetchone()[0]
    client = database.execute_sql("SELECT c.client_id FROM lander l JOIN campaign c ON c.id = l.campaign_id "
                                  "WHERE l.id = ?", (big,)).fetchone()[0]
    last_day = database.execute_sql('SELECT MAX(received_at) FROM "lead"').fetchone()[0][:10]
    app = QApplication.instance() or QApplication(sys.argv[:1])
    workers.set_runner(workers.run_inline)  # the work itself, not the thread hop
    memory_before = rss_mb()

    # Bare baseline: the same count and first screen of rows with sqlite3 alone.
    import sqlite3

    bare = sqlite3.connect(folder / "xsc-desktop.sqlite3")
    t0 = time.perf_counter()
    bare.execute('SELECT COUNT(*) FROM "lead"').fetchone()
    bare.execute('SELECT * FROM "lead" ORDER BY id DESC LIMIT 256').fetchall()
    bare_open = time.perf_counter() - t0
    bare.close()

    view = QTableView()
    view.verticalHeader().hide()
    model = LeadsModel()
    view.setModel(model)
    view.resize(1200, 800)
    view.show()
    app.processEvents()

    def wait(condition, timeout: float = 120.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition() and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)

    def filtered(label: str, flt, target: float) -> tuple:
        """Time from the filter's change to its first rows painted, and to its exact count (both off the GUI
        thread, as in the app)."""
        counts: list[int] = []
        resets: list[float] = []
        model.counted.connect(counts.append)
        model.modelReset.connect(lambda: resets.append(time.perf_counter()))
        start = time.perf_counter()
        model.set_filter(flt)
        wait(lambda: bool(resets))
        view.viewport().repaint()
        shown = time.perf_counter() - start
        wait(lambda: bool(counts))
        counted = time.perf_counter() - start
        model.counted.disconnect()
        model.modelReset.disconnect()
        return (label, f"{model.rowCount():,}", f"{shown * 1000:.0f} ms", f"{counted * 1000:.0f} ms",
                f"< {target * 1000:.0f} ms", "ok" if counted < target else "MISSED")

    def scrolled(label: str, fn, target: float) -> tuple:
        start = time.perf_counter()
        fn()
        app.processEvents()
        view.viewport().repaint()
        took = time.perf_counter() - start
        return (label, f"{model.rowCount():,}", f"{took * 1000:.0f} ms", "", f"< {target * 1000:.0f} ms",
                "ok" if took < target else "MISSED")

    workers.set_runner(None)  # real worker threads from here: the GUI thread only paints
    rows = [filtered("open: no filter", LeadFilter(), 0.1),
            ("  bare sqlite3: COUNT(*) + 256 newest rows", "", f"{bare_open * 1000:.0f} ms", "", "", "")]
    day = datetime.fromisoformat(last_day)
    for label, flt in [
        ("filter: delivery state = failed", LeadFilter(state="failed")),
        ("filter: biggest lander", LeadFilter(lander_id=big)),
        ("filter: biggest lander + uncertain", LeadFilter(lander_id=big, state="uncertain")),
        ("filter: its client", LeadFilter(client_id=client)),
        ("filter: its client + failed", LeadFilter(client_id=client, state="failed")),
        ("filter: received on the last day", LeadFilter(since=day)),
        ("filter: received in the last 30 days + held", LeadFilter(since=day.replace(day=1), state="held")),
        ("filter: received in a month a year ago", LeadFilter(since=datetime(day.year - 1, day.month, 1),
                                                              until=datetime(day.year - 1, day.month, 28))),
        ("search: last name 'okafor12'", LeadFilter(text="okafor12")),
        ("search: e-mail 's4242@'", LeadFilter(text="s4242@")),
        ("search: phone '214555'", LeadFilter(text="214555")),
    ]:
        rows.append(filtered(label, flt, 0.15))
    workers.set_runner(workers.run_inline)
    model.set_filter(LeadFilter(), background=False)
    count = model.rowCount()
    rows.append(scrolled("scroll: jump to the end", lambda: view.scrollToBottom(), 0.05))
    rows.append(scrolled("scroll: one screen up from the end (keyset)",
                         lambda: view.scrollTo(model.index(count - 300, 0)), 0.05))
    rows.append(scrolled("scroll: back to the top (cached)", lambda: view.scrollToTop(), 0.05))
    rows.append(scrolled("scroll: jump to the middle (index-only offset)",
                         lambda: view.scrollTo(model.index(count // 2, 0)), 1.0))
    model.set_filter(LeadFilter(lander_id=big), background=False)
    rows.append(scrolled("scroll: biggest lander, jump to the end", lambda: view.scrollToBottom(), 0.05))

    # Qt's own floor on this machine now: a bare QTableView over a model answering "x" for the same row count.
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

    class Bare(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else count

        def columnCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else 9

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            return "x" if role == Qt.ItemDataRole.DisplayRole else None

    bare_view = QTableView()
    bare_view.verticalHeader().hide()
    bare_view.setModel(Bare())
    bare_view.resize(1200, 800)
    bare_view.show()
    app.processEvents()
    start = time.perf_counter()
    bare_view.scrollToBottom()
    app.processEvents()
    bare_view.viewport().repaint()
    rows.append(("  bare QTableView, same row count: jump to the end", f"{count:,}",
                 f"{(time.perf_counter() - start) * 1000:.0f} ms", "", "", ""))
    bare_view.close()
    memory = rss_mb()
    rows.append((f"memory (RSS; {memory_before:.0f} MB before the page)", f"{model.cached_rows():,} rows cached",
                 f"{memory:.0f} MB", "", "< 300 MB", "ok" if memory < 300 else "MISSED"))
    print(f"(opening the database of {total:,} leads took {opened_db:.1f} s"
          + (f"; it migrated: {'; '.join(said)}" if said else "") + ")")
    view.close()
    workers.set_runner(None)
    return rows


# ---- reports ------------------------------------------------------------------------------------------------------
def bench_report(folder: Path, rows: int, rounds: int, with_bare: bool = True) -> list[tuple]:
    """The report writer against a bare openpyxl write-only loop of the same cells, each run in its own process
    (bench/bench_sheets.py's children) so each peak RSS is its own; rounds alternate and the best is kept."""
    from bench import bench_sheets

    data_dir, out_dir = folder / "data", folder / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    marker = folder / "lander.txt"
    if not marker.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"building {rows:,} report leads in {data_dir} (once)", flush=True)
        marker.write_text(str(bench_sheets.prepare(data_dir, rows)))
        from xsc_desktop import db

        db.close()
    lander = int(marker.read_text())
    results: dict[str, list[dict]] = {"bare": [], "report": []}
    for _ in range(rounds):
        for kind in ("bare", "report") if with_bare else ("report",):
            results[kind].append(bench_sheets._child(kind, data_dir, lander, out_dir))
    if not with_bare:
        r = results["report"][0]
        ok = r["seconds"] < 150 and r["max_rss_mb"] < 150
        return [("sheets.run_report, Generic", f"{r['rows']:,}", f"{r['seconds']:.1f} s", f"{r['max_rss_mb']:.0f} MB",
                 "", "ok" if ok else "MISSED")]
    bare = min(results["bare"], key=lambda r: r["seconds"])
    report = min(results["report"], key=lambda r: r["seconds"])
    ratio = report["seconds"] / bare["seconds"]
    peak = max(r["max_rss_mb"] for r in results["report"])
    target_ratio, target_mb = (0.7, 150)
    return [
        (f"bare openpyxl write-only loop (best of {rounds})", f"{bare['rows']:,}", f"{bare['seconds']:.2f} s",
         f"{bare['max_rss_mb']:.0f} MB", "", ""),
        (f"sheets.run_report, Generic (best of {rounds})", f"{report['rows']:,}", f"{report['seconds']:.2f} s",
         f"{peak:.0f} MB", f"{ratio:.2f}x of bare", "ok" if ratio <= target_ratio and peak < target_mb else "MISSED"),
    ]


# ---- start-up: the board painted with its rows, beside bare windows -----------------------------------------------
BARE_EMPTY = r"""
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

# A bare window that reads the same landers (the board's query: lander, campaign, client) from SQLite with sqlite3 and
# paints them in a QTableView over a minimal QAbstractTableModel.
BARE_ROWS = r"""
import sqlite3, sys, time
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
win = QMainWindow(); table = QTableView(); win.setCentralWidget(table); win.resize(1280, 780)
DISPLAY = Qt.ItemDataRole.DisplayRole
class Model(QAbstractTableModel):
    rows = []
    def rowCount(self, parent=QModelIndex()): return 0 if parent.isValid() else len(self.rows)
    def columnCount(self, parent=QModelIndex()): return 0 if parent.isValid() else 8
    def data(self, index, role=DISPLAY):
        return self.rows[index.row()][index.column()] if role == DISPLAY else None
model = Model(); table.setModel(model)
class Probe(QObject):
    loaded = False
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and self.loaded:
            self.loaded = False
            QTimer.singleShot(0, lambda: (print(f"PAINTED {time.time():.6f}", flush=True), app.quit()))
        return False
probe = Probe(); table.viewport().installEventFilter(probe)
def load():
    db = sqlite3.connect(sys.argv[1])
    rows = db.execute("SELECT c.name, m.name, l.name, l.url, l.status, l.flags, l.handed_over_at, l.updated_at "
                      "FROM lander l JOIN campaign m ON m.id = l.campaign_id JOIN client c ON c.id = m.client_id "
                      "ORDER BY l.updated_at DESC, l.id DESC").fetchall()
    model.beginResetModel(); model.rows = rows; model.endResetModel(); probe.loaded = True
QTimer.singleShot(0, load)
win.show(); app.exec()
"""


def _spawn_to_paint(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Seconds from spawn to the first paint and to the board's paint (the app's own report), and its line."""
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180, cwd=REPO)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("PAINTED")), None)
    if line is None:
        raise SystemExit(f"no paint reported by {cmd[:3]}: {out.stderr[-2000:]}")
    parts = line.split()
    board = float(parts[3]) - start if len(parts) > 3 and parts[2] == "BOARD" else float(parts[1]) - start
    return float(parts[1]) - start, board, line


def bench_startup(folder: Path, landers: int, runs: int) -> list[tuple]:
    """Spawn → paint, median of `runs` alternating rounds: bare empty window, bare window painting the landers,
    XSC Desktop (window frame, then the board painted with its rows)."""
    build_landers_db(folder, landers, leads=landers * 20)
    from xsc_desktop import db

    db.close()
    # An installed app runs from compiled bytecode (pip compiles it); this machine sets PYTHONDONTWRITEBYTECODE, which
    # would make every start compile the app's sources again, so compile them once here as an install does.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "xsc_desktop", "ui", "parsers", "resources"], cwd=REPO,
                   check=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XSC_NO_DEMO": "1"}
    database = str(folder / "xsc-desktop.sqlite3")
    empty, bare, frame, board, rss = [], [], [], [], []
    for _ in range(runs):
        empty.append(_spawn_to_paint([sys.executable, "-c", BARE_EMPTY], env)[0])
        bare.append(_spawn_to_paint([sys.executable, "-c", BARE_ROWS, database], env)[0])
        first, filled, line = _spawn_to_paint([sys.executable, str(REPO / "bench" / "startup_probe.py"), "--data-dir", str(folder)],
                                              env)
        frame.append(first)
        board.append(filled)
        rss.append(float(line.split("rss_mb=")[1]))
    med = statistics.median
    board_ratio, frame_ratio = med(board) / med(bare), med(frame) / med(empty)
    return [
        (f"XSC Desktop: board painted with its {landers:,} landers", f"{med(board):.3f} s",
         f"{board_ratio:.2f}x the bare window with rows", "<= 1.5x", "ok" if board_ratio <= 1.5 else "MISSED"),
        (f"  bare PySide6 window loading and painting the same {landers:,} rows with sqlite3", f"{med(bare):.3f} s",
         "", "", ""),
        ("XSC Desktop: window frame painted", f"{med(frame):.3f} s", f"{frame_ratio:.2f}x the bare empty window",
         "<= 1.6x", "ok" if frame_ratio <= 1.6 else "MISSED"),
        ("  bare PySide6 window with an empty QTableView", f"{med(empty):.3f} s", "", "", ""),
        ("XSC Desktop: resident memory when the board painted (max)", f"{max(rss):.0f} MB", "", "", ""),
    ]


# ---- the Landers board over 100,000 landers -----------------------------------------------------------------------
def bench_board(folder: Path, small: Path) -> list[tuple]:
    """Board painted (in-process: load + model + paint) at 10k and at 100k landers, keystrokes, memory."""
    from PySide6.QtWidgets import QApplication

    from ui import workers
    from ui.app import create_window
    from xsc_desktop import db
    from xsc_desktop.context import Context

    app = QApplication.instance() or QApplication(sys.argv[:1])
    workers.set_runner(workers.run_inline)
    out = []
    painted: dict[str, float] = {}
    for label, data_dir in (("10k", small), ("100k", folder)):
        memory_before = rss_mb()
        db.close()
        ctx = Context.create(str(data_dir))
        ctx.open_database()
        start = time.perf_counter()
        window = create_window(ctx, app)
        window.resize(1400, 860)
        window.show()
        app.processEvents()
        board = window.page("landers")
        board.table.viewport().repaint()
        painted[label] = time.perf_counter() - start
        rows = board.model.rowCount()
        if label == "100k":
            times = []
            for text in ["l", "la", "lan", "land", "lande", "lander", "lander 1", "lander 12", "lander 123",
                         "lander 12", "lp4", "lp45", "auto", "tort", "client 1", "client 17 campaign", "", "comp", "x",
                         ""]:
                t0 = time.perf_counter()
                board.search.setText(text)
                board.table.viewport().repaint()
                times.append((time.perf_counter() - t0) * 1000)
            memory = rss_mb()
            # Bare baseline in the same run: a plain list comprehension testing the same words on the same rows.
            texts = [f"{r.client}\n{r.campaign}\n{r.name}\n{r.url}".lower() for r in board.model.all_rows()]
            t0 = time.perf_counter()
            for word in ["la", "lander", "12", "lp45", "auto", "x"]:
                [t for t in texts if word in t]
            bare_ms = (time.perf_counter() - t0) / 6 * 1000
            out.append((f"board painted with {rows:,} landers (window, load, model, paint)",
                        f"{painted['100k'] * 1000:.0f} ms", f"{painted['100k'] / painted['10k']:.2f}x the 10k figure",
                        "< 2x", "ok" if painted["100k"] < 2 * painted["10k"] else "MISSED"))
            out.append(("  the same at 10,000 landers", f"{painted['10k'] * 1000:.0f} ms", "", "", ""))
            median, worst = statistics.median(times), max(times)
            out.append(("search keystroke → repainted board (median / worst of 20)",
                        f"{median:.1f} / {worst:.1f} ms", "", "< 30 ms", "ok" if median < 30 else "MISSED"))
            out.append(("  bare: one list comprehension testing one word on every row's text", f"{bare_ms:.1f} ms",
                        "", "", ""))
            out.append((f"resident memory ({memory_before:.0f} MB before the window)", f"{memory:.0f} MB", "",
                        "< 250 MB", "ok" if memory < 250 else "MISSED"))
        window.shutdown()
        window.hide()  # not close(): closing asks about running jobs in a modal box
        app.processEvents()
    workers.set_runner(None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=5_000_000)
    parser.add_argument("--landers", type=int, default=100_000)
    parser.add_argument("--report-leads", type=int, default=100_000)
    parser.add_argument("--delivery-index", action="store_true",
                        help="add lead (lander_id, delivery_state, id), which the delivery selection's migration adds")
    parser.add_argument("--runs", type=int, default=5, help="start-up runs (median)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds where a bare baseline runs beside")
    parser.add_argument("--only", default="build,page,board,report,startup",
                        help="sections, comma-separated; 'million' adds the 1,000,000-lead report")
    parser.add_argument("--data-dir", default=os.environ.get("XSC_BENCH_DIR")
                        or str(Path(tempfile.gettempdir()) / "xsc-bench-scale"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    only = set(args.only.split(","))
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    if "build" in only:
        t0 = time.perf_counter()
        build_leads_db(data / f"leads-{args.leads}", args.leads)
        print(f"leads database ready in {time.perf_counter() - t0:.0f} s", flush=True)
    if "report" in only:
        table(f"Reports: {args.report_leads:,} leads (target <= 0.7x the bare loop)",
              bench_report(data / f"report-{args.report_leads}", args.report_leads, args.rounds),
              ("writer", "rows", "time", "peak RSS", "ratio", ""))
    if "million" in only:
        table("Reports: 1,000,000 leads (target < 150 s at < 150 MB)",
              bench_report(data / "report-1000000", 1_000_000, 1, with_bare=False),
              ("writer", "rows", "time", "peak RSS", "ratio", ""))
    if "startup" in only:
        table("Start-up, spawn → paint (median of alternating runs)",
              bench_startup(data / "landers-10000", 10_000, args.runs), ("measure", "time", "ratio", "target", ""))
    if "board" in only:
        build_landers_db(data / f"landers-{args.landers}", args.landers)
        build_landers_db(data / "landers-10000", 10_000, leads=200_000)
        table(f"Landers board at {args.landers:,} landers",
              bench_board(data / f"landers-{args.landers}", data / "landers-10000"),
              ("measure", "value", "ratio", "target", ""))
    if "page" in only:
        table(f"Leads page over {args.leads:,} leads", bench_page(data / f"leads-{args.leads}", args.delivery_index),
              ("step", "rows", "rows shown", "count exact", "target", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
