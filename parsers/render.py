"""Turn a lead into the exact HTTP request a parser spec describes.

    request = render(spec, lead, settings, secrets, test=False)   # OutgoingRequest or RenderError
    preview = request.masked()                                     # secrets replaced by ••••

Rendering is deterministic and byte-exact: the same spec, lead, settings and secrets always give the
same bytes, and those bytes are what delivery sends (tests compare them with what a server receives).
Escaping: JSON is written compact with `\\uXXXX` escapes (pure ASCII), form bodies percent-encoded as
UTF-8 with `+` for spaces, query strings percent-encoded with `%20`, XML with entities for & < > and
without the control characters XML 1.0 forbids.

For many leads through one spec, compile once: `compiled = compile_spec(spec)` then
`compiled.render(lead, settings, secrets)`; `render()` compiles on each call.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from parsers.expressions import PLACEHOLDER_RE, fill_placeholders
from parsers.spec import ParserSpec
from parsers.transforms import compile_chain, parse_yes_no

MASK = "••••"
USER_AGENT = "XSC-Desktop/1.0"
CONTENT_TYPES = {"json": "application/json", "form": "application/x-www-form-urlencoded",
                 "xml": "application/xml; charset=utf-8"}
TEST_LABEL = "TEST LEAD from XSC Desktop - please do not contact."


class RenderError(ValueError):
    """The request cannot be built: required values are empty. `fields` names the client fields
    (with the lead field they read), `settings` the integration settings or secrets that are empty."""

    def __init__(self, fields: list[str] | None = None, settings: list[str] | None = None, detail: str = ""):
        self.fields = list(fields or [])
        self.settings = list(settings or [])
        self.detail = detail
        parts = []
        if self.fields:
            parts.append(f"required {_plural(self.fields, 'field')} {_join_names(self.fields)} "
                         f"{'is' if len(self.fields) == 1 else 'are'} empty")
        if self.settings:
            parts.append(f"{_plural(self.settings, 'setting')} {_join_names(self.settings)} "
                         f"{'is' if len(self.settings) == 1 else 'are'} empty; fill {'it' if len(self.settings) == 1 else 'them'} in the integration")
        if detail:
            parts.append(detail)
        super().__init__("Cannot build the request: " + "; ".join(parts) + ".")


def _plural(items: list[str], word: str) -> str:
    return word if len(items) == 1 else word + "s"


def _join_names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class OutgoingRequest:
    """One HTTP request ready to send: method, full URL (query included), headers in order, body bytes.

    `secret_values` holds the secret texts used while rendering so `masked()` can hide them; it is
    not part of the request and is never printed (repr=False).
    """

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    secret_values: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def masked(self) -> OutgoingRequest:
        """A copy with every secret replaced by •••• in URL, headers and body, for previews and logs."""
        if not self.secret_values:
            return self
        secrets = self.secret_values
        return OutgoingRequest(
            method=self.method,
            url=mask_text(self.url, secrets),
            headers={k: mask_text(v, secrets) for k, v in self.headers.items()},
            body=mask_text(self.body.decode("utf-8", "replace"), secrets).encode("utf-8") if self.body else b"",
        )

    def body_text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes shown as �)."""
        return self.body.decode("utf-8", "replace")

    def to_dict(self, *, masked: bool = True) -> dict[str, Any]:
        """{"method", "url", "headers", "body"} with the body as text; secrets masked unless asked."""
        request = self.masked() if masked else self
        return {"method": request.method, "url": request.url, "headers": dict(request.headers),
                "body": request.body_text()}


def mask_text(text: str, secrets: Any) -> str:
    """`text` with each secret value, and its URL-, JSON- and XML-escaped forms, replaced by ••••.

    `secrets` is an iterable of secret values or a {name: value} dict (the values are masked).
    """
    if not text:
        return text
    values = secrets.values() if isinstance(secrets, Mapping) else secrets
    forms: set[str] = set()
    for value in values:
        if value is None:
            continue
        value = str(value)
        if not value:
            continue
        forms.update((value, quote_plus(value), quote(value, safe=""), json.dumps(value)[1:-1], _xml_escape(value)))
    # Longest first, so a secret that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        if form and form in text:
            text = text.replace(form, MASK)
    return text


# ---- value helpers -----------------------------------------------------------------------------------------
def lead_text(value: Any) -> str:
    """A lead value as the text transforms work on: None → "", True → "true", dates as ISO, lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


_XML_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_escape(text: str) -> str:
    return _XML_BAD_CHARS.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def label_test_lead(lead: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `lead` clearly labelled as a test: first name TEST, the label before the description. Labelling
    a labelled lead changes nothing (a retried task, a test lead rendered in label mode)."""
    labelled = dict(lead)
    labelled["first_name"] = "TEST"
    last = lead_text(lead.get("last_name")).strip()
    if not last:
        labelled["last_name"] = "TEST LEAD"
    elif not (last == "TEST LEAD" or last.endswith(" (TEST LEAD)")):
        labelled["last_name"] = f"{last} (TEST LEAD)"
    else:
        labelled["last_name"] = last
    labelled["full_name"] = f"{labelled['first_name']} {labelled['last_name']}"
    description = lead_text(lead.get("description")).strip()
    labelled["description"] = description if description.startswith(TEST_LABEL) else f"{TEST_LABEL} {description}".strip()
    return labelled


def sample_lead() -> dict[str, Any]:
    """A complete made-up lead (555-01xx phone, example.com e-mail) for previews and test posts."""
    return {
        "first_name": "Jane", "last_name": "Sample", "full_name": "Jane Sample", "email": "jane.sample@example.com",
        "phone": "2145550100", "phone_alt": "2145550101", "address": "100 Main St", "city": "Dallas",
        "state": "TX", "zip": "75201", "county": "Dallas", "date_of_birth": "1985-04-12",
        "case_type": "Auto Accident", "description": "Rear-ended at a stop light; back pain.",
        "incident_date": "2026-11-02", "injured": "yes", "has_attorney": "no", "at_fault": "no",
        "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0",
        "trustedform_cert_url": "https://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567",
        "jornaya_leadid": "01234567-89AB-CDEF-0123-456789ABCDEF", "tcpa_consent": "yes",
        "tcpa_text": "By submitting I agree to be contacted.", "landing_page_url": "https://example.com/auto",
        "source": "xsc", "sub_id": "test", "lead_id": "XSC-TEST-0001", "created_at": "2026-11-20T14:03:11Z",
    }


# ---- compiling --------------------------------------------------------------------------------------------
Getter = Callable[[Mapping[str, Any]], str]


def _getter(kind: str, source: str) -> Getter:
    if kind == "constant":
        return lambda lead: source
    if kind == "template":
        pieces: list[tuple[bool, str]] = []
        pos = 0
        for match in PLACEHOLDER_RE.finditer(source):
            pieces.append((False, source[pos:match.start()]))
            pieces.append((True, match.group(1)))
            pos = match.end()
        pieces.append((False, source[pos:]))

        def template(lead: Mapping[str, Any]) -> str:
            out = "".join(lead_text(lead.get(text)) if is_field else text for is_field, text in pieces)
            # Empty parts leave doubled or dangling spaces ("{first_name} {last_name}" with no first name).
            return " ".join(out.split()) if "  " in out or out[:1] == " " or out[-1:] == " " else out
        return template
    if not source:
        return lambda lead: ""

    def read(lead: Mapping[str, Any]) -> str:
        value = lead.get(source)
        return value if isinstance(value, str) else lead_text(value)
    return read


@dataclass
class _CompiledMapping:
    target: str
    path: tuple[str, ...]
    label: str
    get: Getter
    chain: Callable[[str, Mapping[str, Any]], str] | None
    required: bool
    default: str
    type: str = "string"


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _typed(m: _CompiledMapping, value: str) -> Any:
    """A JSON number or boolean for a typed mapping; RenderError when the value is not one."""
    text = value.strip()
    if m.type == "number":
        if not _NUMBER_RE.match(text.replace(",", "")):
            raise RenderError(detail=f"{m.label} must be a number, not '{value}'")
        text = text.replace(",", "")
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    answer = parse_yes_no(text)
    if answer is None:
        raise RenderError(detail=f"{m.label} must be yes or no, not '{value}'")
    return answer


@dataclass(frozen=True)
class Preview:
    """What the editor's live preview shows: the request with secrets masked (None when it cannot be
    built at all), the required fields and settings that are empty, and an error sentence if any."""

    request: OutgoingRequest | None
    missing_fields: list[str]
    missing_settings: list[str]
    error: str = ""

    @property
    def complete(self) -> bool:
        """True when the request would be sent as shown."""
        return self.request is not None and not self.missing_fields and not self.missing_settings and not self.error


class CompiledSpec:
    """A spec with its transform chains and templates compiled once; `render()` it for many leads.

    Compiling raises `TransformError` (a ValueError) when a transform is unknown or badly set:
    run `validate()` first to show such problems to a person.
    """

    def __init__(self, spec: ParserSpec):
        self.spec = spec
        self.mappings: list[_CompiledMapping] = []
        for m in spec.mappings:
            chain = compile_chain([(t.name, t.args) for t in m.transforms]) if m.transforms else None
            label = m.target if m.kind != "field" or not m.source or m.source == m.target else f"{m.target} ({m.source})"
            self.mappings.append(_CompiledMapping(m.target, tuple(m.target.split(".")), label,
                                                  _getter(m.kind, m.source), chain, m.required, m.default, m.type))
        self.typed = any(m.type != "string" for m in self.mappings)
        self.nested = spec.body_format in ("json", "xml") and any(len(m.path) > 1 for m in self.mappings)

    def render(self, lead: Mapping[str, Any], settings: Mapping[str, Any] | None = None,
               secrets: Mapping[str, Any] | None = None, test: bool = False) -> OutgoingRequest:
        """The request for `lead`; raise RenderError naming empty required fields or settings."""
        return self._build(lead, settings, secrets, test, None)

    def preview(self, lead: Mapping[str, Any], settings: Mapping[str, Any] | None = None,
                secrets: Mapping[str, Any] | None = None, test: bool = False) -> Preview:
        """Like render(), but never raises: empty required values are sent empty and listed instead."""
        missing: tuple[list[str], list[str]] = ([], [])
        try:
            request = self._build(lead, settings, secrets, test, missing)
        except RenderError as exc:
            return Preview(None, missing[0], missing[1], str(exc))
        return Preview(request.masked(), missing[0], missing[1], "")

    def _build(self, lead: Mapping[str, Any], settings: Mapping[str, Any] | None,
               secrets: Mapping[str, Any] | None, test: bool,
               lenient: tuple[list[str], list[str]] | None) -> OutgoingRequest:
        spec = self.spec
        settings = settings or {}
        secrets = secrets or {}
        if test and spec.test.kind == "label":
            lead = label_test_lead(lead)

        values: list[tuple[_CompiledMapping, str]] = []
        missing_fields: list[str] = []
        send_empty = spec.send_empty
        for m in self.mappings:
            value = m.get(lead)
            if m.chain is not None:
                value = m.chain(value, lead)
            if not value or value.isspace():
                value = m.default
                if not value:
                    if m.required:
                        missing_fields.append(m.label)
                        if lenient is None:
                            continue  # a preview shows it empty; a real render refuses below
                    elif not send_empty:
                        continue
            values.append((m, value))

        missing_settings: list[str] = []
        secret_values: list[str] = []
        fmt = "query" if spec.method == "GET" else spec.body_format  # a GET carries its fields in the URL
        body_loc = "query" if fmt == "query" else "body"
        extra: dict[str, list[tuple[str, str]]] = {"body": [], "query": [], "header": []}
        for item in spec.static:
            source = secrets if item.secret else settings
            if item.value:
                value = fill_placeholders(item.value, source, missing_settings)
            else:
                raw = source.get(item.name)
                value = lead_text(raw)
                if not value and item.name not in missing_settings:
                    missing_settings.append(item.name)
            if item.secret and value:
                secret_values.extend(dict.fromkeys((value, _one_line(value))))
            location = body_loc if item.location == "body" else item.location
            extra[location].append((item.name, value))
        if test and spec.test.kind == "field" and spec.test.field:
            extra[body_loc].append((spec.test.field, spec.test.value))

        headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        if fmt in CONTENT_TYPES:
            headers["Content-Type"] = CONTENT_TYPES[fmt]
        for name, value in spec.headers.items():
            _set_header(headers, name, _one_line(fill_placeholders(value, settings, missing_settings)))

        auth = spec.auth
        auth_query: list[tuple[str, str]] = []
        if auth.kind != "none":
            credential = lead_text(secrets.get(auth.secret))
            if not credential:
                missing_settings.append(auth.secret or "auth secret")
            else:
                # Headers carry the value on one line: mask that form too, should the secret hold a line break.
                secret_values.extend(dict.fromkeys((credential, _one_line(credential))))
            if auth.kind == "basic":
                user = fill_placeholders(auth.username, settings, missing_settings)
                token = base64.b64encode(f"{user}:{credential}".encode()).decode("ascii")
                secret_values.append(token)
                _set_header(headers, "Authorization", "Basic " + token)
            elif auth.kind == "bearer":
                _set_header(headers, "Authorization", "Bearer " + _one_line(credential))
            elif auth.kind == "api_key":
                if auth.location == "query":
                    auth_query.append((auth.name, credential))
                else:
                    _set_header(headers, auth.name, _one_line(credential))
        for name, value in extra["header"]:
            _set_header(headers, name, _one_line(value))

        url_template = spec.test_url if test and spec.test.kind == "url" and spec.test_url else spec.url
        url = _fill_url(url_template, settings, missing_settings)

        if lenient is not None:
            lenient[0].extend(missing_fields)
            lenient[1].extend(missing_settings)
        elif missing_fields or missing_settings:
            raise RenderError(missing_fields, missing_settings)

        pairs = [(m.target, v) for m, v in values]
        query = list(extra["query"]) + auth_query
        if fmt == "query":
            query = pairs + extra["body"] + query
            body = b""
        elif fmt == "form":
            body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs + extra["body"]).encode("ascii")
        elif fmt == "xml":
            body = self._xml_body(values, extra["body"])
        else:
            body = self._json_body(values, extra["body"])
        if query:
            url = _add_query(url, query)
        return OutgoingRequest(spec.method, url, headers, body, tuple(secret_values))

    def _json_body(self, values: list[tuple[_CompiledMapping, str]], extra: list[tuple[str, str]]) -> bytes:
        if self.typed:
            values = [(m, _typed(m, v) if m.type != "string" else v) for m, v in values]
        doc: dict[str, Any] = {}
        # "fields[email]" sends {"name": "email", "value": ...} as an item of the list "fields" (HubSpot forms).
        items = [(m, v) for m, v in values if _ITEM_TARGET.match(m.target)]
        if items:
            values = [(m, v) for m, v in values if not _ITEM_TARGET.match(m.target)]
            for m, value in items:
                group, name = _ITEM_TARGET.match(m.target).groups()  # type: ignore[union-attr]
                doc.setdefault(group, []).append({"name": name, "value": value})
        if not self.nested and not any("." in k for k, _ in extra):
            for m, value in values:
                doc[m.target] = value
            for k, value in extra:
                doc[k] = value
        else:
            for m, value in values:
                _put(doc, m.path, value)
            for k, value in extra:
                _put(doc, tuple(k.split(".")), value)
        return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")

    def _xml_body(self, values: list[tuple[_CompiledMapping, str]], extra: list[tuple[str, str]]) -> bytes:
        doc: dict[str, Any] = {}
        for m, value in values:
            _put(doc, m.path, value)
        for k, value in extra:
            _put(doc, tuple(k.split(".")), value)
        root = self.spec.xml_root
        out = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
        _write_xml(doc, out)
        out.append(f"</{root}>")
        return "".join(out).encode("utf-8")


_ITEM_TARGET = re.compile(r"^([^\[\].]+)\[([^\[\]]+)\]$")


def _put(doc: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    node = doc
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            if child is not None:
                raise RenderError(detail=f"'{'.'.join(path)}' nests under '{part}', which already holds a value")
            child = node[part] = {}
        node = child
    if isinstance(node.get(path[-1]), dict):
        raise RenderError(detail=f"'{'.'.join(path)}' is both a value and a group of fields")
    node[path[-1]] = value


def _write_xml(node: dict[str, Any], out: list[str]) -> None:
    for name, value in node.items():
        if isinstance(value, dict):
            out.append(f"<{name}>")
            _write_xml(value, out)
            out.append(f"</{name}>")
        else:
            out.append(f"<{name}>{_xml_escape(value)}</{name}>")


def _set_header(headers: dict[str, str], name: str, value: str) -> None:
    # Header names are case-insensitive: a spec's "content-type" replaces the default Content-Type.
    lowered = name.lower()
    for existing in list(headers):
        if existing.lower() == lowered:
            del headers[existing]
    headers[name] = value


def _one_line(value: str) -> str:
    # A CR or LF in a header value would let a lead or setting inject headers.
    return value.replace("\r", " ").replace("\n", " ") if ("\r" in value or "\n" in value) else value


def _fill_url(template: str, settings: Mapping[str, Any], missing: list[str]) -> str:
    if "{" not in template:
        return template
    whole = PLACEHOLDER_RE.fullmatch(template.strip())
    if whole:
        # The whole endpoint is a setting (ICE, IntakeDesk, generic presets): taken as given, but checked.
        value = lead_text(settings.get(whole.group(1))).strip()
        if not value:
            missing.append(whole.group(1))
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
            raise RenderError(detail=f"the setting {whole.group(1)} is not an http(s) URL: '{value}'")
        return value

    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        value = lead_text(settings.get(name))
        if not value:
            if name not in missing:
                missing.append(name)
            return ""
        # A setting lands in a host or path part: encode anything that would change the URL's shape.
        return quote(value, safe="-._~")
    return PLACEHOLDER_RE.sub(_sub, template)


def _add_query(url: str, pairs: list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def compile_spec(spec: ParserSpec) -> CompiledSpec:
    """Compile `spec` once for rendering many leads (transform chains and templates prepared)."""
    return CompiledSpec(spec)


def render(spec: ParserSpec, lead: Mapping[str, Any], settings: Mapping[str, Any] | None = None,
           secrets: Mapping[str, Any] | None = None, test: bool = False) -> OutgoingRequest:
    """The exact request `spec` makes for `lead`; raise RenderError naming what is empty.

    `test=True` applies the spec's test mode (test field, test URL or a labelled TEST lead).
    """
    return CompiledSpec(spec).render(lead, settings, secrets, test)


def with_body(request: OutgoingRequest, body: bytes) -> OutgoingRequest:
    """A copy of `request` with another body (for the editor's hand edits before a test send)."""
    return replace(request, body=body)


def preview(spec: ParserSpec, lead: Mapping[str, Any], settings: Mapping[str, Any] | None = None,
            secrets: Mapping[str, Any] | None = None, test: bool = False) -> Preview:
    """The editor's live preview: never raises, secrets masked, empty required values listed.

    A spec with a bad transform gives a Preview with `error` set (validate() says more).
    """
    try:
        compiled = CompiledSpec(spec)
    except ValueError as exc:
        return Preview(None, [], [], str(exc))
    return compiled.preview(lead, settings, secrets, test)
