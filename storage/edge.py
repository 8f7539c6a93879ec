"""The HTTP edge's memory: signed requests already accepted (replay protection).

Kept in the database so that every instance behind a load balancer refuses a
request another one already took. Rows older than the signature window are
pruned as new ones arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from storage.models import Case, DailySummaryRow, Post, SeenRequest, utcnow

WINDOW = timedelta(minutes=6)  # Slack's 5 minutes, plus clock skew


PRUNE_EVERY = timedelta(minutes=1)
_last_prune: dict[int, datetime] = {}


def first_sight(session_factory, signature: str, now: datetime | None = None) -> bool:
    """True if `signature` was not seen within the window (and remember it now)."""
    now = now or utcnow()
    last = _last_prune.get(id(session_factory))
    if last is None or now - last >= PRUNE_EVERY:
        _last_prune[id(session_factory)] = now
        prune(session_factory, now)
    with session_factory() as s:
        try:
            s.add(SeenRequest(signature=signature[:80], seen_at=now))
            s.commit()
            return True
        except IntegrityError:
            s.rollback()
            return False


def prune(session_factory, now: datetime | None = None) -> int:
    """Forget signatures older than the window; returns how many."""
    now = now or utcnow()
    with session_factory() as s:
        n = s.execute(delete(SeenRequest).where(SeenRequest.seen_at < now - WINDOW)).rowcount
        s.commit()
        return n or 0


def seen_count(session_factory) -> int:
    with session_factory() as s:
        return s.execute(select(func.count()).select_from(SeenRequest)).scalar_one()



def operator_gauges(session_factory, now: datetime | None = None) -> dict[str, float]:
    """What an operator watches (GET /metrics): the outbox, unreadable payment days, pending cases."""
    now = now or utcnow()
    with session_factory() as s:
        pending = s.execute(select(func.count(), func.min(Post.created_at))
                            .where(Post.state.in_(("pending", "sending")))).one()
        failed = s.execute(select(func.count()).where(Post.state == "failed")).scalar_one()
        unreadable = s.execute(select(func.count()).select_from(DailySummaryRow)
                               .where(DailySummaryRow.source_ok == False)).scalar_one()  # noqa: E712
        cases = s.execute(select(func.count()).select_from(Case).where(Case.status == "pending")).scalar_one()
        seen = s.execute(select(func.count()).select_from(SeenRequest)).scalar_one()
    oldest = pending[1]
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=timezone.utc)
    return {
        "outbox_pending": pending[0], "outbox_failed": failed,
        "outbox_oldest_pending_seconds": (now - oldest).total_seconds() if oldest is not None else 0.0,
        "payment_days_unreadable": unreadable, "cases_pending": cases, "replay_signatures_held": seen,
    }
