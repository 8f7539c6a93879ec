"""The values of `/addon new` and `edit`, parsed the same way on the command
line and in the registration form (pure): text in, a value out, or BadInput
with the right usage line."""

from __future__ import annotations

import re
from datetime import date
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import fmt
from bot.errors import BadInput
from bot.suggest import date_problem, did_you_mean

STEP_NAMES = ("monitor", "address", "handoff", "complete")
_STEP_ALIASES = {str(i + 1): s for i, s in enumerate(STEP_NAMES)} | {s: s for s in STEP_NAMES}

USAGE = {
    "help": "/addon help",
    "new": (
        "/addon new biller=ID addon=NAME golive=YYYY-MM-DD projected=N manager=@user "
        "[channel=ivr|text|web|autopay|…] [shared=#channel] [specialist=@user] [tz=Area/City] "
        "[schedule=SHEET_ID] [calendar=CC[-SUB]] [closed=MM-DD,…]"
    ),
    "edit": "/addon edit FIELD=VALUE … (fields of `new`: biller, addon, golive, projected, manager, channel, "
            "shared, specialist, tz, schedule, calendar, closed)",
    "cancel": "/addon cancel REASON",
    "report": "/addon report",
    "status": "/addon status",
    "list": "/addon list [mine|all]",
    "summary": "/addon summary [YYYY-MM-DD]",
    "done": "/addon done monitor|address|handoff|complete [note]",
    "undo": "/addon undo monitor|address|handoff",
    "skip": "/addon skip address REASON",
    "item": "/addon item TEXT",
    "case": "/addon case ITEM# | TEXT",
    "handoff": "/addon handoff",
    "complete": "/addon complete",
    "digest": "/addon digest",
}

PAY_CHANNELS = ("ivr", "text", "web", "mobile", "autopay", "scheduled", "agent", "other")

_USER_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_RE = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_BILLER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NEW_REQUIRED = ("biller", "addon", "golive", "projected", "manager")
NEW_KEYS = NEW_REQUIRED + ("channel", "shared", "specialist", "tz", "schedule", "calendar", "closed")

# The add-on's payment channel, when its name says it (word-level, case-insensitive).
_CHANNEL_WORDS = (
    ("ivr", r"\b(ivr|phone|telephone|call)\b"),
    ("text", r"\b(text|texting|sms)\b"),
    ("autopay", r"\b(auto[- ]?pay|automatic payments?|recurring)\b"),
    ("mobile", r"\b(mobile|app)\b"),
    ("web", r"\b(portal|web|online|website)\b"),
)


def infer_pay_channel(addon: Optional[str]) -> Optional[str]:
    """The channel the add-on's name names ("Pay by text" → text), or None when it
    names none or more than one: then the form asks, never all channels."""
    if not addon:
        return None
    found = {ch for ch, pat in _CHANNEL_WORDS if re.search(pat, addon, re.IGNORECASE)}
    return found.pop() if len(found) == 1 else None


def parse_sheet_id(value: str) -> int:
    v = value.strip()
    if not re.fullmatch(r"\d{1,19}", v) or int(v) == 0 or int(v) >= 2 ** 63:
        raise BadInput(f"`schedule=` is the project's sheet id in the schedule, a whole number such as "
                       f"4583173393803140; got `{value}`.", USAGE["new"])
    return int(v)


# ---- value parsers (shared with the registration modal) --------------------
def parse_user(value: str, key: str) -> str:
    m = _USER_RE.match(value.strip())
    if not m:
        raise BadInput(
            f"`{key}=` must mention a person, like `{key}=@name` picked from the autocomplete; got `{value}`.",
            USAGE["new"],
        )
    return m.group(1)


def parse_channel_ref(value: str, key: str) -> str:
    m = _CHANNEL_RE.match(value.strip())
    if not m:
        raise BadInput(
            f"`{key}=` must name a channel, like `{key}=#channel` picked from the autocomplete; got `{value}`.",
            USAGE["new"],
        )
    return m.group(1)


def parse_date(value: str, what: str, usage: str) -> date:
    problem = date_problem(value)
    if problem:
        raise BadInput(f"{what} `{value}` does not exist: {problem}.", usage)
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{what} must be a date as YYYY-MM-DD, such as 2026-11-02; got `{value}`.", usage) from None


def parse_projected(value: str) -> float:
    try:
        n = float(value.replace(",", ""))
    except ValueError:
        n = float("nan")
    if not (n == n) or n <= 0 or n > 10_000_000:
        raise BadInput(
            f"`projected=` is the sales projection in payments per day, a number above 0; got `{value}`.",
            USAGE["new"],
        )
    return round(n, 2)


def parse_tz(value: str) -> str:
    try:
        if "/" not in value and value != "UTC":
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(
            f"`tz=` must be a time zone like America/Chicago; got `{value}`.", USAGE["new"]
        ) from None
    return value


def parse_biller(value: str) -> str:
    if not _BILLER_RE.match(value):
        raise BadInput(
            "`biller=` is the biller's id in the Biller Portal: letters, digits, `-`, `_` or `.`, "
            f"up to 64; got `{value}`.",
            USAGE["new"],
        )
    return value


def parse_addon(value: str) -> str:
    value = fmt.typed(value).strip()
    if not value or len(value) > 80:
        raise BadInput("`addon=` is the add-on's name, 1 to 80 characters.", USAGE["new"])
    return value


def parse_pay_channel(value: str) -> str:
    v = value.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", v):
        raise BadInput(
            f"`channel=` is the add-on's payment channel, one of {', '.join(PAY_CHANNELS)}; got `{value}`.",
            USAGE["new"],
        )
    return v


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_text(value: str, what: str, limit: int, usage: Optional[str] = None) -> str:
    """Free text as typed: trimmed, at most `limit` characters, no NUL or other control characters."""
    value = (value or "").strip()
    if _CONTROL.search(value):
        raise BadInput(f"{what} contains a control character (such as NUL); type it as plain text.", usage)
    if len(value) > limit:
        raise BadInput(f"{what} is {len(value):,} characters; the limit is {limit:,}.", usage)
    return value


def parse_step(word: str, usage: str) -> str:
    step = _STEP_ALIASES.get(word.lower())
    if step is None:
        raise BadInput(f"`{word}` is not a step.{did_you_mean(word, STEP_NAMES)} Steps: monitor, address, handoff, "
                       "complete (or 1–4).", usage)
    return step


