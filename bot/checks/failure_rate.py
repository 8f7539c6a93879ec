"""failure_rate: a high share of the add-on's decided attempts declined or failed.

Decided attempts are approved + reversed + failed (pending ones are not yet
decided). The usual rate is the add-on's own pooled rate over the live days
before the evidence, leaving out days that were themselves improbable under
it (an earlier spike is not "usual"), once there are `min_baseline` decided
attempts; otherwise `usual_rate`. It is kept within [`usual_floor`,
`max_rate` / 2] so neither a spotless nor a bad history makes the test silly.

Declines cluster: a payer whose card is declined tries again, often several
times, so failures are not independent draws. The binomial test therefore
divides both counts by `dispersion` (a quasi-binomial design effect) before
computing P(X >= failures | usual rate).

Two ways to fire:

- strong, same day: the judged day alone has >= `min_decided` decided
  attempts, >= `min_failed` failures, a rate >= `max_rate`, and the tail is
  < `max_p`;
- soft (moderate evidence), a run of days: the judged day and at least the
  day before (up to `MAX_RUN_DAYS` consecutive live days) each have a rate >=
  `soft_rate` and an individual tail < `day_p` (each day looks elevated on
  its own, so one bad day does not drag the next normal one in), and pooled
  they pass the count and tail tests. Pooling is what lets a 5-a-day biller,
  or a moderate rise at a busy one, be judged.

Critical when the rate (of whichever evidence fired) is >= `critical_rate`.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt
from bot.summary import DaySummary

from .base import CheckContext, Finding, binom_sf, history, judged, num, on_channel, params, pval, run_back, span

ID = "failure_rate"
MAX_RATE = 0.25  # strong evidence: the judged day's rate at least this
SOFT_RATE = 0.15  # soft evidence: every day of the run at least this
CRITICAL_RATE = 0.5
MIN_DECIDED = 10.0  # decided attempts in the evidence (so 1 of 2 is never an alert)
MIN_FAILED = 4.0
MAX_P = 0.003  # tail of the evidence against the usual rate
DAY_P = 0.1  # soft: each day's own tail at most this (it looks elevated by itself)
DISPERSION = 1.5  # counts are divided by this before the binomial test (clustered retries)
USUAL_RATE = 0.07  # assumed usual rate until the add-on has its own
USUAL_FLOOR = 0.03
MIN_BASELINE = 100.0  # decided attempts in history before the add-on's own rate is used
DEFAULTS = {
    "max_rate": MAX_RATE,
    "soft_rate": SOFT_RATE,
    "critical_rate": CRITICAL_RATE,
    "min_decided": MIN_DECIDED,
    "min_failed": MIN_FAILED,
    "max_p": MAX_P,
    "day_p": DAY_P,
    "dispersion": DISPERSION,
    "usual_rate": USUAL_RATE,
    "usual_floor": USUAL_FLOOR,
    "min_baseline": MIN_BASELINE,
}
MAX_RUN_DAYS = 7
BASELINE_DAYS = 28
OUTLIER_P = 0.001  # baseline days this improbable under the pooled rate are left out of it
HISTORY_DAYS = BASELINE_DAYS + MAX_RUN_DAYS


def _decided(s: DaySummary) -> tuple[int, int]:
    """(failed, decided) on the add-on channel."""
    a = s.addon
    return a.failed, a.approved + a.reversed + a.failed


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None:
        return None
    f1, n1 = _decided(s)
    if n1 == 0 or f1 / n1 < min(t["max_rate"], t["soft_rate"]):
        return None
    phi = max(t["dispersion"], 1.0)

    def tail(f: int, n: int, usual: float) -> float:
        return binom_sf(int(f / phi), int(n / phi), usual)

    def usual_before(first: DaySummary) -> tuple[float, bool]:
        """The usual rate from the live days before `first`, and whether it is the add-on's own."""
        hist = history(ctx, first.local_date, BASELINE_DAYS)
        hf = sum(_decided(x)[0] for x in hist)
        hn = sum(_decided(x)[1] for x in hist)
        if hn > 0:
            # One step of outlier rejection: an earlier failure spike must not become "usual".
            u0 = hf / hn
            kept = [_decided(x) for x in hist if binom_sf(_decided(x)[0], _decided(x)[1], u0) >= OUTLIER_P]
            hf, hn = sum(f for f, _ in kept), sum(n for _, n in kept)
        own = hn > 0 and hn >= t["min_baseline"]
        u = hf / hn if own else t["usual_rate"]
        return min(max(u, t["usual_floor"]), t["max_rate"] / 2), own

    def strong_enough(f: int, n: int, usual: float) -> tuple[bool, float]:
        if n < t["min_decided"] or f < t["min_failed"]:
            return False, 1.0
        p = tail(f, n, usual)
        return p < t["max_p"], p

    # Strong: the judged day alone.
    usual, own = usual_before(s)
    ok, p = False, 1.0
    evidence = [s]
    if f1 / n1 >= t["max_rate"]:
        ok, p = strong_enough(f1, n1, usual)
    # Soft: a run of elevated days ending today, pooled.
    if not ok:

        def elevated(x: DaySummary) -> bool:
            f, n = _decided(x)
            return n > 0 and f / n >= t["soft_rate"] and tail(f, n, usual) < t["day_p"]

        run = run_back(ctx, s, elevated, MAX_RUN_DAYS)
        if len(run) >= 2:
            usual, own = usual_before(run[0])
            ok, p = strong_enough(sum(_decided(x)[0] for x in run), sum(_decided(x)[1] for x in run), usual)
            evidence = run
    if not ok:
        return None

    f = sum(_decided(x)[0] for x in evidence)
    n = sum(_decided(x)[1] for x in evidence)
    rate = f / n
    reasons: dict[str, int] = {}
    for x in evidence:
        for k, v in x.addon.decline_reasons.items():
            reasons[k] = reasons.get(k, 0) + int(v)
    top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    top_txt = f" Top reasons: {', '.join(f'{k} ({fmt.count(v)})' for k, v in top)}." if top else ""
    message = (
        f"{fmt.pct(rate)} of payments{on_channel(s)} failed {span(evidence[0].local_date, s.local_date)} "
        f"({fmt.count(f)} of {fmt.count(n)} decided), against a usual {fmt.pct(usual)}.{top_txt}"
    )
    return Finding(
        check=ID,
        severity="critical" if rate >= t["critical_rate"] else "warning",
        message=message,
        evidence={
            "failed": f,
            "decided": n,
            "rate": num(rate, 4),
            "usual_rate": num(usual, 4),
            "usual_from_history": own,
            "days": [x.local_date.isoformat() for x in evidence],
            "p_value": pval(p),
            "top_reasons": dict(top),
        },
    )
