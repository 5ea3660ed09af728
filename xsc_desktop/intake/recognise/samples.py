"""Recogniser: sample requests (curl, JSON, XML, form and query bodies, Postman collections)."""

from __future__ import annotations

import json
import re
import shlex
from urllib.parse import parse_qsl
from xml.etree import ElementTree

from parsers.fields import squash
from xsc_desktop.intake.recognise.field_lists import _FIELD_SPEC_KEYS
from xsc_desktop.intake.recognise.records import _Doc, _Field, _Sample
from xsc_desktop.intake.recognise.tables import _add_field, _required_from_text
from xsc_desktop.intake.recognise.vocabulary import (
    _REQUEST_CONTEXT,
    _RESPONSE_CONTEXT,
    _TYPED_VALUE,
    _is_control_name,
    _is_placeholder,
    _lead_meaning,
    _looks_like_setting_value,
)


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
