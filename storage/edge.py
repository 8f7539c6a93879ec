"""The HTTP edge's memory: signed requests already accepted (replay protection).

Kept in the database so that every instance behind a load balancer refuses a
request another one already took. Rows older than the signature window are
pruned as new ones arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from storage.models import SeenRequest, utcnow

WINDOW = timedelta(minutes=6)  # Slack's 5 minutes, plus clock skew


def first_sight(session_factory, signature: str, now: datetime | None = None) -> bool:
    """True if `signature` was not seen within the window (and remember it now)."""
    now = now or utcnow()
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

