"""Moving a solo database onto PostgreSQL: `xsc-desktop db copy` of the demo data plus N generated leads, into a
private server started here (as the tests start it), beside `db info` on both ends.

    .venv/bin/python bench/bench_team.py [--leads 50000]

Prints the rows copied, the seconds and rows per second. Needs the PostgreSQL server binaries (`make setup`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=50000)
    args = parser.parse_args()
    from tests.helpers import lead_rows
    from tests.helpers.postgres import PostgresServer
    from xsc_desktop import db
    from xsc_desktop.models import Lander

    folder = Path(tempfile.mkdtemp(prefix="xsc-bench-team-"))
    env = {**os.environ, "XSC_NO_DEMO": "1"}
    cli = [sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(folder)]
    subprocess.run([*cli, "demo"], check=True, env=env, capture_output=True, cwd=REPO)
    db.connect(f"sqlite:///{folder / 'xsc-desktop.sqlite3'}")
    lead_rows.insert(lead_rows.generate(args.leads, Lander.select().first().id, start=datetime(2026, 1, 1)))
    db.close()
    server = PostgresServer.start()
    try:
        url = server.create_database(empty=True)
        started = time.perf_counter()
        result = subprocess.run([*cli, "db", "copy", "--quiet", "--to", url], env=env, capture_output=True, text=True,
                                cwd=REPO)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(result.stderr)
        rows = int(result.stdout.split()[1].replace(",", ""))
        print(f"db copy: {rows:,} rows (demo + {args.leads:,} leads) into PostgreSQL in {seconds:.1f} s "
              f"= {rows / seconds:,.0f} rows/s (process start and schema creation included)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
