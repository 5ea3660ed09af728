"""The words posting docs use, and small helpers on names, values and URLs that every recogniser shares."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsers.fields import canonical_name, squash

SYSTEMS = ("captorra", "lead_docket", "law_ruler", "litify", "clio_grow", "leadspedia", "ice", "intakedesk", "generic")


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


_TEST_NAME = re.compile(r"^(?:lp_|is_?|x_?|[a-z]{2,5}_)?test(?:_?(?:mode|lead|flag|post|only|ing))?$|^(?:is|lp|x)_?test\w*$|^sandbox(?:_?mode)?$|^dry_?run$|^test$", re.I)


_RESPONSE_CONTEXT = re.compile(
    r"\b(respon\w*|returns?|returned|repl(?:y|ies)|answers?|success(?:ful)?|fail(?:ure|ed|s)?|errors?|"
    r"reject\w*|accept\w*|duplicates?|outcome|results?|you will (?:get|receive)|we (?:send|return))\b", re.I)


_REQUEST_CONTEXT = re.compile(
    r"\b(requests?|payload|body|post(?:ing)? (?:body|data|example)|example (?:post|lead|request|payload|body)|"
    r"sample (?:post|lead|request|payload|body|call)|curl|send(?:ing)?|submit|example|sample|format of the post)\b",
    re.I)


_HEADER_NAME = re.compile(r"^(x-[\w-]+|authorization|api-?key|apikey|access-?token|auth-?token|token|"
                          r"ocp-apim-subscription-key|subscription-key|x_api_key)$", re.I)


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


def _urlsplit(url: str):  # urllib's SplitResult
    """urlsplit that takes any text: a malformed URL ("http://[bad") splits as empty."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def _norm(url: str) -> str:
    s = _urlsplit(url.strip())
    return f"{s.scheme.lower()}://{s.netloc.lower()}{s.path.rstrip('/')}"
