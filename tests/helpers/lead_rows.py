"""Bulk lead rows for report tests and the benchmark: believable values, inserted with one executemany."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from xsc_desktop.models import Lead, database

FIRST = ("Maria", "James", "Aisha", "Wei", "Carlos", "Olivia", "Noah", "Fatima", "Liam", "Zoe")
LAST = ("Garcia", "Smith", "Okafor", "Chen", "Lopez", "Brown", "Nguyen", "Khan", "Miller", "O'Neil")
STATES = ("TX", "NJ", "MA", "CA", "FL", "NY")
ZIPS = ("02134", "07030", "75201", "90210", "00501", "33101")
CASES = ("auto accident", "slip and fall", "camp lejeune", "workers comp")


def lead_row(n: int, lander_id: int, received: datetime, rng: random.Random) -> dict[str, Any]:
    """One lead as column values (text, as the database holds them)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "lander_id": lander_id, "external_id": f"ext-{lander_id}-{n}", "captured_at": received.isoformat(" "),
        "received_at": received.isoformat(" "), "custom": json.dumps({"Accident type": rng.choice(("rear-end", "t-bone")),
                                                                       "Hospital": rng.choice(("yes", "no"))}),
        "is_test": False, "problems": "", "delivery_state": rng.choice(("delivered", "new", "rejected")),
        "first_name": first, "last_name": last, "email": f"{first}.{last}{n}@example.com".lower().replace("'", ""),
        "phone": f"{rng.randint(201, 989)}555{n % 10000:04d}", "address": f"{rng.randint(1, 9999)} Main St",
        "city": "Springfield", "state": rng.choice(STATES), "zip": rng.choice(ZIPS),
        "date_of_birth": f"19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "case_type": rng.choice(CASES), "description": "Rear-ended at a light; neck pain, went to urgent care.",
        "incident_date": (received - timedelta(days=rng.randint(1, 300))).date().isoformat(),
        "injured": rng.choice(("yes", "no", "Y")), "has_attorney": "no", "ip_address": "203.0.113.7",
        "tcpa_consent": "yes", "landing_page_url": "https://example.com/auto", "source": "google",
    }


def generate(count: int, lander_id: int, *, start: datetime, step_seconds: float = 7.0,
             seed: int = 1) -> Iterator[dict[str, Any]]:
    """`count` leads of one lander received `step_seconds` apart from `start`."""
    rng = random.Random(seed)
    for n in range(count):
        yield lead_row(n, lander_id, start + timedelta(seconds=n * step_seconds), rng)


def insert(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], chunk: int = 20000) -> int:
    """Insert lead rows with `cursor().executemany` inside one transaction per chunk; returns how many."""
    table = Lead._meta.table_name
    total = 0
    buffer: list[dict[str, Any]] = []
    columns: list[str] | None = None

    def flush() -> None:
        nonlocal total
        if not buffer:
            return
        sql = (f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
               f'VALUES ({", ".join(database.param for _ in columns)})')
        with database.atomic():
            database.cursor().executemany(sql, [tuple(r.get(c) for c in columns) for r in buffer])
        total += len(buffer)
        buffer.clear()

    for row in rows:
        if columns is None:
            columns = list(row)
        buffer.append(row)
        if len(buffer) >= chunk:
            flush()
    flush()
    return total
