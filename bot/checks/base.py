"""What every check shares: the context, the finding, thresholds, and history helpers.

The check modules import from here (never from the package), so the package's
`__init__` can import them all to build its registry without import cycles.

Conventions every check follows:

- a day is *usable* when its source was read (`source_ok`); an unusable day is
  never treated as zero payments: a check returns None when the judged day is
  unusable and leaves unusable days out of any history;
- the add-on channel has no payments before go-live by construction, so only
  days on or after `golive` count as the add-on's history (days before it may
  still inform the weekly rhythm through the all-channel totals);
- "payments" in volume checks are the add-on channel's attempts (every payment
  record created that day, whatever its status).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from bot import fmt
from bot.checks.stats import binom_sf, mad, median, poisson_cdf, poisson_sf  # noqa: F401 - re-exported
from bot.summary import DaySummary

SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may look at; checks are pure functions of it."""

    days: list[DaySummary]  # oldest first; the last one is the day being judged
    projected_per_day: float  # add-on payments a day from the sales projection (> 0)
    golive: date
    thresholds: Mapping[str, float] = field(default_factory=dict)  # "check_id.name" -> value
    calendar: str = ""  # public-holiday calendar ("US", "US-MA"); "" for none
    # Older stored days before days[0] (oldest first), for rules over longer spans than the context
    # (Nacha's 60-day return rates); what was stored, never read again for this.
    lookback: list[DaySummary] = field(default_factory=list)
    # Days an alert about the add-on's volume is about (bot.checks.flagged_dates): left out of the weekly
    # rhythm and of drop_vs_baseline's baseline and spans, so an outage or a surge already told neither bends
    # a weekday's factor nor reads as a slump for the weeks after.
    flagged: frozenset[date] = frozenset()
    # The biller's own closed dates besides public holidays ("12-24" every year, "2026-11-27" once).
    closed_dates: frozenset[str] = frozenset()
    # What the checks derive from the days (the rhythm before a date), shared by the checks of one run.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def today(self) -> Optional[DaySummary]:
        """The judged day (None for an empty context)."""
        return self.days[-1] if self.days else None

    def day(self, d: date) -> Optional[DaySummary]:
        """The summary of local date d in the context, if present."""
        for s in reversed(self.days):
            if s.local_date == d:
                return s
        return None


@dataclass(frozen=True)
class Finding:
    check: str  # the check id
    severity: str  # "critical" | "warning" | "info"
    message: str  # one plain-English line for the manager
    evidence: dict  # the numbers behind it (JSON-serializable)


CheckFn = Callable[[CheckContext], Optional[Finding]]


def params(ctx: CheckContext, check_id: str, defaults: Mapping[str, float]) -> dict[str, float]:
    """The check's thresholds by short name: the module defaults, overridden by ctx.thresholds."""
    out = dict(defaults)
    for name in defaults:
        v = ctx.thresholds.get(f"{check_id}.{name}")
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out[name] = float(v)
    return out


# ---- days -----------------------------------------------------------------------
def usable(s: DaySummary) -> bool:
    return bool(s.source_ok)


def live(ctx: CheckContext, s: DaySummary) -> bool:
    """Usable and on/after go-live: a day that tells something about the add-on."""
    return usable(s) and s.local_date >= ctx.golive


def judged(ctx: CheckContext) -> Optional[DaySummary]:
    """The judged day when the add-on checks may judge it (usable, on/after go-live)."""
    s = ctx.today
    return s if s is not None and live(ctx, s) else None


def run_back(
    ctx: CheckContext, s: DaySummary, cond: Callable[[DaySummary], bool], max_days: int
) -> list[DaySummary]:
    """The longest run of consecutive calendar days ending on s, all live and meeting cond.

    Oldest first, at most max_days long; empty when s itself fails. Soft checks
    fire on runs of two or more days and pool the run's evidence.
    """
    run: list[DaySummary] = []
    d = s.local_date
    while len(run) < max_days:
        x = ctx.day(d)
        if x is None or not live(ctx, x) or not cond(x):
            break
        run.append(x)
        d -= timedelta(days=1)
    run.reverse()
    return run


def history(ctx: CheckContext, before: date, max_days: Optional[int] = None) -> list[DaySummary]:
    """Live days strictly before `before` (oldest first), at most the last `max_days` calendar days."""
    lo = before - timedelta(days=max_days) if max_days is not None else date.min
    return [s for s in ctx.days if live(ctx, s) and lo <= s.local_date < before]


@dataclass(frozen=True)
class Elevated:
    """A count judged against its usual rate among the payments that could show it."""

    count: int
    among: int  # the payments that could show it
    usual: float  # the usual rate: the add-on's own history, or the default
    own: bool  # the usual rate comes from the add-on's own history
    expected: float
    p: float


def elevated_rate(
    ctx: CheckContext, s: DaySummary, t: Mapping[str, float], baseline_days: int,
    count_of: Callable[[DaySummary], int], among_of: Callable[[DaySummary], int],
) -> Optional[Elevated]:
    """The judged day's count if it is improbably high for its usual rate, else None.

    Uses thresholds min_count, min_baseline, usual_rate, usual_floor and max_p.
    """
    count = count_of(s)
    if count < max(t["min_count"], 1):
        return None
    hist = history(ctx, s.local_date, baseline_days)
    hn = sum(among_of(x) for x in hist)
    own = hn > 0 and hn >= t["min_baseline"]
    usual = sum(count_of(x) for x in hist) / hn if own else t["usual_rate"]
    usual = max(usual, t["usual_floor"])
    among = max(among_of(s), count)
    expected = usual * among
    p = poisson_sf(count, expected)
    if not p < t["max_p"]:
        return None
    return Elevated(count, among, usual, own, expected, p)


@dataclass(frozen=True)
class Shortfall:
    """A run of consecutive low days ending on the judged day, against an expectation."""

    run: list[DaySummary]
    got: int  # add-on payments over the run
    exp: float  # expected over the run


def shortfall_run(
    ctx: CheckContext, s: DaySummary, expected: Callable[[DaySummary], float], max_share: float,
    max_days: int, ordinary: Callable[[date], bool] = lambda d: True,
) -> Optional[Shortfall]:
    """At least two consecutive live days ending on `s`, each with at most
    `max_share` of its expected count; None otherwise.

    Days that are not `ordinary` (closed days, holidays and the days beside
    them) are neither low nor a break: they are passed over, and `s` itself
    must be ordinary. Unreadable days break the run.
    """
    if not ordinary(s.local_date):
        return None
    run: list[DaySummary] = []
    d = s.local_date
    for _ in range(max_days):
        x = ctx.day(d)
        d -= timedelta(days=1)
        if x is not None and live(ctx, x) and not ordinary(x.local_date):
            continue
        if x is None or not live(ctx, x) or not x.addon.attempts <= max_share * expected(x):
            break
        run.append(x)
    run.reverse()
    if len(run) < 2:
        return None
    exp = sum(expected(x) for x in run)
    if exp <= 0:
        return None
    return Shortfall(run, sum(x.addon.attempts for x in run), exp)


def shortfall_finding(
    check_id: str, s: DaySummary, sf: Shortfall, expected: Callable[[DaySummary], float], p: float,
    against: str, evidence: Mapping[str, object],
) -> Finding:
    """The finding of a soft shortfall check: what came, what was expected, from what."""
    share = sf.got / sf.exp
    message = (
        f"{plural(sf.got, 'payment')}{on_channel(s)} {span(sf.run[0].local_date, s.local_date)} "
        f"({fmt.count(s.addon.attempts)} on the last day): {share:.0%} of the {about(sf.exp)} expected from the "
        f"{against}."
    )
    return Finding(
        check=check_id,
        severity="warning",
        message=message,
        evidence={
            "payments": [x.addon.attempts for x in sf.run],
            "expected": [num(expected(x), 2) for x in sf.run],
            "dates": [x.local_date.isoformat() for x in sf.run],
            **evidence,
            "share_of_expected": num(share),
            "p_value": pval(p),
        },
    )


def on_channel(s: DaySummary) -> str:
    """' on ivr' for an add-on with its own channel; '' when the add-on is every channel."""
    return f" on {s.addon_channel}" if s.addon_channel else ""


def plural(n: int, word: str) -> str:
    """'1 payment', '1,204 payments'."""
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


# ---- evidence and wording --------------------------------------------------------------
def num(x: float, digits: int = 3) -> float:
    """A finite float for evidence (JSON has no NaN/inf)."""
    x = float(x)
    if not math.isfinite(x):
        return 0.0
    return round(x, digits)


def pval(p: float) -> float:
    """A probability for evidence, readable at any magnitude."""
    return float(f"{max(0.0, min(1.0, p)):.3g}")


def about(x: float) -> str:
    """An expected count as a person would say it: 14, 2.5, 0.3."""
    if x >= 10:
        return fmt.count(round(x))
    return f"{x:.1f}".rstrip("0").rstrip(".") if x >= 0.05 else "0"


def span(first: date, last: date) -> str:
    """'on 2026-11-20' or 'from 2026-11-18 to 2026-11-20'."""
    if first == last:
        return f"on {fmt.day(last)}"
    return f"from {fmt.day(first)} to {fmt.day(last)}"
