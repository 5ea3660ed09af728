"""Believable demo data for a first start: clients (one new), campaigns and ~30 landers across every status."""

from __future__ import annotations

import random
from datetime import timedelta

from xsc_desktop import activity
from xsc_desktop.landers import STATUSES
from xsc_desktop.models import Campaign, Client, Lander, database, utcnow

DEMO_CLIENTS = (
    ("Alvarez Accident Lawyers", ["intake@alvarez-law.example"], "captorra", False),
    ("Harbor Injury, LLP", ["leads@harborinjury.example", "ops@harborinjury.example"], "lead_docket", False),
    ("Whitfield & Osei", ["intake@whitfield-osei.example"], "law_ruler", False),
    ("Pryor Family Law", ["hello@pryorfamily.example"], "clio_grow", False),
    ("Martin Trial Group", ["newbiz@martintrial.example"], "litify", True),
)
DEMO_CAMPAIGNS = (
    ("Auto Accident", "auto accident"), ("Camp Lejeune", "mass tort"), ("Hair Relaxer", "mass tort"),
    ("Workers Comp", "workers comp"), ("Divorce", "family law"), ("Slip and Fall", "premises liability"),
)
CITIES = ("houston", "dallas", "phoenix", "atlanta", "miami", "denver", "tampa", "austin", "reno", "boise")


def is_empty() -> bool:
    """Whether the database has no clients and no landers yet."""
    return not Client.select().exists() and not Lander.select().exists()


def seed(rng_seed: int = 7) -> int:
    """Fill an empty database with demo clients, campaigns and landers; returns how many landers were made."""
    rng = random.Random(rng_seed)
    now = utcnow()
    made = 0
    with database.atomic():
        clients = [Client.create(name=n, contacts=c, intake_system=s, is_new=new) for n, c, s, new in DEMO_CLIENTS]
        statuses = [s for s in STATUSES for _ in range(3)] + ["ready"] * 4 + ["in_production"] * 2
        for i, status in enumerate(statuses):
            client = clients[i % len(clients)]
            camp_name, case_type = DEMO_CAMPAIGNS[(i * 7) % len(DEMO_CAMPAIGNS)]
            campaign, _ = Campaign.get_or_create(client=client, name=camp_name, defaults={"case_type": case_type})
            city = CITIES[i % len(CITIES)]
            slug = camp_name.lower().replace(" ", "-")
            flags = ""
            if i % 5 == 2:
                flags = rng.choice(["rightsignature", "reroute;dq", "dq", "other"])
            changed = now - timedelta(hours=rng.randint(1, 24 * 20))
            lander = Lander.create(
                campaign=campaign, name=f"{city.title()} {camp_name}",
                url=f"https://{slug}-{city}.xsc-landers.example/{i + 1}", status=status, flags=flags,
                flag_note="Popup asks for the policy number" if "other" in flags else "",
                handed_over_at=None if status == "in_production" else changed, created_at=changed - timedelta(days=3),
                updated_at=changed,
                sample_lead={"first_name": "Test", "last_name": "Lead", "email": "test.lead@xsc-landers.example",
                             "phone": "5125550100", "state": "TX", "zip": "78701", "case_type": case_type,
                             "description": "TEST LEAD - please ignore"},
            )
            activity.record("lander", lander.id, "created", to_state=status, note="demo data", actor="demo")
            made += 1
    return made
