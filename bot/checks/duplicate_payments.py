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

from .base import CheckContext, Finding, about, elevated_rate, judged, num, on_channel, params, plural, pval
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
    e = elevated_rate(ctx, s, t, BASELINE_DAYS, lambda x: x.addon.duplicates, _eligible)
    if e is None:
        return None
    d, n, usual, own, expected, p = e.count, e.among, e.usual, e.own, e.expected, e.p
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
