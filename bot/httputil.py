"""Small HTTP helpers shared by the bot's API clients."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Optional


def retry_after_seconds(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """The `Retry-After` header (RFC 9110 §10.2.3) as seconds to wait, never negative.

    Either delay-seconds ("120"; fractions and a sign are tolerated, a negative
    delay is 0) or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), counted from
    `now` (default: the current time; a date in the past is 0; a date without
    a zone is taken as UTC). None when the header is absent, empty or
    unreadable (including "inf" and "nan").
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
