"""The intraday outage watch: once an hour, for every open project in its usual
hours on a day it is expected open, one small read of the payments API asks
whether the add-on had any payment in the window whose silence would be
improbable (bot.checks.intraday); none is a `no_payments` alert for today,
raised and told like the daily ones (the manager's DM, MANAGERS_CHANNEL, a
note in the day's summary thread once that is posted).

Once per project and day: the alert store has one alert per project, check and
day, so the watch asks nothing more of a project once today's is raised, and
the next morning's daily pass finds the day's no_payments already there and
adds none (bot.storage.monitoring.record_findings).

Cheap on the API: a project is read only when the window is long enough to
matter, with one page of one payment (`limit=1`, the add-on channel only); a
read that fails is left to the next hour (the daily pass tells an unreadable
source). The day's plan is computed once per project and day from the stored
summaries, never from the API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Mapping, Optional
from zoneinfo import ZoneInfo

from bot.checks import CheckContext, history_days_needed
from bot.checks import intraday as watch
from bot.checks.base import params
from bot.errors import ProjectLocked
from bot.monitoring.judge import closed_set
from bot.monitoring.posts import post_alert
from bot.monitoring.rules import local_now
from bot.notify import Notifier
from bot.payments import PaymentsError, day_window
from storage import repo
from storage.monitoring import has_alert, lock_open_project, open_projects, record_findings, stored_days

log = logging.getLogger("addon_bot.intraday")

EVERY = timedelta(hours=1)  # how often the watch runs (the scheduler ticks every minute)


@dataclass
class WatchResult:
    project_id: int
    local_date: date
    status: str  # quiet | read | silent | raised | failed
    since: Optional[str] = None
    expected: Optional[float] = None


class IntradayWatch:
    def __init__(self, session_factory, source, notifier: Optional[Notifier], *, clock: Callable[[], datetime],
                 thresholds: Optional[Mapping[str, float]] = None, default_calendar: str = "",
                 managers_channel: Optional[str] = None):
        self.sf = session_factory
        self.source = source
        self.notifier = notifier
        self.clock = clock
        self.thresholds = dict(thresholds or {})
        self.default_calendar = default_calendar
        self.managers_channel = managers_channel
        self.reads = 0  # API reads made (one page of one payment each)
        self._last: Optional[datetime] = None
        self._plans: dict[tuple[int, date], Optional[watch.DayPlan]] = {}

    def tick(self, now: datetime) -> None:
        """The scheduler's job: runs the watch once per EVERY (the first tick runs it)."""
        slot = datetime.fromtimestamp(now.timestamp() // EVERY.total_seconds() * EVERY.total_seconds(), now.tzinfo)
        if self._last == slot:
            return
        self._last = slot
        results = self.run(now)
        raised = [r for r in results if r.status == "raised"]
        if raised:
            log.info("intraday watch: no_payments raised for project(s) %s", [r.project_id for r in raised])

    def run(self, now: datetime) -> list[WatchResult]:
        with self.sf() as s:
            projects = open_projects(s)
        out = []
        for p in projects:
            try:
                out.append(self.watch_one(p, now))
            except Exception:  # noqa: BLE001 - one project's failure must not stop the watch of the others
                log.exception("intraday watch of project %s (biller %s) failed", p.id, p.biller_id)
                out.append(WatchResult(p.id, local_now(now, p.tz).date(), "failed"))
        if self.notifier is not None and any(r.status == "raised" for r in out):
            self.notifier.drain(now)
        return out

    def _ctx(self, p, d: date, days) -> CheckContext:
        return CheckContext(days=days, projected_per_day=p.projected_per_day, golive=p.golive,
                            thresholds=self.thresholds, calendar=p.calendar or self.default_calendar,
                            closed_dates=closed_set(p))

    def plan(self, p, d: date) -> Optional[watch.DayPlan]:
        key = (p.id, d)
        if key not in self._plans:
            if len(self._plans) > 20_000:
                self._plans.clear()
            with self.sf() as s:
                stored = stored_days(s, p.id, max(p.golive, d - timedelta(days=history_days_needed())), d - timedelta(days=1))
            days = [stored[x] for x in sorted(stored)]
            self._plans[key] = watch.plan_day(self._ctx(p, d, days), d) if days else None
        return self._plans[key]

    def watch_one(self, p, now: datetime) -> WatchResult:
        d = local_now(now, p.tz).date()
        if d < p.golive:
            return WatchResult(p.id, d, "quiet")
        plan = self.plan(p, d)
        if plan is None:
            return WatchResult(p.id, d, "quiet")
        start, _ = day_window(d, p.tz)
        now_h = watch.hours_since_midnight(now, start)
        ctx = self._ctx(p, d, [])
        t = params(ctx, watch.ID, watch.DEFAULTS)
        w = plan.silent_window(now_h, t["intraday_max_p"], t["intraday_min_dispersion"])
        if w is None:
            return WatchResult(p.id, d, "quiet")
        since_h, expected = w
        with self.sf() as s:
            if has_alert(s, p.id, watch.ID, d):
                return WatchResult(p.id, d, "quiet")
        since = start + timedelta(hours=since_h)
        try:
            any_payment = self._any_payment(p, since, now)
        except PaymentsError as e:
            log.warning("intraday watch: payments source unreadable for project %s: %s", p.id, e.reason)
            return WatchResult(p.id, d, "failed")
        tz = ZoneInfo(p.tz)
        since_text, now_text = watch.clock_text(start, since_h, tz), watch.clock_text(start, now_h, tz)
        if any_payment:
            return WatchResult(p.id, d, "read", since_text, expected)
        f = watch.finding(ctx, plan, since_h, now_h, expected, since_text, now_text, p.pay_channel)
        try:
            with repo.transaction(self.sf) as s:
                proj = lock_open_project(s, p.id)  # one writer per project: a second instance finds the alert
                events = record_findings(s, proj, d, [f], now)
                for ev in events:
                    post_alert(s, proj, ev.alert, ev.lead, self.managers_channel)
        except ProjectLocked:
            return WatchResult(p.id, d, "quiet")  # completed meanwhile
        return WatchResult(p.id, d, "raised" if events else "silent", since_text, expected)

    def _any_payment(self, p, since: datetime, now: datetime) -> bool:
        """One page of at most one payment of the add-on channel created in [since, now)."""
        self.reads += 1
        it = iter(self.source.iter_payments(p.biller_id, since, now,
                                            channels=[p.pay_channel] if p.pay_channel else None, page_size=1))
        try:
            return next(it, None) is not None
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
