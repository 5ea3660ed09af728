"""End to end through the CLI in subprocesses: a real HTTP endpoint and a real SMTP server on 127.0.0.1.

lander with integration → gather → run → the endpoint got the TEST lead → SMTP got one confirmation → lander
integrated; a rerun sends nothing twice; SIGKILL mid-run then a restart loses no task and duplicates no e-mail.
"""

from __future__ import annotations

import json
import os
import queue as queue_module
import signal
import subprocess
import sys
import threading

from tests.conftest import REPO
from tests.helpers.endpoint import Reply
from xsc_desktop import clients, landers
from xsc_desktop.models import Client, Email, Lander, Task

ACCEPT = Reply(200, b'{"success": true, "id": "R-1"}', {"Content-Type": "application/json"})


def add_lander(name, contacts=("intake@smith.example",)):
    lander = landers.add_lander(client="Smith Law", campaign="Auto Accident", name=name,
                                url=f"https://lp.example/{name.replace(' ', '-').lower()}", status="ready")
    clients.set_client(Client.get(Client.name == "Smith Law").id, contacts=list(contacts))
    return lander


def test_integration_set_show_gather_run_and_rerun(ctx, cli, endpoint, smtp_server, tmp_path):
    lander = add_lander("Auto TX", contacts=("intake@smith.example", "boss@smith.example"))
    sample = tmp_path / "lead.json"
    sample.write_text(json.dumps({"first_name": "Ann", "last_name": "Lee", "phone": "2145550100"}))
    out = cli("integrations", "set", str(lander.id), "--parser", "generic_json",
              "--set", f"endpoint={endpoint.url('/leads')}", "--secret", "token=sk-live-777",
              "--sample-lead", str(sample))
    assert out.returncode == 0, out.stderr
    assert "Complete" in out.stdout and "sk-live-777" not in out.stdout
    shown = json.loads(cli("integrations", "show", str(lander.id), "--json").stdout)
    assert shown["parser"] == "Smith Law (Generic JSON)" and shown["secrets"] == {"token": "••••••••"}
    assert shown["missing"] == [] and shown["sample_lead"]["first_name"] == "Ann"

    endpoint.answer("/leads", ACCEPT)
    gathered = json.loads(cli("queue", "gather", "--json").stdout)
    assert len(gathered["integrate"]) == 1
    assert json.loads(cli("queue", "gather", "--json").stdout)["integrate"] == []

    run = cli("queue", "run", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["done"] == 1
    got = endpoint.wait_for(1)
    assert len(got) == 1
    body = json.loads(got[0].body)
    assert "TEST" in json.dumps(body) and "Lee" in json.dumps(body)
    message = smtp_server.wait_for(1)[0]
    assert message.recipients == ["intake@smith.example", "boss@smith.example"]
    assert message.subject == "Integration confirmed: Auto TX (Auto Accident)"
    task = Task.get(Task.kind == "integrate")
    assert task.test_ref in message.body and "R-1" in message.body
    assert "sk-live-777" not in message.raw.decode()
    assert Lander.get_by_id(lander.id).status == "integrated"

    assert cli("queue", "run").returncode == 0
    assert len(endpoint.received) == 1 and len(smtp_server.received) == 1
    listed = json.loads(cli("queue", "list", "--json").stdout)
    assert [(t["kind"], t["status"]) for t in listed] == [("integrate", "done")]
    outbox = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [(e["kind"], e["state"]) for e in outbox] == [("confirmation", "sent")]
    jobs_list = json.loads(cli("jobs", "list", "--json").stdout)
    assert {"gather", "run_queue", "outbox"} <= {j["name"] for j in jobs_list}


def test_mail_test_reaches_the_server_and_errors_are_one_sentence(ctx, cli, smtp_server):
    out = cli("mail", "test", "me@agency.example")
    assert out.returncode == 0, out.stderr
    assert smtp_server.wait_for(1)[0].recipients == ["me@agency.example"]
    bad = cli("mail", "test", "not-an-address")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "not an e-mail address" in bad.stderr


def test_sigkill_mid_run_loses_no_task_and_sends_no_duplicate(ctx, cli_env, data_dir, endpoint, smtp_server):
    from xsc_desktop import integrations

    made = []
    for i in range(4):
        lander = add_lander(f"Lander {i}")
        integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": endpoint.url(f"/l{i}")})
        made.append(lander)
    endpoint.answer("/l0", ACCEPT)
    endpoint.answer("/l1", ACCEPT)
    endpoint.answer("/l2", Reply(200, b"late", delay=60))  # held until the process is killed
    endpoint.answer("/l3", Reply(200, b"late", delay=60))
    cmd = [sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir)]
    env = {**os.environ, "XSC_NO_DEMO": "1", **cli_env}
    subprocess.run([*cmd, "queue", "gather"], check=True, capture_output=True, env=env, cwd=REPO, timeout=60)

    proc = subprocess.Popen([*cmd, "queue", "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        endpoint.wait_for(4, timeout=60)  # two accepted, two hanging in flight
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert Task.select().where(Task.status == "running").count() == 2
    assert smtp_server.received == []  # confirmations go out at the end of the run

    endpoint.answer("/l2", ACCEPT)
    endpoint.answer("/l3", ACCEPT)
    again = subprocess.run([*cmd, "queue", "run", "--json"], capture_output=True, text=True, env=env, cwd=REPO,
                           timeout=60)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["done"] == 2
    assert {t.status for t in Task.select()} == {"done"}
    assert {Lander.get_by_id(lander.id).status for lander in made} == {"integrated"}
    smtp_server.wait_for(4)
    assert Email.select().where(Email.state == "sent").count() == 4
    interrupted = [t for t in Task.select() if any(e.get("event") == "interrupted" for e in t.log)]
    assert len(interrupted) == 2

    third = subprocess.run([*cmd, "queue", "run"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert third.returncode == 0
    assert len(smtp_server.received) == 4
    assert sorted(m.subject for m in smtp_server.received) == sorted(
        f"Integration confirmed: Lander {i} (Auto Accident)" for i in range(4))


def _lines(stream) -> queue_module.Queue:
    """The lines of a subprocess's output as they come, on a queue (None at the end): waiting for one is a
    `get(timeout=...)`, no polling."""
    lines: queue_module.Queue = queue_module.Queue()

    def pump() -> None:
        with stream:
            for line in stream:
                lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next_line_with(lines: queue_module.Queue, text: str, timeout: float = 60) -> str:
    seen = []
    while True:
        line = lines.get(timeout=timeout)  # queue.Empty fails the test when nothing comes
        assert line is not None, "the daemon ended before printing " + repr(text) + ":\n" + "".join(seen)
        seen.append(line)
        if text in line:
            return line


def test_daemon_runs_the_jobs_and_stops_on_sigterm(ctx, cli_env, data_dir):
    from datetime import UTC, datetime, timedelta

    from xsc_desktop import settings
    from xsc_desktop.models import JobRun

    settings.set("jobs.catch_up", "skip")  # the slots missed earlier today are recorded, not run
    now = datetime.now(UTC)
    # Gather was due a minute ago (today's slot, so not on the first minute of the day): it runs at the first check.
    due = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0))
    settings.set("queue.gather_time", due.strftime("%H:%M"))
    cmd = [sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir), "daemon"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "XSC_NO_DEMO": "1", "XSC_TIMEZONE": "UTC", **cli_env})
    lines = _lines(proc.stdout)
    try:
        # Two lines in either order (the first check starts with the thread): what runs, and, since the daemon
        # prints notifications (no tray), the gather's summary saying the job ran; each a whole line.
        got = {}
        while len(got) < 2:
            line = _next_line_with(lines, "")
            key = "running" if line.startswith("Scheduler running:") else "ready" if line.startswith(
                "[info] To-do list ready: ") else None
            if key:
                assert line.count("[info]") + line.count("Scheduler running") == 1, line
                got[key] = line
        assert "gather next" in got["running"] and "run_queue next" in got["running"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.returncode == 0, err
    rest = []
    while (line := lines.get(timeout=10)) is not None:
        rest.append(line)
    assert rest[-1].rstrip() == "Stopped."
    gather_run = JobRun.get(JobRun.job == "gather")
    assert gather_run.state == "done" and not gather_run.slot.startswith("manual:")


def test_sigkill_while_a_confirmation_is_sending_never_sends_it_twice(ctx, cli_env, data_dir, endpoint, smtp_server):
    from xsc_desktop import integrations

    lander = add_lander("Sending")
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": endpoint.url("/s")})
    endpoint.answer("/s", ACCEPT)
    cmd = [sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir)]
    env = {**os.environ, "XSC_NO_DEMO": "1", **cli_env}
    subprocess.run([*cmd, "queue", "gather"], check=True, capture_output=True, env=env, cwd=REPO, timeout=60)
    smtp_server.hold_data()
    proc = subprocess.Popen([*cmd, "queue", "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        smtp_server.wait_for_held(1, timeout=60)  # the confirmation's DATA is with the server, unanswered
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    email = Email.get(Email.kind == "confirmation")
    assert email.state == "sending"
    assert Task.get(Task.kind == "integrate").status == "done"
    assert Lander.get_by_id(lander.id).status == "integrated"
    smtp_server.release()

    again = subprocess.run([*cmd, "queue", "run", "--json"], capture_output=True, text=True, env=env, cwd=REPO,
                           timeout=60)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["total"] == 0
    row = Email.get_by_id(email.id)
    # It may or may not have reached the client: failed with that reason for a person to check, never sent again.
    assert row.state == "failed" and "interrupted" in row.last_error
    assert smtp_server.received == [] and len(endpoint.received) == 1
    outbox = json.loads(subprocess.run([*cmd, "mail", "outbox", "--json"], capture_output=True, text=True, env=env,
                                       cwd=REPO, timeout=60).stdout)
    assert [(e["kind"], e["state"]) for e in outbox] == [("confirmation", "failed")]


def test_a_second_queue_run_on_the_same_database_never_posts_a_task_twice(ctx, cli_env, data_dir, endpoint):
    from xsc_desktop import integrations

    lander = add_lander("Slow")
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": endpoint.url("/slow")})
    endpoint.answer("/slow", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=60))
    cmd = [sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir)]
    env = {**os.environ, "XSC_NO_DEMO": "1", **cli_env}
    subprocess.run([*cmd, "queue", "gather"], check=True, capture_output=True, env=env, cwd=REPO, timeout=60)
    first = subprocess.Popen([*cmd, "queue", "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        endpoint.wait_for(1, timeout=60)
        second = subprocess.run([*cmd, "queue", "run"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
        if cli_env:  # a team's daemons share the run: the task in flight is the first one's, nothing is left
            assert second.returncode == 0, second.stderr
        else:
            assert second.returncode == 1 and "Another queue run is in progress" in second.stderr
        assert len(endpoint.received) == 1  # never posted twice
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
