"""Posting docs the window cannot read: random bytes named .pdf get the intake's one sentence, not a review
of garbled text, and the file is kept in the list as unreadable."""

from __future__ import annotations

import random

from PySide6.QtWidgets import QMessageBox


def test_random_bytes_named_pdf_get_one_sentence_not_a_review(qtbot, window, tmp_path):
    from xsc_desktop.intake.review import STATE_UNREADABLE, docs_overview

    bad = tmp_path / "posting spec.pdf"
    bad.write_bytes(random.Random(13).randbytes(120_000))
    intake = window.posting_doc_intake
    with qtbot.waitSignal(intake.problem_shown, timeout=10000) as shown:
        window.handle_files([bad])
    box: QMessageBox = shown.args[0]
    assert box.text() == ("posting spec.pdf is named as PDF but is not one, nor any other document or text; "
                          "ask the client to send the posting doc again.")
    assert intake.dialogs == []
    [row] = docs_overview()
    assert (row.name, row.state) == ("posting spec.pdf", STATE_UNREADABLE)
    box.close()
