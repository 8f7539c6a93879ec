"""Rows of the Client Services part: cases, handoffs, the shared channel.

Every write runs inside the caller's transaction (storage.repo.transaction)
after the project's row is taken with repo.lock_project, except the claim,
which is one conditional UPDATE: whoever's UPDATE changes the row owns the
attempt until the lease ends, so two instances never send one case at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from bot.errors import NotFound
from storage import repo
from storage.models import Case, Handoff, Item, Project, utcnow

PENDING, SENT, FAILED = "pending", "sent", "failed"
SYSTEM = "addon-bot"  # the audit actor of what the bot does on its own


# ---- cases ----------------------------------------------------------------------
def new_item(s: Session, p: Project, text: str, by: str) -> Item:
    """An item recorded together with its case (`/addon case TEXT`): escalated from birth."""
    n = s.execute(select(func.coalesce(func.max(Item.number), 0)).where(Item.project_id == p.id)).scalar_one()
    item = Item(project_id=p.id, number=n + 1, text=text, created_by=by, status="open")
    s.add(item)
    s.flush()
    return item


def add_case(s: Session, p: Project, item: Item, subject: str, description: str, by: str,
             permalink: Optional[str]) -> Case:
    """Store the case, pending, with the Idempotency-Key every attempt will send."""
    case = Case(project_id=p.id, item_id=item.id, subject=subject, description=description,
                requested_by=by, idempotency_key=uuid.uuid4().hex, status=PENDING,
                slack_permalink=permalink)
    item.status, item.resolved_by, item.resolved_at = "escalated", by, utcnow()
    s.add(item)
    s.add(case)
    repo.bump(s, p)
    s.flush()
    return case


def due_case_ids(s: Session, now: datetime, limit: int = 50) -> list[int]:
    stmt = (
        select(Case.id)
        .where(Case.status == PENDING, or_(Case.next_attempt_at.is_(None), Case.next_attempt_at <= now))
        .order_by(Case.id)
        .limit(limit)
    )
    return list(s.execute(stmt).scalars())


def claim_case(s: Session, case_id: int, now: datetime, lease_until: datetime) -> Optional[Case]:
    """Take one attempt at the case: the conditional UPDATE is the claim.

    The row is due when it is pending and its next attempt time has come;
    claiming moves that time to the end of the lease, so nobody else can take
    it while this attempt runs, and a crashed attempt is retried after it."""
    res = s.execute(
        update(Case)
        .where(Case.id == case_id, Case.status == PENDING,
               or_(Case.next_attempt_at.is_(None), Case.next_attempt_at <= now))
        .values(next_attempt_at=lease_until, attempts=Case.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return None
    return s.execute(select(Case).where(Case.id == case_id)).scalars().one()


def get_case(s: Session, case_id: int) -> Case:
    c = s.get(Case, case_id)
    if c is None:
        raise NotFound(f"There is no case {case_id}.")
    return c


def item_of(s: Session, case: Case) -> Optional[Item]:
    return s.get(Item, case.item_id) if case.item_id is not None else None


def case_for_item(s: Session, item: Item) -> Optional[Case]:
    stmt = select(Case).where(Case.item_id == item.id).order_by(Case.id.desc()).limit(1)
    return s.execute(stmt).scalars().first()


# ---- handoffs ---------------------------------------------------------------------
def add_handoff(s: Session, p: Project, channel_id: str, by: str) -> Handoff:
    """The handoff, stored before it is posted (sent_at stays empty until it is)."""
    h = Handoff(project_id=p.id, channel_id=channel_id, sent_by=by)
    s.add(h)
    s.flush()
    return h


def get_handoff(s: Session, p: Project, handoff_id: int) -> Handoff:
    h = s.get(Handoff, handoff_id)
    if h is None or h.project_id != p.id:
        raise NotFound("That handoff message is not one of this project's.")
    return h


def last_sent_handoff(s: Session, project_id: int) -> Optional[Handoff]:
    stmt = (select(Handoff).where(Handoff.project_id == project_id, Handoff.sent_at.is_not(None))
            .order_by(Handoff.id.desc()).limit(1))
    return s.execute(stmt).scalars().first()


def channel_is_project_channel(s: Session, channel_id: str, except_project: int) -> bool:
    stmt = select(Project.id).where(Project.channel_id == channel_id, Project.id != except_project,
                                    Project.locked == False).limit(1)  # noqa: E712
    return s.execute(stmt).first() is not None


def projects_for_shared_channel(s: Session, channel_id: str) -> list[Project]:
    """Projects whose biller is in this channel: open ones first, then the newest."""
    stmt = (select(Project).where(or_(Project.shared_channel_id == channel_id, Project.channel_id == channel_id))
            .order_by(Project.locked, Project.id.desc()))
    return list(s.execute(stmt).scalars())
