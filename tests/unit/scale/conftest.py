"""A small agency's database with leads spread over two clients' landers, received with ties (bulk imports)."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def spread(ctx):
    """Two clients (three landers and one), 600 leads in imports of 40 sharing a received time; returns facts."""
    from xsc_desktop.leads import INSERT_COLUMNS
    from xsc_desktop.models import Campaign, Client, Lander, database

    acme, other = Client.create(name="Acme Law"), Client.create(name="Other Law")
    landers = []
    for n, client in enumerate([acme, acme, acme, other]):
        campaign = Campaign.create(client=client, name=f"Campaign {n}")
        landers.append(Lander.create(campaign=campaign, name=f"Lander {n}", url=f"https://l{n}.example/").id)
    rng = random.Random(5)
    index = {name: i for i, name in enumerate(INSERT_COLUMNS)}
    rows = []
    for n in range(600):
        row = [None] * len(INSERT_COLUMNS)
        row[index["lander_id"]] = landers[rng.randrange(4)]
        row[index["external_id"]] = f"X{n}"
        # Imports of 40 rows share one received time; a few rows arrive back-dated (ids and times disagree).
        minute = n // 40 if n % 97 else rng.randrange(15)
        row[index["received_at"]] = f"2026-03-01 10:{minute:02d}:00"
        row[index["custom"]] = "{}"
        row[index["is_test"]] = False
        row[index["problems"]] = ""
        row[index["delivery_state"]] = rng.choice(["new", "delivered", "delivered", "failed"])
        row[index["last_name"]] = rng.choice(["Okafor", "Park", "Smith"])
        row[index["email"]] = f"p{n}@example.com"
        rows.append(tuple(row))
    sql = f'INSERT INTO "lead" ({", ".join(INSERT_COLUMNS)}) VALUES ({", ".join(database.param for _ in INSERT_COLUMNS)})'
    with database.atomic():
        database.cursor().executemany(sql, rows)
    return {"landers": landers, "acme": acme.id, "other": other.id}
