"""Render + classify speed of the posting engine, beside a bare json.dumps of the same leads.

    .venv/bin/python bench/bench_parsers.py [--leads N] [--rounds R]

One core, one thread. The parser is the Captorra preset (15 mapped fields + 2 static fields, JSON body,
transforms on phone, state, zip and e-mail). The target is at least 20,000 leads/s for render + classify.
Figures are the best of R rounds (the machine is shared, so the best round is the least disturbed one).
"""

from __future__ import annotations

import argparse
import json
import random
import time

from parsers.outcome import classify
from parsers.presets import preset
from parsers.render import compile_spec, render

SETTINGS = {"CaptorraId": "310775", "Referrer": "0d9e8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"}
ANSWER = b'{"success": true, "lead_id": "C-104233", "message": "Lead created"}'
HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def make_leads(count: int) -> list[dict[str, str]]:
    """Varied, realistic leads (formatted phones, state names, ZIP+4) so transforms do real work."""
    rng = random.Random(7)
    first = ["Ana", "Zoë", "Tuan", "Mary-Kate", "Aisha", "José", "Li", "Omar"]
    last = ["Okafor", "Haddad", "Lopez", "O'Brien", "Nguyen", "Smith", "García"]
    states = ["TX", "New York", "ca", "Florida", "IL", "Nevada"]
    leads = []
    for i in range(count):
        leads.append({
            "first_name": rng.choice(first), "last_name": rng.choice(last),
            "phone": f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
            "phone_alt": "" if i % 3 else f"{rng.randint(200, 999)}.555.{rng.randint(0, 9999):04d}",
            "email": f" User{i}@Example.COM ", "address": f"{i} Main St", "city": "Dallas",
            "state": rng.choice(states), "zip": f"{rng.randint(10000, 99999)}-{rng.randint(0, 9999):04d}",
            "county": "Dallas", "description": "Rear-ended at a light & hurt; \"back pain\"",
            "sub_id": f"fb-{i % 50}", "lead_id": f"L{i:07d}", "source": "facebook",
            "landing_page_url": "https://example.com/auto?utm=fb",
        })
    return leads


def best_rate(fn, leads, rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        fn(leads)
        elapsed = time.perf_counter() - started
        best = max(best, len(leads) / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    spec = preset("captorra")
    compiled = compile_spec(spec)
    leads = make_leads(args.leads)
    assert len(spec.mappings) == 15

    def baseline(rows):
        for lead in rows:
            json.dumps(lead).encode()

    def render_only(rows):
        for lead in rows:
            compiled.render(lead, SETTINGS)

    def classify_only(rows):
        for _ in rows:
            classify(spec, 200, HEADERS, ANSWER, 0.1)

    def render_and_classify(rows):
        for lead in rows:
            compiled.render(lead, SETTINGS)
            classify(spec, 200, HEADERS, ANSWER, 0.1)

    def uncompiled(rows):
        for lead in rows:
            render(spec, lead, SETTINGS)
            classify(spec, 200, HEADERS, ANSWER, 0.1)

    base = best_rate(baseline, leads, args.rounds)
    rows = [("json.dumps baseline", base), ("render (compiled)", best_rate(render_only, leads, args.rounds)),
            ("classify", best_rate(classify_only, leads, args.rounds)),
            ("render + classify", best_rate(render_and_classify, leads, args.rounds)),
            ("render() + classify, uncompiled", best_rate(uncompiled, leads, args.rounds))]
    print(f"posting engine, Captorra preset (15 fields + 2 static), {args.leads} leads, best of {args.rounds}")
    print(f"{'step':<34}{'leads/s':>12}{'vs json.dumps':>15}")
    for name, rate in rows:
        print(f"{name:<34}{rate:>12,.0f}{base / rate:>14.1f}x")
    target = rows[3][1]
    print(f"target 20,000 leads/s for render + classify: {'met' if target >= 20_000 else 'NOT met'} ({target:,.0f})")


if __name__ == "__main__":
    main()
