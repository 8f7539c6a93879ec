"""Read and judge: a project's days from the payments source, summarized and
checked. No database and no Slack, so it runs in a worker thread, or in a
worker process for a large batch (`run-daily` over many projects), where it
escapes the interpreter lock that the aggregation would otherwise share with
the database work.

`Target` is the plain data of a project that reading and judging need.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping, Optional

from bot.checks import LOOKBACK_DAYS, CheckContext, Finding, flagged_dates, history_days_needed, run_checks
from bot.monitoring.rules import RESTATE_DAYS, date_range
from bot.payments import PaymentsClient, PaymentsError, day_window, rfc3339, summarize_day
from bot.summary import DaySummary

log = logging.getLogger("addon_bot.monitoring")


@dataclass(frozen=True)
class Target:
    id: int
    biller_id: str
    tz: str
    pay_channel: Optional[str]
    golive: date
    projected_per_day: float
    calendar: str = ""  # public holidays ("US", "US-MA"); "" for none
    flagged: frozenset[date] = frozenset()  # days with an alert about the volume (out of the weekly rhythm)
    closed_dates: frozenset[str] = frozenset()  # the biller's own closed dates ("12-24", "2026-11-27")

    @classmethod
    def of(cls, p: Any, default_calendar: str = "", flagged: frozenset[date] = frozenset()) -> "Target":
        return cls(p.id, p.biller_id, p.tz, p.pay_channel, p.golive, p.projected_per_day,
                   getattr(p, "calendar", None) or default_calendar, frozenset(flagged), closed_set(p))


def closed_set(p: Any) -> frozenset[str]:
    """A project's closed dates (the column's comma-separated canonical strings) as a set."""
    return frozenset(x for x in (getattr(p, "closed_dates", None) or "").split(",") if x)


def fetch_day(source, t: Target, d: date) -> DaySummary:
    """The day's summary; a source error becomes source_ok False, never zeros."""
    try:
        return summarize_day(source, project_id=t.id, biller_id=t.biller_id, local_date=d, tz=t.tz,
                             addon_channel=t.pay_channel)
    except PaymentsError as e:
        log.warning("payments source unreadable for project %s (biller %s) on %s: %s", t.id, t.biller_id, d,
                    e.reason)
        start, end = day_window(d, t.tz)
        return DaySummary(project_id=t.id, biller_id=t.biller_id, local_date=d, tz=t.tz,
                          addon_channel=t.pay_channel, source_ok=False, source_error=e.reason,
                          window_start=rfc3339(start), window_end=rfc3339(end))


def context_days(source, t: Target, d: date, stored: Mapping[date, DaySummary], cache: dict[date, DaySummary],
                 *, reread: bool) -> list[DaySummary]:
    """The checks' context for day d, oldest first, from go-live on: stored days
    reused, except d, unread days and (with `reread`) the last RESTATE_DAYS,
    which are read again because statuses change late."""
    start = max(t.golive, d - timedelta(days=history_days_needed() - 1))
    out = []
    for x in date_range(start, d):
        s = cache.get(x)
        if s is None:
            st = stored.get(x)
            if x == d or st is None or not st.source_ok or (reread and (d - x).days <= RESTATE_DAYS):
                s = fetch_day(source, t, x)
                if not s.source_ok and st is not None and st.source_ok:
                    s = st  # a failed re-read never replaces numbers already read
                cache[x] = s
            else:
                s = st
        out.append(s)
    return out


def judge_day(source, t: Target, d: date, stored, cache, thresholds: Mapping[str, float], *,
              reread: bool, flagged: frozenset[date] = frozenset()) -> tuple[list[DaySummary], list[Finding]]:
    days = context_days(source, t, d, stored, cache, reread=reread)
    older = [x for x in date_range(max(t.golive, d - timedelta(days=LOOKBACK_DAYS - 1)), days[0].local_date
                                   - timedelta(days=1)) if x in stored] if days else []
    ctx = CheckContext(days=days, projected_per_day=t.projected_per_day, golive=t.golive, thresholds=thresholds,
                       calendar=t.calendar, lookback=[stored[x] for x in older], flagged=(t.flagged | flagged) - {d},
                       closed_dates=t.closed_dates)
    return days, run_checks(ctx)


def judge_days(source, t: Target, dates: list[date], stored: dict[date, DaySummary],
               thresholds: Mapping[str, float]) -> list[tuple]:
    """Each day in order, sharing what was read: [(d, days, findings, stored as before d)]."""
    cache: dict[date, DaySummary] = {}
    out = []
    flagged: set[date] = set()  # days of this batch with a volume alert, for the days after them
    for d in dates:
        days, findings = judge_day(source, t, d, stored, cache, thresholds, reread=True, flagged=frozenset(flagged))
        for f in findings:
            flagged |= flagged_dates(f.check, d, f.evidence)
        out.append((d, days, findings, dict(stored)))
        stored[d] = days[-1]  # the next day's history sees this day as it will be stored
    return out


# ---- worker processes --------------------------------------------------------------------
_client = None


def _init(base_url: str, token: Optional[str]) -> None:
    global _client
    _client = PaymentsClient(base_url, token)


def _judge_in_worker(t: Target, dates: list[date], stored: dict, thresholds: dict) -> list[tuple]:
    return judge_days(_client, t, dates, stored, thresholds)


def process_pool(processes: int, base_url: str, token: Optional[str]) -> ProcessPoolExecutor:
    """Fresh interpreters (spawn: nothing of this process, its threads or its
    database connections is inherited), each with its own payments client."""
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init, initargs=(base_url, token))


def submit(pool, source, t: Target, dates: list[date], stored: dict, thresholds: Mapping[str, float]):
    if isinstance(pool, ProcessPoolExecutor):
        return pool.submit(_judge_in_worker, t, dates, stored, dict(thresholds))
    return pool.submit(judge_days, source, t, dates, stored, thresholds)
