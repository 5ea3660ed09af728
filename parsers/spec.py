"""A parser spec: everything needed to turn a lead into a client's request and read the answer.

`ParserSpec` is plain data (dataclasses) that round-trips through JSON:
`ParserSpec.from_dict(d).to_dict() == canonical(d)` and `from_json(to_json(s)) == s`.

Values and where they come from:
- `{name}` placeholders in the endpoint URL, test URL, header values and static values are filled from
  the integration's **settings** (per lander), or from its **secrets** for secret static fields.
- Field mappings read the **lead**: a lead field, a constant, or a template such as "{first_name} {last_name}".
- Credentials are never stored in a spec by value: auth and secret static fields name a secret.

`validate(spec)` lists readable problems; `settings_needed(spec)` / `secrets_needed(spec)` list what an
integration must fill so the queue can say "CaptorraId is empty".
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from parsers.expressions import ExpressionError, check_placeholders, check_xpath, parse_json_path, placeholders

METHODS = ("POST", "GET", "PUT")
BODY_FORMATS = ("json", "form", "xml", "query")
AUTH_KINDS = ("none", "basic", "bearer", "api_key")
LOCATIONS = ("body", "query", "header")
MAPPING_KINDS = ("field", "constant", "template")
VALUE_TYPES = ("string", "number", "boolean")
TEST_KINDS = ("none", "field", "url", "label")
OUTCOME_KINDS = ("accepted", "duplicate", "rejected", "error")
EXTRACT_KINDS = ("json_path", "xpath", "regex", "literal")
SYSTEMS = ("captorra", "lead_docket", "law_ruler", "litify", "clio_grow", "leadspedia", "ice", "intakedesk",
           "salesforce_w2l", "hubspot_forms", "boberdoo", "five9_web2campaign", "leadconduit", "leadbyte", "lawmatics",
           "smartadvocate", "generic")
# How people write each intake system's name (screens, client e-mails); "generic" is no system a client knows.
SYSTEM_LABELS = {"captorra": "Captorra", "lead_docket": "Lead Docket", "law_ruler": "Law Ruler", "litify": "Litify",
                 "clio_grow": "Clio Grow", "leadspedia": "LeadsPedia", "ice": "ICE", "intakedesk": "IntakeDesk",
                 "salesforce_w2l": "Salesforce Web-to-Lead", "hubspot_forms": "HubSpot Forms", "boberdoo": "boberdoo",
                 "five9_web2campaign": "Five9 Web2Campaign", "leadconduit": "LeadConduit", "leadbyte": "LeadByte",
                 "lawmatics": "Lawmatics", "smartadvocate": "SmartAdvocate", "generic": "Other system"}


GENERIC_LABELS = {"generic_json": "Generic JSON", "generic_form": "Generic form", "generic_query": "Generic query",
                  "generic_xml": "Generic XML"}


def preset_label(name: str) -> str:
    """A bundled preset's name as people read it: clio_grow → Clio Grow, generic_json → Generic JSON."""
    return GENERIC_LABELS.get(name) or SYSTEM_LABELS.get(name) or name.replace("_", " ").title()


def system_label(system: str | None) -> str:
    """An intake system as people write it: lead_docket → Lead Docket; free text is kept as typed."""
    if not system:
        return ""
    return SYSTEM_LABELS.get(system, system.replace("_", " ").title() if "_" in system else system)

SPEC_FORMAT = 1  # bump when the JSON shape changes incompatibly; from_dict reads older shapes

_TARGET_RE = re.compile(r"^[^\s.]+(\.[^\s.]+)*$")
_XML_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class SpecError(ValueError):
    """A parser JSON that cannot be read as a spec at all (wrong shape or types); the message says where."""


@dataclass
class TransformStep:
    """One step of a mapping's transform chain: a registered transform name and its arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: {"name": ..., "args": {...}}."""
        return {"name": self.name, "args": dict(self.args)}

    @classmethod
    def from_dict(cls, data: Any) -> TransformStep:
        """Read {"name", "args"} or a bare transform name."""
        if isinstance(data, str):
            return cls(name=data)
        data = _expect_dict(data, "transform")
        args = data.get("args") or {}
        if not isinstance(args, dict):
            raise SpecError(f"transform '{data.get('name')}' has args that are not an object")
        return cls(name=str(data.get("name", "")), args=dict(args))


@dataclass
class Mapping:
    """One outgoing field: `target` ← a lead field, a constant or a template, through a transform chain.

    `target` is the client's field name; for JSON and XML bodies a dotted path ("inbox_lead.from_first")
    nests it. `kind` says how `source` is read: "field" (a lead field name), "constant" (the value itself)
    or "template" (text with `{lead_field}` placeholders). `default` is used when the value comes out
    empty; a `required` mapping that is still empty stops the request (RenderError names it).
    `type` is how a JSON body writes the value: "string" (default), "number" or "boolean" (yes/no
    spellings become true/false); form, query and XML bodies always carry text.
    """

    target: str
    source: str = ""
    kind: str = "field"
    transforms: list[TransformStep] = field(default_factory=list)
    required: bool = False
    default: str = ""
    note: str = ""
    type: str = "string"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "target": self.target,
            "kind": self.kind,
            "source": self.source,
            "transforms": [t.to_dict() for t in self.transforms],
            "required": self.required,
            "default": self.default,
            "note": self.note,
            "type": self.type,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Mapping:
        """Read the canonical form, or the shorthands {"target", "field"|"constant"|"template": ...}."""
        data = _expect_dict(data, "mapping")
        kind = data.get("kind")
        source = data.get("source")
        for shorthand in MAPPING_KINDS:
            if shorthand in data and source is None:
                kind, source = shorthand, data[shorthand]
        transforms = data.get("transforms") or []
        if not isinstance(transforms, list):
            raise SpecError(f"mapping '{data.get('target')}' has transforms that are not a list")
        return cls(
            target=str(data.get("target", "")),
            source="" if source is None else str(source),
            kind=str(kind or "field"),
            transforms=[TransformStep.from_dict(t) for t in transforms],
            required=bool(data.get("required", False)),
            default="" if data.get("default") is None else str(data.get("default")),
            note=str(data.get("note", "")),
            type=str(data.get("type", "string") or "string"),
        )


@dataclass
class StaticField:
    """A value sent with every lead, kept apart from the mappings (campaign ids, keys, source codes).

    `value` may hold `{placeholders}`; an empty value means "the integration's setting of the same name".
    A `secret` static field is read from the integration's secrets instead of its settings, masked in
    previews and left out of exports.
    """

    name: str
    value: str = ""
    location: str = "body"
    secret: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"name": self.name, "value": self.value, "location": self.location, "secret": self.secret}

    @classmethod
    def from_dict(cls, data: Any) -> StaticField:
        """Read {"name", "value", "location", "secret"}."""
        data = _expect_dict(data, "static field")
        value = data.get("value")
        return cls(
            name=str(data.get("name", "")),
            value="" if value is None else str(value),
            location=str(data.get("location", "body")),
            secret=bool(data.get("secret", False)),
        )


@dataclass
class Auth:
    """How the request proves who sends it.

    kinds: "none"; "basic" (`username`, may hold a {setting}, password from secret `secret`);
    "bearer" (token from secret `secret`); "api_key" (key from secret `secret`, sent as header or query
    parameter `name`, per `location`).
    """

    kind: str = "none"
    username: str = ""
    secret: str = ""
    name: str = ""
    location: str = "header"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Auth:
        """Read the auth object; None or {} means no auth."""
        if data is None:
            return cls()
        data = _expect_dict(data, "auth")
        return cls(
            kind=str(data.get("kind", "none")),
            username=str(data.get("username", "")),
            secret=str(data.get("secret", "")),
            name=str(data.get("name", "")),
            location=str(data.get("location", "header")),
        )


@dataclass
class TestMode:
    """How a test lead is marked so the client's system does not treat it as real.

    kinds: "none"; "field" (send `field`=`value` with the lead, e.g. lp_test=1); "url" (post to the
    spec's `test_url` instead); "label" (no test switch exists: the lead itself is labelled TEST).
    """

    __test__ = False  # not a pytest test class despite the name

    kind: str = "none"
    field: str = ""
    value: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"kind": self.kind, "field": self.field, "value": self.value}

    @classmethod
    def from_dict(cls, data: Any) -> TestMode:
        """Read the test mode object; None means "none"."""
        if data is None:
            return cls()
        data = _expect_dict(data, "test")
        value = data.get("value")
        return cls(kind=str(data.get("kind", "none")), field=str(data.get("field", "")),
                   value="" if value is None else str(value))


@dataclass
class Extract:
    """Where to find a value (reason or remote lead id) in an answer.

    kinds: "json_path" ($.data.id), "xpath" (.//LeadId), "regex" (first group, or the whole match),
    "literal" (the text itself, for a fixed reason such as "Bad API key").
    """

    kind: str
    expr: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"kind": self.kind, "expr": self.expr}

    @classmethod
    def from_dict(cls, data: Any) -> Extract | None:
        """Read {"kind", "expr"}; None stays None."""
        if data is None or data == {}:
            return None
        data = _expect_dict(data, "extract")
        return cls(kind=str(data.get("kind", "")), expr=str(data.get("expr", "")))


@dataclass
class ResponseRule:
    """One ordered answer rule: when every condition set holds, the answer gets `outcome`.

    Conditions (empty ones are ignored; at least one must be set):
    - `status`: "200", "2xx", "400-499", or a comma list "401,403".
    - `body_regex`: a regular expression searched in the decoded body (case-insensitive).
    - `json_path`: a value in a JSON body; with `equals` it must equal one of the "|"-separated
      alternatives (case-insensitive, true/1/yes are distinct words), without it must be present and non-empty.
    - `xpath`: the text of an element in an XML body, compared the same way with `equals`.
    `retryable` overrides the default (only errors are retryable by default). `reason` and `remote_id`
    say where to take those from the answer.
    """

    outcome: str
    status: str = ""
    body_regex: str = ""
    json_path: str = ""
    xpath: str = ""
    equals: str | None = None
    retryable: bool | None = None
    reason: Extract | None = None
    remote_id: Extract | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "outcome": self.outcome,
            "status": self.status,
            "body_regex": self.body_regex,
            "json_path": self.json_path,
            "xpath": self.xpath,
            "equals": self.equals,
            "retryable": self.retryable,
            "reason": self.reason.to_dict() if self.reason else None,
            "remote_id": self.remote_id.to_dict() if self.remote_id else None,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ResponseRule:
        """Read one rule object."""
        data = _expect_dict(data, "response rule")
        equals = data.get("equals")
        retryable = data.get("retryable")
        return cls(
            outcome=str(data.get("outcome", "")),
            status=str(data.get("status", "") or ""),
            body_regex=str(data.get("body_regex", "") or ""),
            json_path=str(data.get("json_path", "") or ""),
            xpath=str(data.get("xpath", "") or ""),
            equals=None if equals is None else _json_scalar_text(equals),
            retryable=None if retryable is None else bool(retryable),
            reason=Extract.from_dict(data.get("reason")),
            remote_id=Extract.from_dict(data.get("remote_id")),
            note=str(data.get("note", "") or ""),
        )


@dataclass
class RetryPolicy:
    """How delivery retries transient failures: up to `max_attempts` in all, waiting
    `backoff_base * 2**(attempt-1)` seconds (or the answer's Retry-After). `idempotent` says re-sending
    the same lead is harmless (the system dedupes, or an external id is sent); when False, a request that
    may have reached the client (no answer in time) is not re-sent, to avoid duplicate leads.
    """

    max_attempts: int = 3
    backoff_base: float = 30.0
    idempotent: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> RetryPolicy:
        """Read the retry object; None means the defaults."""
        if data is None:
            return cls()
        data = _expect_dict(data, "retry")
        try:
            return cls(max_attempts=int(data.get("max_attempts", 3)), backoff_base=float(data.get("backoff_base", 30.0)),
                       idempotent=bool(data.get("idempotent", True)))
        except (TypeError, ValueError) as exc:
            raise SpecError("retry needs a whole number max_attempts and a number backoff_base") from exc

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before the attempt after `attempt` (1-based); Retry-After wins when given."""
        if retry_after is not None and retry_after >= 0:
            return float(retry_after)
        return float(self.backoff_base) * (2 ** max(0, attempt - 1))


@dataclass
class SettingInfo:
    """A setting (or secret) the spec expects from each integration, with a label for the form."""

    name: str
    label: str = ""
    secret: bool = False
    example: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SettingInfo:
        """Read {"name", "label", "secret", "example"} or a bare name."""
        if isinstance(data, str):
            return cls(name=data)
        data = _expect_dict(data, "setting")
        return cls(name=str(data.get("name", "")), label=str(data.get("label", "")),
                   secret=bool(data.get("secret", False)), example=str(data.get("example", "")))


@dataclass
class ParserSpec:
    """A whole parser: where and how to post a lead, and how to read the answer. See the module docstring.

    `required_fields` lists the client field names the intake system insists on (from the preset or the
    posting doc); `validate()` reports any that no mapping or static field sends.
    """

    name: str
    url: str = ""
    preset: str = ""
    system: str = "generic"
    description: str = ""
    test_url: str = ""
    method: str = "POST"
    body_format: str = "json"
    xml_root: str = "lead"
    send_empty: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    auth: Auth = field(default_factory=Auth)
    static: list[StaticField] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    test: TestMode = field(default_factory=TestMode)
    rules: list[ResponseRule] = field(default_factory=list)
    timeout: float = 20.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    settings: list[SettingInfo] = field(default_factory=list)
    required_fields: list[str] = field(default_factory=list)  # client fields the system insists on

    # ---- JSON ----------------------------------------------------------------------------------------------
    def to_dict(self, *, with_secrets: bool = True) -> dict[str, Any]:
        """Plain JSON-ready form; `with_secrets=False` blanks the literal values of secret static fields."""
        static = [s.to_dict() for s in self.static]
        if not with_secrets:
            for item in static:
                if item["secret"]:
                    item["value"] = ""
        return {
            "format": SPEC_FORMAT,
            "name": self.name,
            "preset": self.preset,
            "system": self.system,
            "description": self.description,
            "url": self.url,
            "test_url": self.test_url,
            "method": self.method,
            "body_format": self.body_format,
            "xml_root": self.xml_root,
            "send_empty": self.send_empty,
            "headers": dict(self.headers),
            "auth": self.auth.to_dict(),
            "static": static,
            "mappings": [m.to_dict() for m in self.mappings],
            "test": self.test.to_dict(),
            "rules": [r.to_dict() for r in self.rules],
            "timeout": self.timeout,
            "retry": self.retry.to_dict(),
            "settings": [s.to_dict() for s in self.settings],
            "required_fields": list(self.required_fields),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ParserSpec:
        """Build a spec from its JSON form; raise SpecError (one plain sentence) when the shape is wrong.

        Unknown keys are ignored; values are checked later by `validate()`.
        """
        data = _expect_dict(data, "parser")
        if not str(data.get("name", "")).strip():
            raise SpecError("the parser has no name")
        headers = data.get("headers") or {}
        if isinstance(headers, list):  # [{"name", "value"}] as some editors write it
            headers = {str(h.get("name", "")): str(h.get("value", "")) for h in headers if isinstance(h, dict)}
        if not isinstance(headers, dict):
            raise SpecError("headers must be an object of name: value")
        try:
            timeout = float(data.get("timeout", 20.0))
        except (TypeError, ValueError) as exc:
            raise SpecError("timeout must be a number of seconds") from exc
        return cls(
            name=str(data["name"]).strip(),
            url=str(data.get("url", "") or ""),
            preset=str(data.get("preset", "") or ""),
            system=str(data.get("system", "generic") or "generic"),
            description=str(data.get("description", "") or ""),
            test_url=str(data.get("test_url", "") or ""),
            method=str(data.get("method", "POST") or "POST").upper(),
            body_format=str(data.get("body_format", "json") or "json").lower(),
            xml_root=str(data.get("xml_root", "lead") or "lead"),
            send_empty=bool(data.get("send_empty", False)),
            headers={str(k): "" if v is None else str(v) for k, v in headers.items()},
            auth=Auth.from_dict(data.get("auth")),
            static=[StaticField.from_dict(s) for s in _expect_list(data.get("static"), "static")],
            mappings=[Mapping.from_dict(m) for m in _expect_list(data.get("mappings"), "mappings")],
            test=TestMode.from_dict(data.get("test")),
            rules=[ResponseRule.from_dict(r) for r in _expect_list(data.get("rules"), "rules")],
            timeout=timeout,
            retry=RetryPolicy.from_dict(data.get("retry")),
            settings=[SettingInfo.from_dict(s) for s in _expect_list(data.get("settings"), "settings")],
            required_fields=[str(f) for f in _expect_list(data.get("required_fields"), "required_fields")],
        )

    def to_json(self, *, with_secrets: bool = True, indent: int | None = 2) -> str:
        """The spec as JSON text (stable key order, so saved versions diff cleanly)."""
        return json.dumps(self.to_dict(with_secrets=with_secrets), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> ParserSpec:
        """Read a spec from JSON text; raise SpecError with a plain message when it is not valid."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SpecError(f"the parser file is not valid JSON ({exc})") from exc
        return cls.from_dict(data)

    # ---- convenience ---------------------------------------------------------------------------------------
    def mapping(self, target: str) -> Mapping | None:
        """The mapping for the client field `target`, or None."""
        return next((m for m in self.mappings if m.target == target), None)


# ---- validation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """A readable validation problem: `where` (e.g. "mapping 3 (First)") and `message`.

    `severity` is "error" (the parser cannot post correctly) or "warning" (worth a look, posts anyway).
    `section` and `index` let an editor point at the row: section is one of "mappings", "static",
    "rules", "headers" (with the 0-based `index` of the row) or a basic setting ("endpoint URL",
    "auth", "test mode", "required fields", ...) with index None.
    """

    where: str
    message: str
    severity: str = "error"
    section: str = ""
    index: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def validate(spec: ParserSpec) -> list[Problem]:
    """Every problem found in `spec`, errors and warnings, in the order of the editor's sections."""
    from parsers.fields import FIELD_NAMES
    from parsers.transforms import check_step

    problems: list[Problem] = []

    def locate(where: str) -> tuple[str, int | None]:
        if isinstance(where, _Where):
            return where.section, where.row
        return where, None

    def err(where: str, message: str) -> None:
        problems.append(Problem(str(where), message, "error", *locate(where)))

    def warn(where: str, message: str) -> None:
        problems.append(Problem(str(where), message, "warning", *locate(where)))

    if not spec.name.strip():
        err("name", "the parser needs a name")
    if spec.system not in SYSTEMS:
        warn("system", f"'{spec.system}' is not a known intake system ({', '.join(SYSTEMS)})")
    if spec.method not in METHODS:
        err("method", f"'{spec.method}' is not one of {', '.join(METHODS)}")
    if spec.body_format not in BODY_FORMATS:
        err("body format", f"'{spec.body_format}' is not one of {', '.join(BODY_FORMATS)}")
    if spec.method == "GET" and spec.body_format not in ("query",):
        warn("method", "a GET request carries no body; use the query body format to send fields in the URL")
    if spec.body_format == "xml" and not _XML_NAME_RE.match(spec.xml_root or ""):
        err("xml root", f"'{spec.xml_root}' is not a valid XML element name")

    declared = {s.name for s in spec.settings}
    _check_url(spec.url, "endpoint URL", err, warn, declared, required=True)
    if spec.test_url or spec.test.kind == "url":
        _check_url(spec.test_url, "test URL", err, warn, declared, required=spec.test.kind == "url")

    for row, (header, value) in enumerate(spec.headers.items()):
        at = _where(f"header '{header}'", "headers", row)
        if not header.strip() or any(c in header for c in " :\r\n"):
            err(at, "is not a valid header name")
        _check_text_placeholders(value, at, err, warn, declared)
        if "\r" in value or "\n" in value:
            err(at, "must stay on one line")

    auth = spec.auth
    if auth.kind not in AUTH_KINDS:
        err("auth", f"'{auth.kind}' is not one of {', '.join(AUTH_KINDS)}")
    elif auth.kind != "none":
        if not auth.secret:
            err("auth", f"{auth.kind} auth needs the name of the secret that holds the credential")
        if auth.kind == "basic" and not auth.username:
            err("auth", "basic auth needs a user name (text or a {setting})")
        if auth.kind == "api_key":
            if not auth.name:
                err("auth", "an API key needs the header or query parameter name it is sent as")
            if auth.location not in ("header", "query"):
                err("auth", "an API key goes in the header or the query")
        _check_text_placeholders(auth.username, "auth user name", err, warn, declared)

    targets: dict[tuple[str, str], str] = {}
    for i, item in enumerate(spec.static, 1):
        where = _where(f"static field {i} ({item.name or 'no name'})", "static", i - 1)
        if not item.name.strip():
            err(where, "needs a name")
        if item.location not in LOCATIONS:
            err(where, f"location '{item.location}' is not one of {', '.join(LOCATIONS)}")
        _check_text_placeholders(item.value, where, err, warn, declared)
        loc = "query" if item.location == "body" and spec.body_format == "query" else item.location
        targets.setdefault((loc, item.name), where)

    body_loc = "query" if spec.body_format == "query" else "body"
    for i, m in enumerate(spec.mappings, 1):
        where = _where(f"mapping {i} ({m.target or 'no target'})", "mappings", i - 1)
        if not m.target.strip():
            err(where, "needs a target field name")
        elif spec.body_format in ("json", "xml") and not _TARGET_RE.match(m.target):
            err(where, "a target is a name or a dotted path without spaces (e.g. inbox_lead.from_first)")
        elif spec.body_format == "xml" and not all(_XML_NAME_RE.match(p) for p in m.target.split(".")):
            err(where, f"'{m.target}' is not a valid XML element name")
        other = targets.get((body_loc, m.target))
        if other:
            err(where, f"sends '{m.target}' a second time (also {other})")
        targets[(body_loc, m.target)] = where
        if m.type not in VALUE_TYPES:
            err(where, f"value type '{m.type}' is not one of {', '.join(VALUE_TYPES)}")
        elif m.type != "string" and spec.body_format != "json":
            warn(where, f"a {m.type} value is sent as text in a {spec.body_format} body; the type only matters in JSON")
        if m.kind not in MAPPING_KINDS:
            err(where, f"source kind '{m.kind}' is not one of {', '.join(MAPPING_KINDS)}")
        elif m.kind == "field":
            if not m.source:
                if not m.transforms:
                    err(where, "needs a lead field to read from")
            elif m.source not in FIELD_NAMES:
                warn(where, f"'{m.source}' is not a canonical lead field; it is filled only when a lead has a custom field of that name")
        elif m.kind == "template":
            bad = check_placeholders(m.source)
            if bad:
                err(where, f"the template {bad}")
            for name in placeholders(m.source):
                if name not in FIELD_NAMES:
                    warn(where, f"the template uses {{{name}}}, which is not a canonical lead field")
        for j, step in enumerate(m.transforms, 1):
            for message in check_step(step.name, step.args):
                err(_where(f"{where}, transform {j} ({step.name or 'no name'})", "mappings", i - 1), message)

    # The intake system's required fields (from the preset or the posting doc) must each be sent.
    sent = {m.target: m for m in spec.mappings} | {s.name: None for s in spec.static}
    if spec.test.kind == "field":
        sent.setdefault(spec.test.field, None)
    for name in spec.required_fields:
        if name not in sent:
            err("required fields", f"the client requires '{name}', but no mapping or static field sends it")
        elif (mapping := sent[name]) is not None and not mapping.required and not mapping.default:
            warn("required fields", f"'{name}' is required by the client: mark its mapping required "
                 "(or give it a default) so an empty value is caught before sending")

    if spec.test.kind not in TEST_KINDS:
        err("test mode", f"'{spec.test.kind}' is not one of {', '.join(TEST_KINDS)}")
    elif spec.test.kind == "field" and not spec.test.field.strip():
        err("test mode", "a test field needs its name (e.g. lp_test) and value")

    for i, rule in enumerate(spec.rules, 1):
        _check_rule(rule, _where(f"response rule {i}", "rules", i - 1), err)

    if not 0 < spec.timeout <= 300:
        err("timeout", "must be between 0 and 300 seconds")
    if not 1 <= spec.retry.max_attempts <= 20:
        err("retry", "max attempts must be between 1 and 20")
    if spec.retry.backoff_base < 0:
        err("retry", "the backoff base cannot be negative")
    return problems


class _Where(str):
    """A problem's place as people read it ("mapping 3 (First)") carrying the editor's section and 0-based row."""

    section: str = ""
    row: int | None = None


def _where(text: str, section: str, row: int | None) -> _Where:
    where = _Where(text)
    where.section, where.row = section, row
    return where


def errors(spec: ParserSpec) -> list[Problem]:
    """Only the problems that stop the parser from posting correctly (severity "error")."""
    return [p for p in validate(spec) if p.severity == "error"]


def _check_url(url: str, where: str, err, warn, declared: set[str], *, required: bool) -> None:
    if not url.strip():
        if required:
            err(where, "is empty; paste the endpoint from the posting doc")
        return
    bad = check_placeholders(url)
    if bad:
        err(where, bad)
        return
    for name in placeholders(url):
        if declared and name not in declared:
            warn(where, f"uses {{{name}}}, which is not among the parser's declared settings")
    if re.fullmatch(r"\{[^{}]*\}", url.strip()):
        return  # the whole endpoint comes from a setting; render() checks the filled-in URL
    # Placeholders stand for host or path parts; judge the URL with a harmless stand-in.
    probe = re.sub(r"\{[^{}]*\}", "x", url)
    parts = urlsplit(probe)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in probe:
        err(where, f"'{url}' is not a valid http(s) URL")
    elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        warn(where, "sends leads unencrypted (http); ask the client for an https endpoint")


def _check_text_placeholders(text: str, where: str, err, warn, declared: set[str]) -> None:
    bad = check_placeholders(text)
    if bad:
        err(where, bad)
        return
    for name in placeholders(text):
        if declared and name not in declared:
            warn(where, f"uses {{{name}}}, which is not among the parser's declared settings")


def _check_rule(rule: ResponseRule, where: str, err) -> None:
    if rule.outcome not in OUTCOME_KINDS:
        err(where, f"outcome '{rule.outcome}' is not one of {', '.join(OUTCOME_KINDS)}")
    if not (rule.status or rule.body_regex or rule.json_path or rule.xpath):
        err(where, "needs a condition: a status, a body pattern, a JSON path or an XPath")
    if rule.status and parse_status_condition(rule.status) is None:
        err(where, f"status '{rule.status}' is not like 200, 2xx, 400-499 or 401,403")
    if rule.body_regex:
        message = _regex_problem(rule.body_regex)
        if message:
            err(where, f"the body pattern {message}")
    if rule.json_path:
        try:
            parse_json_path(rule.json_path)
        except ExpressionError as exc:
            err(where, f"the JSON path {exc}")
    if rule.xpath:
        message = check_xpath(rule.xpath)
        if message:
            err(where, f"the XPath {message}")
    for label, extract in (("reason", rule.reason), ("remote id", rule.remote_id)):
        if extract is None:
            continue
        if extract.kind not in EXTRACT_KINDS:
            err(where, f"the {label} source '{extract.kind}' is not one of {', '.join(EXTRACT_KINDS)}")
        elif extract.kind == "regex":
            message = _regex_problem(extract.expr)
            if message:
                err(where, f"the {label} pattern {message}")
        elif extract.kind == "json_path":
            try:
                parse_json_path(extract.expr)
            except ExpressionError as exc:
                err(where, f"the {label} JSON path {exc}")
        elif extract.kind == "xpath":
            message = check_xpath(extract.expr)
            if message:
                err(where, f"the {label} XPath {message}")


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"'{pattern}' is not a valid regular expression ({exc})"
    return None


def parse_status_condition(text: str) -> tuple[tuple[int, int], ...] | None:
    """Status condition → inclusive ranges: "200" → ((200, 200),), "2xx" → ((200, 299),); None if malformed."""
    ranges: list[tuple[int, int]] = []
    for part in (p.strip().lower() for p in str(text).split(",")):
        if re.fullmatch(r"[1-5]\d\d", part):
            ranges.append((int(part), int(part)))
        elif re.fullmatch(r"[1-5]xx", part):
            base = int(part[0]) * 100
            ranges.append((base, base + 99))
        elif m := re.fullmatch(r"([1-5]\d\d)\s*-\s*([1-5]\d\d)", part):
            low, high = int(m.group(1)), int(m.group(2))
            if low > high:
                return None
            ranges.append((low, high))
        else:
            return None
    return tuple(ranges) if ranges else None


# ---- what an integration must fill ------------------------------------------------------------------------
def settings_needed(spec: ParserSpec) -> list[str]:
    """Names of the (non-secret) settings each integration must fill: URL/header placeholders, the auth
    user name's placeholders, and non-secret static fields whose value is empty or a placeholder."""
    names: dict[str, None] = {}
    for text in (spec.url, spec.test_url if spec.test.kind == "url" or spec.test_url else "", spec.auth.username
                 if spec.auth.kind == "basic" else "", *spec.headers.values()):
        for name in placeholders(text):
            names.setdefault(name, None)
    for item in spec.static:
        if item.secret:
            continue
        if not item.value:
            names.setdefault(item.name, None)
        for name in placeholders(item.value):
            names.setdefault(name, None)
    return list(names)


def secrets_needed(spec: ParserSpec) -> list[str]:
    """Names of the secrets each integration must hold: the auth credential and secret static fields
    (by their placeholder, or by their own name when their value is empty)."""
    names: dict[str, None] = {}
    if spec.auth.kind != "none" and spec.auth.secret:
        names.setdefault(spec.auth.secret, None)
    for item in spec.static:
        if not item.secret:
            continue
        if not item.value:
            names.setdefault(item.name, None)
        for name in placeholders(item.value):
            names.setdefault(name, None)
    return list(names)


def missing_settings(spec: ParserSpec, settings: dict[str, Any], secrets: dict[str, Any]) -> list[str]:
    """The needed settings and secrets that are empty, by name, e.g. ["CaptorraId"] → "CaptorraId is empty"."""
    missing = [n for n in settings_needed(spec) if _empty(settings.get(n))]
    missing += [n for n in secrets_needed(spec) if _empty(secrets.get(n)) and n not in missing]
    return missing


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- JSON helpers -----------------------------------------------------------------------------------------
def _expect_dict(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SpecError(f"a {what} must be a JSON object, not {type(data).__name__}")
    return data


def _expect_list(data: Any, what: str) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise SpecError(f"'{what}' must be a JSON list")
    return data


def _json_scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(_json_scalar_text(v) for v in value)
    return str(value)
