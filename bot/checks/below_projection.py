"""below_projection (soft): far fewer payments on the add-on than the sales projection.

Rule. A day is low when its payments are <= `ratio` x its expected count,
expected = projection x the weekday's factor at the low end of its
uncertainty band (a weekday with no history counts as a quiet day). Soft: it
fires on a run of at least two consecutive live low days ending on the judged
day (up to `MAX_RUN_DAYS`), when the run's payments together are improbable
under Poisson noise around its expected count (P(X <= payments) < `max_p`).
A zero day counts as low too; when no_payments or drop_vs_baseline fires the
same day, run_checks keeps that sharper finding instead. Closed days,
holidays and the days beside them are never low days: the run passes over
them, and nothing fires on them.
"""

from __future__ import annotations

from typing import Optional

from bot.summary import DaySummary

from .base import (
    CheckContext,
    Finding,
    about,
    judged,
    num,
    params,
    poisson_cdf,
    shortfall_finding,
    shortfall_run,
)
from .rhythm import rhythm

ID = "below_projection"
RATIO = 0.4  # a low day has at most this share of its expected count
MAX_P = 0.001  # and the run together is this improbable under Poisson noise
DEFAULTS = {"ratio": RATIO, "max_p": MAX_P}
MAX_RUN_DAYS = 7
HISTORY_DAYS = MAX_RUN_DAYS


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    rh = rhythm(ctx, s.local_date)
    proj = ctx.projected_per_day

    def expected(x: DaySummary) -> float:
        return proj * rh.low(x.local_date)

    sf = shortfall_run(ctx, s, expected, t["ratio"], MAX_RUN_DAYS, rh.cal.ordinary)
    if sf is None:
        return None
    p = poisson_cdf(sf.got, sf.exp)
    if not p < t["max_p"]:
        return None
    return shortfall_finding(
        ID, s, sf, expected, p, f"projection ({about(proj)}/day, weekday-adjusted)",
        {"projected_per_day": num(proj)},
    )
