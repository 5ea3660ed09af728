"""A recording HTTP endpoint on 127.0.0.1 for tests: it stands in for a client's intake system.

    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", status=200, body=b'{"success": true, "id": 7}',
                        headers={"Content-Type": "application/json"})
        endpoint.answer("/slow", delay=5)                       # answers after 5 s (or at close)
        endpoint.answer("/drop", drop=True)                     # closes the connection without answering
        endpoint.answer("/drip", Reply(drip=0.1))                # writes its answer one byte per 0.1 s
        endpoint.answer("/flaky", Reply(503), Reply(200, body=b"OK|1"))   # 503 first, then 200 for ever
        ... post to endpoint.url("/leads") ...
        got = endpoint.wait_for(1)[0]                           # Received(method, path, query, headers, body)
        assert got.body == request.body

- Every request is recorded with the exact bytes of its body (chunked bodies are de-chunked).
- Each response is written in ONE write with TCP_NODELAY, so keep-alive clients are not slowed by
  Nagle + delayed ACK and timings measure the client, not this server.
- Paths without an answer get 200 "OK". Replies given for a path are used in order; the last repeats.
- `delay` waits on an event, not a sleep: `close()` releases waiting handlers at once.
- As a pytest fixture (see tests/unit/parsers/conftest.py):

      @pytest.fixture
      def endpoint():
          with RecordingEndpoint() as server:
              yield server
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree


@dataclass
class Reply:
    """One scripted answer: status, headers, body bytes; `delay` seconds before answering; `drop` to close
    the connection without a word; `raw` to write these exact bytes instead of a well-formed answer; `drip` seconds
    between single bytes of the answer (from its first byte, or from the body with `drip_body`)."""

    status: int = 200
    body: bytes | str = b"OK"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    raw: bytes | None = None
    drip: float = 0.0
    drip_body: bool = False


@dataclass
class Received:
    """One request as the endpoint saw it: method, path, query string, headers (in order) and body bytes."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called `name` (ignoring case), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def target(self) -> str:
        """Path plus query, as in the request line."""
        return self.path + (f"?{self.query}" if self.query else "")


class RecordingEndpoint:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) recording requests and answering per path."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._replies: dict[str, list[Reply]] = {}
        self._lock = threading.Condition()
        self._closing = threading.Event()
        self.drips_cut = 0  # dripped answers the client hung up on before their end
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                body = self._read_body()
                record = Received(self.command, parts.path, parts.query, list(self.headers.items()), body)
                reply = endpoint._next_reply(parts.path)
                with endpoint._lock:
                    endpoint.received.append(record)
                    endpoint._lock.notify_all()
                if reply.delay:
                    endpoint._closing.wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if reply.raw is not None:
                    self.wfile.write(reply.raw)
                    self.close_connection = True
                    return
                payload = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                lines = [f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}".rstrip()]
                names = {k.lower() for k in reply.headers}
                for name, value in reply.headers.items():
                    lines.append(f"{name}: {value}")
                if "content-length" not in names:
                    lines.append(f"Content-Length: {len(payload)}")
                if "content-type" not in names and payload:
                    lines.append("Content-Type: text/plain; charset=utf-8")
                head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                if reply.drip:
                    self._drip(head, payload, reply)
                    return
                self.wfile.write(head + (payload if self.command != "HEAD" else b""))  # one write

            def _drip(self, head: bytes, payload: bytes, reply: Reply) -> None:
                data = head + payload
                start = len(head) if reply.drip_body else 0
                try:
                    self.wfile.write(data[:start])
                    for i in range(start, len(data)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        if endpoint._closing.wait(reply.drip):
                            return
                except OSError:
                    with endpoint._lock:
                        endpoint.drips_cut += 1
                        endpoint._lock.notify_all()
                    self.close_connection = True

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                import sys

                # A client that hangs up early (timeouts, capped reads) is part of the tests, not a failure.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        # A short poll interval lets close() return at once instead of after serve_forever's default 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="recording-endpoint",
                                        daemon=True)
        self._thread.start()

    # ---- scripting ---------------------------------------------------------------------------------------------
    def url(self, path: str = "/") -> str:
        """The full URL of `path` on this endpoint."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def answer(self, path: str, *replies: Reply, status: int = 200, body: bytes | str = b"OK",
               headers: dict[str, str] | None = None, delay: float = 0.0, drop: bool = False) -> None:
        """Script the answers for `path`: the given Reply objects in order (the last repeats), or one reply
        built from the keyword arguments."""
        scripted = list(replies) or [Reply(status, body, dict(headers or {}), delay, drop)]
        with self._lock:
            self._replies[path] = scripted

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            queue = self._replies.get(path)
            if not queue:
                return Reply()
            return queue.pop(0) if len(queue) > 1 else queue[0]

    # ---- reading -----------------------------------------------------------------------------------------------
    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until at least `count` requests arrived (or fail after `timeout` s); return them all."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} request(s), got {len(self.received)} in {timeout} s")
            return list(self.received)

    def wait_for_cut_drips(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until the client hung up on `count` dripped answers (or fail after `timeout` s)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.drips_cut >= count, timeout):
                raise AssertionError(f"expected {count} dripped answer(s) cut, got {self.drips_cut}")

    def close(self) -> None:
        """Stop serving and release handlers waiting on a delay."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RecordingEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sent_values(got) -> dict[str, str]:
    """Every name=value the endpoint received: query, headers, and a form, JSON or XML body."""
    values = dict(parse_qsl(got.query, keep_blank_values=True))
    values.update({k: v for k, v in got.headers})
    body = got.body.decode("utf-8", "replace").strip()
    if body.startswith("{"):
        def walk(node, prefix=""):
            for k, v in node.items():
                if isinstance(v, dict):
                    walk(v, f"{prefix}{k}.")
                else:
                    values[f"{prefix}{k}"] = str(v)
        walk(json.loads(body))
    elif body.startswith("<"):
        values.update({el.tag: (el.text or "") for el in ElementTree.fromstring(body).iter()})
    elif body:
        values.update(dict(parse_qsl(body, keep_blank_values=True)))
    return values
