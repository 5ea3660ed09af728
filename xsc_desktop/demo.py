"""Believable demo data for a first start: clients (one new), campaigns and ~30 landers across every status."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from xsc_desktop import activity
from xsc_desktop.landers import STATUSES
from xsc_desktop.models import Campaign, Client, Integration, Lander, database, utcnow

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


# Demo integrations post only to .example hosts (which never resolve), so a demo queue run can never reach a
# real intake system: every one uses a generic preset with the firm's made-up endpoint.
DEMO_ENDPOINTS: dict[str, str] = {
    "captorra": "https://intake.alvarez-law.example/api/leads",
    "lead_docket": "https://harborinjury.leads.example/opportunities/formjson/17",
    "law_ruler": "https://whitfield-osei.example/api-legalcrmapp",
    "clio_grow": "https://pryorfamily.example/inbox_leads",
    "litify": "https://martintrial.example/services/intake/create",
}
FIRST = ("Ana", "Liam", "Omar", "Zoë", "Mary-Kate", "Aisha", "Tuan", "Chris", "Renée", "Jamal", "Priya", "Diego")
LAST = ("Lopez", "Müller", "Haddad", "García", "O'Brien", "Park", "Okafor", "Nguyen", "Smith", "Rossi")
STATES = ("TX", "FL", "GA", "CA", "NY", "AZ", "CO", "NV")
# Demo leads are already settled (never "new"), so nothing tries to post them to the .example hosts.
LEAD_STATES = ("delivered",) * 14 + ("duplicate", "rejected", "failed", "held")


def is_empty() -> bool:
    """Whether the database has no clients and no landers yet."""
    return not Client.select().exists() and not Lander.select().exists()


def seed(rng_seed: int = 7, data_dir: Path | None = None) -> int:
    """Fill an empty database with demo clients, campaigns, landers, integrations and leads; returns how many
    landers were made. With the data dir, wired landers also get a posting doc and a client a report schedule."""
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
    _seed_integrations_and_leads(rng, data_dir)
    return made


def _posting_doc(lander: Lander, endpoint: str) -> bytes:
    lines = [f"{lander.campaign.client.name} - posting instructions for {lander.name}", "",
             f"Endpoint: {endpoint}", "Method: POST", "Format: JSON", "", "Field            Required  Example",
             "first_name       Yes       Jane", "last_name        Yes       Doe", "phone            Yes       5125550100",
             "email            No        jane@example.com", "state            No        TX", "notes            No"]
    return "\n".join(lines).encode()


def _seed_integrations_and_leads(rng: random.Random, data_dir: Path | None) -> None:
    """Integrations for landers past `ready`, a few hundred settled leads with their attempts, the outbox and a
    report schedule, so every page has something true-looking to show."""
    from xsc_desktop import integrations, sheets
    from xsc_desktop.models import Delivery, Email, Lead

    now = utcnow()
    wired = (Lander.select().join(Campaign).join(Client)
             .where(Lander.status.in_(["queued", "integrated", "confirmed", "failed", "ready"])).order_by(Lander.id))
    for n, lander in enumerate(wired):
        if lander.status == "ready" and n % 2:
            continue  # left without a parser: the 15:00 gather will say what is missing
        values = {"endpoint": DEMO_ENDPOINTS[lander.campaign.client.intake_system]}
        integrations.set_integration(lander, parser="generic_json", settings=values)
        if data_dir is not None:
            from xsc_desktop.intake.store import intake_bytes

            intake_bytes(_posting_doc(lander, values["endpoint"]), f"Posting instructions - {lander.name}.txt",
                         data_dir, lander_id=lander.id)
    delivering = [i for i in Integration.select().join(Lander).where(Lander.status.in_(["integrated", "confirmed"]))]
    with database.atomic():
        for integration in delivering:
            lander = integration.lander
            for k in range(rng.randint(6, 24)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                received = now - timedelta(minutes=rng.randint(5, 60 * 24 * 10))
                state = rng.choice(LEAD_STATES)
                phone = "" if state == "held" else f"{rng.randint(201, 989)}555{rng.randint(1000, 9999)}"
                lead = Lead.create(
                    lander=lander, external_id=f"D{lander.id:03d}{k:04d}", captured_at=received, received_at=received,
                    first_name=first, last_name=last, email=f"{first[:3].lower()}.{last[:3].lower()}{k}@example.com",
                    phone=phone or None, state=rng.choice(STATES), zip=f"{rng.randint(1000, 99999):05d}",
                    case_type=lander.campaign.case_type, description="Rear-ended at a light" if k % 3 else "",
                    source=rng.choice(["google", "facebook", "tiktok"]), delivery_state=state,
                    problems="no phone number" if state == "held" else "")
                if state == "held":
                    continue
                outcome = {"delivered": "accepted"}.get(state, state if state != "failed" else "error")
                Delivery.create(
                    lead=lead, integration=integration, attempt=1, state=outcome,
                    http_status={"accepted": 200, "duplicate": 409, "rejected": 422}.get(outcome, 503),
                    reason={"duplicate": "Duplicate lead", "rejected": "Failed email validation",
                            "error": "Service unavailable; gave up after 5 attempts"}.get(outcome, ""),
                    remote_id=f"R{rng.randint(100000, 999999)}" if outcome == "accepted" else "",
                    latency_ms=rng.uniform(80, 900), request_masked="(demo data: no request was sent)",
                    response_excerpt='{"success": true}' if outcome == "accepted" else "", created_at=received)
        for lander in Lander.select().where(Lander.status == "confirmed").limit(3):
            client = lander.campaign.client
            Email.create(dedupe_key=f"demo-confirmation-{lander.id}", kind="confirmation", to=client.contacts,
                         subject=f"Integration confirmed: {lander.name} ({lander.campaign.name})",
                         body=f"Hello {client.name},\n\nYour lander {lander.name} is integrated. (demo data)\n",
                         state="sent", attempts=1, created_at=now - timedelta(days=2), sent_at=now - timedelta(days=2))
    sheets.ensure_builtin_templates()
    harbor = Client.get_or_none(Client.name == "Harbor Injury, LLP")
    if harbor is not None and data_dir is not None:
        folder = data_dir / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        sheets.add_schedule(client_id=harbor.id, out_dir=folder)
