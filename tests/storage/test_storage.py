"""Storage on SQLite and PostgreSQL: migrations, the lock in code and in the
database itself, the race of two completes, the append-only audit trail."""

import threading
from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from bot.commands import NewProject
from bot.errors import Conflict, ProjectLocked
from bot.service import Service
from bot.workflow import Actor
from storage import repo
from storage.db import current_revision, make_engine, upgrade

SPEC = Actor("U0SPEC", "T0INT", False)
NEW = NewProject(biller="B1", addon="IVR", golive=date(2026, 11, 2), projected=20, manager="U0MGR")


def ready_project(svc: Service, channel="C1") -> int:
    snap = svc.register(SPEC, "T0INT", channel, NEW, "command")
    svc.mark_done(SPEC, snap.id, "monitor", "payers pay", "command")
    svc.skip_address(SPEC, snap.id, "nothing left", "command")
    svc.mark_done(SPEC, snap.id, "handoff", "told by phone", "command")
    return snap.id


def test_migrations_from_empty(db_url):
    eng = make_engine(db_url)
    assert current_revision(eng) == "0009"
    names = set(inspect(eng).get_table_names())
    assert {"project", "step_state", "item", "cs_case", "handoff", "daily_summary", "alert", "post",
            "audit"} <= names
    upgrade(eng)  # idempotent
    eng.dispose()


def test_migrations_on_a_new_sqlite_file(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path}/sub/dir/new.db")
    upgrade(eng)
    assert current_revision(eng) == "0009"


def test_register_and_one_open_project_per_channel(sessions):
    svc = Service(sessions)
    snap = svc.register(SPEC, "T0INT", "C1", NEW, "command")
    assert snap.specialist_ids == ("U0SPEC",) and snap.tz == "America/New_York"
    assert set(snap.steps) == {"monitor", "address", "handoff", "complete"}
    with pytest.raises(Conflict, match="already has an open"):
        svc.register(SPEC, "T0INT", "C1", NEW, "command")


def test_complete_locks_and_repository_refuses(sessions):
    svc = Service(sessions)
    pid = ready_project(svc)
    snap = svc.complete(SPEC, pid, True, "modal")
    assert snap.locked and snap.status == "complete" and snap.completed_by == "U0SPEC"
    for change in (
        lambda: svc.undo(SPEC, pid, "monitor", "command"),
        lambda: svc.add_item(SPEC, pid, "late item", "command"),
        lambda: svc.complete(SPEC, pid, True, "modal"),
        lambda: svc.skip_address(SPEC, pid, "x", "command"),
    ):
        with pytest.raises(ProjectLocked):
            change()
    # A new project may be registered in the channel once the old one is archived.
    assert svc.register(SPEC, "T0INT", "C1", NEW, "command").id != pid


@pytest.mark.parametrize("sql", [
    "UPDATE project SET status = 'open', locked = false WHERE id = :id",
    "UPDATE project SET addon = 'changed' WHERE id = :id",
    "UPDATE project SET closing_report = NULL WHERE id = :id",
    "UPDATE project SET schedule_sheet_id = 5 WHERE id = :id",
    "DELETE FROM project WHERE id = :id",
    "UPDATE step_state SET state = 'open' WHERE project_id = :id",
    "DELETE FROM step_state WHERE project_id = :id",
    "INSERT INTO item (project_id, number, text, status, created_by, created_at) "
    "VALUES (:id, 99, 'x', 'open', 'U1', CURRENT_TIMESTAMP)",
    "INSERT INTO alert (project_id, check_id, local_date, severity, message, evidence, state, created_at) "
    "VALUES (:id, 'no_payments', '2026-11-20', 'critical', 'x', '{}', 'open', CURRENT_TIMESTAMP)",
])
def test_database_refuses_raw_sql_on_a_completed_project(sessions, engine, sql):
    svc = Service(sessions)
    pid = ready_project(svc)
    svc.complete(SPEC, pid, True, "modal")
    with pytest.raises(DBAPIError, match="complete and locked"):
        with engine.begin() as c:
            c.execute(text(sql.replace("false", "false" if engine.dialect.name == "postgresql" else "0")),
                      {"id": pid})
    assert svc.snapshot(pid).locked


def test_the_closing_report_is_stored_with_the_locked_record(sessions):
    svc = Service(sessions)
    pid = ready_project(svc)
    svc.complete(SPEC, pid, True, "modal", schedule_state={"status": "Complete", "items": 3, "at_100": 3})
    facts, preview = svc.closing_report(SPEC, pid)
    assert not preview and facts["biller_id"] == NEW.biller and facts["completed_by"] == "U0SPEC"
    assert facts["schedule"]["status"] == "Complete" and facts["days_monitored"] == 0


def test_cancel_freezes_the_project_and_frees_the_channel(sessions, engine):
    svc = Service(sessions)
    pid = svc.register(SPEC, "T0INT", "C1", NEW, "command").id
    snap = svc.cancel(SPEC, pid, "wrong channel", "command")
    assert snap.locked and snap.status == "cancelled"
    with pytest.raises(ProjectLocked, match="withdrawn"):
        svc.add_item(SPEC, pid, "x", "command")
    with pytest.raises(DBAPIError, match="complete and locked"):
        with engine.begin() as c:
            c.execute(text("UPDATE project SET addon = 'x' WHERE id = :id"), {"id": pid})
    assert svc.register(SPEC, "T0INT", "C1", NEW, "command").id != pid


def test_raw_sql_still_works_on_an_open_project(sessions, engine):
    svc = Service(sessions)
    snap = svc.register(SPEC, "T0INT", "C1", NEW, "command")
    with engine.begin() as c:
        c.execute(text("UPDATE project SET addon = 'Text to pay' WHERE id = :id"), {"id": snap.id})
    assert svc.snapshot(snap.id).addon == "Text to pay"


def test_audit_trail_is_append_only(sessions, engine):
    svc = Service(sessions)
    pid = ready_project(svc)
    with sessions() as s:
        actions = [a.action for a in repo.audit_trail(s, pid)]
    assert actions == ["project_registered", "step_done", "step_not_applicable", "step_done"]
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as c:
            c.execute(text("DELETE FROM audit"))


def test_two_racing_completes_exactly_one_wins(db_url):
    engines = [make_engine(db_url) for _ in range(2)]  # two "instances"
    from storage.db import SessionFactory

    svcs = [Service(SessionFactory(e)) for e in engines]
    pid = ready_project(svcs[0])
    barrier = threading.Barrier(2)
    results: list = []

    def run(svc):
        barrier.wait()
        try:
            svc.complete(SPEC, pid, True, "modal")
            results.append("won")
        except (ProjectLocked, Conflict) as e:
            results.append(type(e).__name__)

    threads = [threading.Thread(target=run, args=(s,)) for s in svcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results) in (["ProjectLocked", "won"], ["Conflict", "won"])
    with svcs[0].session_factory() as s:
        completions = [a for a in repo.audit_trail(s, pid) if a.action == "project_completed"]
    assert len(completions) == 1
    for e in engines:
        e.dispose()


def test_version_moves_with_every_change(sessions):
    svc = Service(sessions)
    snap = svc.register(SPEC, "T0INT", "C1", NEW, "command")
    v1 = snap.version
    snap = svc.mark_done(SPEC, snap.id, "monitor", "payers pay", "command")
    snap2, n = svc.add_item(SPEC, snap.id, "fee wording", "command")
    assert v1 < snap.version < snap2.version and n == 1


def test_models_match_the_migrations(engine):
    """Autogenerate finds nothing to do: the tables the code declares are the ones migrated."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []
