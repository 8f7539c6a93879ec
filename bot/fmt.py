"""How numbers, money and dates read in messages."""

from __future__ import annotations

import re
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


# The bot's own markup (a mention of a user or channel, a link it made) is
# written between these two private-use characters, never as `<…>`: every
# outgoing text is escaped by bot.views.blocks.render, which turns only these
# tokens back into live Slack markup. Text people typed can therefore never
# become a live mention or link, whatever view shows it. See
# https://api.slack.com/reference/surfaces/formatting#escaping
LIVE_OPEN = "\ue000"
LIVE_CLOSE = "\ue001"


def live(token: str) -> str:
    """The bot's own `<token>` (checked and made live by bot.views.blocks.render)."""
    return f"{LIVE_OPEN}{token}{LIVE_CLOSE}"


def user(uid: Optional[str]) -> str:
    return live(f"@{uid}") if uid else "—"


def channel(cid: Optional[str]) -> str:
    return live(f"#{cid}") if cid else "—"


def link(url: str, label: str) -> str:
    """A link the bot made; the label is shown as text (escaped), the url is checked."""
    return live(f"{url}|{label.replace(LIVE_OPEN, '').replace(LIVE_CLOSE, '')}")


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
_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}


def _typed_token(m: "re.Match[str]") -> str:
    body = m.group(1)
    target, _, label = body.partition("|")
    if target.startswith("@") or target.startswith("#"):
        return f"{target[0]}{label.lstrip('@#')}" if label else target
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in _SPECIAL:
            return _SPECIAL[name]
        return f"@{label.lstrip('@')}" if name == "subteam" and label else (label or f"@{name}")
    return f"{label} ({target})" if label and label != target else target


def typed(text: Optional[str]) -> str:
    """What a person typed, from the way Slack delivers it (a slash command with
    `should_escape`, a message event): mentions, specials and links as plain
    words, `&amp;`/`&lt;`/`&gt;` decoded. Stored like this, it is escaped again
    whenever it is shown (bot.views.blocks.render), so it is never obeyed.
    https://api.slack.com/reference/surfaces/formatting#retrieving-messages"""
    out = _SLACK_TOKEN.sub(_typed_token, text or "")
    out = out.replace(LIVE_OPEN, "").replace(LIVE_CLOSE, "")
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
