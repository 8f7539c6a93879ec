"""Repository: the queries and writes, and the lock in code.

Every write to a project happens in one transaction that first takes the
project's row (`lock_project`), so rules are judged on fresh state and two
writers never interleave. A locked (completed) project is refused here with
ProjectLocked before any SQL is sent; the triggers refuse raw SQL as well.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Iterator, Optional, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from bot.errors import Conflict, NotFound, ProjectLocked
from bot.workflow import STEPS, ItemView, ProjectSnapshot, StepView
from storage import audit_chain
from storage.models import (
    Alert,
    Audit,
    Case,
    DailySummaryRow,
    Handoff,
    Item,
    Project,
    StepState,
    utcnow,
)

LOCKED_MARK = "complete and locked"


DatabaseError = DBAPIError  # what callers outside storage catch: the database refused or failed


def find_by_id(s: Session, project_id: int) -> Optional[Project]:
    return s.get(Project, project_id)


def save(s: Session, row) -> None:
    """Write this changed row (of any table) with the caller's transaction."""
    s.add(row)


def savepoint(s: Session):
    """A nested transaction: what fails inside it is rolled back alone."""
    return s.begin_nested()


def is_lock_violation(exc: BaseException) -> bool:
    return LOCKED_MARK in str(exc)


@contextlib.contextmanager
def transaction(session_factory) -> Iterator[Session]:
    """One unit of work; maps the database's lock refusal to ProjectLocked."""
    with session_factory() as s:
        try:
            # On SQLite this begins with the write lock held (storage/db.py).
            s.connection(execution_options={"immediate": True})
            yield s
            s.commit()
        except DBAPIError as e:
            s.rollback()
            if is_lock_violation(e):
                raise ProjectLocked() from None
            raise
        except BaseException:
            s.rollback()
            raise


# ---- projects -----------------------------------------------------------------
def create_project(s: Session, p: Project, actor_id: str, surface: str) -> Project:
    s.add(p)
    try:
        s.flush()
    except IntegrityError:
        s.rollback()
        raise Conflict(
            "This channel already has an open post-live project. `/addon status` shows it."
        ) from None
    for st in STEPS:
        s.add(StepState(project_id=p.id, step=st.key))
    audit(s, p.id, actor_id, "project_registered", surface, {
        "biller_id": p.biller_id, "addon": p.addon, "golive": p.golive.isoformat(),
        "projected_per_day": p.projected_per_day,
    })
    s.flush()
    return p


def get_project(s: Session, project_id: int) -> Project:
    p = s.get(Project, project_id)
    if p is None:
        raise NotFound(f"There is no project {project_id}.")
    return p


def lock_project(s: Session, project_id: int) -> Project:
    """Take the project's row for this transaction; refuse a completed one."""
    stmt = select(Project).where(Project.id == project_id).with_for_update()
    p = s.execute(stmt).scalars().first()
    if p is None:
        raise NotFound(f"There is no project {project_id}.")
    s.refresh(p)
    if p.locked:
        raise ProjectLocked()
    return p


def _newest_where(s: Session, condition) -> Optional[Project]:
    """The open project matching, else the most recently completed one."""
    stmt = select(Project).where(condition).order_by(Project.locked, Project.id.desc()).limit(1)
    return s.execute(stmt).scalars().first()


def project_in_channel(s: Session, channel_id: str) -> Optional[Project]:
    return _newest_where(s, Project.channel_id == channel_id)


def project_by_shared_channel(s: Session, channel_id: str) -> Optional[Project]:
    return _newest_where(s, Project.shared_channel_id == channel_id)


def find_project(s: Session, ref: str) -> Project:
    """A project by its id, its biller id, or its Slack channel id (open ones first)."""
    ref = ref.strip()
    if ref.isdigit():
        p = s.get(Project, int(ref))
        if p is not None:
            return p
    for col in (Project.biller_id, Project.channel_id):
        p = _newest_where(s, col == ref)
        if p is not None:
            return p
    raise NotFound(f"No project has the id, biller id or channel id `{ref}`.")


def list_projects(s: Session, *, user_id: Optional[str] = None, include_locked: bool = False) -> list[Project]:
    stmt = select(Project)
    if not include_locked:
        stmt = stmt.where(Project.locked == False)  # noqa: E712
    rows = list(s.execute(stmt.order_by(Project.golive, Project.id)).scalars())
    if user_id:
        rows = [p for p in rows if user_id == p.manager_id or user_id in (p.specialist_ids or [])]
    return rows


def bump(s: Session, p: Project) -> None:
    """Every change to a project or its rows moves its version on."""
    p.version += 1
    s.add(p)


# ---- steps and items ----------------------------------------------------------
def set_step(s: Session, p: Project, step: str, state: str, note: Optional[str], by: str) -> None:
    row = s.get(StepState, (p.id, step)) or StepState(project_id=p.id, step=step)
    row.state, row.note, row.by, row.at = state, note, by, utcnow()
    s.add(row)
    bump(s, p)


def add_item(s: Session, p: Project, text: str, by: str, source_alert_id: Optional[int] = None) -> Item:
    n = s.execute(select(func.coalesce(func.max(Item.number), 0)).where(Item.project_id == p.id)).scalar_one()
    item = Item(project_id=p.id, number=n + 1, text=text, created_by=by, source_alert_id=source_alert_id)
    s.add(item)
    bump(s, p)
    s.flush()
    return item


def get_item(s: Session, p: Project, number: int) -> Item:
    item = s.execute(select(Item).where(Item.project_id == p.id, Item.number == number)).scalars().first()
    if item is None:
        raise NotFound(f"Project has no item #{number}. `/addon status` lists the items.")
    return item


def complete(s: Session, p: Project, by: str, report: Optional[dict] = None,
             now: Optional[datetime] = None) -> bool:
    """The one conditional update that completes and locks, storing the closing
    report with the record, and the audit chain's head. True if this call won."""
    now = now or utcnow()
    head = audit_chain.last_hash(s, p.id)  # the completion's own audit row is already in
    res = s.execute(
        update(Project)
        .where(Project.id == p.id, Project.locked == False)  # noqa: E712
        .values(status="complete", locked=True, completed_at=now, completed_by=by,
                schedule_confirmed=True, closing_report=report, version=Project.version + 1, audit_head=head)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def cancel(s: Session, p: Project, by: str, reason: str) -> bool:
    """Withdraw: the project is frozen as it stands (locked, so its history
    stays and nothing changes it), leaves the open lists and frees the channel."""
    res = s.execute(
        update(Project)
        .where(Project.id == p.id, Project.locked == False)  # noqa: E712
        .values(status="cancelled", locked=True, cancel_reason=reason, completed_by=by,
                completed_at=utcnow(), version=Project.version + 1, audit_head=audit_chain.last_hash(s, p.id))
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


# ---- audit --------------------------------------------------------------------
def audit(s: Session, project_id: Optional[int], actor_id: str, action: str, surface: str,
          detail: Optional[dict] = None) -> None:
    """Append to the trail, chained to the project's previous row (storage.audit_chain)."""
    at, detail = utcnow(), detail or {}
    digest = audit_chain.link(audit_chain.last_hash(s, project_id), project_id, actor_id, action, surface,
                              detail, at)
    s.add(Audit(project_id=project_id, actor_id=actor_id, action=action, surface=surface, detail=detail,
                at=at, hash=digest))
    s.flush()  # the next row of this transaction chains to this one


def audit_trail(s: Session, project_id: int) -> list[Audit]:
    return list(s.execute(select(Audit).where(Audit.project_id == project_id).order_by(Audit.id)).scalars())


# ---- snapshots ------------------------------------------------------------------
def snapshot(s: Session, p: Project) -> ProjectSnapshot:
    steps = {
        r.step: StepView(r.step, r.state, r.note, r.by, r.at)
        for r in s.execute(select(StepState).where(StepState.project_id == p.id)).scalars()
    }
    cases = {
        c.item_id: c
        for c in s.execute(select(Case).where(Case.project_id == p.id).order_by(Case.id)).scalars()
        if c.item_id is not None
    }
    items = tuple(
        ItemView(
            id=i.id, number=i.number, text=i.text, status=i.status, note=i.note,
            case_id=cases[i.id].id if i.id in cases else None,
            case_status=cases[i.id].status if i.id in cases else None,
            case_external_id=cases[i.id].external_id if i.id in cases else None,
            case_url=cases[i.id].url if i.id in cases else None,
            case_attempts=cases[i.id].attempts if i.id in cases else 0,
            case_next_at=cases[i.id].next_attempt_at if i.id in cases else None,
            case_error=cases[i.id].last_error if i.id in cases else None,
        )
        for i in s.execute(select(Item).where(Item.project_id == p.id).order_by(Item.number)).scalars()
    )
    pending_cases = s.execute(
        # Failed cases are reported and their items reopened: only pending ones are "being delivered".
        select(func.count()).select_from(Case).where(Case.project_id == p.id, Case.status == "pending")
    ).scalar_one()
    # Open alerts as the manager sees them: a repeat folded into an open alert is part of its one message.
    open_alerts = sum(1 for ev in s.execute(
        select(Alert.evidence).where(Alert.project_id == p.id, Alert.state == "open")
    ).scalars() if not (ev or {}).get("repeat_of"))
    days = s.execute(
        select(func.count()).select_from(DailySummaryRow).where(
            DailySummaryRow.project_id == p.id, DailySummaryRow.source_ok == True  # noqa: E712
        )
    ).scalar_one()
    h = s.execute(
        select(Handoff).where(Handoff.project_id == p.id, Handoff.sent_at.is_not(None))
        .order_by(Handoff.id.desc()).limit(1)
    ).scalars().first()
    return ProjectSnapshot(
        id=p.id, biller_id=p.biller_id, addon=p.addon, channel_id=p.channel_id,
        manager_id=p.manager_id, specialist_ids=tuple(p.specialist_ids or ()), golive=p.golive,
        projected_per_day=p.projected_per_day, tz=p.tz, status=p.status, locked=p.locked,
        version=p.version, pay_channel=p.pay_channel, shared_channel_id=p.shared_channel_id,
        steps=steps, items=items, pending_cases=pending_cases, open_alerts=open_alerts,
        days_monitored=days, handoff_sent_at=h.sent_at if h else None,
        handoff_acknowledged_by=h.acknowledged_by if h else None,
        completed_at=p.completed_at, completed_by=p.completed_by, schedule_sheet_id=p.schedule_sheet_id,
    )


def progress_for(s: Session, projects: Sequence[Project]) -> dict[int, tuple[int, int]]:
    """(finished steps, 4) per project, in one query."""
    ids = [p.id for p in projects]
    if not ids:
        return {}
    done: dict[int, int] = {i: 0 for i in ids}
    stmt = (
        select(StepState.project_id, func.count())
        .where(StepState.project_id.in_(ids), StepState.state != "open")
        .group_by(StepState.project_id)
    )
    for pid, n in s.execute(stmt):
        done[pid] = n
    return {p.id: ((len(STEPS) if p.locked else done[p.id]), len(STEPS)) for p in projects}


def latest_summary(s: Session, project_id: int, before: Optional[date] = None) -> Optional[DailySummaryRow]:
    stmt = select(DailySummaryRow).where(DailySummaryRow.project_id == project_id)
    if before is not None:
        stmt = stmt.where(DailySummaryRow.local_date <= before)
    return s.execute(stmt.order_by(DailySummaryRow.local_date.desc()).limit(1)).scalars().first()


def open_alerts(s: Session, project_id: int) -> list[Alert]:
    stmt = select(Alert).where(Alert.project_id == project_id, Alert.state == "open").order_by(Alert.local_date)
    return list(s.execute(stmt).scalars())


def now() -> datetime:
    return utcnow()
