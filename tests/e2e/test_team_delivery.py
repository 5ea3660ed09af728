"""Each lead once across a team: several `xsc-desktop deliver` processes on one real PostgreSQL server and one real
endpoint on 127.0.0.1 share the leads; a process killed mid-delivery and a server restart lose none and post none
twice (except a lead flagged uncertain, which waits for the operator).

The module starts its own PostgreSQL server (it stops and starts it in one test). No sleeps: the test waits on the
endpoint's count and on the processes' own report lines, each with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime

import psycopg
import pytest

from tests.conftest import REPO
from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import wire_lander
from xsc_desktop import db, events, settings, storage
from xsc_desktop.models import Lead, database

pytestmark = pytest.mark.slow

IDLE = "No leads to deliver."
OK = Reply(200, b'{"success": true}', {"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def server():
    from tests.helpers.postgres import PostgresServer, PostgresUnavailable

    if os.environ.get("XSC_TEST_POSTGRES", "").strip() == "0":
        pytest.skip("PostgreSQL tests are switched off (XSC_TEST_POSTGRES=0)")
    try:
        started = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
    yield started
    started.stop()


@pytest.fixture
def team(server, tmp_path):
    """A fresh team database with one lander wired to a JSON endpoint; yields (url, endpoint, add(count))."""
    events.clear()
    url = server.create_database()
    db.connect(url)
    settings.set("delivery.per_host_limit", 4)
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", OK)
        integration = wire_lander(endpoint.url("/leads"), idempotent=False, with_secret=False)

        def add(count: int) -> list[int]:
            from tests.helpers import lead_rows

            rows = []
            for row in lead_rows.generate(count, integration.lander_id, start=datetime(2026, 11, 2, 9, 0)):
                row["delivery_state"] = "new"
                rows.append(row)
            lead_rows.insert(rows)
            return [lead.id for lead in Lead.select(Lead.id).order_by(Lead.id)]

        yield url, endpoint, add
    db.close()
    storage.close_all(database.obj)
    server.drop_database(url)
    events.clear()


class Deliverer:
    """One `xsc-desktop deliver` process (it delivers until killed), its report lines read as they come."""

    def __init__(self, url: str, data_dir) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "XSC_NO_DEMO": "1", "XSC_DATABASE_URL": url}
        self.proc = subprocess.Popen([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir),
                                      "deliver"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.cond = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, self.errors), daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, into: list[str]) -> None:
        for line in stream:
            with self.cond:
                into.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def idle_after(self, mark: int, timeout: float) -> None:
        """Wait until the process reports a pass with nothing to deliver after its first `mark` lines."""
        with self.cond:
            if not self.cond.wait_for(lambda: IDLE in self.lines[mark:] or self.proc.poll() is not None, timeout):
                raise AssertionError(f"no idle pass in {timeout} s; last lines {self.lines[-3:]} {self.errors[-5:]}")
        assert self.proc.poll() is None, f"the process ended: {self.errors[-10:]}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def start(tmp_path):
    started: list[Deliverer] = []

    def spawn(url: str, copies: int) -> list[Deliverer]:
        fresh = [Deliverer(url, tmp_path / f"operator{len(started) + n}") for n in range(copies)]
        started.extend(fresh)
        return fresh

    yield spawn
    for proc in started:
        proc.kill()


def sent_per_lead(endpoint: RecordingEndpoint) -> Counter:
    return Counter(json.loads(r.body)["email"] for r in list(endpoint.received))


def states_and_claimers(url: str) -> tuple[dict[str, int], dict[str, str], Counter]:
    """Leads per delivery state, each lead's e-mail → state, and delivery rows per claiming process."""
    with psycopg.connect(url) as conn:
        per_state = dict(conn.execute("SELECT delivery_state, count(*) FROM lead GROUP BY 1").fetchall())
        emails = dict(conn.execute("SELECT email, delivery_state FROM lead").fetchall())
        claimers = Counter(dict(conn.execute("SELECT claimed_by, count(*) FROM delivery GROUP BY 1").fetchall()))
    return per_state, emails, claimers


def test_three_processes_deliver_5000_leads_each_accepted_exactly_once(team, start):
    url, endpoint, add = team
    add(5000)
    procs = start(url, 3)
    endpoint.wait_for(5000, timeout=240)
    for proc in procs:
        proc.idle_after(0, timeout=120)
    sent = sent_per_lead(endpoint)
    assert len(endpoint.received) == 5000 and len(sent) == 5000  # every lead once, none twice
    per_state, _emails, claimers = states_and_claimers(url)
    assert per_state == {"delivered": 5000}
    assert sum(claimers.values()) == 5000
    assert len(claimers) == 3  # the three shared the work: each delivered some


def test_a_process_killed_mid_delivery_is_taken_over_without_losing_or_doubling_a_lead(team, start):
    url, endpoint, add = team
    endpoint.answer("/leads", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=0.02))
    add(1500)
    doomed, survivor = start(url, 2)
    endpoint.wait_for(400, timeout=120)
    doomed.kill()  # SIGKILL: its posts in flight never get their answers recorded
    mark = len(survivor.lines)
    endpoint.wait_for(1500 - 8, timeout=240)  # at most its 4 workers' leads (and a claim) were cut off
    survivor.idle_after(mark, timeout=120)
    per_state, emails, _claimers = states_and_claimers(url)
    assert set(per_state) <= {"delivered", "uncertain"}  # no lead lost: none is left new or sending
    uncertain = [email for email, state in emails.items() if state == "uncertain"]
    assert len(uncertain) <= 4
    sent = sent_per_lead(endpoint)
    assert all(sent[email] == 1 for email, state in emails.items() if state == "delivered")  # never twice
    assert all(sent[email] <= 1 for email in uncertain)  # not resent: the operator decides


def test_the_server_stopped_and_started_mid_run_the_processes_carry_on_by_themselves(team, start, server):
    url, endpoint, add = team
    endpoint.answer("/leads", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=0.02))
    add(1500)
    procs = start(url, 2)
    endpoint.wait_for(300, timeout=120)
    db.close()
    server.shut_down()  # every connection cut, as a restart does
    with procs[0].cond:  # the processes notice and say so (in their log on stderr), and keep running
        assert procs[0].cond.wait_for(lambda: any("cannot be reached" in e for e in procs[0].errors), 60), \
            procs[0].errors[-5:]
    server.start_again()
    marks = [len(p.lines) for p in procs]
    endpoint.wait_for(1500, timeout=240)
    for proc, mark in zip(procs, marks, strict=True):
        proc.idle_after(mark, timeout=120)
    per_state, emails, _claimers = states_and_claimers(url)
    assert per_state == {"delivered": 1500}  # answers received during the outage were recorded once it was back
    sent = sent_per_lead(endpoint)
    assert len(sent) == 1500 and all(count == 1 for count in sent.values())
