"""Hostile lead and lander files through the real CLI: nested JSON, many keys, XLSX bombs, NUL bytes."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.conftest import assert_one_sentence
from xsc_desktop import lead_files, leads

DEEP = 100_000


@pytest.fixture
def lander(data_dir: Path) -> Path:
    proc = run_cli("landers", "add", "--client", "Alvarez Law", "--campaign", "Auto", "--name", "Houston",
                   "--url", "https://lander.example/houston", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    return data_dir


def _import(data_dir: Path, path: Path, *extra: str):
    return run_cli("leads", "import", str(path), "--lander", "1", *extra, data_dir=data_dir)


def _json_report(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


GOOD = '{"first_name": "Ann", "phone": "5551234567"}'


@pytest.mark.slow
def test_json_nested_100000_levels_is_refused_per_record_in_every_shape(lander, tmp_path):
    shapes = {
        "array.json": "[" + "[" * DEEP + "]" * DEEP + "]",
        "object.json": '{"a":' * DEEP + "1" + "}" * DEEP,
        "in_list.json": f'[{GOOD}, {{"phone": "5551234568", "x": ' + "[" * DEEP + "]" * DEEP + "}]",
        "in_leads.json": '{"leads": [' + "[" * DEEP + "]" * DEEP + "]}",
        "one_line.jsonl": GOOD + "\n" + '{"a": ' + "[" * DEEP + "]" * DEEP + "}\n",
        "deep_but_parsable.json": f'[{GOOD}, {{"phone": "5551234569", "x": ' + '{"y":' * 200 + "1" + "}" * 200 + "}]",
    }
    for name, text in shapes.items():
        path = tmp_path / name
        path.write_text(text)
        proc = _import(lander, path, "--json")
        if proc.returncode == 1:
            assert_one_sentence(proc, contains="nested deeper")
            continue
        report = _json_report(proc)
        reasons = " ".join(p["message"] for p in report["problems"])
        assert "nested deeper than" in reasons, (name, report)
    # The good records beside the deep ones came in.
    listed = run_cli("leads", "list", "--json", data_dir=lander)
    phones = {lead["phone"] for lead in json.loads(listed.stdout)}
    assert "5551234567" in phones


def test_json_objects_with_many_distinct_keys_read_in_linear_steps(tmp_path, monkeypatch):
    """Counted, not timed: the column list is built with one lookup per key (a list scan per key was quadratic)."""
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{f"k{j}_{i}": i for i in range(300)} for j in range(200)]))
    source = leads.open_lead_file(path)
    assert len(source.columns) == 60_000
    assert len(set(source.columns)) == 60_000
    rows = list(source.rows)
    assert len(rows) == 200
    # A record with few of the many columns only looks up its own keys.
    normaliser = leads.RowNormaliser(leads.propose_mapping(source.columns), source.columns)
    looked = []
    real_get = dict.get

    class Watch(dict):
        def get(self, key, default=None):
            looked.append(key)
            return real_get(self, key, default)

    normaliser.normalise(Watch(rows[0][1]))
    assert len(looked) <= 300


def _xlsx_parts(tmp_path: Path) -> tuple[dict[str, bytes], str]:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["first_name", "phone", "email"])
    sheet.append(["Ann", "5551234567", "ann@example.com"])
    base = tmp_path / "base.xlsx"
    book.save(base)
    with zipfile.ZipFile(base) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return parts, parts["xl/worksheets/sheet1.xml"].decode()


def _write_xlsx(path: Path, parts: dict[str, bytes], sheet: str | None = None, stream=None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name == "xl/worksheets/sheet1.xml" and stream is not None:
                with archive.open(name, "w") as fh:
                    stream(fh)
            else:
                archive.writestr(name, sheet.encode() if name == "xl/worksheets/sheet1.xml" and sheet else data)
    return path


@pytest.mark.slow
def test_xlsx_zip_bomb_is_refused_before_unpacking(lander, tmp_path):
    parts, sheet = _xlsx_parts(tmp_path)
    head, tail = sheet.split("</sheetData>")

    def bomb(fh) -> None:
        fh.write(head.encode() + b'<row r="3"><c r="A3" t="inlineStr"><is><t>')
        block = b"A" * (1 << 20)
        for _ in range(40):  # 40 MB that pack into a few dozen KB: refused by its ratio, nothing unpacked
            fh.write(block)
        fh.write(b"</t></is></c></row></sheetData>" + tail.encode())

    path = _write_xlsx(tmp_path / "bomb.xlsx", parts, stream=bomb)
    assert path.stat().st_size < 1 << 20
    proc = _import(lander, path)
    assert_one_sentence(proc, contains="unpacks to")
    assert json.loads(run_cli("leads", "list", "--json", data_dir=lander).stdout) == []


def test_xlsx_huge_declared_dimension_reads_only_real_cells(lander, tmp_path):
    parts, sheet = _xlsx_parts(tmp_path)
    sheet = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    sheet = sheet.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
                                          "</row></sheetData>")
    proc = _import(lander, _write_xlsx(tmp_path / "dim.xlsx", parts, sheet), "--json")
    report = _json_report(proc)
    assert report["imported"] == 1 and report["problems"] == [], report


def test_xlsx_row_far_past_excels_limit_stops_with_a_reason(lander, tmp_path):
    parts, sheet = _xlsx_parts(tmp_path)
    sheet = sheet.replace("</sheetData>", '<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>x</t></is></c>'
                                          "</row></sheetData>")
    report = _json_report(_import(lander, _write_xlsx(tmp_path / "far.xlsx", parts, sheet), "--json"))
    assert report["imported"] == 1
    assert "Excel's own limit" in json.dumps(report)


def test_xlsx_cell_budget_stops_a_sheet_of_padded_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(lead_files, "XLSX_MAX_CELLS", 100_000)
    parts, sheet = _xlsx_parts(tmp_path)
    rows = "".join(f'<row r="{i}"><c r="XFD{i}" t="inlineStr"><is><t>x</t></is></c></row>' for i in range(3, 40))
    path = _write_xlsx(tmp_path / "wide.xlsx", parts, sheet.replace("</sheetData>", rows + "</sheetData>"))
    source = leads.open_lead_file(path)
    got = list(source.rows)
    assert len(got) == 1
    assert source.errors and "100,000 cells" in source.errors[0][1]


def test_xlsx_that_is_not_a_zip_or_has_broken_parts_is_one_sentence(lander, tmp_path):
    parts, sheet = _xlsx_parts(tmp_path)
    cases = {
        "text.xlsx": None,
        "broken_xml.xlsx": sheet[: len(sheet) // 2],
        "no_sheet.xlsx": "",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is None:
            path.write_text("first_name,phone\nAnn,5551234567\n")
        elif text == "":
            _write_xlsx(path, {k: v for k, v in parts.items() if "worksheets" not in k})
        else:
            _write_xlsx(path, parts, text)
        proc = _import(lander, path)
        if proc.returncode == 0:
            assert "Traceback" not in proc.stderr
        else:
            assert_one_sentence(proc)


def test_nul_bytes_in_a_landers_csv_are_refused_per_row(data_dir, tmp_path):
    path = tmp_path / "landers.csv"
    path.write_bytes(b"client,campaign,lander,url\nA,B,C,https://a.example/1\nA,B\x00X,D,https://a.example/2\n"
                     b"A,B,E,https://a.example/3\x00\n")
    proc = run_cli("landers", "import", str(path), "--json", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["created"] == 1
    assert [p["line"] for p in report["problems"]] == [3, 4]
    assert all("NUL" in p["reason"] for p in report["problems"])
    listed = run_cli("landers", "list", "--json", data_dir=data_dir).stdout
    assert "\\u0000" not in listed
