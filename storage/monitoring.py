"""Monitoring's tables: the day claims, stored summaries and alerts.

The daily_summary row of (project, local date) is also the claim to produce
that day's summary: INSERT ... ON CONFLICT DO NOTHING, or a conditional UPDATE
of an expired or released claim. Only the claimant writes the day's results,
in one transaction together with its alerts and its outbox posts.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Optional

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.checks import Finding
from bot.errors import NotFound, ProjectLocked
from bot.monitoring.rules import CLAIM_TTL, FINAL_STATES, ITEM, SOURCE_RETRY, DayRow, repeat_lead
from bot.summary import DaySummary
from storage import repo
from storage.dbutil import insert_ignore
from storage.models import Alert, DailySummaryRow, Project

Row = DailySummaryRow


# ---- projects and days ---------------------------------------------------------------
def open_projects(s: Session) -> list[Project]:
    return list(s.execute(select(Project).where(Project.locked == False)  # noqa: E712
                          .order_by(Project.id)).scalars())


def owner_gone(claimed_by: Optional[str]) -> bool:
    """True when a claim's owner (`host:pid:nonce`, bot.notify.instance_id) was a process on this
    host that is no longer running: its claim is taken over at once instead of after CLAIM_TTL.
    Owners on other hosts are not judged here; their claims expire with the lease."""
    parts = (claimed_by or "").split("#")[0].split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname()[:30] or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid() or pid <= 1:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but is not ours to signal
        return False
    try:  # a zombie (killed, not yet reaped by its parent) is gone too
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
    except OSError:
        return False


def day_rows(s: Session, project_ids: list[int], since: date) -> dict[int, dict[date, DayRow]]:
    """Progress of every day since `since` for these projects, in one query."""
    out: dict[int, dict[date, DayRow]] = {pid: {} for pid in project_ids}
    if not project_ids:
        return out
    stmt = select(Row.project_id, Row.local_date, Row.posted_at, Row.source_ok, Row.updated_at,
                  Row.claimed_by, Row.claimed_at).where(Row.local_date >= since)
    if len(project_ids) <= 500:
        stmt = stmt.where(Row.project_id.in_(project_ids))
    for pid, d, posted, ok, upd, by, at in s.execute(stmt):
        if pid in out:
            until = at + CLAIM_TTL if by and at and not owner_gone(by) else None
            out[pid][d] = DayRow(done=posted is not None, source_ok=bool(ok), updated_at=_aware(upd),
                                 claimed_until=_aware(until))
    return out


def _aware(dt: Optional[datetime]) -> Optional[datetime]:
    from datetime import timezone

    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def stored_days(s: Session, project_id: int, since: date, until: Optional[date] = None) -> dict[date, DaySummary]:
    """Summaries already produced (the unread source included), by local date."""
    stmt = select(Row.data).where(Row.project_id == project_id, Row.local_date >= since,
                                  Row.posted_at.is_not(None))
    if until is not None:
        stmt = stmt.where(Row.local_date <= until)
    out = {}
    for (data,) in s.execute(stmt):
        if data:
            d = DaySummary.from_dict(data)
            out[d.local_date] = d
    return out


def stored_days_many(s: Session, projects: list[Project]) -> dict[int, dict[date, DaySummary]]:
    """stored_days of several projects (each since its go-live) in one query."""
    out: dict[int, dict[date, DaySummary]] = {p.id: {} for p in projects}
    if not projects:
        return out
    since = min(p.golive for p in projects)
    golive = {p.id: p.golive for p in projects}
    stmt = select(Row.project_id, Row.local_date, Row.data).where(
        Row.project_id.in_(list(out)), Row.local_date >= since, Row.posted_at.is_not(None))
    for pid, d, data in s.execute(stmt):
        if data and d >= golive[pid]:
            out[pid][d] = DaySummary.from_dict(data)
    return out


def stored_day(s: Session, project_id: int, d: date) -> Optional[DailySummaryRow]:
    return s.execute(select(Row).where(Row.project_id == project_id, Row.local_date == d)).scalars().first()


def latest_stored(s: Session, project_id: int) -> Optional[DaySummary]:
    data = s.execute(select(Row.data).where(Row.project_id == project_id, Row.source_ok == True,  # noqa: E712
                                            Row.posted_at.is_not(None))
                     .order_by(Row.local_date.desc()).limit(1)).scalar_one_or_none()
    return DaySummary.from_dict(data) if data else None


# ---- claims ----------------------------------------------------------------------------
def claim_day(sf, project_id: int, d: date, me: str, now: datetime, *, force: bool = False) -> bool:
    """Claim (project, d) for `me`. Without `force` (the scheduler) a day already
    done is not claimed again, except an unread one due for another try."""
    try:
        with repo.transaction(sf) as s:
            return _claim(s, project_id, d, me, now, force)
    except ProjectLocked:
        return False


def claim_days(sf, pairs: list[tuple[int, date]], me: str, now: datetime, *, force: bool = False) -> set:
    """Claim many (project, day) in one transaction; the set of those won."""
    if not pairs:
        return set()
    won = set()
    try:
        with repo.transaction(sf) as s:
            for pid, d in pairs:
                if _claim(s, pid, d, me, now, force):
                    won.add((pid, d))
        return won
    except ProjectLocked:  # a project completed meanwhile: claim one by one, skipping it
        return {(pid, d) for pid, d in pairs if claim_day(sf, pid, d, me, now, force=force)}


def _claim(s: Session, project_id: int, d: date, me: str, now: datetime, force: bool) -> bool:
    if insert_ignore(s, Row, dict(project_id=project_id, local_date=d, data={}, source_ok=False,
                                  claimed_by=me, claimed_at=now, updated_at=now),
                     ["project_id", "local_date"]):
        return True
    cond = [Row.project_id == project_id, Row.local_date == d,
            or_(Row.claimed_by.is_(None), Row.claimed_at < now - CLAIM_TTL)]
    if not force:
        cond.append(or_(Row.posted_at.is_(None),
                        and_(Row.source_ok == False, Row.updated_at <= now - SOURCE_RETRY)))  # noqa: E712
    res = s.execute(update(Row).where(*cond).values(claimed_by=me, claimed_at=now)
                    .execution_options(synchronize_session=False))
    if res.rowcount == 1:
        return True
    # Held by a process that is gone (killed, crashed): take it over now, not when the lease runs out.
    holder = s.execute(select(Row.claimed_by).where(Row.project_id == project_id, Row.local_date == d)).scalar()
    if holder is None or holder == me or not owner_gone(holder):
        return False
    cond[2] = Row.claimed_by == holder
    res = s.execute(update(Row).where(*cond).values(claimed_by=me, claimed_at=now)
                    .execution_options(synchronize_session=False))
    return res.rowcount == 1


def release_day_in(s: Session, project_id: int, d: date, me: str) -> None:
    """Give up our claim of (project, d) in this transaction."""
    s.execute(update(Row).where(Row.project_id == project_id, Row.local_date == d, Row.claimed_by == me)
              .values(claimed_by=None, claimed_at=None).execution_options(synchronize_session=False))


def release_day(sf, project_id: int, d: date, me: str) -> None:
    """Give up our claim of (project, d), in a transaction of its own; a locked project keeps its rows."""
    try:
        with repo.transaction(sf) as s:
            release_day_in(s, project_id, d, me)
    except (ProjectLocked, DBAPIError):
        pass


def lock_open_project(s: Session, project_id: int) -> Project:
    """The project's row, taken for this transaction and read fresh; ProjectLocked once completed."""
    proj = s.get(Project, project_id, with_for_update=True, populate_existing=True)
    if proj is None or proj.locked:  # completed meanwhile (the triggers would refuse anyway)
        raise ProjectLocked()
    return proj


@dataclass
class Saved:
    first: bool  # the day had not been summarised before
    changed: bool  # the numbers differ from what was stored
    restated: Optional[str] = None  # YYYY-MM-DD: late changes moved the numbers after it was posted


_SAVE = update(Row).where(Row.id == bindparam("rid")).values(
    data=bindparam("data"), fingerprint=bindparam("fp"), source_ok=bindparam("ok"),
    channel_id=bindparam("channel"), posted_at=bindparam("posted"), claimed_by=None, claimed_at=None,
    updated_at=bindparam("now"))


def save_day(s: Session, project: Project, summary: DaySummary, me: Optional[str], now: datetime,
             *, restated_on: Optional[date] = None) -> Optional[Saved]:
    """Store the day's summary and release its claim. With `me`, only while
    holding the claim (None: lost it); without, only when nobody holds a live one."""
    row = s.execute(select(Row.id, Row.fingerprint, Row.posted_at, Row.claimed_by, Row.claimed_at, Row.source_ok,
                           Row.data)
                    .where(Row.project_id == project.id, Row.local_date == summary.local_date)
                    .with_for_update()).first()
    if row is None:
        return None
    if me is not None and row.claimed_by != me:
        return None
    if me is None and row.claimed_by and row.claimed_at and _aware(row.claimed_at) > now - CLAIM_TTL:
        return None
    fp = summary.fingerprint()
    first = row.posted_at is None
    changed = row.fingerprint != fp
    data = summary.to_dict()
    restated = (row.data or {}).get("_restated")
    if not first and changed and row.source_ok and summary.source_ok:
        restated = (restated_on or now.date()).isoformat()
    if restated:
        data["_restated"] = restated
    s.connection().execute(_SAVE, {"rid": row.id, "data": data, "fp": fp, "ok": summary.source_ok,
                                   "channel": project.channel_id, "posted": row.posted_at or now, "now": now})
    return Saved(first, changed, restated)


# ---- alerts ----------------------------------------------------------------------------
@dataclass
class AlertEvent:
    alert: Alert
    lead: Optional[Alert] = None  # set: folded into this open alert instead of notifying again


def record_findings(s: Session, project: Project, d: date, findings: Iterable[Finding],
                    now: datetime) -> list[AlertEvent]:
    """One alert per project, check and day; new ones only (a rerun adds none)."""
    events = []
    for f in findings:
        if s.execute(select(Alert.id).where(Alert.project_id == project.id, Alert.check_id == f.check,
                                            Alert.local_date == d)).first():
            continue
        open_same = [(a.id, a.local_date, _aware(a.created_at), not (a.evidence or {}).get("repeat_of"))
                     for a in s.execute(select(Alert).where(Alert.project_id == project.id,
                                                            Alert.check_id == f.check,
                                                            Alert.state == "open")).scalars()]
        lead_id = repeat_lead(open_same, d, now)
        evidence = dict(f.evidence or {})
        if lead_id is not None:
            evidence["repeat_of"] = lead_id
        a = Alert(project_id=project.id, check_id=f.check, local_date=d, severity=f.severity,
                  message=f.message[:1000], evidence=evidence, state="open", created_at=now)
        s.add(a)
        s.flush()
        repo.audit(s, project.id, "addon-bot", "alert_raised", "scheduler",
                   {"alert": a.id, "check": f.check, "date": d.isoformat(), "severity": f.severity,
                    "repeat_of": lead_id})
        events.append(AlertEvent(a, s.get(Alert, lead_id) if lead_id else None))
    return events


def source_alert_to_resolve(s: Session, project_id: int, d: date) -> Optional[Alert]:
    """The open source_unavailable alert of a day that has now been read."""
    return s.execute(select(Alert).where(Alert.project_id == project_id, Alert.local_date == d,
                                         Alert.check_id == "source_unavailable",
                                         Alert.state.in_(("open", "acknowledged")))).scalars().first()


def resolve_alert(s: Session, a: Alert, now: datetime, reason: str) -> None:
    """Mark an alert resolved by the bot itself (no person acted)."""
    a.state, a.acted_at, a.acted_by, a.reason = "resolved", now, None, reason
    s.add(a)


def alerts_of_day(s: Session, project_id: int, d: date) -> list[Alert]:
    return list(s.execute(select(Alert).where(Alert.project_id == project_id, Alert.local_date == d)
                          .order_by(Alert.id)).scalars())


def repeats_of(s: Session, lead_id: int) -> list[Alert]:
    """Alerts folded into `lead_id` (JSON evidence.repeat_of), oldest day first."""
    lead = s.get(Alert, lead_id)
    if lead is None:
        return []
    rows = s.execute(select(Alert).where(Alert.project_id == lead.project_id, Alert.check_id == lead.check_id,
                                         Alert.local_date > lead.local_date)
                     .order_by(Alert.local_date)).scalars()
    return [a for a in rows if (a.evidence or {}).get("repeat_of") == lead_id]


# Not for a completed project: its rows are locked (the trigger would abort the batch).
_REMEMBER = (update(Row)
             .where(Row.project_id.in_(select(Project.id).where(Project.id == bindparam("pid"),
                                                               Project.locked == False)),  # noqa: E712
                    Row.local_date == bindparam("day"))
             .values(message_ts=bindparam("ts"), channel_id=bindparam("channel")))


def remember_summary_message(s: Session, post, day: Optional[date] = None) -> None:
    """Where a day's summary message is (a catch-up's, for its days), on its daily_summary row too."""
    d = day or (date.fromisoformat(post.payload["meta"]["date"]) if (post.payload.get("meta") or {}).get("date")
                else None)
    if d and post.project_id:
        s.connection().execute(_REMEMBER, {"pid": post.project_id, "day": d, "ts": post.ts,
                                           "channel": post.channel_id})


# ---- what people do to an alert (bot.monitoring.alerts) ------------------------------------
def lead_alert(s: Session, alert_id: int) -> Alert:
    """The alert, or the one it was folded into (a repeat is handled with its lead), read fresh."""
    a = s.get(Alert, alert_id)
    if a is None:
        raise NotFound("That alert no longer exists.")
    lead = (a.evidence or {}).get("repeat_of")
    if lead and s.get(Alert, lead) is not None:
        a = s.get(Alert, lead)
    s.refresh(a)
    return a


def reread(s: Session, row) -> None:
    """Read a row again (after taking the project's lock)."""
    s.refresh(row)


def set_alert_state(s: Session, a: Alert, state: str, by: Optional[str], at: datetime,
                    reason: Optional[str]) -> None:
    """The alert and its repeats still open take the new state, with who and why."""
    for x in [a] + [r for r in repeats_of(s, a.id) if r.state not in FINAL_STATES]:
        before = {"state": x.state, "by": x.acted_by, "at": x.acted_at.isoformat() if x.acted_at else None,
                  "reason": x.reason}
        x.evidence = {**(x.evidence or {}), "_before": before}  # what an undo puts back
        x.state, x.acted_by, x.acted_at, x.reason = state, by, at, reason
        s.add(x)


def undo_alert_state(s: Session, a: Alert, by: str) -> None:
    """Put back the state before `by`'s last action, on the alert and the repeats it moved."""
    state = a.state
    for x in [a] + repeats_of(s, a.id):
        if x.acted_by != by or x.state != state:
            continue
        ev = dict(x.evidence or {})
        before = ev.pop("_before", None) or {"state": "open"}
        at = before.get("at")
        x.state, x.acted_by, x.reason = before.get("state") or "open", before.get("by"), before.get("reason")
        x.acted_at = datetime.fromisoformat(at) if at else None
        x.evidence = ev
        s.add(x)


def undo_item_claim(s: Session, alert_id: int, by: str, before: tuple) -> None:
    """Put back (state, acted_by, acted_at, reason) on the alerts `by` had claimed as an item."""
    a = s.get(Alert, alert_id)
    for x in [a] + repeats_of(s, alert_id):
        if x.state == ITEM and x.acted_by == by:
            x.state, x.acted_by, x.acted_at, x.reason = before
            s.add(x)


def link_alert_item(s: Session, alert_id: int, item_id: Optional[int], reason: str) -> Alert:
    a = s.get(Alert, alert_id)
    a.item_id, a.reason = item_id, reason
    s.add(a)
    return a
