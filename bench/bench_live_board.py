"""The live board's delay: from another process's commit to this process hearing the change, on a private
PostgreSQL server started here (as the tests start it).

    .venv/bin/python bench/bench_live_board.py [--moves 40]

The app: another process moves a lander (`landers.set_status`, its own connection) and prints the time of each
commit; here `live.ChangeListener` hears it and publishes "lander.changed". The baseline, in the same run: bare
psycopg, one connection LISTENing and another sending `pg_notify` (no app, no trigger, no batching). Prints the
median and the 95th percentile of both. The window adds its page's reload debounce (150 ms on the board) on top.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MOVER = textwrap.dedent("""
    import sys, time
    from xsc_desktop.context import Context
    from xsc_desktop import landers
    ctx = Context.create(sys.argv[1], sys.argv[2]); ctx.open_database()
    lander_id, moves = int(sys.argv[3]), int(sys.argv[4])
    for n in range(moves):
        sys.stdin.readline()  # the bench says when: one change at a time
        landers.set_status(lander_id, "paused" if n % 2 == 0 else "in_production")
        print(time.time(), flush=True)
""")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def app_delays(url: str, folder: Path, moves: int) -> list[float]:
    from xsc_desktop import landers, live

    lander = landers.add_lander(client="Kim Law", campaign="Auto", name="Kim auto", url="https://kim.example/a")
    heard: queue.Queue[float] = queue.Queue()
    listener = live.ChangeListener(url, publish=lambda topic, **_p: heard.put(time.time())
                                   if topic == "lander.changed" else None).start()
    listener.listening.wait(30)
    other = folder / "other"
    other.mkdir(exist_ok=True)
    mover = subprocess.Popen([sys.executable, "-c", MOVER, str(other), url, str(lander.id), str(moves)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
                             env={**os.environ, "XSC_NO_DEMO": "1"})
    delays = []
    try:
        for _ in range(moves):
            mover.stdin.write("\n")
            mover.stdin.flush()
            committed = float(mover.stdout.readline())
            delays.append(heard.get(timeout=30) - committed)
    finally:
        mover.stdin.close()
        mover.wait(30)
        listener.stop()
    return delays


def bare_delays(url: str, moves: int) -> list[float]:
    import psycopg

    from xsc_desktop import storage

    params = storage.postgres_params(url)
    heard: queue.Queue[float] = queue.Queue()
    ready = threading.Event()
    stop = threading.Event()

    def listen() -> None:
        with psycopg.connect(autocommit=True, **params) as conn:
            conn.execute("LISTEN bench")
            ready.set()
            while not stop.is_set():
                for _notice in conn.notifies(timeout=0.2):
                    heard.put(time.time())

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(30)
    delays = []
    with psycopg.connect(autocommit=True, **params) as sender:
        for n in range(moves):
            sent = time.time()  # from before the statement: the notice can arrive before execute() returns
            sender.execute("SELECT pg_notify('bench', %s)", (str(n),))
            delays.append(heard.get(timeout=30) - sent)
    stop.set()
    thread.join(5)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    from cryptography.fernet import Fernet

    from tests.helpers.postgres import PostgresServer
    from xsc_desktop.context import Context

    os.environ["XSC_NO_DEMO"] = "1"
    os.environ.setdefault("XSC_SECRET_KEY", Fernet.generate_key().decode())
    folder = Path(tempfile.mkdtemp(prefix="xsc-bench-live-"))
    server = PostgresServer.start()
    try:
        url = server.create_database()
        Context.create(str(folder), url).open_database()
        bare = bare_delays(url, args.moves)
        app = app_delays(url, folder, args.moves)
    finally:
        server.stop()
    print(f"{'':38} {'median ms':>10} {'p95 ms':>10}")
    print(f"{'bare psycopg LISTEN/NOTIFY':38} {statistics.median(bare) * 1000:10.1f} {percentile(bare, .95) * 1000:10.1f}")
    print(f"{'live board: commit in another process':38} {statistics.median(app) * 1000:10.1f} "
          f"{percentile(app, .95) * 1000:10.1f}")
    print(f"({args.moves} changes each; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
