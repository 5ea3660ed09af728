"""`xsc-desktop intake` on hostile posting docs, in a subprocess with the default limits: exit 1, one sentence
on stderr naming the file (and the limit), no traceback, and the doc stored all the same."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from tests.unit.intake.postingdoc_makers import make_eml
from tests.unit.intake.test_extract_budgets import (
    _SHEET_NS,
    SPEC,
    URL,
    _dimension_bomb_xlsx,
    _xlsx_with_sheet_xml,
)


def _one_sentence(result, *, starts: str) -> str:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    line = result.stderr.strip()
    assert line.count("\n") == 0, result.stderr
    assert line.startswith(f"xsc-desktop: {starts}"), line
    return line


def _stored(data_dir, doc) -> bool:
    """The doc's bytes are kept in the data dir under their hash, whatever went wrong."""
    digest = hashlib.sha256(doc.read_bytes()).hexdigest()
    return any(p.name.startswith(digest) for p in (data_dir / "postingdocs").iterdir())


@pytest.mark.slow
def test_eml_with_a_decompression_bomb_attached(cli, data_dir, tmp_path):
    # About 36 MB of sheet XML that packs too well to be text anyone typed, yet passes the packing-ratio check.
    noise = random.Random(5).randbytes(64 * 1024).hex()
    body = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{noise[r % 4096 * 32:][:240]}</t></is></c></row>'
                   for r in range(1, 125_001))
    bomb = _xlsx_with_sheet_xml(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_SHEET_NS}><sheetData>{body}'
                                "</sheetData></worksheet>")
    doc = tmp_path / "spec.eml"
    doc.write_bytes(make_eml("Posting spec", SPEC, attachments=[("fields.xlsx", bomb, "application/vnd.ms-excel")]))
    line = _one_sentence(cli("intake", str(doc), "--json"), starts="fields.xlsx (attached to spec.eml) unpacks to more")
    assert "than 32 MB of text, the limit for one posting doc; it was not read" in line
    assert _stored(data_dir, doc)


def test_eml_with_a_dimension_bomb_attached_is_read(cli, tmp_path):
    doc = tmp_path / "spec.eml"
    doc.write_bytes(make_eml("Posting spec", SPEC, attachments=[
        ("fields.xlsx", _dimension_bomb_xlsx(), "application/vnd.ms-excel")]))
    result = cli("intake", str(doc), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["endpoint"] == URL


def test_text_doc_of_nul_bytes(cli, data_dir, tmp_path):
    doc = tmp_path / "spec.txt"
    with doc.open("wb") as fh:
        fh.write(b"\x00" * (40 * 1024 * 1024))
    _one_sentence(cli("intake", str(doc)), starts="spec.txt holds only NUL bytes, no text")
    assert _stored(data_dir, doc)


def test_random_bytes_named_pdf(cli, data_dir, tmp_path):
    doc = tmp_path / "posting spec.pdf"
    doc.write_bytes(random.Random(11).randbytes(300_000))
    _one_sentence(cli("intake", str(doc), "--json"), starts="posting spec.pdf is named as PDF but is not one")
    assert _stored(data_dir, doc)


def test_a_device_gets_one_sentence(cli):
    _one_sentence(cli("intake", "/dev/zero"), starts="zero is not a regular file")


def test_html_with_unclosed_tags(cli, tmp_path):
    doc = tmp_path / "spec.html"
    doc.write_text(f"<html><body><p>POST JSON to {URL}</p><p>first_name (required)</p>" + "<a x" * 200_000)
    result = cli("intake", str(doc), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["endpoint"] == URL
