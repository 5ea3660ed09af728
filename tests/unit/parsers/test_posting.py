"""posting.post against a real recording endpoint on 127.0.0.1: bytes, outcomes, timeouts, redirects, caps."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from parsers.presets import preset
from parsers.render import render
from parsers.spec import ParserSpec
from tests.helpers.endpoint import Reply
from tests.unit.parsers.test_render import LEAD, SECRETS, SETTINGS
from xsc_desktop.posting import KEEP_BYTES, post


def _spec(url: str, **extra) -> ParserSpec:
    return ParserSpec.from_dict({"name": "local", "url": url, "body_format": "json",
                                 "mappings": [{"target": "first", "field": "first_name"}], **extra})


def test_the_endpoint_receives_the_rendered_bytes_and_the_answer_is_classified(endpoint):
    endpoint.answer("/leads/post", status=200, body=b'{"result":"success","lead_id":"LP-9"}',
                    headers={"Content-Type": "application/json"})
    spec = preset("leadspedia")
    spec.url = endpoint.url("/leads/post")
    request = render(spec, LEAD, SETTINGS, SECRETS, test=True)
    attempt = post(request, spec)
    got = endpoint.wait_for(1)[0]
    assert got.body == request.body and got.method == "POST" and got.target == "/leads/post"
    assert got.header("Content-Type") == "application/x-www-form-urlencoded"
    assert (attempt.status, attempt.outcome.kind, attempt.outcome.remote_id) == (200, "accepted", "LP-9")
    assert attempt.body_excerpt == '{"result":"success","lead_id":"LP-9"}' and attempt.error is None
    assert attempt.elapsed >= 0 and not attempt.truncated


@pytest.mark.parametrize("reply, kind, retryable, retry_after", [
    (Reply(201, b""), "accepted", False, None),
    (Reply(200, b"ERR|DUPLICATE"), "duplicate", False, None),
    (Reply(200, b'{"outcome":"failure","reason":"Failed email validation"}'), "rejected", False, None),
    (Reply(422, b'{"errors":{"email":["is invalid"]}}'), "rejected", False, None),
    (Reply(429, b"", {"Retry-After": "17"}), "error", True, 17.0),
    (Reply(503, b"<html><title>Service Unavailable</title></html>"), "error", True, None),
    (Reply(200, b"\x00\xff\xfe binary \x00"), "accepted", False, None),
    (Reply(200, "rejected: caf\xe9".encode("latin-1"), {"Content-Type": "text/plain; charset=utf-8"}),
     "rejected", False, None),
])
def test_answer_shapes_over_the_wire(endpoint, reply, kind, retryable, retry_after):
    endpoint.answer("/p", reply)
    spec = _spec(endpoint.url("/p"))
    attempt = post(render(spec, {"first_name": "Ann"}), spec)
    assert (attempt.outcome.kind, attempt.outcome.retryable, attempt.outcome.retry_after) == (kind, retryable, retry_after)


def test_no_answer_in_time_is_a_retryable_error_unless_the_parser_is_not_idempotent(endpoint):
    endpoint.answer("/slow", delay=30)
    spec = _spec(endpoint.url("/slow"), timeout=0.2)
    attempt = post(render(spec, {"first_name": "Ann"}), spec)
    assert attempt.status is None and attempt.outcome.kind == "error" and attempt.outcome.retryable
    assert attempt.error == "127.0.0.1 gave no answer within 0.2 s"
    spec.retry.idempotent = False
    unsure = post(render(spec, {"first_name": "Ann"}), spec, timeout=0.2)
    assert not unsure.outcome.retryable and "may have the lead" in unsure.outcome.reason


def test_a_dropped_connection_and_a_refused_one_are_retryable_errors(endpoint):
    endpoint.answer("/drop", drop=True)
    spec = _spec(endpoint.url("/drop"))
    dropped = post(render(spec, {"first_name": "Ann"}), spec)
    assert dropped.status is None and dropped.outcome.retryable
    assert dropped.error == "127.0.0.1 closed the connection before answering"

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused_spec = _spec(f"http://127.0.0.1:{port}/x")
    refused = post(render(refused_spec, {"first_name": "Ann"}), refused_spec)
    assert refused.outcome.kind == "error" and refused.outcome.retryable
    assert refused.error.startswith("Could not connect to 127.0.0.1")


def test_same_host_redirects_are_followed_with_the_body_kept_for_307(endpoint):
    endpoint.answer("/old", status=307, headers={"Location": "/new"}, body=b"")
    endpoint.answer("/new", status=200, body=b"OK|5")
    spec = _spec(endpoint.url("/old"))
    request = render(spec, {"first_name": "Ann"})
    attempt = post(request, spec)
    first, second = endpoint.wait_for(2)
    assert (first.target, second.target) == ("/old", "/new")
    assert second.method == "POST" and second.body == request.body
    assert attempt.outcome.remote_id == "5" and attempt.redirects == [endpoint.url("/new")]


def test_a_302_after_a_post_is_followed_as_a_get_like_a_browser(endpoint):
    endpoint.answer("/form", status=302, headers={"Location": "/thanks"}, body=b"")
    endpoint.answer("/thanks", status=200, body=b"<html><title>Thank you</title></html>")
    spec = _spec(endpoint.url("/form"))
    attempt = post(render(spec, {"first_name": "Ann"}), spec)
    assert [(r.method, r.body) for r in endpoint.wait_for(2)][1] == ("GET", b"")
    assert attempt.outcome.kind == "accepted"


def test_a_redirect_to_another_host_is_not_followed_so_credentials_stay_home(endpoint):
    endpoint.answer("/p", status=307, headers={"Location": f"http://localhost:{endpoint.port}/steal"}, body=b"")
    spec = _spec(endpoint.url("/p"), auth={"kind": "bearer", "secret": "tok"})
    attempt = post(render(spec, {"first_name": "Ann"}, {}, {"tok": "T0P-SECRET"}), spec)
    assert len(endpoint.wait_for(1)) == 1
    assert [r.target for r in endpoint.received] == ["/p"]
    assert attempt.status == 307 and attempt.outcome.kind == "error" and not attempt.outcome.retryable
    assert "redirect" in attempt.outcome.reason


def test_a_huge_answer_is_kept_capped_and_still_classified(endpoint):
    endpoint.answer("/big", status=200, body=b"OK|77\n" + b"x" * (3 * 1024 * 1024))
    spec = _spec(endpoint.url("/big"))
    attempt = post(render(spec, {"first_name": "Ann"}), spec)
    assert attempt.truncated and len(attempt.body_excerpt) == KEEP_BYTES
    assert attempt.outcome.kind == "accepted" and attempt.outcome.remote_id == "77"


def test_secrets_are_masked_in_what_the_attempt_keeps(endpoint):
    endpoint.answer("/p", drop=True)
    spec = _spec(endpoint.url("/p"), static=[{"name": "key", "location": "query", "secret": True}])
    attempt = post(render(spec, {"first_name": "Ann"}, {}, {"key": "S3CR3T"}), spec)
    assert "S3CR3T" not in repr(attempt.to_dict())
    assert attempt.url.endswith("key=••••")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool to make a self-signed certificate")
def test_tls_certificates_are_verified(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        spec = _spec(f"https://127.0.0.1:{server.server_address[1]}/p", timeout=5)
        attempt = post(render(spec, {"first_name": "Ann"}), spec)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert attempt.status is None and attempt.outcome.kind == "error" and not attempt.outcome.retryable
    assert "TLS certificate" in attempt.error


def test_a_secret_echoed_back_by_the_client_is_masked_in_reason_headers_and_body(endpoint):
    endpoint.answer("/echo", status=401, headers={"X-Echo": "key=S3CR3T-KEY", "Content-Type": "application/json"},
                    body=b'{"success": false, "message": "Invalid key in /echo?key=S3CR3T-KEY"}')
    spec = _spec(endpoint.url("/echo"), static=[{"name": "key", "location": "query", "secret": True}])
    attempt = post(render(spec, {"first_name": "Ann"}, {}, {"key": "S3CR3T-KEY"}), spec)
    assert attempt.outcome.kind == "rejected" and "Invalid key" in attempt.outcome.reason
    assert "S3CR3T-KEY" not in repr(attempt.to_dict())
    assert "S3CR3T-KEY" not in attempt.outcome.reason + attempt.body_excerpt + repr(attempt.headers)
