"""Importing landers from CSV: headers by name, every bad row reported, re-imports idempotent."""

from __future__ import annotations

import pytest

from xsc_desktop.errors import UserError
from xsc_desktop.lander_import import import_landers, looks_like_landers_csv
from xsc_desktop.models import Client, Lander


def test_sample_file_imports_good_rows_and_reports_bad_ones(ctx, samples):
    path = samples / "landers" / "landers.csv"
    import json

    expected = json.loads((samples / "landers" / "landers.csv.expected.json").read_text())
    report = import_landers(path)
    assert report.created == expected["new_landers"]
    assert len(report.problems) == expected["problem_rows"]
    assert all("http" in reason for _line, reason in report.problems)
    assert Client.get(Client.name == "Harbor Injury, LLP")
    again = import_landers(path)
    assert again.created == 0 and Lander.select().count() == expected["new_landers"]


def _write(tmp_path, text: str, encoding="utf-8", name="landers.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolons_cp1252_and_odd_header_case_are_understood(ctx, tmp_path):
    path = _write(tmp_path, "CLIENT;Campaign;Name;Url;STATUS\r\nCafé Légal;Auto;Lyon;https://lyon.example/;Ready\r\n",
                  encoding="cp1252")
    report = import_landers(path)
    assert report.created == 1
    lander = Lander.get()
    assert lander.campaign.client.name == "Café Légal" and lander.status == "ready"


def test_bom_and_bad_status_line_numbers(ctx, tmp_path):
    text = ("\ufeffclient,campaign,lander,url,status,flags\n"
            "A,B,C,https://c.example/,ready,\n"
            "A,B,D,https://d.example/,sideways,\n"
            '"A, Inc",B,"E\nwith newline",https://e.example/,ready,dq;reroute\n'
            "A,B,F,https://f.example/,ready,\n")
    report = import_landers(_write(tmp_path, text))
    assert report.created == 3
    assert [line for line, _ in report.problems] == [3]
    assert "sideways" in report.problems[0][1]


def test_missing_columns_are_named(ctx, tmp_path):
    with pytest.raises(UserError, match="url"):
        import_landers(_write(tmp_path, "client,campaign,lander\nA,B,C\n"))


def test_empty_file_is_refused_in_a_sentence(ctx, tmp_path):
    with pytest.raises(UserError, match="empty"):
        import_landers(_write(tmp_path, ""))


def test_a_broken_row_does_not_half_write_the_import(ctx, tmp_path):
    path = _write(tmp_path, "client,campaign,lander,url\nA,B,C,https://c.example/\nA,B,\"D,https://d.example/\n")
    report = import_landers(path)
    # The unterminated quote swallows the rest of the file into one cell: that row is reported, the good one kept.
    assert report.created == 1 and report.problems


def test_large_file_streams(ctx, tmp_path):
    rows = "".join(f"Client {i % 7},Camp {i % 3},Lander {i},https://lp{i}.example/\n" for i in range(20000))
    report = import_landers(_write(tmp_path, "client,campaign,lander,url\n" + rows))
    assert report.created == 20000


def test_routing_recognises_a_landers_csv(tmp_path):
    assert looks_like_landers_csv(_write(tmp_path, "Client,Campaign,Lander,URL\n"))
    assert not looks_like_landers_csv(_write(tmp_path, "First Name,Phone\n", name="leads.csv"))
