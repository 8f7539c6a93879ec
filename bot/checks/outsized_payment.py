"""outsized_payment: one payment on the add-on far larger than its typical payment.

Typical = the median of the daily median amounts over the live days with
payments in the context (the judged day included, so it works from the first
day). The largest payment (any status: a declined $50,000 attempt is worth a
look too) is outsized when it is

- at least `ratio` x the typical payment, and
- at least `min_cents` (a $40 payment at a biller whose typical one is $2 is
  not news), and
- at least `history_ratio` x the largest payment of the previous days, when
  there are any: a biller with a recurring large payer (a commercial account,
  a property-tax escrow) is not alerted each time it pays.

Same day, warning.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt

from .base import CheckContext, Finding, history, judged, median, num, on_channel, params

ID = "outsized_payment"
RATIO = 20.0
MIN_CENTS = 100_000.0  # $1,000.00
HISTORY_RATIO = 1.5
DEFAULTS = {"ratio": RATIO, "min_cents": MIN_CENTS, "history_ratio": HISTORY_RATIO}
BASELINE_DAYS = 28
HISTORY_DAYS = BASELINE_DAYS + 1


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None or s.addon.attempts == 0:
        return None
    biggest = s.addon.max_cents
    if biggest < t["min_cents"]:
        return None
    hist = [x for x in history(ctx, s.local_date, BASELINE_DAYS) if x.addon.attempts > 0]
    medians = [x.addon.median_cents for x in hist + [s] if x.addon.median_cents > 0]
    typical = median(medians)
    if not typical or biggest < t["ratio"] * typical:
        return None
    prior_max = max((x.addon.max_cents for x in hist), default=0)
    if prior_max > 0 and biggest < t["history_ratio"] * prior_max:
        return None
    prior_txt = f", largest before {fmt.money(prior_max)}" if prior_max > 0 else ""
    message = (
        f"A {fmt.money(biggest)} payment{on_channel(s)} on {fmt.day(s.local_date)}: "
        f"{biggest / typical:,.0f}x the typical {fmt.money(round(typical))} "
        f"(median payment over {len(medians)} days{prior_txt})."
    )
    return Finding(
        check=ID,
        severity="warning",
        message=message,
        evidence={
            "max_cents": biggest,
            "typical_cents": round(typical),
            "ratio": num(biggest / typical, 1),
            "prior_max_cents": prior_max,
            "days": len(medians),
        },
    )
