"""SIGKILL in the middle of a delivery run: after a restart no lead is lost and none is posted twice, except the
one that was in flight, which is marked uncertain (and resent only when the endpoint is idempotent)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.conftest import REPO
from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import add_leads, wire_lander
from xsc_desktop import settings
from xsc_desktop.models import Delivery, Lead


@pytest.mark.parametrize("idempotent", [False, True])
def test_sigkill_mid_delivery_then_restart(ctx, data_dir, cli, idempotent):
    settings.set("delivery.per_host_limit", 1)
    ok = Reply(200, b'{"success": true}', {"Content-Type": "application/json"})
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", ok, ok, ok, ok, Reply(200, b'{"success": true}', delay=60), ok)
        integration = wire_lander(endpoint.url("/leads"), idempotent=idempotent)
        ids = add_leads(integration.lander_id, 10)
        env = {**os.environ, "XSC_NO_DEMO": "1"}
        run = subprocess.Popen([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir), "deliver",
                                "--once"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            endpoint.wait_for(5, timeout=30)  # the fifth lead is in flight, its answer held back
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=10)
        finally:
            if run.poll() is None:
                run.kill()
            run.stdout.close()
            run.stderr.close()
        # The lead in flight shows as being sent (claimed), the rest wait untouched.
        assert [Lead.get_by_id(i).delivery_state for i in ids] == ["delivered"] * 4 + ["sending"] + ["new"] * 5
        assert [d.state for d in Delivery.select().order_by(Delivery.id)] == ["accepted"] * 4 + ["sending"]

        again = cli("deliver", "--once")
        assert again.returncode == 0, again.stderr

        sent = Counter(json.loads(r.body)["last_name"] for r in endpoint.received)
        in_flight = "Test4"
        assert set(sent) == {f"Test{n}" for n in range(10)}  # no lead lost
        assert all(count == 1 for name, count in sent.items() if name != in_flight)
        first = Delivery.select().where(Delivery.lead == ids[4]).order_by(Delivery.id).first()
        assert first.state == "uncertain"
        if idempotent:
            assert sent[in_flight] == 2
            assert Lead.get_by_id(ids[4]).delivery_state == "delivered"
        else:
            assert sent[in_flight] == 1
            assert Lead.get_by_id(ids[4]).delivery_state == "uncertain"
        assert [Lead.get_by_id(i).delivery_state for i in ids[5:]] == ["delivered"] * 5
