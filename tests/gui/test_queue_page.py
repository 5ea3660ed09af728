"""The Queue and Outbox pages, the Settings e-mail tools and the scheduler's GUI side, with real servers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from tests.helpers.endpoint import Reply
from xsc_desktop import clients, events, integrations, landers, queue
from xsc_desktop.models import Client, Email, Lander, Task

ACCEPT = Reply(200, b'{"success": true, "id": "R-9"}', {"Content-Type": "application/json"})


def add_lander(name, *, flags=(), new_client=False, client="Smith Law"):
    lander = landers.add_lander(client=client, campaign="Auto Accident", name=name,
                                url=f"https://lp.example/{name.replace(' ', '-').lower()}", status="ready",
                                flags=list(flags), new_client=new_client)
    clients.set_client(Client.get(Client.name == client).id, contacts=["intake@smith.example"])
    return lander


def wire(lander, url):
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": url})


def queue_page(window, qtbot):
    page = window.show_page("queue")
    qtbot.waitUntil(lambda: page.date_filter.count() > 0, timeout=5000)
    return page


def select(page, task_id):
    row = page.model.row_of(task_id)
    assert row >= 0
    page.table.selectRow(row)
    return page.model.row_at(row)


def test_queue_model_passes_the_model_tester(ctx, qtmodeltester, endpoint):
    from ui.models.queue_model import QueueModel

    wire(add_lander("Auto TX"), endpoint.url("/a"))
    add_lander("Meso", flags=["dq"], new_client=True, client="Jones LLP")
    queue.gather()
    model = QueueModel()
    model.set_rows(queue.list_tasks())
    qtmodeltester.check(model)
    assert model.row_at(0).kind == "new_client"


def test_outbox_model_passes_the_model_tester(ctx, qtmodeltester):
    from ui.models.outbox_model import OutboxModel, load_outbox
    from xsc_desktop import mail

    mail.queue_email(kind="alert", to=["a@b.example"], subject="s", body="b")
    model = OutboxModel()
    model.set_rows(load_outbox())
    qtmodeltester.check(model)


def test_gather_run_and_live_states(window, qtbot, endpoint, smtp_server):
    ready = add_lander("Auto TX")
    wire(ready, endpoint.url("/a"))
    endpoint.answer("/a", ACCEPT)
    add_lander("Meso", flags=["rightsignature"], new_client=True, client="Jones LLP")
    page = queue_page(window, qtbot)
    assert page.model.rowCount() == 0

    with qtbot.waitSignal(page.action_finished, timeout=10000) as gathered:
        page.gather_button.click()
    assert "1 to integrate" in gathered.args[0]
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
    assert [page.model.row_at(r).kind for r in range(3)] == ["new_client", "integrate", "custom_script"]

    integrate_task = Task.get(Task.kind == "integrate")
    seen = []
    events.subscribe("task.changed", lambda t, p: seen.append(p["status"]))
    with qtbot.waitSignal(page.action_finished, timeout=20000) as finished:
        page.run_button.click()
    assert "1 done, 0 failed" in finished.args[0]
    qtbot.waitUntil(lambda: page.model.row_at(page.model.row_of(integrate_task.id)).status == "done", timeout=5000)
    assert "running" in seen and seen[-1] == "done"
    select(page, integrate_task.id)
    qtbot.waitUntil(lambda: "accepted" in page.log_view.toPlainText(), timeout=5000)
    assert "POST " + endpoint.url("/a") in page.log_view.toPlainText()
    assert Lander.get_by_id(ready.id).status == "integrated"
    assert len(smtp_server.wait_for(1)) == 1


def test_task_events_from_another_thread_patch_the_row(window, qtbot, endpoint):
    wire(add_lander("Auto TX"), endpoint.url("/a"))
    queue.gather()
    page = queue_page(window, qtbot)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    task = page.model.row_at(0)
    thread = threading.Thread(target=lambda: events.publish("task.changed", task_id=task.id, status="running",
                                                            attempts=1, reason=""))
    thread.start()
    thread.join(5)
    qtbot.waitUntil(lambda: page.model.row_at(0).status == "running", timeout=5000)
    assert page.model.row_at(0).attempts == 1


def test_skip_retry_and_tick_off(window, qtbot, endpoint, smtp_server):
    lander = add_lander("Auto TX", flags=["reroute"])
    wire(lander, endpoint.url("/a"))
    endpoint.answer("/a", ACCEPT)
    queue.gather()
    page = queue_page(window, qtbot)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    integrate_task = Task.get(Task.kind == "integrate")
    script = Task.get(Task.kind == "custom_script")

    select(page, integrate_task.id)
    assert page.skip_button.isEnabled() and not page.tick_button.isEnabled()
    with qtbot.waitSignal(page.action_finished, timeout=5000):
        page.skip_selected("client on holiday")
    assert Task.get_by_id(integrate_task.id).status == "skipped"
    assert Lander.get_by_id(lander.id).status == "ready"
    qtbot.waitUntil(lambda: page.model.row_at(page.model.row_of(integrate_task.id)).status == "skipped", timeout=5000)
    select(page, integrate_task.id)
    assert page.retry_button.isEnabled()
    with qtbot.waitSignal(page.action_finished, timeout=20000):
        page.retry_selected()
    assert Task.get_by_id(integrate_task.id).status == "done"

    select(page, script.id)
    assert page.tick_button.isEnabled()
    with qtbot.waitSignal(page.action_finished, timeout=5000):
        page.tick_selected("script deployed")
    assert Task.get_by_id(script.id).status == "done"


def test_outbox_page_shows_reason_and_resends(window, qtbot, smtp_server):
    from xsc_desktop import mail

    smtp_server.fail_next(550, "No such user")
    email = mail.queue_email(kind="confirmation", to=["ghost@firm.example"], subject="Integration confirmed: X",
                             body="Hello", dedupe_key="confirmation:task:99")
    mail.send_pending()
    page = window.show_page("outbox")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.row_at(0)["state"] == "failed" and "refused" in page.model.row_at(0)["last_error"]
    page.table.selectRow(0)
    assert "Hello" in page.message_view.toPlainText() and page.resend_button.isEnabled()
    with qtbot.waitSignal(page.action_finished, timeout=10000) as done:
        page.resend_button.click()
    assert "1 sent" in done.args[0]
    assert Email.get_by_id(email.id).state == "sent"
    assert smtp_server.wait_for(1)[0].recipients == ["ghost@firm.example"]


def test_settings_test_email_and_template_preview(window, qtbot, smtp_server):
    page = window.show_page("settings")
    page.reload()
    tools = page.mail_tools
    page.set_value("mail.confirmation_subject", "Live: {lander} {nope}")
    assert "Subject: Live: Auto Accident TX {nope}" in tools.preview.toPlainText()
    assert "{nope}" in tools.warning.text()
    page.set_value("mail.confirmation_subject", "Integration confirmed: {lander}")
    assert tools.warning.text() == ""
    tools.test_to.setText("me@agency.example")
    tools.test_button.click()
    qtbot.waitUntil(lambda: tools.test_result.text().startswith("Sent"), timeout=10000)
    assert smtp_server.wait_for(1)[0].recipients == ["me@agency.example"]


def test_scheduler_gui_side(window, qtbot, monkeypatch):
    from ui import scheduling
    from xsc_desktop import jobs

    assert window.scheduler is not None and window.close_guard == window.scheduler_control.close_guard
    assert not window.scheduler.is_alive()  # never started under pytest unless asked
    window.scheduler_control.activate(start_thread=False)
    qtbot.waitUntil(lambda: window.scheduler_label.text().startswith("Next:"), timeout=5000)
    assert "gather" in window.scheduler_label.text()
    assert window.scheduler_control.close_guard() is True  # nothing running: close without asking
    now = datetime.now(UTC)
    infos = [jobs.JobInfo("gather", "Gather", "daily_local", now + timedelta(hours=2)),
             jobs.JobInfo("deliver", "Deliver", "interval", now)]
    assert scheduling.next_runs_text(infos, paused=False).startswith("Next: gather ")
    assert scheduling.next_runs_text(infos, paused=True) == "Scheduler paused"
    window.scheduler_control.toggle_pause()
    qtbot.waitUntil(lambda: window.scheduler_label.text() == "Scheduler paused", timeout=5000)
    window.scheduler_control.toggle_pause()
    qtbot.waitUntil(lambda: window.scheduler_label.text().startswith("Next:"), timeout=5000)


def test_close_guard_asks_while_a_job_runs(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    control = window.scheduler_control
    monkeypatch.setattr(type(window.scheduler), "running_job", property(lambda self: "run_queue"))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    assert control.close_guard() is False
    assert "is running" in asked[0]


def test_the_page_never_waits_on_the_run(window, qtbot, endpoint, smtp_server):
    """With real worker threads, the GUI keeps answering while the run waits on a slow endpoint."""
    from PySide6.QtWidgets import QApplication

    from ui import workers

    for i in range(3):
        wire(add_lander(f"L{i}"), endpoint.url(f"/s{i}"))
        endpoint.answer(f"/s{i}", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=0.5))
    queue.gather()
    page = queue_page(window, qtbot)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
    workers.set_runner(None)
    try:
        page.run_button.click()
        assert not page.run_button.isEnabled()  # returned at once: the run is in a worker
        qtbot.waitUntil(lambda: page.progress.isVisible(), timeout=10000)
        with qtbot.waitSignal(page.action_finished, timeout=30000):
            pass
        assert {page.model.row_at(r).status for r in range(3)} == {"done"}
    finally:
        # Every page reload the run set off (the board hears lander changes too) must land before teardown.
        workers.set_runner(workers.run_inline)
        assert workers.wait_for_tasks(10000)
        QApplication.processEvents()


def test_missed_run_question_runs_the_slot_on_yes(window, qtbot):
    from PySide6.QtWidgets import QMessageBox

    from xsc_desktop import jobs
    from xsc_desktop.models import JobRun

    ran = []
    scheduler = window.scheduler
    scheduler._jobs = {"gather": jobs.JobDef("gather", lambda now: ran.append(threading.current_thread().name)
                                             or "gathered", daily_local_setting="queue.gather_time")}
    scheduler.clock = jobs.ManualClock(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # today's 15:00 not due yet
    scheduler.tz = UTC
    scheduler.poll_seconds = 0.05
    scheduler.start()
    events.publish("job.missed", job="gather", label="Gather the to-do list", slot="2026-11-27T15:00+00:00",
                   planned_at="2026-11-27T15:00:00+00:00")
    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible() for w in window.findChildren(QMessageBox)),
                    timeout=5000)
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert "Gather the to-do list was due" in box.text()
    box.done(QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: len(ran) == 1, timeout=5000)
    assert ran == ["xsc-scheduler"]  # run by the scheduler's thread, which quitting waits for
    qtbot.waitUntil(lambda: JobRun.get(JobRun.slot == "2026-11-27T15:00+00:00").state == "done", timeout=5000)
    assert scheduler.stop(timeout=10)


def test_close_guard_asks_while_a_queue_run_from_the_window_runs(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(queue, "running", lambda: True)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    assert window.scheduler_control.close_guard() is True
    assert asked[0].startswith("The queue run is running")


def test_integration_dialog_fills_what_gather_needs(window, qtbot):
    from ui.dialogs.integration_dialog import IntegrationAction, IntegrationDialog, load_state
    from xsc_desktop.landers import list_landers

    lander = add_lander("Auto TX")
    assert any(isinstance(a, IntegrationAction) for a in window.lander_actions)
    dialog = IntegrationDialog(load_state(lander.id), window)
    qtbot.addWidget(dialog)
    assert "no parser" in dialog.missing.text()
    dialog.parser.setCurrentIndex(dialog.parser.findData("lead_docket"))
    assert set(dialog.setting_edits) == {"firm", "form_id"} and set(dialog.secret_edits) == {"apikey"}
    dialog.setting_edits["firm"].setText("smith")
    dialog.setting_edits["form_id"].setText("12")
    dialog.secret_edits["apikey"].setText("sk-dialog-1")
    dialog.sample.setPlainText('{"first_name": "Ann"}')
    dialog.save()
    assert dialog.result() == IntegrationDialog.DialogCode.Accepted
    assert integrations.missing_info(lander) == []
    shown = integrations.view(lander.id)
    assert shown.secrets == {"apikey": "••••••••"} and shown.sample_lead == {"first_name": "Ann"}

    again = IntegrationDialog(load_state(lander.id), window)
    qtbot.addWidget(again)
    assert again.secret_edits["apikey"].text() == "" and "set" in again.secret_edits["apikey"].placeholderText()
    again.sample.setPlainText("[1, 2]")
    again.save()
    assert "one JSON object" in again.problem.text()
    again.sample.setPlainText('{"first_name": "Ann"}')
    again.save()  # an empty secret field keeps the secret
    assert integrations.secrets_for(integrations.get_integration(lander.id)) == {"apikey": "sk-dialog-1"}
    row = next(r for r in list_landers() if r.id == lander.id)
    action = next(a for a in window.lander_actions if isinstance(a, IntegrationAction))
    action.run(row)
    qtbot.waitUntil(lambda: action.dialog is not None and action.dialog.isVisible(), timeout=5000)
    action.dialog.reject()


def test_tray_menu_gets_the_scheduler_entries_above_quit(window, qtbot):
    from PySide6.QtWidgets import QMenu

    from ui.scheduling import add_tray_entries

    menu = QMenu()
    menu.addAction("Open XSC Desktop")
    window.tray_menu = menu
    window.tray_quit_separator = menu.addSeparator()
    menu.addAction("Quit")
    add_tray_entries(window, window.scheduler_control)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Open XSC Desktop", "Gather now", "Run queue now", "Pause scheduler", "", "Quit"]
    window.tray_menu = None


def test_times_in_the_queue_and_outbox_tables_are_local(ctx, monkeypatch, endpoint):
    from ui.models.outbox_model import OutboxModel, load_outbox
    from ui.models.queue_model import COLUMNS, QueueModel
    from xsc_desktop import mail

    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    wire(add_lander("Auto TX"), endpoint.url("/a"))
    queue.gather()
    stored = datetime(2026, 11, 28, 13, 3)  # naive UTC, as the database keeps it
    Task.update(updated_at=stored).execute()
    model = QueueModel()
    model.set_rows(queue.list_tasks())
    assert model.data(model.index(0, COLUMNS.index("Updated"))) == "2026-11-28 08:03"
    email = mail.queue_email(kind="alert", to=["a@b.example"], subject="s", body="b")
    Email.update(created_at=stored, sent_at=datetime(2026, 7, 1, 12, 0), state="sent").where(
        Email.id == email.id).execute()
    outbox = OutboxModel()
    outbox.set_rows(load_outbox())
    assert outbox.data(outbox.index(0, 0)) == "2026-11-28 08:03"  # EST
    assert outbox.data(outbox.index(0, 7)) == "2026-07-01 08:00"  # EDT


def test_resending_a_sent_message_asks_first(window, qtbot, smtp_server, message_boxes, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from xsc_desktop import mail

    email = mail.queue_email(kind="confirmation", to=["intake@smith.example"], subject="Integration confirmed: X",
                             body="Hello", dedupe_key="confirmation:task:7")
    mail.send_pending()
    smtp_server.wait_for(1)
    page = window.show_page("outbox")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    page.table.selectRow(0)
    assert page.resend_button.isEnabled()
    page.resend_button.click()  # the recorded question answers No
    assert [kind for kind, _title, _text in message_boxes] == ["question"]
    assert "was sent to intake@smith.example already" in message_boxes[0][2]
    assert Email.get_by_id(email.id).state == "sent" and len(smtp_server.received) == 1

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(page.action_finished, timeout=10000) as done:
        page.resend_button.click()
    assert "1 sent" in done.args[0]
    assert len(smtp_server.wait_for(2)) == 2


def test_page_and_tray_gather_and_run_through_the_scheduler_control(window, qtbot, endpoint, smtp_server,
                                                                     monkeypatch):
    from xsc_desktop.models import JobRun

    control = window.scheduler_control
    used = []
    for name in ("gather_now", "run_queue_now"):
        original = getattr(control, name)
        monkeypatch.setattr(control, name, lambda *a, _o=original, _n=name: used.append(_n) or _o(*a))
    wire(add_lander("Auto TX"), endpoint.url("/a"))
    endpoint.answer("/a", ACCEPT)
    page = queue_page(window, qtbot)
    messages = []
    monkeypatch.setattr(window, "status_message", lambda text, ms=0: messages.append(text))
    with qtbot.waitSignal(page.action_finished, timeout=10000) as gathered:
        page.gather_button.click()
    assert gathered.args[0] == "To-do list gathered: 1 to integrate."
    assert JobRun.get(JobRun.job == "gather").slot.startswith("manual:")  # the scheduler's manual run
    with qtbot.waitSignal(page.action_finished, timeout=20000) as ran:
        page.run_button.click()
    assert ran.args[0] == "Queue run: 1 done, 0 failed; 1 confirmation(s) sent."
    assert used == ["gather_now", "run_queue_now"]
    assert messages[-1] == ran.args[0] and "To-do list gathered: 1 to integrate." in messages


def test_quitting_waits_for_a_running_job_without_freezing(window, qtbot):
    """stop_all keeps the event loop turning while a job reaches its safe point, behind a small wait window."""
    from PySide6.QtCore import QTimer

    from xsc_desktop import jobs
    from xsc_desktop.models import JobRun

    control, scheduler = window.scheduler_control, window.scheduler
    started, release = threading.Event(), threading.Event()

    def long_step(now):
        started.set()
        assert release.wait(30)  # a step that cannot look at the stop event (a post in flight)
        return "finished its step"

    scheduler._jobs = {"long": jobs.JobDef("long", long_step, every_seconds_setting="delivery.interval_seconds")}
    scheduler.poll_seconds = 0.05
    scheduler.start()
    assert started.wait(10)
    shown, ticks = [], []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(1))
    heartbeat.start()

    def on_shown():
        shown.append(control.stopping_dialog.isVisible())
        shown.append(len(ticks))
        release.set()

    control.stopping_shown.connect(on_shown)
    try:
        assert control.stop_all() is True
    finally:
        release.set()
        heartbeat.stop()
    assert shown[0] is True and shown[1] > 0  # the window showed while timers still ran
    assert control.stopping_dialog is None and not scheduler.is_alive()
    assert JobRun.get(JobRun.job == "long").detail == "finished its step"


def test_quit_now_stops_waiting(window, qtbot):
    from xsc_desktop import jobs

    control, scheduler = window.scheduler_control, window.scheduler
    started, release = threading.Event(), threading.Event()

    def stuck(now):
        started.set()
        release.wait(30)
        return "late"

    scheduler._jobs = {"stuck": jobs.JobDef("stuck", stuck, every_seconds_setting="delivery.interval_seconds")}
    scheduler.poll_seconds = 0.05
    scheduler.start()
    thread = scheduler._thread
    assert started.wait(10)
    control.stopping_shown.connect(lambda: control.stopping_dialog.quit_now.click())
    try:
        assert control.stop_all() is False  # left without waiting
        assert thread.is_alive()
    finally:
        release.set()
        thread.join(10)


def test_outbox_offers_interrupted_messages_again_in_one_click(window, qtbot, smtp_server, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from xsc_desktop import mail

    email = mail.queue_email(kind="confirmation", to=["ops@firm.example"], subject="Integration confirmed: Y",
                             body="Hello", dedupe_key="confirmation:task:98")
    Email.update(state="sending").where(Email.id == email.id).execute()  # as a killed sender leaves it
    mail.send_pending()
    page = window.show_page("outbox")
    qtbot.waitUntil(lambda: page.interrupted_button.isEnabled(), timeout=5000)
    assert page.interrupted_button.text() == "Resend interrupted (1)"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(page.action_finished, timeout=10000) as done:
        page.interrupted_button.click()
    assert "1 sent" in done.args[0]
    assert Email.get_by_id(email.id).state == "sent"
    assert len(smtp_server.wait_for(1)) == 1
    qtbot.waitUntil(lambda: not page.interrupted_button.isEnabled(), timeout=5000)


def test_run_with_nothing_gathered_offers_to_gather_the_ready_landers_first(window, qtbot, endpoint, smtp_server):
    wire(add_lander("Auto TX"), endpoint.url("/a"))
    endpoint.answer("/a", ACCEPT)
    page = queue_page(window, qtbot)
    asked = []
    page.ask_gather_first = lambda ready: asked.append(ready) or True
    with qtbot.waitSignal(page.action_finished, timeout=20000) as ran:
        page.run_button.click()
    assert asked == [1]
    assert ran.args[0] == "Queue run: 1 done, 0 failed; 1 confirmation(s) sent."
    assert len(endpoint.received) == 1


def test_a_running_queue_shows_stop_and_stop_leaves_the_rest_pending(window, qtbot, endpoint, smtp_server):
    from ui import workers

    for i in range(3):
        wire(add_lander(f"L{i}"), endpoint.url(f"/s{i}"))
        endpoint.answer(f"/s{i}", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=0.3))
    queue.gather()
    page = queue_page(window, qtbot)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
    assert page.stop_button.isHidden()
    workers.set_runner(None)
    try:
        page.run_button.click()
        qtbot.waitUntil(lambda: page.stop_button.isVisible() and page._run_stop is not None, timeout=10000)
        with qtbot.waitSignal(page.action_finished, timeout=30000) as finished:
            page.stop_button.click()
            assert page.stop_button.text() == "Stopping…"
        assert "left pending" in finished.args[0] or "done" in finished.args[0]
        assert page.stop_button.isHidden()
    finally:
        workers.set_runner(workers.run_inline)
        assert workers.wait_for_tasks(10000)
    statuses = {t.status for t in Task.select()}
    assert "running" not in statuses


def test_a_task_waiting_for_its_retry_says_so_with_the_attempt_and_time(window, qtbot, endpoint, monkeypatch):
    from ui.models.queue_model import STATUS_COLUMN

    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    wire(add_lander("Auto TX"), endpoint.url("/a"))
    queue.gather()
    task = Task.get(Task.kind == "integrate")
    task.attempts, task.reason = 1, "HTTP 503 (retrying)"
    task.log = [{"at": "2026-12-04T15:41:30Z", "attempt": 1, "status": 503, "outcome": "error",
                 "elapsed_ms": 0, "next_try_in_s": 30.0, "max_attempts": 3}]
    task.save()
    page = queue_page(window, qtbot)
    qtbot.waitUntil(lambda: page.model.row_of(task.id) >= 0, timeout=5000)
    text = page.model.index(page.model.row_of(task.id), STATUS_COLUMN).data()
    assert text == "Retrying (attempt 2 of 3, next at 10:42)"
