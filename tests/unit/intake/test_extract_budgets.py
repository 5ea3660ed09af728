"""Hostile posting docs: every reader stops at a budget with one sentence naming the file and the limit,
and the doc is still stored. Files are generated in their real formats; the time limit runs on an injected
clock, so nothing here waits or measures wall time."""

from __future__ import annotations

import io
import os
import random
import zipfile

import pytest

from tests.unit.intake.postingdoc_makers import make_docx, make_eml, make_pdf, make_xlsx
from xsc_desktop.intake.extract import Budget, BudgetExceeded, IntakeError, Limits, extract_bytes
from xsc_desktop.intake.store import intake_bytes, intake_file, list_docs

URL = "https://intake.firm.example/api/leads"
SPEC = f"Lead posting spec\n\nPOST JSON to {URL}\n\nFields: first_name (required), last_name, phone (required)\n"


class TickingClock:
    """A clock that moves `step` seconds every time it is read: reading a doc in N steps 'takes' N × step."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _xlsx_with_sheet_xml(sheet_xml: str) -> bytes:
    """A real workbook (written by openpyxl) whose first sheet's XML is replaced by `sheet_xml`."""
    base = make_xlsx({"Fields": [["placeholder"]]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = sheet_xml.encode() if info.filename == "xl/worksheets/sheet1.xml" else src.read(info.filename)
            dst.writestr(info.filename, data)
    return out.getvalue()


_SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _dimension_bomb_xlsx() -> bytes:
    """A sheet that claims A1:XFD1048576 (17 billion cells) and holds three real cells, one far away."""
    return _xlsx_with_sheet_xml(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_SHEET_NS}><dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Field</t></is></c><c r="B1" t="inlineStr"><is><t>Required</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>phone</t></is></c><c r="B2" t="inlineStr"><is><t>Yes</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far away</t></is></c></row>'
        "</sheetData></worksheet>")


def _many_cells_xlsx(rows: int, cols: int = 10) -> bytes:
    """A sheet that really holds rows × cols cells: a few hundred KB packed, tens of MB of XML unpacked."""
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="{chr(65 + c)}{r}"><v>{r}</v></c>' for c in range(cols)) + "</row>"
                   for r in range(1, rows + 1))
    return _xlsx_with_sheet_xml(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_SHEET_NS}><sheetData>{body}</sheetData></worksheet>')


# --------------------------------------------------------------------------- HTML


def test_html_with_unclosed_tags_is_read_in_one_pass():
    # html.parser took 89 s for 20,000 of these; lxml reads them as fast as any page.
    html = f"<html><body><h1>Posting</h1><p>POST JSON to {URL}</p>" + "<a x" * 20000
    got = extract_bytes(html.encode(), "spec.html")
    assert got.format == "html" and URL in got.text


def test_html_with_many_end_tags_and_comments_keeps_its_text():
    html = f"<html><body><p>POST JSON to {URL}</p>" + "</div></span><!--" * 50000 + "-->tail</body></html>"
    got = extract_bytes(html.encode(), "spec.html")
    assert URL in got.text


def test_html_element_budget_names_the_file_and_limit():
    html = "<html><body>" + "<p>x</p>" * 2000
    with pytest.raises(BudgetExceeded) as err:
        extract_bytes(html.encode(), "spec.html", budget=Budget(Limits(elements=1000)))
    assert str(err.value).startswith("spec.html has more than 1,000 HTML elements, the limit for one posting doc")


def test_html_time_budget_stops_while_reading():
    html = f"<html><body><p>{URL}</p>" + "<p>posting rules</p>" * 40000  # several 64 KB pieces
    with pytest.raises(BudgetExceeded, match=r"^Reading spec\.html was stopped at the 8 s limit for one posting doc"):
        extract_bytes(html.encode(), "spec.html", budget=Budget(clock=TickingClock(3.0)))


# --------------------------------------------------------------------------- e-mail with bombs attached


def test_eml_with_a_dimension_bomb_sheet_reads_only_the_cells_there():
    data = make_eml("Posting spec", SPEC, attachments=[("fields.xlsx", _dimension_bomb_xlsx(), "application/vnd.ms-excel")])
    got = extract_bytes(data, "spec.eml")
    assert got.attachments == ["fields.xlsx"] and URL in got.text
    assert [["Field", "Required"], ["phone", "Yes"]] == got.tables[0]


def test_eml_with_a_decompression_bomb_attached_stops_with_one_sentence():
    bomb = _many_cells_xlsx(rows=600, cols=10)
    data = make_eml("Posting spec", SPEC, attachments=[("fields.xlsx", bomb, "application/vnd.ms-excel")])
    with pytest.raises(BudgetExceeded) as err:
        extract_bytes(data, "spec.eml", budget=Budget(Limits(cells=5000)))
    assert str(err.value) == ("fields.xlsx (attached to spec.eml) has more than 5,000 table cells, the limit for one "
                              "posting doc; ask the client for the posting instructions alone.")


def test_eml_with_a_sheet_unpacking_past_the_limit_is_not_opened():
    bomb = _many_cells_xlsx(rows=4000, cols=10)  # about 1.5 MB of sheet XML
    data = make_eml("Posting spec", SPEC, attachments=[("fields.xlsx", bomb, "application/vnd.ms-excel")])
    with pytest.raises(BudgetExceeded, match=r"^fields\.xlsx \(attached to spec\.eml\) unpacks to more than 1 MB"):
        extract_bytes(data, "spec.eml", budget=Budget(Limits(unpacked_mb=1)))


def test_eml_with_a_zip_bomb_attached_stops_instead_of_skipping():
    from tests.unit.intake.postingdoc_makers import make_zip_bomb_docx

    data = make_eml("Posting spec", SPEC, attachments=[("spec.docx", make_zip_bomb_docx(300), "application/msword")])
    with pytest.raises(BudgetExceeded, match=r"^spec\.docx \(attached to spec\.eml\) unpacks to 300 MB"):
        extract_bytes(data, "spec.eml")


def test_an_e_mail_and_its_attachments_share_one_time_budget():
    doc = make_docx(["Fields", [["Field", "Required"], *[[f"f{i}", "Yes"] for i in range(600)]]])
    data = make_eml("Posting spec", SPEC, attachments=[("a.docx", doc, "application/msword")] * 3)
    # The e-mail's own reading uses up most of the budget; the first attachment runs out of it.
    with pytest.raises(BudgetExceeded, match=r"^Reading a\.docx \(attached to spec\.eml\) was stopped at the 8 s"):
        extract_bytes(data, "spec.eml", budget=Budget(clock=TickingClock(2.0)))


# --------------------------------------------------------------------------- other readers' limits


def test_xlsx_rows_budget():
    data = make_xlsx({"Fields": [[f"field_{i}", "Yes"] for i in range(30)]})
    with pytest.raises(BudgetExceeded, match=r"^fields\.xlsx has a sheet with more than 20 rows, the limit"):
        extract_bytes(data, "fields.xlsx", budget=Budget(Limits(rows=20)))


def test_pdf_page_budget():
    data = make_pdf([[f"Page {n}", URL] for n in range(4)])
    with pytest.raises(BudgetExceeded, match=r"^spec\.pdf has 4 pages, over the 3 page limit for one posting doc"):
        extract_bytes(data, "spec.pdf", budget=Budget(Limits(pages=3)))


def test_pdf_time_budget_is_checked_page_by_page():
    data = make_pdf([[f"Page {n}", URL] for n in range(12)])
    with pytest.raises(BudgetExceeded, match="stopped at the 8 s limit"):
        extract_bytes(data, "spec.pdf", budget=Budget(clock=TickingClock(1.0)))


def test_pdf_lines_padded_with_long_runs_of_spaces_read_in_time():
    # Text placed far to the right comes out of layout extraction after 10,000 spaces on every line.
    lines = [[(56.0, f"field_{n}"), (400000.0, "far right")] for n in range(60)]
    got = extract_bytes(make_pdf([[URL, *lines]]), "spec.pdf")
    assert URL in got.text and "field_59" in got.text


def test_docx_unpacked_budget_counts_the_text_parts_not_the_pictures():
    doc = make_docx(["Fields", *[f"Paragraph {i} of the posting rules, long enough to add up." for i in range(30000)]])
    with pytest.raises(BudgetExceeded, match=r"^spec\.docx unpacks to more than 1 MB of text, the limit"):
        extract_bytes(doc, "spec.docx", budget=Budget(Limits(unpacked_mb=1)))


def test_csv_cells_and_text_budgets():
    rows = "\n".join(",".join(f"c{r}_{c}" for c in range(10)) for r in range(300)).encode()
    with pytest.raises(BudgetExceeded, match=r"^fields\.csv has more than 1,000 table cells"):
        extract_bytes(rows, "fields.csv", budget=Budget(Limits(cells=1000)))
    text = ("posting rules " * 100000).encode()
    with pytest.raises(BudgetExceeded, match=r"^spec\.txt holds more than 1 MB of text, the limit"):
        extract_bytes(text, "spec.txt", budget=Budget(Limits(text_mb=1)))


def test_memory_budget_is_checked_while_reading():
    grown = iter(range(0, 10**12, 300 * 1048576))  # each look finds 300 MB more resident memory
    data = make_pdf([[f"Page {n}", URL] for n in range(5)])
    with pytest.raises(BudgetExceeded, match=r"^Reading spec\.pdf was stopped at the 512 MB memory limit"):
        extract_bytes(data, "spec.pdf", budget=Budget(memory=lambda: next(grown)))


def test_within_budget_nothing_changes():
    got = extract_bytes(SPEC.encode(), "spec.txt", budget=Budget(clock=TickingClock(0.001)))
    assert URL in got.text


# --------------------------------------------------------------------------- not a doc at all


def test_a_text_doc_of_only_nul_bytes_gets_one_sentence():
    with pytest.raises(IntakeError) as err:
        extract_bytes(b"\x00" * (8 * 1024 * 1024), "spec.txt")
    assert str(err.value) == "spec.txt holds only NUL bytes, no text; ask the client to send the posting doc again."


def test_text_then_a_run_of_nuls_keeps_the_text():
    got = extract_bytes(SPEC.encode() + b"\x00" * 100000, "spec.txt")
    assert URL in got.text and "\x00" not in got.text
    got = extract_bytes(b"\x00" * 100000 + SPEC.encode(), "spec.txt")
    assert URL in got.text


def test_random_bytes_named_pdf_are_not_reviewed_as_text():
    data = random.Random(7).randbytes(200_000)
    with pytest.raises(IntakeError) as err:
        extract_bytes(data, "posting spec.pdf")
    assert str(err.value) == ("posting spec.pdf is named as PDF but is not one, nor any other document or text; "
                              "ask the client to send the posting doc again.")
    with pytest.raises(IntakeError, match=r"^blob is not a document or text that can be read"):
        extract_bytes(data, "blob")


def test_utf16_text_is_still_text():
    got = extract_bytes(SPEC.encode("utf-16-le"), "spec.txt")
    assert URL in got.text


# --------------------------------------------------------------------------- stored all the same


def test_a_budget_exceeded_doc_is_stored_with_its_sentence(ctx):
    data = make_eml("Posting spec", SPEC, attachments=[("fields.xlsx", _many_cells_xlsx(600), "application/vnd.ms-excel")])
    result = intake_bytes(data, "spec.eml", ctx.data_dir, budget=Budget(Limits(cells=5000)))
    assert result.analysis is None and result.error.startswith("fields.xlsx (attached to spec.eml) has more than")
    assert result.doc.error == result.error and result.doc.format == "eml"
    assert (ctx.data_dir / "postingdocs" / f"{result.doc.sha256}.eml").exists()
    assert [row["error"] for row in list_docs()] == [result.error]


def test_random_bytes_named_pdf_are_stored_with_the_sentence(ctx):
    result = intake_bytes(random.Random(3).randbytes(50_000), "spec.pdf", ctx.data_dir)
    assert result.analysis is None and "is named as PDF but is not one" in result.error
    assert result.doc.text == ""


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs a character device")
def test_a_device_is_refused_without_reading_it(ctx):
    with pytest.raises(IntakeError, match=r"^zero is not a regular file \(a device or pipe\)"):
        intake_file("/dev/zero", ctx.data_dir)


def test_a_pipe_is_refused_without_waiting_for_it(ctx, tmp_path):
    fifo = tmp_path / "spec.txt"
    os.mkfifo(fifo)
    with pytest.raises(IntakeError, match=r"^spec\.txt is not a regular file"):
        intake_file(fifo, ctx.data_dir)


def test_an_e_mail_header_no_real_mail_needs_is_refused_before_it_is_parsed():
    head = (b"From: intake@firm.example\r\nTo: dev@agency.example\r\nDate: Tue, 24 Nov 2026 10:15:00 +0000\r\n"
            b"Subject: " + b"=?utf-8?q?a?= " * 10_000 + b"\r\n\r\n")
    with pytest.raises(BudgetExceeded) as err:
        extract_bytes(head + SPEC.encode(), "spec.eml")
    assert str(err.value) == ("spec.eml has a header of 140,000 characters, over the 64 KB limit for an e-mail "
                              "header; ask the client to forward the posting doc in a new e-mail.")


def test_random_bytes_under_every_name_end_in_a_result_or_one_sentence():
    from xsc_desktop.intake.extract import _EXTENSION_FORMAT

    rnd = random.Random(21)
    for suffix in [*_EXTENSION_FORMAT, ""]:
        for blob in (rnd.randbytes(1), rnd.randbytes(300), rnd.randbytes(60_000), b"%PDF-1.7\n" + rnd.randbytes(5000),
                     b"PK\x03\x04" + rnd.randbytes(5000), b"<html><body>" + rnd.randbytes(5000)):
            try:
                got = extract_bytes(blob, f"doc{suffix}")
            except IntakeError as exc:
                text = str(exc)
                assert text.endswith(".") and "\n" not in text and "Traceback" not in text, (suffix, text)
            else:
                # Only text-like content may come through, never a review of garbled bytes as text.
                assert got.format in ("html", "txt", "md", "csv") and got.text is not None, suffix
                assert suffix not in (".pdf", ".docx", ".xlsx", ".odt", ".ods"), (suffix, got.text[:40])
