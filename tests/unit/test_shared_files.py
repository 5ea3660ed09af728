"""Shared files in team mode: posting docs keep their bytes in a shared database, so an operator on another
computer opens the same file; reports go to the shared folder set in Settings (both engines)."""

from __future__ import annotations

from pathlib import Path

from xsc_desktop import landers, paths, settings, sheets, storage
from xsc_desktop.intake import store
from xsc_desktop.models import PostingDoc, database

DOC = (b"Posting instructions for Kim Law\nPOST https://intake.kim.example/api/leads\n"
       b"Fields: first_name, last_name, phone, email\n")


def test_a_posting_doc_taken_in_on_one_computer_opens_on_another(ctx, tmp_path, engine):
    result = store.intake_bytes(DOC, "kim-posting.txt", ctx.data_dir)
    doc_id = result.doc.id
    assert Path(store.local_path(doc_id)).read_bytes() == DOC  # the computer that took it in: its own copy
    if engine == "sqlite":
        assert PostingDoc.get_by_id(doc_id).content is None  # one operator: files in the data dir, as before
        return
    # Maria's computer: another data dir, and the first computer's file out of reach.
    Path(result.doc.path).unlink()
    other = tmp_path / "maria"
    other.mkdir()
    paths.use_data_dir(other)
    opened = Path(store.local_path(doc_id))
    assert opened.read_bytes() == DOC and other in opened.parents and opened.name == "kim-posting.txt"
    assert opened.stat().st_mode & 0o077 == 0  # a posting doc may carry a client's keys
    assert all("content" not in row for row in store.list_docs())  # lists never load every doc's bytes


def test_a_posting_summary_made_on_one_computer_opens_on_another(ctx, engine):
    from xsc_desktop import integrations, summary

    lander = landers.add_lander(client="Kim Law", campaign="Auto", name="Kim auto", url="https://kim.example/a")
    integrations.set_integration(lander.id, parser="generic_json", settings={"endpoint": "https://x.example/"})
    made = summary.keep(lander.id, summary.build(lander.id), b"%PDF-1.4 kim")
    stored = PostingDoc.get_by_id(made.id)
    assert (bytes(stored.content) if stored.content is not None else None) == (
        b"%PDF-1.4 kim" if storage.is_postgresql(database) else None)


def test_reports_go_to_the_shared_folder_set_in_settings(ctx, tmp_path):
    assert sheets.default_folder(ctx.data_dir) == ctx.data_dir / "reports"
    shared = tmp_path / "share" / "reports"
    shared.mkdir(parents=True)
    settings.set("reports.folder", str(shared))
    assert sheets.default_folder(ctx.data_dir) == shared


def test_a_solo_database_copied_to_the_team_server_brings_its_posting_docs_bytes(data_dir, empty_postgres_url):
    from xsc_desktop import db, dbtools, events
    from xsc_desktop.context import Context

    events.clear()
    Context.create(str(data_dir), f"sqlite:///{data_dir / 'xsc-desktop.sqlite3'}").open_database()
    doc_id = store.intake_bytes(DOC, "kim-posting.txt", data_dir).doc.id
    solo = f"sqlite:///{data_dir / 'xsc-desktop.sqlite3'}"
    db.close()
    dbtools.copy_to(solo, empty_postgres_url)
    db.connect(empty_postgres_url)
    try:
        assert bytes(PostingDoc.select(PostingDoc.content).where(PostingDoc.id == doc_id).scalar()) == DOC
    finally:
        db.close()
