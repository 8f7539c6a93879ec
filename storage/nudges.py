"""Nudges' storage: the facts the rules judge (bot/nudges/rules.py), a person's
snoozes and stops (`nudge_hold`), and the reminder a message is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from bot.nudges.rules import NudgeFacts, OpenItem
from storage.dbutil import insert_ignore
from storage.models import Alert, Audit, DailySummaryRow, Handoff, Item, NudgeHold, Post, Project, StepState
from storage.outbox import post_by_ts

SYSTEM_ACTORS = ("addon-bot",)  # the bot's own audit entries are not a change by a person
NUDGE_KIND = "nudge"  # the outbox kind of a reminder


def _local(dt: Optional[datetime], tz: str) -> Optional[date]:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo("UTC"))
    return dt.astimezone(ZoneInfo(tz)).date()


def facts(s: Session, p: Project, today: date, calendar: str, window: int) -> NudgeFacts:
    """One project's facts as of its local `today`; summaries and alerts of the last `window` days."""
    steps = {r.step: r.state for r in s.execute(select(StepState).where(StepState.project_id == p.id)).scalars()}
    h = s.execute(select(Handoff).where(Handoff.project_id == p.id, Handoff.sent_at.is_not(None))
                  .order_by(Handoff.id.desc()).limit(1)).scalars().first()
    items = tuple(OpenItem(i.number, i.text, _local(i.created_at, p.tz)) for i in s.execute(
        select(Item).where(Item.project_id == p.id, Item.status == "open").order_by(Item.number)).scalars())
    since = today - timedelta(days=window + 2)
    summary_days = frozenset(s.execute(select(DailySummaryRow.local_date).where(
        DailySummaryRow.project_id == p.id, DailySummaryRow.source_ok == True,  # noqa: E712
        DailySummaryRow.local_date >= since)).scalars())
    alerts = list(s.execute(select(Alert.local_date, Alert.state).where(
        Alert.project_id == p.id, or_(Alert.state == "open", Alert.local_date >= since))))
    last = s.execute(select(Audit.at).where(
        Audit.project_id == p.id, Audit.actor_id.not_in(SYSTEM_ACTORS), Audit.action.not_like("nudge%"))
        .order_by(Audit.id.desc()).limit(1)).scalar_one_or_none()
    return NudgeFacts(
        project_id=p.id, calendar=calendar, locked=p.locked,
        monitor_done=steps.get("monitor", "open") != "open", handoff_done=steps.get("handoff", "open") != "open",
        handoff_sent=_local(h.sent_at, p.tz) if h else None, handoff_acked=bool(h and h.acknowledged_by),
        items=items, open_alerts=sum(1 for _, st in alerts if st == "open"),
        summary_days=summary_days, alert_days=frozenset(d for d, _ in alerts if d >= since),
        last_change=_local(last, p.tz), golive=p.golive,
    )


def holds(s: Session, project_id: int) -> dict[tuple[str, str], NudgeHold]:
    """(kind, user) -> that person's snooze or stop, for one project."""
    rows = s.execute(select(NudgeHold).where(NudgeHold.project_id == project_id)).scalars()
    return {(h.kind, h.user_id): h for h in rows}


def set_hold(s: Session, project_id: int, kind: str, user_id: str, *, until: Optional[datetime],
             stopped: bool, now: datetime) -> None:
    """Snooze (until) or stop one kind of reminder for one person on one project."""
    values = dict(project_id=project_id, kind=kind, user_id=user_id, until=until, stopped=stopped,
                  by=user_id, at=now)
    if insert_ignore(s, NudgeHold, values, ["project_id", "kind", "user_id"]):
        return
    row = s.execute(select(NudgeHold).where(NudgeHold.project_id == project_id, NudgeHold.kind == kind,
                                            NudgeHold.user_id == user_id).with_for_update()).scalars().one()
    row.until, row.stopped, row.by, row.at = until, stopped, user_id, now
    s.add(row)


def nudge_at(s: Session, channel: str, ts: str) -> Optional[Post]:
    """The reminder a message is (its outbox row), or None."""
    return post_by_ts(s, channel, ts, (NUDGE_KIND,))


def project_of(s: Session, project_id: int) -> Optional[Project]:
    return s.get(Project, project_id)
