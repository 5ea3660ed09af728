"""One instance per data dir, and the crash dialog's report."""

from __future__ import annotations

from ui.app import CrashReporter, SingleInstance, instance_name


def test_second_instance_brings_the_first_forward(qtbot, tmp_path):
    name = instance_name(tmp_path)
    first = SingleInstance(name)
    first.listen()
    second = SingleInstance(name)
    with qtbot.waitSignal(first.raise_requested, timeout=5000):
        assert second.another_is_running()
    first.server.close()
    assert not SingleInstance(instance_name(tmp_path / "other")).another_is_running()


def test_unexpected_exception_gives_a_copyable_report(qtbot, tmp_path, monkeypatch):
    reporter = CrashReporter(tmp_path / "xsc-desktop.log")
    monkeypatch.setattr(reporter, "_show", lambda report: None)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        with qtbot.waitSignal(reporter.crashed, timeout=2000) as blocker:
            reporter._hook(type(exc), exc, exc.__traceback__)
    assert "RuntimeError: boom in a slot" in blocker.args[0]
