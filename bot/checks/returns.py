"""returns: more ACH returns on the add-on's payments than its usual rate explains.

The summary counts, on the day a payment was made, whether it has since been
returned (ACH returns are `returned`, a subset of `reversed`). The check
compares the judged day's returns with the usual share of returns among the
add-on's ACH payments: its own pooled share over the live days before (once
there are `min_baseline` ACH payments), otherwise `usual_rate`, never below
`usual_floor`. The denominator is the day's ACH payments (`methods["ach"]`);
a summary without a method breakdown falls back to every payment that went
through.

Rule. Fire when the judged day has >= `min_count` returns and that many is
improbable under Poisson noise around the usual share (P(X >= returns) <
`max_p`). Same day; critical when returns are at least `critical_share` of the
day's ACH payments. The message lists the top return codes (R02/R03/R04 point
at account details captured wrongly, which an add-on can cause).

Caveat: returns arrive days after the payment, so a summary made the next
morning shows few; this check sees them when the caller's stored days are
restated (refreshed) later.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt

from .base import CheckContext, Finding, about, elevated_rate, judged, num, on_channel, params, plural, pval
from bot.summary import DaySummary

ID = "returns"
MIN_COUNT = 3.0
MAX_P = 0.001
USUAL_RATE = 0.01  # ACH returns per ACH payment, until the add-on has its own
USUAL_FLOOR = 0.005
MIN_BASELINE = 300.0  # ACH payments in history before the add-on's own share is used
CRITICAL_SHARE = 0.2
DEFAULTS = {
    "min_count": MIN_COUNT,
    "max_p": MAX_P,
    "usual_rate": USUAL_RATE,
    "usual_floor": USUAL_FLOOR,
    "min_baseline": MIN_BASELINE,
    "critical_share": CRITICAL_SHARE,
}
BASELINE_DAYS = 28
HISTORY_DAYS = BASELINE_DAYS + 1


def _ach(s: DaySummary) -> int:
    """ACH payments of the day (all statuses), or every payment that went through without a breakdown."""
    a = s.addon
    if a.methods:
        return int(a.methods.get("ach", 0))
    return a.approved + a.reversed


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    e = elevated_rate(ctx, s, t, BASELINE_DAYS, lambda x: x.addon.returned, _ach)
    if e is None:
        return None
    r, n, usual, own, expected, p = e.count, e.among, e.usual, e.own, e.expected, e.p
    codes = {k: int(v) for k, v in s.addon.return_codes.items() if k.upper().startswith("R")}
    top = sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    top_txt = f" Codes: {', '.join(f'{k} ({fmt.count(v)})' for k, v in top)}." if top else ""
    share = r / n
    message = (
        f"{plural(r, 'ACH return')} among the {plural(n, 'ACH payment')} made{on_channel(s)} on "
        f"{fmt.day(s.local_date)}; about {about(expected)} expected at the usual {fmt.pct(usual)}.{top_txt} "
        f"All reversals that day: {fmt.money(s.addon.reversed_cents)}."
    )
    return Finding(
        check=ID,
        severity="critical" if share >= t["critical_share"] else "warning",
        message=message,
        evidence={
            "returned": r,
            "ach_payments": n,
            "expected": num(expected, 3),
            "usual_rate": num(usual, 5),
            "usual_from_history": own,
            "reversed_cents": s.addon.reversed_cents,
            "p_value": pval(p),
            "top_codes": dict(top),
        },
    )
