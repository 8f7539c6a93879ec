"""no_payments: no payments at all on the add-on channel while some were expected.

Rule. Take the run of consecutive zero days ending on the judged day (live
days only: an unreadable day neither extends nor breaks the run, and is never
a zero). Fire when a run that empty is improbable: P(no payment over the run)
< `max_p`. Pooling the run is what lets a low-volume biller be judged: at 1
payment a day one zero day is unremarkable (P = 0.37), a week of them is not.

Model. Daily payments are Poisson with rate level x weekday factor. The level
is uncertain, so it carries a Gamma distribution: the sales projection is a
prior worth `prior_days` days of data, updated with the live days before the
run (deseasonalised). The chance of the empty run is then the Gamma-Poisson
(negative binomial) probability of zero,

    P0 = (b / (b + F)) ** a,   a = prior_days*projection + payments seen,
                               b = prior_days + weekday factors of days seen,

with F the run's weekday factors, taken at the low end of their uncertainty
band (a weekday with no history counts as a quiet day). Early after go-live the
projection dominates; after a few weeks the add-on's own level does, so a
project that settled well below its projection is not flagged on noise.

Calendar. A zero on a day the channel is expected closed (a learned closed
weekday, a public holiday on a channel that closes), on a public holiday, or
on the first occurrence of a weekday never seen since go-live neither starts
nor breaks the run and adds nothing to its expectation: a Saturday with no ACH
payments is not an outage, and the first weekend after go-live is judged
together with the Monday that follows it. Nothing fires on such a day itself.
Holidays and closed days stay out of the level's history.
"""

from __future__ import annotations

from typing import Optional

from bot import fmt

from .base import CheckContext, Finding, about, history, judged, live, num, params, pval, span
from .rhythm import day_calendar, rhythm

ID = "no_payments"
MAX_P = 0.001  # fire when P(no payment over the zero run) is below this
PRIOR_DAYS = 3.0  # weight of the sales projection, in days of observed payments
DEFAULTS = {"max_p": MAX_P, "prior_days": PRIOR_DAYS}
LEVEL_DAYS = 28  # days before the run that inform the add-on's level
HISTORY_DAYS = 30


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = judged(ctx)
    if s is None or s.addon.attempts != 0:
        return None
    cal = day_calendar(ctx, s.local_date)
    if cal.soft_zero(s.local_date):
        return None
    # The zero run, newest first; unreadable days and soft zeros are skipped, not counted.
    run = []
    for x in reversed(ctx.days):
        if x.local_date < ctx.golive:
            break
        if not live(ctx, x):
            continue
        if x.addon.attempts != 0:
            break
        if cal.soft_zero(x.local_date):
            continue
        run.append(x)
    start = run[-1].local_date
    rh = rhythm(ctx, start)
    seen = [x for x in history(ctx, start, LEVEL_DAYS) if rh.cal.kind(x.local_date) in ("open", "eve")]
    proj = ctx.projected_per_day
    k0 = max(t["prior_days"], 1e-6)
    a = k0 * proj + sum(x.addon.attempts for x in seen)
    b = k0 + sum(rh.mid(x.local_date) for x in seen)
    f_low = sum(rh.low(x.local_date) for x in run)
    p0 = (b / (b + f_low)) ** a
    if not p0 < t["max_p"]:
        return None

    level = a / b
    expected = level * sum(rh.mid(x.local_date) for x in run)
    n = len(run)
    where = f"on {s.addon_channel}" if s.addon_channel else "on any channel"
    basis = f"projection {about(proj)}/day"
    if seen:
        avg = sum(x.addon.attempts for x in seen) / len(seen)
        basis = f"{basis}; {about(avg)}/day on average over the previous {len(seen)} days"
    when = span(start, s.local_date) if n > 1 else f"on {fmt.day(s.local_date)}"
    soft = sum(1 for x in ctx.days if start <= x.local_date <= s.local_date and live(ctx, x) and x not in run)
    unread = (s.local_date - start).days + 1 - n - soft  # unreadable days inside the run's span
    days_txt = f" ({n} days without one)" if n > 1 else ""
    if unread > 0:
        days_txt = f" ({n} readable days without one; {unread} could not be read)"
    if soft > 0:
        days_txt = f"{days_txt[:-1] if days_txt else ' ('}{'; ' if days_txt else ''}{soft} expected closed or a holiday)"
    also = ""
    if s.addon_channel is not None and all(x.total.attempts == 0 for x in run):
        also = " No payments on any other channel either: check the payments feed."
    message = f"No payments {where} {when}{days_txt}; about {about(expected)} expected ({basis}).{also}"
    return Finding(
        check=ID,
        severity="critical",
        message=message,
        evidence={
            "zero_days": n,
            "first_zero_date": start.isoformat(),
            "expected": num(expected, 2),
            "level_per_day": num(level),
            "projected_per_day": num(proj),
            "unreadable_days_within": unread,
            "closed_days_within": soft,
            "history_days": len(seen),
            "p_zero": pval(p0),
            "all_channels_zero": bool(also),
        },
    )
