"""Posting-doc analysis: the rules that read how posting docs are written, checked one by one."""

from __future__ import annotations

from xsc_desktop.intake.extract import Extracted, FormInput, HtmlForm
from xsc_desktop.intake.pipeline import analyze


def run(text: str, tables=None, fmt: str = "txt", forms=None) -> dict:
    return analyze(Extracted(text=text, tables=tables or [], format=fmt, forms=forms or []), "doc")


def fields(result: dict) -> dict:
    return {f["name"]: f for f in result["fields"]}


def statics(result: dict) -> dict:
    return {s["name"]: {k: v for k, v in s.items() if k != "evidence"} for s in result["static"]}


def test_shape_of_the_analysis_object():
    result = run("Endpoint: https://a.example/api/leads\nfirst_name (required)\n")
    assert set(result) >= {"file", "system", "endpoint", "method", "format", "fields", "static", "test",
                           "response_rules", "confidence", "warnings"}
    assert 0.0 <= result["confidence"] <= 1.0


def test_table_columns_in_any_order_and_wording():
    table = [["Notes", "Sample", "Mandatory?", "Param"],
             ["first name of the lead", "Amy", "M", "fn"],
             ["", "amy@example.com", "O", "contact_email"],
             ["phone, 10 digits", "5125550100", "Required", "phone_number"]]
    result = run("POST https://a.example/api/leads", tables=[table])
    got = fields(result)
    assert list(got) == ["fn", "contact_email", "phone_number"]
    assert [got[n]["required"] for n in got] == [True, False, True]
    assert got["fn"]["maps_to"] == "first_name"  # from the description, since "fn" says nothing
    assert got["contact_email"]["maps_to"] == "email" and got["contact_email"]["example"] == "amy@example.com"
    assert got["phone_number"]["maps_to"] == "phone"


def test_aligned_text_table_with_empty_cells():
    text = ("URL: https://a.example/post.php\n\n"
            "Field          Required   Type     Example\n"
            "first          Yes        string   Amy\n"
            "notes          No         string\n"
            "zip            No                  02134\n")
    got = fields(run(text))
    assert got["notes"]["required"] is False and got["notes"]["example"] == ""
    assert got["zip"]["example"] == "02134" and got["zip"]["type"] == "zip"


def test_key_value_lines_become_static_values_and_meta_lines_do_not():
    text = ("Client: Smith Law\nEndpoint: https://a.example/api/leads\nMethod: POST\nFormat: JSON\n"
            "CampaignId: 4471\nOperation: CreateLead\nContact: jane@smith.example\n\n"
            "| Field | Required |\n|---|---|\n| First | Yes |\n")
    result = run(text, fmt="md")
    assert {k: v["value"] for k, v in statics(result).items()} == {"CampaignId": "4471", "Operation": "CreateLead"}
    assert result["format"] == "json" and result["method"] == "POST"


def test_header_credentials_from_curl_are_secret_header_statics():
    text = ('curl -X POST https://a.example/v1/leads \\\n  -H "Authorization: Bearer abc.def" \\\n'
            '  -H "X-Api-Key: k123" \\\n  -H "Content-Type: application/json" \\\n'
            "  -d '{\"first_name\": \"Amy\", \"lead\": {\"phone\": \"5125550100\"}}'\n")
    result = run(text)
    s = statics(result)
    assert s["Authorization"] == {"name": "Authorization", "value": "Bearer abc.def", "location": "header", "secret": True}
    assert s["X-Api-Key"]["location"] == "header" and s["X-Api-Key"]["secret"] is True
    assert "Content-Type" not in s
    assert set(fields(result)) == {"first_name", "lead.phone"}
    assert result["format"] == "json" and result["endpoint"] == "https://a.example/v1/leads"


def test_query_string_key_moves_out_of_the_endpoint():
    result = run("Post JSON to https://firm.leaddocket.com/opportunities/formjson/3?apikey=ZX81\nFirst (required)\n")
    assert result["endpoint"] == "https://firm.leaddocket.com/opportunities/formjson/3"
    assert statics(result)["apikey"] == {"name": "apikey", "value": "ZX81", "location": "query", "secret": True}
    assert result["system"] == "lead_docket"


def test_placeholder_in_url_filled_from_a_labelled_line():
    result = run("URL: https://a.example/api/post?key={API_KEY}\nAPI key: 9f8e7d\nFields: first_name\n")
    assert statics(result)["key"]["value"] == "9f8e7d"


def test_get_query_post_sample_url_gives_fields_statics_and_test_switch():
    text = ("Send an HTTP GET.\nhttps://buyer.example/post.do?lp_campaign_id=12&lp_campaign_key=K9&first_name=Amy"
            "&phone=5125550100&lp_test=1\n")
    result = run(text)
    assert (result["method"], result["format"], result["system"]) == ("GET", "query", "leadspedia")
    assert set(fields(result)) == {"first_name", "phone"}
    assert {k: (v["value"], v["location"]) for k, v in statics(result).items()} == {
        "lp_campaign_id": ("12", "query"), "lp_campaign_key": ("K9", "query")}
    assert result["test"] == {"name": "lp_test", "value": "1"}


def test_xml_body_sample_names_leaf_elements():
    text = ("Post XML to https://a.example/xml/post.ashx\nSample request:\n"
            "<Lead><Source>XSC</Source><Person><First>Amy</First><Last>Cho</Last></Person></Lead>\n")
    result = run(text)
    assert result["format"] == "xml"
    assert {"Person.First", "Person.Last"} <= set(fields(result))


def test_response_samples_are_not_fields_and_become_rules():
    text = ("Endpoint: https://a.example/api/leads\nFormat: JSON\nBody: {\"first_name\": \"Amy\"}\n"
            "Success response: {\"success\": true, \"leadId\": 12}\n"
            "Failure response: {\"success\": false, \"message\": \"Duplicate\"}\n")
    result = run(text)
    assert set(fields(result)) == {"first_name"}
    outcomes = {(r["json_path"], r["equals"]): r["outcome"] for r in result["response_rules"]}
    assert outcomes[("$.success", "true")] == "accepted"
    assert outcomes[("$.success", "false")] == "rejected"


def test_several_urls_pick_the_labelled_endpoint_and_say_why():
    text = ("Docs: https://docs.vendor.example/help\nSandbox URL: https://sandbox.vendor.example/api/leads\n"
            "Production endpoint: https://live.vendor.example/api/leads\nLanding page: https://lander.example/\n")
    result = run(text)
    assert result["endpoint"] == "https://live.vendor.example/api/leads"
    assert any(w.startswith("Several URLs in the doc; picked https://live.vendor.example/api/leads because")
               for w in result["warnings"])


def test_no_url_is_a_warning_not_a_failure():
    result = run("Fields:\n- first_name (required)\n- email\n")
    assert result["endpoint"] is None
    assert "The doc gives no URL; ask the client for the posting endpoint." in result["warnings"]
    assert fields(result)["first_name"]["required"] is True


def test_required_prose_and_all_required():
    text = ("URL: https://a.example/api\n| Field | Type |\n|---|---|\n| a_first | text |\n| a_last | text |\n"
            "| a_email | text |\n\nThe following fields are required: a_first and a_last.\n")
    got = fields(run(text, fmt="md"))
    assert [got[n]["required"] for n in ("a_first", "a_last", "a_email")] == [True, True, False]
    every = fields(run("URL: https://a.example/api\nAll fields are required.\nFields:\n- one\n- two\n"))
    assert all(f["required"] for f in every.values())


def test_static_hint_in_a_field_table_makes_it_static_with_its_value():
    table = [["Field", "Required", "Description"], ["first", "Y", "First name"],
             ["vendor", "Y", "Always send XSC"], ["list_id", "Y", "Provided by us: 8812"]]
    result = run("URL: https://a.example/api", tables=[table])
    assert set(fields(result)) == {"first"}
    assert statics(result)["vendor"]["value"] == "XSC"
    assert "list_id" in statics(result)


def test_fields_and_statics_disjoint_and_test_switch_in_neither():
    text = ("URL: https://a.example/api\nsource_code: ABC\nUse test=1 while testing.\n"
            "| Field | Required |\n|---|---|\n| first | Y |\n| source_code | Y |\n| test | N |\n")
    result = run(text, fmt="md")
    names = set(fields(result))
    assert names.isdisjoint(statics(result))
    assert "test" not in names and "test" not in statics(result)
    assert result["test"] == {"name": "test", "value": "1"}
    assert statics(result)["source_code"]["value"] == "ABC"


def test_html_form_hidden_inputs_static_visible_fields():
    form = HtmlForm("https://a.example/cgi/post", "POST", "", [
        FormInput("vendor", "hidden", "7"), FormInput("first_name", "text", required=True), FormInput("email", "email")])
    result = run("A form", fmt="html", forms=[form])
    assert result["format"] == "form" and result["endpoint"] == "https://a.example/cgi/post"
    assert statics(result) == {"vendor": {"name": "vendor", "value": "7", "location": "body", "secret": False}}
    assert {n: f["required"] for n, f in fields(result).items()} == {"first_name": True, "email": False}


def test_known_systems_from_urls():
    cases = {
        "https://captorraapi.captorra.com/api/captorraapi/create": "captorra",
        "https://firm.lawruler.com/api-legalcrmapp.aspx": "law_ruler",
        "https://firm.secure.force.com/services/apexrest/litify_pm/api/v1/intake/create": "litify",
        "https://grow.clio.com/inbox_leads": "clio_grow",
        "https://buyer.example/post.do": "leadspedia",
    }
    for url, system in cases.items():
        assert run(f"Endpoint: {url}\n")["system"] == system, url
    assert run("Intake Conversion Experts (ICE) posting\nEndpoint: https://x.example/api")["system"] == "ice"
    assert run("IntakeDesk vendor doc\nEndpoint: https://x.example/api")["system"] == "intakedesk"
    assert run("Endpoint: https://x.example/api")["system"] == "generic"


def test_unmapped_fields_are_null_and_warned():
    result = run("URL: https://a.example/api\nFields:\n- exposure_years (required)\n- first_name\n")
    assert fields(result)["exposure_years"]["maps_to"] is None
    assert any("exposure_years" in w and "map them by hand" in w for w in result["warnings"])


def test_empty_text_gives_an_empty_draft_with_warnings():
    result = run("")
    assert result["fields"] == [] and result["endpoint"] is None and result["warnings"]


def test_settings_stated_in_sentences():
    text = ("URL: https://a.example/api/leads\nFields:\n- first_name (required)\n\n"
            "Always send VendorId = 455.\nSet source_code to ID-3 on every post.\n"
            "Our API key is KSL-77f1e2 (send it as api_key).\nSource is always XSC.\n")
    got = {k: v["value"] for k, v in statics(run(text)).items()}
    assert got == {"VendorId": "455", "source_code": "ID-3", "api_key": "KSL-77f1e2", "Source": "XSC"}


def test_header_inside_a_sentence_and_behind_a_header_label():
    result = run("Endpoint: https://a.example/api\nSend the header x-api-key: ice_8_key with every post.\n")
    assert statics(result)["x-api-key"] == {"name": "x-api-key", "value": "ice_8_key", "location": "header",
                                            "secret": True}
    table = [["Setting", "Value"], ["Endpoint", "https://a.example/api"], ["Header X-Token", "t0k"]]
    assert statics(run("doc", tables=[table]))["X-Token"]["location"] == "header"


def test_required_named_in_a_sentence():
    text = ("URL: https://a.example/api\n| Field | Type |\n|---|---|\n| First | text |\n| Last | text |\n"
            "| Primary | text |\n| Email | text |\n\nThe First and Last fields are required, as is Primary. "
            "Email is optional.\n")
    got = fields(run(text, fmt="md"))
    assert [got[n]["required"] for n in ("First", "Last", "Primary", "Email")] == [True, True, True, False]


def test_settings_table_with_values_and_static_markers():
    table = [["Name", "Req/Opt", "Notes", "Sample"], ["First", "Req", "First name", "Jo"],
             ["CaptorraId", "Static", "Provided by the client", "485913"]]
    result = run("URL: https://captorraapi.captorra.com/api/captorraapi/create", tables=[table])
    assert set(fields(result)) == {"First"} and statics(result)["CaptorraId"]["value"] == "485913"
    mapping = [["Parameter", "Value", "Description"], ["fname", "{first_name}", "the lead's first name"],
               ["list_id", "8812", "fixed"], ["src", "XSC", "our source"]]
    result = run("URL: https://a.example/api", tables=[mapping])
    assert set(fields(result)) == {"fname"} and fields(result)["fname"]["maps_to"] == "first_name"
    assert {k: v["value"] for k, v in statics(result).items()} == {"list_id": "8812", "src": "XSC"}


def test_schema_like_sample_gives_names_and_required_not_examples():
    text = ('URL: https://a.example/api\nRequest body schema:\n{"first_name": "string, required", '
            '"notes": "string", "vendor_id": "87"}\n')
    result = run(text)
    got = fields(result)
    assert got["first_name"]["required"] is True and got["first_name"]["example"] == ""
    assert got["notes"]["required"] is False
    assert statics(result)["vendor_id"]["value"] == "87"


def test_sideways_table_and_numbered_list():
    sideways = [["Field", "firstName", "phoneNumber", "notes"], ["Required", "Yes", "Yes", "No"],
                ["Example", "Ana", "5595550123", ""]]
    got = fields(run("URL: https://a.example/api", tables=[sideways]))
    assert {n: f["required"] for n, f in got.items()} == {"firstName": True, "phoneNumber": True, "notes": False}
    listed = run("Post to https://a.example/api\n\n1. first_name (required)\n2. phone\n3. email\n4. implant_date\n")
    assert set(fields(listed)) == {"first_name", "phone", "email", "implant_date"}


def test_distinctive_words_map_names_that_end_in_id():
    text = ("URL: https://a.example/api\n| Field | Required |\n|---|---|\n| trusted_form_cert_id | Yes |\n"
            "| jornaya_token_id | No |\n| was_injured | Yes |\n| campaign_id | Yes |\n")
    result = run(text, fmt="md")
    got = fields(result)
    assert got["trusted_form_cert_id"]["maps_to"] == "trustedform_cert_url"
    assert got["jornaya_token_id"]["maps_to"] == "jornaya_leadid"
    assert got["was_injured"]["maps_to"] == "injured"
    assert "campaign_id" in statics(result)


def test_plain_text_answers_become_body_rules():
    result = run("URL: https://a.example/api\nAnswers: 'accepted' or 'rejected: <reason>'; also OK|123 or ERR|DUPLICATE.\n")
    rules = {(r["outcome"], r["body_regex"]) for r in result["response_rules"]}
    assert rules == {("accepted", r"^\s*accepted\b"), ("rejected", r"^\s*rejected\b"), ("accepted", r"^\s*OK\b"),
                     ("rejected", r"^\s*ERR\b")}


def test_suggested_rules_are_valid_parser_rules():
    from parsers.spec import ResponseRule

    text = ('URL: https://a.example/api\nSuccess: {"result": "success", "lead_id": "9"}\n'
            'Failure: {"result": "failed", "msg": "Duplicate"}\n'
            "Response: <PostResponse><Response>ACCEPTED</Response></PostResponse>\n")
    rules = [ResponseRule.from_dict(r) for r in run(text)["response_rules"]]
    assert [(r.outcome, r.json_path or r.xpath, r.equals) for r in rules] == [
        ("accepted", "$.result", "success"), ("duplicate", "$.msg", "Duplicate"), ("rejected", "$.result", "failed"),
        ("accepted", ".//Response", "ACCEPTED")]
    assert rules[0].remote_id.expr == "$.lead_id" and rules[2].reason.expr == "$.msg"


def test_wrapped_url_names_with_notes_and_labelled_keys():
    text = ("Post JSON to https://firm.secure.force.com/services/apexrest/litify_pm/api/v1/intake/\ncreate\n"
            "API key (apikey): 9f8e7d\nTo test, set the field IsTest to 1.\n"
            "| Field | Required |\n|---|---|\n| first_name (string) | yes |\n| phone [10 digits] | yes |\n")
    result = run(text, fmt="md")
    assert result["endpoint"] == "https://firm.secure.force.com/services/apexrest/litify_pm/api/v1/intake/create"
    assert statics(result)["apikey"]["value"] == "9f8e7d"
    assert result["test"] == {"name": "IsTest", "value": "1"}
    assert set(fields(result)) == {"first_name", "phone"}


def test_bracket_nesting_in_a_json_doc_becomes_dotted():
    text = ("POST https://grow.clio.com/inbox_leads (JSON)\n| Field | Required |\n|---|---|\n"
            "| inbox_lead[from_first] | yes |\n| inbox_lead[from_email] | no |\n")
    got = fields(run(text, fmt="md"))
    assert got["inbox_lead.from_first"]["maps_to"] == "first_name"
    assert got["inbox_lead.from_email"]["maps_to"] == "email"


def test_tab_separated_and_pipe_tables_without_outer_pipes():
    tabbed = "URL: https://a.example/api\n\nField\tRequired\tExample\nfirst_name\tYes\tAmy\nnotes\tNo\t\n"
    got = fields(run(tabbed))
    assert {n: f["required"] for n, f in got.items()} == {"first_name": True, "notes": False}
    piped = ("URL: https://a.example/api\n\nField | Required | Example\n--- | --- | ---\nfirst_name | yes | Amy\n"
             "zip | no | 02134\n")
    got = fields(run(piped, fmt="md"))
    assert {n: (f["required"], f["example"]) for n, f in got.items()} == {"first_name": (True, "Amy"),
                                                                        "zip": (False, "02134")}


def test_json_payload_with_a_url_field_is_a_payload():
    payload = '{\n  "first_name": "Amy",\n  "url": "https://lander.example/auto",\n  "campaign_id": "C-7"\n}'
    result = analyze(Extracted(text=payload, format="json"), "p.json")
    assert set(fields(result)) == {"first_name", "url"} and fields(result)["url"]["maps_to"] == "landing_page_url"
    assert result["endpoint"] is None
    assert statics(result)["campaign_id"]["value"] == "C-7"
    described = '{"url": "https://a.example/api", "method": "POST", "body": {"first_name": "Amy"}}'
    result = analyze(Extracted(text=described, format="json"), "r.json")
    assert result["endpoint"] == "https://a.example/api" and set(fields(result)) == {"first_name"}


def test_ping_post_doc_picks_the_post_url():
    text = "Ping URL: https://buyer.example/api/ping\nPost URL: https://buyer.example/api/post\nFields:\n- first_name\n"
    assert run(text)["endpoint"] == "https://buyer.example/api/post"


def test_short_and_qualified_names_map():
    from xsc_desktop.intake.recognise.meaning import _maps_to
    from xsc_desktop.intake.recognise.records import _Field

    cases = {"addr1": "address", "city_name": "city", "state_abbr": "state", "postal": "zip",
             "dob_mmddyyyy": "date_of_birth", "AttorneyRetained": "has_attorney", "ConsentLanguage": "tcpa_text",
             "ClaimantFirstName": "first_name", "phone_home": "phone", "injured_yn": "injured", "campaign_name": None}
    assert {n: _maps_to(_Field(name=n)) for n in cases} == cases
