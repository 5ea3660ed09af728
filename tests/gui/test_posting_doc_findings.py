"""The review dialog and the analysis's findings: every value shows where the doc says it (its evidence span),
safety findings and doubts come first, and Apply is held back, with the reason, while a safety finding is
unchecked; headless apply refuses the same draft."""

from __future__ import annotations

import pytest

DOC = """Acme Injury Group - lead posting

Post leads to https://acme-injury.example/api/leads as JSON.
Leads without a phone are refused by the intake team.
Please do NOT send dupcheck=0 - it switches off our duplicate check.

Fields:
first_name (required)
phone (required)

For testing only, add debug=1 to the post.
"""


def _span(text: str, part: str, after: int = 0) -> dict:
    start = DOC.index(part, after)
    return {"start": start, "end": start + len(part)}


@pytest.fixture
def lander(ctx):
    from xsc_desktop.models import Campaign, Client, Lander

    campaign = Campaign.create(client=Client.create(name="Acme Injury Group", contacts=["ops@acme.example"]),
                               name="Auto")
    return Lander.create(campaign=campaign, name="Acme Auto", url="https://acme-auto.example/", status="ready")


@pytest.fixture
def review(ctx, lander, tmp_path):
    from xsc_desktop.intake.review import locate, read_for_review

    doc = tmp_path / "acme posting.txt"
    doc.write_text(DOC)
    review = read_for_review(doc, ctx.data_dir, lander_id=lander.id)
    table_phone = DOC.index("phone (required)")
    # The draft as the analysis hands it over: values with their evidence, findings with theirs.
    review.draft = {
        **review.draft, "endpoint": "https://acme-injury.example/api/leads", "method": "POST", "format": "json",
        "evidence": {"endpoint": _span(DOC, "https://acme-injury.example/api/leads")},
        "fields": [
            {"name": "first_name", "required": True, "type": "string", "example": "", "description": "",
             "maps_to": "first_name", "evidence": _span(DOC, "first_name")},
            {"name": "phone", "required": True, "type": "phone", "example": "", "description": "",
             "maps_to": "phone", "evidence": {"start": table_phone, "end": table_phone + len("phone")}},
        ],
        "static": [],
        "test": {"name": "debug", "value": "1", "evidence": _span(DOC, "debug=1")},
        "warnings": ["The doc does not say how duplicates are answered; check the first answer."],
        "findings": [
            {"kind": "doubt", "message": "The intake team may refuse leads without a phone.",
             "evidence": _span(DOC, "Leads without a phone are refused"), "blocking": False},
            {"kind": "safety", "message": "The doc says not to send dupcheck=0; it was left out of the live post.",
             "evidence": _span(DOC, "Please do NOT send dupcheck=0"), "blocking": True, "key": "test"},
        ],
    }
    review.marks = locate(review.text, review.draft)
    return review


def _dialog(qtbot, window, review):
    from ui.dialogs.posting_doc_review import PostingDocReviewDialog

    dialog = PostingDocReviewDialog(review, window, window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_safety_findings_and_doubts_come_first_and_hold_apply_back(qtbot, window, review):
    dialog = _dialog(qtbot, window, review)
    items = dialog.attention_items()
    assert items[0] == "Safety rule: The doc says not to send dupcheck=0; it was left out of the live post."
    assert items[1] == "Doubt: The intake team may refuse leads without a phone."
    assert items[2] == "The doc does not say how duplicates are answered; check the first answer."
    assert dialog.lander_id() is not None  # a lander is chosen, and still:
    assert not dialog.apply_button.isEnabled()
    assert dialog.outcome_label.text().startswith(
        "Apply is held back: The doc says not to send dupcheck=0; it was left out of the live post")
    dialog.apply()  # Enter or a stray click does nothing either
    assert dialog.outcome_label.text().startswith("Apply is held back")


def test_a_finding_shows_its_place_in_the_doc(qtbot, window, review):
    dialog = _dialog(qtbot, window, review)
    with qtbot.waitSignal(dialog.jumped) as jumped:
        dialog.attention_label.linkActivated.emit("finding:1")
    assert jumped.args == ["finding:1"]
    assert dialog.text_view.textCursor().position() == DOC.index("Please do NOT send dupcheck=0")
    assert ("finding:1", "Please do NOT send dupcheck=0") in dialog.highlighted()


def test_each_value_goes_to_its_evidence_not_the_first_mention(qtbot, window, review):
    dialog = _dialog(qtbot, window, review)
    dialog.fields_view.setCurrentIndex(dialog.fields_model.index(1, 0))  # phone, named in prose before the table
    assert dialog.current_key == "field:1"
    assert dialog.text_view.textCursor().position() == DOC.index("phone (required)")
    assert dialog.go_to("test") and dialog.text_view.textCursor().position() == DOC.index("debug=1")
    assert ("endpoint", "https://acme-injury.example/api/leads") in dialog.highlighted()


def test_evidence_past_the_text_is_ignored(qtbot, window, review):
    review.draft["fields"][1]["evidence"] = {"start": 10_000, "end": 10_005}
    dialog = _dialog(qtbot, window, review)
    size = len(dialog.text_view.toPlainText())
    assert all(m.end <= size for m in dialog.marks)
    assert any(key == "field:1" and text == "phone" for key, text in dialog.highlighted())  # found by its name


def test_checking_the_safety_finding_lets_apply_through(qtbot, window, review):
    from xsc_desktop.models import PostingDoc

    dialog = _dialog(qtbot, window, review)
    dialog.attention_label.linkActivated.emit("resolve:1")
    assert dialog.apply_button.isEnabled() and dialog.held_back() == []
    assert dialog.attention_items()[:2] == [
        "Doubt: The intake team may refuse leads without a phone.",
        "Safety rule (checked): The doc says not to send dupcheck=0; it was left out of the live post."]
    with qtbot.waitSignal(dialog.applied, timeout=10000) as applied:
        dialog.apply_button.click()
    assert applied.args[0]["parser"] == "Acme Injury Group (generic)"
    stored = PostingDoc.get_by_id(review.doc_id).draft
    assert [f["resolved"] for f in stored["findings"] if f["kind"] == "safety"] == [True]


def test_headless_apply_refuses_an_unchecked_safety_finding(ctx, review, lander):
    from xsc_desktop.intake.extract import IntakeError
    from xsc_desktop.intake.store import apply
    from xsc_desktop.models import PostingDoc

    doc = PostingDoc.get_by_id(review.doc_id)
    doc.draft = review.draft
    doc.save()
    with pytest.raises(IntakeError) as err:
        apply(doc, lander.id)
    assert str(err.value) == ("acme posting.txt was not applied: The doc says not to send dupcheck=0; it was left "
                              "out of the live post — check it in the review (window) and mark it checked, or fix "
                              "the value, then apply again.")


def test_a_system_named_by_another_name_is_shown_as_its_preset(qtbot, window, review):
    review.draft["system"] = "filevine"
    dialog = _dialog(qtbot, window, review)
    assert dialog.system_box.currentData() == "lead_docket" and dialog.draft["system"] == "lead_docket"
