"""Read a client's answer: accepted, duplicate, rejected or error (retryable or not), with reason and id.

    outcome = classify(spec, status, headers, body, elapsed)            # an answer came back
    outcome = classify(spec, None, {}, b"", elapsed, error=TransportError("timeout", "..."))

The spec's response rules are tried first, in order; the first whose conditions all hold decides.
Without a matching rule, smart defaults read the answer shapes lead-posting systems send (see
DOMAIN.md): JSON success flags, XML status elements, plain-text "OK|123" / "ERR|DUPLICATE" lines,
HTML error pages, and the HTTP status (2xx accepted, 409 duplicate, 408/429/5xx retry later honouring
Retry-After, other 4xx rejected). A 200 that carries a rejection in its body is a rejection.

Bodies of any size, encoding or content (binary included) classify without raising: only the first
`PARSE_LIMIT` bytes are parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from parsers.expressions import get_json_path, xpath_text
from parsers.spec import Extract, ParserSpec, ResponseRule, parse_status_condition

OUTCOME_KINDS = ("accepted", "duplicate", "rejected", "error")
PARSE_LIMIT = 256 * 1024
REASON_LIMIT = 300

DUPLICATE_RE = re.compile(
    r"\bdup(?:e|licate)?s?\b|duplicated|already\s+(?:exists?|been\s+\w+|submitted|received|registered|in\s+(?:our|the)\s+system)"
    r"|existing\s+(?:lead|record|contact|intake)|previously\s+(?:submitted|received)",
    re.I)

_TRANSIENT_RE = re.compile(r"time(?:d)?\s*out|timeout|unavailable|try again|retry|busy|temporar|overload|maintenance"
                           r"|too many|rate limit|server error|internal error|exception|gateway", re.I)


@dataclass(frozen=True)
class TransportError:
    """Why no answer came back. kinds: "connect" (never reached the client: DNS, refused, connect
    timeout), "tls" (certificate not trusted), "timeout" (sent, no answer in time: the client may have
    the lead), "dropped" (connection cut mid-answer: the same doubt), "invalid" (the URL cannot be
    sent to), "other". `message` is a plain sentence."""

    kind: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What an answer means. `kind` is accepted, duplicate, rejected or error; `retryable` says delivery
    may try again later (after `retry_after` seconds when the client said so). `reason` is short text for
    a person; `remote_id` the client's id for the lead when it sent one; `rule` the 1-based response rule
    that decided (None when the defaults did)."""

    kind: str
    retryable: bool = False
    reason: str = ""
    remote_id: str = ""
    retry_after: float | None = None
    rule: int | None = None

    @property
    def ok(self) -> bool:
        """True when the client has the lead (accepted, or a duplicate of one it already had)."""
        return self.kind in ("accepted", "duplicate")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"kind": self.kind, "retryable": self.retryable, "reason": self.reason, "remote_id": self.remote_id,
                "retry_after": self.retry_after, "rule": self.rule}

    def summary(self) -> str:
        """One line for lists and logs, e.g. "accepted (id 12345)" or "rejected: Failed email validation"."""
        text = self.kind
        if self.remote_id:
            text += f" (id {self.remote_id})"
        if self.reason:
            text += f": {self.reason}"
        if self.retryable:
            text += " — will retry" + (f" in {self.retry_after:g} s" if self.retry_after is not None else "")
        return text


# ---- the answer, decoded once --------------------------------------------------------------------------------
class Answer:
    """An HTTP answer with lazily decoded text, JSON and XML views (each parsed at most once)."""

    def __init__(self, status: int | None, headers: Any, body: bytes | str | None):
        self.status = status
        self.headers = _header_map(headers)
        if body is None:
            body = b""
        if isinstance(body, str):
            body = body.encode("utf-8", "replace")
        self.size = len(body)
        self.raw = bytes(body[:PARSE_LIMIT])
        self._text: str | None = None
        self._json: Any = _UNSET
        self._xml: Any = _UNSET

    def header(self, name: str) -> str:
        """A header's value ("" when absent), names compared ignoring case."""
        return self.headers.get(name.lower(), "")

    @property
    def binary(self) -> bool:
        """True when the body looks like binary data rather than text."""
        head = self.raw[:2048]
        return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))

    @property
    def text(self) -> str:
        """The body as text, decoded with its declared charset, else UTF-8, never raising."""
        if self._text is None:
            self._text = decode_body(self.raw, self.header("content-type"))
        return self._text

    @property
    def json(self) -> Any:
        """The parsed JSON body, or None when the body is not JSON."""
        if self._json is _UNSET:
            self._json = None
            stripped = self.text.strip()
            if stripped[:1] in ("{", "[") and self.size <= PARSE_LIMIT:
                try:
                    self._json = json.loads(stripped)
                except ValueError:
                    self._json = None
        return self._json

    @property
    def xml(self) -> Any:
        """The parsed XML root element (namespaces stripped), or None when the body is not XML."""
        if self._xml is _UNSET:
            self._xml = None
            stripped = self.text.lstrip()
            if stripped.startswith("<") and not self.html and self.size <= PARSE_LIMIT:
                import xml.etree.ElementTree as ET

                try:
                    root = ET.fromstring(stripped.encode("utf-8"))
                except (ET.ParseError, ValueError):
                    root = None
                if root is not None:
                    for element in root.iter():
                        if isinstance(element.tag, str) and "}" in element.tag:
                            element.tag = element.tag.rsplit("}", 1)[1]
                self._xml = root
        return self._xml

    @property
    def html(self) -> bool:
        """True when the body is an HTML page."""
        head = self.text[:512].lstrip().lower()
        return head.startswith(("<!doctype html", "<html")) or ("<html" in head and "<body" in self.text[:4096].lower())


_UNSET = object()


def _header_map(headers: Any) -> dict[str, str]:
    if not headers:
        return {}
    items: Iterable[tuple[Any, Any]] = headers.items() if hasattr(headers, "items") else headers
    return {str(k).lower(): str(v) for k, v in items}


def decode_body(raw: bytes, content_type: str = "") -> str:
    """Decode an answer body: BOM, then the Content-Type charset, then UTF-8, then Latin-1; never raises."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", "replace")
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    if match:
        try:
            return raw.decode(match.group(1), "strict")
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Mostly Windows-1252 in practice; latin-1 maps every byte, so it cannot fail.
        return raw.decode("cp1252", "replace") if _mostly_text(raw) else raw.decode("latin-1")


def _mostly_text(raw: bytes) -> bool:
    return raw.count(b"\x00") == 0


# ---- classify -----------------------------------------------------------------------------------------------
def classify(spec: ParserSpec | None, status: int | None, headers: Any = None, body: bytes | str | None = b"",
             elapsed: float | None = None, error: TransportError | str | None = None,
             now: datetime | None = None) -> Outcome:
    """The outcome of one posting attempt. See the module docstring for the order of judgement.

    `error` is set when no answer came back (a TransportError, or a plain message read as "other").
    `now` (aware UTC) turns an HTTP-date Retry-After into seconds; it defaults to the current time.
    """
    if error is not None:
        return _transport_outcome(spec, error, elapsed)
    answer = Answer(status, headers, body)
    if spec is not None:
        for index, rule in enumerate(spec.rules, 1):
            try:
                matched = _rule_matches(rule, answer)
            except re.error:
                matched = False  # validate() reports bad patterns; a bad rule never breaks delivery
            if matched:
                return _rule_outcome(rule, index, answer, now)
    return _default_outcome(answer, now)


def _transport_outcome(spec: ParserSpec | None, error: TransportError | str, elapsed: float | None) -> Outcome:
    if isinstance(error, str):
        error = TransportError("other", error)
    reason = _clean(error.message) or "No answer from the client"
    if error.kind in ("timeout", "dropped"):
        idempotent = spec.retry.idempotent if spec is not None else True
        if not idempotent:
            return Outcome("error", False, reason + " — the client may have the lead; check before resending")
        return Outcome("error", True, reason)
    if error.kind in ("redirect", "invalid", "tls"):
        return Outcome("error", False, reason)  # trying again changes nothing until a person fixes it
    return Outcome("error", True, reason)


def _rule_matches(rule: ResponseRule, answer: Answer) -> bool:
    if rule.status:
        ranges = parse_status_condition(rule.status)
        if ranges is None or answer.status is None or not any(lo <= answer.status <= hi for lo, hi in ranges):
            return False
    if rule.body_regex and not re.search(rule.body_regex, answer.text, re.I):
        return False
    if rule.json_path:
        document = answer.json
        if document is None:
            return False
        if not _value_matches(get_json_path(document, rule.json_path), rule.equals, json_value=True):
            return False
    if rule.xpath:
        root = answer.xml
        if root is None:
            return False
        if not _value_matches(xpath_text(root, rule.xpath), rule.equals, json_value=False):
            return False
    return bool(rule.status or rule.body_regex or rule.json_path or rule.xpath)


def _value_matches(value: Any, equals: str | None, *, json_value: bool) -> bool:
    if equals is None:
        return value is not None and value != "" and value != [] and value != {}
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        return False
    else:
        text = str(value).strip()
    return text.lower() in {alt.strip().lower() for alt in equals.split("|")}


def _rule_outcome(rule: ResponseRule, index: int, answer: Answer, now: datetime | None) -> Outcome:
    kind = rule.outcome if rule.outcome in OUTCOME_KINDS else "error"
    retryable = rule.retryable if rule.retryable is not None else kind == "error"
    smart = _read_body(answer)
    reason = _extract(rule.reason, answer) if rule.reason else ""
    if not reason and kind != "accepted":
        reason = smart.reason or _status_reason(answer.status)
    remote_id = _extract(rule.remote_id, answer) if rule.remote_id else ""
    if not remote_id and kind == "accepted":
        remote_id = smart.remote_id
    retry_after = _retry_after(answer, now) if retryable else None
    return Outcome(kind, retryable, _clean(reason), _clean(remote_id, 120), retry_after, index)


def _extract(extract: Extract, answer: Answer) -> str:
    try:
        if extract.kind == "literal":
            return extract.expr
        if extract.kind == "json_path":
            document = answer.json
            return _scalar_text(get_json_path(document, extract.expr)) if document is not None else ""
        if extract.kind == "xpath":
            root = answer.xml
            return (xpath_text(root, extract.expr) or "") if root is not None else ""
        if extract.kind == "regex":
            match = re.search(extract.expr, answer.text, re.I)
            if not match:
                return ""
            return match.group(1) if match.re.groups else match.group(0)
    except (re.error, IndexError):
        return ""
    return ""


def _scalar_text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return "" if value is None else json.dumps(value, ensure_ascii=False)[:REASON_LIMIT]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- smart reading of bodies ---------------------------------------------------------------------------------
@dataclass
class _Reading:
    verdict: str | None = None  # accepted, rejected, duplicate, error — what the body itself says
    reason: str = ""
    remote_id: str = ""


_GOOD_WORDS = frozenset({"success", "successful", "succeeded", "ok", "accepted", "accept", "matched", "match",
                         "created", "sold", "good", "valid", "approved", "received", "queued", "posted",
                         "inserted", "complete", "completed", "true", "1", "yes", "pass", "passed"})
_BAD_WORDS = frozenset({"failed", "failure", "fail", "rejected", "reject", "unmatched", "nomatch", "no_match",
                        "declined", "denied", "invalid", "refused", "unsold", "false", "0", "no", "err",
                        "bad", "notaccepted", "not_accepted", "unsuccessful"})
_DUP_WORDS = frozenset({"duplicate", "dupe", "dup", "duplicated", "exists", "alreadyexists"})
_ERROR_WORDS = frozenset({"error", "exception", "servererror", "unavailable", "timeout"})

_FLAG_KEYS = ("success", "succeeded", "successful", "result", "status", "outcome", "response", "accepted",
              "isSuccess", "is_success", "ok", "statusText", "response_status", "lead_status", "disposition")
_REASON_KEYS = ("reason", "message", "msg", "error", "errors", "error_message", "errorMessage", "ErrorMessage",
                "detail", "details", "description", "error_description", "responseMessage", "response_message",
                "status_message", "statusMessage", "Reason", "Message", "messages", "title", "info")
_ID_KEYS = ("lead_id", "leadId", "leadID", "LeadId", "LeadID", "opportunityId", "opportunity_id", "intakeId",
            "intake_id", "id", "Id", "ID", "record_id", "recordId", "remote_id", "reference", "referenceId",
            "reference_id", "ref", "uuid", "confirmation", "confirmation_id", "confirmationNumber", "caseId",
            "case_id", "matterId", "contactId", "contact_id", "lead_number", "leadNumber", "ticket", "inbox_lead_id")
_ERRORCODE_KEYS = ("ErrorCode", "error_code", "errorCode", "err_code")
_CODE_KEYS = ("responseCode", "response_code", "code", "resultCode", "result_code", "statusCode", "status_code")
_CONTAINER_KEYS = ("data", "result", "lead", "response", "Response", "payload", "body", "PostResponse", "inbox_lead")


def _read_body(answer: Answer) -> _Reading:
    if not answer.raw or answer.binary:
        return _Reading()
    document = answer.json
    if isinstance(document, (dict, list)):
        return _read_json(document)
    if answer.html:
        return _read_html(answer.text)
    root = answer.xml
    if root is not None:
        return _read_xml(root)
    return _read_plain(answer.text)


def _lower_keys(node: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in node.items()}


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (dict, list)):
        return ""
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def _verdict_of_word(word: str) -> str | None:
    if not word:
        return None
    compact = word.replace("_", "")
    if word in _DUP_WORDS or compact in _DUP_WORDS or "duplicate" in word:
        return "duplicate"
    if word in _GOOD_WORDS or compact in _GOOD_WORDS:
        return "accepted"
    if word in _BAD_WORDS or compact in _BAD_WORDS or compact.startswith(("reject", "fail", "invalid", "declin")):
        return "rejected"
    if word in _ERROR_WORDS or compact in _ERROR_WORDS:
        return "error"
    return None


def _code_verdict(value: Any) -> str | None:
    """Numeric response codes such as 1200 / 1400 / 200 read by their last three digits."""
    try:
        code = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    tail = code % 1000
    if 200 <= tail <= 299:
        return "accepted"
    if tail == 409:
        return "duplicate"
    if 400 <= tail <= 499:
        return "rejected"
    if 500 <= tail <= 599:
        return "error"
    return None


def _read_json(document: Any) -> _Reading:
    reading = _Reading()
    if isinstance(document, list):
        document = document[0] if document and isinstance(document[0], dict) else {}
    if not isinstance(document, dict):
        return reading
    nodes = [document] + [v for k, v in document.items() if k in _CONTAINER_KEYS and isinstance(v, dict)]
    for node in nodes:
        lowered = _lower_keys(node)
        if reading.verdict is None:
            for key in _FLAG_KEYS:
                value = lowered.get(key.lower())
                if value is None or isinstance(value, (dict, list)):
                    continue
                verdict = _verdict_of_word(_word(value))
                if verdict is None and key.lower() in ("status", "code") and not isinstance(value, bool):
                    verdict = _code_verdict(value)
                if verdict:
                    reading.verdict = verdict
                    break
        if reading.verdict is None:
            for key in _ERRORCODE_KEYS:
                value = lowered.get(key.lower())
                if value not in (None, "", 0, "0", False, "none", "None"):
                    reading.verdict = "rejected"
                    break
        if reading.verdict is None:
            for key in _CODE_KEYS:
                verdict = _code_verdict(lowered.get(key.lower()))
                if verdict:
                    reading.verdict = verdict
                    break
        if reading.verdict is None:
            errors = lowered.get("errors")
            if errors and isinstance(errors, (list, dict)):
                reading.verdict = "rejected"
        if not reading.reason:
            for key in _REASON_KEYS:
                text = _reason_text(lowered.get(key.lower()))
                if text:
                    reading.reason = text
                    break
        if not reading.remote_id:
            for key in _ID_KEYS:
                value = lowered.get(key.lower())
                if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                    reading.remote_id = str(value).strip()
                    break
    if reading.verdict == "rejected" and reading.reason and DUPLICATE_RE.search(reading.reason):
        reading.verdict = "duplicate"
    return reading


def _reason_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)):
        return ""
    if isinstance(value, list):
        return "; ".join(t for t in (_reason_text(v) for v in value[:5]) if t)
    if isinstance(value, dict):
        for key in ("message", "msg", "reason", "detail", "description", "error"):
            for k, v in value.items():
                if str(k).lower() == key:
                    text = _reason_text(v)
                    if text:
                        return text
        # {"email": ["is invalid"]} as Rails-style APIs answer 422s.
        parts = []
        for k, v in list(value.items())[:5]:
            text = _reason_text(v)
            if text:
                parts.append(f"{k} {text}")
        return "; ".join(parts)
    return ""


_XML_FLAG_TAGS = ("response", "status", "result", "success", "outcome", "responsestatus", "leadstatus",
                  "postresult", "disposition", "accepted")
_XML_REASON_TAGS = ("reason", "message", "error", "errormessage", "errors", "description", "detail", "msg",
                    "responsemessage")
_XML_ID_TAGS = ("leadid", "lead_id", "id", "opportunityid", "referenceid", "reference", "recordid", "confirmation",
                "confirmationid", "uuid", "intakeid")
_XML_CODE_TAGS = ("responsecode", "response_code", "code", "resultcode", "statuscode")


def _read_xml(root: Any) -> _Reading:
    reading = _Reading()
    by_tag: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or len(element):
            continue
        by_tag.setdefault(element.tag.lower(), (element.text or "").strip())
    # The root itself may be the flag: <status>Matched</status>.
    if not len(root):
        by_tag.setdefault(str(root.tag).lower(), (root.text or "").strip())
    for tag in _XML_FLAG_TAGS:
        verdict = _verdict_of_word(_word(by_tag.get(tag)))
        if verdict:
            reading.verdict = verdict
            break
    if reading.verdict is None:
        for tag in _XML_CODE_TAGS:
            verdict = _code_verdict(by_tag.get(tag))
            if verdict:
                reading.verdict = verdict
                break
    for tag in _XML_REASON_TAGS:
        if by_tag.get(tag):
            reading.reason = by_tag[tag]
            break
    for tag in _XML_ID_TAGS:
        if by_tag.get(tag):
            reading.remote_id = by_tag[tag]
            break
    if reading.verdict in ("rejected", None) and reading.reason and DUPLICATE_RE.search(reading.reason):
        reading.verdict = "duplicate"
    return reading


_PLAIN_GOOD_RE = re.compile(r"^\s*(ok|okay|success|successful|accepted|sold|created|true|matched|received|posted|good)\b"
                            r"\s*(?:[|:,;=\-]\s*|\s+)?(.*)$", re.I | re.S)
_PLAIN_BAD_RE = re.compile(r"^\s*(err|error|fail|failed|failure|rejected|reject|declined|denied|invalid|false|"
                           r"unmatched|no|not accepted|bad request|duplicate|dup)\b\s*(?:[|:,;=\-]\s*|\s+)?(.*)$",
                           re.I | re.S)
_ID_LIKE_RE = re.compile(r"^(?:(?:lead\s*)?id\s*[:=#]?\s*)?([A-Za-z0-9][A-Za-z0-9_\-.]{0,63})$", re.I)


def _read_plain(text: str) -> _Reading:
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not first:
        return _Reading()
    if len(first) > 2000:
        first = first[:2000]
    if match := _PLAIN_GOOD_RE.match(first):
        rest = match.group(2).strip()
        # "OK|12345", "SUCCESS 123", "OK lead id: 77"
        id_match = _ID_LIKE_RE.match(rest.split("|")[0].strip()) if rest else None
        return _Reading("accepted", "" if id_match else rest, id_match.group(1) if id_match else "")
    if match := _PLAIN_BAD_RE.match(first):
        word = match.group(1).lower()
        rest = match.group(2).strip().strip("|").strip()
        verdict = "duplicate" if word.startswith("dup") or DUPLICATE_RE.search(rest) else "rejected"
        if word == "error" and verdict == "rejected" and not rest:
            verdict = "error"
        # "ERR|Bad phone" → "Bad phone"; "Duplicate lead" and a bare "ERROR" keep the whole line.
        return _Reading(verdict, rest if rest and not word.startswith("dup") else first)
    if DUPLICATE_RE.search(first):
        return _Reading("duplicate", first)
    return _Reading(None, first)


_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_H1_RE = re.compile(r"<h[12][^>]*>(.*?)</h[12]>", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_HTML_ERROR_RE = re.compile(r"\b(error|exception|not found|forbidden|denied|unavailable|bad gateway|bad request|"
                            r"internal server|service unavailable|timeout|timed out|unauthori[sz]ed|invalid|"
                            r"failed|failure|rejected)\b", re.I)


def _read_html(text: str) -> _Reading:
    import html

    title = ""
    for pattern in (_TITLE_RE, _H1_RE):
        match = pattern.search(text)
        if match:
            title = " ".join(html.unescape(_TAG_RE.sub(" ", match.group(1))).split())
            if title:
                break
    if _HTML_ERROR_RE.search(title) or _HTML_ERROR_RE.search(text[:8192]) and not title:
        return _Reading("error", f"error page: {title or 'untitled'}")
    if DUPLICATE_RE.search(title):
        return _Reading("duplicate", title)
    return _Reading(None, f"The client answered with a web page: {title}" if title else "The client answered with a web page")


# ---- defaults -----------------------------------------------------------------------------------------------
_STATUS_TEXT = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
                408: "Request timeout", 409: "Conflict", 410: "Gone", 413: "Payload too large", 415: "Unsupported media type",
                422: "Unprocessable entity", 429: "Too many requests", 500: "Internal server error",
                502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}


def _status_reason(status: int | None) -> str:
    if status is None:
        return ""
    return f"HTTP {status} {_STATUS_TEXT.get(status, '')}".strip()


def _default_outcome(answer: Answer, now: datetime | None) -> Outcome:
    status = answer.status or 0
    if answer.binary:
        reading = _Reading(None, f"binary answer ({answer.size} bytes)")
    else:
        reading = _read_body(answer)
    reason = _clean(reading.reason)
    remote_id = _clean(reading.remote_id, 120)

    if status in (408, 429) or 500 <= status <= 599:
        base = {408: "The client timed out reading the lead", 429: "The client asks us to slow down"}.get(
            status, "The client's server failed")
        text = f"{base} (HTTP {status})" + (f": {reason}" if reason else "")
        if reading.verdict == "duplicate":
            return Outcome("duplicate", False, reason or text, remote_id)
        return Outcome("error", True, _clean(text), "", _retry_after(answer, now))

    if 200 <= status <= 299:
        verdict = reading.verdict
        if verdict == "error":
            # "status: error" in a 200 is often a validation failure: retry only when it sounds passing.
            transient = bool(_TRANSIENT_RE.search(reason)) or answer.html
            return Outcome("error", transient, reason or _status_reason(status), remote_id,
                           _retry_after(answer, now) if transient else None)
        if verdict in ("rejected", "duplicate"):
            return Outcome(verdict, False, reason or _status_reason(status), remote_id)
        return Outcome("accepted", False, reason if verdict == "accepted" and not remote_id else "", remote_id)

    if status == 409:
        return Outcome("duplicate", False, reason or "Duplicate lead (HTTP 409)", remote_id)

    if 400 <= status <= 499:
        if reading.verdict == "duplicate" or (reason and DUPLICATE_RE.search(reason)):
            return Outcome("duplicate", False, reason, remote_id)
        if status in (401, 403):
            text = f"The client refused our credentials (HTTP {status}); check the key or token"
            return Outcome("rejected", False, text + (f": {reason}" if reason else ""))
        return Outcome("rejected", False, reason or _status_reason(status))

    if 300 <= status <= 399:
        location = answer.header("location")
        text = f"The client answered with a redirect (HTTP {status})" + (f" to {location}" if location else "")
        return Outcome("error", False, _clean(text + "; check the endpoint URL"))

    return Outcome("error", True, reason or f"Unexpected answer (HTTP {status or 'none'})")


def _retry_after(answer: Answer, now: datetime | None) -> float | None:
    return parse_retry_after(answer.header("retry-after"), now)


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: whole seconds or an HTTP date; None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²".isdigit() is true, and a header can hold anything
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _clean(text: str, limit: int = REASON_LIMIT) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outcome_for_missing(spec: ParserSpec | None, message: str) -> Outcome:
    """The outcome of a lead that could not be rendered (required values empty): rejected before sending."""
    return Outcome("rejected", False, _clean(message))


