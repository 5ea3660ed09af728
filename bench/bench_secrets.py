"""What sealing secrets costs: reading one integration's secrets sealed vs. as plain text, and sealing an old
database's plain-text secrets on the first start.

    .venv/bin/python bench/bench_secrets.py [--secrets N] [--reads R]

Key-file store (XSC_SECRET_STORE=file), temp data dirs, one thread. Reads are timed in one run on two databases
holding the same N secrets, one sealed and one plain (as an older version kept them); the ratio is what counts on
a shared machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ["XSC_SECRET_STORE"] = "file"

from xsc_desktop import db, secrets  # after choosing the store
from xsc_desktop.context import Context
from xsc_desktop.models import Secret


def fill(count: int) -> None:
    with db.database.atomic():
        for n in range(count):
            Secret.create(scope=f"integration:{n}", name="api_key", value=f"plain-{n:06d}-0123456789abcdef")


def time_reads(count: int, reads: int) -> float:
    started = time.perf_counter()
    for n in range(reads):
        secrets.read(f"integration:{n % count}")
    return (time.perf_counter() - started) / reads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()

    sealed_dir = Path(tempfile.mkdtemp(prefix="xsc-bench-secrets-"))
    Context.create(str(sealed_dir)).open_database()
    fill(args.secrets)
    db.close()
    started = time.perf_counter()
    Context.create(str(sealed_dir)).open_database()  # the first start of this version: seals them all
    seal_s = time.perf_counter() - started
    assert not Secret.select().where(~Secret.value.startswith(secrets.PREFIX)).exists()
    sealed = time_reads(args.secrets, args.reads)
    db.close()

    plain_dir = Path(tempfile.mkdtemp(prefix="xsc-bench-secrets-"))
    db.connect(db.database_url_for(plain_dir))  # connected without the start-up step: the values stay plain
    secrets.configure(plain_dir, db.database_url_for(plain_dir))
    fill(args.secrets)
    plain = time_reads(args.secrets, args.reads)
    db.close()

    print(f"{'secrets':>8} {'first start (seal all)':>24} {'read sealed':>12} {'read plain':>11} {'ratio':>6}")
    print(f"{args.secrets:>8} {seal_s * 1000:>21.0f} ms {sealed * 1e6:>9.0f} µs {plain * 1e6:>8.0f} µs "
          f"{sealed / plain:>5.2f}x")


if __name__ == "__main__":
    main()
