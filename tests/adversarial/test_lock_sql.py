"""The lock against ordinary SQL, on SQLite and PostgreSQL: REPLACE, TRUNCATE,
the outbox and the audit trail of a completed project."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.service import Service
from tests.storage.test_storage import NEW, SPEC


def _completed(sessions, engine) -> int:
    svc = Service(sessions)
    pid = svc.register(SPEC, "T0INT", "C1", NEW, "command").id
    svc.add_item(SPEC, pid, "receipt wording", "command")
    svc.resolve_item(SPEC, pid, 1, "reworded", "command")
    for step in ("monitor", "address", "handoff"):
        svc.mark_done(SPEC, pid, step, "done", "command")
    with engine.begin() as c:  # a post of the project, sent before completion
        c.execute(text("INSERT INTO post (idempotency_key, project_id, kind, channel_id, payload, state, "
                       "attempts, created_at) VALUES ('k1', :id, 'summary', 'C1', '{\"text\": \"hi\"}', "
                       "'sent', 0, CURRENT_TIMESTAMP)"), {"id": pid})
    svc.complete(SPEC, pid, True, "modal")
    return pid


def _refused(engine, sql: str, pid: int, match: str = "complete and locked|append-only") -> None:
    with pytest.raises(DBAPIError, match=match):
        with engine.begin() as c:
            c.execute(text(sql), {"id": pid})


SQLITE_REPLACES = [
    # a completed project re-inserted open over its own row
    "INSERT OR REPLACE INTO project SELECT id, team_id, biller_id, addon, pay_channel, golive, "
    "projected_per_day, channel_id, shared_channel_id, manager_id, specialist_ids, tz, 'open', 0, version, "
    "checklist_ts, created_by, created_at, NULL, NULL, 0, schedule_sheet_id, NULL, NULL, calendar, NULL, closed_dates, checklist_hash "
    "FROM project WHERE id = :id",
    "REPLACE INTO project SELECT id, team_id, biller_id, addon, pay_channel, golive, projected_per_day, "
    "channel_id, shared_channel_id, manager_id, specialist_ids, tz, 'open', 0, version, checklist_ts, "
    "created_by, created_at, NULL, NULL, 0, schedule_sheet_id, NULL, NULL, calendar, NULL, closed_dates, checklist_hash "
    "FROM project WHERE id = :id",
    # a step row of the locked project replaced
    "REPLACE INTO step_state (project_id, step, state) VALUES (:id, 'complete', 'open')",
    # a child row of the locked project replaced by one of no project
    "INSERT OR REPLACE INTO item (id, project_id, number, text, status, created_by, created_at) "
    "SELECT id, NULL, 1, 'rewritten', 'open', 'U9', created_at FROM item WHERE project_id = :id",
    "INSERT OR REPLACE INTO post (id, idempotency_key, project_id, kind, channel_id, payload, state, attempts, "
    "created_at) VALUES (999, 'k1', NULL, 'x', 'C9', '{}', 'pending', 0, CURRENT_TIMESTAMP)",
    "INSERT OR REPLACE INTO audit SELECT id, project_id, actor_id, 'tampered', surface, detail, at, hash "
    "FROM audit WHERE project_id = :id",
]


@pytest.mark.parametrize("sql", SQLITE_REPLACES)
def test_sqlite_replace_cannot_reopen_or_rewrite_a_locked_project(sessions, engine, sql):
    if engine.dialect.name != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    pid = _completed(sessions, engine)
    _refused(engine, sql, pid)
    assert Service(sessions).snapshot(pid).locked


@pytest.mark.parametrize("sql", [
    "INSERT INTO post (idempotency_key, project_id, kind, channel_id, payload, state, attempts, created_at) "
    "VALUES ('k2', :id, 'summary', 'C1', '{}', 'pending', 0, CURRENT_TIMESTAMP)",
    "UPDATE post SET payload = '{\"text\": \"changed\"}' WHERE project_id = :id",
    "UPDATE post SET state = 'pending' WHERE project_id = :id",
    "DELETE FROM post WHERE project_id = :id",
    "INSERT INTO audit (project_id, actor_id, action, surface, detail, at) "
    "VALUES (:id, 'U1', 'forged', 'cli', '{}', CURRENT_TIMESTAMP)",
])
def test_outbox_and_audit_of_a_locked_project_are_frozen(sessions, engine, sql):
    pid = _completed(sessions, engine)
    _refused(engine, sql, pid)


def test_postgres_truncate_is_refused(sessions, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE triggers are PostgreSQL's")
    pid = _completed(sessions, engine)
    for table in ("project", "step_state", "post", "item", "alert", "cs_case"):
        _refused(engine, f"TRUNCATE {table} CASCADE", pid)
    _refused(engine, "TRUNCATE audit", pid, match="append-only")
    assert Service(sessions).snapshot(pid).locked


def test_open_projects_and_their_outbox_still_work(sessions, engine):
    svc = Service(sessions)
    snap = svc.register(SPEC, "T0INT", "C1", NEW, "command")
    with engine.begin() as c:
        c.execute(text("INSERT INTO post (idempotency_key, project_id, kind, channel_id, payload, state, "
                       "attempts, created_at) VALUES ('k3', :id, 'summary', 'C1', '{}', 'pending', 0, "
                       "CURRENT_TIMESTAMP)"), {"id": snap.id})
        c.execute(text("UPDATE post SET state = 'sent' WHERE project_id = :id"), {"id": snap.id})
        c.execute(text("DELETE FROM post WHERE project_id = :id"), {"id": snap.id})
