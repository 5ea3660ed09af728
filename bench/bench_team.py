"""Team mode on PostgreSQL, against a private server started here (as the tests start it).

    .venv/bin/python bench/bench_team.py [--only copy,deliver,explain,board] [--leads 50000]
        [--slow-leads 240] [--claim-leads 1000000] [--landers 10000] [--runs 3]

- copy:    `xsc-desktop db copy` of the demo data plus N generated leads from SQLite into PostgreSQL.
- deliver: one `xsc-desktop deliver` daemon, then three on one fresh database, against an endpoint answering in
           200 ms (per-host limit 4 each): leads per second from the endpoint's own count (10 %–90 % of the run,
           so process start is left out), the three against the one measured in the same run. Target ≥ 2.5×.
- explain: the lead-claim queries over 1,000,000 leads: `EXPLAIN (ANALYZE, BUFFERS)` of picking the next new leads
           (index only) and of the claim itself (one row by its key, skipping a locked one).
- board:   spawn → Landers board painted with 10,000 landers: the same board copied to PostgreSQL against SQLite,
           alternating runs, medians. Target ≤ 1.5×.

Needs the PostgreSQL server binaries (`make setup`). The machine's load is printed: read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ENV = {**os.environ, "XSC_NO_DEMO": "1"}


def cli(folder: Path, *args: str, url: str | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**ENV, **({"XSC_DATABASE_URL": url} if url else {})}
    return subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(folder), *args], env=env,
                          capture_output=True, text=True, cwd=REPO, **kw)


def bench_copy(server, leads: int) -> None:
    from tests.helpers import lead_rows
    from xsc_desktop import db
    from xsc_desktop.models import Lander

    folder = Path(tempfile.mkdtemp(prefix="xsc-bench-team-"))
    subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(folder), "demo"], check=True, env=ENV,
                   capture_output=True, cwd=REPO)
    db.connect(f"sqlite:///{folder / 'xsc-desktop.sqlite3'}")
    lead_rows.insert(lead_rows.generate(leads, Lander.select().first().id, start=datetime(2026, 1, 1)))
    db.close()
    url = server.create_database(empty=True)
    started = time.perf_counter()
    result = cli(folder, "db", "copy", "--quiet", "--to", url)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(result.stderr)
    rows = int(result.stdout.split()[1].replace(",", ""))
    print(f"db copy: {rows:,} rows (demo + {leads:,} leads) into PostgreSQL in {seconds:.1f} s "
          f"= {rows / seconds:,.0f} rows/s (process start and schema creation included)", flush=True)


# ---- several daemons against a slow endpoint -------------------------------------------------------------------
def _deliver_rate(server, endpoint, daemons: int, leads: int) -> float:
    """Leads per second of `daemons` `deliver` processes on one fresh database: the daemons start on an empty
    database and report their first (idle) pass, then `leads` new leads arrive; measured on the endpoint's count
    from 10 % to 90 % of them."""
    from tests.helpers import lead_rows
    from tests.helpers.lead_world import wire_lander
    from xsc_desktop import db, settings, storage
    from xsc_desktop.models import database

    url = server.create_database()
    db.connect(url)
    settings.set("delivery.per_host_limit", 4)
    settings.set("delivery.interval_seconds", 1)  # an idle daemon looks again every second
    integration = wire_lander(endpoint.url("/leads"), idempotent=False, with_secret=False)
    endpoint.received.clear()
    procs = []
    try:
        for n in range(daemons):
            folder = Path(tempfile.mkdtemp(prefix=f"xsc-bench-daemon{n}-"))
            procs.append(subprocess.Popen([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(folder),
                                           "deliver"], env={**ENV, "XSC_DATABASE_URL": url}, cwd=REPO,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        for proc in procs:  # each has started and looked once: process start is not measured
            proc.stdout.readline()
        rows = [dict(r, delivery_state="new") for r in lead_rows.generate(leads, integration.lander_id,
                                                                            start=datetime(2026, 11, 2, 9))]
        lead_rows.insert(rows)
        low, high = leads // 10, leads * 9 // 10
        endpoint.wait_for(low, timeout=600)
        t0 = time.perf_counter()
        endpoint.wait_for(high, timeout=600)
        t1 = time.perf_counter()
        endpoint.wait_for(leads, timeout=600)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        db.close()
        storage.close_all(database.obj)
        server.drop_database(url)
    return (high - low) / (t1 - t0)


def bench_deliver(server, leads: int) -> None:
    from tests.helpers.endpoint import RecordingEndpoint, Reply

    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=0.2))
        one = _deliver_rate(server, endpoint, 1, leads)
        three = _deliver_rate(server, endpoint, 3, leads * 3)
    ideal = 4 / 0.2
    print("\nDelivery, endpoint answering in 200 ms, per-host limit 4 per daemon, PostgreSQL (load "
          f"{os.getloadavg()[0]:.1f})", flush=True)
    print(f"  one daemon    {leads:>6,} leads  {one:6.1f} leads/s  ({one / ideal:.0%} of its ideal {ideal:.0f}/s)")
    print(f"  three daemons {leads * 3:>6,} leads  {three:6.1f} leads/s  ({three / (3 * ideal):.0%} of "
          f"{3 * ideal:.0f}/s)")
    ratio = three / one
    print(f"  three / one = {ratio:.2f}x   target >= 2.5x   {'ok' if ratio >= 2.5 else 'MISSED'}", flush=True)


# ---- the claim's query plans over 1,000,000 leads --------------------------------------------------------------
def bench_explain(server, leads: int) -> None:
    from types import SimpleNamespace

    from tests.helpers.lead_world import wire_lander
    from xsc_desktop import db, delivery, storage, workqueue
    from xsc_desktop.models import database

    url = server.create_database()
    db.connect(url)
    integrations = [wire_lander(f"http://127.0.0.1:9/leads{n}", name=f"Lander {n}", with_secret=False)
                    for n in range(20)]
    lander = integrations[0].lander_id
    started = time.perf_counter()
    # Most leads delivered long ago, 1 % new, spread over 20 landers.
    database.execute_sql(
        "INSERT INTO lead (lander_id, external_id, first_name, last_name, email, phone, state, custom, received_at, "
        "is_test, problems, delivery_state) SELECT %s + (g %% 20), 'E' || g, 'Ana', 'Test' || g, "
        "'ana' || g || '@example.com', '214555' || lpad((g %% 10000)::text, 4, '0'), 'TX', '{}', "
        "now() - (g || ' seconds')::interval, false, '', CASE WHEN (g / 20) %% 100 = 0 THEN 'new' ELSE 'delivered' END "
        "FROM generate_series(1, %s) AS g", (lander, leads))
    database.execute_sql("VACUUM (ANALYZE, FREEZE) lead")  # as autovacuum keeps a steady table: its visibility map set
    print(f"\n{leads:,} leads inserted and analysed in {time.perf_counter() - started:.1f} s", flush=True)
    route = SimpleNamespace(lander_id=lander, integration_id=integrations[0].id)
    sql, params = delivery._waiting_query(route, "new", delivery.PASS_LIMIT, None)
    lead_id = database.execute_sql(sql, params).fetchone()[0]
    print("\nPicking the next new leads of a lander (delivery._waiting_query):")
    print("  " + sql)
    for (line,) in database.execute_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params):
        print("    " + line)
    claim = workqueue.claim_sql("lead", "delivery_state")
    print("\nClaiming one of them (workqueue.claim_sql, rolled back):")
    print("  " + claim)
    with database.atomic() as txn:
        for (line,) in database.execute_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + claim,
                                            ("sending", lead_id, "new")):
            print("    " + line)
        txn.rollback()
    db.close()
    storage.close_all(database.obj)
    server.drop_database(url)


# ---- the Landers board on PostgreSQL against SQLite ------------------------------------------------------------
def bench_board(server, landers: int, runs: int) -> None:
    from bench.bench_scale import _spawn_to_paint, build_landers_db
    from xsc_desktop import db

    folder = Path(tempfile.mkdtemp(prefix="xsc-bench-board-"))
    build_landers_db(folder, landers)
    db.close()
    url = server.create_database(empty=True)
    copied = cli(folder, "db", "copy", "--quiet", "--to", url)
    if copied.returncode != 0:
        sys.exit(copied.stderr)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "xsc_desktop", "ui", "parsers", "resources"], cwd=REPO,
                   check=True)
    team_dir = Path(tempfile.mkdtemp(prefix="xsc-bench-board-pg-"))
    env = {**ENV, "QT_QPA_PLATFORM": "offscreen"}
    probe = [sys.executable, str(REPO / "bench" / "startup_probe.py")]
    solo, team = [], []
    for _ in range(runs):
        solo.append(_spawn_to_paint([*probe, "--data-dir", str(folder)], env)[1])
        line = _spawn_to_paint([*probe, "--data-dir", str(team_dir), "--database", url], env)
        team.append(line[1])
        if f"rows={landers}" not in line[2]:
            sys.exit(f"the PostgreSQL board painted {line[2]}, not {landers} rows")
    med = statistics.median
    ratio = med(team) / med(solo)
    print(f"\nSpawn → Landers board painted with {landers:,} landers, median of {runs} (load "
          f"{os.getloadavg()[0]:.1f})")
    print(f"  SQLite      {med(solo):.3f} s   (runs {', '.join(f'{t:.2f}' for t in solo)})")
    print(f"  PostgreSQL  {med(team):.3f} s   (runs {', '.join(f'{t:.2f}' for t in team)})")
    print(f"  PostgreSQL / SQLite = {ratio:.2f}x   target <= 1.5x   {'ok' if ratio <= 1.5 else 'MISSED'}", flush=True)
    server.drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="copy,deliver,explain,board")
    parser.add_argument("--leads", type=int, default=50000, help="leads copied by `db copy`")
    parser.add_argument("--slow-leads", type=int, default=400, help="leads for one daemon (three get 3x)")
    parser.add_argument("--claim-leads", type=int, default=1_000_000)
    parser.add_argument("--landers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from tests.helpers.postgres import PostgresServer

    only = {part.strip() for part in args.only.split(",")}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    server = PostgresServer.start()
    try:
        if "copy" in only:
            bench_copy(server, args.leads)
        if "deliver" in only:
            bench_deliver(server, args.slow_leads)
        if "explain" in only:
            bench_explain(server, args.claim_leads)
        if "board" in only:
            bench_board(server, args.landers, args.runs)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
