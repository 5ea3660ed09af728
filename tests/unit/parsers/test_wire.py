"""What a real HTTP server on 127.0.0.1 receives is byte for byte the rendered request."""

from __future__ import annotations

import pytest
import requests

from parsers.presets import PRESET_NAMES, preset
from parsers.render import render
from tests.unit.parsers.test_render import LEAD, SECRETS, SETTINGS


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_received_bytes_equal_the_rendered_request(endpoint, name):
    spec = preset(name)
    settings = dict(SETTINGS, endpoint=endpoint.url("/leads/post"))
    request = render(spec, LEAD, settings, SECRETS, test=True)
    # Point the request at the local endpoint, keeping path and query exactly.
    local_url = endpoint.base_url + "/" + request.url.split("/", 3)[3]
    with requests.Session() as session:
        answer = session.request(request.method, local_url, headers=request.headers, data=request.body or None,
                                 allow_redirects=False, timeout=5)
    assert answer.status_code == 200
    got = endpoint.wait_for(1)[0]
    assert got.method == request.method
    assert endpoint.base_url + got.target == local_url
    assert got.body == request.body
    for header, value in request.headers.items():
        assert got.header(header) == value


def test_endpoint_scripts_answers_in_order_then_repeats_the_last(endpoint):
    from tests.helpers.endpoint import Reply

    endpoint.answer("/flaky", Reply(503, b"busy"), Reply(200, b"OK|7", {"X-Id": "7"}))
    with requests.Session() as session:
        statuses = [session.post(endpoint.url("/flaky"), data=b"x", timeout=5).status_code for _ in range(3)]
        last = session.get(endpoint.url("/flaky"), timeout=5)
    assert statuses == [503, 200, 200]
    assert last.text == "OK|7" and last.headers["X-Id"] == "7"
    assert [r.method for r in endpoint.wait_for(4)] == ["POST", "POST", "POST", "GET"]
