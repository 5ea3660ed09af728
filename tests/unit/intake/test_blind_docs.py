"""The blind posting docs (written before the analyzer was read) score high, and the rules they called for."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.e2e.test_intake_cli import score_folder
from xsc_desktop.intake.extract import Extracted, extract_bytes
from xsc_desktop.intake.pipeline import analyze

BLIND = REPO / "tests" / "fixtures" / "postingdocs_blind"


def run(text: str, tables=None) -> dict:
    return analyze(Extracted(text=text, tables=tables or []), "doc")


def fields(result: dict) -> dict:
    return {f["name"]: f for f in result["fields"]}


def statics(result: dict) -> dict:
    return {s["name"]: s["value"] for s in result["static"]}


@pytest.mark.slow
def test_blind_docs_score_high(tmp_path):
    totals = score_folder(BLIND, tmp_path)
    assert len(totals) >= 72
    assert sum(totals) / len(totals) >= 95
    assert min(totals) >= 80


def test_opaque_names_take_their_meaning_from_the_description():
    table = [["Parameter", "Mandatory?", "Sample value", "Notes"],
             ["Q1", "No", "08/30/2026", "Date of accident"],
             ["Q2", "No", "No", "Is an attorney already representing you? Yes/No"],
             ["f7", "Yes", "Slip and Fall", "Type of claim"],
             ["f8", "Yes", "1", "Consent to contact (TCPA)"],
             ["ph", "Yes", "", "Phone, digits only"],
             ["q9", "No", "", "Briefly describe what happened"],
             ["employer", "No", "Acme", ""]]
    got = fields(run("POST https://a.example/api/leads", tables=[table]))
    assert {n: f["maps_to"] for n, f in got.items()} == {
        "Q1": "incident_date", "Q2": "has_attorney", "f7": "case_type", "f8": "tcpa_consent", "ph": "phone",
        "q9": "description", "employer": None}


def test_required_fields_named_in_words():
    text = ("POST JSON to https://a.example/v1/leads\n\n"
            '{"first_name": "Tasha", "last_name": "Green", "phone": "4045550166", "email": "t@example.com"}\n\n'
            "First name, last name and phone are required; everything else is optional.\n")
    got = fields(run(text))
    assert {n: f["required"] for n, f in got.items()} == {
        "first_name": True, "last_name": True, "phone": True, "email": False}


def test_plain_field_lines_under_a_heading():
    text = ("Posting URL: https://a.example/post.do\n\nLead fields\n-----------\n"
            "first_name (required) - First name. Example: Robert\n"
            "ip_address (required) - IP address of the consumer.\n"
            "address - Street address.\n"
            "lp_s1 - Your sub ID / traffic source.\n\n"
            "Responses (lp_response=JSON)\n")
    got = fields(run(text))
    assert list(got) == ["first_name", "ip_address", "address", "lp_s1"]
    assert [got[n]["required"] for n in got] == [True, True, False, False]
    assert got["first_name"]["example"] == "Robert"
    assert got["lp_s1"]["maps_to"] == "sub_id"


def test_fixed_values_stated_in_prose():
    text = ("Endpoint: https://a.example/leads (JSON POST)\n\n"
            '{"token": "Gx8r", "lead": {"from_first": "Ana", "from_source": "XSC"}, "Lead Source": "XSocial",\n'
            ' "Referral": "XSocialCampaigns", "Last Name": "Tran"}\n\n'
            "Keep token and from_source exactly as shown.\n"
            "*Lead Source* must always be `XSocial` so that our reports credit you.\n"
            "Referral is fixed: always XSocialCampaigns.\n"
            "To send a test, put `TEST` in Last Name.\n")
    result = run(text)
    assert statics(result) == {"token": "Gx8r", "lead.from_source": "XSC", "Lead Source": "XSocial",
                               "Referral": "XSocialCampaigns"}
    assert list(fields(result)) == ["lead.from_first", "Last Name"]


def test_a_body_after_a_status_code_is_an_answer_not_a_request():
    table = [["Parameter", "Required", "Example"], ["email", "Yes", "a@example.com"]]
    text = ("URL: https://a.example/leads\nBody: JSON\n\nResponses\nHTTP | Body | Meaning\n"
            '200 | {"status":"ok","ice_id":"ICE-44120"} | accepted\n')
    result = run(text, tables=[table])
    assert list(fields(result)) == ["email"]
    assert "ice_id" not in statics(result)


def test_html_definition_lists_and_labels_after_their_control():
    html = (b"<html><body><dl><dt>API URL</dt><dd>https://a.example/api.aspx</dd><dt>Key</dt><dd>A7F3</dd></dl>"
            b'<form action="https://a.example/post" method="post">'
            b'<label for="p">Phone *</label><input id="p" name="input_2" placeholder="(555) 555-5555" required>'
            b'<input id="c" name="input_7" type="checkbox" value="1" required>'
            b'<label for="c">I agree to be contacted</label></form></body></html>')
    extracted = extract_bytes(html, "doc.html")
    assert "Key: A7F3" in extracted.text.split("\n")
    assert ["Key", "A7F3"] in extracted.tables[0]
    labels = {i.name: i.label for i in extracted.forms[0].inputs}
    # "Phone *": the star marks the control required and is no part of its label.
    assert labels == {"input_2": "Phone", "input_7": "I agree to be contacted"}
    assert extracted.forms[0].inputs[0].required


def test_assignment_lines_with_placeholders_are_fields():
    text = ("POST https://a.example/hook\nContent-Type: application/x-www-form-urlencoded\n\n"
            "campaign=BISHOP-DB          (fixed)\n"
            "first_name=<first name>     required\n"
            "phone=<10 digit phone>      required\n"
            "dog_owner_known=<yes/no>\n"
            "bite_date=<date of the bite, MM/DD/YYYY>\n")
    result = run(text)
    got = fields(result)
    assert {n: (f["required"], f["maps_to"]) for n, f in got.items()} == {
        "first_name": (True, "first_name"), "phone": (True, "phone"), "dog_owner_known": (False, None),
        "bite_date": (False, "incident_date")}
    assert statics(result) == {"campaign": "BISHOP-DB"}


def test_second_phone_and_vague_last_words_of_dotted_names():
    table = [["Field", "Required", "Notes"],
             ["CellPhone", "M", "10 digits"], ["HomePhone", "O", ""],
             ["Incident.Date", "O", "MM/DD/YYYY"], ["Tracking.TrustedFormUrl", "O", ""],
             ["Referral Source", "Y", 'Always "XSC Digital"']]
    result = run("POST https://a.example/leads as JSON", tables=[table])
    got = fields(result)
    assert {n: f["maps_to"] for n, f in got.items()} == {
        "CellPhone": "phone", "HomePhone": "phone_alt", "Incident.Date": "incident_date",
        "Tracking.TrustedFormUrl": "trustedform_cert_url"}
    assert statics(result) == {"Referral Source": "XSC Digital"}


def test_a_token_in_prose_becomes_the_bearer_header():
    text = ("Send new leads to our intake API as JSON: POST https://a.example/v2/leads\n"
            "Your token is vl_tok_81c3f0a2 - send it as a Bearer token in the Authorization header.\n"
            '{"first": "Rosa", "phone": "3055550123"}\n')
    assert statics(run(text)) == {"Authorization": "Bearer vl_tok_81c3f0a2"}


def test_fields_and_required_flags_written_as_sentences():
    text = ("Send leads to https://a.example/api/lead?api_key=NP-77aa19 as a normal form post.\n"
            "Send these fields: first_name, last_name,\nphone, email, zip and comments. first_name, last_name and "
            "phone are required, the rest are optional.\nPlease also send source=XSC on every lead.\n")
    result = run(text)
    assert {n: f["required"] for n, f in fields(result).items()} == {
        "first_name": True, "last_name": True, "phone": True, "email": False, "zip": False, "comments": False}
    assert statics(result) == {"api_key": "NP-77aa19", "source": "XSC"}


def test_plain_lines_under_a_fields_heading_and_a_replaced_placeholder():
    text = ("Endpoint: https://a.example/formjson/3?apikey=YOUR_API_KEY\n"
            "Replace YOUR_API_KEY with: 0c4d8e1f-77aa\nBody: JSON\n"
            "Fields (* = required)\nFirst*        Lead first name\nPhone*        10 digits\nEmail\n"
            "_Accident_Date  date of accident\nResponse: {\"success\": true}\n")
    result = run(text)
    got = fields(result)
    assert {n: (f["required"], f["maps_to"]) for n, f in got.items()} == {
        "First": (True, "first_name"), "Phone": (True, "phone"), "Email": (False, "email"),
        "_Accident_Date": (False, "incident_date")}
    assert statics(result) == {"apikey": "0c4d8e1f-77aa"}


def test_tab_separated_table_keeps_short_names_apart():
    text = ("Endpoint\thttps://a.example/v2/postlead\nBody\tapplication/json\n\n"
            "Variable\tType\tRequired\tDescription\n"
            "fName\tstring\tTrue\tfirst name\n"
            "atFault\tboolean\tFalse\twas the caller at fault\n"
            "sourceId\tstring\tTrue\tassigned by us: XSC-11\n")
    result = run(text)
    assert {n: f["maps_to"] for n, f in fields(result).items()} == {"fName": "first_name", "atFault": "at_fault"}
    assert statics(result) == {"sourceId": "XSC-11"}


def test_a_token_placeholder_in_a_curl_header_takes_the_token_the_doc_gives():
    text = ("Your API token: `mlw_live_19fe22c0`\n\n"
            "curl -X POST https://a.example/api/leads \\\n"
            "  -H \"Authorization: Bearer $TOKEN\" \\\n"
            "  -d '{\"first_name\": \"Ivy\", \"phone\": \"2065550101\"}'\n")
    assert statics(run(text))["Authorization"] == "Bearer mlw_live_19fe22c0"


def test_descriptions_given_inline_after_a_template_url():
    text = ("Send each lead as an HTTP GET:\n"
            "https://a.example/lead.php?key=DA-4410&fname={first_name}&inj={injury_type}&acc_date={accident_date}\n"
            "key is your account key and never changes.\n"
            "inj: type of injury. acc_date: date of the accident, MM/DD/YYYY.\n")
    result = run(text)
    assert {n: f["maps_to"] for n, f in fields(result).items()} == {
        "fname": "first_name", "inj": "case_type", "acc_date": "incident_date"}
    assert statics(result) == {"key": "DA-4410"}


def test_a_quoted_spec_in_a_forwarded_mail_is_read_without_the_quote_marks():
    mail = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Fwd: posting\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"FYI\r\n\r\n> Post to: https://a.example/api/leads\r\n> Fields:\r\n> - first_name (required)\r\n"
            b"> - email\r\n")
    extracted = extract_bytes(mail, "fwd.eml")
    assert "- first_name (required)" in extracted.text.split("\n")
    got = fields(analyze(extracted, "fwd.eml"))
    assert {n: f["required"] for n, f in got.items()} == {"first_name": True, "email": False}


def test_required_markers_in_front_and_labels_before_the_posted_name():
    text = ("URL: https://a.example/api/lead-in\nAUTH: header X-Api-Key = hil-0099-aa\n\n"
            "[R] = required   [O] = optional\n\n"
            "[R] firstName     - given name\n[O] email\n[O] notes         - what happened\n\n"
            "Fields:\n1. Phone (phone_number) - required, 10 digits\n2. Case Description (case_desc) - optional\n"
            "3. Zip (string) - required\n")
    result = run(text)
    assert {n: (f["required"], f["maps_to"]) for n, f in fields(result).items()} == {
        "firstName": (True, "first_name"), "email": (False, "email"), "notes": (False, "description"),
        "phone_number": (True, "phone"), "case_desc": (False, "description"), "Zip": (True, "zip")}
    assert statics(result) == {"X-Api-Key": "hil-0099-aa"}


def test_a_json_schema_of_the_lead():
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "description": "POST this object as JSON to https://a.example/v1/leads",
              "required": ["firstName", "contact"],
              "properties": {"firstName": {"type": "string"},
                             "q1": {"type": "string", "description": "Date of the accident"},
                             "contact": {"type": "object", "required": ["phone"],
                                         "properties": {"phone": {"type": "string"}, "email": {"type": "string"}}}}}
    text = json.dumps(schema)
    result = analyze(Extracted(text=text, format="json"), "schema.json")
    assert result["endpoint"] == "https://a.example/v1/leads"
    assert {n: (f["required"], f["maps_to"]) for n, f in fields(result).items()} == {
        "firstName": (True, "first_name"), "q1": (False, "incident_date"), "contact.phone": (True, "phone"),
        "contact.email": (False, "email")}


def test_values_the_table_leaves_to_the_prose():
    table = [["Field", "Required", "Value / Example"], ["campaign_id", "Yes", "(see above)"],
             ["api_key", "Yes", "(see above)"], ["first_name", "Yes", "Lee"]]
    text = ("Endpoint: https://a.example/api/v3/leads (POST, JSON).\n"
            "Your campaign ID is 4471 and your API key is pk_83hd92kd. Send them as campaign_id and api_key.\n")
    result = run(text, tables=[table])
    assert statics(result) == {"campaign_id": "4471", "api_key": "pk_83hd92kd"}
    assert list(fields(result)) == ["first_name"]


def test_a_form_body_written_one_parameter_per_line():
    text = ("Send an HTTP POST (application/x-www-form-urlencoded) to https://a.example/newlead.pl\n\n"
            "Example body:\n\n  src=XSC&\n  first_name=John&\n  day_phone=5551234567&\n  email=john%40example.com\n\n"
            "src is always XSC. first_name and day_phone must be present, the rest may be blank.\n")
    result = run(text)
    assert {n: f["required"] for n, f in fields(result).items()} == {
        "first_name": True, "day_phone": True, "email": False}
    assert statics(result) == {"src": "XSC"}


def test_section_rows_wrapped_descriptions_and_a_default_column():
    html = (b"<html><body><p>POST JSON to https://a.example/leads</p><table>"
            b"<tr><th>Field</th><th>Y/N</th><th>Default</th></tr>"
            b"<tr><td colspan='3'>Contact</td></tr><tr><td>firstName</td><td>Y</td><td></td></tr>"
            b"<tr><td colspan='3'>Tracking</td></tr><tr><td>ipAddress</td><td>Y</td><td></td></tr>"
            b"<tr><td>vendor</td><td>Y</td><td>XSC</td></tr></table></body></html>")
    result = analyze(extract_bytes(html, "doc.html"), "doc.html")
    assert {n: f["required"] for n, f in fields(result).items()} == {"firstName": True, "ipAddress": True}
    assert statics(result) == {"vendor": "XSC"}
    text = ("Posting URL: https://a.example/receive\n"
            "Field            Required   Description\n"
            "PhoneNumber      Y          Ten digit phone number with no\n"
            "                            dashes or spaces\n"
            "IncidentType     Y          One of: Auto, Truck, Motorcycle,\n"
            "                            Pedestrian\n"
            "Narrative        N          Free text\n")
    got = fields(run(text))
    assert {n: f["required"] for n, f in got.items()} == {"PhoneNumber": True, "IncidentType": True, "Narrative": False}
    assert got["PhoneNumber"]["description"].endswith("dashes or spaces")


def test_field_specs_written_as_yaml_flow_maps():
    text = ("```yaml\nendpoint: https://a.example/api/v1/leads\nmethod: POST\nformat: json\nfields:\n"
            "  first_name: {required: true, example: Sam}\n  phone: {required: true, example: \"9195550100\"}\n"
            "  email: {required: false}\n```\n")
    got = fields(run(text))
    assert {n: (f["required"], f["example"]) for n, f in got.items()} == {
        "first_name": (True, "Sam"), "phone": (True, "9195550100"), "email": (False, "")}


def test_a_bearer_token_sent_apart_from_the_doc():
    text = ("URL: https://a.example/intake/create\nJSON body. Authorization: Bearer (token sent separately)\n"
            "Your bearer token is 3f9a1c77e2d04b6f8a.\n")
    assert statics(run(text)) == {"Authorization": "Bearer 3f9a1c77e2d04b6f8a"}


def test_fields_a_doc_only_names_in_sentences():
    text = ("CaptorraId = 402215\nPost JSON to https://captorraapi.captorra.com/api/captorraapi/create\n\n"
            "We need First, Last, Primary (phone) and Email on every lead; Details is optional but please put\n"
            "the answers there. Zip and State if you have them.\n")
    got = fields(run(text))
    assert {n: (f["required"], f["maps_to"]) for n, f in got.items()} == {
        "First": (True, "first_name"), "Last": (True, "last_name"), "Primary": (True, "phone"),
        "Email": (True, "email"), "Details": (False, "description"), "Zip": (False, "zip"), "State": (False, "state")}


def test_a_sent_as_column_and_settings_that_never_change():
    table = [["Data", "Sent as", "Required", "Example"], ["First name", "fn", "yes", "Jo"],
             ["What happened", "story", "no", "Rear-ended"]]
    got = fields(run("Endpoint: https://a.example/api/lead (POST, JSON)", tables=[table]))
    assert {n: (f["required"], f["maps_to"]) for n, f in got.items()} == {
        "fn": (True, "first_name"), "story": (False, "description")}
    text = ("Post url-encoded form data to https://a.example/api.aspx\n\n"
            "Key=MPI-4410&Operation=CreateLead&FirstName=Ann&LeadProvider=XSC\n\n"
            "Required: FirstName. Key, Operation and LeadProvider never change.\n")
    result = run(text)
    assert statics(result) == {"Key": "MPI-4410", "Operation": "CreateLead", "LeadProvider": "XSC"}
    assert list(fields(result)) == ["FirstName"]


def test_a_comment_key_in_a_sample_payload_is_not_a_field():
    payload = {"_instructions": "POST to https://a.example/v1/lead as JSON. auth values are fixed. "
                                "lead.first_name and lead.phone are required.",
               "auth": {"key": "mw-00af31"}, "lead": {"first_name": "Dee", "phone": "2565550100", "email": "d@e.com"}}
    result = analyze(Extracted(text=json.dumps(payload), format="json"), "payload.json")
    assert {n: f["required"] for n, f in fields(result).items()} == {
        "lead.first_name": True, "lead.phone": True, "lead.email": False}
    assert statics(result) == {"auth.key": "mw-00af31"}


def test_indented_items_with_a_flag_column_and_a_date_named_field():
    text = ("1) URL ......... https://a.example/api/lead/create\n3) Format ...... JSON\n\n"
            "Field list (R = required)\n  first_name      R   text\n  email               text\n"
            "  _Date_Injured       MM/DD/YYYY\n\nSuccess: {\"status\": \"ok\"}\n")
    got = fields(run(text))
    assert {n: (f["required"], f["maps_to"]) for n, f in got.items()} == {
        "first_name": (True, "first_name"), "email": (False, "email"), "_Date_Injured": (False, "incident_date")}


def test_a_template_get_url_with_bracketed_placeholders():
    text = ("Our ping URL takes a GET:\n\n"
            "https://a.example/api/in.php?aid=771&sid=MVA&fname=[first]&phone=[phone]&ip=[ip]\n\n"
            "aid and sid are yours (fixed). fname and phone are required.\nAdd test=1 to test.\n")
    result = run(text)
    assert result["method"] == "GET" and result["format"] == "query"
    assert {n: (f["required"], f["maps_to"]) for n, f in fields(result).items()} == {
        "fname": (True, "first_name"), "phone": (True, "phone"), "ip": (False, "ip_address")}
    assert statics(result) == {"aid": "771", "sid": "MVA"}
    assert result["test"] == {"name": "test", "value": "1"}


def test_a_header_named_in_brackets_and_a_value_sent_as_a_parameter():
    table = [["Endpoint URL:", "https://a.example/partner/leads"], ["Partner key (header x-partner-key):", "CL-PK-1"],
             ["#", "Field", "Type", "Mandatory"], ["1", "firstName", "string", "Y"]]
    assert statics(run("HTTP POST, JSON", tables=[table])) == {"x-partner-key": "CL-PK-1"}
    text = ("* **URL:** https://a.example/hooks/lead\n* **Token:** `pk-hook-2231` — send as the `token` parameter\n\n"
            "### Fields\n* `name_first` *(required)* — first name\n* `email` — email\n")
    result = run(text)
    assert statics(result) == {"token": "pk-hook-2231"}
    assert {n: f["required"] for n, f in fields(result).items()} == {"name_first": True, "email": False}


BLIND2 = REPO / "tests" / "fixtures" / "postingdocs_blind2"


@pytest.mark.slow
def test_second_blind_series_scores_high(tmp_path):
    """Docs written from the public docs of systems the first fixtures did not cover (see its README)."""
    totals = score_folder(BLIND2, tmp_path)
    assert len(totals) >= 16
    assert sum(totals) / len(totals) >= 97
    assert min(totals) >= 90


@pytest.mark.slow
def test_confidence_is_honest_over_every_scored_corpus():
    """A draft claiming 0.9 or more scores 95 or more in at least 95% of cases, and none scoring below 85
    claims 0.9."""
    from bench.intake_accuracy import CORPORA, results

    rows = results([c for c in CORPORA if c.exists()])
    high = [(doc, total) for _corpus, doc, total, conf, _parts in rows if conf >= 0.9]
    assert len(rows) >= 117 and high
    assert sum(total >= 95 for _, total in high) >= 0.95 * len(high)
    assert [doc for doc, total in high if total < 85] == []


def test_a_quoted_mail_is_read_and_the_newest_mail_retires_its_hook():
    """A reply thread: the quoted first mail holds the field list; the newest says the old hook was deleted."""
    text = ("Please post to the NEW catch hook below. The old hook\n"
            "(https://hooks.example/catch/1/old/) was deleted on Friday - do not use it any more.\n\n"
            "New hook: https://hooks.example/catch/1/new/\n\n"
            "On Mon, Nov 16, 2026 at 9:02 AM Priya <p@firm.example> wrote:\n"
            "> Please POST JSON to:\n"
            "> https://hooks.example/catch/1/old/\n>\n"
            "> Keys we map:\n"
            ">   first_name    (required)\n"
            ">   last_name     (required)\n"
            ">   phone         (required, digits only)\n"
            ">   email         (optional)\n"
            ">   lead_source   - always \"XSC Social\"\n>\n"
            "> While testing you can add \"zap_test\": \"yes\" and we filter those out.\n")
    result = run(text)
    assert result["endpoint"] == "https://hooks.example/catch/1/new/"
    assert {n: f["required"] for n, f in fields(result).items()} == {
        "first_name": True, "last_name": True, "phone": True, "email": False}
    assert statics(result) == {"lead_source": "XSC Social"}
    assert result["test"] == {"name": "zap_test", "value": "yes"}


def test_a_row_that_forbids_its_own_value_is_never_sent_and_a_value_format_column_gives_keys():
    table = [["Parameter", "Required", "Value / format", "Notes"],
             ["auth_token", "Yes", "cvs_3f81a6e0c2d94b", "API token from us"],
             ["list_id", "Yes", "5521", "always 5521 (XSC list)"],
             ["check_dup", "No", "", "do NOT send check_dup=0, that turns off our duplicate check"],
             ["phone_number", "Yes", "10 digits", ""],
             ["first_name", "Yes", "", ""]]
    result = run("Endpoint: https://api.example/v1/leads/insert\nMethod: POST (form-encoded)\n", tables=[table])
    assert statics(result) == {"auth_token": "cvs_3f81a6e0c2d94b", "list_id": "5521"}
    assert set(fields(result)) == {"phone_number", "first_name"}


def test_get_or_post_with_a_preference_and_a_post_as_column():
    table = [["Velocify Field", "Post As", "Required", "Sample"],
             ["First Name", "FirstName", "Y", "Marcus"], ["Day Phone", "DayPhone", "Y", "(555) 201-7788"],
             ["Case Description", "Comments", "N", "free text"]]
    result = run("Post URL: https://crm.example/Import.aspx?Provider=XSC\n"
                 "Method: HTTP GET or POST, form-encoded. We prefer POST.\n", tables=[table])
    assert (result["method"], result["format"]) == ("POST", "form")
    assert {n: f["maps_to"] for n, f in fields(result).items()} == {
        "FirstName": "first_name", "DayPhone": "phone", "Comments": "description"}


def test_always_two_words_is_fixed_a_phone_shape_is_a_format_and_a_custom_key_is_the_test_switch():
    table = [["Key", "Required?", "Value"], ["first_name", "required", ""], ["phone", "required", "+1XXXXXXXXXX"],
             ["source", "required", "always XSC Ads"]]
    result = run("Webhook URL: https://hooks.example/in/7c1d\nMethod: POST\nBody: JSON\n\n"
                 "While you test, add the custom key dry_run with the value true; remove it before launch.\n",
                 tables=[table])
    assert statics(result) == {"source": "XSC Ads"}
    assert set(fields(result)) == {"first_name", "phone"}
    assert result["test"] == {"name": "dry_run", "value": "true"}


def test_a_test_value_in_a_one_line_sample_marks_only_its_own_key():
    text = ('{"info": {"description": "lp_action=test marks a test lead: remove lp_action for live leads."},\n'
            ' "item": [{"request": {"method": "POST", "url": {"raw": "https://api.example/direct_post"},\n'
            '   "body": {"mode": "raw", "raw": "{\\n  \\"lp_campaign_id\\": \\"21877\\",\\n  \\"lp_key\\": '
            '\\"lpk_6d0e2c91b7aa\\",\\n  \\"lp_action\\": \\"test\\",\\n  \\"first_name\\": \\"Iris\\",\\n  '
            '\\"phone\\": \\"6195550134\\"\\n}"}}}]}\n')
    result = analyze(Extracted(text=text, tables=[], format="json"), "doc.json")
    assert statics(result) == {"lp_campaign_id": "21877", "lp_key": "lpk_6d0e2c91b7aa"}
    assert result["test"] == {"name": "lp_action", "value": "test"}


def test_forms_hide_inputs_by_style_mark_required_labels_and_drop_empty_hidden_inputs():
    html = ('<html><body><form action="https://crm.example/WebToLead" method="POST">'
            '<input type="text" style="display:none;" name="xnQsjsdp" value="c9a1b2" />'
            '<input type="hidden" name="website" value="" />'
            '<label>Last Name *</label><input type="text" name="Last Name" />'
            '<label>First Name</label><input type="text" name="First Name" />'
            '<label for="q">Case type</label><select id="q" name="q8_caseType"><option value="Auto">Auto</option>'
            '</select></form></body></html>')
    result = analyze(extract_bytes(html.encode(), "form.html"), "form.html")
    assert statics(result) == {"xnQsjsdp": "c9a1b2"}
    assert {n: (f["required"], f["maps_to"]) for n, f in fields(result).items()} == {
        "Last Name": (True, "last_name"), "First Name": (False, "first_name"), "q8_caseType": (False, "case_type")}


def test_a_field_id_column_a_fixed_required_cell_a_token_header_and_bracketed_slots():
    table = [["Formstack field id", "Label", "Required"], ["field_11", "First Name", "Yes"],
             ["field_12", "Phone", "Yes"], ["field_18", "Lead Source", "always XSC"]]
    result = run('POST https://forms.example/api/v2/form/55/submission.json\n'
                 'Header: Authorization: Token token="cr_1c77a0e5"\n', tables=[table])
    assert statics(result) == {"Authorization": 'Token token="cr_1c77a0e5"', "field_18": "XSC"}
    assert {n: f["maps_to"] for n, f in fields(result).items()} == {"field_11": "first_name", "field_12": "phone"}
    ping = run("Ping with a GET request:\n"
               "https://rtb.example/v1/production/4f2c.json?exposeCallerId=yes&CID=[caller phone]&zipcode=[zip]"
               "&publisherSubId=[your sub id]\n")
    assert statics(ping) == {"exposeCallerId": "yes"}
    assert {n: f["maps_to"] for n, f in fields(ping).items()} == {
        "CID": "phone", "zipcode": "zip", "publisherSubId": "sub_id"}
