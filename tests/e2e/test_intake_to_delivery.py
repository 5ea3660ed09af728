"""From a posting doc to a delivered lead with zero edits, all through the CLI in subprocesses: `intake --apply`
wires a lander from a real-style doc, the queue's integration test post reaches a local endpoint standing in for the
client's system and is accepted, then a live lead is imported and delivered. What arrives carries the doc's field
names and fixed values, and no test switch, debug or forbidden value is live.

Each doc is copied with its live host replaced by the local endpoint's address (inside DOCX and XLSX too), the way
the doc would read had the client's system been on this machine."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO
from tests.helpers.endpoint import Reply, sent_values

FIXTURES = REPO / "tests" / "fixtures"
# Ten docs of the blind series in every format intake reads: Markdown, e-mail thread, HTML form, DOCX, XLSX,
# TXT with curl, CSV, HTML page.
DOCS = ["postingdocs_blind3/t01_phonexa_lms.md", "postingdocs_blind3/t03_zapier_thread.eml",
        "postingdocs_blind3/t05_jotform_form.html", "postingdocs_blind3/t07_salesforce_rest.docx",
        "postingdocs_blind3/t14_leadexec_post.docx", "postingdocs_blind2/n01_salesforce_w2l.html",
        "postingdocs_blind2/n03_boberdoo_pingpost.xlsx", "postingdocs_blind2/n04_boberdoo_curl.txt",
        "postingdocs_blind2/n08_leadbyte.csv", "postingdocs_blind2/n17_lawmatics_form.html"]
NEVER_LIVE = ("debug", "test_lead", "testmode", "test", "istest", "dupcheck", "zap_test", "lp_action", "ckm_test")
ACCEPT = Reply(200, b'{"status": "success", "success": true, "result": "success", "id": "R-1"}',
               {"Content-Type": "application/json"})
LEAD_CSV = ("first_name,last_name,phone,phone_alt,email,zip,state,city,address,incident_date,case_type,description,"
            "has_attorney,at_fault,injured,ip_address,date_of_birth,tcpa_consent,trustedform_cert_url,landing_page_url,"
            "jornaya_leadid,sub_id\n"
            "Maria,Lopez,7135550101,7135550102,maria.lopez@example.com,77002,TX,Houston,12 Main St,2026-11-20,"
            "Auto Accident,Rear-ended at a light,No,No,Yes,203.0.113.7,1980-04-02,Yes,https://cert.trustedform.com/abc123,"
            "https://lp.example/mva,AB12-CD34,fb-1\n")


def _local_copy(doc: Path, live_base: str, local_base: str, out_dir: Path) -> Path:
    """The doc with every `live_base` (scheme and host) written as `local_base`."""
    old, new = live_base.encode(), local_base.encode()
    data = doc.read_bytes()
    if doc.suffix in (".docx", ".xlsx"):
        src, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item.filename).replace(old, new))
        data = buf.getvalue()
    else:
        data = data.replace(old, new)
    target = out_dir / doc.name
    target.write_bytes(data)
    return target


def _one_doc(cli, endpoint, smtp_server, tmp_path: Path, n: int, rel: str) -> tuple[bool, str]:
    """(works with zero edits, why not) for one doc."""
    src = FIXTURES / rel
    expected = json.loads(src.with_name(src.name.rsplit(".", 1)[0] + ".expected.json").read_text())
    live = urlsplit(expected["endpoint"])
    local = urlsplit(endpoint.url("/"))
    doc = _local_copy(src, f"{live.scheme}://{live.netloc}", f"{local.scheme}://{local.netloc}", tmp_path)
    cli("clients", "add", f"Firm {n}", "--contact", f"intake{n}@firm.example")
    added = cli("landers", "add", "--client", f"Firm {n}", "--campaign", "Auto Accident", "--name", f"Lander {n}",
                "--url", f"https://lp.example/{n}", "--status", "ready", "--json")
    lander_id = json.loads(added.stdout)["id"]
    # --checked: the findings that hold Apply back (a forbidden value left out, a retired URL replaced) were read,
    # as "I checked it" in the review; no value of the draft is changed.
    applied = cli("intake", str(doc), "--lander", str(lander_id), "--apply", "--checked", "--json")
    if applied.returncode != 0:
        return False, f"apply refused: {applied.stderr.strip()}"
    if json.loads(applied.stdout)["applied"]["missing"]:
        return False, f"missing after apply: {json.loads(applied.stdout)['applied']['missing']}"
    endpoint.answer(live.path, ACCEPT)
    before = len(endpoint.received)
    gathered = cli("queue", "gather", "--json")
    if not json.loads(gathered.stdout)["integrate"]:
        return False, f"not gathered: {' '.join(gathered.stdout.split())[:300]}"
    run = cli("queue", "run", "--json")
    if run.returncode != 0 or json.loads(run.stdout).get("done") != 1:
        return False, f"integration test post not accepted: {' '.join(run.stdout.split())[:300]} {run.stderr.strip()}"
    leads = tmp_path / f"leads{n}.csv"
    leads.write_text(LEAD_CSV)
    imported = cli("leads", "import", str(leads), "--lander", str(lander_id), "--deliver")
    delivered = cli("deliver", "--once")
    got = endpoint.wait_for(before + 2)[before + 1:]
    if imported.returncode != 0 or delivered.returncode != 0 or not got:
        return False, f"live lead not delivered: {imported.stderr.strip()} {delivered.stderr.strip()}"
    sent = sent_values(got[-1])
    low = {k.lower(): v for k, v in sent.items()}
    if got[-1].path != live.path:
        return False, f"posted to {got[-1].path}, not {live.path}"
    if [k for k in low if k in NEVER_LIVE]:
        return False, f"test or debug value live: {sorted(k for k in low if k in NEVER_LIVE)}"
    missing = [name for name in expected["fields"] if name.lower() not in low]
    wrong = [k for k, v in expected["static"].items() if low.get(k.lower()) != v]
    if missing or wrong:
        return False, f"names missing {missing}, fixed values wrong {wrong}"
    return True, ""


@pytest.mark.slow
def test_nine_of_ten_docs_become_a_working_integration_with_zero_edits(ctx, cli, endpoint, smtp_server, tmp_path):
    outcomes = {rel: _one_doc(cli, endpoint, smtp_server, tmp_path, n, rel) for n, rel in enumerate(DOCS, 1)}
    failed = {rel: why for rel, (ok, why) in outcomes.items() if not ok}
    print("not working with zero edits:", failed)
    assert len(DOCS) - len(failed) >= 9, "\n".join(f"{rel}: {why}" for rel, why in failed.items())
