"""drop_vs_baseline (soft): add-on payments well below the add-on's own recent normal.

Baseline. The live days in the `BASELINE_DAYS` before the day before the
judged day, each divided by its weekday factor so Mondays and Sundays are
comparable; their median is the level and 1.4826 x MAD its spread (robust: a
few odd days in the baseline do not move it). A day's expected count is level
x its weekday factor. Only judged once the baseline has at least `min_days`
live days, so a project is not judged against a baseline it does not have in
its first weeks after go-live.

Rule. A day has dropped when its payments are at most (1 - `min_drop`) of its
expected count. Soft: it fires on a run of at least two consecutive live
dropped days ending on the judged day (up to `MAX_RUN_DAYS`) when, pooled,
the run is at least `min_z` standard deviations below its expected count (the
deviation being the larger of the baseline's spread and Poisson noise) and
improbable under Poisson noise (P(X <= payments) < `max_p`). When no_payments
fires the same day, run_checks keeps only that finding.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Optional

from bot.summary import DaySummary

from .base import (
    CheckContext,
    Finding,
    about,
    history,
    judged,
    mad,
    median,
    num,
    params,
    poisson_cdf,
    rhythm,
    shortfall_finding,
    shortfall_run,
)

ID = "drop_vs_baseline"
MIN_DROP = 0.5  # a dropped day has at most half its expected count
MIN_Z = 3.0  # the run together this many standard deviations below expected
MAX_P = 0.001  # and this improbable under Poisson noise
MIN_DAYS = 14.0  # live baseline days needed before judging
DEFAULTS = {"min_drop": MIN_DROP, "min_z": MIN_Z, "max_p": MAX_P, "min_days": MIN_DAYS}
BASELINE_DAYS = 28
MAX_RUN_DAYS = 7
HISTORY_DAYS = BASELINE_DAYS + 2


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    pair_start = s.local_date - timedelta(days=1)
    base = history(ctx, pair_start, BASELINE_DAYS)
    if len(base) < max(t["min_days"], 1):
        return None
    rh = rhythm(ctx, pair_start)
    values = [x.addon.attempts / rh.mid(x.local_date) for x in base]
    level = median(values) or 0.0
    if level <= 0:
        return None
    spread = 1.4826 * mad(values, level)

    def expected(x: DaySummary) -> float:
        return level * rh.mid(x.local_date)

    sf = shortfall_run(ctx, s, expected, 1 - t["min_drop"], MAX_RUN_DAYS)
    if sf is None:
        return None
    # Day-to-day spread adds up like independent noise over the run.
    sd = max(spread * math.sqrt(sum(rh.mid(x.local_date) ** 2 for x in sf.run)), math.sqrt(sf.exp))
    z = (sf.exp - sf.got) / sd if sd > 0 else 0.0
    if z < t["min_z"]:
        return None
    p = poisson_cdf(sf.got, sf.exp)
    if not p < t["max_p"]:
        return None
    return shortfall_finding(
        ID, s, sf, expected, p,
        f"add-on's usual {about(level)}/day over the previous {len(base)} days (weekday-adjusted)",
        {"baseline_level_per_day": num(level), "baseline_spread": num(spread),
         "baseline_days": len(base), "z": num(z, 2)},
    )
