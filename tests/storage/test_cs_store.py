"""Cases in the database, on SQLite and PostgreSQL: stored before sending, and
claimed with one conditional UPDATE so two senders never hold one case."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.commands import NewProject
from storage import cs as store
from bot.errors import Conflict, ProjectLocked
from bot.service import Service
from bot.workflow import Actor
from storage import repo
from storage.models import Case

SPEC = Actor("U0SPEC", "T0INT", False)
NEW = NewProject(biller="B1", addon="IVR", golive=date(2026, 11, 2), projected=20, manager="U0MGR")
T0 = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)


def a_case(sessions) -> tuple[int, int]:
    svc = Service(sessions)
    pid = svc.register(SPEC, "T0", "C1", NEW, "command").id
    svc.add_item(SPEC, pid, "fee shown twice", "command")
    with repo.transaction(sessions) as s:
        p = repo.lock_project(s, pid)
        case = store.add_case(s, p, repo.get_item(s, p, 1), "Fee", "Shown twice", "U0SPEC", None)
        return pid, case.id


def test_a_stored_case_is_pending_with_a_key_and_escalates_its_item(sessions):
    pid, cid = a_case(sessions)
    snap = Service(sessions).snapshot(pid)
    assert snap.items[0].status == "escalated" and snap.items[0].case_status == "pending"
    assert snap.pending_cases == 1
    with sessions() as s:
        c = s.get(Case, cid)
        assert c.status == "pending" and len(c.idempotency_key) == 32 and c.attempts == 0
        assert store.due_case_ids(s, T0) == [cid]


def test_claim_is_exclusive_until_the_lease_ends(sessions):
    _, cid = a_case(sessions)
    with repo.transaction(sessions) as s:
        assert store.claim_case(s, cid, T0, T0 + timedelta(minutes=2)).attempts == 1
    with repo.transaction(sessions) as s:
        assert store.claim_case(s, cid, T0 + timedelta(seconds=30), T0 + timedelta(minutes=3)) is None
        assert store.due_case_ids(s, T0 + timedelta(seconds=30)) == []
    with repo.transaction(sessions) as s:  # the first sender died: after the lease, it is due again
        assert store.due_case_ids(s, T0 + timedelta(minutes=2)) == [cid]
        assert store.claim_case(s, cid, T0 + timedelta(minutes=2), T0 + timedelta(minutes=4)).attempts == 2


def test_racing_claims_have_one_winner(sessions):
    _, cid = a_case(sessions)
    wins, barrier = [], threading.Barrier(6)

    def claim():
        barrier.wait()
        with repo.transaction(sessions) as s:
            if store.claim_case(s, cid, T0, T0 + timedelta(minutes=2)) is not None:
                wins.append(1)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(wins) == 1


def test_sent_and_failed_cases_are_never_due(sessions):
    _, cid = a_case(sessions)
    for status in ("sent", "failed"):
        with repo.transaction(sessions) as s:
            c = s.get(Case, cid)
            c.status = status
            s.add(c)
        with repo.transaction(sessions) as s:
            assert store.due_case_ids(s, T0) == []
            assert store.claim_case(s, cid, T0, T0 + timedelta(minutes=2)) is None


def test_a_pending_case_blocks_completion_and_a_failed_one_does_not(sessions):
    svc = Service(sessions)
    pid, cid = a_case(sessions)
    svc.mark_done(SPEC, pid, "monitor", "ok", "command")
    svc.mark_done(SPEC, pid, "address", "escalated", "command")
    svc.mark_done(SPEC, pid, "handoff", "told", "command")
    with pytest.raises(Conflict, match="still being delivered"):
        svc.check_complete(SPEC, pid)
    with repo.transaction(sessions) as s:
        c = s.get(Case, cid)
        c.status = "failed"
        s.add(c)
    assert svc.snapshot(pid).pending_cases == 0
    svc.complete(SPEC, pid, True, "modal")
    with pytest.raises(ProjectLocked):  # and the lock holds for cases too
        with repo.transaction(sessions) as s:
            p = repo.get_project(s, pid)
            store.add_case(s, p, repo.get_item(s, p, 1), "late", "late", "U0SPEC", None)
