"""`xsc-desktop daemon`: the scheduled jobs without a window, until SIGTERM or SIGINT."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("daemon", help="run the scheduled jobs (gather, queue run, deliveries, reports, e-mail) "
                       "without a window until stopped")
    p.set_defaults(handler=run_cmd)


def run_cmd(args, ctx) -> int:
    import signal
    import sys
    import threading

    from xsc_desktop import events, jobs
    from xsc_desktop.scheduled import default_jobs

    ctx.open_database()
    stopped = threading.Event()
    print_lock = threading.Lock()

    def say(line: str) -> None:
        # Notifications come from the scheduler's threads: one whole line at a time, never two mixed together.
        with print_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def on_signal(signum, _frame) -> None:
        stopped.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    # Without a tray, notifications are printed (and logged) so a service manager's journal keeps them.
    unsubscribe = events.subscribe("notify", lambda _t, p: say(f"[{p.get('level', 'info')}] {p.get('title')}: "
                                                                 f"{p.get('message')}"))
    from xsc_desktop import reconnect

    untell = reconnect.tell_changes(lambda line: say(f"[warning] {line}"))
    scheduler = jobs.Scheduler(jobs=default_jobs, headless=True)
    scheduler.start()
    say("Scheduler running: " + ", ".join(f"{i.name} next {jobs.show_time(i.next_run)}"
                                          for i in scheduler.describe()) + ". Stop with Ctrl+C or SIGTERM.")
    try:
        while not stopped.wait(0.5):
            if not scheduler.is_alive():
                break
    finally:
        say("Stopping: waiting for a running job to reach a safe point...")
        scheduler.stop(timeout=120)
        unsubscribe()
        untell()
        for s, handler in previous.items():
            signal.signal(s, handler)
    say("Stopped.")
    return 0
