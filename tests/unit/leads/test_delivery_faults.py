"""Delivery against endpoints that answer too slowly to be honest: an answer dripped a byte at a time ends at the
parser's timeout (headers or body), and the lead is handled as any answer that never came."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from parsers.render import OutgoingRequest
from tests.helpers.endpoint import Reply
from tests.helpers.lead_world import add_leads, wire_lander
from xsc_desktop import delivery, posting
from xsc_desktop.models import Delivery, Lead

NOW = datetime(2026, 11, 28, 9, 0, 0)
SLOW_BODY = b'{"success": true, "id": "' + b"7" * 200 + b'"}'


@pytest.mark.parametrize("drip_body", [False, True], ids=["headers", "body"])
def test_a_dripping_answer_ends_at_the_timeout_not_per_read(endpoint, drip_body):
    # 0.05 s between bytes keeps every socket read far inside the 0.5 s timeout; the whole answer takes 12 s.
    endpoint.answer("/drip", Reply(200, SLOW_BODY, {"Content-Type": "application/json"}, drip=0.05,
                                   drip_body=drip_body))
    attempt = posting.post(OutgoingRequest("POST", endpoint.url("/drip"), {}, b"{}"), timeout=0.5,
                           session=posting.pass_session())
    assert attempt.status is None and attempt.error_kind == "timeout"
    assert "no answer within 0.5 s" in attempt.error
    endpoint.wait_for_cut_drips(1)  # we hung up long before the answer's end


def test_a_lead_posted_to_a_dripping_endpoint_is_uncertain_and_never_posted_again(ctx, endpoint):
    endpoint.answer("/leads", Reply(200, SLOW_BODY, {"Content-Type": "application/json"}, drip=0.05))
    integration = wire_lander(endpoint.url("/leads"), idempotent=False, timeout=0.5)
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    row = Delivery.get(Delivery.lead == lead)
    assert (row.state, Lead.get_by_id(lead).delivery_state) == ("uncertain", "uncertain")
    delivery.deliver_once(NOW + timedelta(hours=1))
    assert len(endpoint.received) == 1
