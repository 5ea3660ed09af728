"""The safety rules checked last on every draft: what would do harm in a live integration never reaches it,
and each time a rule fires the draft says so (a finding with the doc's words) and claims less confidence."""

from __future__ import annotations

from xsc_desktop.intake.extract import Extracted, extract_bytes
from xsc_desktop.intake.pipeline import analyze


def run(text: str, tables=None, fmt: str = "txt") -> dict:
    return analyze(Extracted(text=text, tables=tables or [], format=fmt), "doc")


def statics(result: dict) -> dict:
    return {s["name"]: s["value"] for s in result["static"]}


def fields(result: dict) -> dict:
    return {f["name"]: f for f in result["fields"]}


def findings(result: dict, rule: str) -> list[dict]:
    return [f for f in result["findings"] if f["rule"] == rule]


# --------------------------------------------------------------------------- values meant for testing


def test_a_debug_value_is_the_test_switch_never_a_live_static():
    text = ("Endpoint: https://webto.example/servlet/WebToLead\nMethod: POST (form)\n\n"
            "oid = 00D8c000004KqWe   (always the same)\ndebug = 1\ndebugEmail = crm@firm.example\n\n"
            "first_name - required\nphone - required\n")
    result = run(text)
    assert statics(result) == {"oid": "00D8c000004KqWe"}
    assert result["test"] == {"name": "debug", "value": "1"}
    assert findings(result, "test_value") and result["confidence"] < 0.9


def test_a_value_given_only_for_tests_is_not_live_and_becomes_the_test_switch():
    table = [["Parameter", "Required", "Value"], ["F9list", "Yes", "XSC_Web_Leads"], ["number1", "Yes", ""],
             ["dupcheck", "No", "0"]]
    text = ("POST form data to https://api.five9.example/web2campaign/AddToList\n"
            "dupcheck=0 can be added while you test so repeated leads go through.\n"
            "For testing use the list XSC_Test instead (F9list=XSC_Test). Don't use it for live leads.\n")
    result = run(text, tables=[table])
    assert statics(result) == {"F9list": "XSC_Web_Leads"}
    assert result["test"] == {"name": "dupcheck", "value": "0"} or result["test"]["name"] in ("F9list", "dupcheck")


def test_a_credential_that_looks_like_a_test_key_stays_but_is_doubted():
    result = run("POST JSON to https://a.example/v1/leads\nSend the header x-api-key: gl_test_0042 with every post.\n"
                 '{"first_name": "Amy", "phone": "5125550100"}\n')
    assert statics(result)["x-api-key"] == "gl_test_0042"
    assert findings(result, "test_value")[0]["severity"] == "doubt"
    assert result["confidence"] < 0.9


# --------------------------------------------------------------------------- negated instructions


def test_a_negated_instruction_never_becomes_a_static():
    text = ("Post URL: https://castillo.lawruler.example/api-legalcrmapp.aspx\nMethod: POST, form fields\n\n"
            "Key = LR-12aa-90bd-KEY\nOperation = CreateLead\n\n"
            "FirstName (required)\nCellPhone (required)\n\n"
            "Please do NOT send dupcheck=0, we need the duplicate check on.\n"
            "Please do not send Return_Best_Price=1.\n")
    result = run(text)
    assert "dupcheck" not in statics(result) and "Return_Best_Price" not in statics(result)
    assert statics(result) == {"Key": "LR-12aa-90bd-KEY", "Operation": "CreateLead"}


def test_a_field_the_doc_says_to_leave_out_is_not_a_field_but_a_condition_keeps_it():
    text = ("POST JSON to https://a.example/v3/submit\n\n"
            '{"submittedAt": "1767225600000", "firstname": "Jo", "phone": "3125550187"}\n\n'
            "- `submittedAt` is optional (milliseconds since the epoch); leave it out.\n"
            "- Never send phone with dashes or spaces.\n")
    result = run(text)
    assert "submittedAt" not in fields(result)
    assert "phone" in fields(result)
    (finding,) = findings(result, "negated")
    assert "leave it out" in finding["evidence"]["text"]


# --------------------------------------------------------------------------- endpoints


def test_a_thank_you_address_is_never_the_endpoint():
    html = (b'<html><body><p>After the post we redirect to https://www.firm.example/thank-you</p>'
            b'<form action="https://webto.example/servlet/servlet.WebToLead?encoding=UTF-8" method="POST">'
            b'<input type="hidden" name="oid" value="00D5e000003XyZq">'
            b'<input type="hidden" name="retURL" value="https://www.firm.example/thank-you">'
            b'<input name="first_name" required><input name="phone"><input type="submit" name="submit"></form>'
            b"</body></html>")
    result = analyze(extract_bytes(html, "form.html"), "form.html")
    assert result["endpoint"] == "https://webto.example/servlet/servlet.WebToLead"
    assert statics(result)["retURL"] == "https://www.firm.example/thank-you"
    assert set(fields(result)) == {"first_name", "phone"}


def test_a_deprecated_endpoint_loses_to_the_live_one():
    text = ("Submit leads to our flow. Submission URL:\n\nhttps://app.flows.example/flows/63f0/sources/63f1/submit\n\n"
            "Deprecated: the old flow URL https://next.flows.example/flows/5a1b/sources/5a1c/submit stops working "
            "in January. Do not use it.\n\nPOST JSON. Fields: first_name (required), email.\n")
    result = run(text)
    assert result["endpoint"] == "https://app.flows.example/flows/63f0/sources/63f1/submit"


def test_a_doc_whose_only_url_is_a_sandbox_has_no_endpoint_and_says_so():
    text = ("Sandbox (for testing only): https://sandbox.firm.example/api/leads\nPOST JSON\n"
            '{"first_name": "Amy", "phone": "5125550100"}\n')
    result = run(text)
    assert result["endpoint"] is None
    (finding,) = findings(result, "endpoint_marked")
    assert finding["severity"] == "safety" and "sandbox.firm.example" in finding["evidence"]["text"]
    assert result["confidence"] <= 0.5


# --------------------------------------------------------------------------- formats and HTML forms


def test_format_descriptions_are_never_static_values():
    table = [["Field", "Req?", "Value"], ["first_name", "Y", ""], ["phone_1", "Y", "10 digits"],
             ["postal_code", "Y", "5 digits"], ["accident_date", "N", "YYYY-MM-DD"], ["injured", "Y", "yes/no"],
             ["attorney", "Y", "must be no"], ["source", "Y", "always XSC"]]
    result = run("URL: https://a.example/submit\nMethod: POST\nFormat: form-encoded\n", tables=[table])
    assert statics(result) == {"source": "XSC"}
    got = fields(result)
    assert {n: got[n]["required"] for n in ("phone_1", "postal_code", "accident_date", "injured", "attorney")} == {
        "phone_1": True, "postal_code": True, "accident_date": False, "injured": True, "attorney": True}
    assert findings(result, "answer_rule") and findings(result, "format_value")
    assert result["confidence"] < 0.9


def test_an_html_form_action_hidden_inputs_visible_inputs_and_options():
    html = (b'<html><body><!-- <input type="hidden" name="debug" value=1> -->'
            b'<form action="https://app.forms.example/submit/3f9c" method="post">'
            b'<input type="hidden" name="utm_source" value="xsc">'
            b'<input type="hidden" name="redirect_url" value="https://www.firm.example/thank-you">'
            b'<label for="fn">First name *</label><input id="fn" name="first_name" required>'
            b'<select name="case_type" required><option value="">Choose</option><option value="auto">Car</option>'
            b'</select><button type="submit">Send</button></form></body></html>')
    result = analyze(extract_bytes(html, "form.html"), "form.html")
    assert result["endpoint"] == "https://app.forms.example/submit/3f9c"
    assert statics(result) == {"utm_source": "xsc", "redirect_url": "https://www.firm.example/thank-you"}
    assert set(fields(result)) == {"first_name", "case_type"}
    assert "debug" not in statics(result)


# --------------------------------------------------------------------------- doubts, threads and evidence


def test_a_table_row_left_out_of_the_draft_is_named():
    table = [["Field", "Required", "Notes"], ["first_name", "Yes", ""], ["phone", "Yes", ""],
             ["Ping_ID", "No", "lead_id from the ping answer"]]
    result = run("POST form data to https://a.example/post.php", tables=[table])
    dropped = findings(result, "dropped_row")
    assert "Ping_ID" not in fields(result) and "Ping_ID" not in statics(result)
    assert dropped and "Ping_ID" in dropped[0]["message"]


def test_a_later_mail_in_a_thread_beats_the_earlier_one():
    mail = (b"From: Priya <p@firm.example>\r\nTo: us@example.com\r\nSubject: RE: Law Ruler API\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Small fix: the key was rotated yesterday, the new one is LR-77f0-2c1e-KEY.\r\n"
            b"Also Custom1016 is the accident date and Custom1021 is the injury description.\r\n\r\n"
            b"From: Kevin <k@firm.example>\r\nSent: Thursday, November 12, 2026 4:20 PM\r\n"
            b"Subject: Law Ruler API\r\n\r\nPost URL: https://castillo.lawruler.example/api-legalcrmapp.aspx\r\n"
            b"Method: POST, form fields\r\n\r\nKey = LR-12aa-90bd-KEY\r\n\r\nFirstName (required)\r\n"
            b"Custom1016 = Injury Description\r\nCustom1021 = Date of Accident (MM/DD/YYYY)\r\n")
    result = analyze(extract_bytes(mail, "thread.eml"), "thread.eml")
    assert statics(result)["Key"] == "LR-77f0-2c1e-KEY"
    got = fields(result)
    assert (got["Custom1016"]["maps_to"], got["Custom1021"]["maps_to"]) == ("incident_date", "description")
    assert findings(result, "thread")


def test_evidence_points_at_the_doc_and_never_shows_a_secret():
    text = "POST JSON to https://a.example/v1/leads\nAuthorization: Bearer tok_live_99f1c2aa77\n" \
           '{"first_name": "Amy", "phone": "5125550100"}\n'
    result = run(text)
    auth = next(s for s in result["static"] if s["name"] == "Authorization")
    ev = auth["evidence"]
    assert text[ev["start"]:ev["end"]] == "Authorization"
    assert "tok_live_99f1c2aa77" not in ev["text"]
    phone = fields(result)["phone"]["evidence"]
    assert text[phone["start"]:phone["end"]] == "phone"


def test_findings_come_safety_first():
    text = ("Endpoint: https://a.example/api/leads\nMethod: POST (form)\ndebug = 1\n"
            "first_name - required\nphone - required\n")
    result = run(text, tables=[[["Field", "Required"], ["first_name", "Yes"], ["Unused_Row", "No"]]])
    severities = [f["severity"] for f in result["findings"]]
    assert severities == sorted(severities, key=["safety", "doubt", "info"].index)


def test_findings_carry_what_the_review_needs_to_hold_apply_back():
    text = ("Sandbox (for testing only): https://sandbox.firm.example/api/leads\n"
            "Live: https://api.firm.example/api/leads\nPOST JSON\n"
            "x-api-key: gl_test_0042\n"
            '{"first_name": "Amy", "phone": "5125550100"}\n')
    result = run(text)
    by_rule = {f["rule"]: f for f in result["findings"]}
    for f in result["findings"]:
        assert f["kind"] in ("safety", "conflict", "doubt", "dropped") and f["resolved"] is False
    assert by_rule["test_value"]["blocking"] is False
    key = by_rule["test_value"]["key"]
    assert result["static"][int(key.split(":")[1])]["name"] == "x-api-key"
