"""Report schedules driven by the real scheduler with an injected clock, and the e-mail through a real SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import lead_rows
from tests.helpers.smtp import SmtpServer, use_smtp
from xsc_desktop import clients, jobs, landers, mail, sheets
from xsc_desktop.models import Email, JobRun, ReportRun
from xsc_desktop.scheduled import default_jobs

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def lander(ctx):
    lander = landers.add_lander(client="Pryor Family Law", campaign="Divorce", name="Reno Divorce",
                                url="https://p.example/reno")
    lead_rows.insert([{"lander_id": lander.id, "external_id": "a1", "received_at": "2026-10-01 12:00:00",
                       "custom": json.dumps({"Children": "2"}), "is_test": False, "problems": "", "first_name": "Dee",
                       "phone": "0775550100", "delivery_state": "delivered"}])
    return lander


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("start", [datetime(2026, 10, 31, 0, 0, tzinfo=UTC), datetime(2026, 3, 7, 0, 0, tzinfo=UTC)])
def test_scheduler_fires_reports_at_0500_utc_through_a_dst_change(lander, out, start):
    sheets.add_schedule(lander_id=lander.id, out_dir=out, period="all")
    clock = jobs.ManualClock(start)
    scheduler = jobs.Scheduler(clock=clock, tz=NEW_YORK, jobs={"reports": default_jobs()["reports"]})
    # A new schedule has no earlier run, so the first daily slot writes at once; the clock starts before it.
    fired = []
    while clock.now() < start + timedelta(days=3):
        for row in scheduler.tick(clock.now()):
            fired.append((row.slot, row.state, row.detail))
        clock.advance(minutes=5)
    assert [slot for slot, _state, _detail in fired] == [
        f"{(start + timedelta(days=n)).date()}T05:00+00:00" for n in range(3)]
    assert all(state == "done" and detail.startswith("1 report written") for _slot, state, detail in fired)
    runs = ReportRun.select().order_by(ReportRun.id)
    assert [r.started_at for r in runs] == [start.replace(tzinfo=None, hour=5) + timedelta(days=n) for n in range(3)]
    assert len(list(out.iterdir())) == 3
    assert JobRun.select().where(JobRun.job == "reports").count() == 3


def test_other_times_run_on_time_and_leave_old_slots_to_the_daily_job(lander, out):
    at_0715 = sheets.add_schedule(lander_id=lander.id, out_dir=out, time_utc="07:15", period="all")
    sheets.add_schedule(lander_id=lander.id, out_dir=out, period="all")  # 05:00: the daily job's
    assert sheets.other_times_job(datetime(2026, 11, 20, 7, 0, tzinfo=UTC)).startswith("0 reports")  # slot is a day old
    assert sheets.other_times_job(datetime(2026, 11, 20, 7, 17, tzinfo=UTC)).startswith("1 report written")
    [run] = ReportRun.select()
    assert run.schedule_id == at_0715.id


def test_report_emailed_once_with_the_file_attached(lander, out):
    clients.set_client(landers.get_lander(lander.id).campaign.client_id, contacts=["intake@pryor.example"])
    schedule = sheets.add_schedule(lander_id=lander.id, out_dir=out, email=True, period="all")
    with SmtpServer() as server:
        use_smtp(server)
        now = datetime(2026, 11, 20, 5, 0)
        [run] = sheets.run_due_reports(now)
        assert run.state == "done"
        sheets._email_report(schedule, run, sheets.latest_slot("05:00", now))  # a second attempt at the same slot
        assert Email.select().count() == 1
        email = Email.get()
        assert email.dedupe_key == f"report:{schedule.id}:2026-11-20T05:00:{lander.id}"
        summary = mail.send_pending()
        assert summary.sent == 1
        [received] = server.wait_for(1)
        assert received.recipients == ["intake@pryor.example"]
        assert received.subject == "Leads report: Reno Divorce (2026-11-20)"
        assert "1 lead (all leads)" in received.body
        [attachment] = list(received.message.iter_attachments())
        assert attachment.get_filename() == Path(run.file).name
        assert attachment.get_content() == Path(run.file).read_bytes()
        assert mail.send_pending().sent == 0
        assert len(server.received) == 1


def test_no_contacts_is_noted_on_the_run(lander, out):
    sheets.add_schedule(lander_id=lander.id, out_dir=out, email=True)
    [run] = sheets.run_due_reports(datetime(2026, 11, 20, 5, 0))
    assert run.state == "done" and run.error == "Not e-mailed: the client has no contacts."
    assert Email.select().count() == 0


class _Crash(BaseException):
    """The process dying between writing the report and queueing its e-mail."""


def test_a_crash_before_the_email_is_queued_leaves_no_done_run_unsent(lander, out, monkeypatch):
    clients.set_client(landers.get_lander(lander.id).campaign.client_id, contacts=["intake@pryor.example"])
    sheets.add_schedule(lander_id=lander.id, out_dir=out, email=True, period="since_last")

    def crash(**kwargs):
        raise _Crash()

    monkeypatch.setattr(mail, "queue_email", crash)
    with pytest.raises(_Crash):
        sheets.run_due_reports(datetime(2026, 11, 20, 5, 0))
    [run] = ReportRun.select()
    assert run.state == "running" and Email.select().count() == 0  # never "done" without its e-mail
    monkeypatch.undo()
    [later] = sheets.run_due_reports(datetime(2026, 11, 21, 5, 0))
    assert later.state == "done" and later.rows == 1  # the unsent run's leads are in the next report
    assert Email.select().count() == 1


def test_a_contact_the_outbox_refuses_is_noted_on_the_done_run(lander, out):
    from xsc_desktop.models import Client

    Client.update(contacts=["intake at pryor"]).execute()
    sheets.add_schedule(lander_id=lander.id, out_dir=out, email=True)
    [run] = sheets.run_due_reports(datetime(2026, 11, 20, 5, 0))
    assert run.state == "done" and run.error.startswith("Not e-mailed: 'intake at pryor' is not an e-mail address")
    assert ReportRun.get_by_id(run.id).error == run.error
