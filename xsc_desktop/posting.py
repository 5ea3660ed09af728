"""Send one rendered request and classify the answer: the single HTTP path of parsers.

    attempt = post(request, spec)        # Attempt(status, headers, body_excerpt, elapsed, outcome, error)

One attempt, no retries (delivery decides about retries from `attempt.outcome.retryable`). Safety:
- TLS certificates are verified; a timeout is always set (the spec's, or the caller's).
- Redirects are never followed automatically: only one to the same scheme, host and port is followed
  (at most 5), so credentials never travel to another host; any other redirect is reported.
- At most `KEEP_BYTES` of the answer are kept (decoded safely), up to `DISCARD_BYTES` more are read and
  dropped so the connection can be reused, and a bigger answer closes the connection.
- Connection errors and timeouts become retryable error outcomes, never exceptions.

Each thread gets its own `requests.Session` (sessions are not thread-safe), kept for reuse. A work-queue pass
uses `pass_session()`: a session that does not read the environment per request; the pass reads it (proxy
variables, CA bundle, ~/.netrc) once per scheme and host through requests' own helpers and hands it to each
request, which is what requests would have found (a third of a fast post otherwise).

A total deadline: an attempt ends at the parser's timeout however the answer trickles in (headers and body), not
only when one socket read stalls: a watchdog shuts the connection's socket at the deadline and the attempt is a
timeout ("no answer within N s").
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from parsers.outcome import Outcome, TransportError, classify, decode_body
from parsers.render import OutgoingRequest, mask_text

if TYPE_CHECKING:
    import requests

    from parsers.spec import ParserSpec

KEEP_BYTES = 64 * 1024
DISCARD_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
REDIRECT_CODES = (301, 302, 303, 307, 308)

_local = threading.local()


@dataclass(frozen=True)
class Attempt:
    """One posting attempt: HTTP status (None when no answer), answer headers, the kept body text,
    seconds taken, the classified outcome, and a plain error sentence when no answer came back.
    `body_bytes` counts the answer bytes read; `truncated` says the body was longer than what is kept;
    `url` is the final URL (after same-host redirects), secrets masked. `error_kind` is the transport error's kind
    when no answer came back ("connect", "timeout", "dropped", "tls", "invalid", "other"), else None: callers decide
    from it, never from the wording of `error`."""

    status: int | None
    headers: dict[str, str]
    body_excerpt: str
    elapsed: float
    outcome: Outcome
    error: str | None = None
    body_bytes: int = 0
    truncated: bool = False
    url: str = ""
    redirects: list[str] = field(default_factory=list)
    error_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the outcome nested under "outcome")."""
        return {"status": self.status, "headers": dict(self.headers), "body_excerpt": self.body_excerpt,
                "elapsed": round(self.elapsed, 4), "outcome": self.outcome.to_dict(), "error": self.error,
                "body_bytes": self.body_bytes, "truncated": self.truncated, "url": self.url,
                "redirects": list(self.redirects)}


def new_session() -> requests.Session:
    """A requests.Session as posting uses it: TLS verification on, no auto retries, connections that the total
    deadline can cut."""
    import requests

    session = requests.Session()
    session.verify = True
    session.max_redirects = MAX_REDIRECTS
    adapter = _watched_adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def session_for_thread() -> requests.Session:
    """This thread's requests.Session, created on first use (TLS verification on, no auto retries)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = new_session()
    return session


def pass_session() -> requests.Session:
    """A session for one worker of one pass that reads the environment once per scheme and host (see the module
    docstring): `trust_env` is off, and `post` asks `session.environment_for(url)` for (proxies, verify, auth) as
    requests would compute them: proxies from the *_proxy variables unless NO_PROXY names the host, the CA bundle
    from REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, credentials from ~/.netrc."""
    from requests.utils import get_environ_proxies, get_netrc_auth

    session = new_session()
    session.trust_env = False
    known: dict[tuple[str, str], tuple[dict[str, str], Any, Any]] = {}

    def environment_for(url: str) -> tuple[dict[str, str], Any, Any]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = known.get(key)
        if found is None:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            found = known[key] = (get_environ_proxies(url, no_proxy=None), verify, get_netrc_auth(url))
        return found

    session.environment_for = environment_for  # type: ignore[attr-defined]
    return session


def close_thread_session() -> None:
    """Close this thread's session (a worker thread calls it before it ends)."""
    session = getattr(_local, "session", None)
    if session is not None:
        session.close()
        _local.session = None


def post(request: OutgoingRequest, spec: ParserSpec | None = None, *, session: requests.Session | None = None,
         timeout: float | None = None, clock: Callable[[], float] = time.monotonic) -> Attempt:
    """Send `request` once and classify the answer with `spec`'s rules; never raises for network trouble.

    `timeout` (seconds) overrides the spec's; `clock` is injectable for tests.
    """
    import requests

    session = session or session_for_thread()
    limit = float(timeout if timeout is not None else (spec.timeout if spec is not None else 20.0))
    if limit <= 0:
        limit = 20.0
    timeouts = (min(CONNECT_TIMEOUT, limit), limit)
    secrets = request.secret_values
    started = clock()

    method, url, body = request.method, request.url, request.body
    headers = dict(request.headers)
    redirects: list[str] = []
    environment = getattr(session, "environment_for", None)
    watch = _Watch(limit)
    _local.watch = watch
    try:
        while True:
            if environment is None:
                response = session.request(method, url, headers=headers, data=body or None, allow_redirects=False,
                                           stream=True, timeout=timeouts, verify=True)
            else:
                # requests' documented prepared-request path, with the environment this pass read once for the
                # host: Session.request would read it again (and merge empty settings) for every post.
                proxies, verify, auth = environment(url)
                prepared = session.prepare_request(requests.Request(method, url, headers=headers, data=body or None,
                                                                    auth=auth, params=""))
                response = session.send(prepared, allow_redirects=False, stream=True, timeout=timeouts,
                                        verify=verify, proxies=dict(proxies), cert=None)
            location = response.headers.get("Location")
            if response.status_code in REDIRECT_CODES and location and len(redirects) < MAX_REDIRECTS:
                target = urljoin(url, location)
                if _same_origin(url, target):
                    response.close()
                    redirects.append(mask_text(target, secrets))
                    if response.status_code in (301, 302, 303) and method != "GET":
                        # What browsers do: the follow-up of a 301/302/303 to a POST is a GET without body.
                        method, body = "GET", b""
                        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                    url = target
                    continue
            break
        kept, total, truncated = _read_capped(response)
        answer_headers = dict(response.headers)
        status = response.status_code
        if watch.expired:
            raise requests.exceptions.ReadTimeout("total deadline")
    except requests.exceptions.ConnectTimeout:
        return _failed(spec, TransportError("connect", f"Could not connect to {_host(url)} within {timeouts[0]:g} s; "
                                            "check the endpoint or try again later"), started, clock, url, secrets)
    except requests.exceptions.ReadTimeout:
        return _failed(spec, TransportError("timeout", f"{_host(url)} gave no answer within {limit:g} s"),
                       started, clock, url, secrets)
    except requests.exceptions.SSLError:
        return _failed(spec, TransportError("tls", f"The TLS certificate of {_host(url)} could not be verified; "
                                            "ask the client to fix it (leads are never sent unencrypted to it)"),
                       started, clock, url, secrets)
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidHeader, ValueError) as exc:
        return _failed(spec, TransportError("invalid", f"The request cannot be sent: {_plain(exc, secrets)}"),
                       started, clock, url, secrets)
    except requests.exceptions.ConnectionError as exc:
        if watch.expired:
            return _failed(spec, TransportError("timeout", f"{_host(url)} gave no answer within {limit:g} s"),
                           started, clock, url, secrets)
        if _never_connected(exc):
            error = TransportError("connect", f"Could not connect to {_host(url)}; check the endpoint or try again later")
        else:
            error = TransportError("dropped", f"{_host(url)} closed the connection before answering")
        return _failed(spec, error, started, clock, url, secrets)
    except requests.exceptions.RequestException as exc:
        return _failed(spec, TransportError("other", f"Sending failed: {_plain(exc, secrets)}"),
                       started, clock, url, secrets)
    finally:
        _local.watch = None
        watch.disarm()

    elapsed = clock() - started
    outcome = classify(spec, status, answer_headers, kept, elapsed)
    # A client may echo what we sent ("Invalid key ... ?key=..."): nothing kept from the answer shows a secret.
    if secrets:
        outcome = replace(outcome, reason=mask_text(outcome.reason, secrets), remote_id=mask_text(outcome.remote_id,
                                                                                                  secrets))
        answer_headers = {name: mask_text(value, secrets) for name, value in answer_headers.items()}
    excerpt = mask_text(decode_body(kept, answer_headers.get("Content-Type", "")), secrets)
    return Attempt(status=status, headers=answer_headers, body_excerpt=excerpt,
                   elapsed=elapsed, outcome=outcome, body_bytes=total, truncated=truncated,
                   url=mask_text(url, secrets), redirects=redirects)


def _read_capped(response: requests.Response) -> tuple[bytes, int, bool]:
    """Keep the first KEEP_BYTES, read and drop up to DISCARD_BYTES more, close the connection beyond."""
    import requests

    kept = bytearray()
    total = 0
    try:
        for chunk in response.iter_content(chunk_size=16384):
            total += len(chunk)
            if len(kept) < KEEP_BYTES:
                kept += chunk[: KEEP_BYTES - len(kept)]
            if total > KEEP_BYTES + DISCARD_BYTES:
                break
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        pass  # a broken or cut-off body still classifies on what arrived
    finally:
        response.close()
    return bytes(kept), total, total > KEEP_BYTES


def _failed(spec: ParserSpec | None, error: TransportError, started: float, clock: Callable[[], float],
            url: str, secrets: tuple[str, ...]) -> Attempt:
    message = mask_text(error.message, secrets)
    error = TransportError(error.kind, message)
    return Attempt(status=None, headers={}, body_excerpt="", elapsed=clock() - started,
                   outcome=classify(spec, None, error=error), error=message, url=mask_text(url, secrets),
                   error_kind=error.kind)


def _same_origin(a: str, b: str) -> bool:
    first, second = urlsplit(a), urlsplit(b)
    return (first.scheme, first.hostname, first.port) == (second.scheme, second.hostname, second.port)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the client"


def _never_connected(exc: BaseException) -> bool:
    """True when the error happened before the request could reach the client (DNS, refused, unreachable)."""
    text = repr(exc)
    return any(word in text for word in ("NewConnectionError", "NameResolutionError", "Failed to resolve",
                                         "Connection refused", "Max retries exceeded with url", "No route to host"))\
        and "RemoteDisconnected" not in text and "Connection aborted" not in text


def _plain(exc: BaseException, secrets: tuple[str, ...]) -> str:
    return mask_text(str(exc).split("\n")[0][:200], secrets)


# ---- the total deadline -----------------------------------------------------------------------------------------
class _Watch:
    """The deadline of one attempt: armed with the connection's socket when the answer is awaited; the watchdog
    shuts that socket at the deadline, so a trickling answer ends there."""

    __slots__ = ("deadline", "sock", "expired", "done")

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.sock: socket.socket | None = None
        self.expired = False
        self.done = False

    def arm(self, sock: socket.socket | None) -> None:
        if sock is None or self.done:
            return
        first = self.sock is None
        self.sock = sock
        if first:
            _watchdog.add(self)

    def disarm(self) -> None:
        self.done = True

    def fire(self) -> None:
        if self.done or self.sock is None:
            return
        self.expired = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # closed already
            pass


class _Watchdog:
    """One daemon thread for every attempt's deadline (a timer thread per request would cost more than the post)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._seq), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="xsc-http-deadline", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._cond.notify()

    def _loop(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].fire()


_watchdog = _Watchdog()
_adapter_class: Any = None


def _watched_adapter() -> Any:
    """requests' HTTPAdapter whose connections arm the current attempt's watch when they wait for an answer."""
    global _adapter_class
    if _adapter_class is None:
        from requests.adapters import HTTPAdapter
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        def watched(base: type) -> type:
            class Watched(base):  # type: ignore[misc, valid-type]
                def getresponse(self, *args: Any, **kwargs: Any) -> Any:
                    watch = getattr(_local, "watch", None)
                    if watch is not None:
                        watch.arm(self.sock)
                    return super().getresponse(*args, **kwargs)

            return Watched

        class HTTPPool(HTTPConnectionPool):
            ConnectionCls = watched(HTTPConnection)

        class HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = watched(HTTPSConnection)

        pools = {"http": HTTPPool, "https": HTTPSPool}

        class WatchedAdapter(HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                super().init_poolmanager(*args, **kwargs)
                self.poolmanager.pool_classes_by_scheme = pools

            def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
                manager = super().proxy_manager_for(proxy, **kwargs)
                manager.pool_classes_by_scheme = pools
                return manager

        _adapter_class = WatchedAdapter
    return _adapter_class()
