"""The Parsers page previews and tests a lander's parser with that lander's saved settings; unfilled settings
are problems, never a quiet stand-in."""

from __future__ import annotations

import json

import pytest

from tests.helpers.endpoint import Reply
from xsc_desktop import integrations, landers


@pytest.fixture
def page(window, qtbot):
    window.show_page("parsers")
    parsers_page = window.pages["parsers"]
    parsers_page.ask_unsaved = lambda: "discard"
    qtbot.waitUntil(lambda: parsers_page.list_model.rowCount() > 0)
    return parsers_page


def _wire(endpoint_url: str, name: str = "Baker auto"):
    lander = landers.add_lander(client="Baker Law", campaign="Auto", name=name,
                                url=f"https://baker.example/{name.split()[-1]}")
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": endpoint_url},
                                 secrets={"token": "sk-live-1"})
    return lander


def test_a_lander_parser_previews_and_sends_with_the_landers_settings(page, qtbot, endpoint):
    endpoint.answer("/baker", Reply(200, b'{"success": true, "id": "B-1"}', {"Content-Type": "application/json"}))
    _wire(endpoint.url("/baker"))
    page.reload()
    assert page.select_parser("Baker Law (Generic JSON)")
    assert page.preview.lander_combo.currentText() == "Baker Law — Baker auto"
    page.refresh_preview()
    text = page.preview.request_view.toPlainText()
    assert endpoint.url("/baker") in text and "sk-live-1" not in text
    assert not any("not filled in" in line for line in page.preview.problem_texts())
    with qtbot.waitSignal(page.test_finished, timeout=10000) as finished:
        page.send_test()
    assert finished.args[0].status == 200
    received = endpoint.wait_for(1)[0]
    assert received.path == "/baker" and json.loads(received.body)


def test_unfilled_settings_are_problems_not_a_quiet_stand_in(page):
    assert page.select_parser("generic_json", is_preset=True)
    page.refresh_preview()
    problems = page.preview.problem_texts()
    assert any(line.startswith("✖") and "endpoint is not filled in" in line for line in problems)
    assert page.preview.problems_title.text() != "No problems"
