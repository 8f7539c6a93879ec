"""The add-on's weekly rhythm and calendar, as the volume checks expect them.

Weekday factors come from medians, not means: over the four weeks of context
a weekday has at most four or five days, and one holiday Monday or rainy
Thursday would otherwise bend that weekday's factor for a month (and the next
ordinary one would read as a surge). Holidays, the days beside them, closed
days and days already flagged (an alert about the volume was raised on them,
`ctx.flagged`) are left out of the estimate; a closed weekday has factor 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .base import CheckContext, history, usable
from .calendar_days import CLOSED_SHARE, DayCal, closed_weekdays
from .stats import median

# Without history the weekday factor is unknown; checks that need a conservative
# expectation use this band (typical billers: weekends ~0.55-0.75 of the weekly
# mean, weekdays up to ~1.2).
PRIOR_LOW = 0.55
PRIOR_HIGH = 1.25
TOTAL_PSEUDO = 50.0  # pseudo-payments per weekday pulling the all-channel rhythm towards flat
ADDON_PSEUDO = 30.0  # pseudo-payments per weekday pulling the add-on rhythm towards the all-channel one
FEW_DAYS = 4  # below this many days of a weekday, its median includes the prior's expectation
LEARN_MIN_OTHERS = 20.0  # other channels' typical day, at least, to learn a closed date from them


@dataclass(frozen=True)
class Rhythm:
    """Weekday factors (mean 1 over the week) with a confidence per weekday.

    factor[w] is the add-on's expected share of a weekly-average day on weekday
    w (Monday = 0); 0 on a closed weekday. confidence[w] in [0, 1] grows with
    the weeks of history seen for w; `low`/`high` widen an uncertain factor
    towards the prior band.
    """

    factor: tuple[float, ...] = (1.0,) * 7
    confidence: tuple[float, ...] = (0.0,) * 7
    cal: DayCal = DayCal("", frozenset(), (0,) * 7)

    def mid(self, d: date) -> float:
        return self.factor[d.weekday()]

    def low(self, d: date) -> float:
        w = d.weekday()
        c = self.confidence[w]
        return c * self.factor[w] + (1 - c) * min(PRIOR_LOW, self.factor[w])

    def high(self, d: date) -> float:
        w = d.weekday()
        if w in self.cal.closed:
            return 0.0
        c = self.confidence[w]
        return c * self.factor[w] + (1 - c) * max(PRIOR_HIGH, self.factor[w])


def _weekday_factors(
    series: Sequence[tuple[date, float]], prior: Sequence[float], pseudo: float, closed: frozenset[int]
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Weekday factors of a count series from each weekday's median, shrunk towards `prior`.

    level = the median of count / prior factor over the days (the weekly-mean
    level under the prior rhythm); a weekday's factor is (n x its median +
    pseudo x prior) / (n x level + pseudo), so sparse data stay near the
    prior. Closed weekdays get 0; the rest are renormalised to mean 1 over the week.
    """
    by_wd: list[list[float]] = [[] for _ in range(7)]
    for d, c in series:
        if d.weekday() not in closed:
            by_wd[d.weekday()].append(c)
    n = tuple(len(v) for v in by_wd)
    level = median(c / prior[d.weekday()] for d, c in series if d.weekday() not in closed and prior[d.weekday()] > 0)
    if not level or level <= 0:
        f = [0.0 if w in closed else prior[w] for w in range(7)]
    else:
        # With few days a weekday's median also counts what the prior expects, so one odd day of two does not
        # set it; with four or more the days' own median rules.
        meds = [median(v + ([level * prior[w]] if len(v) < FEW_DAYS else [])) or 0.0 for w, v in enumerate(by_wd)]
        f = [0.0 if w in closed else (n[w] * meds[w] + pseudo * prior[w]) / (n[w] * level + pseudo) for w in range(7)]
    total = sum(f)
    if total <= 0:
        return tuple(1.0 for _ in range(7)), n
    return tuple(x * 7 / total for x in f), n


def day_calendar(ctx: CheckContext, before: date) -> DayCal:
    """The calendar from the context's days before `before`: the add-on's own
    closed weekdays, or the all-channel ones where the add-on has not seen a weekday."""
    own = [(s.local_date, float(s.addon.attempts)) for s in history(ctx, before)]
    closed_own, seen = closed_weekdays(ctx.calendar, own)
    total = [(s.local_date, float(s.total.attempts)) for s in ctx.days if usable(s) and s.local_date < before]
    closed_total, _ = closed_weekdays(ctx.calendar, total)
    closed = closed_own | frozenset(w for w in closed_total if seen[w] == 0)
    return DayCal(ctx.calendar, closed, seen, ctx.closed_dates, closed_dates(ctx, before))


def closed_dates(ctx: CheckContext, before: date) -> frozenset[date]:
    """Past dates (before `before`) on which the biller's other channels were essentially closed as well as
    the add-on's: the biller was closed (a date the calendar does not know), not the add-on down. Only
    for an add-on with its own channel, whose other channels are busy enough to tell (LEARN_MIN_OTHERS)."""
    days = [s for s in ctx.days if usable(s) and s.local_date < before and s.addon_channel]
    others = [s.total.attempts - s.addon.attempts for s in days]
    typical = median(others)
    if not typical or typical < LEARN_MIN_OTHERS:
        return frozenset()
    return frozenset(s.local_date for s, o in zip(days, others) if o <= CLOSED_SHARE * typical
                     and s.addon.attempts <= CLOSED_SHARE * max(1.0, median(x.addon.attempts for x in days) or 0.0))


def rhythm(ctx: CheckContext, before: date) -> Rhythm:
    """The add-on's weekly rhythm from the context's usable days before `before`.

    The all-channel totals (busier, and present before go-live too) give a
    first estimate; the add-on's own counts refine it in proportion to their
    volume. Only ordinary days count (not holidays, the days beside them, or
    closed days). Weekdays never seen keep factor 1 with zero confidence.
    """
    key = ("rhythm", before)
    if key not in ctx.memo:
        ctx.memo[key] = _rhythm(ctx, before)
    return ctx.memo[key]


def _rhythm(ctx: CheckContext, before: date) -> Rhythm:
    cal = day_calendar(ctx, before)
    prior = (1.0,) * 7
    flagged = ctx.flagged
    total = [(s.local_date, float(s.total.attempts)) for s in ctx.days if usable(s) and s.local_date < before
             and cal.kind(s.local_date) in ("open", "unseen") and s.local_date not in flagged]
    g, n_total = _weekday_factors(total, prior, TOTAL_PSEUDO, cal.closed)
    addon = [(s.local_date, float(s.addon.attempts)) for s in history(ctx, before)
             if cal.ordinary(s.local_date) and s.local_date not in flagged]
    f, n_addon = _weekday_factors(addon, g, ADDON_PSEUDO, cal.closed)
    weeks = [max(a, b) for a, b in zip(n_total, n_addon)]
    # 1 week seen: half confident, 3 weeks: 3/4, ...; a closed weekday is certain.
    conf = tuple(1.0 if w in cal.closed else k / (k + 1.0) for w, k in enumerate(weeks))
    return Rhythm(f, conf, cal)
