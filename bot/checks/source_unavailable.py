"""source_unavailable: the payments source could not be read for the judged day.

Operational, not a judgement of the payments: the other checks skip such a day
(they never read it as zero payments), so this is the only finding it yields.
Warning for one day; critical once the source has been unreadable for
`critical_days` consecutive days (nothing has been checked for that long).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from bot import fmt

from .base import CheckContext, Finding, params, usable

ID = "source_unavailable"
CRITICAL_DAYS = 3.0  # consecutive unreadable days (ending on the judged day) that make it critical
DEFAULTS = {"critical_days": CRITICAL_DAYS}
HISTORY_DAYS = 7  # looks back this far to count consecutive unreadable days

MAX_ERROR_CHARS = 300


def check(ctx: CheckContext) -> Optional[Finding]:
    t = params(ctx, ID, DEFAULTS)
    s = ctx.today
    if s is None or usable(s):
        return None
    # Consecutive unreadable calendar days ending on the judged day.
    run, d = 0, s.local_date
    while True:
        x = ctx.day(d)
        if x is None or usable(x):
            break
        run += 1
        d -= timedelta(days=1)
    error = fmt.clip(" ".join((s.source_error or "no error recorded").split()), MAX_ERROR_CHARS)
    severity = "critical" if run >= t["critical_days"] else "warning"
    if run > 1:
        what = f"for {run} days in a row ({fmt.day(s.local_date - timedelta(days=run - 1))} to {fmt.day(s.local_date)})"
    else:
        what = f"for {fmt.day(s.local_date)}"
    message = (
        f"The payments source could not be read {what}, so no payments were checked (error: {error})."
    )
    return Finding(
        check=ID,
        severity=severity,
        message=message,
        evidence={"local_date": s.local_date.isoformat(), "consecutive_days": run, "error": error},
    )
