"""The delivery workers' requests session: the environment (proxies, CA bundle, ~/.netrc) read once per host per
pass gives what requests gives when it reads it for every request."""

from __future__ import annotations

import requests

from xsc_desktop import posting

URLS = ("http://a.example/leads", "http://skip.example/leads", "https://a.example/leads", "http://a.example/other")


def _as_requests_sees_it(session: requests.Session, url: str) -> dict:
    """What the pass session hands to a request, merged the way requests merges it (trust_env is off)."""
    proxies, verify, _auth = session.environment_for(url)
    merged = session.merge_environment_settings(url, dict(proxies), None, verify, None)
    return {**merged, "proxies": dict(merged["proxies"])}


def test_environment_settings_are_those_of_requests_and_read_once_per_host(monkeypatch, tmp_path):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3129")
    monkeypatch.setenv("NO_PROXY", "skip.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "bundle.pem"))
    plain = requests.Session()
    lookups = []
    real = requests.utils.get_environ_proxies
    monkeypatch.setattr(requests.utils, "get_environ_proxies", lambda *a, **k: lookups.append(a) or real(*a, **k))
    session = posting.pass_session()
    assert not session.trust_env
    for _round in range(3):
        for url in URLS:
            theirs = plain.merge_environment_settings(url, {}, None, True, None)
            assert _as_requests_sees_it(session, url) == {**theirs, "proxies": dict(theirs["proxies"])}
    # once per scheme and host (a.example twice: http and https), however many requests
    assert len(lookups) == 3


def test_netrc_credentials_still_apply_and_are_looked_up_once_per_host(monkeypatch, tmp_path, endpoint):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login ana password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    lookups = []
    real = requests.utils.get_netrc_auth
    monkeypatch.setattr(requests.utils, "get_netrc_auth", lambda *a, **k: lookups.append(a) or real(*a, **k))
    from parsers.render import OutgoingRequest

    session = posting.pass_session()
    for _round in range(2):
        attempt = posting.post(OutgoingRequest("POST", endpoint.url("/leads"), {}, b"x"), session=session, timeout=5)
        assert attempt.status == 200
    expected = requests.Session().prepare_request(
        requests.Request("POST", endpoint.url("/leads"), data=b"x")).headers["Authorization"]
    assert [got.header("Authorization") for got in endpoint.wait_for(2)] == [expected, expected]
    assert len(lookups) == 1  # once per host, not once per request
