"""Tables. Times are UTC in storage; money is integer cents.

A completed project is locked: the repository refuses changes, and triggers
made by the migrations refuse raw SQL too (see migrations/versions/0001).
Every table that belongs to a project carries `project_id`, so one trigger
shape guards them all.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (
        # One open project per Slack channel; a completed one stays for the record.
        Index(
            "uq_project_open_channel",
            "channel_id",
            unique=True,
            sqlite_where=text("locked = 0"),
            postgresql_where=text("NOT locked"),
        ),
        Index("ix_project_biller", "biller_id"),
        Index("ix_project_channel", "channel_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)  # the installing workspace
    biller_id: str = Field(max_length=64)
    addon: str = Field(max_length=80)
    pay_channel: Optional[str] = Field(default=None, max_length=32)  # ivr, text, web, autopay...
    golive: date
    projected_per_day: float
    channel_id: str = Field(max_length=32)  # the internal project channel
    shared_channel_id: Optional[str] = Field(default=None, max_length=32)  # Slack Connect with the biller
    manager_id: str = Field(max_length=32)
    specialist_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tz: str = Field(max_length=64)
    calendar: Optional[str] = Field(default=None, max_length=16)  # public holidays, "US-MA"; None: DEFAULT_CALENDAR
    closed_dates: Optional[str] = Field(default=None, max_length=200)  # "12-24,12-31,2026-11-27": closed besides holidays
    status: str = Field(default="open", max_length=16)  # open | complete
    locked: bool = Field(default=False)
    version: int = Field(default=1)
    checklist_ts: Optional[str] = Field(default=None, max_length=32)
    # What the live checklist message shows (a hash of its rendered text and blocks): edited only when it changes.
    checklist_hash: Optional[str] = Field(default=None, max_length=64)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    completed_by: Optional[str] = Field(default=None, max_length=32)
    completed_at: Optional[datetime] = None
    schedule_confirmed: bool = Field(default=False)  # "every item on the project schedule is 100%"
    # The project's sheet in the schedule (schedule-api.yaml); None: no sheet named.
    schedule_sheet_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # The closing report, written by the same statement that locks the project.
    closing_report: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    cancel_reason: Optional[str] = Field(default=None, max_length=2000)  # status "cancelled": withdrawn
    audit_head: Optional[str] = Field(default=None, max_length=64)  # the audit chain's last hash at completion


class StepState(SQLModel, table=True):
    __tablename__ = "step_state"
    project_id: int = Field(foreign_key="project.id", primary_key=True)
    step: str = Field(primary_key=True, max_length=16)  # monitor | address | handoff | complete
    state: str = Field(default="open", max_length=16)  # open | done | not_applicable
    note: Optional[str] = Field(default=None, max_length=2000)
    by: Optional[str] = Field(default=None, max_length=32)
    at: Optional[datetime] = None


class Item(SQLModel, table=True):
    """A post go-live item to address (step 2)."""

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_item_number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    text: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=16)  # open | remedied | escalated
    note: Optional[str] = Field(default=None, max_length=2000)
    source_alert_id: Optional[int] = None
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_by: Optional[str] = Field(default=None, max_length=32)
    resolved_at: Optional[datetime] = None


class Case(SQLModel, table=True):
    """A Client Services case. Stored (pending) before it is sent, so none is lost."""

    __tablename__ = "cs_case"
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    item_id: Optional[int] = Field(default=None, foreign_key="item.id")
    subject: str = Field(max_length=250)
    description: str = Field(max_length=4000)
    requested_by: str = Field(max_length=32)
    idempotency_key: str = Field(max_length=64, unique=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    external_id: Optional[str] = Field(default=None, max_length=128)
    url: Optional[str] = Field(default=None, max_length=500)
    attempts: int = Field(default=0)
    last_error: Optional[str] = Field(default=None, max_length=500)
    next_attempt_at: Optional[datetime] = None
    slack_permalink: Optional[str] = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: Optional[datetime] = None


class Handoff(SQLModel, table=True):
    """The Client Services handoff message to the biller (step 3)."""

    __tablename__ = "handoff"
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    channel_id: str = Field(max_length=32)
    message_ts: Optional[str] = Field(default=None, max_length=32)
    sent_by: str = Field(max_length=32)
    sent_at: Optional[datetime] = None
    acknowledged_by: Optional[str] = Field(default=None, max_length=32)
    acknowledged_at: Optional[datetime] = None


class DailySummaryRow(SQLModel, table=True):
    """One project's summary for one local date; the row is the claim to post it."""

    __tablename__ = "daily_summary"
    __table_args__ = (UniqueConstraint("project_id", "local_date", name="uq_summary_day"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    local_date: date
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fingerprint: Optional[str] = Field(default=None, max_length=32)
    source_ok: bool = Field(default=True)
    channel_id: Optional[str] = Field(default=None, max_length=32)
    message_ts: Optional[str] = Field(default=None, max_length=32)
    claimed_by: Optional[str] = Field(default=None, max_length=64)
    claimed_at: Optional[datetime] = None
    posted_at: Optional[datetime] = None
    updated_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """One per project, check and local date."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("project_id", "check_id", "local_date", name="uq_alert_day"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    check_id: str = Field(max_length=40)
    local_date: date
    severity: str = Field(max_length=16)
    message: str = Field(max_length=1000)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="open", max_length=16)  # open | acknowledged | dismissed | resolved | item
    acted_by: Optional[str] = Field(default=None, max_length=32)
    acted_at: Optional[datetime] = None
    reason: Optional[str] = Field(default=None, max_length=1000)
    item_id: Optional[int] = None
    created_at: datetime = Field(default_factory=utcnow)


class Post(SQLModel, table=True):
    """Outbox: every scheduled post, keyed before it is sent, so none is doubled or lost."""

    __tablename__ = "post"
    __table_args__ = (Index("ix_post_channel_ts", "channel_id", "ts"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    project_id: Optional[int] = Field(default=None, index=True)
    kind: str = Field(max_length=32)  # summary | alert | alert_thread | case | handoff | ...
    channel_id: str = Field(max_length=32)
    thread_key: Optional[str] = Field(default=None, max_length=200)  # post whose ts is the thread
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed | cancelled | moot
    attempts: int = Field(default=0)
    last_error: Optional[str] = Field(default=None, max_length=500)
    next_attempt_at: Optional[datetime] = None
    claimed_by: Optional[str] = Field(default=None, max_length=64)
    claimed_at: Optional[datetime] = None
    ts: Optional[str] = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: Optional[datetime] = None


class Audit(SQLModel, table=True):
    """Who did what, when, from which surface."""

    __tablename__ = "audit"
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: Optional[int] = Field(default=None, index=True)
    actor_id: str = Field(max_length=32)
    action: str = Field(max_length=40)
    surface: str = Field(max_length=16)  # command | button | modal | reaction | scheduler | cli | event
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow)
    hash: Optional[str] = Field(default=None, max_length=64)  # chained to the project's previous row


class SlackEvent(SQLModel, table=True):
    """A Slack delivery already taken: an Events API `event_id`, or a Socket
    Mode envelope. Slack re-delivers with the same id when it saw no 200 in
    3 s (https://api.slack.com/apis/events-api#retries); the first instance to
    insert the row acts, every other delivery is answered 200 and dropped."""

    __tablename__ = "slack_event"
    __table_args__ = (Index("ix_slack_event_received", "received_at"),)
    event_id: str = Field(primary_key=True, max_length=100)
    kind: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow)


class TypedText(SQLModel, table=True):
    """Text a person typed that a button must carry (a note awaiting a
    confirmation): kept here, the button carries only its id. Button values
    hold at most 2,000 characters (https://api.slack.com/reference/block-kit/block-elements#button)."""

    __tablename__ = "typed_text"
    id: Optional[int] = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class NudgeHold(SQLModel, table=True):
    """A person's snooze or stop of one kind of reminder for one project (bot/nudges)."""

    __tablename__ = "nudge_hold"
    __table_args__ = (UniqueConstraint("project_id", "kind", "user_id", name="uq_nudge_hold"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: str = Field(max_length=16)  # handoff | item | quiet | stall
    user_id: str = Field(max_length=32)
    until: Optional[datetime] = None  # snoozed until; None with `stopped`
    stopped: bool = Field(default=False)
    by: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow)


# Tables whose rows belong to a project and freeze with it.
LOCKED_CHILD_TABLES = ("step_state", "item", "cs_case", "handoff", "daily_summary", "alert")


class SeenRequest(SQLModel, table=True):
    """A signed Slack request already accepted: the same signature is refused for its window."""

    __tablename__ = "seen_request"
    signature: str = Field(primary_key=True, max_length=80)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class ChannelFact(SQLModel, table=True):
    """What Slack said of a channel (conversations.info), so internal content is
    never posted into a channel shared with another organisation without asking
    Slack before every post. Kept true by the `channel_shared`, `channel_unshared`
    and `member_joined_channel` events (bot.handlers.channels) and re-checked when
    older than bot.channels.MAX_AGE; no row means unknown, and unknown is asked.
    In the database so that every instance learns of an event any one received."""

    __tablename__ = "channel_fact"
    channel_id: str = Field(primary_key=True, max_length=32)
    ext_shared: bool = Field(default=False)  # is_ext_shared or is_pending_ext_shared
    archived: bool = Field(default=False)
    checked_at: datetime = Field(default_factory=utcnow, index=True)  # when Slack last said so
