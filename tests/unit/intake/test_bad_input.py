"""Posting docs as they really arrive: wrapped tokens, tables split across pages, two products, values left to
an attachment, threads that correct themselves. Each gives a draft with the doubt named, never a silent
wrong value."""

from __future__ import annotations

from tests.unit.intake.postingdoc_makers import make_pdf, table_lines
from xsc_desktop.intake.extract import Extracted, extract_bytes
from xsc_desktop.intake.pipeline import analyze


def run(text: str, tables=None) -> dict:
    return analyze(Extracted(text=text, tables=tables or []), "doc")


def rules(result: dict) -> set[str]:
    return {f["rule"] for f in result["findings"]}


def test_a_pdf_that_wraps_a_url_mid_word_is_joined_and_the_join_is_named():
    page = ["Add each lead with one HTTPS GET:", "",
            "https://api.dialer.example/web2campaign/AddToList?F9domain=Delacroix&F9list=XSC&number1=[phone]&la",
            "st_name=[last]&first_name=[first]", "", "number1 and last_name are required."]
    result = analyze(extract_bytes(make_pdf([page]), "get.pdf"), "get.pdf")
    assert result["method"] == "GET" and result["format"] == "query"
    assert {"number1", "last_name", "first_name"} <= {f["name"] for f in result["fields"]}
    assert not any(f["name"] in ("la", "st_name") for f in result["fields"])
    assert "wrapped_url" in rules(result) and result["confidence"] < 0.9


def test_a_field_table_split_across_pages_keeps_every_row():
    xs = [56.0, 190.0, 260.0]
    page1 = ["Endpoint   POST https://api.firm.example/v1/prospects", "Body       JSON", ""]
    page1 += table_lines([["Field", "Required", "Format"], ["first_name", "yes", "string"],
                          ["last_name", "yes", "string"]], xs)
    page2 = table_lines([["phone", "yes", "10 digits"], ["notes", "no", "text"]], xs)
    result = analyze(extract_bytes(make_pdf([page1, page2]), "split.pdf"), "split.pdf")
    assert {f["name"]: f["required"] for f in result["fields"]} == {
        "first_name": True, "last_name": True, "phone": True, "notes": False}
    assert result["static"] == []


def test_two_endpoints_for_two_products_is_a_named_doubt():
    text = ("Auto accident leads: POST JSON to https://api.firm.example/v1/auto/leads\n"
            "Workers comp leads: POST JSON to https://api.firm.example/v1/workcomp/leads\n\n"
            '{"first_name": "Amy", "phone": "5125550100"}\nfirst_name and phone are required.\n')
    result = run(text)
    assert "two_endpoints" in rules(result)
    assert result["confidence"] < 0.9


def test_every_value_see_attached_leaves_the_values_empty_and_says_so():
    table = [["Parameter", "Value"], ["api_key", "see attached"], ["campaign_id", "see attached"],
             ["source", "(see attached)"]]
    text = "POST form data to https://a.example/post.php\nfirst_name (required)\nphone (required)\n"
    result = run(text, tables=[table])
    values = {s["name"]: s["value"] for s in result["static"]}
    assert all(v == "" for v in values.values())
    assert "no_value" in rules(result) and result["confidence"] < 0.9


def test_a_correction_a_later_mail_cannot_apply_is_named_not_dropped():
    mail = (b"From: a@firm.example\r\nTo: b@example.com\r\nSubject: RE: posting\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Correction: the campaign changed, please use the new campaign from Monday.\r\n\r\n"
            b"-----Original Message-----\r\nFrom: a@firm.example\r\nSent: Monday\r\n\r\n"
            b"POST JSON to https://a.example/v1/leads\r\ncampaign = SPRING-26 (fixed)\r\n"
            b"first_name (required)\r\n")
    result = analyze(extract_bytes(mail, "thread.eml"), "thread.eml")
    (doubt,) = [f for f in result["findings"] if f["rule"] == "thread"]
    assert doubt["severity"] == "doubt" and "campaign" in doubt["evidence"]["text"]
    assert result["confidence"] < 0.9


def test_a_form_body_written_under_its_url_is_not_joined_to_it():
    text = ("POST to this URL with the body below (form-encoded):\nhttps://a.example/api/post.php?key=K-77\n"
            "first_name=Amy&phone=5125550100&email=amy@example.com\n\nfirst_name and phone are required.\n")
    result = run(text)
    assert result["endpoint"] == "https://a.example/api/post.php"
    assert "wrapped_url" not in rules(result)
    assert {"first_name", "phone", "email"} <= {f["name"] for f in result["fields"]}
