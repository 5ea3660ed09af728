"""Real-style posting docs become working requests with no edits: each doc of the second blind series is
analysed, turned into a parser setup the way Apply does, rendered for a sample lead and posted to a local
endpoint standing in for the client's system. What arrives carries the doc's names and fixed values, and no
test, debug or forbidden value is ever live."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

import pytest

from parsers.render import render, sample_lead
from tests.conftest import REPO
from tests.helpers.endpoint import RecordingEndpoint, sent_values
from xsc_desktop.intake.extract import extract_file
from xsc_desktop.intake.pipeline import analyze
from xsc_desktop.intake.store import build_parser_setup
from xsc_desktop.posting import post

BLIND2 = REPO / "tests" / "fixtures" / "postingdocs_blind2"
NEVER_LIVE = ("debug", "test_lead", "testmode", "test", "istest", "dupcheck", "return_best_price", "f9updatecrm")


def _post_doc(expected: dict, endpoint: RecordingEndpoint) -> dict[str, str]:
    draft = analyze(extract_file(BLIND2 / expected["file"]), expected["file"])
    live = urlsplit(draft["endpoint"])
    local = urlsplit(endpoint.url("/"))
    draft["endpoint"] = urlunsplit((local.scheme, local.netloc, live.path, live.query, ""))
    setup = build_parser_setup(draft, expected["file"])
    assert setup.missing == [], setup.missing
    request = render(setup.spec, sample_lead(), setup.settings, setup.secrets)
    attempt = post(request, setup.spec, timeout=5)
    assert attempt.status == 200
    (got,) = endpoint.wait_for(1)
    assert got.path == live.path
    return sent_values(got)


@pytest.mark.slow
def test_real_style_docs_post_their_names_and_fixed_values_and_nothing_for_tests():
    working = []
    for exp_path in sorted(BLIND2.glob("*.expected.json")):
        expected = json.loads(exp_path.read_text())
        with RecordingEndpoint() as endpoint:
            sent = _post_doc(expected, endpoint)
        low = {k.lower(): v for k, v in sent.items()}
        assert not [k for k in low if k in NEVER_LIVE], (expected["file"], sent)
        names_ok = all(name.lower() in low for name in expected["fields"])
        statics_ok = all(low.get(k.lower()) == v for k, v in expected["static"].items())
        if names_ok and statics_ok:
            working.append(expected["file"])
    assert len(working) >= 15, working
