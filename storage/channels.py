"""What Slack last said of channels (`channel_fact`): read, record, forget.
The policy (how old a fact may be, who asks Slack) is bot.channels'."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import delete, select
from sqlmodel import Session

from storage.models import ChannelFact


def fact(s: Session, channel_id: str) -> Optional[ChannelFact]:
    return s.get(ChannelFact, channel_id)


def record(s: Session, channel_id: str, *, ext_shared: bool, archived: bool, now: datetime) -> bool:
    """Store what Slack said of the channel at `now`, unless a newer fact is stored (an event
    recorded while we were asking Slack wins over the answer asked for before it). True if stored."""
    row = s.get(ChannelFact, channel_id, populate_existing=True, with_for_update=True)
    if row is None:
        s.add(ChannelFact(channel_id=channel_id, ext_shared=ext_shared, archived=archived, checked_at=now))
    elif aware(row.checked_at) > now:
        return False
    else:
        row.ext_shared, row.archived, row.checked_at = ext_shared, archived, now
        s.add(row)
    s.flush()
    return True


def aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def forget(s: Session, channel_id: str) -> bool:
    """The fact is no longer known (the next use asks Slack). True when there was one."""
    return bool(s.execute(delete(ChannelFact).where(ChannelFact.channel_id == channel_id)).rowcount)


def older_than(s: Session, before: datetime, limit: int) -> list[str]:
    """Channels whose fact was last checked before `before`, oldest first."""
    stmt = select(ChannelFact.channel_id).where(ChannelFact.checked_at < before)
    return list(s.execute(stmt.order_by(ChannelFact.checked_at).limit(limit)).scalars())
