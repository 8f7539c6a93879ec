"""Anomaly checks on a project's daily payment summaries.

Each check is a module with an `ID`, its thresholds as named module-level
constants collected in a `DEFAULTS` dict (short names), a `HISTORY_DAYS`
(days of context it looks at, the judged day included) and a pure function
`check(ctx) -> Finding | None`. This package registers them:

    CHECKS    id -> function, in the order below (also the order of findings)
    DEFAULTS  "check_id.name" -> default threshold; ctx.thresholds overrides

Checks (see each module's docstring for the exact rule):

    source_unavailable  the judged day's source could not be read (operational)
    no_payments         a run of zero days on the add-on that a Poisson model finds improbable
    above_projection    far above the sales projection (weekday-adjusted)
    below_projection    far below the projection on two consecutive days (soft)
    failure_rate        declined/failed share high: strong same day, or moderate on two days (soft)
    drop_vs_baseline    far below the add-on's own weekday-adjusted median, two days (soft),
                        only once the project has a baseline
    duplicate_payments  more likely duplicates than the usual share explains
    outsized_payment    a single payment far above the typical one
    returns             more ACH returns than the usual share explains

Not a daily check: `intraday` (no_payments within the day, hourly; see its docstring).

Nothing judges a day whose source could not be read, or a day before go-live,
except source_unavailable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from types import ModuleType
from typing import Optional

from . import (
    above_projection,
    below_projection,
    drop_vs_baseline,
    duplicate_payments,
    failure_rate,
    intraday,
    no_payments,
    outsized_payment,
    returns,
    source_unavailable,
)
from .base import SEVERITIES, CheckContext, CheckFn, Finding

__all__ = [
    "CHECKS",
    "DEFAULTS",
    "SEVERITIES",
    "SOFT_CHECKS",
    "SUPERSEDES",
    "VOLUME_CHECKS",
    "flagged_dates",
    "CheckContext",
    "CheckFn",
    "Finding",
    "LOOKBACK_DAYS",
    "history_days_needed",
    "run_checks",
    "unknown_thresholds",
]

log = logging.getLogger("addon_bot.checks")

_MODULES: tuple[ModuleType, ...] = (
    source_unavailable,
    no_payments,
    above_projection,
    below_projection,
    failure_rate,
    drop_vs_baseline,
    duplicate_payments,
    outsized_payment,
    returns,
)

CHECKS: dict[str, CheckFn] = {m.ID: m.check for m in _MODULES}
DEFAULTS: dict[str, float] = {f"{m.ID}.{name}": float(v) for m in _MODULES for name, v in m.DEFAULTS.items()}
# The intraday watch (bot.checks.intraday, run hourly by bot.monitoring.intraday) raises no_payments too.
DEFAULTS.update({f"{intraday.ID}.{name}": float(v) for name, v in intraday.DEFAULTS.items()})

# Soft checks need their condition on the judged day and the day before (a run
# of at least two consecutive readable days, whose evidence they pool over up to
# a week); failure_rate only on its moderate-evidence path, strong evidence
# fires the same day.
SOFT_CHECKS: frozenset[str] = frozenset({"below_projection", "drop_vs_baseline", "failure_rate"})

# When the key fires, the listed findings of the same day say the same thing
# less precisely and are dropped ("no payments" beats "fewer payments"). The
# dropping is not transitive: each entry is applied to the findings as run.
SUPERSEDES: dict[str, tuple[str, ...]] = {
    "no_payments": ("below_projection", "drop_vs_baseline"),
    "drop_vs_baseline": ("below_projection",),  # a drop from its own normal is the sharper finding
}


# Alerts about the add-on's volume: the days they were raised on are left out of the weekly rhythm (ctx.flagged).
VOLUME_CHECKS: frozenset[str] = frozenset({"no_payments", "above_projection", "below_projection", "drop_vs_baseline"})

MAX_FLAGGED_SPAN = 14  # days before an alert's date that its evidence may flag


def flagged_dates(check: str, d: date, evidence: Optional[Mapping] = None) -> frozenset[date]:
    """The days a volume alert of date d is about (empty for other checks): d itself, and the
    days its evidence names (a zero run's first day on, a pooled slump's span, a shortfall's run)."""
    if check not in VOLUME_CHECKS:
        return frozenset()
    out = {d}
    ev = evidence or {}
    first = ev.get("first_zero_date") or ev.get("first_date")
    named = [first] if isinstance(first, str) else []
    named += [x for x in ev.get("dates") or [] if isinstance(x, str)]
    for x in named:
        try:
            f = date.fromisoformat(x)
        except ValueError:
            continue
        if d - timedelta(days=MAX_FLAGGED_SPAN) <= f < d:
            out.update(f + timedelta(days=i) for i in range((d - f).days))
    return frozenset(out)


LOOKBACK_DAYS = 60  # days of stored summaries (the judged day included) the Nacha rates want, via ctx.lookback


def history_days_needed() -> int:
    """Days of summaries (the judged day included) the checks want in ctx.days."""
    return max(m.HISTORY_DAYS for m in _MODULES)


def unknown_thresholds(thresholds: Mapping[str, object]) -> list[str]:
    """Keys of a thresholds mapping that no check reads (for settings validation)."""
    return sorted(k for k in thresholds if k not in DEFAULTS)


def run_checks(
    ctx: CheckContext, only: Optional[Iterable[str]] = None, *, strict: bool = False
) -> list[Finding]:
    """Run the checks (all, or the ids in `only`) on ctx, in CHECKS order.

    A check that raises is logged and skipped so it cannot silence the others;
    with strict=True (tests, evaluation) the exception propagates instead.
    Unknown ids in `only` raise ValueError.
    """
    ids = list(CHECKS)
    if only is not None:
        wanted = set(only)
        bad = sorted(wanted - set(CHECKS))
        if bad:
            raise ValueError(f"unknown check(s) {', '.join(bad)}; known: {', '.join(CHECKS)}")
        ids = [i for i in ids if i in wanted]
    if not ctx.days:
        return []
    findings: list[Finding] = []
    for cid in ids:
        try:
            f = CHECKS[cid](ctx)
        except Exception:
            if strict:
                raise
            log.exception("check %s failed on %s", cid, ctx.days[-1].local_date)
            continue
        if f is not None:
            findings.append(f)
    fired = {f.check for f in findings}
    dropped = {d for k, ds in SUPERSEDES.items() if k in fired for d in ds}
    return [f for f in findings if f.check not in dropped]
