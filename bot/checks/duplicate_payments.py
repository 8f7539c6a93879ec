"""duplicate_payments: more likely duplicates on the add-on than its usual rate explains.

The summary counts a likely duplicate when a payment that did not fail
repeats the payer and amount of one made minutes before (double submissions
happen: a payer presses pay twice). The usual share of duplicates among
payments that did not fail is the add-on's pooled share over the live days
before (once there are `min_baseline` such payments), otherwise `usual_rate`,
never below `usual_floor`.

Rule. Fire when the judged day has >= `min_count` duplicates and that many is
improbable under Poisson noise around the usual share (P(X >= duplicates) <
`max_p`). Same day.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt

from .base import CheckContext, Finding, about, history, judged, num, on_channel, params, plural, poisson_sf, pval
from bot.summary import DaySummary

ID = "duplicate_payments"
MIN_COUNT = 3.0
MAX_P = 0.001
USUAL_RATE = 0.004  # likely duplicates per payment that did not fail, until the add-on has its own
USUAL_FLOOR = 0.002
MIN_BASELINE = 500.0  # payments in history before the add-on's own share is used
DEFAULTS = {
    "min_count": MIN_COUNT,
    "max_p": MAX_P,
    "usual_rate": USUAL_RATE,
    "usual_floor": USUAL_FLOOR,
    "min_baseline": MIN_BASELINE,
}
BASELINE_DAYS = 28
HISTORY_DAYS = BASELINE_DAYS + 1


def _eligible(s: DaySummary) -> int:
    """Payments that can be (or make) a duplicate: all but the failed ones."""
    return max(0, s.addon.attempts - s.addon.failed)


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    d = s.addon.duplicates
    if d < max(t["min_count"], 1):
        return None
    hist = history(ctx, s.local_date, BASELINE_DAYS)
    hn = sum(_eligible(x) for x in hist)
    own = hn > 0 and hn >= t["min_baseline"]
    usual = sum(x.addon.duplicates for x in hist) / hn if own else t["usual_rate"]
    usual = max(usual, t["usual_floor"])
    n = max(_eligible(s), d)
    expected = usual * n
    p = poisson_sf(d, expected)
    if not p < t["max_p"]:
        return None
    message = (
        f"{plural(d, 'likely duplicate payment')}{on_channel(s)} on {fmt.day(s.local_date)} "
        f"(same payer and amount minutes apart) among {plural(n, 'payment')}; "
        f"about {about(expected)} expected at the usual {fmt.pct(usual, 2)}."
    )
    return Finding(
        check=ID,
        severity="warning",
        message=message,
        evidence={
            "duplicates": d,
            "payments": n,
            "expected": num(expected, 3),
            "usual_rate": num(usual, 5),
            "usual_from_history": own,
            "p_value": pval(p),
        },
    )
