"""The delivery workers' requests session: the environment (proxies, CA bundle, ~/.netrc) read once per host per
pass gives what requests gives when it reads it for every request."""

from __future__ import annotations

import requests

from xsc_desktop import delivery

URLS = ("http://a.example/leads", "http://skip.example/leads", "https://a.example/leads", "http://a.example/other")


def test_environment_settings_are_those_of_requests_and_read_once_per_host(monkeypatch, tmp_path):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3129")
    monkeypatch.setenv("NO_PROXY", "skip.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "bundle.pem"))
    plain = requests.Session()
    session = delivery._pass_session()
    lookups = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", lambda *a, **k: lookups.append(a) or real(*a, **k))
    for _round in range(3):
        for url in URLS:
            ours = session.merge_environment_settings(url, {}, None, True, None)
            theirs = plain.merge_environment_settings(url, {}, None, True, None)
            assert {**ours, "proxies": dict(ours["proxies"])} == {**theirs, "proxies": dict(theirs["proxies"])}
    # requests looked 12 times; the pass session once per scheme and host (a.example twice: http and https).
    assert len(lookups) == 12 + 3


def test_netrc_credentials_still_apply_and_are_looked_up_once_per_host(monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine a.example login ana password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    lookups = []
    real = requests.utils.get_netrc_auth
    monkeypatch.setattr(requests.utils, "get_netrc_auth", lambda *a, **k: lookups.append(a) or real(*a, **k))
    session = delivery._pass_session()
    for _round in range(2):
        with_auth = session.prepare_request(requests.Request("POST", "http://a.example/leads", data=b"x"))
        without = session.prepare_request(requests.Request("POST", "http://b.example/leads", data=b"x"))
        assert with_auth.headers["Authorization"] == requests.Session().prepare_request(
            requests.Request("POST", "http://a.example/leads", data=b"x")).headers["Authorization"]
        assert "Authorization" not in without.headers
    assert session.trust_env
    assert len(lookups) == 2  # once per host, not once per request


def test_a_host_gets_another_worker_only_while_every_worker_waits_for_an_answer():
    import threading
    from collections import deque

    crew = delivery._Crew(deque(["job", "job"]), limit=2)
    release = threading.Event()
    worker = threading.Thread(target=release.wait, args=(10,))
    crew.threads.append(worker)
    worker.start()
    try:
        assert not crew.wants_another(100.0)  # not posting (between requests): no helper
        crew.waiting_since[worker.ident] = 100.0
        assert not crew.wants_another(100.0 + delivery.RAMP_AFTER / 2)  # a quick answer is on its way
        assert crew.wants_another(100.0 + delivery.RAMP_AFTER)  # the host is slow: one more request at once
        crew.threads.append(threading.Thread(target=release.wait))
        assert not crew.wants_another(200.0)  # the per-host limit is reached
    finally:
        release.set()
        worker.join(10)
