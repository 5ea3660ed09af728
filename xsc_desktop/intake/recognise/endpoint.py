"""Recogniser: URLs, the intake system, the endpoint, the method and the body format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.fields import squash
from xsc_desktop.intake.extract import Extracted
from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.samples import _flatten_json, _flatten_xml, _scalar_text
from xsc_desktop.intake.recognise.vocabulary import _URL_RE, _norm, _urlsplit


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
            named = re.findall(r"\b(POST|GET|PUT|PATCH)\b", value, re.I)
            preferred = re.search(r"\b(?:prefer(?:red)?|please use|recommended|use)\s+(POST|GET|PUT|PATCH)\b", value, re.I)
            if preferred:
                return preferred.group(1).upper()  # "GET or POST, form-encoded. We prefer POST."
            if named:
                return "POST" if len({m.upper() for m in named}) > 1 and "post" in value.lower() else named[0].upper()
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
