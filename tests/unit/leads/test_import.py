"""Lead file import: the shared samples, encodings, broken files, duplicates, cancel — on a real database (SQLite
and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from xsc_desktop import lead_files, lead_import, leads, settings
from xsc_desktop.errors import UserError
from xsc_desktop.models import Lander, Lead

HEADER = "Lead ID,First Name,Last Name,Email Address,Phone,State,Zip,Favourite colour\n"


@pytest.fixture
def lander(ctx):
    from xsc_desktop.landers import add_lander

    return add_lander(client="Acme Law", campaign="Auto", name="Auto lander", url="https://landers.example/auto")


@pytest.mark.parametrize("name", ["leads_utf8_bom.csv", "leads.jsonl", "leads.xlsx"])
def test_samples_import_as_expected(samples, lander, name):
    path = samples / "leads" / name
    expected = json.loads((samples / "leads" / f"{name}.expected.json").read_text())
    report = leads.import_file(path, lander.id)
    assert report.rows == expected["rows"]
    assert report.importable == expected["importable"]
    assert report.problem_rows == expected["problem_rows"]
    assert report.held == expected["problem_rows"]  # kept, flagged, listed — never dropped silently
    for sample in expected["sample"]:
        lead = Lead.get((Lead.lander == lander.id) & (Lead.external_id == sample["external_id"]))
        assert (lead.phone, lead.state, lead.email, lead.zip) == (
            sample["phone"], sample["state"], sample["email"], sample["zip"])
        assert (lead.delivery_state == "held") == sample["bad"]
    again = leads.import_file(path, lander.id)
    assert again.imported == 0 and again.already_there == expected["rows"]
    assert Lead.select().count() == expected["rows"]


def test_unknown_columns_are_custom_fields_and_dates_are_parsed(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_text(HEADER.replace("\n", ",Date Submitted,DOB\n")
                    + "A1,Ana,Lee,ANA@Example.com,+1 (214) 555-0100,New York,07020,green,11/20/2026 2:03 PM,"
                      "03/04/1980\n")
    report = leads.import_file(path, lander.id)
    assert report.mapping["Favourite colour"] is None
    lead = Lead.get(Lead.external_id == "A1")
    assert lead.custom == {"Favourite colour": "green"}
    assert (lead.email, lead.phone, lead.state, lead.zip) == ("ana@example.com", "2145550100", "NY", "07020")
    assert lead.captured_at == datetime(2026, 11, 20, 14, 3)
    assert lead.date_of_birth == "1980-03-04"


def test_confirmed_mapping_is_remembered_per_lander(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_text("Ref,Given,Family,Mail,Cell,Colour\nR1,Ana,Lee,a@b.co,2145550100,blue\n")
    preview = leads.preview_file(path, lander.id)
    assert preview.mapping["Colour"] is None
    mapping = dict(preview.mapping, Colour="case_type")
    leads.import_file(path, lander.id, mapping)
    assert leads.preview_file(path, lander.id).mapping["Colour"] == "case_type"
    assert Lead.get(Lead.external_id == "R1").case_type == "blue"


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_encodings(tmp_path, lander, encoding):
    path = tmp_path / "x.csv"
    path.write_bytes((HEADER + "E1,Renée,Müller,r@x.com,2145550100,TX,75201,rot\n").encode(encoding))
    leads.import_file(path, lander.id)
    assert Lead.get(Lead.external_id == "E1").first_name == "Renée"


def test_mixed_encodings_read_line_by_line(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_bytes(HEADER.encode() + "E1,Renée,A,r@x.com,2145550100,TX,75201,\n".encode()
                     + "E2,Zoë,B,z@x.com,2145550101,TX,75201,\n".encode("cp1252"))
    report = leads.import_file(path, lander.id)
    assert [lead.first_name for lead in Lead.select().order_by(Lead.id)] == ["Renée", "Zoë"]
    assert "mixed" in report.encoding


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
def test_lines_read_by_blocks_are_the_lines_of_the_file(tmp_path, monkeypatch, block):
    """Lines come out as iterating the file would give them, whatever the block size: split on \\n only, a BOM
    dropped, each line UTF-8 or else cp1252, a line longer than a block whole; the byte count ends at the size."""
    monkeypatch.setattr(lead_files, "READ_BLOCK", block)
    data = ("\ufeffa,b\r\n" + "x" * 150 + "\n").encode() + "Zoë\rno split\n".encode("cp1252") + "Zoë\nlast".encode()
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    counter = [0, 0, None]
    lines = []
    for line in lead_files._lines_utf8_or_cp1252(path, counter):
        lines.append(line)
        assert lead_files._position(counter) <= len(data)
    assert lines == ["a,b\r\n", "x" * 150 + "\n", "Zoë\rno split\n", "Zoë\n", "last"]
    assert counter[0] == len(data) and counter[1] == 1


def test_semicolon_csv_and_long_values(tmp_path, lander):
    path = tmp_path / "x.csv"
    long_text = "x" * 10_000
    path.write_text("Lead ID;Email;Description\nE1;a@b.co;" + long_text + "\n")
    report = leads.import_file(path, lander.id)
    assert report.imported == 1 and not report.problems
    assert Lead.get(Lead.external_id == "E1").description == long_text


def test_a_stray_nul_character_in_a_json_file_never_fails_the_import(tmp_path, lander):
    path = tmp_path / "nul.jsonl"
    path.write_text(json.dumps({"Lead ID": "N1", "Email": "nul@b.co", "City": "Re\x00no"}) + "\n"
                    + json.dumps({"Lead ID": "N2", "Email": "ok@b.co", "City": "Elko"}) + "\n", encoding="utf-8")
    report = leads.import_file(path, lander.id)
    assert report.imported == 2
    assert Lead.get(Lead.external_id == "N2").city == "Elko"
    assert Lead.get(Lead.external_id == "N1").city.replace("\x00", "") == "Reno"


def test_row_with_wrong_value_count_is_reported_by_line_and_the_rest_kept(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "E1,Ana,Lee,a@b.co,2145550100,TX,75201,\n"
                    "E2,Bo,\"Lee,b@b.co,2145550101,TX,75201,\n"
                    "E3,Cy,Lee,c@b.co,2145550102,TX,75201,\n")
    report = leads.import_file(path, lander.id)
    assert Lead.get(Lead.external_id == "E1")
    assert report.problems and report.problems[0][0] == 3
    assert "quotes" in report.problems[0][1]


def test_quote_never_closed_in_a_big_file_stops_with_a_clear_message(tmp_path, lander, monkeypatch):
    monkeypatch.setattr(lead_files, "CSV_FIELD_LIMIT", 5_000)
    path = tmp_path / "x.csv"
    good = "".join(f"E{n},A,B,a{n}@b.co,21455501{n % 100:02d},TX,75201,\n" for n in range(50))
    path.write_text(HEADER + good + 'E99,"broken,B,x@b.co,2145550100,TX,75201,\n' + good.replace("E", "F") * 3)
    report = leads.import_file(path, lander.id)
    assert report.imported == 50  # what came before is kept
    assert report.error and "line 52" in report.error and "quote" in report.error


def test_rows_without_phone_or_email_are_held_not_dropped(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "E1,Ana,Lee,,,TX,75201,\nE2,Bo,Lee,not-an-email,123,TX,75201,\n")
    report = leads.import_file(path, lander.id)
    assert [lead.delivery_state for lead in Lead.select().order_by(Lead.id)] == ["held", "held"]
    assert {line for line, _m in report.problems} == {2, 3}
    assert any("not a US phone" in m for _l, m in report.problems)


def test_rows_without_id_are_not_duplicated_on_reimport(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_text("Name,Email\nAna Lee,a@b.co\nBo Lee,b@b.co\n")
    leads.import_file(path, lander.id)
    again = leads.import_file(path, lander.id)
    assert again.already_there == 2 and Lead.select().count() == 2
    assert Lead.get(Lead.email == "a@b.co").first_name == "Ana"


def test_duplicate_rule_flags_same_phone_or_email_within_days(tmp_path, lander):
    settings.set("delivery.duplicate_days", 30)
    day = datetime(2026, 11, 1)
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "E1,Ana,Lee,a@b.co,2145550100,TX,75201,\n")
    leads.import_file(first, lander.id, now=day)
    second = tmp_path / "b.csv"
    second.write_text(HEADER + "E2,Ana,Lee,other@b.co,214-555-0100,TX,75201,\n"
                               "E3,Bo,Lee,b@b.co,2145550199,TX,75201,\n"
                               "E4,Bo,Lee,B@b.co,,TX,75201,\n")
    report = leads.import_file(second, lander.id, now=day + timedelta(days=10))
    states = {lead.external_id: lead.delivery_state for lead in Lead.select()}
    assert states == {"E1": "new", "E2": "duplicate", "E3": "new", "E4": "duplicate"}
    assert report.duplicates == 2
    assert Lead.get(Lead.external_id == "E2").duplicate_of == Lead.get(Lead.external_id == "E1").id
    late = tmp_path / "c.csv"
    late.write_text(HEADER + "E5,Ana,Lee,a@b.co,2145550100,TX,75201,\n")
    leads.import_file(late, lander.id, now=day + timedelta(days=45))
    assert Lead.get(Lead.external_id == "E5").delivery_state == "new"


def test_progress_and_cancel_keep_what_was_stored(tmp_path, lander, monkeypatch):
    monkeypatch.setattr(lead_import, "BATCH_ROWS", 500)
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(f"E{n},A,B,a{n}@b.co,2145550100,TX,75201,\n" for n in range(5000)))
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done < total:
            cancel.set()

    report = leads.import_file(path, lander.id, progress=progress, cancel=cancel)
    assert report.cancelled and seen
    assert 0 < report.imported < 5000 and Lead.select().count() == report.imported
    rest = leads.import_file(path, lander.id)
    assert rest.imported == 5000 - report.imported


def test_json_array_and_bad_json_lines(tmp_path, lander):
    array = tmp_path / "a.json"
    array.write_text(json.dumps({"leads": [{"id": "J1", "contact": {"first_name": "Ana", "email": "a@b.co"}},
                                           {"id": "J2", "phone": "2145550100", "tags": ["x", "y"]}]}))
    leads.import_file(array, lander.id)
    assert Lead.get(Lead.external_id == "J1").first_name == "Ana"
    assert Lead.get(Lead.external_id == "J2").custom == {"tags": '["x", "y"]'}
    lines = tmp_path / "b.jsonl"
    lines.write_text('{"id": "K1", "email": "k@b.co"}\n{"id": "K2", "email": \n{"id": "K3", "email": "m@b.co"}\n')
    report = leads.import_file(lines, lander.id)
    assert report.imported == 2 and report.problems[0][0] == 2 and "not valid JSON" in report.problems[0][1]


def test_xlsx_numbers_keep_their_zeros(tmp_path, lander):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Lead ID", "Email", "Zip", "Phone"])
    sheet.append(["X1", "a@b.co", 7020, 2145550100])
    path = tmp_path / "x.xlsx"
    book.save(path)
    leads.import_file(path, lander.id)
    lead = Lead.get(Lead.external_id == "X1")
    assert (lead.zip, lead.phone) == ("07020", "2145550100")


def test_unreadable_files_say_what_to_do(tmp_path, lander):
    with pytest.raises(UserError, match="does not exist"):
        leads.import_file(tmp_path / "missing.csv", lander.id)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable Excel"):
        leads.import_file(bad, lander.id)
    broken = tmp_path / "bad.json"
    broken.write_text("{\"leads\": [{\"a\": 1},")
    with pytest.raises(UserError, match="not valid JSON"):
        leads.import_file(broken, lander.id)
    with pytest.raises(UserError, match="no lander"):
        leads.import_file(bad, 999)


def test_drop_routing_checks_content(tmp_path, samples, lander):
    assert leads.looks_like_lead_file(samples / "leads" / "leads_utf8_bom.csv")
    assert leads.looks_like_lead_file(samples / "leads" / "leads.xlsx")
    landers_csv = next((samples / "landers").glob("*.csv"))
    assert not leads.looks_like_lead_file(landers_csv)
    doc = tmp_path / "doc.csv"
    doc.write_text("Field,Required,Example\nFirst,yes,Ana\nEmail,yes,a@b.co\n")
    assert not leads.looks_like_lead_file(doc)


def test_lander_counts_from_one_grouped_query(tmp_path, lander):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "E1,A,B,a@b.co,,TX,75201,\nE2,A,B,,,TX,75201,\n")
    leads.import_file(path, lander.id)
    Lead.update(delivery_state="delivered").where(Lead.external_id == "E1").execute()
    counts = leads.lander_counts(lander.id)
    # A lead without phone or e-mail is held (kept, waiting for a person), not failed.
    assert counts == {"today": 2, "delivered": 1, "failed": 0, "pending": 0, "held": 1, "records": 0, "total": 2}


@pytest.mark.parametrize(("now", "today"), [
    (datetime(2026, 11, 28, 3, 0), 2),  # 21:00 on the 27th in Chicago: its day began at 06:00 UTC on the 27th
    (datetime(2026, 11, 28, 10, 0), 0),  # 04:00 on the 28th in Chicago: nothing came in since local midnight
])
def test_lander_counts_today_from_local_midnight_in_the_operators_zone(lander, monkeypatch, now, today):
    from tests.helpers.lead_world import add_leads

    monkeypatch.setenv("XSC_TIMEZONE", "America/Chicago")
    # 23:00 on the 26th, 04:00 and 20:00 on the 27th in Chicago.
    received = [datetime(2026, 11, 27, 5, 0), datetime(2026, 11, 27, 10, 0), datetime(2026, 11, 28, 2, 0)]
    for lead_id, moment in zip(add_leads(lander.id, 3), received, strict=True):
        Lead.update(received_at=moment).where(Lead.id == lead_id).execute()
    assert leads.lander_counts(lander.id, now)["today"] == today
    assert leads.lander_counts(lander.id, now.replace(tzinfo=UTC))["today"] == today


def test_export_neutralises_formulas(tmp_path, samples, lander):
    leads.import_file(samples / "leads" / "leads_utf8_bom.csv", lander.id)
    out = tmp_path / "out.csv"
    assert leads.export_csv(out, lander_id=lander.id) == 40
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert Path(str(out) + ".part").exists() is False
    assert Lander.get_by_id(lander.id)


def test_json_array_is_streamed_and_a_broken_item_keeps_the_ones_before(tmp_path, lander, monkeypatch):
    items = [{"id": f"S{n}", "email": f"s{n}@b.co", "notes": "x" * 300} for n in range(5000)]
    whole = tmp_path / "big.json"
    whole.write_text(json.dumps(items))
    report = leads.import_file(whole, lander.id)
    assert report.imported == 5000 and not report.problems
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(items[:3])[:-1] + ', {"id": "S9", "email": }, {"id": "S10"}]')
    report = leads.import_file(broken, lander.id)
    assert report.already_there == 3 and report.problems[0][0] == 4
    assert "not valid JSON" in report.problems[0][1]
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(items[:2])[:-1])
    report = leads.import_file(cut, lander.id)
    assert report.already_there == 2 and "cut off" in report.problems[0][1]
