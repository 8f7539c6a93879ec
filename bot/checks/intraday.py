"""no_payments, intraday: the add-on silent for hours today while payments were expected.

The daily checks judge yesterday; this one judges the day in progress, once an
hour (bot.monitoring.intraday runs it), so an outage that starts at 10:00 is
told at noon or one, not the next morning. It raises the same check as the
daily zero run (`no_payments`), for today's date, so the daily pass the next
morning finds the day's alert already raised and adds none.

The day's plan (`plan_day`, from the stored days before today):

- expected today = the add-on's usual level (drop_vs_baseline's weekday-adjusted
  median, following a go-live ramp) x the weekday's factor; x `EVE_FACTOR` the
  day before or after a public holiday. No plan (quiet) on a day the calendar
  expects closed, on a public holiday, on a weekend day never seen, and before
  the add-on has `MIN_BASELINE_DAYS` ordinary days of its own;
- the hour-of-day profile: the add-on's attempts by local hour over its last
  `PROFILE_DAYS` ordinary days (`DaySummary.addon_hours`), shrunk towards a flat
  day over `DEFAULT_HOURS` with `PRIOR_PSEUDO` pseudo-payments, so a project
  without hourly history is watched over 08:00-20:00 only;
- the usual hours: from the first to the last hour whose share is at least
  `USUAL_SHARE` of a flat day's; the watch is quiet outside them (at night).

The test (`DayPlan.silent_window`): at time `now`, the latest start `since`
(today, after midnight) such that the expected count in [since, now), E, makes
no payment at all improbable: P(0 | E) < `intraday_max_p`, with the count
negative-binomial (variance E + a E^2, `a` the add-on's day-to-day dispersion,
at least `intraday_min_dispersion`): P(0) = (1 + a E)^(-1/a). The watch then
reads [since, now) with a page of one payment: none there is the alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from bot.summary import DaySummary

from .base import CheckContext, Finding, about, history, num, params, pval
from .drop_vs_baseline import baseline
from .rhythm import rhythm

ID = "no_payments"  # the same alert as the daily zero run, for today's date
MAX_P = 0.001
MIN_DISPERSION = 0.02  # extra-Poisson variance of the day's level (a E^2), assumed at the least
DEFAULTS = {"intraday_max_p": MAX_P, "intraday_min_dispersion": MIN_DISPERSION}
MIN_BASELINE_DAYS = 7.0  # ordinary live days of the add-on before it is watched within the day
PROFILE_DAYS = 28
DEFAULT_HOURS = (8, 20)  # local hours [from, to) of the default window, and of the profile's prior
PRIOR_PSEUDO = 50.0  # pseudo-payments of the prior profile
USUAL_SHARE = 0.5  # an hour is usual when its share is at least half a flat day's hour (1/24)
EVE_FACTOR = 0.5  # the day before or after a public holiday: half the volume expected
ROUND_MINUTES = 10  # `since` is rounded down to this (a longer window: only more improbable)


def p_silence(expected: float, dispersion: float) -> float:
    """P(no payment) for a negative-binomial count with mean `expected` and variance E + a E^2."""
    if expected <= 0:
        return 1.0
    a = max(dispersion, 1e-9)
    return math.exp(-math.log1p(a * expected) / a)


def needed(max_p: float, dispersion: float) -> float:
    """The expected count at which P(no payment) reaches max_p."""
    a = max(dispersion, 1e-9)
    return math.expm1(-a * math.log(max_p)) / a


@dataclass(frozen=True)
class DayPlan:
    local_date: date
    expected_day: float  # add-on payments expected over the whole day
    share: tuple[float, ...]  # 24 shares of the day's payments by local hour (sum 1)
    usual: tuple[int, int]  # local hours [from, to) the add-on is watched
    dispersion: float
    learned: bool  # the profile has the add-on's own hours in it
    level: float  # the usual level a day (weekday-adjusted)

    def expected_until(self, h: float) -> float:
        """Expected payments from local midnight to `h` hours after it."""
        h = max(0.0, min(24.0, h))
        whole = int(h)
        c = sum(self.share[:whole]) + (self.share[whole] * (h - whole) if whole < 24 else 0.0)
        return self.expected_day * c

    def start_for(self, now_h: float, count: float) -> Optional[float]:
        """The latest hour `since` with `count` payments expected in [since, now_h); None if not today."""
        target = self.expected_until(now_h) - count
        if target < 0:
            return None
        lo, hi = 0.0, now_h  # expected_until is non-decreasing: bisect to a minute
        while hi - lo > 1 / 120:
            mid = (lo + hi) / 2
            if self.expected_until(mid) <= target:
                lo = mid
            else:
                hi = mid
        return lo

    def watching(self, now_h: float) -> bool:
        """Within the usual hours (the first hour's end to the last hour's end)."""
        return self.usual[0] < now_h <= self.usual[1]

    def silent_window(self, now_h: float, max_p: float, min_dispersion: float) -> Optional[tuple[float, float]]:
        """(since, expected): the window ending at now_h whose silence would be improbable, or None."""
        if not self.watching(now_h):
            return None
        a = max(self.dispersion, min_dispersion)
        since = self.start_for(now_h, needed(max_p, a))
        if since is None:
            return None
        since = math.floor(since * 60 / ROUND_MINUTES) * ROUND_MINUTES / 60
        return since, self.expected_until(now_h) - self.expected_until(since)


def hour_profile(counts: list[list[int]]) -> tuple[tuple[float, ...], bool]:
    """The 24 hourly shares from days' hourly counts, shrunk towards a flat DEFAULT_HOURS day."""
    a, b = DEFAULT_HOURS
    prior = [1.0 / (b - a) if a <= h < b else 0.0 for h in range(24)]
    tot = [0.0] * 24
    for c in counts:
        for h, x in enumerate(c[:24]):
            tot[h] += x
    n = sum(tot)
    share = [(tot[h] + PRIOR_PSEUDO * prior[h]) / (n + PRIOR_PSEUDO) for h in range(24)]
    return tuple(share), n > 0


def usual_hours(share: tuple[float, ...]) -> tuple[int, int]:
    hours = [h for h, x in enumerate(share) if x >= USUAL_SHARE / 24]
    return (hours[0], hours[-1] + 1) if hours else DEFAULT_HOURS


def plan_day(ctx: CheckContext, d: date) -> Optional[DayPlan]:
    """Today's plan from the context's days before d (None: nothing to watch today)."""
    rh = rhythm(ctx, d)
    kind = rh.cal.kind(d)
    if kind not in ("open", "eve") or d < ctx.golive:
        return None
    b = baseline(ctx, d, MIN_BASELINE_DAYS, rh)
    if b is None:
        return None
    expected = b.level * rh.mid(d) * (EVE_FACTOR if kind == "eve" else 1.0)
    if expected <= 0:
        return None
    days = [x for x in history(ctx, d, PROFILE_DAYS) if rh.cal.ordinary(x.local_date) and len(x.addon_hours) == 24]
    share, learned = hour_profile([x.addon_hours for x in days])
    return DayPlan(d, expected, share, usual_hours(share), b.dispersion, learned, b.level)


def hours_since_midnight(now: datetime, day_start: datetime) -> float:
    return (now - day_start).total_seconds() / 3600


def clock_text(day_start: datetime, h: float, tz) -> str:
    """'10:40' for h hours after local midnight."""
    return (day_start + timedelta(hours=h)).astimezone(tz).strftime("%H:%M")


def finding(ctx: CheckContext, plan: DayPlan, since_h: float, now_h: float, expected: float,
            since_text: str, now_text: str, channel: Optional[str] = None) -> Finding:
    t = params(ctx, ID, DEFAULTS)
    a = max(plan.dispersion, t["intraday_min_dispersion"])
    p = p_silence(expected, a)
    hours = now_h - since_h
    where = f" on {channel}" if channel else ""
    message = (f"No payments{where} since {since_text} today ({hours:.1f} h, checked at {now_text}); by now "
               f"~{about(expected)} were expected (usually {about(plan.level)}/day, weekday-adjusted).")
    return Finding(check=ID, severity="critical", message=message, evidence={
        "intraday": True,
        "date": plan.local_date.isoformat(),
        "since": since_text,
        "checked_at": now_text,
        "silent_hours": num(hours, 2),
        "expected": num(expected, 2),
        "expected_day": num(plan.expected_day, 2),
        "usual_hours": list(plan.usual),
        "hour_profile": "learned" if plan.learned else "default",
        "dispersion": num(a, 4),
        "p_value": pval(p),
    })


def replay_day(ctx: CheckContext, s: DaySummary, channel: Optional[str] = None) -> Optional[Finding]:
    """The watch replayed hour by hour over a past day from its hourly counts (`addon_hours`), for
    the backtest: ctx holds the days before it. A window counts as silent when every whole hour
    it touches had no payment (so a replay may find an outage up to an hour later than the live
    watch, never sooner). None when the day has no hourly counts or nothing would have fired."""
    if not s.source_ok or len(s.addon_hours) != 24:
        return None
    plan = plan_day(ctx, s.local_date)
    if plan is None:
        return None
    t = params(ctx, ID, DEFAULTS)
    for h in range(1, 25):
        w = plan.silent_window(float(h), t["intraday_max_p"], t["intraday_min_dispersion"])
        if w is None:
            continue
        first = int(w[0])
        if sum(s.addon_hours[first:h]) == 0:
            exp = plan.expected_until(h) - plan.expected_until(first)
            return finding(ctx, plan, float(first), float(h), exp, f"{first:02d}:00", f"{h % 24:02d}:00", channel)
    return None
