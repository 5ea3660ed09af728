"""Edits never silently overwrite: a save over someone else's newer change is refused with who and when, and
every Activity row names the operator (both engines)."""

from __future__ import annotations

import getpass
import threading

import pytest

from parsers.presets import preset
from xsc_desktop import activity, clients, integrations, landers, parsers_store, settings, sheets
from xsc_desktop.models import Activity, Client, Integration, Lander, Parser, ReportTemplate
from xsc_desktop.rowversion import ChangedElsewhere


def _lander():
    return landers.add_lander(client="Alvarez Accident Lawyers", campaign="Auto", name="Houston Auto",
                              url="https://auto-houston.example/lp")


def _as(name: str) -> None:
    settings.set("operator.name", name)


def test_activity_names_the_operator_set_on_this_computer_else_the_login_name(ctx):
    lander = _lander()
    assert Activity.get(Activity.subject_id == lander.id, Activity.subject_type == "lander").actor == getpass.getuser()
    _as("Maria")
    landers.set_status(lander.id, "ready")
    assert activity.history("lander", lander.id)[0].actor == "Maria"
    # Kept in the data dir, not in the shared database: another operator's window names them, not Maria.
    assert (ctx.data_dir / settings.MACHINE_FILE).exists()
    assert not settings.Setting.select().where(settings.Setting.key == "operator.name").exists()


def test_a_lander_edit_over_a_newer_change_is_refused_naming_who_and_when(ctx):
    lander = _lander()
    opened = landers.lander_row(lander.id).row_version  # the dialog opens
    _as("Maria")
    landers.update_lander(lander.id, name="Houston Auto 2")  # Maria saves first
    _as("Sam")
    with pytest.raises(ChangedElsewhere) as refused:
        landers.update_lander(lander.id, name="Houston Car", expected_version=opened)
    text = str(refused.value)
    assert text.startswith("Maria changed this lander at ") and "reload to see that change, then save again" in text
    assert Lander.get_by_id(lander.id).name == "Houston Auto 2"  # nothing of Sam's written over hers
    fresh = landers.lander_row(lander.id)
    landers.update_lander(lander.id, name="Houston Car", expected_version=fresh.row_version)  # after reloading
    assert Lander.get_by_id(lander.id).name == "Houston Car"
    assert Lander.get_by_id(lander.id).changed_by == "Sam"


def test_a_move_from_a_stale_board_is_refused(ctx):
    lander = _lander()
    seen = landers.lander_row(lander.id).row_version
    landers.set_status(lander.id, "ready", actor="Maria")
    with pytest.raises(ChangedElsewhere, match="Maria changed this lander"):
        landers.set_status(lander.id, "paused", expected_version=seen)
    assert Lander.get_by_id(lander.id).status == "ready"


def test_two_operators_moving_the_same_lander_at_once_one_wins_the_other_is_told(ctx):
    lander = _lander()
    seen = landers.lander_row(lander.id).row_version
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def move(who: str, status: str) -> None:
        start.wait()
        try:
            landers.set_status(lander.id, status, actor=who, expected_version=seen)
            outcome[who] = "moved"
        except ChangedElsewhere as exc:
            outcome[who] = str(exc)
        finally:
            from xsc_desktop import db
            db.close()

    threads = [threading.Thread(target=move, args=("Maria", "ready")),
               threading.Thread(target=move, args=("Sam", "paused"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcome) == ["Maria", "Sam"]
    winners = [who for who, what in outcome.items() if what == "moved"]
    assert len(winners) == 1
    loser = "Sam" if winners == ["Maria"] else "Maria"
    assert outcome[loser].startswith(f"{winners[0]} changed this lander at ")
    final = Lander.get_by_id(lander.id)
    assert final.status == {"Maria": "ready", "Sam": "paused"}[winners[0]]
    assert Activity.select().where((Activity.subject_id == lander.id) & (Activity.action == "status")).count() == 1


def test_a_client_edit_over_a_newer_change_is_refused(ctx):
    client = clients.add_client("Kim Law", ["a@kim.example"])
    opened = Client.get_by_id(client.id).row_version
    clients.set_client(client.id, contacts=["b@kim.example"])
    _as("Sam")
    with pytest.raises(ChangedElsewhere, match=r"changed this client at .*reload"):
        clients.set_client(client.id, time_zone="America/Chicago", expected_version=opened)
    assert Client.get_by_id(client.id).time_zone is None


def test_a_parser_save_over_a_newer_version_is_refused(ctx):
    spec = preset("generic_json")
    spec.name = "Kim JSON"
    parsers_store.save_parser(spec)
    opened = parsers_store.row_version("Kim JSON")
    first = parsers_store.get_parser("Kim JSON")
    first.description = "Maria's"
    parsers_store.save_parser(first, author="Maria")
    second = parsers_store.get_parser("Kim JSON")
    second.description = "Sam's"
    with pytest.raises(ChangedElsewhere, match="Maria changed this parser"):
        parsers_store.save_parser(second, author="Sam", expected_version=opened)
    assert parsers_store.get_parser("Kim JSON").description == "Maria's"
    assert Parser.get(Parser.name == "Kim JSON").version == 2  # no version for the refused save


def test_an_integration_save_over_a_newer_change_is_refused(ctx):
    lander = _lander()
    integration = integrations.set_integration(lander.id, parser="generic_json",
                                               settings={"endpoint": "https://x.example/"})
    opened = integration.row_version
    _as("Maria")
    integrations.set_integration(lander.id, settings={"endpoint": "https://maria.example/"})
    with pytest.raises(ChangedElsewhere, match="Maria changed this integration"):
        integrations.set_integration(lander.id, settings={"endpoint": "https://sam.example/"}, expected_version=opened)
    assert Integration.get_by_id(integration.id).settings["endpoint"] == "https://maria.example/"


def test_a_report_template_save_over_a_newer_change_is_refused(ctx):
    template = sheets.save_template("Firm A", {"columns": ["first_name", "phone"]})
    opened = template.row_version
    _as("Maria")
    sheets.save_template("Firm A", {"columns": ["phone"]}, original_name="Firm A")
    with pytest.raises(ChangedElsewhere, match="Maria changed this report template"):
        sheets.save_template("Firm A", {"columns": ["email"]}, original_name="Firm A", expected_version=opened)
    assert [c["key"] for c in ReportTemplate.get(ReportTemplate.name == "Firm A").spec["columns"]] == ["phone"]


def test_an_edit_of_a_lander_someone_deleted_says_so(ctx):
    lander = _lander()
    seen = landers.lander_row(lander.id).row_version
    Lander.delete().where(Lander.id == lander.id).execute()
    with pytest.raises(Exception, match="no lander"):
        landers.update_lander(lander.id, name="x", expected_version=seen)


def test_a_database_from_before_row_versions_gets_them_and_keeps_its_rows(data_dir, database_url):
    from xsc_desktop import db
    from xsc_desktop.models import Meta

    database = db.connect(database_url)
    database.execute_sql("INSERT INTO client (name, contacts, is_new, notes, created_at) "
                         "VALUES ('Acme Law', '[]', false, '', '2026-01-01')")
    for table in ("client", "lander", "parser", "integration", "report_template"):
        for column in ("row_version", "changed_by", "changed_at"):
            database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    Meta.update(value=str(db.MIGRATIONS.index(db._row_versions))).where(Meta.key == "schema_version").execute()
    db.close()
    db.connect(database_url)
    acme = Client.get(Client.name == "Acme Law")
    assert (acme.row_version, acme.changed_by, acme.changed_at) == (1, "", None)
    clients.set_client(acme.id, time_zone="America/Chicago", expected_version=1)
    assert Client.get_by_id(acme.id).row_version == 2
    db.close()
