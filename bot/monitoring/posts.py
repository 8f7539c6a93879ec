"""What monitoring puts in the outbox, inside the transaction that records it.

Keys (unique, stable, so a rerun finds the same post and edits it):

    summary:{project}:{date}     the day's summary in the project channel
    catchup:{project}:{date}     more than three missed days at once, from that date (bot.views.catch_up)
    alert:{alert}:dm             the alert in the manager's DM
    alert:{alert}:mgrs           the alert in MANAGERS_CHANNEL (when set)
    alert:{alert}:note           a note in the thread of the day's summary
    checklist:{project}          edits of the project's checklist message
"""

from __future__ import annotations

from bot import fmt

from datetime import date
from typing import Any, Callable, Iterable, Optional

from bot import views
from bot.monitoring.rules import SummaryFacts, summary_facts
from bot.notify import enqueue
from bot.summary import DaySummary
from bot.views.alerts import alert_message, alert_note
from bot.views.catch_up import catch_up_message
from bot.views.monitoring import summary_line, summary_message
from storage import repo
from storage.db import Session
from storage.models import Alert, Post, Project
from storage.monitoring import (
    alerts_of_day, latest_stored, remember_summary_message, repeats_of, stored_day, stored_days,
)
from storage.outbox import catch_up_of, post_exists, post_of

ALERT_KINDS = ("alert_dm", "alert_channel", "alert_note")


def summary_key(project_id: int, d: date) -> str:
    return f"summary:{project_id}:{d.isoformat()}"


def alert_keys(alert_id: int) -> list[str]:
    return [f"alert:{alert_id}:dm", f"alert:{alert_id}:mgrs", f"alert:{alert_id}:note"]


def day_alert_ids(s: Session, p: Project, summary: DaySummary) -> tuple[str, ...]:
    """Checks raised for the day, for the summary's footer (an unread source
    that was read later is no longer worth naming)."""
    out = []
    for a in alerts_of_day(s, p.id, summary.local_date):
        if summary.source_ok and a.check_id == "source_unavailable":
            continue
        if a.check_id not in out:
            out.append(a.check_id)
    return tuple(out)


def facts_for(s: Session, p: Project, summary: DaySummary, stored: Optional[dict] = None,
              fresh: Optional[dict] = None, restated: Optional[str] = None,
              checks: Optional[tuple[str, ...]] = None) -> SummaryFacts:
    """The summary's comparisons: earlier days since go-live as stored (read now
    unless given) with fresher ones read in this pass over them; the checks
    raised for the day (read now unless given)."""
    earlier = dict(stored) if stored is not None else stored_days(s, p.id, p.golive, summary.local_date)
    earlier.update(fresh or {})
    prior = [x for day, x in earlier.items() if day < summary.local_date]
    alerts = checks if checks is not None else day_alert_ids(s, p, summary)
    return summary_facts(summary, prior, p.projected_per_day, p.golive, alerts=alerts, restated=restated)


def catch_up_key(project_id: int, first: date) -> str:
    return f"catchup:{project_id}:{first.isoformat()}"


def day_post(s: Session, project_id: int, d: date) -> Optional[Post]:
    """The message that shows day d: its own summary, or the catch-up it was folded into (None: neither yet)."""
    return post_of(s, summary_key(project_id, d)) or catch_up_of(s, project_id, d)


def day_thread_key(s: Session, project_id: int, d: date) -> str:
    """The key of the post whose thread holds day d's alert notes."""
    if post_exists(s, summary_key(project_id, d)):
        return summary_key(project_id, d)
    c = catch_up_of(s, project_id, d)
    return c.idempotency_key if c is not None else summary_key(project_id, d)


def post_summary(s: Session, p: Project, facts: SummaryFacts) -> str:
    d = facts.day.local_date
    key = summary_key(p.id, d)
    if not post_exists(s, key):
        folded = catch_up_of(s, p.id, d)
        if folded is not None:  # a day of a catch-up restated: the catch-up's line is rewritten
            return post_catch_up(s, p, [date.fromisoformat(x) for x in folded.payload["meta"]["dates"]])
    text, blocks = summary_message(p, facts)
    enqueue(s, key=key, kind="summary", channel=p.channel_id, text=text, blocks=blocks, project_id=p.id,
            meta={"date": d.isoformat()})
    return key


def post_catch_up(s: Session, p: Project, dates: list[date]) -> str:
    """One message for several days (oldest first), each day's summary as stored; keyed by its first day."""
    days = sorted(dates)
    facts = []
    for d in days:
        row = stored_day(s, p.id, d)
        if row is not None and row.data:
            summary = DaySummary.from_dict(row.data)
            facts.append(facts_for(s, p, summary, restated=row.data.get("_restated")))
    key = catch_up_key(p.id, days[0])
    if not facts:
        return key
    text, blocks = catch_up_message(p, facts)
    enqueue(s, key=key, kind="catch_up", channel=p.channel_id, text=text, blocks=blocks, project_id=p.id,
            meta={"dates": [d.isoformat() for d in days]})
    return key


def post_alert(s: Session, p: Project, alert: Alert, lead: Optional[Alert],
               managers_channel: Optional[str], *, thread_key: Optional[str] = None,
               portal_url: Optional[str] = None) -> list[str]:
    """A new alert: DM the manager, MANAGERS_CHANNEL, and a note in the day's thread
    (`thread_key`: the catch-up being recorded). A repeat (folded into `lead`): only
    the note, and the lead's messages now list the day."""
    if lead is not None:
        keys = [_note(s, p, alert, lead, thread_key=thread_key)]
        return keys + restate_alert(s, p, lead, managers_channel, portal_url=portal_url)
    return restate_alert(s, p, alert, managers_channel, thread_key=thread_key, portal_url=portal_url)


def _note(s: Session, p: Project, alert: Alert, lead: Optional[Alert], told: Iterable[str] = (),
          thread_key: Optional[str] = None) -> str:
    text, blocks = alert_note(p, alert, lead, told)
    key = f"alert:{alert.id}:note"
    enqueue(s, key=key, kind="alert_note", channel=p.channel_id, text=text, blocks=blocks, project_id=p.id,
            thread_key=thread_key or day_thread_key(s, p.id, alert.local_date), meta={"alert": alert.id})
    return key


def restate_alert(s: Session, p: Project, alert: Alert, managers_channel: Optional[str], *,
                  thread_key: Optional[str] = None, portal_url: Optional[str] = None) -> list[str]:
    """(Re)write every message of an alert and of the repeats folded into it, as they stand now."""
    repeats = repeats_of(s, alert.id)
    where = day_post(s, p.id, alert.local_date)
    summary_link = (where.payload or {}).get("permalink") if where is not None else None
    text, blocks = alert_message(p, alert, [r.local_date for r in repeats], summary_link=summary_link,
                                 portal_url=portal_url)
    dm, mgrs, _ = alert_keys(alert.id)
    enqueue(s, key=dm, kind="alert_dm", channel=p.manager_id, text=text, blocks=blocks, project_id=p.id,
            meta={"alert": alert.id})
    keys = [dm]
    told = [fmt.user(p.manager_id)]
    if managers_channel:
        enqueue(s, key=mgrs, kind="alert_channel", channel=managers_channel, text=text, blocks=blocks,
                project_id=p.id, meta={"alert": alert.id})
        keys.append(mgrs)
        told.append(fmt.channel(managers_channel))
    keys.append(_note(s, p, alert, None, told, thread_key=thread_key))
    for r in repeats:
        keys.append(_note(s, p, r, alert))
    return keys


def latest_line(s: Session, p: Project) -> Optional[str]:
    last = latest_stored(s, p.id)
    if last is None:
        return None
    return summary_line(facts_for(s, p, last))


def refresh_checklist(s: Session, p: Project,
                      schedule_text: Optional[Callable[[Any], Optional[str]]] = None) -> Optional[str]:
    """Edit the project's checklist in place (days monitored, latest summary, open alerts;
    step 4's schedule line when `schedule_text` draws it, see bot.schedule.wiring), only when
    what it would show differs from what it shows apart from the day's figures
    (project.checklist_hash, views.checklist_steady_hash): chat.update is Tier 3, and a quiet
    day of a quiet project changes nothing else."""
    if not p.checklist_ts:
        return None
    snap = repo.snapshot(s, p)
    key = f"checklist:{p.id}"
    sched = schedule_text(snap) if schedule_text is not None else None
    line = latest_line(s, p)
    text, blocks = views.checklist_text(snap), views.checklist_blocks(snap, line, sched)
    shown = views.checklist_steady_hash(snap, line, sched)
    if shown == p.checklist_hash:
        return None
    # `replaces` makes the edit differ from an earlier one of the same content when the message
    # was redrawn in between (bot.checklist): the outbox sends it rather than taking it as sent.
    enqueue(s, key=key, kind="checklist", channel=p.channel_id, text=text, blocks=blocks, project_id=p.id,
            ts=p.checklist_ts, edit_only=True, meta={"replaces": p.checklist_hash})
    if not p.locked:
        p.checklist_hash = shown
        s.add(p)
    return key


def day_post_sent(s: Session, post: Post, managers_channel: Optional[str] = None,
                  portal_url: Optional[str] = None) -> None:
    """A day's summary (or a catch-up) was sent (the outbox's on_sent hook): where it is goes on the
    daily_summary rows, and the alerts of its days are rewritten to link to it once its permalink is known."""
    meta = (post.payload or {}).get("meta") or {}
    dates = [meta["date"]] if meta.get("date") else list(meta.get("dates") or [])
    p = s.get(Project, post.project_id) if post.project_id else None
    if p is None or p.locked:
        return
    for d in dates:
        remember_summary_message(s, post, date.fromisoformat(d))
    if not (post.payload or {}).get("permalink"):
        return
    for d in dates:
        for a in alerts_of_day(s, p.id, date.fromisoformat(d)):
            if not (a.evidence or {}).get("repeat_of"):
                restate_alert(s, p, a, managers_channel, portal_url=portal_url)
