"""The window on the team's shared PostgreSQL: the status bar names the database (never its password) and whether
it is connected; another operator's change, made by another process, reaches this window's board by itself (LISTEN/
NOTIFY to a Qt signal on the bridge); a banner shows while the server cannot be reached and clears when it is back.
On SQLite the status bar names the file and no listener runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.gui.conftest import close_window
from xsc_desktop import events, landers
from xsc_desktop.models import Lander

REPO = Path(__file__).resolve().parents[2]


def other_operator(url: str, data_dir: Path, code: str) -> subprocess.Popen:
    """Another copy of the app (a process of its own, with its own connection) running `code` on the database."""
    script = textwrap.dedent("""
        import sys
        from xsc_desktop.context import Context
        from xsc_desktop import landers, settings
        ctx = Context.create(sys.argv[1], sys.argv[2])
        ctx.open_database()
        settings.set("operator.name", "Maria")
    """) + textwrap.dedent(code)
    other_dir = data_dir.parent / "maria"
    other_dir.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-c", script, str(other_dir), url], cwd=REPO)


def remote(topic: str):
    return lambda t, payload: t == topic and payload.get("remote") is True


def test_status_bar_names_the_database_and_that_it_is_connected(window, engine, database_url):
    label = window.team.label
    if engine == "sqlite":
        assert label.text() == "SQLite · xsc-desktop.sqlite3"
        assert window.team.listener is None
    else:
        assert label.text().startswith("PostgreSQL · 127.0.0.1:") and label.text().endswith(" · connected")
        password = database_url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
        assert password and password not in label.text() and password not in label.toolTip()
    assert not window.team.banner.isVisible()


def test_another_operators_move_and_new_lander_reach_the_board_by_themselves(window, engine, database_url,
                                                                               data_dir, qtbot):
    if engine == "sqlite":
        pytest.skip("one operator's file: the window hears its own changes as before")
    lander = landers.add_lander(client="Kim Law", campaign="Auto", name="Kim auto", url="https://kim.example/a")
    board = window.show_page("landers")
    board.reload()
    assert window.team.listener.listening.wait(30)
    with qtbot.waitSignal(window.bridge.event, check_params_cb=remote("lander.changed"), timeout=30000):
        other = other_operator(database_url, data_dir, f"landers.set_status({lander.id}, 'ready')")
    assert other.wait(60) == 0
    qtbot.waitUntil(lambda: board.model.rowCount() == 1 and board.model.row_at(0).status == "ready", timeout=5000)
    with qtbot.waitSignal(window.bridge.event, check_params_cb=remote("lander.changed"), timeout=30000):
        other = other_operator(database_url, data_dir, "landers.add_lander(client='Kim Law', campaign='Auto', "
                                                       "name='Kim truck', url='https://kim.example/t')")
    assert other.wait(60) == 0
    qtbot.waitUntil(lambda: board.model.rowCount() == 2, timeout=5000)
    assert Lander.select().count() == 2


def test_a_task_done_by_another_process_reaches_the_queue_page(window, engine, database_url, data_dir, qtbot):
    if engine == "sqlite":
        pytest.skip("one operator's file")
    assert window.team.listener.listening.wait(30)
    lander = landers.add_lander(client="Kim Law", campaign="Auto", name="Kim auto", url="https://kim.example/a")
    from xsc_desktop.models import Task

    task = Task.create(lander=lander, kind="integrate", planned_for="2026-12-05")
    with qtbot.waitSignal(window.bridge.event, check_params_cb=remote("task.changed"), timeout=30000):
        other = other_operator(database_url, data_dir, textwrap.dedent(f"""
            from xsc_desktop.models import Task
            Task.update(status="done").where(Task.id == {task.id}).execute()
        """))
    assert other.wait(60) == 0


@pytest.fixture(scope="module")
def own_server():
    """A PostgreSQL server of this module's own, stopped and started again as an administrator would."""
    from tests.helpers.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
    yield server
    server.stop()


def test_a_banner_shows_while_the_server_is_away_and_clears_when_it_is_back(qtbot, own_server, data_dir,
                                                                            inline_tasks, monkeypatch, message_boxes):
    from cryptography.fernet import Fernet
    from PySide6.QtWidgets import QApplication

    from ui.app import create_window
    from ui.team import BANNER_TEXT
    from xsc_desktop import db, storage
    from xsc_desktop.context import Context
    from xsc_desktop.models import database

    monkeypatch.setenv("XSC_SECRET_KEY", Fernet.generate_key().decode())
    events.clear()
    ctx = Context.create(str(data_dir), own_server.create_database())
    ctx.open_database()
    window = create_window(ctx, QApplication.instance())
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.team.listener.listening.wait(30)
        assert not window.team.banner.isVisible()
        own_server.shut_down()
        qtbot.waitUntil(window.team.banner.isVisible, timeout=30000)
        assert window.team.banner_text.text() == BANNER_TEXT
        assert window.team.label.text().endswith(" · not connected")
        window.show_page("landers").reload()  # a page that needs the server meanwhile: no box, no crash
        window.show_page("activity").reload()
        assert message_boxes == []
        assert "cannot be reached" in window.statusBar().currentMessage()
        own_server.start_again()
        qtbot.waitUntil(lambda: not window.team.banner.isVisible(), timeout=60000)
        assert window.team.label.text().endswith(" · connected")
        assert window.team.listener.listening.wait(30)
    finally:
        close_window(window)
        db.close()
        storage.close_all(database.obj)
        events.clear()


def test_a_lead_delivered_by_another_process_reaches_the_leads_page(window, engine, database_url, data_dir, qtbot):
    if engine == "sqlite":
        pytest.skip("one operator's file")
    from datetime import datetime

    from tests.helpers import lead_rows

    assert window.team.listener.listening.wait(30)
    lander = landers.add_lander(client="Kim Law", campaign="Auto", name="Kim auto", url="https://kim.example/a")
    lead_rows.insert(lead_rows.generate(1, lander.id, start=datetime(2026, 12, 1)))
    with qtbot.waitSignal(window.bridge.event, check_params_cb=remote("lead.imported"), timeout=30000):
        other = other_operator(database_url, data_dir, textwrap.dedent("""
            from xsc_desktop.models import Lead
            Lead.update(delivery_state="delivered").execute()
        """))
    assert other.wait(60) == 0
