"""Feed pull against a paging feed server on 127.0.0.1: cursor persisted, no lead twice, none skipped."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from xsc_desktop import lead_feed, leads
from xsc_desktop.models import Lander, Lead


def lead(n):
    return {"lead_id": f"F{n}", "first_name": "Ana", "last_name": f"Feed{n}", "email": f"f{n}@example.com"}


class FeedServer:
    """Answers GET /feed?cursor=C from a script: {cursor: [answers...]} (the last answer repeats)."""

    def __init__(self, script):
        self.script = {k: list(v) for k, v in script.items()}
        self.asked: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # http.server's name
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                cursor = parse_qs(urlsplit(self.path).query).get("cursor", [None])[0]
                server.asked.append(cursor)
                answers = server.script.get(cursor) or [(404, "text/plain", b"no such page")]
                status, kind, body, *declared = answers.pop(0) if len(answers) > 1 else answers[0]
                # A fourth item is the Content-Length to announce: more than sent, then the connection closes
                # (a feed cut mid-body).
                length = declared[0] if declared else len(body)
                head = (f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {length}\r\n\r\n")
                self.wfile.write(head.encode() + body)  # one write
                if declared:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def page(items, cursor):
    return 200, "application/json", json.dumps({"leads": items, "next": cursor}).encode()


HTML = (200, "text/html", b"<!DOCTYPE html><html><body>Bad gateway</body></html>")


@pytest.fixture
def feed_lander(ctx):
    from xsc_desktop.landers import add_lander

    return add_lander(client="Acme Law", campaign="Auto", name="Feed lander", url="https://landers.example/feed")


def serve(lander, script):
    server = FeedServer(script)
    Lander.update(feed_url=server.url).where(Lander.id == lander.id).execute()
    return server


def external_ids():
    return sorted(lead.external_id for lead in Lead.select())


def test_paging_with_a_restart_in_the_middle(feed_lander, cli):
    server = serve(feed_lander, {None: [page([lead(1), lead(2)], "2")], "2": [page([lead(3), lead(4)], "3")],
                                 "3": [HTML, page([lead(5)], None)]})
    try:
        report = leads.pull_feed(feed_lander.id)
        assert "web page" in report.error
        assert external_ids() == ["F1", "F2", "F3", "F4"]
        assert Lander.get_by_id(feed_lander.id).feed_cursor == "3"
        # A new process picks up from the stored cursor.
        done = cli("leads", "pull", "--lander", str(feed_lander.id), "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)[0]["imported"] == 1
        assert external_ids() == ["F1", "F2", "F3", "F4", "F5"]
        assert server.asked == [None, "2", "3", "3"]  # page 1 and 2 fetched once each
        again = leads.pull_feed(feed_lander.id)  # the last page again: nothing new, nothing twice
        assert again.imported == 0 and again.already_there == 1
        assert Lead.select().count() == 5
    finally:
        server.close()


def test_invalid_json_keeps_the_cursor_and_says_so(feed_lander):
    server = serve(feed_lander, {None: [page([lead(1)], "2")], "2": [(200, "application/json", b'{"leads": [')]})
    try:
        report = leads.pull_feed(feed_lander.id)
        assert "not valid JSON" in report.error
        assert external_ids() == ["F1"]
        assert Lander.get_by_id(feed_lander.id).feed_cursor == "2"
    finally:
        server.close()


def test_cursor_going_backwards_is_refused_with_one_message(feed_lander):
    Lander.update(feed_cursor="10").where(Lander.id == feed_lander.id).execute()
    server = serve(feed_lander, {"10": [page([lead(1)], "7")]})
    try:
        report = leads.pull_feed(feed_lander.id)
        assert "goes back" in report.error
        assert external_ids() == ["F1"]  # the leads are kept
        assert Lander.get_by_id(feed_lander.id).feed_cursor == "10"
    finally:
        server.close()


def test_plain_array_polled_twice_stores_each_lead_once(feed_lander):
    body = json.dumps([lead(1), lead(2)]).encode()
    server = serve(feed_lander, {None: [(200, "application/json", body)]})
    try:
        assert leads.pull_feed(feed_lander.id).imported == 2
        assert leads.pull_feed(feed_lander.id).imported == 0
        assert Lead.select().count() == 2
    finally:
        server.close()


def test_set_feed_checks_the_url_and_resets_the_cursor(feed_lander, cli):
    from xsc_desktop.errors import UserError

    Lander.update(feed_cursor="9").where(Lander.id == feed_lander.id).execute()
    lander = leads.set_feed(feed_lander.id, "https://landers.example/feed.json")
    assert (lander.feed_url, lander.feed_cursor) == ("https://landers.example/feed.json", None)
    with pytest.raises(UserError, match="not a web address"):
        leads.set_feed(feed_lander.id, "ftp://x")
    done = cli("leads", "feed", "--lander", str(feed_lander.id), "--remove")
    assert done.returncode == 0 and "feed: none" in done.stdout


def test_a_feed_cut_mid_body_is_one_message_and_the_other_feeds_are_still_pulled(feed_lander, cli):
    from xsc_desktop.landers import add_lander

    body = json.dumps([lead(1), lead(2)]).encode()
    cut = serve(feed_lander, {None: [(200, "application/json", body[:20], len(body))]})
    other = add_lander(client="Acme Law", campaign="Auto", name="Second feed", url="https://landers.example/two")
    whole = serve(other, {None: [(200, "application/json", json.dumps([lead(3)]).encode())]})
    try:
        reports = {r.lander_id: r for r in leads.pull_all_feeds()}
        assert "stopped in the middle of its answer" in reports[feed_lander.id].error
        assert "\n" not in reports[feed_lander.id].error
        assert reports[other.id].imported == 1 and not reports[other.id].error
        assert external_ids() == ["F3"]
        assert Lander.get_by_id(feed_lander.id).feed_cursor is None
        done = cli("leads", "pull", "--lander", str(feed_lander.id))
        assert "Traceback" not in done.stderr and "stopped in the middle" in done.stdout + done.stderr
    finally:
        cut.close()
        whole.close()


def test_pull_all_feeds_goes_on_after_an_unexpected_failure(feed_lander, monkeypatch, caplog):
    from xsc_desktop.landers import add_lander

    other = add_lander(client="Acme Law", campaign="Auto", name="Second feed", url="https://landers.example/two")
    server = serve(other, {None: [(200, "application/json", json.dumps([lead(3)]).encode())]})
    Lander.update(feed_url="https://landers.example/broken").where(Lander.id == feed_lander.id).execute()
    real = lead_feed.pull_feed

    def pull(lander_id, **kwargs):
        if lander_id == feed_lander.id:
            raise RuntimeError("a bug on the way")
        return real(lander_id, **kwargs)

    monkeypatch.setattr(lead_feed, "pull_feed", pull)
    try:
        reports = {r.lander_id: r for r in leads.pull_all_feeds()}
    finally:
        server.close()
    assert "failed unexpectedly" in reports[feed_lander.id].error
    assert reports[other.id].imported == 1
    assert any(f"lander {feed_lander.id}" in r.getMessage() and r.exc_info for r in caplog.records)
