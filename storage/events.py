"""Slack deliveries already taken (`slack_event`): the durable dedupe of
Events API retries and Socket Mode re-deliveries. And typed text a button
must carry (`typed_text`): the button holds its id."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from storage.dbutil import insert_ignore
from typing import Optional

from storage.models import SlackEvent, TypedText

# Slack retries an event three times over about an hour and a half
# (https://api.slack.com/apis/events-api#retries); a day is kept, to be safe.
KEEP = timedelta(days=1)


def claim(s: Session, event_id: str, kind: str, now: datetime) -> bool:
    """True for the first delivery of `event_id`; False for any re-delivery."""
    return insert_ignore(s, SlackEvent, dict(event_id=event_id[:100], kind=kind[:64], received_at=now),
                         ["event_id"])


def prune(s: Session, now: datetime) -> int:
    """Forget deliveries older than KEEP, and kept text older than a week; returns how many rows went."""
    c = s.connection()
    gone = c.execute(delete(SlackEvent).where(SlackEvent.received_at < now - KEEP)).rowcount or 0
    return gone + (c.execute(delete(TypedText).where(TypedText.created_at < now - timedelta(days=7))).rowcount or 0)


def keep_text(s: Session, text: str, now: datetime) -> int:
    row = TypedText(text=text, created_at=now)
    s.add(row)
    s.flush()
    return int(row.id)


def kept_text(s: Session, text_id: int) -> Optional[str]:
    row = s.get(TypedText, text_id)
    return row.text if row else None
