"""drop_vs_baseline (soft): add-on payments well below the add-on's own recent normal.

Baseline. The ordinary live days (no holidays, days beside them or closed
days) in the `BASELINE_DAYS` before the days judged, each divided by its
weekday factor so Mondays and Sundays are comparable. The level is their
median (one odd day does not drag it), or the median of the last `LEVEL_DAYS`
when that differs by more than `TREND_SHARE` (it follows a go-live ramp); the
spread is 1.4826 x MAD around it, over the same days. Only judged
once the baseline has at least `min_days` days, so a project is not judged
against a baseline it does not have in its first weeks after go-live.

Two ways to fire, both soft (never on one day's evidence, never on a day that
is not ordinary):

- a sharp drop: a run of at least two consecutive ordinary days ending on the
  judged day, each at most (1 - `min_drop`) of its expected count, together at
  least `min_z` standard deviations below expected (the larger of the
  baseline's spread and Poisson noise) and improbable under Poisson noise
  (P(X <= payments) < `max_p`);
- a sustained slump, pooled: for each span of `POOL_MIN_DAYS` to
  `POOL_MAX_DAYS` days ending on the judged day, the sum of payments on its
  ordinary days against the sum expected from the baseline before the span.
  It fires when the sum, the sum over the span's later half, the sum without
  the judged day and the judged day itself are each at most (1 - `min_slump`)
  of expected (never on one day's evidence), and the shortfall is at least
  `pooled_z` standard deviations, the deviation counting Poisson noise, the
  baseline's extra day-to-day spread and the uncertainty of the level itself
  (a 0.6x week at 20 a day is found; one rainy day is not). The message says
  how long and how far below.

Days already flagged (an alert about the volume is about them, ctx.flagged)
are left out of the baseline, the runs and the spans: an anomaly already told
neither lowers the normal nor reads as a slump again in the weeks after.

When no_payments fires the same day, run_checks keeps only that finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from bot.summary import DaySummary

from .base import (
    CheckContext,
    Finding,
    about,
    history,
    judged,
    live,
    mad,
    median,
    num,
    params,
    plural,
    on_channel,
    poisson_cdf,
    pval,
    shortfall_finding,
    shortfall_run,
    span,
)
from .rhythm import Rhythm, rhythm

ID = "drop_vs_baseline"
MIN_DROP = 0.5  # a dropped day has at most half its expected count
MIN_Z = 3.0  # the run together this many standard deviations below expected
MAX_P = 0.001  # and this improbable under Poisson noise
MIN_DAYS = 14.0  # ordinary baseline days needed before judging
MIN_SLUMP = 0.2  # a pooled span has at most 80 % of its expected count
POOLED_Z = 2.2  # and is this many standard deviations below it (spans of 3-14 days are tried)
DEFAULTS = {"min_drop": MIN_DROP, "min_z": MIN_Z, "max_p": MAX_P, "min_days": MIN_DAYS,
            "min_slump": MIN_SLUMP, "pooled_z": POOLED_Z}
BASELINE_DAYS = 28
MAX_RUN_DAYS = 7
POOL_MIN_DAYS = 3
POOL_MAX_DAYS = 14
LEVEL_DAYS = 14  # the level is the median of this many recent calendar days
MIN_LEVEL_DAYS = 7
TREND_SHARE = 0.08  # when the recent level differs from the whole baseline's by more than this, it is used
MIN_DISPERSION = 0.005  # extra-Poisson variance, as a share of level^2, assumed at the least
HISTORY_DAYS = BASELINE_DAYS + POOL_MAX_DAYS + 1


@dataclass(frozen=True)
class Baseline:
    level: float
    spread: float
    days: int
    rh: Rhythm

    @property
    def dispersion(self) -> float:
        """Extra-Poisson day-to-day variance as a share of level^2."""
        return max(MIN_DISPERSION, (self.spread / self.level) ** 2 - 1 / self.level)


def baseline(ctx: CheckContext, before: date, min_days: float, rh: Optional[Rhythm] = None) -> Optional[Baseline]:
    """The add-on's level and spread from the ordinary days before `before` (rhythm as of `before` by default).

    The level is the median of the last `LEVEL_DAYS` calendar days' values, so it follows a go-live ramp;
    the spread is taken around it over those days."""
    rh = rh or rhythm(ctx, before)
    base = [x for x in history(ctx, before, BASELINE_DAYS) if rh.cal.ordinary(x.local_date) and rh.mid(x.local_date) > 0
            and x.local_date not in ctx.flagged]
    if len(base) < max(min_days, 1):
        return None
    values = [x.addon.attempts / rh.mid(x.local_date) for x in base]
    recent = [v for x, v in zip(base, values) if x.local_date >= before - timedelta(days=LEVEL_DAYS)]
    if len(recent) < MIN_LEVEL_DAYS:
        recent = values[-MIN_LEVEL_DAYS:]
    level, recent_level = median(values) or 0.0, median(recent) or 0.0
    if abs(recent_level - level) > TREND_SHARE * level:
        values, level = recent, recent_level  # the level has moved (a ramp): the recent days say where it is
    if level <= 0:
        return None
    return Baseline(level, 1.4826 * mad(values, level), len(values), rh)


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    return _sharp(ctx, s, t) or _pooled(ctx, s, t)


def _sharp(ctx: CheckContext, s: DaySummary, t: dict[str, float]) -> Optional[Finding]:
    pair_start = s.local_date - timedelta(days=1)
    b = baseline(ctx, pair_start, t["min_days"])
    if b is None:
        return None
    rh = b.rh

    def expected(x: DaySummary) -> float:
        return b.level * rh.mid(x.local_date)

    sf = shortfall_run(ctx, s, expected, 1 - t["min_drop"], MAX_RUN_DAYS,
                       lambda d: rh.cal.ordinary(d) and (d == s.local_date or d not in ctx.flagged))
    if sf is None:
        return None
    # Day-to-day spread adds up like independent noise over the run.
    sd = max(b.spread * math.sqrt(sum(rh.mid(x.local_date) ** 2 for x in sf.run)), math.sqrt(sf.exp))
    z = (sf.exp - sf.got) / sd if sd > 0 else 0.0
    if z < t["min_z"]:
        return None
    p = poisson_cdf(sf.got, sf.exp)
    if not p < t["max_p"]:
        return None
    return shortfall_finding(
        ID, s, sf, expected, p,
        f"add-on's usual {about(b.level)}/day over the previous {b.days} days (weekday-adjusted)",
        {"baseline_level_per_day": num(b.level), "baseline_spread": num(b.spread),
         "baseline_days": b.days, "z": num(z, 2), "pooled": False},
    )


def _pooled(ctx: CheckContext, s: DaySummary, t: dict[str, float]) -> Optional[Finding]:
    # One rhythm for every span: a slump lowers every weekday alike, so it barely moves the factors.
    rh = rhythm(ctx, s.local_date - timedelta(days=POOL_MIN_DAYS - 1))
    if not rh.cal.ordinary(s.local_date):
        return None
    recent = [x for x in ctx.days if s.local_date - timedelta(days=POOL_MAX_DAYS) < x.local_date <= s.local_date
              and live(ctx, x) and rh.cal.ordinary(x.local_date) and rh.mid(x.local_date) > 0
              and (x.local_date == s.local_date or x.local_date not in ctx.flagged)]
    best = None
    for k in range(POOL_MIN_DAYS, POOL_MAX_DAYS + 1):
        first = s.local_date - timedelta(days=k - 1)
        if first < ctx.golive:
            break
        days = [x for x in recent if x.local_date >= first]
        if len(days) < POOL_MIN_DAYS:
            continue
        b = baseline(ctx, first, t["min_days"], rh)
        if b is None:
            continue
        exp_days = [b.level * rh.mid(x.local_date) for x in days]
        exp, got = sum(exp_days), sum(x.addon.attempts for x in days)
        half = len(days) // 2  # the span's later half must be as low: a slump that ended is not one now
        late_exp, late_got = sum(exp_days[half:]), sum(x.addon.attempts for x in days[half:])
        low = 1 - t["min_slump"]
        if exp <= 0 or got > low * exp or late_got > low * late_exp or s.addon.attempts > low * exp_days[-1]:
            continue
        if got - s.addon.attempts > low * (exp - exp_days[-1]):
            continue  # soft: the days before the judged one must be low too, never one day's evidence
        # Poisson + the extra day-to-day spread + the level's own uncertainty (median of n values).
        var = sum(e + b.dispersion * e * e for e in exp_days)
        var += exp * exp * (b.dispersion + 1 / b.level) * (math.pi / 2) / b.days
        z = (exp - got) / math.sqrt(var)
        if z >= t["pooled_z"] and (best is None or z > best[0]):
            best = (z, days, exp, got, b)
    if best is None:
        return None
    z, days, exp, got, b = best
    p = poisson_cdf(got, exp)
    if not p < t["max_p"]:
        return None
    first, n_days = days[0].local_date, (s.local_date - days[0].local_date).days + 1
    message = (
        f"{plural(got, 'payment')}{on_channel(s)} {span(first, s.local_date)} ({n_days} days): "
        f"{got / exp:.0%} of the {about(exp)} expected, {1 - got / exp:.0%} below the add-on's usual "
        f"{about(b.level)}/day over the previous {b.days} days (weekday-adjusted)."
    )
    return Finding(
        check=ID,
        severity="warning",
        message=message,
        evidence={
            "payments": got,
            "expected": num(exp, 2),
            "first_date": first.isoformat(),
            "days": n_days,
            "baseline_level_per_day": num(b.level),
            "baseline_spread": num(b.spread),
            "baseline_days": b.days,
            "share_of_expected": num(got / exp),
            "z": num(z, 2),
            "p_value": pval(p),
            "pooled": True,
        },
    )
