"""On a shared PostgreSQL database work in flight belongs to the process that claimed it: another process's
recovery leaves it alone while that process is at work (its presence lock is held on the server) and takes it over
once it is gone. A second connection stands in for the other process, holding its presence lock."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers.lead_world import add_leads, wire_lander
from xsc_desktop import db, delivery, events, mail, queue, storage, workqueue
from xsc_desktop.models import Delivery, Email, Lander, Lead, Task, database

OTHER = "desk-2:4242:0badcafe"


@pytest.fixture
def shared(postgres_url):
    events.clear()
    db.connect(postgres_url)
    yield postgres_url
    db.close()


class Colleague:
    """Another process's presence on the server: its lock for `kind`, held on its own connection until `leave()`."""

    def __init__(self, url: str, kind: str) -> None:
        self.url, self.key = url, storage.lock_key(f"{kind}:{OTHER}")
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("SELECT pg_advisory_lock(%s)", (self.key,))

    def leave(self) -> None:
        self.conn.close()  # as a killed process's connection ends: the server frees its locks
        with psycopg.connect(self.url, autocommit=True) as probe:  # blocks until the server has freed it
            probe.execute("SELECT pg_advisory_lock(%s)", (self.key,))
            probe.execute("SELECT pg_advisory_unlock(%s)", (self.key,))


def test_a_colleagues_delivery_in_flight_is_left_alone_until_it_is_gone(shared, endpoint):
    integration = wire_lander(endpoint.url("/leads"), idempotent=False, with_secret=False)
    mine, theirs = add_leads(integration.lander_id, 2)
    for lead_id, owner in ((mine, ""), (theirs, OTHER)):
        Lead.update(delivery_state="sending").where(Lead.id == lead_id).execute()
        Delivery.create(lead=lead_id, integration=integration, state="sending", claimed_by=owner)
    colleague = Colleague(shared, "delivery")
    with workqueue.working("delivery"):
        assert delivery.recover_interrupted() == 1  # only the attempt of nobody at work
    assert [Lead.get_by_id(i).delivery_state for i in (mine, theirs)] == ["uncertain", "sending"]
    colleague.leave()
    with workqueue.working("delivery"):
        assert delivery.recover_interrupted() == 1
    assert Lead.get_by_id(theirs).delivery_state == "uncertain"


def test_a_colleagues_e_mail_being_sent_is_left_alone_until_it_is_gone(shared):
    email = mail.queue_email(kind="test", to=["ops@agency.example"], subject="s", body="b")
    Email.update(state="sending", claimed_by=OTHER).where(Email.id == email.id).execute()
    colleague = Colleague(shared, "outbox")
    with workqueue.working("outbox"):
        assert mail.recover_interrupted() == 0
    assert Email.get_by_id(email.id).state == "sending"
    colleague.leave()
    with workqueue.working("outbox"):
        assert mail.recover_interrupted() == 1
    assert Email.get_by_id(email.id).state == "failed"


def test_a_colleagues_running_task_is_left_alone_until_it_is_gone(shared, endpoint):
    integration = wire_lander(endpoint.url("/leads"), with_secret=False)
    lander = Lander.get_by_id(integration.lander_id)
    task = Task.create(lander=lander, kind="integrate", planned_for="2026-11-27", status="running",
                       claimed_by=OTHER)
    colleague = Colleague(shared, "queue-run")
    with workqueue.working("queue-run"):
        assert queue.recover_interrupted() == 0
    assert Task.get_by_id(task.id).status == "running"
    colleague.leave()
    with workqueue.working("queue-run"):
        assert queue.recover_interrupted() == 1
    assert Task.get_by_id(task.id).status == "pending"


def test_a_claim_skips_a_row_another_process_is_claiming_instead_of_waiting(shared):
    email = mail.queue_email(kind="test", to=["ops@agency.example"], subject="s", body="b")
    with psycopg.connect(shared) as other:  # mid-claim: the row is locked in its open transaction
        other.execute("SELECT id FROM email WHERE id = %s FOR UPDATE", (email.id,))
        assert not workqueue.claim(Email, email.id, Email.state, "queued", "sending")  # at once, not after it
        other.rollback()
    assert workqueue.claim(Email, email.id, Email.state, "queued", "sending")
    assert database.execute_sql(workqueue.claim_sql("email", "state"), ("sent", email.id, "sending")).rowcount == 1
