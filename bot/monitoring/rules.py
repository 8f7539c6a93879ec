"""Monitoring rules as pure functions: which days are due, what a summary is
compared with, when an alert repeats, what an action does to an alert.

No Slack, no database: plain dates, datetimes and DaySummary in, answers out.
"""

from __future__ import annotations

from bot import fmt

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

from bot.errors import Conflict
from bot.summary import DaySummary

CHART_DAYS = 20  # days a summary's chart shows (Slack allows 20 points a series)
USUAL_MIN_DAYS = 3  # earlier days needed before the chart draws a usual level
CATCH_UP_DAYS = 14  # days missed while the bot was down that are still caught up
RESTATE_DAYS = 3  # recent days re-read on every run: statuses change late (returns)
CLAIM_TTL = timedelta(minutes=5)  # a day's claim by a dead instance expires after this
SOURCE_RETRY = timedelta(minutes=30)  # a day the source could not be read is retried this often
REPEAT_WINDOW = timedelta(hours=20)  # an open alert of a check is not repeated sooner than this


# ---- days --------------------------------------------------------------------------
def local_now(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz))


def yesterday(now: datetime, tz: str) -> date:
    return local_now(now, tz).date() - timedelta(days=1)


def latest_due(now: datetime, tz: str, summary_time: time) -> date:
    """The newest local date whose summary is due: yesterday once SUMMARY_TIME
    has passed today in the project's zone, else the day before."""
    local = local_now(now, tz)
    y = local.date() - timedelta(days=1)
    return y if local.time().replace(tzinfo=None) >= summary_time else y - timedelta(days=1)


@dataclass(frozen=True)
class DayRow:
    """What the daily_summary row of a day says about its progress."""

    done: bool  # summarised and its post queued
    source_ok: bool = True
    updated_at: Optional[datetime] = None
    claimed_until: Optional[datetime] = None  # a live claim by someone


def due_days(golive: date, latest: date, rows: dict[date, DayRow], now: datetime,
             catch_up: int = CATCH_UP_DAYS) -> list[date]:
    """Days to summarise now, oldest first: from go-live (at most `catch_up`
    days back) to `latest`, those not done yet, plus those whose source could
    not be read and are due for another try. Days claimed by a live instance
    are left to it."""
    start = max(golive, latest - timedelta(days=catch_up - 1))
    out = []
    d = start
    while d <= latest:
        r = rows.get(d)
        if r is None:
            out.append(d)
        elif r.claimed_until is not None and r.claimed_until > now:
            pass
        elif not r.done:
            out.append(d)
        elif not r.source_ok and (r.updated_at is None or now - r.updated_at >= SOURCE_RETRY):
            out.append(d)
        d += timedelta(days=1)
    return out


def day_number(golive: date, d: date) -> int:
    """Go-live day is day 1."""
    return (d - golive).days + 1


def day_hours(d: date, tz: str) -> float:
    """23, 24 or 25: the length of the local day."""
    z = ZoneInfo(tz)
    a = datetime.combine(d, time(0), tzinfo=z).astimezone(timezone.utc)
    b = datetime.combine(d + timedelta(days=1), time(0), tzinfo=z).astimezone(timezone.utc)
    return (b - a).total_seconds() / 3600  # in UTC: same-zone subtraction would ignore the DST shift


def date_range(a: date, b: date) -> list[date]:
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


# ---- what a summary is compared with -------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    label: str  # what the number is compared with, in words
    base: Optional[float]  # the other number (None: not available)
    ratio: Optional[float]  # this / base
    note: Optional[str] = None  # why it is not available


@dataclass(frozen=True)
class SummaryFacts:
    day: DaySummary
    day_n: int
    hours: float
    projected: float
    projection: Comparison  # the day's attempts vs the projection
    cumulative: Comparison  # attempts since go-live vs projection x days
    cumulative_days: int
    cumulative_attempts: int
    median7: Comparison  # vs the median of the previous 7 days (those since go-live)
    last_week: Comparison  # vs the same weekday last week
    alerts: tuple[str, ...] = field(default_factory=tuple)  # check ids raised for the day
    restated: Optional[str] = None  # when late changes moved the numbers (YYYY-MM-DD)
    # The chart: (day, the add-on's attempts or None when unread), the last CHART_DAYS days since go-live,
    # and the usual level for each (the median of up to 7 days before it; None with fewer than 3).
    history: tuple[tuple[date, Optional[int]], ...] = field(default_factory=tuple)
    usual: tuple[tuple[date, Optional[float]], ...] = field(default_factory=tuple)


def _ratio(x: float, base: Optional[float]) -> Optional[float]:
    return None if base is None or base <= 0 else x / base


def summary_facts(day: DaySummary, earlier: Iterable[DaySummary], projected: float, golive: date,
                  alerts: Iterable[str] = (), restated: Optional[str] = None) -> SummaryFacts:
    """The numbers a day's summary states, with what each is compared with.
    `earlier`: summaries of earlier days since go-live (any order; gaps and
    unreadable days are allowed and left out)."""
    d = day.local_date
    prev = {s.local_date: s for s in earlier if s.source_ok and golive <= s.local_date < d}
    attempts = day.addon.attempts
    proj = Comparison(f"the projection of {projected:,.0f}/day", projected, _ratio(attempts, projected))
    cum_days = [x for x in prev.values()] + ([day] if day.source_ok else [])
    cum_n = sum(x.addon.attempts for x in cum_days)
    cum_base = projected * len(cum_days)
    cum = Comparison(f"{len(cum_days)} {'day' if len(cum_days) == 1 else 'days'} x the projection", cum_base, _ratio(cum_n, cum_base))
    week = [prev[d - timedelta(days=i)] for i in range(1, 8) if d - timedelta(days=i) in prev]
    if week:
        med = float(statistics.median(x.addon.attempts for x in week))
        median7 = Comparison("the median of the previous day" if len(week) == 1 else
                             f"the median of the previous {len(week)} days", med, _ratio(attempts, med))
    else:
        median7 = Comparison("the previous 7 days", None, None, "no earlier day since go-live")
    lw = d - timedelta(days=7)
    if lw in prev:
        base = float(prev[lw].addon.attempts)
        last_week = Comparison(f"{lw.isoformat()}, the same weekday last week", base, _ratio(attempts, base))
    else:
        why = "before go-live" if lw < golive else "not available"
        last_week = Comparison(f"{lw.isoformat()}, the same weekday last week", None, None, why)
    history, usual = chart_history(day, prev, golive)
    return SummaryFacts(day=day, day_n=day_number(golive, d), hours=day_hours(d, day.tz),
                        projected=projected, projection=proj, cumulative=cum,
                        cumulative_days=len(cum_days), cumulative_attempts=cum_n, median7=median7,
                        last_week=last_week, alerts=tuple(alerts), restated=restated,
                        history=history, usual=usual)


def chart_history(day: DaySummary, prev: dict[date, DaySummary], golive: date, days: int = CHART_DAYS):
    """The chart's points, oldest first: the add-on's attempts for each of the
    last `days` days since go-live up to `day` (None for a day unread or not
    summarised), and the usual level (median of up to 7 readable days before it)."""
    d = day.local_date
    known = dict(prev)
    known[d] = day
    first = max(golive, d - timedelta(days=days - 1))
    history, usual = [], []
    for x in date_range(first, d):
        s = known.get(x)
        history.append((x, s.addon.attempts if s is not None and s.source_ok else None))
        before = [known[x - timedelta(days=i)].addon.attempts for i in range(1, 8)
                  if x - timedelta(days=i) in known and known[x - timedelta(days=i)].source_ok]
        usual.append((x, float(statistics.median(before)) if len(before) >= USUAL_MIN_DAYS else None))
    return tuple(history), tuple(usual)


# ---- alerts --------------------------------------------------------------------------
OPEN, ACKNOWLEDGED, DISMISSED, RESOLVED, ITEM = "open", "acknowledged", "dismissed", "resolved", "item"
FINAL_STATES = frozenset({DISMISSED, RESOLVED, ITEM})
ACTIONS = {"acknowledge": ACKNOWLEDGED, "dismiss": DISMISSED, "resolve": RESOLVED, "item": ITEM}
_DONE_WORDS = {ACKNOWLEDGED: "acknowledged", DISMISSED: "dismissed as expected", RESOLVED: "resolved",
               ITEM: "added as a post go-live item"}


def next_alert_state(current: str, action: str, by: Optional[str] = None) -> str:
    """The state an action leads to, or Conflict saying why not."""
    target = ACTIONS[action]
    if current in FINAL_STATES:
        who = f" by {fmt.user(by)}" if by else ""
        raise Conflict(f"This alert was already {_DONE_WORDS[current]}{who}; nothing changed.")
    if current == target:
        who = f" by {fmt.user(by)}" if by else ""
        raise Conflict(f"This alert was already {_DONE_WORDS[current]}{who}.")
    return target


UNDO_WINDOW = timedelta(minutes=30)  # how long the person who acknowledged or dismissed an alert may undo it
UNDOABLE = frozenset({ACKNOWLEDGED, DISMISSED})


def check_undo(state: str, acted_by: Optional[str], acted_at: Optional[datetime], actor_id: str,
               now: datetime) -> None:
    """Raise Conflict unless `actor_id` may undo the alert's last action now."""
    if state not in UNDOABLE:
        raise Conflict(f"This alert is {state_words(state)}; only an acknowledgement or a dismissal can be undone.")
    if acted_by != actor_id:
        raise Conflict(f"Only {fmt.user(acted_by)}, who {_DONE_WORDS[state].split(' as ')[0]} it, can undo that; "
                       "nothing changed.")
    at = acted_at if acted_at is None or acted_at.tzinfo else acted_at.replace(tzinfo=timezone.utc)
    mins = int(UNDO_WINDOW.total_seconds() // 60)
    if at is None or now - at > UNDO_WINDOW:
        raise Conflict(f"It was {_DONE_WORDS[state]} more than {mins} minutes ago, so it can no longer be undone. "
                       "If it needs attention again, add it as a post go-live item with `/addon item`.")


def state_words(state: str) -> str:
    return _DONE_WORDS.get(state, "open")


def repeat_lead(open_alerts_of_check: Iterable[tuple[int, date, datetime, bool]], d: date,
                now: datetime) -> Optional[int]:
    """Alert hygiene: the id of an open alert of the same check, for an earlier
    day, notified less than REPEAT_WINDOW ago, that a new alert for day `d`
    should be folded into instead of notifying again; None means notify.

    Rows are (id, local_date, created_at, is_lead). So an unacknowledged check
    repeats at most about daily, and a catch-up of several days notifies once,
    listing the days."""
    best = None
    for aid, day, created, is_lead in open_alerts_of_check:
        if is_lead and day < d and now - created < REPEAT_WINDOW:
            if best is None or day > best[1]:
                best = (aid, day)
    return best[0] if best else None
