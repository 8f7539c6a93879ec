"""below_projection (soft): far fewer payments on the add-on than the sales projection.

Rule. A day is low when its payments are <= `ratio` x its expected count,
expected = projection x the weekday's factor at the low end of its
uncertainty band (a weekday with no history counts as a quiet day). Soft: it
fires on a run of at least two consecutive live low days ending on the judged
day (up to `MAX_RUN_DAYS`), when the run's payments together are improbable
under Poisson noise around its expected count (P(X <= payments) < `max_p`).
A zero day counts as low too; when no_payments or drop_vs_baseline fires the
same day, run_checks keeps that sharper finding instead.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt
from bot.summary import DaySummary

from .base import (
    CheckContext,
    Finding,
    about,
    judged,
    num,
    on_channel,
    params,
    plural,
    poisson_cdf,
    pval,
    rhythm,
    run_back,
    span,
)

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

    run = run_back(ctx, s, lambda x: x.addon.attempts <= t["ratio"] * expected(x), MAX_RUN_DAYS)
    if len(run) < 2:
        return None
    got = sum(x.addon.attempts for x in run)
    exp = sum(expected(x) for x in run)
    if exp <= 0:
        return None
    p = poisson_cdf(got, exp)
    if not p < t["max_p"]:
        return None
    share = got / exp
    message = (
        f"{plural(got, 'payment')}{on_channel(s)} {span(run[0].local_date, s.local_date)} "
        f"({fmt.count(s.addon.attempts)} on the last day): {share:.0%} of the {about(exp)} expected from the "
        f"projection ({about(proj)}/day, weekday-adjusted)."
    )
    return Finding(
        check=ID,
        severity="warning",
        message=message,
        evidence={
            "payments": [x.addon.attempts for x in run],
            "expected": [num(expected(x), 2) for x in run],
            "dates": [x.local_date.isoformat() for x in run],
            "projected_per_day": num(proj),
            "share_of_expected": num(share),
            "p_value": pval(p),
        },
    )
