"""The tamper-evident audit trail: intact chains verify; a changed, removed or forged row is reported
by `addon-bot audit verify`, even by someone who could drop the triggers (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from bot.cli import main
from bot.service import Service
from storage import audit_chain
from tests.storage.test_storage import NEW, SPEC


def _completed(sessions) -> int:
    svc = Service(sessions)
    pid = svc.register(SPEC, "T0INT", "C1", NEW, "command").id
    svc.add_item(SPEC, pid, "receipt wording", "command")
    svc.resolve_item(SPEC, pid, 1, "reworded", "command")
    for step in ("monitor", "address", "handoff"):
        svc.mark_done(SPEC, pid, step, "done", "command")
    svc.complete(SPEC, pid, True, "modal")
    svc.register(SPEC, "T0INT", "C2", NEW, "command")  # a second, open project: its own chain
    return pid


def _drop_audit_triggers(c, dialect: str) -> None:
    if dialect == "postgresql":
        c.execute(text("DROP TRIGGER audit_append_only ON audit"))
        c.execute(text("DROP TRIGGER audit_lock_insert ON audit"))
    else:
        for t in ("audit_append_only_update", "audit_append_only_delete", "audit_lock_insert"):
            c.execute(text(f"DROP TRIGGER {t}"))


def test_an_intact_trail_verifies(sessions, db_url, monkeypatch, capsys):
    pid = _completed(sessions)
    with sessions() as s:
        n, problems = audit_chain.verify(s)
    assert n >= 8 and problems == []
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    assert main(["audit", "verify", "--project", str(pid)]) == 0
    assert main(["audit", "verify", "--project", "NO-SUCH"]) == 2


TAMPERS = [
    "UPDATE audit SET detail = '{\"step\": \"monitor\", \"note\": \"forged\"}' "
    "WHERE id = (SELECT min(id) FROM audit WHERE project_id = :id AND action = 'step_done')",
    "DELETE FROM audit WHERE id = (SELECT min(id) FROM audit WHERE project_id = :id AND action = 'item_added')",
    "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit WHERE project_id = :id)",
    "INSERT INTO audit (project_id, actor_id, action, surface, detail, at) "
    "VALUES (:id, 'U9', 'forged', 'cli', '{}', CURRENT_TIMESTAMP)",
]


@pytest.mark.parametrize("tamper", TAMPERS)
def test_tampering_is_reported_even_without_the_triggers(sessions, engine, tamper):
    """As the tables' owner could: drop the triggers, tamper, and see the break; rolled back after
    (the PostgreSQL database is shared by the session's tests)."""
    pid = _completed(sessions)
    conn = engine.connect()
    trans = conn.begin()
    try:
        _drop_audit_triggers(conn, engine.dialect.name)
        conn.execute(text(tamper), {"id": pid})
        with Session(bind=conn) as s:
            _, problems = audit_chain.verify(s)
        assert problems and all(f"project {pid}" in p for p in problems), problems
    finally:
        trans.rollback()
        conn.close()


def test_audit_verify_exits_1_on_a_break(tmp_path, monkeypatch, capsys):
    from storage.db import SessionFactory, make_engine, upgrade

    url = f"sqlite:///{tmp_path}/t.db"
    eng = make_engine(url)
    upgrade(eng)
    pid = _completed(SessionFactory(eng))
    with eng.begin() as c:
        _drop_audit_triggers(c, "sqlite")
        c.execute(text(TAMPERS[0]), {"id": pid})
    eng.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BREAK" in out and f"project {pid}" in out
