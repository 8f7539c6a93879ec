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

Nacha. The rules that bind an ACH originator are rates over the trailing 60
days by category, against the ACH payments made in them: unauthorized returns
(R05, R07, R10, R11, R29, R51) at most 0.5 %, administrative (R02, R03, R04)
3 %, all returns 15 %. The check also fires when a category's trailing rate
is above its threshold, the judged day added returns of that category, and
the rate is clearly above the threshold rather than by the chance of a few
returns (P(X >= count) at the threshold rate < `nacha_max_p`, with at least
`nacha_min_count` returns). Critical for unauthorized returns; the alert
names the category, its codes and the rate. With both findings, one alert
says both.

Caveat: returns arrive days after the payment, so a summary made the next
morning shows few; this check sees them when the caller's stored days are
restated (refreshed) later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from bot import fmt

from bot.summary import DaySummary

from .base import (
    CheckContext,
    Finding,
    about,
    binom_sf,
    elevated_rate,
    history,
    judged,
    live,
    num,
    on_channel,
    params,
    plural,
    pval,
)

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
NACHA_MAX_P = 0.05
NACHA_MIN_COUNT = 2.0
DEFAULTS.update({"nacha_max_p": NACHA_MAX_P, "nacha_min_count": NACHA_MIN_COUNT})
BASELINE_DAYS = 28
NACHA_DAYS = 60
# category -> (Nacha's threshold on the 60-day rate, its return codes; None: every R code)
NACHA: dict[str, tuple[float, Optional[frozenset[str]]]] = {
    "unauthorized": (0.005, frozenset({"R05", "R07", "R10", "R11", "R29", "R51"})),
    "administrative": (0.03, frozenset({"R02", "R03", "R04"})),
    "all returns": (0.15, None),
}
HISTORY_DAYS = BASELINE_DAYS + 1  # the Nacha rates read ctx.lookback for the rest of their 60 days


def _ach(s: DaySummary) -> int:
    """ACH payments of the day (all statuses), or every payment that went through without a breakdown."""
    a = s.addon
    if a.methods:
        return int(a.methods.get("ach", 0))
    return a.approved + a.reversed


def _codes(s: DaySummary, codes: Optional[frozenset[str]]) -> dict[str, int]:
    return {k.upper(): int(v) for k, v in s.addon.return_codes.items()
            if k.upper().startswith("R") and (codes is None or k.upper() in codes)}


def nacha_breaches(ctx: CheckContext, s: DaySummary, t: dict[str, float]) -> list[dict]:
    """The Nacha categories whose trailing 60-day rate is clearly above its threshold, when the
    judged day added returns of that category."""
    lo = s.local_date - timedelta(days=NACHA_DAYS - 1)
    days = [x for x in ctx.lookback if x.local_date >= lo and live(ctx, x)] + history(ctx, s.local_date, NACHA_DAYS - 1)
    days += [s]
    n = sum(_ach(x) for x in days)
    out = []
    for name, (limit, codes) in NACHA.items():
        today = sum(_codes(s, codes).values())
        if n <= 0 or today <= 0:
            continue
        by_code: dict[str, int] = {}
        for x in days:
            for k, v in _codes(x, codes).items():
                by_code[k] = by_code.get(k, 0) + v
        count = sum(by_code.values())
        if count < max(t["nacha_min_count"], 1) or count / n <= limit:
            continue
        p = binom_sf(count, n, limit)
        if p < t["nacha_max_p"]:
            out.append({"category": name, "returns": count, "ach_payments": n, "rate": num(count / n, 5),
                        "threshold": limit, "codes": dict(sorted(by_code.items())), "p_value": pval(p),
                        "days": (s.local_date - days[0].local_date).days + 1})
    return out


def _nacha_text(b: dict) -> str:
    codes = ", ".join(f"{k} ({fmt.count(v)})" for k, v in b["codes"].items())
    return (f"Nacha {b['category']} return rate {fmt.pct(b['rate'])} over the last {b['days']} days "
            f"({plural(b['returns'], 'return')} among {plural(b['ach_payments'], 'ACH payment')}; codes {codes}), "
            f"above the {fmt.pct(b['threshold'])} Nacha allows.")


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    e = elevated_rate(ctx, s, t, BASELINE_DAYS, lambda x: x.addon.returned, _ach)
    breaches = nacha_breaches(ctx, s, t)
    if e is None and not breaches:
        return None
    nacha_txt = " ".join(_nacha_text(b) for b in breaches)
    nacha_ev = {"nacha": breaches}
    critical = any(b["category"] == "unauthorized" for b in breaches)
    if e is None:
        return Finding(check=ID, severity="critical" if critical else "warning",
                       message=f"ACH returns{on_channel(s)} on {fmt.day(s.local_date)}: {nacha_txt}",
                       evidence={"returned": s.addon.returned, "ach_payments": _ach(s), **nacha_ev})
    r, n, usual, own, expected, p = e.count, e.among, e.usual, e.own, e.expected, e.p
    codes = _codes(s, None)
    top = sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    top_txt = f" Codes: {', '.join(f'{k} ({fmt.count(v)})' for k, v in top)}." if top else ""
    share = r / n
    message = (
        f"{plural(r, 'ACH return')} among the {plural(n, 'ACH payment')} made{on_channel(s)} on "
        f"{fmt.day(s.local_date)}; about {about(expected)} expected at the usual {fmt.pct(usual)}.{top_txt} "
        f"All reversals that day: {fmt.money(s.addon.reversed_cents)}." + (f" {nacha_txt}" if nacha_txt else "")
    )
    return Finding(
        check=ID,
        severity="critical" if share >= t["critical_share"] or critical else "warning",
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
            **nacha_ev,
        },
    )
