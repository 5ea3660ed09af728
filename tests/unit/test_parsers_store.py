"""The parser store over a real SQLite file: versions, history, restore, duplicate, import, export, secrets."""

from __future__ import annotations

import json

import pytest

from parsers.presets import PRESET_NAMES, preset
from xsc_desktop import parsers_store as store
from xsc_desktop.errors import UserError
from xsc_desktop.models import Parser, ParserVersion, Secret


def test_list_shows_saved_parsers_then_read_only_presets(ctx):
    store.duplicate("captorra", "Alvarez Captorra", author="ana")
    rows = store.list_parsers()
    assert [r.name for r in rows] == ["Alvarez Captorra", *PRESET_NAMES]
    saved = rows[0]
    assert (saved.is_preset, saved.preset, saved.system, saved.version, saved.problems) == (False, "captorra", "captorra", 1, 0)
    assert rows[1].is_preset and rows[1].version is None
    assert rows[0].to_dict()["kind"] == "saved" and rows[1].to_dict()["kind"] == "preset"


def test_save_makes_versions_history_diff_and_restore(ctx):
    spec = preset("generic_json")
    spec.name = "Baker"
    assert store.save_parser(spec, author="ana", note="first").version == 1
    assert store.save_parser(spec, author="ana").version == 1  # unchanged: no new version
    spec.url = "https://baker.example/leads"
    assert store.save_parser(spec, author="bo", note="real endpoint").version == 2
    versions = store.history("Baker")
    assert [(v.version, v.author, v.note) for v in versions] == [(2, "bo", "real endpoint"), (1, "ana", "first")]
    diff = store.diff_versions("Baker", 1, 2)
    assert '-  "url": "{endpoint}",' in diff and '+  "url": "https://baker.example/leads",' in diff
    restored = store.restore_version("Baker", 1, author="cy")
    assert restored.version == 3 and store.get_parser("Baker").url == "{endpoint}"
    assert store.history("Baker")[0].note == "restored version 1"


def test_presets_are_read_only(ctx):
    with pytest.raises(UserError, match="read-only preset; duplicate it"):
        store.save_parser(preset("litify"))
    with pytest.raises(UserError, match="no saved versions"):
        store.history("litify")
    assert store.get_parser("litify") == preset("litify")


def test_duplicate_numbers_copies_and_refuses_a_taken_name(ctx):
    assert store.duplicate("ice").name == "ICE copy"
    assert store.duplicate("ice").name == "ICE copy 2"
    assert store.get_parser("ICE copy").preset == "ice"
    with pytest.raises(UserError, match="already exists"):
        store.duplicate("ice", "ICE copy")


def test_unknown_names_give_one_plain_sentence(ctx):
    with pytest.raises(UserError, match="There is no parser called 'nope'; `xsc-desktop parsers list` shows them."):
        store.get_parser("nope")


@pytest.mark.parametrize("content, fragment", [
    (b"{not json", "is not a parser file: the parser file is not valid JSON"),
    (b"[]", "is not a parser file: a parser must be a JSON object"),
    (b'{"url": "https://a.example"}', "the parser has no name"),
    (b'{"name": "x", "static": [1]}', "a static field must be a JSON object"),
    (b"\xff\xfe\x00garbage", "is not a text file in UTF-8"),
])
def test_malformed_import_is_one_error_and_saves_nothing(ctx, tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UserError, match=fragment):
        store.import_parser(path)
    assert Parser.select().count() == 0 and ParserVersion.select().count() == 0


def test_import_of_a_missing_file_or_a_preset_name_is_refused(ctx, tmp_path):
    with pytest.raises(UserError, match="There is no file"):
        store.import_parser(tmp_path / "missing.json")
    path = tmp_path / "captorra.json"
    path.write_text(preset("captorra").to_json())
    with pytest.raises(UserError, match="cannot be replaced; import it under another name"):
        store.import_parser(path)
    assert store.import_parser(path, name="Captorra Alvarez").version == 1


def test_secret_values_live_apart_and_exports_leave_them_out_unless_asked(ctx, tmp_path):
    spec = preset("generic_form")
    spec.name = "Hartvance"
    spec.static = [store_field("source_code", "HV-XSC"), store_field("api_key", "s3cr3t-KEY", secret=True)]
    path = tmp_path / "hv.json"
    path.write_text(spec.to_json())
    store.import_parser(path)
    assert "s3cr3t-KEY" not in json.dumps(Parser.get().spec) and "s3cr3t-KEY" not in json.dumps(ParserVersion.get().spec)
    assert store.parser_secrets("Hartvance") == {"api_key": "s3cr3t-KEY"}
    assert Secret.get().scope == "parser:Hartvance"

    plain = json.loads(store.export_parser("Hartvance"))
    assert [s["value"] for s in plain["static"]] == ["HV-XSC", ""]
    full = json.loads(store.export_parser("Hartvance", with_secrets=True))
    assert [s["value"] for s in full["static"]] == ["HV-XSC", "s3cr3t-KEY"]
    # Re-importing the full export round-trips without a new version or a leaked value.
    again = tmp_path / "again.json"
    again.write_text(json.dumps(full))
    assert store.import_parser(again).version == 1


def test_delete_removes_history_and_secrets(ctx):
    spec = preset("generic_json")
    spec.name = "Gone"
    store.save_parser(spec)
    store.set_parser_secret("Gone", "token", "abc")
    store.delete_parser("Gone")
    assert Parser.select().count() == 0 and ParserVersion.select().count() == 0 and Secret.select().count() == 0


def store_field(name, value, secret=False):
    from parsers.spec import StaticField

    return StaticField(name=name, value=value, location="body", secret=secret)
