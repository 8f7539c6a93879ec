"""How numbers, money and dates read in messages."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo


def money(cents: Optional[int]) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"


def count(n: Optional[float]) -> str:
    if n is None:
        return "—"
    if float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.1f}"


def pct(x: Optional[float], digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def day(d: date) -> str:
    """Dates are always YYYY-MM-DD in messages (other programs read them)."""
    return d.isoformat()


def local_date(dt: Optional[datetime], tz: str) -> str:
    """A UTC timestamp as the project's local date and time."""
    if dt is None:
        return "—"
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def user(uid: Optional[str]) -> str:
    return f"<@{uid}>" if uid else "—"


def channel(cid: Optional[str]) -> str:
    return f"<#{cid}>" if cid else "—"


def clip(text: str, limit: int) -> str:
    """Fit Slack's length limits without breaking a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(n: float, word: str, many: Optional[str] = None) -> str:
    """`1 day`, `3 days`, `1,204 payments`: the count and the word that agrees with it."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def whole(n: Optional[float]) -> str:
    """A count that may be a median or an average: `86` or `about 86`, never `85.5 attempts`."""
    if n is None:
        return "—"
    r = round(n)
    return f"{r:,}" if float(n).is_integer() else f"about {r:,}"


def times(ratio: Optional[float]) -> str:
    """A ratio against a reference: `0.95×`, `1.2×`, `0×` rather than `0.00×`."""
    if ratio is None:
        return "—"
    if ratio == 0:
        return "0×"
    if ratio < 0.01:
        return "under 0.01×"
    return f"{ratio:.2f}".rstrip("0").rstrip(".") + "×"
