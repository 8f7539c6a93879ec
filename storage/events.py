"""Slack deliveries already taken (`slack_event`): the durable dedupe of
Events API retries and Socket Mode re-deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from storage.dbutil import insert_ignore
from storage.models import SlackEvent

# Slack retries an event three times over about an hour and a half
# (https://api.slack.com/apis/events-api#retries); a day is kept, to be safe.
KEEP = timedelta(days=1)


def claim(s: Session, event_id: str, kind: str, now: datetime) -> bool:
    """True for the first delivery of `event_id`; False for any re-delivery."""
    return insert_ignore(s, SlackEvent, dict(event_id=event_id[:100], kind=kind[:64], received_at=now),
                         ["event_id"])


def prune(s: Session, now: datetime) -> int:
    """Forget deliveries older than KEEP; returns how many rows went."""
    return s.connection().execute(delete(SlackEvent).where(SlackEvent.received_at < now - KEEP)).rowcount or 0
