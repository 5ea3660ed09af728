"""Spreadsheet reports: the report writer against a bare openpyxl write-only loop writing the same cells.

    .venv/bin/python bench/bench_sheets.py [--rows 100000] [--rounds 2] [--million]

Each measurement runs in its own process so its RSS high-water mark (ru_maxrss) is its own. The bare loop
gets every cell value ready in memory before its clock starts (strings as they are, dates as datetime
objects in cells with the same number formats, a bold header), so it times openpyxl alone; the report
writer's time includes the SQL query, the per-value work, the safety checks and the file rename.
Rounds alternate bare/report and the best of each is compared (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("XSC_NO_DEMO", "1")


def _open(data_dir: Path):
    from xsc_desktop.context import Context

    ctx = Context.create(str(data_dir))
    ctx.open_database()
    return ctx


def prepare(data_dir: Path, rows: int) -> int:
    """A data dir with one lander holding `rows` leads; returns the lander id."""
    from tests.helpers import lead_rows
    from xsc_desktop import landers

    _open(data_dir)
    lander = landers.add_lander(client="Bench Law", campaign="Auto", name="Bench Lander", url="https://bench.example/a")
    lead_rows.insert(lead_rows.generate(rows, lander.id, start=datetime(2026, 1, 1)))
    return lander.id


def child_report(data_dir: Path, lander_id: int, out_dir: Path) -> dict:
    """Generate the Generic report for the lander with xsc_desktop.sheets."""
    from xsc_desktop import sheets

    _open(data_dir)
    start = time.perf_counter()
    runs = sheets.run_report(lander_id=lander_id, template=sheets.GENERIC, out_dir=out_dir)
    seconds = time.perf_counter() - start
    run = runs[0]
    if run.state != "done":
        raise SystemExit(f"report failed: {run.error}")
    size = Path(run.file).stat().st_size
    Path(run.file).unlink()
    return {"seconds": seconds, "rows": run.rows, "bytes": size}


def child_bare(data_dir: Path, lander_id: int, out_dir: Path) -> dict:
    """Write the same cells with a plain openpyxl write-only loop, values made ready before timing."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from xsc_desktop import sheets
    from xsc_desktop.models import database

    _open(data_dir)
    spec = sheets.normalise_spec(sheets.get_template(sheets.GENERIC).spec)
    name, client, _ = sheets._lander_facts(lander_id)
    source = sheets.SheetSource(lander_id, name, client, until=datetime(2100, 1, 1))
    columns = sheets.resolve_columns(spec, source)
    kinds, titles, exprs = [], [], []
    for column in columns:
        choice = sheets.describe_column(column["key"])
        kinds.append(choice.kind)
        titles.append(choice.label)
        if choice.key.startswith("custom:"):
            exprs.append(("custom", choice.key[7:]))
        else:
            sql = {"computed:lead_id": "id", "computed:received_at": "received_at",
                   "computed:delivery_state": "delivery_state", "created_at": "captured_at"}.get(choice.key, choice.key)
            exprs.append(("sql", sql))
    sql_cols = [e[1] for e in exprs if e[0] == "sql"]
    cursor = database.execute_sql(
        f"SELECT {', '.join(chr(34) + c + chr(34) for c in sql_cols)}, custom FROM lead WHERE lander_id = ? "
        "ORDER BY received_at, id", [lander_id])
    ready = []
    for raw in cursor:
        custom = json.loads(raw[-1])
        values, i = [], 0
        for (kind, key), col_kind in zip(exprs, kinds, strict=True):
            if kind == "custom":
                values.append(custom.get(key))
                continue
            value = raw[i]
            i += 1
            if col_kind == "datetime" and value:
                value = datetime.fromisoformat(value)
            elif col_kind == "date" and value:
                value = datetime.fromisoformat(value).date()
            values.append(value or None)
        ready.append(values)
    date_formats = {"date": spec["formats"]["date"], "datetime": spec["formats"]["datetime"]}

    start = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Bench Lander")
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in titles:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    dated = [(i, date_formats[k]) for i, k in enumerate(kinds) if k in date_formats]
    for values in ready:
        for i, fmt in dated:
            if values[i] is not None:
                cell = WriteOnlyCell(ws, value=values[i])
                cell.number_format = fmt
                values[i] = cell
        ws.append(values)
    ws.auto_filter.ref = f"A1:A{len(ready) + 1}"
    path = out_dir / "bare.xlsx"
    wb.save(path)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    path.unlink()
    return {"seconds": seconds, "rows": len(ready), "bytes": size}


def _child(kind: str, data_dir: Path, lander_id: int, out_dir: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--data-dir", str(data_dir),
                           "--lander", str(lander_id), "--out", str(out_dir)],
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--million", action="store_true", help="also write 1,000,000 leads (several minutes)")
    parser.add_argument("--child", choices=("report", "bare"))
    parser.add_argument("--data-dir")
    parser.add_argument("--lander", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()

    if args.child:
        fn = child_report if args.child == "report" else child_bare
        result = fn(Path(args.data_dir), args.lander, Path(args.out))
        result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        data_dir, out_dir = base / "data", base / "out"
        data_dir.mkdir()
        out_dir.mkdir()
        t = time.perf_counter()
        lander_id = prepare(data_dir, args.rows)
        print(f"Inserted {args.rows:,} leads in {time.perf_counter() - t:.1f} s", flush=True)
        results: dict[str, list[dict]] = {"bare": [], "report": []}
        for n in range(args.rounds):
            for kind in ("bare", "report"):
                r = _child(kind, data_dir, lander_id, out_dir)
                results[kind].append(r)
                print(f"  round {n + 1} {kind:<6} {r['seconds']:7.2f} s  peak RSS {r['max_rss_mb']:6.0f} MB", flush=True)
        bare = min(results["bare"], key=lambda r: r["seconds"])
        report = min(results["report"], key=lambda r: r["seconds"])
        ratio = report["seconds"] / bare["seconds"]
        print()
        print(f"{'measure':<40}{'rows':>11}{'seconds':>10}{'rows/s':>10}{'peak RSS MB':>13}{'file MB':>9}")
        for label, r in ((f"bare openpyxl write-only loop (best of {args.rounds})", bare),
                         (f"sheets.run_report, Generic (best of {args.rounds})", report)):
            print(f"{label:<40}{r['rows']:>11,}{r['seconds']:>10.2f}{r['rows'] / r['seconds']:>10,.0f}"
                  f"{r['max_rss_mb']:>13.0f}{r['bytes'] / 1e6:>9.1f}")
        peak = max(r["max_rss_mb"] for r in results["report"])
        print(f"\nreport / bare time: {ratio:.2f}x (target <= 1.25x)   report peak RSS: {peak:.0f} MB (target < 200 MB)")

        if args.million:
            big = base / "big"
            big.mkdir()
            t = time.perf_counter()
            big_lander = prepare(big, 1_000_000)
            print(f"\nInserted 1,000,000 leads in {time.perf_counter() - t:.1f} s", flush=True)
            r = _child("report", big, big_lander, out_dir)
            print(f"{'sheets.run_report, Generic, 1M leads':<40}{r['rows']:>11,}{r['seconds']:>10.2f}"
                  f"{r['rows'] / r['seconds']:>10,.0f}{r['max_rss_mb']:>13.0f}{r['bytes'] / 1e6:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
