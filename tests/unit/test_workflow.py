"""The process rules, as pure functions."""

from dataclasses import replace
from datetime import date

import pytest

from bot import workflow as wf
from bot.errors import Conflict, NotAllowed, ProjectLocked

SPEC, MGR, ADMIN, OTHER, BILLER = "U0SPEC", "U0MGR", "U0ADMIN", "U0OTHER", "U0BILLER"


def actor(uid, external=False, admin=False):
    return wf.Actor(uid, "T0EXT" if external else "T0INT", external, admin)


def project(**kw):
    base = wf.ProjectSnapshot(
        id=1, biller_id="B1", addon="IVR", channel_id="C1", manager_id=MGR, specialist_ids=(SPEC,),
        golive=date(2026, 11, 2), projected_per_day=20, tz="America/New_York", status="open",
        locked=False, version=1,
    )
    return replace(base, **kw)


def steps(**states):
    return {k: wf.StepView(k, v) for k, v in states.items()}


def item(n, status="open"):
    return wf.ItemView(id=n, number=n, text=f"item {n}", status=status)


def test_roles():
    p = project()
    assert actor(SPEC).role_on(p) == "specialist"
    assert actor(MGR).role_on(p) == "manager"
    assert actor(ADMIN, admin=True).role_on(p) == "admin"
    assert actor(OTHER).role_on(p) == "internal"
    assert actor(SPEC, external=True).role_on(p) == "external"


@pytest.mark.parametrize("who", [actor(SPEC), actor(MGR), actor(ADMIN, admin=True)])
def test_who_may_change(who):
    wf.ensure_can_change(project(), who)


def test_colleague_may_read_not_change():
    wf.ensure_can_read(actor(OTHER))
    with pytest.raises(NotAllowed, match="Only this project's specialist"):
        wf.ensure_can_change(project(), actor(OTHER))


def test_external_user_changes_nothing_even_if_listed():
    p = project(specialist_ids=(SPEC, BILLER))
    with pytest.raises(NotAllowed):
        wf.ensure_can_change(p, actor(BILLER, external=True))
    with pytest.raises(NotAllowed):
        wf.ensure_can_register(actor(BILLER, external=True))
    with pytest.raises(NotAllowed):
        wf.ensure_can_read(actor(BILLER, external=True))


def test_is_external():
    assert not wf.is_external("T1", None, "T1", None)
    assert wf.is_external("T2", None, "T1", None)
    assert not wf.is_external("T2", "E1", "T1", "E1")  # same Enterprise Grid org
    assert wf.is_external("T2", "E2", "T1", "E1")
    assert wf.is_external(None, None, "T1", None)  # unknown: fail closed


def test_locked_project_refuses_everyone():
    p = project(locked=True, status="complete")
    for who in (actor(SPEC), actor(MGR), actor(ADMIN, admin=True)):
        with pytest.raises(ProjectLocked):
            wf.ensure_can_change(p, who)


def test_address_done_needs_no_open_items():
    p = project(items=(item(1), item(2, "remedied")))
    with pytest.raises(Conflict, match="#1"):
        wf.mark_done(p, "address", actor(SPEC))
    wf.mark_done(project(items=(item(1, "escalated"), item(2, "remedied"))), "address", actor(SPEC))


def test_done_twice_and_undo_open():
    p = project(steps=steps(monitor=wf.DONE))
    with pytest.raises(Conflict, match="already done"):
        wf.mark_done(p, "monitor", actor(SPEC))
    with pytest.raises(Conflict, match="already open"):
        wf.undo(p, "handoff", actor(SPEC))
    wf.undo(p, "monitor", actor(SPEC))


def test_skip_address_rules():
    wf.skip_address(project(), actor(SPEC))
    with pytest.raises(Conflict, match="open items"):
        wf.skip_address(project(items=(item(1),)), actor(SPEC))
    with pytest.raises(Conflict, match="already"):
        wf.skip_address(project(steps=steps(address=wf.NOT_APPLICABLE)), actor(SPEC))


def test_monitor_confirmation_when_alerts_open():
    assert wf.monitor_needs_confirmation(project(open_alerts=2))
    assert not wf.monitor_needs_confirmation(project())


def test_completion_requirements():
    ready = project(steps=steps(monitor=wf.DONE, address=wf.NOT_APPLICABLE, handoff=wf.DONE))
    wf.ensure_can_complete(ready, actor(SPEC), schedule_confirmed=True)
    with pytest.raises(Conflict, match="100%"):
        wf.ensure_can_complete(ready, actor(SPEC), schedule_confirmed=False)
    blockers = wf.completion_blockers(project(items=(item(4),)))
    assert len(blockers) == 3 and "#4" in blockers[1]
    with pytest.raises(Conflict, match="being delivered"):
        wf.ensure_can_complete(replace(ready, pending_cases=1), actor(SPEC), True)
    with pytest.raises(NotAllowed):
        wf.ensure_can_complete(ready, actor(OTHER), True)


def test_progress():
    assert project().progress() == (0, 4)
    assert project(steps=steps(monitor=wf.DONE, address=wf.NOT_APPLICABLE)).progress() == (2, 4)
    assert project(locked=True).progress() == (4, 4)
