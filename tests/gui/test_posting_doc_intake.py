"""Posting docs in the window: drops routed by what they are, the review dialog with highlights, Apply, lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QComboBox, QMessageBox

from tests.conftest import SAMPLES as SHARED_SAMPLES
from tests.gui.conftest import close_window

SAMPLES = SHARED_SAMPLES
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "postingdocs"


@pytest.fixture
def lander(ctx):
    # Made through the models, so no lander event starts the board's reload timer mid-test.
    from xsc_desktop.models import Campaign, Client, Lander

    campaign = Campaign.create(client=Client.create(name="Alvarez Accident Lawyers", contacts=["ops@alvarez.example"]),
                               name="Auto")
    return Lander.create(campaign=campaign, name="Dallas Auto", url="https://dallas-auto.example/", status="ready")


def _drop(window, paths: list[Path], at: QPoint) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert event.isAccepted() and event.dropAction() == Qt.DropAction.CopyAction


def _row_point(window, lander_id: int) -> QPoint:
    """The window position of a lander's row on the board."""
    board = window.page("landers")
    row = board.model.row_of(lander_id)
    rect = board.table.visualRect(board.model.index(row, 1))
    return board.table.viewport().mapTo(window, rect.center())


def _opened(window, qtbot, paths, lander_id=None):
    intake = window.posting_doc_intake
    with qtbot.waitSignal(intake.review_opened, timeout=10000) as blocker:
        window.handle_files(paths, lander_id)
    return blocker.args[0]


def test_doc_dropped_on_a_lander_row_is_reviewed_edited_and_applied(qtbot, window, lander):
    from ui.models.posting_doc_models import MASK
    from xsc_desktop import integrations
    from xsc_desktop.models import Secret

    board = window.page("landers")
    board.reload()
    intake = window.posting_doc_intake
    with qtbot.waitSignal(intake.review_opened, timeout=10000) as blocker:
        _drop(window, [SAMPLES / "postingdocs" / "s01_captorra_basic.txt"], _row_point(window, lander.id))
    dialog = blocker.args[0]
    assert dialog.isVisible() and dialog.lander_id() == lander.id
    assert "Reading posting doc" in window.statusBar().currentMessage() or \
        "1 posting doc read" in window.statusBar().currentMessage()

    # The doc's text sits beside the draft with what was read highlighted.
    highlighted = dialog.highlighted()
    assert ("endpoint", "https://captorraapi.captorra.com/api/captorraapi/create") in highlighted
    names = [f["name"] for f in dialog.draft["fields"]]
    details = names.index("Details")
    assert (f"field:{details}", "Details") in highlighted
    # Selecting a draft value scrolls the text to its place.
    with qtbot.waitSignal(dialog.jumped) as jumped:
        dialog.fields_view.setCurrentIndex(dialog.fields_model.index(details, 0))
    assert jumped.args == [f"field:{details}"]
    place = next(m for m in dialog.marks if m.key == f"field:{details}")
    assert dialog.text_view.textCursor().position() == place.start

    # The operator maps Details to the case type through the table's drop-down.
    view, model = dialog.fields_view, dialog.fields_model
    index = model.index(details, model.MAPS_TO_COLUMN)
    view.edit(index)
    editor = view.findChild(QComboBox)
    assert editor is not None
    editor.setCurrentIndex(editor.findData("case_type"))
    editor.activated.emit(editor.currentIndex())
    assert dialog.draft["fields"][details]["maps_to"] == "case_type"
    assert index.data() == "Case type (case_type)"
    # ... and adds the client's API key, which is masked on screen.
    row = dialog.static_model.add_item({"name": "api_key", "value": "", "location": "header", "secret": True})
    dialog.static_model.setData(dialog.static_model.index(row, 1), "sk-live-98765")
    assert dialog.static_model.index(row, 1).data() == MASK

    with qtbot.waitSignal(dialog.applied, timeout=10000) as applied:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "sk-live-98765" not in str(applied.args[0])
    assert "Applied" in window.statusBar().currentMessage()

    integration = integrations.get_integration(lander.id)
    spec = integrations.spec_for(integration)
    assert spec.system == "captorra"
    assert next(m for m in spec.mappings if m.target == "Details").source == "case_type"
    shown = integrations.view(lander.id)
    assert shown.settings["CaptorraId"] == "310775"
    assert shown.secrets["api_key"] not in ("", "sk-live-98765")
    assert integrations.secrets_for(integration)["api_key"] == "sk-live-98765"
    assert "sk-live-98765" not in Secret.get(Secret.name == "api_key").value  # sealed, never plain text
    assert integrations.missing_info(lander.id) == []  # complete for the next gather

    # The lander pane lists the doc, applied; a double-click opens its review again.
    qtbot.waitUntil(lambda: board.select_lander(lander.id))
    docs = board.detail.posting_docs
    qtbot.waitUntil(lambda: docs.model.rowCount() == 1)
    assert docs.model.index(0, 4).data() == "Applied"
    with qtbot.waitSignal(intake.review_opened) as reopened:
        docs.open_row(0)
    assert reopened.args[0].draft["fields"][details]["maps_to"] == "case_type"


def test_every_fixture_format_opens_a_review_with_highlights(qtbot, window):
    docs = [SAMPLES / "postingdocs" / "s02_generic_json_pdf.pdf", SAMPLES / "postingdocs" / "s04_fields_xlsx.xlsx",
            FIXTURES / "f02_law_ruler.docx", FIXTURES / "f04_clio_grow.eml", FIXTURES / "f08_generic_xml.html",
            FIXTURES / "f07_intakedesk.csv", FIXTURES / "f11_bare_payload.json"]
    intake = window.posting_doc_intake
    seen = []

    def check_and_close(dialog) -> None:
        keys = {key for key, _text in dialog.highlighted()}
        secrets = [s["value"] for s in dialog.draft["static"] if s["secret"] and s["value"]]
        seen.append((dialog.review.name, any(k.startswith("field:") for k in keys),
                     any(secret in dialog.text_view.toPlainText() for secret in secrets), len(intake.dialogs)))
        dialog.close()

    intake.review_opened.connect(check_and_close)
    with qtbot.waitSignal(intake.review_opened, timeout=10000, check_params_cb=lambda _d: len(seen) == len(docs)):
        window.handle_files(docs)
    assert [name for name, *_ in seen] == [d.name for d in docs]
    assert all(highlighted and not secret_shown and alone == 1 for _n, highlighted, secret_shown, alone in seen)
    assert "7 posting docs read" in window.statusBar().currentMessage()


def test_several_docs_are_reviewed_one_after_another(qtbot, window):
    intake = window.posting_doc_intake
    docs = [SAMPLES / "postingdocs" / "s01_captorra_basic.txt", SAMPLES / "postingdocs" / "s03_form_html.html"]
    with qtbot.waitSignal(intake.review_opened, timeout=10000) as first:
        window.handle_files(docs)
    qtbot.waitUntil(lambda: len(intake.waiting) == 1)
    assert [d.review.name for d in intake.dialogs] == ["s01_captorra_basic.txt"]
    with qtbot.waitSignal(intake.review_opened) as second:
        first.args[0].close_button.click()
    assert second.args[0].review.name == "s03_form_html.html" and intake.waiting == []


def test_corrupt_file_gets_one_sentence_and_is_stored(qtbot, window, tmp_path):
    from xsc_desktop.intake.review import STATE_UNREADABLE, docs_overview

    bad = tmp_path / "instructions.docx"
    bad.write_bytes(b"PK\x03\x04 this archive was cut off in the mail")
    intake = window.posting_doc_intake
    with qtbot.waitSignal(intake.problem_shown, timeout=10000) as shown:
        window.handle_files([bad])
    box: QMessageBox = shown.args[0]
    sentence = box.text()
    assert "instructions.docx" in sentence and sentence.endswith(".") and sentence.count(". ") == 0
    assert box.isVisible() and window.isVisible()
    assert intake.dialogs == []  # no review for a file that could not be read
    [row] = docs_overview()
    assert (row.name, row.state) == ("instructions.docx", STATE_UNREADABLE)
    assert any((window.ctx.data_dir / "postingdocs").iterdir())
    box.close()
    # The window goes on taking docs.
    dialog = _opened(window, qtbot, [SAMPLES / "postingdocs" / "s01_captorra_basic.txt"])
    assert dialog.isVisible()


def test_drop_is_read_on_a_worker_and_the_review_follows(qtbot, ctx):
    """With the real thread pool: the drop returns at once, the review arrives later on the GUI thread."""
    from PySide6.QtWidgets import QApplication

    from ui import workers
    from ui.app import create_window

    workers.set_runner(None)
    window = create_window(ctx, QApplication.instance())
    qtbot.addWidget(window)
    try:
        intake = window.posting_doc_intake
        with qtbot.waitSignal(intake.review_opened, timeout=10000) as blocker:
            window.handle_files([SAMPLES / "postingdocs" / "s02_generic_json_pdf.pdf"])
            assert intake.dialogs == []  # nothing read yet: the GUI thread did not wait
            assert "Reading posting doc s02_generic_json_pdf.pdf" in window.statusBar().currentMessage()
        assert blocker.args[0].draft["endpoint"] == "https://api.greenelegal.example/v1/leads"
        qtbot.waitUntil(lambda: workers.wait_for_tasks(5000))
    finally:
        close_window(window)


def test_lead_files_and_landers_csvs_are_left_to_their_handlers(window, samples, tmp_path):
    from ui.posting_docs import is_posting_doc

    assert not is_posting_doc(samples / "landers" / "landers.csv")
    for lead_file in ("leads.jsonl", "leads.xlsx", "leads_utf8_bom.csv"):
        assert not is_posting_doc(samples / "leads" / lead_file), lead_file
    for doc in list((SAMPLES / "postingdocs").iterdir()) + list(FIXTURES.iterdir()):
        if doc.suffix != ".py" and not doc.name.endswith(".expected.json"):
            assert is_posting_doc(doc), doc.name
    # A posting doc without an extension is known by its content; a plain log file is not taken.
    pdf = tmp_path / "doc-from-client"
    pdf.write_bytes((SAMPLES / "postingdocs" / "s02_generic_json_pdf.pdf").read_bytes())
    log = tmp_path / "server.log"
    log.write_text("started\nstopped\n")
    assert is_posting_doc(pdf) and not is_posting_doc(log)
    [ours] = [h for h in window.drop_handlers if h.__name__ == "take_posting_docs"]
    assert ours([samples / "landers" / "landers.csv"], None) is False


def test_mixed_drop_sends_the_lead_file_on(qtbot, window, samples, lander, monkeypatch):
    taken = []
    monkeypatch.setattr(window.page("leads"), "import_files", lambda paths, lander_id: taken.append(paths))
    dialog = _opened(window, qtbot, [SAMPLES / "postingdocs" / "s01_captorra_basic.txt",
                                     samples / "leads" / "leads.jsonl"], lander.id)
    assert dialog.review.name == "s01_captorra_basic.txt"
    assert taken == [[samples / "leads" / "leads.jsonl"]]


def test_file_menu_and_posting_docs_list(qtbot, window, qtmodeltester, lander, tmp_path):
    texts = [a.text() for a in window.file_menu.actions()]
    assert "Import &posting doc…" in texts and "Posting &docs…" in texts
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4\n%%EOF")
    intake = window.posting_doc_intake
    with qtbot.waitSignal(intake.problem_shown, timeout=10000) as shown:
        window.handle_files([bad, SAMPLES / "postingdocs" / "s03_form_html.html"], lander.id)
    shown.args[0].close()
    window.posting_docs_action.trigger()
    listing = intake.list_dialog
    qtbot.waitUntil(lambda: listing.model.rowCount() == 2)
    qtmodeltester.check(listing.model)
    rows = {listing.model.index(r, 0).data(): [listing.model.index(r, c).data() for c in range(5)]
            for r in range(2)}
    assert rows["scan.pdf"][2:] == ["PDF", "Alvarez Accident Lawyers / Dallas Auto", "Unreadable"]
    assert rows["s03_form_html.html"][4].startswith("To review")
    assert "1 unreadable" in listing.count_label.text()
    html_row = next(r for r in range(2) if listing.model.index(r, 0).data() == "s03_form_html.html")
    with qtbot.waitSignal(intake.review_opened) as opened:
        listing.open_row(html_row)
    assert opened.args[0].review.name == "s03_form_html.html"
    scan_row = 1 - html_row
    with qtbot.waitSignal(intake.problem_shown) as told:
        listing.open_row(scan_row)
    assert "scan.pdf" in told.args[0].text()
    told.args[0].close()


def test_review_models_pass_the_model_tester(qtmodeltester, qtbot, window):
    from ui.models.posting_doc_models import MASK

    dialog = _opened(window, qtbot, [FIXTURES / "f06_ice.xlsx"])
    qtmodeltester.check(dialog.fields_model)
    qtmodeltester.check(dialog.static_model)
    secret_row = next(i for i, s in enumerate(dialog.draft["static"]) if s["secret"])
    assert dialog.static_model.index(secret_row, 1).data() == MASK
    dialog.static_model.add_item({"name": "campaign", "value": "C-1", "location": "body", "secret": False})
    dialog.fields_model.remove_row(0)
    qtmodeltester.check(dialog.fields_model)
    qtmodeltester.check(dialog.static_model)


def test_unmapped_fields_and_warnings_come_first_and_apply_needs_a_lander(qtbot, window):
    dialog = _opened(window, qtbot, [FIXTURES / "f12_no_url_prose.txt"])
    assert dialog.attention.isVisible()
    first = dialog.attention_items()
    assert any("endpoint" in line.lower() for line in first)
    assert not dialog.apply_button.isEnabled()
    assert "Pick the lander" in dialog.outcome_label.text()
    dialog.fields_model.setData(dialog.fields_model.index(0, dialog.fields_model.MAPS_TO_COLUMN), None)
    name = dialog.draft["fields"][0]["name"]
    assert f"{name} is not mapped to a lead field" == dialog.attention_items()[0]


def test_apply_with_something_missing_keeps_the_review_open_to_fix_it(qtbot, window, lander):
    dialog = _opened(window, qtbot, [FIXTURES / "f12_no_url_prose.txt"], lander.id)
    aff = next(i for i, s in enumerate(dialog.draft["static"]) if s["name"] == "aff_id")
    value = dialog.draft["static"][aff]["value"]
    assert value in dialog.text_view.toPlainText()
    dialog.static_model.setData(dialog.static_model.index(aff, 3), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert value not in dialog.text_view.toPlainText()  # flagged secret: masked in the doc's text as well
    # still marked where the doc says it (its evidence span), and nowhere in clear
    assert any(key == f"static:{aff}" and value not in text for key, text in dialog.highlighted())

    with qtbot.waitSignal(dialog.applied, timeout=10000) as applied:
        dialog.apply_button.click()
    assert applied.args[0]["missing"] == ["endpoint"]
    assert dialog.isVisible() and "still missing: endpoint" in dialog.outcome_label.text()
    dialog.endpoint_edit.setText("https://bellweather.example/leads")
    dialog.endpoint_edit.textEdited.emit("https://bellweather.example/leads")
    with qtbot.waitSignal(dialog.applied, timeout=10000) as again:
        dialog.apply_button.click()
    assert again.args[0]["missing"] == [] and again.args[0]["secrets"] == ["aff_id"]


def test_board_menu_imports_a_posting_doc_for_the_lander(qtbot, window, lander, monkeypatch):
    [action] = [a for a in window.lander_actions if a.text == "Import posting doc for this lander…"]
    doc = SAMPLES / "postingdocs" / "s03_form_html.html"
    monkeypatch.setattr("ui.posting_docs.QFileDialog.getOpenFileNames", lambda *_a: ([str(doc)], ""))
    board = window.page("landers")
    board.reload()
    row = board.model.row_at(board.model.row_of(lander.id))
    with qtbot.waitSignal(window.posting_doc_intake.review_opened, timeout=10000) as opened:
        action.run(row)
    assert opened.args[0].lander_id() == lander.id and opened.args[0].review.name == doc.name


def test_a_warning_quoting_a_secret_shows_it_masked(qtbot, window):
    from xsc_desktop.intake.review import load_review

    dialog = _opened(window, qtbot, [FIXTURES / "f01_lead_docket_formjson.md"])
    review = load_review(dialog.review.doc_id)
    key = next(s["value"] for s in review.draft["static"] if s["secret"])
    review.draft["warnings"] = [f"Also seen: https://firm.example/post?apikey={key}."]
    second = window.posting_doc_intake.open_review(review)
    assert key not in second.attention_label.text() and "apikey=" + "•" * len(key) in second.attention_label.text()
