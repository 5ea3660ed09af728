"""Posting-doc review (core): marks line up with the text, secrets are masked, an edited draft applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLES as SHARED_SAMPLES

SAMPLES = SHARED_SAMPLES / "postingdocs"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postingdocs"


@pytest.fixture
def lander(ctx):
    from xsc_desktop.landers import add_lander

    return add_lander(client="Alvarez Accident Lawyers", campaign="Auto", name="Dallas Auto",
                      url="https://dallas-auto.example/")


def test_marks_point_at_the_values_they_name(ctx):
    from xsc_desktop.intake.review import read_for_review

    review = read_for_review(SAMPLES / "s01_captorra_basic.txt", ctx.data_dir)
    assert review.error == "" and review.draft["system"] == "captorra"
    by_key = {}
    for mark in review.marks:
        by_key.setdefault(mark.key, []).append(review.text[mark.start:mark.end])
    assert by_key["endpoint"] == [review.draft["endpoint"]]
    assert by_key["method"] == ["POST"]
    first = next(i for i, f in enumerate(review.draft["fields"]) if f["name"] == "First")
    assert by_key[f"field:{first}"] == ["First", "John"]
    static_names = [s["name"] for s in review.draft["static"]]
    captorra_id = static_names.index("CaptorraId")
    assert by_key[f"static:{captorra_id}"] == ["CaptorraId", "310775"]


def test_secret_values_are_masked_in_the_text_with_marks_still_in_place(ctx):
    from xsc_desktop.intake.review import read_for_review

    review = read_for_review(SAMPLES / "s02_generic_json_pdf.pdf", ctx.data_dir)
    secret = next(s for s in review.draft["static"] if s["secret"])
    assert secret["value"] not in review.text
    index = review.draft["static"].index(secret)
    masked = [review.text[m.start:m.end] for m in review.marks if m.key == f"static:{index}"]
    assert "•" * len(secret["value"]) in masked


def test_unreadable_file_comes_back_with_its_sentence_and_is_stored(ctx, tmp_path):
    from xsc_desktop.intake.review import STATE_UNREADABLE, docs_overview, read_for_review

    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj <<\n")  # cut off after the header
    review = read_for_review(bad, ctx.data_dir)
    assert review.error and review.error.endswith(".") and review.draft is None
    [row] = docs_overview()
    assert (row.name, row.state) == ("broken.pdf", STATE_UNREADABLE)
    assert row.state_text.startswith("Unreadable: ")


def test_apply_reviewed_uses_the_edits_and_keeps_secrets_apart(ctx, lander):
    from xsc_desktop import integrations
    from xsc_desktop.intake.review import STATE_APPLIED, apply_reviewed, docs_overview, read_for_review
    from xsc_desktop.models import Secret

    review = read_for_review(SAMPLES / "s01_captorra_basic.txt", ctx.data_dir, lander_id=lander.id)
    draft = review.draft
    details = next(f for f in draft["fields"] if f["name"] == "Details")
    details["maps_to"] = "case_type"  # the operator's choice wins over the analysis
    draft["static"].append({"name": "api_key", "value": "sk-123456", "location": "header", "secret": True})
    summary = apply_reviewed(review.doc_id, draft, lander.id)

    spec = integrations.spec_for(integrations.get_integration(lander.id))
    mapping = next(m for m in spec.mappings if m.target == "Details")
    assert mapping.source == "case_type"
    view = integrations.view(lander.id)
    assert view.settings["CaptorraId"] == "310775"
    assert view.secrets["api_key"] != "sk-123456"
    assert integrations.secrets_for(integrations.get_integration(lander.id))["api_key"] == "sk-123456"
    assert "sk-123456" not in Secret.get(Secret.name == "api_key").value  # sealed, never plain text
    assert "sk-123456" not in str(summary)
    [row] = docs_overview(lander.id)
    assert row.state == STATE_APPLIED and row.client == "Alvarez Accident Lawyers" and row.lander == "Dallas Auto"


def test_apply_reviewed_without_a_lander_says_so_and_changes_nothing(ctx):
    from xsc_desktop.errors import UserError
    from xsc_desktop.intake.review import apply_reviewed, load_review, read_for_review

    review = read_for_review(SAMPLES / "s01_captorra_basic.txt", ctx.data_dir)
    with pytest.raises(UserError, match="Pick the lander"):
        apply_reviewed(review.doc_id, {**review.draft, "endpoint": "https://changed.example/"}, None)
    assert load_review(review.doc_id).draft["endpoint"] == review.draft["endpoint"]


def test_the_same_file_again_keeps_the_reviewed_draft(ctx, lander):
    from xsc_desktop.intake.review import apply_reviewed, read_for_review

    path = SAMPLES / "s01_captorra_basic.txt"
    review = read_for_review(path, ctx.data_dir, lander_id=lander.id)
    draft = review.draft
    next(f for f in draft["fields"] if f["name"] == "Details")["maps_to"] = "case_type"
    apply_reviewed(review.doc_id, draft, lander.id)
    again = read_for_review(path, ctx.data_dir)
    assert again.duplicate and again.doc_id == review.doc_id
    assert next(f for f in again.draft["fields"] if f["name"] == "Details")["maps_to"] == "case_type"


def test_a_field_is_marked_on_its_own_row_not_in_the_column_headings(ctx):
    from xsc_desktop.intake.review import read_for_review

    review = read_for_review(SAMPLES / "s04_fields_xlsx.xlsx", ctx.data_dir)
    index = next(i for i, f in enumerate(review.draft["fields"]) if f["name"] == "Comments")
    mark = next(m for m in review.marks if m.key == f"field:{index}")
    line_start = review.text.rfind("\n", 0, mark.start) + 1
    assert mark.start == line_start  # "Comments | N | text", not "... | Sample Value | Comments"


@pytest.mark.parametrize(("name", "content", "words"), [
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "OCR is not supported"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "save it as DOCX"),
    ("cut.xlsx", b"PK\x03\x04 cut off", "damaged"),
    ("empty.txt", b"   \n", "empty"),
])
def test_bad_files_come_back_as_one_sentence_each_and_are_listed(ctx, tmp_path, name, content, words):
    from xsc_desktop.intake.review import STATE_UNREADABLE, docs_overview, read_for_review

    path = tmp_path / name
    path.write_bytes(content)
    review = read_for_review(path, ctx.data_dir)
    assert words in review.error and review.error.endswith(".") and review.draft is None
    [row] = docs_overview()
    assert (row.name, row.state) == (name, STATE_UNREADABLE)


def test_a_file_over_50_mb_is_refused_unread_and_listed(ctx, tmp_path):
    from xsc_desktop.intake.review import STATE_UNREADABLE, docs_overview, read_for_review

    big = tmp_path / "huge.pdf"
    with big.open("wb") as stream:  # sparse: nothing is written to disk
        stream.truncate(51 * 1024 * 1024)
    review = read_for_review(big, ctx.data_dir)
    assert "50 MB" in review.error and review.path == ""
    assert docs_overview()[0].state == STATE_UNREADABLE
