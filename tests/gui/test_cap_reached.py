"""A daily cap filled by the real delivery loop: the Landers board says "Cap reached today" on the lander (read off
the GUI thread once per refresh) and the tray tells the operator once a day per integration."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import wire_lander
from ui.models.landers_model import CAP_REACHED
from xsc_desktop import delivery, events, settings
from xsc_desktop.delivery_rules import DeliveryRules
from xsc_desktop.models import Integration, Lead, utcnow


@pytest.fixture
def capped(ctx):
    settings.set("delivery.posts_per_minute", 0)
    with RecordingEndpoint() as server:
        server.answer("/leads", Reply(200, b'{"success": true, "id": "C-1"}', {"Content-Type": "application/json"}))
        integration = wire_lander(server.url("/leads"), name="Auto TX")
        other = wire_lander(server.url("/leads"), name="Truck OK")
        Integration.update(delivery_rules=DeliveryRules.from_dict({"caps": {"day": 1}, "time_zone": "UTC"}).to_json()
                           ).where(Integration.id == integration.id).execute()
        now = utcnow()
        for n in range(2):
            Lead.create(lander=integration.lander_id, first_name="Ana", last_name=f"L{n}", phone="2145552000",
                        captured_at=now, received_at=now)
        yield integration, other, server


def notices(window):
    return [n for n in window.notifications.items if n.title == "Daily cap reached"]


def test_the_board_and_the_tray_say_the_cap_is_reached(window, qtbot, capped):
    integration, other, server = capped
    board = window.show_page("landers")
    delivery.deliver_once()
    assert len(server.received) == 1
    qtbot.waitUntil(lambda: len(notices(window)) == 1, timeout=5000)
    notice = notices(window)[0]
    assert notice.message.startswith("Auto TX: Cap of 1 a day reached; more leads wait and go from ")
    assert notice.level == "warning" and notice.page == "leads" and "→" not in notice.message

    board.reload()
    qtbot.waitUntil(lambda: board.model.capped() == {integration.lander_id}, timeout=5000)
    cells = {board.model.row_at(r).id: board.model.index(r, 5) for r in range(board.model.rowCount())}
    assert cells[integration.lander_id].data() == CAP_REACHED
    assert "daily cap" in cells[integration.lander_id].data(3)  # the tooltip says what it means
    assert cells[other.lander_id].data() in ("", None)


def test_the_tray_tells_once_a_day_per_integration(window, qtbot):
    day = [date(2026, 12, 1)]
    window.cap_notices.today = lambda: day[0]
    payload = {"integration_id": 7, "lander_id": 3, "name": "Auto TX → Smith Law (Lead Docket)", "whose": "client",
               "rule": "Client cap of 40 a day", "until": "2026-12-02 06:00:00"}
    for _ in range(3):
        events.publish("integration.capped", **payload)
    events.publish("integration.capped", **{**payload, "integration_id": 8, "name": "Truck OK → P"})
    qtbot.waitUntil(lambda: len(notices(window)) == 2, timeout=5000)
    assert "counted over all the client's landers" in notices(window)[1].message
    day[0] = date(2026, 12, 2)
    events.publish("integration.capped", **payload)
    qtbot.waitUntil(lambda: len(notices(window)) == 3, timeout=5000)
