"""The weekly post-live digest as pure rules: when it is due for a manager, which
week it belongs to, and what each open project needs. No Slack, no database.

DIGEST_TIME is a weekday and a local time ("Mon 08:00") in the manager's own
time zone. A week runs Monday to Sunday in that zone; the week's digest is due
from its weekday and time until the week ends, so a bot that was down on Monday
morning still sends it that week, and the outbox key of (manager, week) makes it
one message whatever restarts or instances there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from bot.workflow import DONE, NOT_APPLICABLE, STEPS, ProjectSnapshot

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POST_LIVE_TARGET_DAYS = 30  # days in post-live after which a project still open needs a push
STALE_STEP_DAYS = 10  # days without any step change after which a project is stalled
HANDOFF_ACK_DAYS = 3  # days a sent handoff may wait for the biller's acknowledgement


def parse_digest_time(value: str) -> tuple[int, time]:
    """"Mon 08:00" -> (0, 08:00); ValueError with the right form otherwise."""
    parts = value.strip().split()
    if len(parts) != 2 or parts[0][:3].lower() not in WEEKDAYS or len(parts[0]) < 3:
        raise ValueError("expected a weekday and a local time, such as Mon 08:00")
    h, _, m = parts[1].partition(":")
    if not (h.isdigit() and m.isdigit() and 0 <= int(h) <= 23 and 0 <= int(m) <= 59 and len(m) == 2):
        raise ValueError("expected a weekday and a local time, such as Mon 08:00")
    return WEEKDAYS.index(parts[0][:3].lower()), time(int(h), int(m))


def week_of(d: date) -> date:
    """The Monday of d's week."""
    return d - timedelta(days=d.weekday())


def due_week(now: datetime, tz: str, weekday: int, at: time) -> Optional[date]:
    """The week (its Monday) whose digest is due now in zone `tz`, or None before this week's moment."""
    local = now.astimezone(ZoneInfo(tz))
    monday = week_of(local.date())
    moment = datetime.combine(monday + timedelta(days=weekday), at, tzinfo=ZoneInfo(tz))
    return monday if local >= moment else None


@dataclass(frozen=True)
class DigestRow:
    project: ProjectSnapshot
    day_n: int  # days in post-live, go-live day being day 1
    needs: tuple[str, ...]  # what needs action, in words; empty: on track
    next_step: str


def next_step(p: ProjectSnapshot) -> str:
    for info in STEPS:
        if p.step(info.key).state not in (DONE, NOT_APPLICABLE):
            return f"{info.number}. {info.title}"
    return "complete the project"


def digest_row(p: ProjectSnapshot, today: date, now: datetime) -> DigestRow:
    needs = []
    if p.open_alerts:
        needs.append(f"{p.open_alerts} open alert{'s' if p.open_alerts != 1 else ''}")
    if p.handoff_sent_at and not p.handoff_acknowledged_by:
        sent = p.handoff_sent_at if p.handoff_sent_at.tzinfo else p.handoff_sent_at.replace(tzinfo=now.tzinfo)
        if now - sent >= timedelta(days=HANDOFF_ACK_DAYS):
            needs.append(f"handoff unacknowledged since {sent.date().isoformat()}")
    day_n = (today - p.golive).days + 1
    if day_n > POST_LIVE_TARGET_DAYS:
        needs.append(f"day {day_n} of post-live (target {POST_LIVE_TARGET_DAYS})")
    changed = [s.at for s in p.steps.values() if s.at is not None]
    last = max((c if c.tzinfo else c.replace(tzinfo=now.tzinfo) for c in changed), default=None)
    if day_n > STALE_STEP_DAYS and (last is None or now - last >= timedelta(days=STALE_STEP_DAYS)):
        since = f"since {last.date().isoformat()}" if last else "since go-live"
        needs.append(f"no step changed {since}")
    return DigestRow(p, day_n, tuple(needs), next_step(p))


def digest_rows(projects: list[ProjectSnapshot], today: date, now: datetime) -> list[DigestRow]:
    """Every open project, the ones needing action first (most needs, then longest in post-live)."""
    rows = [digest_row(p, today, now) for p in projects if not p.locked]
    return sorted(rows, key=lambda r: (not r.needs, -len(r.needs), -r.day_n, r.project.biller_id))
