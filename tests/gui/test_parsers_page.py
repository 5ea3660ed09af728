"""The Parsers page: presets read-only, duplicate, edit with a live preview, validation, versions, test posts."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QModelIndex, Qt

from tests.helpers.endpoint import RecordingEndpoint

EDIT = Qt.ItemDataRole.EditRole


@pytest.fixture
def page(window, qtbot):
    """The Parsers page, shown, with the questions it asks answered by the test."""
    window.show_page("parsers")
    parsers_page = window.pages["parsers"]
    answers = {"unsaved": "discard", "name": "Captorra Alvarez"}
    parsers_page.ask_unsaved = lambda: answers["unsaved"]
    parsers_page.ask_name = lambda *_args: answers["name"]
    parsers_page.answers = answers
    qtbot.waitUntil(lambda: parsers_page.list_model.rowCount() > 0)
    return parsers_page


@pytest.fixture
def copy(page, qtbot):
    """The page with an editable copy of the Captorra preset open."""
    assert page.select_parser("captorra", is_preset=True)
    page.duplicate_current()
    qtbot.waitUntil(lambda: page._current_name == "Captorra Alvarez" and not page._current_is_preset)
    return page


def _mapping_row(page, target: str) -> int:
    return next(i for i, m in enumerate(page.editor.spec().mappings) if m.target == target)


def test_presets_open_read_only_with_a_duplicate_button(page):
    assert page.select_parser("captorra", is_preset=True)
    assert page.editor.read_only
    assert page.preset_note.isVisibleTo(page)
    assert page.duplicate_button.text() == "Duplicate to edit"
    assert not page.save_button.isEnabled()
    index = page.editor.mappings_model.index(0, 0)
    assert not page.editor.mappings_model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert not page.editor.mappings_model.setData(index, "Changed", EDIT)
    assert "captorraapi.captorra.com" in page.preview.request_view.toPlainText()


def test_search_narrows_the_list(page):
    page.search.setText("clio")
    names = [page.list_model.entry_at(r).name for r in range(page.list_model.rowCount())]
    assert names == ["clio_grow"]
    page.search.clear()
    assert page.list_model.rowCount() >= 12


def test_duplicate_makes_an_editable_version_1(copy):
    assert not copy.editor.read_only
    assert copy.editor.spec().preset == "captorra"
    assert copy.history_model.rowCount() == 1
    assert copy.state_label.text() == "version 1"
    assert copy.list_model.row_of("Captorra Alvarez", False) >= 0


def test_editing_a_mapping_changes_the_preview(copy, qtbot):
    model = copy.editor.mappings_model
    row = _mapping_row(copy, "First")
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        assert model.setData(model.index(row, model.TARGET), "FirstName", EDIT)
    text = copy.preview.request_view.toPlainText()
    assert '"FirstName": "Jane"' in text and '"First":' not in text
    assert copy.is_dirty() and "unsaved changes" in copy.state_label.text()


def test_typing_in_the_url_updates_the_preview(copy, qtbot):
    edit = copy.editor.url_edit
    edit.selectAll()
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        qtbot.keyClicks(edit, "https://intake.example/leads?src=x")
    assert copy.preview.request_view.toPlainText().startswith("POST https://intake.example/leads?src=x")


def test_an_invalid_url_is_listed_as_a_problem(copy, qtbot):
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        copy.editor.url_edit.setText("not a url")
        copy.editor.url_edit.textEdited.emit("not a url")
    assert any("endpoint URL" in line and "not a valid http(s) URL" in line for line in copy.preview.problem_texts())


def test_a_bad_regex_in_a_rule_is_listed_as_a_problem(copy, qtbot):
    rules = copy.editor.rules_model
    copy.editor.rules_section.add()
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        rules.setData(rules.index(0, rules.BODY), "([unclosed", EDIT)
    problems = copy.preview.problem_texts()
    assert any("response rule 1" in p and "not a valid regular expression" in p for p in problems), problems
    item = next(copy.preview.problems.item(i) for i in range(copy.preview.problems.count())
                if "response rule 1" in copy.preview.problems.item(i).text())
    copy.editor.tabs.setCurrentIndex(0)
    copy.preview.problems.itemActivated.emit(item)  # double-click: go to the rule
    assert copy.editor.tabs.currentWidget() is copy.editor.rules_section
    assert copy.editor.rules_section.current_row() == 0
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        rules.setData(rules.index(0, rules.BODY), "ok", EDIT)
    assert not any("regular expression" in p for p in copy.preview.problem_texts())


def test_a_missing_required_value_is_named(copy, qtbot):
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        copy.preview.lead_combo.setCurrentIndex(3)  # the lead without a name
    problems = copy.preview.problem_texts()
    assert any("First (first_name)" in p and "would not be sent" in p for p in problems), problems
    assert '"First": ""' in copy.preview.request_view.toPlainText()  # shown empty, keeping the request's shape
    assert copy.preview.request_summary.text().startswith("Incomplete, would not be sent")


def test_an_edited_lead_json_is_previewed(copy, qtbot):
    copy.preview.edit_lead_button.setChecked(True)
    lead = {"first_name": "Zoë", "last_name": "Ng", "phone": "(214) 555-0123"}
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        copy.preview.lead_edit.setPlainText(json.dumps(lead))
    text = copy.preview.request_view.toPlainText()
    assert '"First": "Zoë"' in text and '"Primary": "2145550123"' in text
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        copy.preview.lead_edit.setPlainText("{broken")
    assert any("not valid JSON" in p for p in copy.preview.problem_texts())


def test_drag_reorders_mappings_and_the_body(copy, qtbot):
    model = copy.editor.mappings_model
    first = model.item_at(0).target
    data = model.mimeData([model.index(0, 0)])
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert model.item_at(2).target == first
    body = copy.preview.request_view.toPlainText()
    second, third = model.item_at(1).target, model.item_at(2).target
    assert body.index(f'"{second}"') < body.index(f'"{third}"')


def test_transform_chain_dialog_edits_a_chain(copy, qtbot):
    from ui.dialogs.transform_chain_dialog import TransformChainDialog

    mapping = copy.editor.spec().mappings[_mapping_row(copy, "Primary")]
    dialog = TransformChainDialog(mapping.transforms, "Primary", "2145550100")
    qtbot.addWidget(dialog)
    dialog._arg_widgets["format"].setCurrentText("dashes")
    assert dialog.try_output.text() == "“214-555-0100”"
    dialog.add_step("truncate")
    assert "needs the argument 'length'" in dialog.step_problems.text()
    dialog._arg_widgets["length"].setValue(7)
    assert dialog.step_problems.text() == ""
    assert [(s.name, s.args) for s in dialog.steps()] == [("phone", {"format": "dashes"}), ("truncate", {"length": 7})]
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        copy.editor.mappings_model.set_transforms(_mapping_row(copy, "Primary"), dialog.steps())
    assert '"Primary": "214-555"' in copy.preview.request_view.toPlainText()


def test_save_makes_version_2_and_history_restores_version_1(copy, qtbot):
    model = copy.editor.mappings_model
    row = _mapping_row(copy, "Email")
    model.setData(model.index(row, model.TARGET), "EmailAddress", EDIT)
    with qtbot.waitSignal(copy.saved, timeout=1000) as saved:
        assert copy.save()
    assert saved.args == ["Captorra Alvarez", 2]
    assert not copy.is_dirty() and copy.state_label.text() == "version 2"
    assert [copy.history_model.entry_at(r).version for r in range(2)] == [2, 1]

    copy.history_view.selectRow(0)
    diff = copy.diff_view.toPlainText()
    assert '-      "target": "Email",' in diff and '+      "target": "EmailAddress",' in diff

    copy.history_view.selectRow(1)
    assert copy.restore_button.isEnabled()
    copy.restore_selected()
    assert copy.state_label.text() == "version 3"
    assert copy.editor.spec().mapping("Email") is not None
    assert copy.editor.spec().mapping("EmailAddress") is None


def test_unsaved_changes_are_not_lost_on_leaving_the_parser(copy):
    model = copy.editor.mappings_model
    model.setData(model.index(0, model.DEFAULT), "someone", EDIT)
    copy.answers["unsaved"] = "cancel"
    assert not copy.select_parser("litify", is_preset=True)
    assert copy._current_name == "Captorra Alvarez" and copy.is_dirty()
    copy.answers["unsaved"] = "save"
    assert copy.select_parser("litify", is_preset=True)
    from xsc_desktop import parsers_store

    assert parsers_store.get_summary("Captorra Alvarez").version == 2


def test_unsaved_changes_ask_before_the_window_closes(copy, window):
    model = copy.editor.mappings_model
    model.setData(model.index(0, model.DEFAULT), "someone", EDIT)
    copy.answers["unsaved"] = "cancel"
    assert window.close_guard() is False
    copy.answers["unsaved"] = "discard"
    assert window.close_guard() is True
    assert not copy.is_dirty()


def test_leaving_the_page_with_unsaved_changes_asks(copy, window, qtbot):
    model = copy.editor.mappings_model
    model.setData(model.index(0, model.DEFAULT), "someone", EDIT)
    copy.answers["unsaved"] = "cancel"
    window.show_page("landers")
    qtbot.waitUntil(lambda: window.current_page_key() == "parsers")
    assert copy.is_dirty()


def test_export_leaves_secrets_out_unless_asked_and_import_reads_it_back(copy, tmp_path, qtbot):
    from parsers.spec import StaticField

    copy.editor.static_section.model.add_item(StaticField("ApiKey", "sk-live-123", "header", True))
    assert copy.editor.static_model.data(copy.editor.static_model.index(2, 1)) == "••••"
    copy.editor.reveal_static.setChecked(True)
    assert copy.editor.static_model.data(copy.editor.static_model.index(2, 1)) == "sk-live-123"
    assert copy.save()
    plain, full = tmp_path / "plain.json", tmp_path / "full.json"
    assert copy.export_to(plain) and copy.export_to(full, with_secrets=True)
    assert "sk-live-123" not in plain.read_text() and "sk-live-123" in full.read_text()
    assert "sk-live-123" not in copy.preview.request_view.toPlainText()

    data = json.loads(plain.read_text())
    data["name"] = "Imported copy"
    source = tmp_path / "import.json"
    source.write_text(json.dumps(data))
    assert copy.import_file(source) == "Imported copy"
    assert copy._current_name == "Imported copy" and copy.editor.spec().mapping("First") is not None


def test_a_malformed_file_imports_nothing(page, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.pages.parsers_page.show_error", lambda _parent, _title, message: shown.append(str(message)))
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "mappings": 5}')
    before = page.list_model.rowCount()
    assert page.import_file(bad) is None
    assert shown and "not a parser file" in shown[0]
    assert page.list_model.rowCount() == before


@pytest.fixture
def threaded_tasks():
    """Real worker threads for run_task (the window fixture runs tasks inline)."""
    from ui import workers

    workers.set_runner(None)
    yield
    workers.wait_for_tasks(10000)


def test_send_test_posts_to_the_endpoint_and_shows_the_outcome(copy, qtbot, threaded_tasks):
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/create", status=200, body=b'{"success": true, "id": "C-77", "message": "Good post"}',
                        headers={"Content-Type": "application/json"})
        copy.editor.url_edit.setText(endpoint.url("/create"))
        copy.editor.url_edit.textEdited.emit(endpoint.url("/create"))
        copy.editor.test_values.set_value("CaptorraId", "310775")
        copy.editor.test_values.set_value("Referrer", "ref-guid")
        with qtbot.waitSignal(copy.test_finished, timeout=10000) as finished:
            copy.preview.send_button.click()
            assert not copy.preview.send_button.isEnabled()  # the post runs on a worker; the window goes on
        attempt = finished.args[0]
        received = endpoint.wait_for(1)[0]
    assert attempt.status == 200 and attempt.outcome.kind == "accepted"
    body = json.loads(received.body)
    assert body["First"] == "TEST" and body["CaptorraId"] == "310775"  # Captorra has no test switch: a TEST lead
    assert "Accepted" in copy.preview.outcome_label.text()
    assert copy.preview.send_button.isEnabled() and "HTTP 200" in copy.preview.send_state.text()
    assert "Good post" in copy.preview.answer_view.toPlainText()

    row = copy.add_rule_from_answer("accepted")
    rule = copy.editor.rules_model.item_at(row)
    assert (rule.json_path, rule.equals, rule.remote_id.expr) == ("$.success", "true", "$.id")
    assert copy.is_dirty()


def test_send_test_says_what_is_missing_instead_of_posting(page, qtbot):
    assert page.select_parser("ice", is_preset=True)
    page.send_test()
    assert "Not sent." in page.preview.send_state.text()
    assert "endpoint is empty: type its test value under Auth &amp; settings" in page.preview.outcome_label.text()


def test_every_model_passes_the_model_tester(copy, qtmodeltester):
    from parsers.spec import ResponseRule, StaticField
    from ui.models.parser_models import HeaderItem

    editor = copy.editor
    editor.rules_model.add_item(ResponseRule("rejected", status="4xx", body_regex="error"))
    editor.static_model.add_item(StaticField("Key", "abc", "header", True))
    editor.headers_model.add_item(HeaderItem("X-Source", "xsc"))
    copy.save()
    for model in (copy.list_model, copy.history_model, editor.mappings_model, editor.static_model,
                  editor.headers_model, editor.rules_model, editor.settings_model):
        assert model.rowCount() > 0, type(model).__name__
        qtmodeltester.check(model)


def test_cells_are_edited_through_their_editors(copy, qtbot):
    from PySide6.QtWidgets import QComboBox, QLineEdit

    table = copy.editor.mappings_section.table
    model = copy.editor.mappings_model
    copy.editor.tabs.setCurrentWidget(copy.editor.mappings_section)
    row = _mapping_row(copy, "Keyword")
    index = model.index(row, model.SOURCE)
    table.setCurrentIndex(index)
    table.edit(index)
    combo = table.viewport().findChild(QComboBox)
    assert combo is not None and combo.isEditable()
    combo.setCurrentIndex(combo.findData("case_type"))
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        qtbot.keyClick(combo, Qt.Key.Key_Return)
    assert model.item_at(row).source == "case_type"
    assert '"Keyword": "Auto Accident"' in copy.preview.request_view.toPlainText()

    index = model.index(row, model.TARGET)
    table.setCurrentIndex(index)
    table.edit(index)
    line = table.viewport().findChild(QLineEdit)
    line.selectAll()
    qtbot.keyClicks(line, "CaseType")
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        qtbot.keyClick(line, Qt.Key.Key_Return)
    assert '"CaseType": "Auto Accident"' in copy.preview.request_view.toPlainText()


def test_auth_secrets_are_masked_in_the_editor_and_the_preview(copy, qtbot):
    from PySide6.QtWidgets import QLineEdit

    editor = copy.editor
    editor.tabs.setCurrentIndex(3)
    editor.auth_combo.setCurrentIndex(editor.auth_combo.findData("api_key"))
    for edit, text in ((editor.auth_secret_edit, "ApiKey"), (editor.auth_name_edit, "X-Api-Key")):
        edit.setText(text)
        edit.textEdited.emit(text)
    secret_edit = editor.test_values._secrets["ApiKey"]
    assert secret_edit.echoMode() == QLineEdit.EchoMode.Password
    with qtbot.waitSignal(copy.preview_updated, timeout=1000):
        qtbot.keyClicks(secret_edit, "live-key-998")
    text = copy.preview.request_view.toPlainText()
    assert "X-Api-Key: ••••" in text and "live-key-998" not in text
    editor.test_values.reveal.setChecked(True)
    assert secret_edit.echoMode() == QLineEdit.EchoMode.Normal
    assert "live-key-998" not in copy.editor.spec().to_json()  # the value never enters the parser
