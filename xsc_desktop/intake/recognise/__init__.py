"""The recognisers of posting docs, one concern per module, run in the order `recognise()` shows:
key: value lines, sample requests, field tables, field lists in prose, HTML forms, then URLs (system,
endpoint, method, format), the endpoint's query and headers, prose about fields, the test switch,
fixed values, the lead field of each field and the system's answers. Pure: text in, dict out."""

from __future__ import annotations

import re

from xsc_desktop.intake.extract import Extracted
from xsc_desktop.intake.recognise.confidence import _confidence
from xsc_desktop.intake.recognise.endpoint import (
    _detect_system,
    _explicit_method,
    _pick_endpoint,
    _pick_format,
    _pick_method,
    _urls,
)
from xsc_desktop.intake.recognise.field_lists import (
    _read_assignment_lists,
    _read_field_lists,
    _read_field_spec_lines,
    _read_prose_field_list,
    _read_prose_needs,
)
from xsc_desktop.intake.recognise.forms import _read_form
from xsc_desktop.intake.recognise.headers import _read_headers, _read_url_query
from xsc_desktop.intake.recognise.key_values import _key_values
from xsc_desktop.intake.recognise.meaning import _maps_to, _norm_type, _second_phone
from xsc_desktop.intake.recognise.prose import _apply_required_prose, _read_prose_descriptions
from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.responses import _response_rules
from xsc_desktop.intake.recognise.samples import _json_request_description, _read_request_samples, _samples
from xsc_desktop.intake.recognise.statics import (
    _fill_placeholders,
    _read_prose_statics,
    _read_static_lines,
    _split_fields_and_statics,
)
from xsc_desktop.intake.recognise.tables import _read_field_table, _text_tables
from xsc_desktop.intake.recognise.test_switch import _find_test
from xsc_desktop.intake.recognise.vocabulary import _dedupe, _is_placeholder, _is_secret


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
