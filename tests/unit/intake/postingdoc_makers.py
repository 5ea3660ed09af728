"""Builders of real posting-doc files for tests and benchmarks: PDF (written by hand), DOCX, XLSX, EML.

No extra dependency: the PDF and DOCX writers emit the few objects a reader needs.
"""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from xml.sax.saxutils import escape

Line = str | list[tuple[float, str]]  # a plain line, or cells placed at x positions (points)


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[Line]], *, font_size: float = 9.5, compress: bool = True) -> bytes:
    """A PDF whose pages hold the given lines in Helvetica; cells given as (x, text) land at that x."""
    import zlib

    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = add(b"")  # filled in below, once the kids are known
    kids = []
    for lines in pages:
        ops = [f"BT /F1 {font_size} Tf".encode()]
        y = 800.0
        for line in lines:
            cells = [(56.0, line)] if isinstance(line, str) else line
            for x, text in cells:
                if text:
                    enc = _pdf_escape(text).encode("cp1252", "replace")
                    ops.append(b"1 0 0 1 %.1f %.1f Tm (" % (x, y) + enc + b") Tj")
            y -= font_size * 1.45
        ops.append(b"ET")
        stream = b"\n".join(ops)
        if compress:
            data = zlib.compress(stream)
            content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        else:
            content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 842] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)))
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def table_lines(rows: list[list[str]], xs: list[float]) -> list[Line]:
    """Rows of cells laid out at fixed x positions, the way a PDF table looks to a text extractor."""
    return [[(x, cell) for x, cell in zip(xs, row, strict=False)] for row in rows]


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(blocks: list[str | list[list[str]]], *, links: dict[str, str] | None = None) -> bytes:
    """A DOCX whose body holds paragraphs (str; "• text" makes a Word list item) and tables (rows of cells)."""
    body = []
    for block in blocks:
        if isinstance(block, str) and block.startswith("• "):
            # A Word list item: numbering lives in the paragraph properties, not in the text.
            body.append(f'<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
                        f'<w:r><w:t xml:space="preserve">{escape(block[2:])}</w:t></w:r></w:p>')
        elif isinstance(block, str):
            runs = []
            for i, part in enumerate(block.split("\t")):
                if i:
                    runs.append("<w:r><w:tab/></w:r>")
                runs.append(f'<w:r><w:t xml:space="preserve">{escape(part)}</w:t></w:r>')
            body.append(f"<w:p>{''.join(runs)}</w:p>")
        else:
            rows = []
            for row in block:
                cells = "".join(
                    f'<w:tc><w:p><w:r><w:t xml:space="preserve">{escape(c)}</w:t></w:r></w:p></w:tc>' for c in row)
                rows.append(f"<w:tr>{cells}</w:tr>")
            body.append(f"<w:tbl>{''.join(rows)}</w:tbl>")
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{_W_NS}" '
                f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f"<w:body>{''.join(body)}</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/'
                   'word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                   'document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document)
    return out.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """An XLSX with one sheet per entry, rows written as given."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_eml(subject: str, text: str, *, html: str | None = None,
             attachments: list[tuple[str, bytes, str]] | None = None) -> bytes:
    """An e-mail with a plain (and optional HTML) body and attachments given as (name, bytes, mime type)."""
    msg = EmailMessage()
    msg["From"] = "Intake Team <intake@firm.example>"
    msg["To"] = "dev@xsocialcampaigns.example"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 24 Nov 2026 10:15:00 +0000"
    msg["Message-ID"] = "<posting-doc-1@firm.example>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, mime in attachments or []:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def make_zip_bomb_docx(unpacked_mb: int = 300) -> bytes:
    """A DOCX-shaped ZIP whose document.xml unpacks to `unpacked_mb` MB of zeros (a few hundred KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return out.getvalue()


def make_opendocument(blocks: list[str | list[list[str]]], *, spreadsheet: bool = False) -> bytes:
    """An ODT (or ODS) whose body holds paragraphs and tables, as LibreOffice writes them."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')
    body = []
    for block in blocks:
        if isinstance(block, str):
            body.append(f"<text:p>{escape(block)}</text:p>")
        else:
            rows = "".join("<table:table-row>" + "".join(
                f"<table:table-cell><text:p>{escape(c)}</text:p></table:table-cell>" for c in row)
                + '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>' for row in block)
            body.append(f'<table:table table:name="Sheet1">{rows}</table:table>')
    kind = "spreadsheet" if spreadsheet else "text"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body>'
               f"<office:{kind}>{''.join(body)}</office:{kind}></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
    return out.getvalue()
