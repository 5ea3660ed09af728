"""Posting-doc analysis: extracted text and tables → a draft parser setup (the intake JSON object).

Pure: text in, dict out. The rules follow how posting docs are written — field tables whose columns say
name / required / type / example / description in any order and wording, "key: value" lines, sample
requests (curl, JSON, XML, form or query strings), URL shapes of the known intake systems, and prose such
as "the following fields are required". Nothing here knows any particular client's field names.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

from parsers.fields import FIELDS_BY_NAME, SYNONYMS, canonical_name, squash
from xsc_desktop.intake.extract import Extracted

SYSTEMS = ("captorra", "lead_docket", "law_ruler", "litify", "clio_grow", "leadspedia", "ice", "intakedesk", "generic")

# --------------------------------------------------------------------------- vocabulary of posting docs

_URL_RE = re.compile(r"""https?://[^\s"'<>`\\|\]\[()]+""", re.I)
_PLACEHOLDER_RE = re.compile(
    r"""^(\{\{?.*\}?\}|<.*>|\[.*\]|\$\{?\w+\}?|%\w+%|:\w+|x{3,}|\*{3,}|\.{3}|…|your[\s_-].*|your|
    (api|access|secret)?[_-]?(key|token)[_-]?here|placeholder|changeme|tbd|tba|n/?a|none|null|
    provided\b.*|(will\s+be\s+)?(assigned|provided|supplied)\b.*|string|text|int|integer|number|value|
    [<(]?(see|ask|as\s+(above|below|given))\b.*)$""",
    re.I | re.X,
)
_META_KEYS = {squash(k) for k in (
    "url", "endpoint", "post url", "posting url", "post to", "posting endpoint", "api url", "api endpoint",
    "endpoint url", "target url", "submit url", "submission url", "production url", "live url", "test url",
    "sandbox url", "staging url", "webhook", "webhook url", "base url", "host", "server", "uri", "address url",
    "method", "http method", "verb", "request method", "request type", "http verb", "format", "body format",
    "data format", "content type", "content-type", "encoding", "request format", "payload format", "post type",
    "accept", "testing", "test", "test mode", "test lead", "test leads", "test switch", "success", "failure",
    "error", "errors", "response", "responses", "success response", "failure response", "returns", "note",
    "notes", "client", "firm", "law firm", "company", "date", "version", "updated", "last updated", "contact",
    "support", "author", "prepared by", "subject", "from", "to", "cc", "title", "example", "sample", "auth",
    "authentication", "authorization type", "auth type", "protocol", "port", "timeout", "rate limit", "charset",
    "tel", "fax", "re", "sent", "attention", "attn", "effective", "status", "page", "dear", "hi", "hello",
    "thanks", "regards", "important", "warning", "tip", "step", "goal", "purpose", "overview", "intro",
    "system", "crm", "platform", "intake system", "vendor name", "campaign name", "document", "doc",
    "headers", "header", "body", "payload", "fields", "required fields", "optional fields", "parameters",
    "params", "query", "query string", "example request", "sample request", "request", "answer",
    "duplicate", "duplicates", "reject", "rejected", "accepted", "ok", "http", "https", "mailto", "www",
    "website", "web", "documentation", "docs", "help", "privacy", "terms", "phone", "email", "e-mail",
)}
# Names of the integration's settings, never fields, when they head a two-cell row.
_SETTING_ROWS = {squash(k) for k in (
    "url", "endpoint", "post url", "posting url", "api url", "endpoint url", "method", "http method", "verb",
    "http verb", "format", "body format", "content type", "encoding", "request format", "post type")}
_META_RE = re.compile(r"^(test|sandbox|staging|prod(uction)?|live)[\s_-]?(url|endpoint)$", re.I)

_ROLE_WORDS = {
    "name": ("field", "fieldname", "name", "parameter", "param", "parametername", "paramname", "key", "variable",
             "attribute", "column", "columnname", "property", "element", "postfield", "fieldid", "apiname",
             "apifield", "fieldkey", "tag", "xmltag", "xmlelement", "node", "jsonkey", "jsonfield", "postname",
             "postkey", "postvariable", "postingfield", "apifieldname", "systemname", "fieldcode", "parametername",
             "keyname", "formfield", "inputname", "datafield", "fieldapiname", "apiparameter", "apikeyname",
             "path", "jsonpath", "fieldpath", "keypath", "xpath", "elementpath", "jsonproperty", "propertyname",
             "sentas", "postedas", "postas", "sendas", "apiname", "submitas", "passas"),
    "label": ("label", "displayname", "fieldlabel", "question", "caption", "friendlyname", "title", "data",
              "datapoint", "information", "item"),
    "required": ("required", "req", "mandatory", "yn", "requiredfield", "isrequired", "requiredyn", "reqd",
                 "requiredoptional", "mandatoryoptional", "mo", "ro", "reqopt", "requirement", "needed",
                 "must", "requiredornot", "optional", "optionalrequired", "status", "usage"),
    "type": ("type", "datatype", "fieldtype", "valuetype", "dtype", "kind", "format", "dataformat"),
    "example": ("example", "examples", "sample", "samplevalue", "examplevalue", "eg", "sampledata",
                "exampledata", "samples", "testvalue", "example input"),
    "value": ("value", "values", "default", "defaultvalue", "fixedvalue", "staticvalue", "constant",
              "setto", "yourvalue", "use"),
    "description": ("description", "desc", "notes", "note", "comments", "comment", "details", "meaning",
                    "remarks", "explanation", "definition", "info", "information", "purpose", "validation",
                    "rules", "allowedvalues", "validvalues", "maxlength", "length", "instructions", "mapping",
                    "mapsto", "source", "whattosend", "content", "about", "usage notes", "constraints"),
}
_ROLE_INDEX = {word: role for role, words in _ROLE_WORDS.items() for word in words}
# "status"/"usage" name a required column only when its cells say required/optional.
_SOFT_REQUIRED = {"status", "usage"}

_YES = {"yes", "y", "true", "required", "req", "mandatory", "x", "✓", "✔", "m", "r", "1", "*", "must",
        "always", "reqd", "required*", "yes*", "requires", "t"}
_NO = {"no", "n", "false", "optional", "opt", "o", "-", "–", "0", "", "not required", "f", "recommended",
       "conditional", "if available", "when available", "preferred", "nice to have", "situational"}

_STATIC_HINT = re.compile(
    r"\b(static|constant|fixed|hard-?coded|do not change|don't change|never changes?|provided by|assigned by|"
    r"assigned to you|given to you|(?:we|will) (?:be )?provided?|(?:we|will) supply|supplied by|issued by|"
    r"(?:always|must) (?:send|use|pass|be set to|equal)|use (?:the )?(?:value|exactly|this value)|"
    r"same (?:value )?for (?:all|every)|set (?:this |it )?to\b|your (?:api|account|campaign|vendor|source)\b|"
    r"(?:api|account|access|campaign|vendor|affiliate|publisher) (?:key|id|token)\b|credential)",
    re.I,
)
_LEAD_HINT = re.compile(
    r"\b(the lead'?s?|lead's|the (?:person|consumer|customer|claimant|client|caller|prospect|user|applicant)'s|"
    r"from the (?:form|lead|lander)|entered by|submitted by|visitor'?s?|of the lead)\b",
    re.I,
)
_CONTROL_TOKENS = {
    "key", "apikey", "api", "token", "secret", "password", "pass", "pwd", "passwd", "auth", "authorization",
    "signature", "sig", "hash", "campaign", "campaignid", "vendor", "vendorid", "affiliate", "affid",
    "publisher", "pubid", "partner", "account", "list", "offer", "operation", "action", "cmd", "command",
    "returnjson", "returnxml", "response", "format", "aid", "cid", "oid", "pid", "srcid", "firmid", "clientid",
    "accountid", "username", "user", "login", "guid", "referrer", "ref", "provider",
}
_SECRET_TOKENS = {"key", "apikey", "token", "secret", "password", "pass", "pwd", "passwd", "auth",
                  "authorization", "signature", "sig", "hash", "bearer", "credential", "credentials"}
_ID_SUFFIX = re.compile(r"(?:id|key|code|guid|token|uuid|no|number|num)$", re.I)
_TEST_NAME = re.compile(r"^(?:lp_|is_?|x_?)?test(?:_?(?:mode|lead|flag|post|only|ing))?$|^(?:is|lp|x)_?test\w*$|^sandbox(?:_?mode)?$|^dry_?run$|^test$", re.I)

_RESPONSE_CONTEXT = re.compile(
    r"\b(respon\w*|returns?|returned|repl(?:y|ies)|answers?|success(?:ful)?|fail(?:ure|ed|s)?|errors?|"
    r"reject\w*|accept\w*|duplicates?|outcome|results?|you will (?:get|receive)|we (?:send|return))\b", re.I)
_REQUEST_CONTEXT = re.compile(
    r"\b(requests?|payload|body|post(?:ing)? (?:body|data|example)|example (?:post|lead|request|payload|body)|"
    r"sample (?:post|lead|request|payload|body|call)|curl|send(?:ing)?|submit|example|sample|format of the post)\b",
    re.I)

_HEADER_NAME = re.compile(r"^(x-[\w-]+|authorization|api-?key|apikey|access-?token|auth-?token|token|"
                          r"ocp-apim-subscription-key|subscription-key|x_api_key)$", re.I)


# --------------------------------------------------------------------------- working records


@dataclass
class _Field:
    name: str
    required: bool | None = None
    type: str = ""
    example: str = ""
    description: str = ""
    value: str = ""  # a value the doc fixes (a "Value"/"Default" column), not an example
    source: str = ""  # table, sample, form, list, prose, query
    static_hint: bool = False
    hidden: bool = False
    label: str = ""
    order: int = 0


@dataclass
class _Static:
    name: str
    value: str
    location: str = "body"
    source: str = ""


@dataclass
class _Sample:
    kind: str  # json, xml, form, query
    body: object
    start: int
    role: str  # request or response
    context: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = ""
    url: str = ""


@dataclass
class _Doc:
    text: str
    lines: list[str]
    tables: list[list[list[str]]]
    fields: dict[str, _Field] = field(default_factory=dict)
    statics: dict[str, _Static] = field(default_factory=dict)
    kv: list[tuple[str, str, int]] = field(default_factory=list)
    samples: list[_Sample] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    order: int = 0
    form_post: bool = False
    text_tables: list[list[list[str]]] = field(default_factory=list)
    table_spans: list[tuple[int, int]] = field(default_factory=list)  # line ranges of field tables in the text


# --------------------------------------------------------------------------- entry point


def analyze(extracted: Extracted, file: str = "") -> dict:
    """Turn an extracted posting doc into the draft parser setup (the `intake --json` object)."""
    from xsc_desktop.intake.pipeline import run

    return run(extracted, file).to_dict()


def recognise(extracted: Extracted, file: str = "") -> dict:
    """The table, sample, prose and URL recognisers: the draft before reconciling and the safety rules."""
    text = extracted.text or ""
    doc = _Doc(text=text, lines=text.split("\n"), tables=list(extracted.tables))
    doc.warnings.extend(extracted.warnings)

    request = _json_request_description(text) if extracted.format == "json" else None
    doc.text_tables = _text_tables(doc.lines, structured=bool(doc.tables), spans=doc.table_spans)
    doc.kv = _key_values(doc)
    doc.samples = _samples(doc, request)
    for rows in doc.tables + doc.text_tables:
        _read_field_table(doc, rows)
    _read_field_lists(doc)
    _read_assignment_lists(doc)
    _read_field_spec_lines(doc)
    _read_prose_field_list(doc)
    _read_prose_needs(doc)
    for form in extracted.forms:
        _read_form(doc, form)

    urls = _urls(doc, extracted, request)
    system = _detect_system(doc, urls)
    endpoint, endpoint_raw = _pick_endpoint(doc, urls, system)
    method = _pick_method(doc, extracted, request)
    if any(form.action.startswith("http") and not form.enctype.endswith("json") for form in extracted.forms):
        doc.form_post = True
    fmt = _pick_format(doc, system, endpoint, method, request)
    if fmt == "query" and not _explicit_method(doc, request):
        method = "GET"

    _read_request_samples(doc, fmt)
    for name in (request or {}).get("required") or []:
        f = doc.fields.get(name)
        if f is not None:
            f.required = True  # {"required": ["firstName", ...]} beside the sample body
    for name, text in ((request or {}).get("descriptions") or {}).items():
        f = doc.fields.get(name)
        if f is not None and not f.description:
            f.description = text
    _read_url_query(doc, endpoint_raw, fmt)
    _read_headers(doc, request)
    _read_prose_descriptions(doc)
    _apply_required_prose(doc)
    test = _find_test(doc)
    _read_static_lines(doc)
    _read_prose_statics(doc, test)
    fields, statics = _split_fields_and_statics(doc, test, fmt)
    _fill_placeholders(doc, statics)
    rules = _response_rules(doc)

    if fmt == "json":
        # Rails-style nesting ("inbox_lead[from_first]") in a JSON doc is the dotted path of the body.
        for f in fields:
            if re.fullmatch(r"[A-Za-z_]\w*(\[[A-Za-z_]\w*\])+", f.name):
                f.name = re.sub(r"\[([A-Za-z_]\w*)\]", r".\1", f.name)
    out_fields = []
    unmapped = []
    meanings = [_maps_to(f) for f in fields]
    _second_phone(fields, meanings)
    for f, maps_to in zip(fields, meanings, strict=True):
        if maps_to is None:
            unmapped.append(f.name)
        out_fields.append({
            "name": f.name, "required": bool(f.required), "type": _norm_type(f.type, f.example, maps_to),
            "example": f.example, "description": f.description, "maps_to": maps_to,
        })
    out_static = [{"name": s.name, "value": s.value, "location": s.location, "secret": _is_secret(s.name, s.value)}
                  for s in statics]
    if unmapped:
        doc.warnings.append(
            f"No lead field found for {', '.join(unmapped[:8])}{' …' if len(unmapped) > 8 else ''}; map them by hand."
        )
    if not out_fields:
        doc.warnings.append("No field list found in the doc; add the fields by hand.")
    for s in out_static:
        if _is_placeholder(s["value"]):
            doc.warnings.append(f"The doc shows a placeholder for {s['name']}; enter the real value.")
    confidence = _confidence(doc, endpoint, out_fields, out_static)
    xml_root = next((s.body.tag.split("}", 1)[-1] for s in doc.samples  # type: ignore[union-attr]
                     if s.kind == "xml" and s.role == "request"), None)
    extra = {"xml_root": xml_root} if fmt == "xml" and xml_root else {}
    return {
        "file": file,
        "system": system,
        "endpoint": endpoint,
        "method": method,
        "format": fmt,
        "fields": out_fields,
        "static": out_static,
        "test": test,
        "response_rules": rules,
        "confidence": confidence,
        "warnings": _dedupe(doc.warnings),
        **extra,
    }


# --------------------------------------------------------------------------- helpers: names and values


def _clean_name(raw: str) -> tuple[str, bool]:
    """A field name from a table cell or list item; the flag is True when it was marked required (`*`)."""
    s = raw.strip()
    marked = "*" in s and not s.startswith("*") or s.endswith("*") or "(required)" in s.lower() or "(req" in s.lower()
    code = re.search(r"`([^`]+)`", s)
    if code:
        s = code.group(1)
    s = re.sub(r"\((?:required|optional|req\.?|opt\.?|mandatory)\)", "", s, flags=re.I)
    s = s.strip(" *\t\"'`“”‘’:")
    # "First Name (first_name)" → the identifier in brackets is what gets posted.
    inner = re.fullmatch(r"(.+?)\s*[(\[]\s*([A-Za-z_][\w.\-\[\]]*)\s*[)\]]", s)
    if inner and " " in inner.group(1):
        s = inner.group(2)
    else:
        # "first_name (string)", "phone [10 digits]": the identifier first, a note after it.
        lead = re.fullmatch(r"([A-Za-z_][\w.\-]*(?:\[\w*\])*)(?:\s*\([^)]*\)|\s+\[[^\]]*\])", s)
        if lead:
            s = lead.group(1)
    s = re.sub(r"\s+", " ", s).strip(" *")
    return s, marked


def _looks_like_name(s: str) -> bool:
    if not s or len(s) > 60 or s.count(" ") > 3:
        return False
    if not re.match(r"^[A-Za-z_@$][\w .\-\[\]/:@$]*$", s) or ": " in s:
        return False
    return not re.search(r"[.:]\s*$", s)


def _is_identifier(s: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][\w.\-\[\]]*", s or ""))


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def _is_placeholder(value: str) -> bool:
    v = (value or "").strip()
    return not v or bool(_PLACEHOLDER_RE.match(v))


def _has_control_parent(name: str) -> bool:
    """`campaign.id`, `auth.token`: a value nested under a setting object is a setting too."""
    parents = name.split(".")[:-1]
    if parents and _tokens(parents[-1]) in (["tracking"], ["meta"]) and _distinctive_meaning(name):
        return False  # tracking.trustedform_url is the lead's certificate, not a setting
    return any(t in _CONTROL_TOKENS or t in ("credentials", "meta", "config", "settings", "tracking")
               for p in parents for t in _tokens(p))


def _lead_meaning(name: str) -> str | None:
    """The canonical field a posted name stands for, unless it sits under a setting object."""
    if _has_control_parent(name):
        return None
    return canonical_name(name) or _distinctive_meaning(name)


# Words that name one lead field wherever they appear in a name ("trusted_form_cert_id", "EmailAddr").
_DISTINCTIVE = (
    ("trustedform", "trustedform_cert_url"), ("jornaya", "jornaya_leadid"), ("leadidtoken", "jornaya_leadid"),
    ("useragent", "user_agent"), ("ipaddress", "ip_address"), ("tcpatext", "tcpa_text"),
    ("tcpalanguage", "tcpa_text"), ("tcpa", "tcpa_consent"), ("dateofbirth", "date_of_birth"),
    ("birthdate", "date_of_birth"), ("zipcode", "zip"), ("postalcode", "zip"), ("email", "email"),
)


def _distinctive_meaning(name: str) -> str | None:
    key = squash(name.rsplit(".", 1)[-1])
    return next((target for word, target in _DISTINCTIVE if word in key), None)


def _is_control_name(name: str) -> bool:
    """A name that carries a setting of the integration (key, campaign, vendor, operation), not lead data."""
    if _has_control_parent(name):
        return True
    if _distinctive_meaning(name):
        return False
    last = name.rsplit(".", 1)[-1]
    toks = _tokens(last)
    if not toks:
        return False
    if squash(last) in _CONTROL_TOKENS or any(t in _CONTROL_TOKENS for t in toks):
        return True
    return len(toks) >= 2 and toks[-1] in ("id", "key", "token", "guid", "code") and canonical_name(last) is None


def _is_secret(name: str, value: str) -> bool:
    toks = set(_tokens(name))
    if toks & _SECRET_TOKENS or squash(name) in _SECRET_TOKENS:
        return True
    return value.lower().startswith(("bearer ", "basic "))


def _clean_value(raw: str) -> str:
    v = raw.strip()
    v = re.sub(r"^[\"'`“‘]+|[\"'`”’]+$", "", v).strip()
    return v


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if not (x in seen or seen.add(x))]


# --------------------------------------------------------------------------- key: value lines


def _key_values(doc: _Doc) -> list[tuple[str, str, int]]:
    """Every "label: value" the doc states: colon lines, two-cell table rows, two-column aligned lines."""
    pairs: list[tuple[str, str, int]] = []
    in_table = set()
    for a, b in doc.table_spans:
        in_table.update(range(a, b))
    for i, line in enumerate(doc.lines):
        s = line.strip().lstrip("-*•>#").strip()
        s = re.sub(r"\*\*|__", "", s)
        if doc.tables and re.match(r"^\s*\|\s", line) and not line.rstrip().endswith("|"):
            continue  # a spreadsheet row whose first cell is empty ("| Chicago | City"): no setting
        m = re.match(r"^([A-Za-z_][\w .\-/\[\]()]{0,50}?)\s*(?::|=|\|)\s*(\S.*)$", s)
        if line.lstrip().startswith("|") or (not m and i not in in_table):
            # "| Endpoint | https://... |" and "Endpoint     https://..." (a two-column settings block)
            cells = [c for c in (_pipe_cells(line) if line.lstrip().startswith("|") else _TABLE_SPLIT.split(s)) if c.strip()]
            if len(cells) == 2 and _looks_like_name(cells[0].rstrip(":")) and i not in in_table:
                m = re.match(r"^(.*)\x00(.*)$", cells[0].rstrip(": ") + "\x00" + cells[1].strip())
            elif line.lstrip().startswith("|"):
                continue
        if not m or (" | " in m.group(2) and m.group(2).count("|") >= 2):
            continue  # a table row rendered as text, read with its table
        key, value = m.group(1).strip(), m.group(2).strip().lstrip("| ").strip()
        key = re.sub(r"^(?:http\s+)?headers?\s*[:\-]?\s+(?=[\w-]+$)", "", key, flags=re.I)
        key = re.sub(r"^((?:x-[\w-]+)|authorization)\s+header$", r"\1", key, flags=re.I)
        if "://" in key or key.lower() in ("http", "https"):
            continue
        inner = re.match(r"^((?:x-[\w-]+)|authorization|api-?key)\s*:\s*(\S.*)$", value, re.I)
        if inner:
            pairs.append((inner.group(1), inner.group(2).strip(), i))
        if "|" in value and not re.search(r"\w\|\w", value):
            parts = [p.strip() for p in value.split("|")]
            value = parts[0] if parts else value
        pairs.append((key, value, i))
    for rows in doc.tables:
        seen_header = False
        for row in rows:
            cells = [c for c in row if c.strip()]
            seen_header = seen_header or bool(_header_roles(row))
            # Above a field table, a settings row may carry a note in a third cell: "URL | https://... | live".
            if len(cells) == 3 and not seen_header and not _header_roles(row):
                cells = cells[:2]
            if seen_header and cells and row and row[0].strip() != cells[0]:
                continue  # "| Chicago | City |" inside a field table is an example beside a name, not a setting
            if len(cells) == 2 and _looks_like_name(re.sub(r"\s*\([^)]*\)", "", cells[0]).rstrip(": ")) and len(
                    cells[1]) < 300:
                key = re.sub(r"^(?:http\s+)?headers?\s*[:\-]?\s+(?=[\w-]+$)", "", cells[0].strip().rstrip(":").strip(),
                             flags=re.I)
                pairs.append((key, cells[1].strip(), -1))
                inner = re.match(r"^((?:x-[\w-]+)|authorization|api-?key)\s*:\s*(\S.*)$", cells[1].strip(), re.I)
                if inner:
                    pairs.append((inner.group(1), inner.group(2).strip(), -1))
    return pairs


# --------------------------------------------------------------------------- tables


def _header_roles(row: list[str], *, strict: bool = False) -> dict[int, str] | None:
    """The role of each column when `row` is the header of a field table, else None.

    `strict` (inside a table) accepts only exact header words, so a data row such as
    "lastName | Required | Last name" never starts a new table.
    """
    roles: dict[int, str] = {}
    filled = [c for c in row if c.strip()]
    for i, cell in enumerate(row):
        c = re.sub(r"\(.*?\)|[?*#:.']", "", cell).strip()
        if not c or len(c) > 40:
            continue
        key = squash(c)
        role = _ROLE_INDEX.get(key)
        if role is None and strict:
            continue
        if role is None:
            words = c.lower().replace("/", " ").split()
            if key.startswith(("required", "mandatory")) or (words and words[0] in ("required", "mandatory", "req")):
                role = "required"
            elif any(w in ("description", "notes", "comments", "details") for w in words):
                role = "description"
            elif words and words[-1] in ("name", "field", "parameter", "key") and not {"display", "label"} & set(words):
                role = "name"
            elif any(w in ("example", "sample", "e.g") for w in words):
                role = "example"
            elif words and words[-1] == "type":
                role = "type"
        if role and role not in roles.values():
            roles[i] = role
        elif role == "name" and "name" in roles.values():
            # Two name-like columns ("Field" and "Field name"): the later, more specific one wins only if
            # the first was plain "name"; otherwise keep the first.
            continue
    if "name" not in roles.values():
        if "label" in roles.values() and len(roles) >= 3:
            for i, r in list(roles.items()):
                if r == "label":
                    roles[i] = "name"
        else:
            return None
    others = set(roles.values()) - {"name", "label"}
    if not others or len(roles) < max(2, (len(filled) + 1) // 2):
        return None
    if strict and len(roles) < len(filled):
        return None
    return roles


def _parse_required(cell: str, header: str) -> bool | None:
    c = cell.strip().lower().rstrip(".*!").strip()
    inverted = squash(header) in ("optional",)
    if c in _YES or c.startswith(("yes", "required", "mandatory", "y ")):
        val = True
    elif c in _NO or c.startswith(("no", "optional", "not required", "n ", "conditional", "only ")):
        val = False
    else:
        if re.search(r"\brequired\b", c) and not re.search(r"\bnot required\b", c):
            return True
        return None
    return (not val) if inverted else val


def _sideways_blocks(rows: list[list[str]]) -> list[list[list[str]]]:
    """Field tables laid out sideways (one column per field, header words down the first column), transposed."""
    blocks: list[list[list[str]]] = []
    run: list[list[str]] = []
    for row in rows + [[]]:
        first = re.sub(r"\(.*?\)|[?*#:.']", "", row[0]).strip() if row else ""
        if len(row) >= 3 and _ROLE_INDEX.get(squash(first)):
            run.append(row)
            continue
        if len(run) >= 2:
            roles = {_ROLE_INDEX[squash(re.sub(r"\(.*?\)|[?*#:.']", "", r[0]).strip())] for r in run}
            across = [c for c in run[0][1:] if c.strip()]
            # A normal header row has header words across it; a sideways one has field names.
            header_words = sum(1 for c in across if _ROLE_INDEX.get(squash(re.sub(r"\(.*?\)|[?*#:.']", "", c))))
            if "name" in roles and len(roles) >= 2 and header_words < len(across) / 2:
                width = max(len(r) for r in run)
                padded = [r + [""] * (width - len(r)) for r in run]
                blocks.append([list(col) for col in zip(*padded, strict=True)])
        run = []
    return blocks


def _read_field_table(doc: _Doc, rows: list[list[str]], *, sideways: bool = True) -> None:
    blocks = _sideways_blocks(rows) if sideways else []
    if blocks:
        for block in blocks:
            _read_field_table(doc, block, sideways=False)
        return
    i = 0
    while i < len(rows):
        roles = _header_roles(rows[i])
        if not roles:
            i += 1
            continue
        header = rows[i]
        col = {role: idx for idx, role in roles.items()}
        # "Parameter | Value (| Notes)": a table of settings, every concrete value in it is fixed by the doc.
        j = i + 1
        while j < len(rows):
            row = rows[j]
            if j > i + 1 and _header_roles(row, strict=True):
                break
            j += 1
            name_cell = row[col["name"]] if col["name"] < len(row) else ""
            if not name_cell.strip():
                # A continuation row (wrapped description) adds to the field above.
                extra = " ".join(c for c in row if c.strip())
                if extra and doc.fields and "description" in col:
                    last = list(doc.fields.values())[-1]
                    if last.source == "table":
                        last.description = (last.description + " " + extra).strip()
                continue
            name, marked = _clean_name(name_cell)
            if not _looks_like_name(name) or squash(name) in _ROLE_INDEX and squash(name) in ("field", "name", "fieldname"):
                continue
            if sum(1 for c in row if c.strip()) == 1 and len(header) >= 2 and (" " in name or name_cell.strip().endswith(":")):
                continue  # a section heading or a sentence below the table
            following = rows[j] if j < len(rows) else []
            if (len(row) == 1 and len(header) >= 3 and re.fullmatch(r"[A-Z][a-z]+", name) and _lead_meaning(name) is None
                    and sum(1 for c in following if c.strip()) >= 2):
                continue  # one plain word across the table, heading the rows below it: a section such as "Tracking"
            filled = [c.strip() for c in row if c.strip()]
            if len(filled) == 2 and len(header) >= 3 and (_META_RE.match(name) or squash(name) in _SETTING_ROWS or
                                                          squash(filled[0]) in _SETTING_ROWS or
                                                          re.match(r"https?://", filled[1])):
                continue  # "Endpoint | https://..." below the field table: a setting, read as a key: value
            get = {r: (row[idx].strip() if idx < len(row) else "") for r, idx in col.items()}
            f = _Field(name=name, source="table")
            req = None
            if "required" in col:
                req = _parse_required(get["required"], header[col["required"]])
                if req is None and squash(header[col["required"]]) in _SOFT_REQUIRED:
                    req = None
            f.type = get.get("type", "")
            f.description = get.get("description", "")
            if "label" in col and get.get("label") and get["label"] != name:
                f.label = get["label"]
            f.example = _clean_value(get.get("example", ""))
            if "value" in col and get.get("value"):
                raw_value = _clean_value(get["value"])
                # "{first_name}", "lead's first name": the column describes where the value comes from.
                if _is_placeholder(raw_value) or len(raw_value.split()) >= 3 or _LEAD_HINT.search(raw_value):
                    f.description = (f.description + " " + raw_value).strip()
                else:
                    f.value = raw_value
            if not f.example:
                f.example = _example_from_text(f.description)
            if req is None:
                req = _required_from_text(f.description + " " + f.type)
            if marked and req is None:
                req = True
            f.required = req
            # A value the table fixes is a static value, in a settings table or a "Default" column beside flags.
            f.static_hint = bool(_STATIC_HINT.search(f.description + " " + get.get("required", ""))) or (
                bool(f.value) and not _LEAD_HINT.search(f.description))
            fixed = _value_from_hint(f.description)
            if fixed and (not f.example or f.example == fixed) and not f.value:
                f.value = fixed
                f.static_hint = True
            _add_field(doc, f)
        i = j


def _value_from_hint(text: str) -> str:
    """The fixed value a description names: "Always send XSC", "Use 'CreateLead'", "Fixed value: 12"."""
    quoted = re.fullmatch(r"\s*(?:always(?:\s+(?:send|use|pass|set(?:\s+to)?|be|equals?))?|fixed(?: value)?\s*[:=]?|"
                          r"constant\s*[:=]?|must be)\s+[\"“']([^\"”']{1,60})[\"”']\s*\.?\s*", text or "", re.I)
    if quoted:
        return quoted.group(1)  # 'Always "XSC Digital"': a quoted value may hold spaces
    given = re.search(r"\b(?:assigned|provided|given|issued|supplied)(?:\s+(?:by us|to you|by \w+))?\s*[:=]\s*[\"'`“]?"
                      r"([A-Za-z0-9][\w.@/-]*)[\"'`”]?\s*\.?$", text or "", re.I)
    if given:
        return given.group(1)  # "assigned by us: XSC-11"
    m = re.search(r"\b(?:always(?:\s+(?:send|use|pass|set(?:\s+to)?|be|equals?))?|use(?: the value)?|set to|"
                  r"fixed(?: value)?\s*[:=]?|constant\s*[:=]?|hard-?coded(?: to)?\s*[:=]?|must be)\s+"
                  r"[\"'`“]?([A-Za-z0-9][\w.@:/-]*)[\"'`”]?\s*(?:(?:for|on|in|with)\b[^.]*|\([^)]*\))?\.?$",
                  text or "", re.I)
    if not m:
        return ""
    value = m.group(1)
    if value.lower() in ("required", "present", "a", "an", "the", "this", "it", "digits", "numeric", "valid",
                         "unique", "sent", "provided", "included", "empty", "blank", "lowercase", "uppercase"):
        return ""
    return value


def _example_from_text(text: str) -> str:
    m = re.search(r"\b(?:e\.?g\.?|ex(?:ample)?|sample|for example|such as)\s*[:.,]?\s*(?:\"([^\"]+)\"|'([^']+)'|`([^`]+)`|(\S+(?: \S+){0,3}))",
                  text or "", re.I)
    if not m:
        return ""
    value = next(g for g in m.groups() if g is not None)
    return value.strip().rstrip(".,;)")


def _required_from_text(text: str) -> bool | None:
    t = (text or "").lower()
    if re.search(r"\b(not required|optional|if (?:known|available)|when available)\b", t):
        return False
    if re.search(r"\b(required|mandatory|must be (?:sent|provided|present|included))\b", t):
        return True
    return None


def _add_field(doc: _Doc, f: _Field) -> None:
    key = f.name
    existing = doc.fields.get(key) or next((v for k, v in doc.fields.items() if k.lower() == key.lower()), None)
    if existing is None:
        doc.order += 1
        f.order = doc.order
        doc.fields[key] = f
        return
    # The first source keeps its spelling; later sources only fill gaps.
    if existing.required is None and f.required is not None:
        existing.required = f.required
    elif f.required and f.source in ("table", "form") and existing.source not in ("table",):
        existing.required = True
    for attr in ("type", "example", "description", "value", "label"):
        if not getattr(existing, attr) and getattr(f, attr):
            setattr(existing, attr, getattr(f, attr))
    existing.static_hint = existing.static_hint or f.static_hint
    if f.source == "table" and existing.source != "table":
        existing.source = "table"


_TABLE_SPLIT = re.compile(r"\t+|\s{2,}")


def _text_tables(lines: list[str], *, structured: bool = False,
                 spans: list[tuple[int, int]] | None = None) -> list[list[list[str]]]:
    """Tables laid out as text: markdown pipes, tabs, or columns aligned with spaces (PDF, TXT).

    With `structured` tables already read from the file, their " | " text rendering is skipped. The line
    range of each table found is added to `spans`.
    """
    tables: list[list[list[str]]] = []
    i = 0
    n = len(lines)
    spans = spans if spans is not None else []
    while i < n:
        start = i
        line = lines[i]
        if structured and " | " in line and not line.lstrip().startswith("|"):
            i += 1
            continue
        if line.count("|") >= 2 and _header_roles(_pipe_cells(line)):
            rows = [_pipe_cells(line)]
            spaced = " | " in line and not line.strip().startswith("|")
            i += 1
            while i < n and lines[i].count("|") >= 1 and (not spaced or " | " in lines[i] or lines[i].rstrip().endswith(" |")):
                cells = _pipe_cells(lines[i])
                if not all(re.fullmatch(r":?-{2,}:?|=+", c.strip()) or not c.strip() for c in cells):
                    rows.append(cells)
                i += 1
            tables.append(rows)
            spans.append((start, i))
            continue
        cells = [c for c in _TABLE_SPLIT.split(line.strip()) if c]
        if len(cells) >= 2 and _header_roles(cells):
            table, i = _aligned_table(lines, i)
            tables.append(table)
            spans.append((start, i))
            continue
        i += 1
    return tables


def _pipe_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


def _split_crossing(cells: list[tuple[int, str]], starts: list[int]) -> list[tuple[int, str]]:
    """Split a cell that runs into the next column with a single space ("trustedform_cert No")."""
    out = []
    for pos, text in cells:
        while True:
            cut = None
            for s in starts:
                if pos < s - 1 and s - pos < len(text):
                    for k in range(max(1, s - pos - 3), min(len(text) - 1, s - pos + 2)):
                        if text[k] == " ":
                            cut = k
                            break
                if cut:
                    break
            if not cut:
                break
            out.append((pos, text[:cut]))
            pos, text = pos + cut + 1, text[cut + 1:]
        out.append((pos, text))
    return out


def _assign_columns(positions: list[int], starts: list[int]) -> list[int]:
    """Column index of each cell: in order, as close to the header starts as possible.

    Proportional fonts shift PDF columns several characters either way, so "nearest start" alone can put
    two cells in one column; keeping the order and minimising the total shift does not.
    """
    m, k = len(positions), len(starts)
    if m > k:
        return [min(range(k), key=lambda c, p=p: (abs(starts[c] - p), c)) for p in positions]
    inf = float("inf")
    # cost[i][j]: best total shift placing the first i cells with cell i-1 in column j-1.
    cost = [[inf] * (k + 1) for _ in range(m + 1)]
    back = [[0] * (k + 1) for _ in range(m + 1)]
    cost[0] = [0.0] * (k + 1)
    for i in range(1, m + 1):
        best, best_j = inf, 0
        for j in range(1, k + 1):
            if cost[i - 1][j - 1] < best:
                best, best_j = cost[i - 1][j - 1], j - 1
            if best < inf:
                cost[i][j] = best + abs(positions[i - 1] - starts[j - 1])
                back[i][j] = best_j
    j = min(range(1, k + 1), key=lambda c: cost[m][c]) if m else 0
    out = []
    for i in range(m, 0, -1):
        out.append(j - 1)
        j = back[i][j]
    return out[::-1]


def _tab_table(lines: list[str], start: int) -> tuple[list[list[str]], int]:
    """A table whose cells are separated by tabs (pasted from a spreadsheet): one row per tabbed line."""
    rows = [[c.strip() for c in lines[start].strip().split("\t") if c.strip()]]
    i = start + 1
    while i < len(lines) and "\t" in lines[i].strip():
        rows.append([c.strip() for c in re.split(r"\t", lines[i].strip())])
        i += 1
    return rows, i


def _aligned_table(lines: list[str], start: int) -> tuple[list[list[str]], int]:
    if "\t" in lines[start].strip() and "\t" in (lines[start + 1] if start + 1 < len(lines) else ""):
        return _tab_table(lines, start)
    header_line = lines[start].expandtabs(8)
    spans = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", header_line)]
    starts = [s for s, _ in spans]
    rows = [[c for _, c in spans]]
    roles = _header_roles(rows[0]) or {0: "name"}
    name_col = next((k for k, r in roles.items() if r == "name"), 0)
    i = start + 1
    blanks = 0
    while i < len(lines):
        line = lines[i].expandtabs(8)
        if not line.strip():
            blanks += 1
            if blanks > 2:
                break
            i += 1
            continue
        if re.fullmatch(r"[\s\-=_+|]+", line):
            i += 1
            continue
        raw_cells = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line)]
        first_start, first = raw_cells[0]
        if len(raw_cells) == 1 and not blanks and any(abs(first_start - st) <= 3 for st in starts[name_col + 1:]):
            # A description wrapped onto the next line, under its own column: it belongs to the row above.
            row = [""] * len(starts)
            row[min(range(len(starts)), key=lambda k: abs(starts[k] - first_start))] = first
            rows.append(row)
            i += 1
            continue
        if first.endswith(":") or (blanks and len(raw_cells) == 1) or (len(raw_cells) == 1 and " " in first):
            break
        if len(raw_cells) >= 2 and _header_roles([c for _, c in raw_cells], strict=True):
            break  # the next table's header
        # Only a row with fewer cells than columns can hide two cells joined by a single space.
        cells_at = _split_crossing(raw_cells, starts) if len(raw_cells) < len(starts) else raw_cells
        if len(cells_at) > len(starts):
            cells_at = raw_cells
        if first_start < min(starts) - 4:
            break  # text that starts left of the table is prose after it
        row = [""] * len(starts)
        for idx, (_pos, cell) in zip(_assign_columns([p for p, _ in cells_at], starts), cells_at, strict=True):
            row[idx] = (row[idx] + " " + cell).strip()
        name_cell = row[name_col]
        if name_cell and not _looks_like_name(_clean_name(name_cell)[0]):
            break
        blanks = 0
        rows.append(row)
        i += 1
    return rows, i


# --------------------------------------------------------------------------- field lists in prose


_LIST_ITEM = re.compile(
    r"^\s*(?:[-*•·]|\d+[.)])\s+(?:\*\*|`)?([A-Za-z_][\w.\-\[\]]*)(?:\*\*|`)?\s*(\*)?\s*"
    r"(?:\(([^)]*)\))?\s*(?:[:=–—-]\s*(.*))?$")


# An item without a bullet: "first_name (required) - First name. Example: Robert", "city - Example: Boston".
_PLAIN_ITEM = re.compile(
    r"^\s*()([A-Za-z_][\w.\-\[\]]*)\s*(\*)?\s*(?:\(([^)]*)\))?\s*(?:\s[-–—]\s+(.*)|(?<=\S)\s{2,}(\S.*)|(?<=\*)\s+(\S.*))?$")


# Words that head a section or a setting, never a field, even under a "Fields" heading.
_NOT_A_FIELD = _SETTING_ROWS | {squash(k) for k in (
    "response", "responses", "success", "failure", "error", "errors", "note", "notes", "example", "examples",
    "sample", "returns", "answer", "answers", "testing", "test", "headers", "body", "payload")}


# "[R] firstName - given name", "(O) email": a required/optional marker in front of the name.
_MARKED_ITEM = re.compile(r"^\s*[\[(](R|O|M|Y|N|Req|Opt|Required|Optional|Mandatory|\*)[\])]\s+"
                          r"([A-Za-z_][\w.\-\[\]]*)\s*(?:[:=–—-]\s*(.*))?$", re.I)
# "3. Phone (phone_number) - required": a label, then the posted name in brackets.
_LABELLED_ITEM = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+([A-Za-z][\w'/ ]{0,40}?)\s*\(`?([A-Za-z_][\w.\-\[\]]*)`?\)"
                            r"\s*(?:[:=–—-]\s*(.*))?$")


_TYPE_WORDS = {"string", "str", "text", "int", "integer", "number", "numeric", "decimal", "float", "bool", "boolean",
               "date", "datetime", "time", "array", "object", "list", "enum", "varchar", "char"}


def _labelled(line: str) -> re.Match | None:
    """A "Label (posted_name)" list item, unless the bracket holds a type or a required flag ("phone (string)")."""
    m = _LABELLED_ITEM.match(line)
    if m and m.group(2).lower() not in _TYPE_WORDS and _parse_required(m.group(2), "") is None:
        return m
    return None


_BLANK_RUN = re.compile(r"[ \t]{5,}")


def _list_item(line: str, plain_ok: bool, bare_ok: bool = False) -> tuple[str, str | None, str, str] | None:
    """(name, star, paren, rest) of a list item; unbulleted items only where `plain_ok`.

    `bare_ok` (under a "Fields" heading) also takes "First*   Lead first name" and a lone "Email".
    """
    # Runs of blanks are cut to four before matching: the item patterns try every split of a blank run
    # between their optional parts, which is cubic in its length.
    line = _BLANK_RUN.sub("    ", line[:4000])
    m = _MARKED_ITEM.match(line)
    if m:
        return m.group(2), None, m.group(1), m.group(3) or ""
    m = _labelled(line)
    if m:
        return m.group(2), None, "", m.group(3) or ""
    m = _LIST_ITEM.match(line)
    if m:
        return m.group(1), m.group(2), m.group(3) or "", m.group(4) or ""
    if bare_ok:
        m = _PLAIN_ITEM.match(line)
        if m and squash(m.group(2)) not in _NOT_A_FIELD and not m.group(4) or (
                m and m.group(4) and _parse_required(m.group(4), "") is not None):
            return m.group(2), m.group(3), m.group(4) or "", m.group(5) or m.group(6) or m.group(7) or ""
    if plain_ok:
        m = _PLAIN_ITEM.match(line)
        # Without a bullet, "Responses (lp_response=JSON)" is a heading: a bracket alone must say required/optional.
        if m and squash(m.group(2)) not in _META_KEYS and (
                m.group(5) is not None or m.group(4) and _parse_required(m.group(4), "") is not None):
            return m.group(2), m.group(3), m.group(4) or "", m.group(5) or ""
    return None


def _read_prose_field_list(doc: _Doc) -> None:
    """'Send these fields: first_name, last_name, phone and email.' — a field list written as a sentence."""
    for m in re.finditer(r"\b(?:send|include|post|pass|submit)\s+(?:these|the following|the|all)?\s*"
                         r"(?:fields?|parameters?|values?)\s*(?::|-)\s*((?:[^.\n]|\.\w|\n(?!\s*\n))+)", doc.text, re.I):
        tokens = [t.strip(" \t\n`'\"*") for t in re.split(r",|\band\b|;", m.group(1))]
        names = [t for t in tokens if t]
        # Only a list of posted names ("first_name, last_name"), not a sentence ("name, phone and e-mail").
        if len(names) >= 3 and all(_is_identifier(t) for t in names) and sum(
                1 for t in names if "_" in t or re.search(r"[a-z][A-Z]", t) or canonical_name(t)) >= 0.6 * len(names):
            for name in names:
                _add_field(doc, _Field(name=name, source="list"))


def _read_prose_needs(doc: _Doc) -> None:
    """'We need First, Last, Primary (phone) and Email on every lead; Details is optional; Zip and State if you have
    them.' — field names a doc spells out in sentences, kept only when they look like posted names."""

    def names(chunk: str) -> list[str]:
        chunk = re.sub(r"\([^)]*\)", " ", chunk)
        out = [t.strip(" \t\n`'\"*") for t in re.split(r",|\band\b|;", chunk)]
        return [t for t in out if t and _is_identifier(t) and (canonical_name(t) or "_" in t or
                                                               re.search(r"[a-z][A-Z]", t) or t in doc.fields)]

    for m in re.finditer(r"\b(?:we need|we require|you must send|please always send)\s+([^.;\n]+?)"
                         r"(?:\s+(?:on|for|with) (?:every|each|all) leads?)?\s*(?=[.;\n]|$)", doc.text, re.I):
        found = names(m.group(1))
        if len(found) >= 2 and len(found) >= len(re.split(r",|\band\b", m.group(1))) - 1:
            for name in found:
                _add_field(doc, _Field(name=name, required=True, source="prose"))
    if len(doc.fields) < 2:
        return
    for m in re.finditer(r"(?:^|(?<=[.;]\s)|\n)\s*([^.;\n]{1,80}?)\s+(?:is optional|are optional|if you have (?:it|them))\b",
                         doc.text, re.I):
        for name in names(m.group(1)):
            _add_field(doc, _Field(name=name, required=False, source="prose"))


def _read_field_lists(doc: _Doc) -> None:
    """Bulleted field lists: `- first_name (required): the lead's first name`.

    Items count under a "Fields:" heading, when marked required/optional or with `*`, or in a run of three
    or more items that mostly look like posted names (a numbered list in an e-mail).
    """
    in_fields = False
    section_required: bool | None = None
    listed = _field_like_list_lines(doc.lines)
    for _i, line in enumerate(doc.lines):
        line = re.sub(r"([*_])\(([^()]*)\)\1", r"(\2)", line)  # markdown "*(required)*"
        low = line.strip().lower()
        if re.match(r"^(#+\s*)?(fields?|parameters?|field list|request fields|body fields|post fields|"
                    r"required fields|optional fields|data fields|lead fields)\b.*:?$", low) and not re.search(
                        r"\||\t|\s{3,}", low):  # a table's header row is no heading
            in_fields = True
            section_required = True if low.lstrip("# ").startswith("required") else (
                False if low.lstrip("# ").startswith("optional") else None)
            continue
        if re.fullmatch(r"[-=~_*]{3,}", low):
            continue  # the underline of a plain-text heading
        indented_item = bool(re.match(r"^[ \t]+[A-Za-z_][\w.\-\[\]]*\*?(?:\s{2,}\S.*)?$", line))
        bare = in_fields and (not line.startswith((" ", "\t")) or indented_item) and not any(
            a <= _i < b for a, b in doc.table_spans)
        item = _list_item(line, in_fields or _i in listed, bare_ok=bare)  # a text table's rows are read with it
        if not item:
            if low and not line.startswith((" ", "\t")) and in_fields and not re.fullmatch(r"[-=~_*]{3,}", low):
                in_fields = bool(re.match(r"^(#+\s*)?(required|optional)", low))
                if in_fields:
                    section_required = low.lstrip("# ").startswith("required")
            continue
        name, star, paren, rest = item
        flag = re.match(r"^(R|O|M|Y|N|Req|Opt|Yes|No|Required|Optional)(?:\s{2,}|$)(.*)$", rest)
        if flag and not paren:
            paren, rest = flag.group(1), flag.group(2)  # "first_name   R   text": a flag column without a header
        labelled = _labelled(line)
        label = labelled.group(1).strip() if labelled else ""
        if not in_fields and not paren and not star and _i not in listed:
            continue
        if squash(name) in _META_KEYS and not in_fields and (_i not in listed or canonical_name(name) is None):
            continue
        req = _parse_required(paren, "") if paren else None
        if req is None:
            req = _required_from_text(paren + " " + rest)
        if req is None and star:
            req = True
        if req is None and in_fields:
            req = section_required
        f = _Field(name=name, required=req, description=rest.strip(), source="list", label=label)
        if paren and req is None:
            f.type = paren
        f.example = _example_from_text(rest)
        f.static_hint = bool(_STATIC_HINT.search(rest))
        # `name: value` with a literal value in a bullet is a fixed value, not a description.
        if rest and _is_control_name(name) and re.fullmatch(r"\S+", rest.strip()):
            f.value = _clean_value(rest)
            f.description = ""
        _add_field(doc, f)


_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][\w.\-\[\]]*)\s*=\s*(\S+(?:\s\S+)*?)\s*(?:\s\(?(fixed|static|constant|"
                         r"required|optional|mandatory)\)?)?\s*$", re.I)


_FIELD_SPEC_KEYS = {"required", "optional", "example", "type", "description", "default", "format", "label",
                    "mandatory", "sample", "notes", "note", "maxlength", "max_length", "enum", "values"}
_FIELD_SPEC_LINE = re.compile(r"^\s*[-*]?\s*[`'\"]?([A-Za-z_][\w.\-\[\]]*)[`'\"]?\s*:\s*\{([^{}]*)\}\s*,?\s*$")


def _read_field_spec_lines(doc: _Doc) -> None:
    """YAML or JS-style field specs, one per line: `first_name: {required: true, example: Sam}`."""
    for line in doc.lines:
        m = _FIELD_SPEC_LINE.match(line)
        if not m:
            continue
        spec = {}
        for part in m.group(2).split(","):
            key, sep, value = part.partition(":")
            if sep:
                spec[key.strip().strip("'\"").lower()] = value.strip().strip("'\"")
        if not spec or not set(spec) <= _FIELD_SPEC_KEYS:
            continue
        req = _parse_required(spec.get("required", spec.get("mandatory", "")), "") if (
            "required" in spec or "mandatory" in spec) else (None if "optional" not in spec else
                                                             not _parse_required(spec["optional"], ""))
        _add_field(doc, _Field(name=m.group(1), required=req, type=spec.get("type", ""),
                               example=spec.get("example", spec.get("sample", "")),
                               description=spec.get("description", spec.get("notes", "")), source="list"))


def _read_assignment_lists(doc: _Doc) -> None:
    """Runs of `name=<what goes here>   required` lines: a field per placeholder, a fixed value otherwise."""
    run: list[re.Match] = []
    for line in doc.lines + [""]:
        m = _ASSIGNMENT.match(line) if "&" not in line and "://" not in line else None
        if m:
            run.append(m)
            continue
        if len(run) >= 3 and sum(1 for r in run if _is_placeholder(r.group(2))) >= 2:
            for r in run:
                name, value, note = r.group(1), _clean_value(r.group(2)), (r.group(3) or "").lower()
                if _TEST_NAME.match(name):
                    continue
                if _is_placeholder(value):
                    _add_field(doc, _Field(name=name, required=True if note in ("required", "mandatory") else (
                        False if note == "optional" else None), description=value.strip("<>[]{}"), source="list"))
                elif note in ("fixed", "static", "constant") or _is_control_name(name):
                    _add_field(doc, _Field(name=name, value=value, static_hint=True, source="list"))
                else:
                    _add_field(doc, _Field(name=name, example=value, required=note in ("required", "mandatory"),
                                           source="list"))
        run = []


def _field_like_list_lines(lines: list[str]) -> set[int]:
    """Line numbers of list items in runs of 3+ whose names mostly look like posted field names."""
    runs: list[list[tuple[int, str]]] = [[]]
    for i, line in enumerate(lines):
        item = _list_item(line, True)
        if item:
            runs[-1].append((i, item[0]))
        elif line.strip():
            runs.append([])
    found: set[int] = set()
    for run in runs:
        if len(run) < 3:
            continue
        fieldish = sum(1 for _, name in run if "_" in name or re.search(r"[a-z][A-Z]", name) or canonical_name(name))
        if fieldish >= 0.6 * len(run):
            found.update(i for i, _ in run)
    return found


# --------------------------------------------------------------------------- HTML forms


def _read_form(doc: _Doc, form) -> None:  # noqa: ANN001 - extract.HtmlForm
    for control in form.inputs:
        if control.kind == "hidden":
            if not _TEST_NAME.match(control.name):
                doc.statics.setdefault(control.name, _Static(control.name, control.value, "body", "form"))
            continue
        _add_field(doc, _Field(name=control.name, required=control.required or None, type=control.kind,
                               example="", description=control.label, source="form"))


# --------------------------------------------------------------------------- samples (curl, JSON, XML, form)


def _json_request_description(text: str) -> dict | None:
    """A JSON file that describes a request (url/method/headers/body) or a Postman collection."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("item"), list) and isinstance(data.get("info"), dict):
        item = _first_postman_request(data["item"])
        if item:
            return item
    if isinstance(data.get("properties"), dict) and (data.get("type") == "object" or "$schema" in data):
        # A JSON Schema of the lead: its properties are the fields, its "required" list their flags.
        body: dict = {}
        required: list[str] = []
        descriptions: dict[str, str] = {}
        _read_schema(data, "", body, required, descriptions)
        return {"url": "", "method": "", "headers": {}, "body": body, "required": required,
                "descriptions": descriptions}
    keys = {k.lower(): k for k in data}
    url_key = next((keys[k] for k in ("url", "endpoint", "uri", "post_url", "posturl", "api_url") if k in keys), None)
    body_key = next((keys[k] for k in ("body", "payload", "data", "json", "params", "fields", "sample", "request")
                     if k in keys), None)
    # A request description names where to send and what: a URL with a body, method or headers beside it.
    # A payload that merely holds a "url" (the landing page) is not one.
    describes = "method" in keys or "headers" in keys
    if (url_key and isinstance(data[url_key], str) and data[url_key].startswith("http") and (body_key or describes)) or (
            body_key and isinstance(data.get(body_key), (dict, list, str)) and describes):
        headers = data.get(keys.get("headers", ""), {}) if "headers" in keys else {}
        return {
            "url": data.get(url_key, "") if url_key else "",
            "method": str(data.get(keys.get("method", ""), "") or "").upper(),
            "headers": headers if isinstance(headers, dict) else {},
            "body": data.get(body_key) if body_key else None,
            "required": [r for r in data.get(keys.get("required", ""), None) or [] if isinstance(r, str)]
            if isinstance(data.get(keys.get("required", "")), list) else [],
        }
    return None


def _read_schema(node: dict, prefix: str, body: dict, required: list[str], descriptions: dict[str, str]) -> None:
    """Fill `body` with a sample of a JSON Schema object (nested objects nest), with required paths and descriptions."""
    wanted = node.get("required") if isinstance(node.get("required"), list) else []
    for name, prop in node.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        path = f"{prefix}{name}"
        if name in wanted:
            required.append(path)
        if isinstance(prop.get("description"), str):
            descriptions[path] = prop["description"]
        if isinstance(prop.get("properties"), dict):
            body[name] = {}
            _read_schema(prop, path + ".", body[name], required, descriptions)
            continue
        examples = prop.get("examples") if isinstance(prop.get("examples"), list) else []
        enum = prop.get("enum") if isinstance(prop.get("enum"), list) else []
        sample = prop.get("example", prop.get("default", (examples or enum or [""])[0]))
        body[name] = sample if isinstance(sample, (str, int, float, bool)) else ""


def _first_postman_request(items: list) -> dict | None:
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("item"), list):
            found = _first_postman_request(item["item"])
            if found:
                return found
        req = item.get("request")
        if isinstance(req, dict):
            url = req.get("url")
            if isinstance(url, dict):
                url = url.get("raw", "")
            headers = {h.get("key", ""): h.get("value", "") for h in req.get("header", []) or [] if isinstance(h, dict)}
            body = req.get("body") or {}
            payload: object = None
            if body.get("mode") == "raw":
                raw = body.get("raw", "")
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = raw
            elif body.get("mode") in ("urlencoded", "formdata"):
                payload = {p.get("key", ""): p.get("value", "") for p in body.get(body["mode"], []) if isinstance(p, dict)}
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            return {"url": url or "", "method": str(req.get("method", "")).upper(), "headers": headers, "body": payload}
    return None


def _context_before(doc: _Doc, pos: int) -> str:
    start = doc.text.rfind("\n", 0, max(0, pos - 1))
    lines_before = doc.text[:pos].split("\n")[-4:]
    return " ".join(lines_before) if start >= 0 else doc.text[:pos]


def _role_of(context: str, body: object) -> str:
    ctx = context.lower()
    resp = [m.start() for m in _RESPONSE_CONTEXT.finditer(ctx)]
    reqs = [m.start() for m in _REQUEST_CONTEXT.finditer(ctx)]
    if isinstance(body, dict):
        keys = {squash(k) for k in body}
        answer_keys = {"success", "status", "result", "message", "error", "errors", "reason", "msg", "code",
                       "accepted", "outcome", "errorcode", "responsecode", "leadid", "opportunityid", "id"}
        if keys and keys <= answer_keys:
            return "response"
        # {"status": "ok", "ice_id": "..."}: an outcome word beside the remote id is an answer too.
        if keys & {"success", "status", "result", "outcome", "accepted"} and all(
                k in answer_keys or k.endswith("id") for k in keys):
            return "response"
    if resp and (not reqs or max(resp) > max(reqs)):
        return "response"
    return "request"


def _samples(doc: _Doc, request: dict | None) -> list[_Sample]:
    samples: list[_Sample] = []
    text = doc.text
    if request is not None:
        body = request.get("body")
        kind = "json" if isinstance(body, (dict, list)) else "raw"
        if isinstance(body, str):
            kind, body = _classify_raw_body(body)
        samples.append(_Sample(kind, body, 0, "request", "", dict(request.get("headers") or {}),
                               request.get("method", ""), request.get("url", "")))
        return samples
    for m in re.finditer(r"(?m)^[ \t>$]*curl\b", text):
        samples.extend(_curl_sample(doc, m.start()))
    covered: list[tuple[int, int]] = []
    for start, end, obj in _json_blocks(text):
        if any(a <= start < b for a, b in covered):
            continue
        covered.append((start, end))
        prefix = text[text.rfind("\n", 0, start) + 1:start]
        if isinstance(obj, dict) and obj and {str(k).lower() for k in obj} <= _FIELD_SPEC_KEYS and re.search(
                r"[\w.\-\]]+\s*:\s*$", prefix):
            continue  # "first_name: {required: true, example: Sam}" describes one field; not a sample body
        ctx = _context_before(doc, start) + " " + prefix
        # "200 | {...}", "201 Created {...}", "HTTP 409: {...}": a body after a status code is an answer.
        role = "response" if re.match(r"^\s*(?:HTTP(?:/[\d.]+)?\s*)?[1-5]\d\d\b", prefix) else _role_of(ctx, obj)
        if any(s.start <= start <= s.start + 4000 and s.kind == "json" and s.body == obj for s in samples):
            continue
        samples.append(_Sample("json", obj, start, role, ctx))
    for start, root in _xml_blocks(text):
        ctx = _context_before(doc, start)
        role = _role_of(ctx, None)
        if re.search(r"respon|result|status|error|message", root.tag, re.I) and role != "request":
            role = "response"
        elif re.search(r"^(post)?respon|^result", root.tag, re.I):
            role = "response"
        samples.append(_Sample("xml", root, start, role, ctx))
    for m in re.finditer(r"(?m)^[ \t]*((?:[\w.\[\]-]+=[^&\s]*&[ \t]*\n[ \t]*){2,}[\w.\[\]-]+=[^&\s]*)[ \t]*$", text):
        # A form body written one parameter per line ("first_name=John&" ...), for readability.
        ctx = _context_before(doc, m.start())
        pairs = parse_qsl(re.sub(r"\s+", "", m.group(1)), keep_blank_values=True)
        samples.append(_Sample("form", pairs, m.start(), _role_of(ctx, None), ctx))
    for m in re.finditer(r"(?m)^[ \t]*((?:[\w.\[\]-]+=[^&\s]*&){2,}[\w.\[\]-]+=[^&\s]*)[ \t]*$", text):
        ctx = _context_before(doc, m.start())
        pairs = parse_qsl(m.group(1), keep_blank_values=True)
        samples.append(_Sample("form", pairs, m.start(), _role_of(ctx, None), ctx))
    for m in re.finditer(r"(?m)^\s*(GET|POST|PUT)\s+(\S+)(?:\s+HTTP/[\d.]+)?\s*$", text):
        samples.append(_Sample("request_line", None, m.start(), "request", "", {}, m.group(1), m.group(2)))
    return samples


def _classify_raw_body(raw: str) -> tuple[str, object]:
    s = raw.strip()
    try:
        return "json", json.loads(s)
    except ValueError:
        pass
    if s.startswith("<"):
        try:
            return "xml", ElementTree.fromstring(s)
        except ElementTree.ParseError:
            pass
    if "=" in s:
        return "form", parse_qsl(s, keep_blank_values=True)
    return "raw", s


def _curl_sample(doc: _Doc, start: int) -> list[_Sample]:
    text = doc.text
    end = start
    lines = []
    for line in text[start:].split("\n"):
        end += len(line) + 1
        stripped = line.rstrip()
        lines.append(stripped.rstrip("\\^`").lstrip(" >$"))
        if not stripped.endswith(("\\", "^", "`")):
            # A quoted body may span lines without a continuation mark.
            joined = " ".join(lines)
            if joined.count("'") % 2 == 0 and joined.count('"') % 2 == 0:
                break
    command = "\n".join(lines)
    try:
        argv = shlex.split(command, posix=True)
    except ValueError:
        argv = command.split()
    method, url, headers, data, get = "", "", {}, [], False
    k = 1
    while k < len(argv):
        a = argv[k]
        nxt = argv[k + 1] if k + 1 < len(argv) else ""
        if a in ("-X", "--request"):
            method = nxt.upper()
            k += 2
            continue
        if a in ("-H", "--header"):
            if ":" in nxt:
                hk, hv = nxt.split(":", 1)
                headers[hk.strip()] = hv.strip()
            k += 2
            continue
        if a in ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form"):
            data.append((a, nxt))
            if a == "--json":
                headers.setdefault("Content-Type", "application/json")
            if a in ("-F", "--form"):
                headers.setdefault("Content-Type", "multipart/form-data")
            k += 2
            continue
        if a in ("-G", "--get"):
            get = True
        elif a in ("-u", "--user"):
            headers["Authorization"] = "Basic " + nxt
            k += 2
            continue
        elif re.match(r"https?://", a) or a.startswith("--url"):
            url = a if not a.startswith("--url") else nxt
        elif a.startswith("-") and len(a) == 2 and a not in ("-v", "-s", "-i", "-k", "-L", "-S", "-f"):
            k += 2
            continue
        k += 1
    if not method:
        method = "GET" if get or not data else "POST"
    samples = []
    if data:
        raw = "&".join(d for _, d in data) if all(a != "--json" for a, _ in data) and len(data) > 1 else data[0][1]
        if any(a in ("-F", "--form") for a, _ in data):
            raw = "&".join(d for _, d in data)
        kind, body = _classify_raw_body(raw)
        if get and kind == "form":
            kind = "query"
        samples.append(_Sample(kind, body, start, "request", "curl", headers, method, url))
    else:
        samples.append(_Sample("none", None, start, "request", "curl", headers, method, url))
    return samples


def _json_blocks(text: str) -> list[tuple[int, int, object]]:
    blocks = []
    i = 0
    n = len(text)
    closes = _brace_closes(text) if text.count("{") > 64 else None
    while True:
        i = text.find("{", i)
        if i < 0 or i >= n:
            break
        end = _balanced_end(text, i) if closes is None else closes.get(i, -1)
        if end < 0 or end - i > 100_000:
            i += 1
            continue
        raw = text[i:end]
        obj = _loads_relaxed(raw)
        if isinstance(obj, dict) and obj:
            blocks.append((i, end, obj))
            i = end
        else:
            i += 1
    return blocks


def _brace_closes(text: str) -> dict[int, int]:
    """For every `{`, the offset just past its matching `}`: one pass with a stack (strings skipped), so a doc
    full of unclosed braces costs no more than its length."""
    closes: dict[int, int] = {}
    stack: list[int] = []
    in_str = esc = False
    for k, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"' or ch == "\n":
                in_str = False
            continue
        if ch == '"' and stack:
            in_str = True
        elif ch == "{":
            stack.append(k)
        elif ch == "}" and stack:
            closes[stack.pop()] = k + 1
    return closes


def _balanced_end(text: str, start: int) -> int:
    depth = 0
    in_str = False
    esc = False
    limit = min(len(text), start + 100_000)
    for k in range(start, limit):
        ch = text[k]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k + 1
    return -1


def _loads_relaxed(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        pass
    s = re.sub(r"(?m)//[^\n\"]*$", "", raw)
    s = re.sub(r",\s*([}\]])", r"\1", s)
    s = re.sub(r":\s*(<[^>\n]*>|\[[A-Za-z][^\]\n]*\]|\{\{[^}\n]*\}\}|\.\.\.)\s*([,}\n])", r': "\1"\2', s)
    s = re.sub(r"([{,]\s*)([A-Za-z_][\w.-]*)\s*:", r'\1"\2":', s)
    try:
        return json.loads(s)
    except ValueError:
        pass
    if "'" in s and '"' not in s:
        try:
            return json.loads(s.replace("'", '"'))
        except ValueError:
            return None
    return None


def _xml_blocks(text: str) -> list[tuple[int, ElementTree.Element]]:
    blocks = []
    pos = 0
    for m in re.finditer(r"<(?!\?|!|/)([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>", text):
        if m.start() < pos:
            continue
        tag = m.group(1)
        close = text.find(f"</{tag}>", m.end())
        if close < 0:
            continue
        # the outermost element: the last matching close tag within a reasonable span
        last = text.rfind(f"</{tag}>", m.end(), m.end() + 50_000)
        end = (last if last >= 0 else close) + len(tag) + 3
        chunk = text[m.start():end]
        try:
            root = ElementTree.fromstring(chunk)
        except ElementTree.ParseError:
            try:
                root = ElementTree.fromstring(text[m.start():close + len(tag) + 3])
                end = close + len(tag) + 3
            except ElementTree.ParseError:
                continue
        if len(root) == 0:
            continue
        blocks.append((m.start(), root))
        pos = end
    return blocks


def _flatten_json(obj: object, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict) and v:
                out.extend(_flatten_json(v, path))
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                out.extend(_flatten_json(v[0], path))
            else:
                out.append((path, v))
    return out


def _flatten_xml(root: ElementTree.Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def walk(node: ElementTree.Element, prefix: str) -> None:
        for child in node:
            tag = child.tag.split("}", 1)[-1]
            path = f"{prefix}.{tag}" if prefix else tag
            if len(child):
                walk(child, path)
            else:
                out.append((path, (child.text or "").strip()))

    walk(root, "")
    return out


def _scalar_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def _read_request_samples(doc: _Doc, fmt: str) -> None:
    """Names (and example or fixed values) from the sample request bodies."""
    requests = [s for s in doc.samples if s.role == "request" and s.body is not None]
    has_table = any(f.source in ("table", "list", "form") for f in doc.fields.values())
    table_names = {k.lower(): k for k in doc.fields}
    for s in requests:
        if s.kind == "json" and isinstance(s.body, dict):
            pairs = [(k, _scalar_text(v)) for k, v in _flatten_json(s.body)]
        elif s.kind == "json" and isinstance(s.body, list) and s.body and isinstance(s.body[0], dict):
            pairs = [(k, _scalar_text(v)) for k, v in _flatten_json(s.body[0])]
        elif s.kind == "xml":
            pairs = _flatten_xml(s.body)  # type: ignore[arg-type]
        elif s.kind in ("form", "query") and isinstance(s.body, list):
            pairs = list(s.body)
        else:
            continue
        for name, value in pairs:
            if re.fullmatch(r"_+(?:comments?|notes?|instructions?|readme|doc|docs|help|description|info)", name, re.I):
                continue  # "_instructions": "POST to ..." explains the sample; it is not sent
            typed = _TYPED_VALUE.match(value or "")
            if typed:
                # A schema-like sample ("first_name": "string, required") describes, it gives no example.
                req = _required_from_text(value)
                _add_field(doc, _Field(name=name, required=req, type=typed.group(1), description=value,
                                       source="sample"))
                table_names.setdefault(name.lower(), name)
                continue
            short = name.rsplit(".", 1)[-1]
            # A table that lists "from_first" while the sample nests it: name it by its dotted path.
            if "." in name and short.lower() in table_names and name.lower() not in table_names:
                old = doc.fields.pop(table_names[short.lower()])
                old.name = name
                doc.fields[name] = old
                table_names[name.lower()] = name
                del table_names[short.lower()]
                if not old.example:
                    old.example = value
                continue
            if name.lower() in table_names:
                f = doc.fields[table_names[name.lower()]]
                if not f.example and not _is_placeholder(value):
                    f.example = value
                f.hidden = False
                continue
            if name in doc.statics:
                continue
            f = _Field(name=name, example=value if not _is_placeholder(value) else "", source="sample")
            # With a field table present, extra keys in the sample that carry fixed values are settings.
            if has_table and _looks_like_setting_value(value) and _lead_meaning(name) is None:
                f.value = value
                f.static_hint = True
            elif _is_control_name(name) and _lead_meaning(name) is None:
                f.value = value
            _add_field(doc, f)
            table_names[name.lower()] = name


_TYPED_VALUE = re.compile(r"^\s*<?\s*(string|str|text|varchar|int|integer|number|numeric|decimal|float|bool|boolean|"
                          r"date|datetime|email|phone|url|enum)\b[^\n]{0,80}$", re.I)


def _looks_like_setting_value(value: str) -> bool:
    """An id, code, key or constant (`4471`, `CreateLead`, `HV-XSC`, a GUID), not lead data like a name or answer."""
    v = (value or "").strip()
    if not v or _is_placeholder(v) or re.search(r"\s", v) or "@" in v:
        return False
    if v.lower() in ("yes", "no", "y", "n", "true", "false", "1", "0", "on", "off"):
        return False
    return bool(re.search(r"\d", v) or re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+|[A-Z][A-Z0-9_-]{2,}", v))


def _read_url_query(doc: _Doc, endpoint_raw: str, fmt: str) -> None:
    """Parameters written into the endpoint URL (`?apikey=...`) or into sample GET URLs."""
    if not endpoint_raw:
        return
    base = _norm(endpoint_raw)
    seen: set[str] = set()
    candidates = [endpoint_raw] + [m.group(0) for m in _URL_RE.finditer(doc.text)]
    # A template URL ("...&fname=[first]&lname=[last]") runs on past the brackets the URL pattern stops at.
    candidates += [m.group(0) for m in re.finditer(r"https?://[^\s\"'<>`]+\?[^\s\"'<>`]+", doc.text)]
    candidates += [s.url for s in doc.samples if s.url]
    for raw in candidates:
        raw = raw.rstrip(".,;:)")
        if _norm(raw) != base or "?" not in raw or raw in seen:
            continue
        seen.add(raw)
        for name, value in parse_qsl(_urlsplit(raw).query, keep_blank_values=True):
            if name in doc.statics:
                continue
            existing = doc.fields.get(name)
            if existing is not None:
                if not existing.example and not _is_placeholder(value):
                    existing.example = value
                continue
            lead_like = canonical_name(name) is not None and not _is_control_name(name)
            if (not lead_like and value and fmt != "query") or (
                    _is_control_name(name) and not lead_like):
                doc.statics[name] = _Static(name, value, "query", "url")
            elif fmt == "query" or lead_like:
                _add_field(doc, _Field(name=name, example="" if _is_placeholder(value) else value, source="query"))
            else:
                doc.statics[name] = _Static(name, value, "query", "url")


def _read_headers(doc: _Doc, request: dict | None) -> None:
    """Header credentials from curl samples, request descriptions and `X-Api-Key: ...` lines."""
    for s in doc.samples:
        for hk, hv in s.headers.items():
            if squash(hk) in ("contenttype", "accept", "contentlength", "host", "useragent", "connection"):
                continue
            doc.statics.setdefault(hk, _Static(hk, hv, "header", "sample"))
    text_low = doc.text.lower()
    # "Send the header X-Api-Key: abc" — a header written inside a sentence.
    for m in re.finditer(r"(?<![\w-])(X-[A-Za-z0-9-]+|Authorization)\s*(?::|(?<=[A-Za-z0-9])\s*=(?=\s))[*_]*\s*((?:Bearer|Basic|Token)\s+[A-Za-z0-9][^\s\"'`]*|"
                         r"[A-Za-z0-9][^\s\"'`]*)",
                         doc.text, re.I):
        name, value = m.group(1), _clean_value(m.group(2)).rstrip(".,;")
        if value.lower() in ("bearer", "basic", "token"):
            continue  # "Authorization: Bearer (token sent separately)": the token comes from elsewhere
        if value and not _is_placeholder(value) and not any(k.lower() == name.lower() for k in doc.statics):
            doc.statics[name] = _Static(name, value, "header", "line")
    for key, value, _line in doc.kv:
        k = key.strip()
        if not _HEADER_NAME.match(k.replace(" ", "-")) or squash(k) in ("token", "apikey") and not (
                f"{k.lower()} header" in text_low or "header" in (doc.lines[_line].lower() if _line >= 0 else "")
                or re.search(rf"\bheader\w*\b[^.\n]{{0,40}}\b{re.escape(k.lower())}\b", text_low)):
            continue
        if k in doc.statics or k.lower() in (s.lower() for s in doc.statics):
            continue
        v = _clean_value(value)
        if not v or squash(v) in ("header", "none"):
            continue
        if k.lower() == "authorization" and not re.match(r"(bearer|basic|token|apikey)\b", v, re.I) and " " in v:
            continue
        doc.statics[k] = _Static(k, v, "header", "line")
    # "Your token is vl_81c3 - send it as a Bearer token in the Authorization header."
    if not any(s.lower() == "authorization" for s in doc.statics) and re.search(r"\bbearer\b", doc.text, re.I):
        m = re.search(r"\b(?:access |api |auth |bearer )?(?:token|key)\s+(?:is|:|=)\s*[`'\"]?([A-Za-z0-9][\w.~+/=-]{5,})",
                      doc.text, re.I)
        if m and not _is_placeholder(m.group(1)):
            doc.statics["Authorization"] = _Static("Authorization", "Bearer " + m.group(1).rstrip("."), "header", "prose")
    # A header named in prose ("the key goes in the X-Api-Key header") with its value on a labelled line.
    for m in re.finditer(r"\b((?:x-[\w-]+)|authorization)\b\s+header", doc.text, re.I):
        name = m.group(1)
        if any(s.lower() == name.lower() for s in doc.statics):
            continue
        for key, value, _ in doc.kv:
            if squash(key) in ("apikey", "key", "token", "accesstoken", "apitoken", "authtoken") and not _is_placeholder(value):
                val = _clean_value(value)
                if name.lower() == "authorization" and not val.lower().startswith(("bearer", "basic")):
                    val = "Bearer " + val
                doc.statics[name] = _Static(name, val, "header", "prose")
                break


def _read_prose_descriptions(doc: _Doc) -> None:
    """A line that says what a listed field holds: "_When_did_it_happen is the date of the incident"."""
    for line in doc.lines:
        m = re.match(r"^\s*[`'\"]?([A-Za-z_][\w.\-\[\]]*)[`'\"]?\s+(?:is|holds|contains|carries|means)\s+(.{3,160})$",
                     line)
        for sentence in re.split(r"(?<=\.)\s+", line) if not m else []:
            # "inj: type of injury. acc_date: date of the accident, MM/DD/YYYY." — several on one line
            said = re.match(r"^[`'\"]?([A-Za-z_][\w.\-\[\]]*)[`'\"]?\s*:\s+(.{3,160}?)\.?$", sentence)
            f = doc.fields.get(said.group(1)) if said else None
            if f is not None and not f.description and not re.search(r"\d{3}|@|://", said.group(2)):
                f.description = said.group(2).strip()
        if not m:
            continue
        f = doc.fields.get(m.group(1))
        if f is not None and not f.description:
            f.description = m.group(2).strip()
            if not f.example:
                f.example = _example_from_text(f.description)


def _required_in_sentences(doc: _Doc) -> set[str]:
    """Fields a sentence saying "required" (and not "optional") spells out by their posted names."""
    required: set[str] = set()
    table_lines = set()
    for a, b in doc.table_spans:
        table_lines.update(range(a, b))
    exact = {k.rsplit(".", 1)[-1]: k for k in doc.fields}
    for i, line in enumerate(doc.lines):
        if i in table_lines or " | " in line or line.lstrip().startswith(("|", "{", "<", "curl")) or '":' in line:
            continue  # table rows and code are read elsewhere
        item = _list_item(line, True)
        if item and item[0] in doc.fields or _FIELD_SPEC_LINE.match(line):
            continue  # "ip_address (required) - IP address": the word belongs to the field it defines
        for sentence in re.split(r"(?<=[.!?;])\s+", line):
            low = sentence.lower()
            if not re.search(r"\b(required|mandatory)\b", low) or re.search(
                    r"\b(not required|not mandatory|optional|if required|when required|unless)\b", low):
                continue
            for short, full in exact.items():
                if re.search(rf"(?<![\w.-]){re.escape(short)}(?![\w-])", sentence):
                    required.add(full)
    return required


def _apply_required_prose(doc: _Doc) -> None:
    """'The following fields are required: A, B and C' and 'All fields are required'."""
    text = doc.text
    names_low = {k.rsplit(".", 1)[-1].lower(): k for k in doc.fields}
    names_low.update({k.lower(): k for k in doc.fields})
    patterns = [
        r"(?:following|these)\s+(?:fields?|parameters?|values?)\s+(?:are|is)\s+(?:required|mandatory)\s*[:\-–]?\s*([^\n]+)",
        r"(?:required|mandatory)\s+(?:fields?|parameters?|values?)\s*(?:are|is|:|-|–)\s*([^\n]+)",
        r"(?:^|\n)[^\S\n]{0,40}([\w`'\",./ -]{3,200}?)[^\S\n]{1,40}(?:(?:are|is)[^\S\n]{1,40}(?:required|mandatory)\b|"
        r"(?:must|need to|have to)[^\S\n]{1,40}be[^\S\n]{1,40}(?:present|sent|provided|included|filled|given|supplied)\b)",
        r"(?:must|need to|should)\s+(?:include|send|contain|provide|have)\s*[:\-]?\s*([^\n.]+)",
        r"(?:^|\n)[ \t]*(?:[-*•][ \t]*)?(?:\*\*)?(?:required|mandatory)(?:\*\*)?[ \t]*[:\-–][ \t]*([^\n]+)",
        # "... as shown. Required: from_first, from_last and from_phone (the API answers 422 ...)."
        r"(?<=[.!?])[ \t]+(?:required|mandatory)(?: fields?)?[ \t]*:[ \t]*([^\n]+)",
        # "... are fixed. lead.first_name, lead.last_name and lead.phone are required." mid-line
        r"(?<=[.!?])[ \t]{1,40}([\w`'\",./ -]{3,200}?)[ \t]{1,40}(?:are|is)[ \t]{1,40}(?:required|mandatory)\b",
    ]
    names_first = {2, 6}  # patterns whose names come before the words that make them required
    # "First name, last name and phone are required": the doc names the fields in words.
    by_words = {squash(k.rsplit(".", 1)[-1]): k for k in doc.fields}
    meanings: dict[str, list[str]] = {}
    for k in doc.fields:
        meaning = _lead_meaning(k)
        if meaning:
            meanings.setdefault(meaning, []).append(k)
    required: set[str] = set()
    for k, pattern in enumerate(patterns):
        for m in re.finditer(pattern, text, re.I):
            chunk = re.sub(r"\([^)]*\)?", " ", m.group(1))
            # The sentence that says it: the names follow "required:" but precede "... are required".
            sentences = re.split(r"[.!?](?:\s|$)", chunk)
            chunk = sentences[-1] if k in names_first else sentences[0]
            for token in re.split(r",|;|\band\b|\bor\b|/|\s\+\s|\n", chunk):
                t = token.strip().strip("`'\".*:() ")
                t = re.sub(r"^(?:the|a|an|both|either|fields?)\s+", "", t, flags=re.I).strip()
                if t.lower() in names_low:
                    required.add(names_low[t.lower()])
                elif squash(t) in by_words and " " in t:
                    required.add(by_words[squash(t)])
                elif " " in t and len(t.split()) <= 3 and len(meanings.get(canonical_name(t) or "", [])) == 1:
                    required.add(meanings[canonical_name(t) or ""][0])
                elif t and len(t.split()) <= 3:
                    # "First (the lead's first name)": the name is the first word of a short item
                    first = t.split(" ")[0].lower()
                    if first in names_low:
                        required.add(names_low[first])
    optional: set[str] = set()
    for m in re.finditer(r"(?:optional[ \t]{1,8}(?:fields?|parameters?)[ \t]{0,8}(?:are|:|-|–)[ \t]{0,8}|(?:^|\n)[ \t]{0,40})"
                         r"([^\n]{0,200}?)[ \t]{0,40}(?:\bare\s+optional\b|$)", text, re.I):
        if "optional" not in m.group(0).lower():
            continue
        for token in re.split(r",|;|\band\b|\bor\b|/", m.group(1)):
            t = token.strip().strip("`'\".*:() ")
            if t.lower() in names_low:
                optional.add(names_low[t.lower()])
    # Any sentence that says "required" (and not "optional") makes the field names it spells out required:
    # "The First and Last fields are required, as is Primary."
    required |= _required_in_sentences(doc)
    all_required = re.search(r"\ball (?:of the |the )?(?:fields?|parameters?) (?:are|is) (?:required|mandatory)\b", text, re.I)
    star_rule = re.search(r"(?:marked|flagged|with) (?:an? )?(?:\*|asterisk)[^.\n]*(?:are|is) (?:required|mandatory)"
                          r"|\*\s*(?:=|denotes|means|indicates)\s*(?:a )?(?:required|mandatory)", text, re.I)
    for name, f in doc.fields.items():
        if name in required and f.required is not True:
            f.required = True
        elif name in optional and f.required is None:
            f.required = False
        elif all_required and f.required is None:
            f.required = True
    if star_rule:
        for line in doc.lines:
            for m in re.finditer(r"([A-Za-z_][\w.\-]*)\s*\*", line):
                key = m.group(1).lower()
                if key in names_low and doc.fields[names_low[key]].required is None:
                    doc.fields[names_low[key]].required = True


# --------------------------------------------------------------------------- test switch


def _find_test(doc: _Doc) -> dict | None:
    candidates: list[tuple[int, str, str]] = []
    text = doc.text
    for m in re.finditer(r"\b([A-Za-z_]*test[A-Za-z_]*|sandbox|dry_?run)\s*(?:=|:)\s*[\"'`]?([A-Za-z0-9]+)", text, re.I):
        name, value = m.group(1), m.group(2)
        if not _TEST_NAME.match(name) or name.lower() in ("testing",):
            continue
        line = text[text.rfind("\n", 0, m.start()) + 1: text.find("\n", m.end()) if text.find("\n", m.end()) >= 0 else len(text)]
        if re.search(r"https?://", line) and "?" not in line and "&" not in line:
            continue
        if name.lower() in ("test", "testmode", "test_mode") and re.match(r"(?i)\s*test\s*(mode)?\s*:", line) and (
                not re.fullmatch(r"(?i)1|0|true|false|yes|no|y|n|on|off", value)):
            continue  # "Test: send a lead named Test" is prose, not a switch
        score = 3 if re.search(r"\btest", line[: m.start() - text.rfind("\n", 0, m.start())], re.I) else 2
        candidates.append((score, name, value))
    for m in re.finditer(r"\b(?:set|send|pass|add|include|use|with)\s+(?:the\s+)?(?:(?:field|parameter|param|flag|value)\s+)?"
                         r"[\"'`]?([A-Za-z_]*test\w*)[\"'`]?\s+"
                         r"(?:to|=|as|of|equal to|with (?:a )?value(?: of)?)\s+[\"'`]?([A-Za-z0-9]+)", text, re.I):
        if _TEST_NAME.match(m.group(1)):
            candidates.append((3, m.group(1), m.group(2)))
    for key, value, _ in doc.kv:
        if _TEST_NAME.match(key.replace(" ", "_")) and squash(key) not in ("test", "testing", "testmode") and re.fullmatch(
                r"[\"'`]?\w+[\"'`]?", value.strip()):
            candidates.append((2, key.strip(), _clean_value(value)))
    for name, f in doc.fields.items():
        if _TEST_NAME.match(name.rsplit(".", 1)[-1]):
            value = f.value or f.example
            if not value or value.lower() in ("0", "false", "no", "n"):
                value = _test_value_from_text(f.description) or _LIVE_TO_TEST.get(value.lower(), "1")
            candidates.append((1, name, value))
    for name, s in doc.statics.items():
        if _TEST_NAME.match(name):
            candidates.append((1, name, s.value if s.value not in ("", "0", "false") else "1"))
    if not candidates:
        for m in re.finditer(r"\b(?:test|sandbox)\s*(?:url|endpoint)\b[^\n]*?(https?://\S+)", text, re.I):
            doc.warnings.append(f"The doc gives a separate test URL ({m.group(1).rstrip('.,;')}); use it for the test post.")
            break
        return None
    candidates.sort(key=lambda c: -c[0])
    _, name, value = candidates[0]
    # A "0" is the live value; the doc's test value is the other one.
    if value.lower() in _LIVE_TO_TEST:
        value = _LIVE_TO_TEST[value.lower()]
    for key in list(doc.fields):
        if key.lower() == name.lower() or key.rsplit(".", 1)[-1].lower() == name.lower():
            name = key
            doc.fields.pop(key)
    for key in list(doc.statics):
        if key.lower() == name.lower():
            doc.statics.pop(key)
    return {"name": name, "value": value}


_LIVE_TO_TEST = {"0": "1", "false": "true", "no": "yes", "off": "on", "n": "Y"}


def _test_value_from_text(text: str) -> str:
    m = re.search(r"(?:set|use|send)\s+(?:it\s+)?(?:to\s+)?[\"'`]?(1|true|yes|y)\b", text or "", re.I)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- static lines and the split


def _read_static_lines(doc: _Doc) -> None:
    """`CaptorraId: 310775` style lines: a setting name and the literal value the doc fixes."""
    field_low = {k.lower(): k for k in doc.fields}
    for key, value, line_no in doc.kv:
        k = key.strip()
        named = re.fullmatch(r".+?\s*\(\s*([A-Za-z_][\w.-]*)\s*\)", k)
        noted = re.fullmatch(r"([A-Za-z_][\w.-]*)\s*\([^)]*\s[^)]*\)", k)
        header = re.fullmatch(r".+?\(\s*(?:in (?:the |a )?|as (?:the |a )?)?header:?\s+([A-Za-z][\w-]*)\s*\)", k, re.I)
        if header:
            k = header.group(1)  # "Partner key (header x-partner-key)" names the header that carries it
            v = _clean_value(value)
            if v and not _is_placeholder(v) and " " not in v and k not in doc.statics:
                doc.statics[k] = _Static(k, v, "header", "line")
            continue
        if named:
            k = named.group(1)  # "API key (apikey): abc" names the parameter in brackets
        elif noted:
            k = noted.group(1)  # "ApiKey (send in body): abc" — the bracket is a note
        if not _is_identifier(k) or squash(k) in _META_KEYS or _META_RE.match(k) or _TEST_NAME.match(k):
            if not (k.lower() in field_low and squash(k) not in ("url", "method", "format")):
                continue
        if any(s.lower() == k.lower() for s in doc.statics):
            continue
        v = _clean_value(value)
        v = re.sub(r"\s+\((?:[^)]*)\)$", "", v).strip()
        if not v or len(v) > 200 or "://" in v and not _is_control_name(k) or squash(v) in _ROLE_INDEX:
            continue
        single = re.fullmatch(r"\S+", v) is not None
        if not single or _is_placeholder(v) and not _is_control_name(k):
            continue
        if v.lower() in ("yes", "no", "y", "n", "required", "optional", "string", "text", "int", "integer",
                         "number", "date", "boolean", "bool"):
            continue  # a field definition line ("first_name: required"), not a value
        maps = canonical_name(k)
        existing = doc.fields.get(field_low.get(k.lower(), ""))
        if existing is not None:
            if line_no >= 0 and (existing.value == v or existing.static_hint or _is_control_name(k)) and (
                    not existing.example or existing.example == v or _is_placeholder(existing.example)):
                existing.value = existing.value or v
                existing.static_hint = True
            continue
        if maps is not None and maps not in ("source", "sub_id", "case_type") and not _is_control_name(k):
            continue
        location = "header" if _HEADER_NAME.match(k) and k.lower().startswith("x-") else "body"
        doc.statics[k] = _Static(k, v, location, "line")


_PROSE_STATIC = (
    # "send our affiliate id AFF-3093 as aff_id"
    re.compile(r"\b(?:send|pass|include|add|post)\b[^.\n]{0,60}?[\s:]([\"'`]?)([A-Za-z0-9][\w.-]*\d[\w.-]*|(?-i:[A-Z][A-Z0-9_-]{2,}))\1"
               r"\s+(?:as|in)\s+(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?", re.I),
)
_PROSE_VALUE_AS = re.compile(
    # "Our API key is KSL-77f1e2 (send it as api_key)"
    r"\b(?:is|:)\s+[`'\"]?([A-Za-z0-9][\w.-]*\d[\w.-]*|(?-i:[A-Z][A-Z0-9_-]{2,}))[`'\"]?[\s,;(—–-]*"
    r"(?:send|pass|post|use)(?:\s+(?:it|this|that))?\s+(?:as|in)\s+(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)", re.I)
_PROSE_NAMED = (
    # "`partner_code` is fixed: always XSC01", "source must always be XSC"
    re.compile(r"(?<![\w.-])[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s+(?:is|are|must be|should be)\s+(?:fixed|static|constant|always)"
               r"[^.\n]{0,20}?(?:\b(?:always|value|to)\s+|:\s*(?:always\s+)?)[`'\"]?([\w.-]+)[`'\"]?", re.I),
    # "Source is always XSC", "campaign_id must always be 4471", "Operation is fixed to CreateLead"
    re.compile(r"(?<![\w.-])[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s+(?:is|are|must|should)\s+(?:always\s+(?:be\s+)?|be\s+always\s+|"
               r"fixed\s+(?:to|at|as)\s+|set\s+to\s+)[`'\"]?([\w.@-]*[\w@])[`'\"]?(?=[\s,;).]|$)", 0),
    # "Always send VendorId = 455", "Include aff_id=A79 with each lead"
    re.compile(r"\b(?i:set|pass|send|include|add|use)\s+[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s*=\s*"
               r"[`'\"]?([\w.@:/-]+)[`'\"]?(?=[\s,;)]|\.?$|\.\s)(?![^.\n]*\btest)", 0),
    # "Set source_id to 41", "Set Referrer to 1a2b-..." (a name that is not a plain lower-case word)
    re.compile(r"\b(?i:set|pass|send|use)\s+[`'\"]?([A-Za-z]+_[\w.-]*|_[\w.-]+|[a-z]+[A-Z][\w.-]*|"
               r"[A-Z][A-Za-z0-9]*|[a-z]+)[`'\"]?\s+(?i:to|as)\s+"
               r"[`'\"]?([\w.@:/-]+)[`'\"]?(?=[\s,;]|\.?$|\.\s)(?![^.\n]*\btest)", 0),
)


def _read_prose_statics(doc: _Doc, test: dict | None) -> None:
    """Fixed values stated in sentences rather than in tables."""
    found: list[tuple[str, str]] = []
    for pattern in _PROSE_STATIC:
        found += [(m.group(3), m.group(2)) for m in pattern.finditer(doc.text)]
    assigned: set[str] = set()
    for k, pattern in enumerate(_PROSE_NAMED):
        for m in pattern.finditer(doc.text):
            found.append((m.group(1), m.group(2)))
            if k == 2:
                assigned.add(m.group(1))  # "send source=XSC": written as a parameter, so it is one
    # Names with spaces ("*Lead Source* must always be `XSC`") are read only where the doc lists such a field.
    plain = doc.text.replace("*", "")
    found += [(m.group(2), m.group(1)) for m in _PROSE_VALUE_AS.finditer(plain)]  # "**Token:** `abc` — send as token"
    for name in doc.fields:
        if _is_identifier(name):
            continue
        m = re.search(rf"(?<![\w]){re.escape(name)}[`'\"”]?\s+(?:is|must|should)\s+(?:always\s+(?:be\s+)?|"
                      rf"be\s+always\s+|fixed\s+(?:to|at|as)\s+|set\s+to\s+)[`'\"“]?([\w.@-]*[\w@])", plain)
        if m:
            found.append((name, m.group(1)))
    # "Keep CaptorraId and Referrer as given", "keep inbox_lead_token and from_source exactly as shown".
    short = {k.rsplit(".", 1)[-1].lower(): k for k in doc.fields}
    short.update({k.lower(): k for k in doc.fields})
    kept = [m.group(1) for m in re.finditer(r"\b(?:keep|leave|send|pass)\s+([^.\n]{1,120}?)\s+(?:exactly\s+)?(?:as\s+"
                                           r"(?:shown|given|is|provided|written|listed)|unchanged|verbatim)\b", doc.text, re.I)]
    # "Key, Operation, ReturnJSON and LeadProvider never change."
    kept += [m.group(1) for m in re.finditer(r"(?:^|(?<=[.!?:]\s)|\n)\s*([^.\n]{1,120}?)\s+(?:never change|do not change|"
                                             r"don't change|are fixed|is fixed|stay the same|are constant|are static|are yours|is yours)\b",
                                             doc.text, re.I)]
    for chunk in kept:
        for token in re.split(r",|\band\b|&", chunk):
            f = doc.fields.get(short.get(token.strip(" `'\"*").lower(), ""))
            if f is not None and not _is_placeholder(f.value or f.example):
                f.value = f.value or f.example
                f.static_hint = True
    for name, value in found:
        value = value.rstrip(".")
        name = name.rstrip(".")  # "send it as inbox_lead_token." ends a sentence
        if value.lower() == "test":
            continue  # "put TEST in Last Name" marks a test lead; it fixes no value
        if re.fullmatch(r"[a-z]+", name) and not _is_control_name(name) and name not in doc.fields and (
                name not in assigned):
            continue  # "send leads to ..." — a plain word is a setting only when it names one
        if _TEST_NAME.match(name) or (test and name.lower() == test["name"].lower()):
            continue
        if squash(name) in _META_KEYS or value.lower() in ("true", "false", "required", "optional", "the", "a"):
            continue
        if squash(name) in ("json", "xml", "form", "csv", "text", "query", "get", "post", "html"):
            continue  # "send leads to our API as JSON" names a format, not a setting
        existing = doc.fields.get(name)
        if existing is not None:
            if not existing.value:
                existing.value = value
            existing.static_hint = True
        elif name not in doc.statics:
            doc.statics[name] = _Static(name, value, "body", "prose")


def _split_fields_and_statics(doc: _Doc, test: dict | None, fmt: str) -> tuple[list[_Field], list[_Static]]:
    fields: list[_Field] = []
    statics = dict(doc.statics)
    for f in sorted(doc.fields.values(), key=lambda x: x.order):
        if test and f.name == test["name"]:
            continue
        fixed = f.value or (f.example if not _is_placeholder(f.example) else "")
        maps = _lead_meaning(f.name)
        lead_text = bool(_LEAD_HINT.search(f.description))
        is_static = False
        if f.static_hint and not lead_text and (maps is None or f.value or _is_control_name(f.name)):
            is_static = True
        elif f.value and maps is None:
            is_static = True
        elif _is_control_name(f.name) and maps is None and not lead_text:
            is_static = bool(fixed) or f.source in ("table", "list")
        if is_static:
            value = f.value or fixed
            if f.name not in statics:
                statics[f.name] = _Static(f.name, value, "body", f.source)
            continue
        fields.append(f)
    names = {f.name.lower() for f in fields}
    out_static = []
    for s in statics.values():
        if s.name.lower() in names:
            continue
        if test and s.name.lower() == test["name"].lower():
            continue
        if fmt == "query" and s.location == "body":
            s.location = "query"
        out_static.append(s)
    return fields, out_static


def _fill_placeholders(doc: _Doc, statics: list[_Static]) -> None:
    """`?apikey=YOUR_KEY` with `API key: 9f8e...` elsewhere in the doc: use the real value."""
    for s in statics:
        scheme = re.fullmatch(r"(Bearer|Basic|Token)\s+(\S+)", s.value)
        if scheme and _is_placeholder(scheme.group(2)):
            for key, value, _ in doc.kv:
                v = _clean_value(value)
                if squash(key).endswith(("token", "apikey", "accesstoken", "key")) and not _is_placeholder(v) and " " not in v:
                    s.value = f"{scheme.group(1)} {v}"  # "-H 'Authorization: Bearer $TOKEN'" + "Your API token: abc"
                    break
            continue
        if not _is_placeholder(s.value):
            continue
        words = r"[\s_-]?".join(re.escape(t) for t in _tokens(s.name))
        told = re.search(rf"\b{words}\s+(?:is|=|:)\s+[`'\"]?([A-Za-z0-9][\w.~+/=-]*[A-Za-z0-9])", doc.text, re.I) if words else None
        if told and not _is_placeholder(told.group(1)):
            s.value = told.group(1)  # "your campaign ID is 4471" for campaign_id
            continue
        said = re.search(rf"\breplace\s+[`'\"]?{re.escape(s.value)}[`'\"]?\s+with\s*:?\s*[`'\"]?([A-Za-z0-9][^\s`'\"]*)",
                         doc.text, re.I)
        if said and not _is_placeholder(said.group(1)):
            s.value = said.group(1).rstrip(".,;")
            continue
        want = squash(s.name)
        for key, value, _ in doc.kv:
            v = _clean_value(value)
            if _is_placeholder(v) or " " in v:
                continue
            k = squash(key)
            if k == want or (k.endswith(want) or want.endswith(k)) and len(k) >= 3:
                s.value = v
                break


# --------------------------------------------------------------------------- URLs, system, method, format


def _urlsplit(url: str):  # noqa: ANN202 - urllib's SplitResult
    """urlsplit that takes any text: a malformed URL ("http://[bad") splits as empty."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def _norm(url: str) -> str:
    s = _urlsplit(url.strip())
    return f"{s.scheme.lower()}://{s.netloc.lower()}{s.path.rstrip('/')}"


@dataclass
class _Url:
    raw: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    count: int = 0
    is_value: bool = False  # appears as a value inside a sample body (a landing page, a certificate)


def _urls(doc: _Doc, extracted: Extracted, request: dict | None) -> dict[str, _Url]:
    found: dict[str, _Url] = {}

    def add(raw: str, score: float, reason: str) -> None:
        raw = raw.strip().rstrip(".,;:!?'\")>]*")
        while raw.endswith("}") and raw.count("{") < raw.count("}"):
            raw = raw[:-1].rstrip(".,;:!?'\")>]*")
        if not re.match(r"https?://[^/\s]+\.[^/\s]+|https?://localhost|https?://\d", raw) and "{" not in raw:
            return
        key = _norm(raw)
        u = found.setdefault(key, _Url(raw))
        if "?" in raw and "?" not in u.raw:
            u.raw = raw
        u.score += score
        u.count += 1
        if reason and reason not in u.reasons:
            u.reasons.append(reason)

    if request and request.get("url"):
        add(str(request["url"]), 10, "it is the request URL of the sample")
    for s in doc.samples:
        if s.url and s.url.startswith("http"):
            add(s.url, 8, "it is the URL of the sample request")
    for form in extracted.forms:
        if form.action.startswith("http"):
            add(form.action, 6, "it is where the form posts")
    for i, line in enumerate(doc.lines):
        for m in _URL_RE.finditer(line):
            url = m.group(0)
            nxt = doc.lines[i + 1].strip() if i + 1 < len(doc.lines) else ""
            # A long URL that a PDF or e-mail wrapped onto the next line.
            if (m.end() >= len(line.rstrip()) and re.search(r"[/?&=_-]$", url) and
                    re.fullmatch(r"[\w\-./?=&%{}]+", nxt or " ") and not nxt.endswith(":")):
                url += nxt
            before = line[: m.start()].lower()
            after = line[m.end():].lower()
            prev = doc.lines[i - 1].lower() if i else ""
            score = 1.0
            reason = ""
            label = before + " " + (prev if not before.strip() else "")
            if re.search(r"\b(end ?point|post(?:ing)? ?(?:url|to|address)|submit|submission|api url|"
                         r"target|destination|webhook|deliver|send (?:leads|the lead|to)|post (?:leads|the lead|it) to|"
                         r"production|live|request url|url)\b", label):
                score += 4
                reason = "it is labelled as the posting endpoint"
            if re.search(r"\b(post|get|put)\b\s*$", before) or re.search(r"^\s*(post|get|put)\b", line, re.I):
                score += 4
                reason = reason or "it follows the HTTP method"
            if re.search(r"\b(test|sandbox|staging|qa|uat|dev)\b", label) and not re.search(r"\bproduction|live\b", label):
                score -= 5
            if re.search(r"\b(documentation|docs|support|help|website|privacy|terms|portal|login|dashboard|"
                         r"unsubscribe|example of|landing page|your site|logo|more info|see|visit|contact|"
                         r"deprecated|legacy|old|previous|no longer|retired|not for|ping)\b",
                         before[-60:] + " " + after[:30]):
                score -= 3
            if line.strip().startswith("|") or line.count(" | ") >= 2 and not re.search(r"url|endpoint", before):
                score -= 3  # a URL inside a field table row is an example value
            add(url, score, reason)
    for value in _sample_values(doc):
        u = found.get(_norm(value)) if value.startswith("http") else None
        if u is not None:
            u.is_value = True
            u.score -= 8
    for _key, u in found.items():
        parts = _urlsplit(u.raw)
        path = parts.path.lower()
        host = parts.netloc.lower()
        if re.search(r"/(api|post|posts|lead|leads|intake|create|submit|webhook|import|inbox_leads|opportunities|"
                     r"services|capture|ingest|receive|form)|\.(aspx|php|do|ashx|asp|cfm)$|post\.do", path):
            u.score += 2
        if path in ("", "/"):
            u.score -= 3
        if re.search(r"/ping\b|ping\.", path):
            u.score -= 3  # ping-post buyers: the ping only asks for a price, the lead goes to the post URL
        if re.search(r"\.(pdf|png|jpe?g|gif|svg|css|js|docx?|xlsx?)$", path):
            u.score -= 6
        if "trustedform.com" in host or "leadid" in host or "jornaya" in host or "google" in host or host.startswith("www."):
            u.score -= 3
        if _system_of_host(host, path):
            u.score += 2
    return found


def _sample_values(doc: _Doc) -> list[str]:
    """The literal values inside the sample request bodies."""
    values: list[str] = []
    for s in doc.samples:
        if s.role != "request" or s.body is None:
            continue
        if s.kind == "json" and isinstance(s.body, (dict, list)):
            body = s.body[0] if isinstance(s.body, list) and s.body else s.body
            values += [_scalar_text(v) for _, v in _flatten_json(body if isinstance(body, dict) else {})]
        elif s.kind == "xml":
            values += [v for _, v in _flatten_xml(s.body)]  # type: ignore[arg-type]
        elif s.kind in ("form", "query") and isinstance(s.body, list):
            values += [v for _, v in s.body]
    return values


def _system_of_host(host: str, path: str) -> str | None:
    if "captorra" in host:
        return "captorra"
    if "leaddocket" in host:
        return "lead_docket"
    if "lawruler" in host:
        return "law_ruler"
    if "litify" in host or "litify_pm" in path or ("force.com" in host and "intake" in path):
        return "litify"
    if "clio" in host and ("grow" in host or "inbox_lead" in path):
        return "clio_grow"
    if "leadspedia" in host or path.endswith("post.do"):
        return "leadspedia"
    if "intakedesk" in host:
        return "intakedesk"
    return None


def _detect_system(doc: _Doc, urls: dict[str, _Url]) -> str:
    votes: dict[str, float] = {}
    for u in urls.values():
        parts = _urlsplit(u.raw)
        sys_ = _system_of_host(parts.netloc.lower(), parts.path.lower())
        if sys_:
            votes[sys_] = votes.get(sys_, 0) + 3 + max(u.score, 0) / 4
    text = doc.text
    head = text[:3000]
    mentions = {
        "captorra": r"\bcaptorra\b|\bCAPI\b",
        "lead_docket": r"\blead ?docket\b",
        "law_ruler": r"\blaw ?ruler\b",
        "litify": r"\blitify\b",
        "clio_grow": r"\bclio(?: grow)?\b",
        "leadspedia": r"\bleads ?pedia\b|\blp_campaign_id\b|\blp_campaign_key\b",
        "ice": r"\bIntake Conversion Experts\b|\bICE\b(?! ?cream)",
        "intakedesk": r"\bintake ?desk\b",
    }
    for sys_, pattern in mentions.items():
        flags = 0 if sys_ == "ice" else re.I
        n_head = len(re.findall(pattern, head, flags))
        n_all = len(re.findall(pattern, text, flags))
        if n_all:
            votes[sys_] = votes.get(sys_, 0) + min(n_all, 4) * 0.5 + min(n_head, 2)
    if any(squash(n) in ("lpcampaignid", "lpcampaignkey") for n in list(doc.fields) + [k for k, _, _ in doc.kv]):
        votes["leadspedia"] = votes.get("leadspedia", 0) + 3
    if not votes:
        return "generic"
    best = max(votes, key=lambda k: votes[k])
    return best if votes[best] >= 1.5 else "generic"


def _pick_endpoint(doc: _Doc, urls: dict[str, _Url], system: str) -> tuple[str | None, str]:
    if not urls:
        doc.warnings.append("The doc gives no URL; ask the client for the posting endpoint.")
        return None, ""
    ranked = sorted((u for u in urls.values() if not u.is_value), key=lambda u: (-u.score, -u.count))
    if not ranked:
        doc.warnings.append("The doc gives no posting URL (only example values); ask the client for the endpoint.")
        return None, ""
    best = ranked[0]
    if best.score < 0 and not any(r for r in best.reasons):
        doc.warnings.append(f"No URL in the doc looks like a posting endpoint; {best.raw} is a guess — check it.")
    if len(ranked) > 1:
        why = best.reasons[0] if best.reasons else "it looks most like an API address"
        others = ", ".join(u.raw.split("?")[0] for u in ranked[1:4])
        doc.warnings.append(f"Several URLs in the doc; picked {best.raw.split('?')[0]} because {why} (also seen: {others}).")
    raw = best.raw
    endpoint = raw.split("?", 1)[0].split("#", 1)[0]
    return endpoint, raw


def _explicit_method(doc: _Doc, request: dict | None) -> str:
    if request and request.get("method"):
        return str(request["method"])
    for key, value, _ in doc.kv:
        if squash(key) in ("method", "httpmethod", "verb", "requestmethod", "requesttype", "httpverb"):
            m = re.search(r"\b(POST|GET|PUT|PATCH)\b", value, re.I)
            if m:
                return m.group(1).upper()
    for s in doc.samples:
        if s.role == "request" and s.method and (s.context == "curl" or s.kind == "request_line"):
            return s.method
    return ""


def _pick_method(doc: _Doc, extracted: Extracted, request: dict | None) -> str:
    explicit = _explicit_method(doc, request)
    if explicit:
        return explicit
    for form in extracted.forms:
        if form.action.startswith("http"):
            return form.method or "POST"
    text = doc.text
    get = len(re.findall(r"\b(?:HTTP GET|GET request|via GET|using GET|send a GET|as a GET|GET method|method GET|"
                         r"(?:takes|accepts|expects|wants|uses|with) (?:a |an )?(?:HTTP )?GET)\b", text, re.I))
    post = len(re.findall(r"\b(?:HTTP POST|POST request|via POST|using POST|send a POST|as a POST|POST method|method POST|"
                          r"POST to|POST the|POST leads|POST it|form post)\b", text, re.I))
    if get > post:
        return "GET"
    return "POST"


def _vote_format_lines(doc: _Doc, votes: dict[str, float]) -> None:
    """Votes for the body format from sentences that name it ("application/json", "form post", "query string")."""
    for line in doc.lines:
        low = line.lower()
        if re.search(r"\b(respon\w*|returns?|returned|reply|answer|lp_response)\b", low):
            continue
        if re.search(r"application/json|\bjson (?:body|payload|object|format|post|request)|\bas json\b|\bin json\b|"
                     r"\bjson\b.*\b(?:body|post)", low):
            votes["json"] += 2
        if re.search(r"x-www-form-urlencoded|url-?encoded|form[- ]encoded|form post|form data|\bform fields\b|"
                     r"name[/ ]value pairs|key[/ ]value pairs|standard http post", low):
            votes["form"] += 2
        if re.search(r"text/xml|application/xml|\bxml (?:body|payload|document|post|format|request)|\bas xml\b|"
                     r"\bin xml\b|\bsoap\b", low):
            votes["xml"] += 2
        if re.search(r"query ?string|url parameters|query parameters|in the url|get request|http get|\bvia get\b", low):
            votes["query"] += 2
        # A bare mention ("XML lead posting spec") is a weak hint, for docs that say nothing more.
        for word in ("json", "xml"):
            if re.search(rf"\b{word}\b", low):
                votes[word] += 0.75


def _pick_format(doc: _Doc, system: str, endpoint: str | None, method: str, request: dict | None) -> str:
    votes = {"json": 0.0, "form": 0.0, "xml": 0.0, "query": 0.0}

    def vote_content_type(value: str, weight: float) -> None:
        v = value.lower()
        if "json" in v:
            votes["json"] += weight
        elif "x-www-form-urlencoded" in v or "form" in v or "url-encoded" in v or "urlencoded" in v:
            votes["form"] += weight
        elif "xml" in v:
            votes["xml"] += weight
        elif "query" in v:
            votes["query"] += weight

    for key, value, _ in doc.kv:
        k = squash(key)
        if k in ("format", "bodyformat", "dataformat", "requestformat", "payloadformat", "encoding", "posttype",
                 "contenttype", "postformat", "requestbody", "body", "datatype", "content", "posting", "type",
                 "payload", "bodytype", "payloadtype", "postmethod", "dataencoding", "bodyencoding"):
            if k == "type" and not re.search(r"json|xml|form|urlencoded|query", value, re.I):
                continue
            if re.search(r"\brespon", value, re.I):
                continue
            vote_content_type(value, 6)
            if re.search(r"query", value, re.I):
                votes["query"] += 6
    for s in doc.samples:
        if s.role != "request":
            continue
        for hk, hv in s.headers.items():
            if squash(hk) == "contenttype":
                vote_content_type(hv, 6)
        if s.kind in ("json", "xml", "form"):
            votes[s.kind] += 4 if s.context == "curl" or request else 3
        elif s.kind == "query":
            votes["query"] += 5
        if s.context == "curl" and s.kind == "none" and s.method == "GET" and s.url and "?" in s.url:
            votes["query"] += 5
    _vote_format_lines(doc, votes)
    if method == "GET":
        votes["query"] += 4
    if doc.form_post:
        votes["form"] += 3  # an HTML form posts url-encoded unless it says otherwise
    defaults = {"captorra": "json", "litify": "json", "clio_grow": "json", "law_ruler": "form", "leadspedia": "form"}
    if system == "lead_docket" and endpoint:
        defaults["lead_docket"] = "json" if "formjson" in endpoint.lower() else "form"
    if system in defaults:
        votes[defaults[system]] += 1.5
    if endpoint and re.search(r"\.(aspx|php|do|asp|cfm)$", endpoint.lower()):
        votes["form"] += 0.5
    best = max(votes, key=lambda k: votes[k])
    if votes[best] == 0:
        doc.warnings.append("The doc does not say how to encode the body; JSON assumed — check it.")
        return "json"
    return best


# --------------------------------------------------------------------------- maps_to and types


# Short forms the synonym list leaves out, by squashed name.
_ALIASES = {"addr": "address", "addr1": "address", "streetaddr": "address", "postal": "zip", "zipcd": "zip",
            "attorneyretained": "has_attorney", "retainedattorney": "has_attorney", "haslawyer": "has_attorney",
            "hasrepresentation": "has_attorney", "consentlanguage": "tcpa_text", "consenttext": "tcpa_text",
            "tcpadisclosure": "tcpa_text", "consentgiven": "tcpa_consent", "optedin": "tcpa_consent",
            "cellphonenumber": "phone", "mobilenumber": "phone", "cellnumber": "phone", "phoneno": "phone",
            "emailaddr": "email", "ipaddr": "ip_address", "dateofloss": "incident_date", "lossdate": "incident_date"}
_VAGUE_WORDS = {"name", "type", "id", "date", "case", "ref", "reference", "source", "url", "st", "ua", "s1", "mail",
                "note", "created", "received", "submitted", "browser", "website", "vendor", "fault", "consent",
                "datetime", "timestamp", "primary", "secondary", "cell", "tel", "region", "province", "street",
                "town", "attorney", "injury", "tort", "optin", "disclosure", "represented", "comment", "message"}
_SAFE_WORDS = {"email": "email", "e-mail": "email", "zip": "zip", "zipcode": "zip", "postal": "zip",
               "city": "city", "county": "county", "dob": "date_of_birth", "birth": "date_of_birth",
               "trustedform": "trustedform_cert_url", "jornaya": "jornaya_leadid", "tcpa": "tcpa_consent"}
_PHRASES = sorted(
    ((syn, f.name) for f in FIELDS_BY_NAME.values() for syn in (f.label.lower(), *f.synonyms) if " " in syn),
    key=lambda p: -len(p[0]))
_STATES = set("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
              "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split())


def _maps_to(f: _Field) -> str | None:
    """The canonical lead field of a posted field; a name with "date" in it only ever maps to a date."""
    hit = _name_meaning(f)
    toks = _tokens(f.name.rsplit(".", 1)[-1])
    if hit and ("date" in toks or "dt" in toks) and FIELDS_BY_NAME[hit].kind not in ("date", "datetime"):
        # "_Date_Injured": the date of the injury, not the yes/no "injured".
        for text in (f.label, f.description):
            alt = _text_meaning(text or "")
            if alt and FIELDS_BY_NAME[alt].kind in ("date", "datetime"):
                return alt
        if set(toks) & {"injured", "injury", "accident", "incident", "loss", "crash", "hurt"}:
            return "incident_date"
        return None
    return hit


def _name_meaning(f: _Field) -> str | None:
    name = re.sub(r"\[([A-Za-z_]\w*)\]", r".\1", f.name)  # "inbox_lead[from_first]" reads as a dotted path
    if _has_control_parent(name):
        return None
    parts = name.split(".")
    if len(parts) > 1 and squash(parts[-1]) in _VAGUE_WORDS:
        # "Incident.Date", "matter.type": a vague last word takes its meaning from the object it sits in.
        hit = SYNONYMS.get(squash(parts[-2] + parts[-1]))
        if hit:
            return hit
    hit = canonical_name(name)
    if hit:
        return hit
    if f.label:
        hit = canonical_name(f.label.strip(" ?:*"))
        if hit:
            return hit
    hit = _distinctive_meaning(name)
    if hit:
        return hit
    last = name.rsplit(".", 1)[-1]
    toks = _tokens(last)
    hit = _ALIASES.get("".join(toks))
    if hit:
        return hit
    while len(toks) > 1 and toks[-1] in ("flag", "yn", "ind", "indicator", "value", "answer", "text", "field",
                                         "str", "txt", "bool", "dt", "num", "nbr", "no", "name", "abbr", "abbrev",
                                         "abbreviation", "mmddyyyy", "yyyymmdd", "mdy", "ymd", "iso", "utc"):
        if toks[-1] in ("dt",):
            toks[-1] = "date"
            break
        toks = toks[:-1]
    hit = SYNONYMS.get("".join(toks))
    if hit:
        return hit
    if len(toks) == 2:
        hit = SYNONYMS.get(toks[1] + toks[0])  # "phone_home" is a "home phone"
        if hit:
            return hit
    if len(toks) == 2 and toks[1] == "type" and toks[0] in ("case", "incident", "injury", "accident", "claim", "matter",
                                                            "tort", "lead", "practice", "loss", "lawsuit", "legal"):
        return "case_type"
    if toks and toks[-1] in ("id", "key", "code", "guid", "token", "uuid", "type") and len(toks) > 1:
        joined = " ".join(toks)
        if joined in SYNONYMS or squash(joined) in SYNONYMS:
            return SYNONYMS[squash(joined)]
        return None if toks[-1] != "type" else None
    # Drop leading qualifiers: "claimant_first_name" → "first name", "ContactEmail" → "email",
    # "was_injured" → "injured"; a lone vague word ("name", "type", "date", "id") is not enough.
    for k in range(1, len(toks)):
        tail = toks[k:]
        hit = SYNONYMS.get("".join(tail))
        if hit and (len(tail) > 1 or tail[0] not in _VAGUE_WORDS):
            return hit
        if hit and k == 1 and len(toks[0]) <= 2 and re.fullmatch(r"s\d|sub\d?", tail[0]):
            return hit  # "lp_s1", "c_sub2": a platform prefix before a sub id
    # Then the label and the description: for opaque names ("Q1", "field_12", "ph") they are the only hint.
    if not _is_control_name(name):
        for text in (f.label, f.description):
            hit = _text_meaning(text or "")
            if hit:
                return hit
    desc = (f.description or "").lower()
    if desc and not _is_control_name(name):
        for word in re.findall(r"[a-z-]+", desc)[:6]:
            if word in _SAFE_WORDS:
                return _SAFE_WORDS[word]
    ex = (f.example or "").strip()
    if ex and not _is_control_name(name):
        return _example_meaning(ex)
    return None


def _example_meaning(ex: str) -> str | None:
    """What an example value alone says a field is: an e-mail, an IP address, a TrustedForm URL, a phone."""
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", ex, re.I):
        return "email"
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", ex):
        return "ip_address"
    if "trustedform.com" in ex:
        return "trustedform_cert_url"
    if re.fullmatch(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}", ex):
        return "phone"
    return None


# Words of a label or description that add nothing to its meaning ("The client's first name", "Your sub ID").
_FILLER = re.compile(r"\b(?:the|a|an|your|our|their|his|her|its|this|lead'?s|client'?s|consumer'?s|customer'?s|"
                     r"claimant'?s|person'?s|caller'?s|prospect'?s|visitor'?s|user'?s|applicant'?s|"
                     r"short|brief|briefly|full|detailed|optional|required|mandatory)\b", re.I)
# How intake forms ask for a lead field when the posted name says nothing ("Q3: Is an attorney representing
# you?"), checked after the label or description's own words.
_QUESTION_WORDS = (
    (re.compile(r"\b(?:describe|description|what happened|tell us|explain|summary|narrative)\b"), "description"),
    (re.compile(r"\b(?:attorney|lawyer|legal representation|represent(?:ed|ing|s)?)\b"), "has_attorney"),
    (re.compile(r"\bat[- ]fault\b|\bfault\b"), "at_fault"),
    (re.compile(r"\btrusted ?form\b"), "trustedform_cert_url"),
    (re.compile(r"\b(?:jornaya|lead ?id token|universal lead ?id)\b"), "jornaya_leadid"),
    (re.compile(r"\btcpa\b|\bconsent\w*\b|\bagree\w*\b.*\bcontact\w*|\bopt(?:ed)?[- ]?in\b"), "tcpa_consent"),
    (re.compile(r"\b(?:date|when)\b.*\b(?:accident|incident|injur\w*|loss|crash|collision|bite|fall|happen\w*|"
                r"occur\w*)\b"),
     "incident_date"),
    (re.compile(r"\b(?:type|kind|category)\s+of\s+(?:case|claim|injury|accident|matter|incident|lawsuit)\b|"
                r"\bpractice area\b"), "case_type"),
    (re.compile(r"\b(?:were|was|are|is|did)\s+(?:you|anyone|someone|they)\s+(?:\w+\s+)?(?:injured|hurt)\b"),
     "injured"),
)


def _text_meaning(text: str) -> str | None:
    """The lead field a label or description names: "Date of accident", "Type of claim", "Phone, digits only"."""
    t = re.sub(r"\((?:required|optional|req\.?|opt\.?)\)|\*", " ", text.lower())
    t = re.sub(r"[’`]", "'", t)
    t = _FILLER.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip(" ?:.,;-")
    if not t or _PLACEHOLDER_RE.match(t):
        return None
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", t)
    if not words:
        return None

    def known(phrase: str) -> str | None:
        hit = SYNONYMS.get(squash(phrase))
        if hit and (" " in phrase.strip() or phrase.strip() not in _VAGUE_WORDS):
            return hit
        return None

    # The whole label, then "type of case" read as "case type", then its first words ("Phone, digits only").
    head = re.split(r"[,;:(/?]|\s[-–]\s|\.\s", t, maxsplit=1)[0].strip()
    for candidate in (head, t):
        hit = known(candidate)
        if hit:
            return hit
        of = re.fullmatch(r"([a-z ]+?) of ([a-z ]+)", candidate)
        if of:
            hit = known(f"{of.group(2)} {of.group(1)}")
            if hit:
                return hit
    for n in (3, 2, 1):
        if len(words) >= n:
            hit = known(" ".join(words[:n]))
            if hit:
                return hit
    for pattern, target in _QUESTION_WORDS:
        if pattern.search(t):
            return target
    # A lead field's multi-word name anywhere in the text; the earliest one is what the text is about.
    found = [(m.start(), -len(phrase), target) for phrase, target in _PHRASES
             for m in [re.search(rf"\b{re.escape(phrase)}\b", t)] if m]
    if found:
        return min(found)[2]
    return None


def _second_phone(fields: list[_Field], meanings: list[str | None]) -> None:
    """Two phone fields ("CellPhone" and "HomePhone"): the required or first one is the phone, the other the second."""
    phones = [i for i, m in enumerate(meanings) if m == "phone"]
    if len(phones) != 2 or "phone_alt" in meanings:
        return
    first, other = phones
    if fields[other].required and not fields[first].required:
        first, other = other, first
    meanings[other] = "phone_alt"


def _norm_type(declared: str, example: str, maps_to: str | None) -> str:
    d = (declared or "").lower()
    if re.search(r"bool|yes/no|y/n|true/false|checkbox", d):
        return "boolean"
    if re.search(r"date ?time|timestamp|datetime", d):
        return "datetime"
    if re.search(r"\bdate\b|mm/dd|yyyy", d):
        return "date"
    if re.search(r"int|number|numeric|decimal|float|digits|double|long", d):
        return "number"
    if re.search(r"email", d):
        return "email"
    if re.search(r"phone|tel", d):
        return "phone"
    if re.search(r"enum|list|select|picklist|dropdown|radio|option", d):
        return "choice"
    if maps_to:
        kind = FIELDS_BY_NAME[maps_to].kind
        return {"text": "string", "yesno": "boolean"}.get(kind, kind)
    return "string"


# --------------------------------------------------------------------------- response rules


def _response_rules(doc: _Doc) -> list[dict]:
    rules: list[dict] = []

    def rule(outcome: str, **kw: object) -> None:
        r = {"outcome": outcome, "status": "", "body_regex": "", "json_path": "", "xpath": "", "equals": None,
             "retryable": None, "reason": None, "remote_id": None, "note": "suggested from the posting doc"}
        r.update(kw)
        if r not in rules:
            rules.append(r)

    for s in doc.samples:
        if s.role != "response":
            continue
        ctx = (s.context or "").lower()
        outcome = _outcome_word(ctx)
        if s.kind == "json" and isinstance(s.body, dict):
            for key, value in s.body.items():
                if isinstance(value, (bool, str)) and squash(key) in ("success", "accepted", "result", "status",
                                                                      "outcome", "ok", "response"):
                    word = _outcome_word(str(value).lower()) or outcome
                    if word:
                        extra: dict = {}
                        if word == "accepted":
                            idkey = next((k for k in s.body if re.search(r"id$", k, re.I)), None)
                            if idkey:
                                extra["remote_id"] = {"kind": "json_path", "expr": f"$.{idkey}"}
                        else:
                            rkey = next((k for k in s.body if squash(k) in ("reason", "message", "msg", "error")), None)
                            if rkey:
                                extra["reason"] = {"kind": "json_path", "expr": f"$.{rkey}"}
                                said = _scalar_text(s.body[rkey])
                                if word == "rejected" and re.search(r"duplicate|already exists", said, re.I):
                                    # The sample failure is a duplicate: say so before the general rejection.
                                    rule("duplicate", json_path=f"$.{rkey}", equals=said, reason=extra["reason"])
                        rule(word, json_path=f"$.{key}", equals=_scalar_text(value), **extra)
                    break
        elif s.kind == "xml":
            for child in s.body.iter():  # type: ignore[union-attr]
                tag = child.tag.split("}", 1)[-1]
                if tag.lower() in ("response", "status", "result", "outcome") and (child.text or "").strip():
                    word = _outcome_word((child.text or "").lower()) or outcome
                    if word:
                        rule(word, xpath=f".//{tag}", equals=child.text.strip())
                    break
    # Plain-text answers: 'accepted' or 'rejected: <reason>', OK|12345, ERR|DUPLICATE, SUCCESS 123.
    for line in doc.lines:
        if "{" in line or re.search(r"<[A-Za-z][\w:.-]*>[^<]*</", line) or not _RESPONSE_CONTEXT.search(line):
            continue
        for m in re.finditer(r"(?:['\"`]|\b)(OK|ERR|ERROR|SUCCESS|FAIL(?:ED|URE)?|ACCEPTED|REJECTED|DUPLICATE|"
                             r"accepted|rejected|success|duplicate|error|failed)(?=[|:]|\s\d|['\"`])", line):
            token = m.group(1)
            word = _outcome_word(token.lower()) or ("rejected" if token.upper().startswith("ERR") else "")
            if word:
                rule(word, body_regex=f"^\\s*{re.escape(token)}\\b")
    return rules


def _outcome_word(text: str) -> str:
    if re.search(r"duplicate|already exists", text):
        return "duplicate"
    if re.search(r"\b(fail\w*|reject\w*|error|false|invalid|denied|unmatched)\b", text):
        return "rejected"
    if re.search(r"\b(success\w*|accept\w*|ok|true|good|matched|created|received)\b", text):
        return "accepted"
    return ""


# --------------------------------------------------------------------------- confidence


def _confidence(doc: _Doc, endpoint: str | None, fields: list[dict], statics: list[dict]) -> float:
    score = 0.0
    if endpoint:
        score += 0.3
        if not any(w.startswith("No URL in the doc looks") for w in doc.warnings):
            score += 0.05
    if fields:
        score += 0.25
        mapped = sum(1 for f in fields if f["maps_to"])
        score += 0.2 * mapped / len(fields)
        if any(f.source == "table" for f in doc.fields.values()):
            score += 0.1
    if not any(_is_placeholder(s["value"]) for s in statics):
        score += 0.1
    score -= 0.03 * max(0, len(doc.warnings) - 2)
    return round(max(0.0, min(1.0, score)), 2)
