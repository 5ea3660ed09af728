"""Posting-doc extraction: every format from real files, and every kind of bad input gives one sentence."""

from __future__ import annotations

import codecs
import io
import json
import zipfile

import pytest

from tests.unit.intake.postingdoc_makers import (
    make_docx,
    make_eml,
    make_pdf,
    make_xlsx,
    make_zip_bomb_docx,
    table_lines,
)
from xsc_desktop.intake.extract import IntakeError, detect_format, extract_bytes, extract_file

URL = "https://api.firm.example/leads"


def one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and len(message) < 300


# --------------------------------------------------------------------------- formats


def test_pdf_text_layer_keeps_table_columns_apart():
    pdf = make_pdf([[f"URL: {URL}", *table_lines([["Field", "Required", "Example"], ["first_name", "Yes", "Amy"]],
                                                  [56, 200, 300])]])
    got = extract_bytes(pdf, "doc.pdf")
    assert got.format == "pdf"
    assert URL in got.text
    row = next(line for line in got.text.splitlines() if line.startswith("first_name"))
    assert row.split() == ["first_name", "Yes", "Amy"] and "  " in row


def test_pdf_pages_all_read():
    pdf = make_pdf([[f"page {i} marker{i}"] for i in range(5)])
    text = extract_bytes(pdf, "five.pdf").text
    assert all(f"marker{i}" in text for i in range(5))


def test_docx_paragraphs_and_tables_in_order():
    data = make_docx(["Post to https://x.example/post", [["Field", "Required"], ["First", "Yes"]], "After the table"])
    got = extract_bytes(data, "spec.docx")
    assert got.format == "docx"
    assert got.tables == [[["Field", "Required"], ["First", "Yes"]]]
    assert got.text.index("https://x.example/post") < got.text.index("First | Yes") < got.text.index("After the table")


def test_xlsx_tables_on_every_sheet_with_numbers_as_text():
    data = make_xlsx({"Intro": [["URL", URL]], "Fields": [["Field", "Example"], ["zip", 2134], ["amount", 1.0]]})
    got = extract_bytes(data, "spec.xlsx")
    assert got.format == "xlsx"
    assert got.tables == [[["URL", URL]], [["Field", "Example"], ["zip", "2134"], ["amount", "1"]]]
    assert "[Fields]" in got.text


def test_csv_delimiter_sniffed():
    got = extract_bytes(b"name;required\nfirst;yes\nlast;no\n", "fields.csv")
    assert got.format == "csv"
    assert got.tables == [[["name", "required"], ["first", "yes"], ["last", "no"]]]


def test_html_drops_scripts_styles_navigation_and_keeps_tables_and_forms():
    html = (b"<html><head><style>.x{}</style><script>var secret=1</script></head><body>"
            b"<nav><a href='/'>Home menu</a></nav><div class='main-nav'>Also navigation</div>"
            b"<h1>Posting</h1><p>Post to <a href='https://x.example/post'>this address</a></p>"
            b"<table><tr><th>Field</th><th>Req</th></tr><tr><td>first</td><td>Y</td></tr></table>"
            b"<form action='https://x.example/post' method='post'><input type='hidden' name='vendor' value='9'>"
            b"<input name='first' required><input type='submit' name='go'></form><footer>Footer text</footer></body></html>")
    got = extract_bytes(html, "page.html")
    assert got.format == "html"
    for gone in ("secret", "Home menu", "Also navigation", "Footer text", ".x{}"):
        assert gone not in got.text
    assert "https://x.example/post" in got.text
    assert got.tables == [[["Field", "Req"], ["first", "Y"]]]
    form = got.forms[0]
    assert (form.action, form.method) == ("https://x.example/post", "POST")
    assert [(i.name, i.kind, i.value, i.required) for i in form.inputs] == [
        ("vendor", "hidden", "9", False), ("first", "text", "", True)]


def test_eml_reads_body_and_attached_docs_in_turn():
    attached = make_docx(["Endpoint: https://att.example/post", [["Field", "Required"], ["phone", "Yes"]]])
    data = make_eml("Posting doc", "See the attachment.", html="<p>See the <b>attachment</b>.</p>",
                    attachments=[("spec.docx", attached, "application/vnd.openxmlformats-officedocument."
                                                         "wordprocessingml.document")])
    got = extract_bytes(data, "mail.eml")
    assert got.format == "eml"
    assert got.attachments == ["spec.docx"]
    assert "https://att.example/post" in got.text and "See the attachment" in got.text
    assert [["Field", "Required"], ["phone", "Yes"]] in got.tables


def test_eml_bad_attachment_is_a_warning_not_a_failure():
    data = make_eml("Doc", f"Post to {URL}", attachments=[("broken.pdf", b"%PDF-1.4 garbage", "application/pdf")])
    got = extract_bytes(data, "mail.eml")
    assert URL in got.text
    assert any("broken.pdf" in w for w in got.warnings)


@pytest.mark.parametrize(("raw", "warned"), [
    ("Café: https://x.example/é".encode(), False),
    (codecs.BOM_UTF8 + "Café".encode(), False),
    ("Café posting doc".encode("utf-16"), False),
    ("Café posting doc".encode("utf-16-le"), False),
    ("Café – posting doc".encode("cp1252"), True),
])
def test_text_encodings(raw, warned):
    got = extract_bytes(raw, "doc.txt")
    assert "Café" in got.text
    assert bool(got.warnings) is warned


def test_markdown_and_json_detected():
    assert extract_bytes(b"# Posting\n\n| a | b |\n|---|---|\n", "x.txt").format == "md"
    got = extract_bytes(b'{"first_name": "Amy", "nested": {"x": 1}}', "sample.txt")
    assert got.format == "json"
    assert json.loads(got.text) == {"first_name": "Amy", "nested": {"x": 1}}


def test_format_from_content_not_extension():
    pdf = make_pdf([[f"URL: {URL}"]])
    got = extract_bytes(pdf, "instructions.docx")
    assert got.format == "pdf"
    assert "named as DOCX but holds PDF" in got.warnings[0]
    assert detect_format(make_xlsx({"S": [["a"]]}), "x.csv") == "xlsx"
    assert detect_format(b"<html><body><p>x</p></body></html>", "page.txt") == "html"


# --------------------------------------------------------------------------- bad input


def test_truncated_pdf():
    pdf = make_pdf([[f"URL: {URL}"]])
    with pytest.raises(IntakeError) as err:
        extract_bytes(pdf[: len(pdf) // 3], "cut.pdf")
    assert one_sentence(str(err.value))


def test_encrypted_pdf():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf([[f"URL: {URL}"]]))))
    writer.encrypt(user_password="open-sesame", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(IntakeError, match="password-protected") as err:
        extract_bytes(out.getvalue(), "locked.pdf")
    assert one_sentence(str(err.value))


def test_scanned_pdf_without_text_layer():
    with pytest.raises(IntakeError) as err:
        extract_bytes(make_pdf([[], []]), "scan.pdf")
    assert str(err.value) == "scan.pdf has no text layer — OCR is not supported; enter the fields by hand."


def test_zip_bomb_docx_refused_before_unpacking():
    with pytest.raises(IntakeError, match="unpacks to 300 MB") as err:
        extract_bytes(make_zip_bomb_docx(300), "bomb.docx")
    assert one_sentence(str(err.value))


def test_truncated_docx_and_xlsx():
    for data, name in ((make_docx(["hello"]), "cut.docx"), (make_xlsx({"S": [["a", "b"]]}), "cut.xlsx")):
        with pytest.raises(IntakeError) as err:
            extract_bytes(data[: len(data) - 200], name)
        assert one_sentence(str(err.value))


def test_docx_with_broken_xml():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(IntakeError, match="damaged"):
        extract_bytes(out.getvalue(), "broken.docx")


def test_plain_zip_and_old_office_and_images_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hi")
    for data, pattern in ((out.getvalue(), "not a Word or Excel"),
                          (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old binary"),
                          (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "OCR is not supported")):
        with pytest.raises(IntakeError, match=pattern):
            extract_bytes(data, "file.bin")


def test_empty_file():
    with pytest.raises(IntakeError, match="empty"):
        extract_bytes(b"  \n", "empty.txt")


def test_file_over_50_mb_refused_without_reading(tmp_path):
    big = tmp_path / "huge.pdf"
    with big.open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)
    with pytest.raises(IntakeError, match="over the 50 MB limit") as err:
        extract_file(big)
    assert one_sentence(str(err.value))


def test_missing_file(tmp_path):
    with pytest.raises(IntakeError, match="Cannot open nothing.pdf"):
        extract_file(tmp_path / "nothing.pdf")


def test_damaged_copies_of_every_fixture_never_crash():
    import random
    from pathlib import Path

    from xsc_desktop.intake.pipeline import analyze

    rnd = random.Random(5)
    folder = Path(__file__).resolve().parents[2] / "fixtures" / "postingdocs"
    docs = [p for p in sorted(folder.iterdir()) if not p.name.endswith((".expected.json", ".py"))]
    assert len(docs) >= 12
    for path in docs:
        data = path.read_bytes()
        damaged = [data[: len(data) // 2], data[: len(data) - 7]]
        for _ in range(3):
            copy = bytearray(data)
            for _ in range(8):
                copy[rnd.randrange(len(copy))] = rnd.randrange(256)
            damaged.append(bytes(copy))
        for blob in damaged:
            try:
                analyze(extract_bytes(blob, path.name), path.name)
            except IntakeError as exc:
                assert one_sentence(str(exc)), (path.name, str(exc))


def test_docx_list_items_read_as_a_list():
    got = extract_bytes(make_docx(["Fields:", "• first_name (required)", "• phone"]), "list.docx")
    assert got.text.splitlines() == ["Fields:", "- first_name (required)", "- phone"]


def test_opendocument_text_and_spreadsheet():
    from tests.unit.intake.postingdoc_makers import make_opendocument

    odt = extract_bytes(make_opendocument(["Post to https://x.example/post", [["Field", "Required"], ["first", "Yes"]]]),
                        "spec.odt")
    assert odt.format == "odt" and odt.tables == [[["Field", "Required"], ["first", "Yes"]]]
    assert "https://x.example/post" in odt.text
    ods = extract_bytes(make_opendocument([[["URL", "https://x.example/post"]]], spreadsheet=True), "spec.bin")
    assert ods.format == "ods" and ods.tables == [[["URL", "https://x.example/post"]]]
