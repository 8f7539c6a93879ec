"""Nudges as pure rules: business days on a project's calendar, its working
hours, which reminders are due and for whom, and the period a reminder belongs
to. No Slack, no database.

Four kinds:

    handoff  the handoff was sent and the biller has not acknowledged it for
             NUDGE_HANDOFF_DAYS business days
    item     a post go-live item has been open for NUDGE_ITEM_DAYS business days
    quiet    NUDGE_QUIET_DAYS days of daily summaries in a row without an alert,
             none open, and step 1 still open: "ready to mark Monitor done?"
    stall    nobody changed anything on the project for NUDGE_STALL_DAYS business days

A reminder goes to each specialist; NUDGE_ESCALATE_AFTER days past the kind's
threshold (business days; days for `quiet`) it goes to the manager as well.
It is sent only on the project's business days (Monday to Friday, not a public
holiday of its calendar) within NUDGE_HOURS in the project's time zone.

Periods: a person gets at most one reminder of a kind for a project per week
(the week's Monday names the period). A snooze ends at the start of working
hours of a later business day; the reminder then comes again that day, the
snooze's end date naming its period. Stop: never again for that project and kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from bot.checks.calendar_days import is_holiday

HANDOFF, ITEM, QUIET, STALL = "handoff", "item", "quiet", "stall"
KINDS = (HANDOFF, ITEM, QUIET, STALL)
SNOOZE_DAYS = {"day": 1, "week": 5}  # business days a snooze lasts
HOURS_ERROR = "expected working hours as HH:MM-HH:MM, the start before the end, such as 09:00-17:00"


def parse_hours(value: str) -> tuple[time, time]:
    """"09:00-17:00" -> (09:00, 17:00); ValueError with the right form otherwise."""
    a, sep, b = (value or "").strip().partition("-")
    try:
        start, end = _hhmm(a), _hhmm(b)
    except ValueError:
        raise ValueError(HOURS_ERROR) from None
    if not sep or start >= end:
        raise ValueError(HOURS_ERROR)
    return start, end


def _hhmm(text: str) -> time:
    h, sep, m = text.strip().partition(":")
    if not (sep and h.isdigit() and m.isdigit() and len(m) == 2 and len(h) <= 2):
        raise ValueError(text)
    return time(int(h), int(m))


# ---- business days -------------------------------------------------------------
def is_business_day(d: date, calendar: str) -> bool:
    """Monday to Friday, and not a public holiday of the calendar."""
    return d.weekday() < 5 and not is_holiday(calendar, d)


def business_days_after(start: date, end: date, calendar: str) -> int:
    """Business days d with start < d <= end (0 when end <= start): a handoff sent
    on a Monday is 3 business days old on Thursday."""
    n, d = 0, start + timedelta(days=1)
    while d <= end:
        n += is_business_day(d, calendar)
        d += timedelta(days=1)
    return n


def add_business_days(d: date, n: int, calendar: str) -> date:
    """The n-th business day after d (n >= 1)."""
    while n > 0:
        d += timedelta(days=1)
        n -= is_business_day(d, calendar)
    return d


def in_working_hours(now: datetime, tz: str, calendar: str, hours: tuple[time, time]) -> bool:
    local = now.astimezone(ZoneInfo(tz))
    return is_business_day(local.date(), calendar) and hours[0] <= local.time() < hours[1]


def snooze_until(now: datetime, tz: str, calendar: str, hours: tuple[time, time], length: str) -> datetime:
    """The start of working hours SNOOZE_DAYS[length] business days after today (local)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    d = add_business_days(today, SNOOZE_DAYS[length], calendar)
    return datetime.combine(d, hours[0], tzinfo=ZoneInfo(tz))


def period_of(today: date, snooze_ended: Optional[date]) -> str:
    """The period a reminder sent today belongs to: the week's Monday, or the end
    of a snooze that ended this week (so the reminder comes again that day)."""
    monday = today - timedelta(days=today.weekday())
    if snooze_ended is not None and monday <= snooze_ended <= today:
        return snooze_ended.isoformat()
    return monday.isoformat()


# ---- what is due -----------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    handoff: int = 3
    item: int = 5
    quiet: int = 14
    stall: int = 10
    escalate_after: int = 3

    def of(self, kind: str) -> int:
        return getattr(self, kind)


@dataclass(frozen=True)
class OpenItem:
    number: int
    text: str
    opened: date  # local date


@dataclass(frozen=True)
class NudgeFacts:
    """What the rules need to know of one open project, as of its local today."""

    project_id: int
    calendar: str
    locked: bool
    monitor_done: bool
    handoff_done: bool
    handoff_sent: Optional[date] = None  # local date of the latest sent handoff
    handoff_acked: bool = False
    items: tuple[OpenItem, ...] = ()
    open_alerts: int = 0
    summary_days: frozenset[date] = field(default_factory=frozenset)  # days with a summary from good data
    alert_days: frozenset[date] = field(default_factory=frozenset)  # days with any alert
    last_change: Optional[date] = None  # local date of the last change by a person
    golive: Optional[date] = None  # a project not live yet is not stalled: its clock starts at go-live


@dataclass(frozen=True)
class Due:
    kind: str
    age: int  # business days (days for `quiet`) since the clock of this kind started
    threshold: int
    escalate: bool  # the manager is told as well
    items: tuple[OpenItem, ...] = ()  # `item`: the overdue ones, oldest first
    since: Optional[date] = None


def quiet_days(f: NudgeFacts, today: date) -> int:
    """Days in a row, back from yesterday (or the day before, when yesterday's summary
    is not posted yet), with a summary and no alert."""
    d = today - timedelta(days=1)
    if d not in f.summary_days:
        d -= timedelta(days=1)
    n = 0
    while d in f.summary_days and d not in f.alert_days:
        n += 1
        d -= timedelta(days=1)
    return n


def live_condition(f: NudgeFacts, kind: str) -> bool:
    """The situation the kind reminds of still holds (whatever its age): False makes a
    queued reminder moot and a click on a sent one answered with the current state."""
    if f.locked:
        return False
    if kind == HANDOFF:
        return f.handoff_sent is not None and not f.handoff_acked and not f.handoff_done
    if kind == ITEM:
        return bool(f.items)
    if kind == QUIET:
        return not f.monitor_done and f.open_alerts == 0
    return True  # stall: a change since makes the reminder moot (judged by due_nudges)


def due_nudges(f: NudgeFacts, today: date, th: Thresholds) -> list[Due]:
    """Every kind due for the project today (hours and holds aside)."""
    if f.locked:
        return []
    out: list[Due] = []

    def add(kind: str, age: int, **kw) -> None:
        t = th.of(kind)
        if age >= t:
            out.append(Due(kind, age, t, age >= t + th.escalate_after, **kw))

    if live_condition(f, HANDOFF):
        add(HANDOFF, business_days_after(f.handoff_sent, today, f.calendar), since=f.handoff_sent)
    aged = sorted(((business_days_after(i.opened, today, f.calendar), i) for i in f.items),
                  key=lambda x: (-x[0], x[1].number))
    overdue = tuple(i for a, i in aged if a >= th.item)
    if overdue:
        add(ITEM, aged[0][0], items=overdue, since=overdue[0].opened)
    if live_condition(f, QUIET):
        add(QUIET, quiet_days(f, today))
    if f.last_change is not None:
        since = max(f.last_change, f.golive) if f.golive else f.last_change
        add(STALL, business_days_after(since, today, f.calendar), since=since)
    return out


def recipients(kind_due: Due, specialists: tuple[str, ...], manager: str) -> list[str]:
    """Each specialist; the manager too past the second threshold (once, if also a specialist)."""
    out = list(dict.fromkeys(specialists))
    if kind_due.escalate and manager not in out:
        out.append(manager)
    return out
