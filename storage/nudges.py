"""Nudges' storage: the facts the rules judge (bot/nudges/rules.py), a person's
snoozes and stops (`nudge_hold`), and the reminder a message is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
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
    return facts_many(s, [(p, today, calendar)], window)[p.id]


def facts_many(s: Session, projects: list[tuple[Project, date, str]], window: int) -> dict[int, NudgeFacts]:
    """Each project's facts as of its local today (a handful of queries, whatever the number of projects)."""
    ids = [p.id for p, _, _ in projects]
    if not ids:
        return {}
    since = min(t for _, t, _ in projects) - timedelta(days=window + 2)
    steps: dict[int, dict[str, str]] = {}
    for pid, step, state in s.execute(select(StepState.project_id, StepState.step, StepState.state)
                                      .where(StepState.project_id.in_(ids))):
        steps.setdefault(pid, {})[step] = state
    handoffs: dict[int, Handoff] = {}
    for h in s.execute(select(Handoff).where(Handoff.project_id.in_(ids), Handoff.sent_at.is_not(None))
                       .order_by(Handoff.id)).scalars():
        handoffs[h.project_id] = h  # the latest sent one
    items: dict[int, list[Item]] = {}
    for i in s.execute(select(Item).where(Item.project_id.in_(ids), Item.status == "open")
                       .order_by(Item.project_id, Item.number)).scalars():
        items.setdefault(i.project_id, []).append(i)
    summaries: dict[int, set[date]] = {}
    for pid, d in s.execute(select(DailySummaryRow.project_id, DailySummaryRow.local_date).where(
            DailySummaryRow.project_id.in_(ids), DailySummaryRow.source_ok == True,  # noqa: E712
            DailySummaryRow.local_date >= since)):
        summaries.setdefault(pid, set()).add(d)
    alerts: dict[int, list[tuple[date, str]]] = {}
    for pid, d, st in s.execute(select(Alert.project_id, Alert.local_date, Alert.state).where(
            Alert.project_id.in_(ids), or_(Alert.state == "open", Alert.local_date >= since))):
        alerts.setdefault(pid, []).append((d, st))
    last_ids = (select(func.max(Audit.id)).where(
        Audit.project_id.in_(ids), Audit.actor_id.not_in(SYSTEM_ACTORS), Audit.action.not_like("nudge%"))
        .group_by(Audit.project_id))
    last = dict(s.execute(select(Audit.project_id, Audit.at).where(Audit.id.in_(last_ids))).all())
    out = {}
    for p, today, calendar in projects:
        st, h, al = steps.get(p.id, {}), handoffs.get(p.id), alerts.get(p.id, [])
        lo = today - timedelta(days=window + 2)
        out[p.id] = NudgeFacts(
            project_id=p.id, calendar=calendar, locked=p.locked,
            monitor_done=st.get("monitor", "open") != "open", handoff_done=st.get("handoff", "open") != "open",
            handoff_sent=_local(h.sent_at, p.tz) if h else None, handoff_acked=bool(h and h.acknowledged_by),
            items=tuple(OpenItem(i.number, i.text, _local(i.created_at, p.tz)) for i in items.get(p.id, [])),
            open_alerts=sum(1 for _, a in al if a == "open"),
            summary_days=frozenset(d for d in summaries.get(p.id, ()) if d >= lo),
            alert_days=frozenset(d for d, _ in al if d >= lo),
            last_change=_local(last.get(p.id), p.tz), golive=p.golive,
        )
    return out


def existing_keys(s: Session, keys: list[str]) -> set[str]:
    """Which of these outbox keys are stored already (in chunks: a bounded IN list)."""
    out: set[str] = set()
    for k in range(0, len(keys), 500):
        out.update(s.execute(select(Post.idempotency_key).where(
            Post.idempotency_key.in_(keys[k:k + 500]))).scalars())
    return out


def holds(s: Session, project_id: int) -> dict[tuple[str, str], NudgeHold]:
    """(kind, user) -> that person's snooze or stop, for one project."""
    return holds_many(s, [project_id]).get(project_id, {})


def holds_many(s: Session, ids: list[int]) -> dict[int, dict[tuple[str, str], NudgeHold]]:
    out: dict[int, dict[tuple[str, str], NudgeHold]] = {}
    for h in s.execute(select(NudgeHold).where(NudgeHold.project_id.in_(ids))).scalars():
        out.setdefault(h.project_id, {})[(h.kind, h.user_id)] = h
    return out


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
