"""above_projection: far more payments on the add-on than the sales projection.

Rule. The reference level is the projection, or the add-on's recent level
when that is higher (the median, weekday-adjusted, of its last `RECENT_DAYS`
live days, once there are at least `MIN_RECENT` of them): a project that
settled above its projection is told so a few times, then only when it
surges above its own new normal. expected = reference x the weekday's factor,
taken at the high end of its uncertainty band (a weekday with no history
counts as a busy day). Fire when payments >= `ratio` x expected and the count
is improbable under Poisson noise around expected (P(X >= payments) <
`max_p`), so a 5-a-day biller with 11 payments on a Monday is not an alert.
Same day (not soft). The level's days are ordinary ones only (no holidays,
days beside them or closed days), and a closed weekday expects nothing.

It says nothing about whether the surge is good news: adoption, a projection
that was too low, or double submissions and misattributed channels.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt

from .base import (
    CheckContext,
    Finding,
    about,
    history,
    judged,
    median,
    num,
    on_channel,
    params,
    plural,
    poisson_sf,
    pval,
)
from .rhythm import rhythm

ID = "above_projection"
RATIO = 2.0  # payments at least this multiple of the expected count
MAX_P = 0.001  # and this improbable under Poisson noise
DEFAULTS = {"ratio": RATIO, "max_p": MAX_P}
RECENT_DAYS = 7
MIN_RECENT = 5
HISTORY_DAYS = 29  # the rhythm wants four weeks; the level wants RECENT_DAYS


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    rh = rhythm(ctx, s.local_date)
    proj = ctx.projected_per_day
    recent = [x for x in history(ctx, s.local_date, RECENT_DAYS) if rh.cal.ordinary(x.local_date)
              and rh.mid(x.local_date) > 0]
    level = median(x.addon.attempts / rh.mid(x.local_date) for x in recent) if len(recent) >= MIN_RECENT else None
    reference = max(proj, level or 0.0)
    expected = reference * rh.high(s.local_date)
    n = s.addon.attempts
    if expected <= 0 or n < t["ratio"] * expected:
        return None
    p = poisson_sf(n, expected)
    if not p < t["max_p"]:
        return None
    from_proj = proj * rh.high(s.local_date)
    recent_txt = f"; recent days {about(level)}/day" if level is not None else ""
    message = (
        f"{plural(n, 'payment')}{on_channel(s)} on {fmt.day(s.local_date)}: {n / from_proj:.1f}x the "
        f"{about(from_proj)} expected from the projection ({about(proj)}/day, weekday-adjusted{recent_txt})."
    )
    return Finding(
        check=ID,
        severity="warning",
        message=message,
        evidence={
            "payments": n,
            "expected": num(expected, 2),
            "projected_per_day": num(proj),
            "recent_level_per_day": None if level is None else num(level),
            "weekday_factor": num(rh.high(s.local_date)),
            "ratio_to_projection": num(n / from_proj, 2),
            "p_value": pval(p),
        },
    )
