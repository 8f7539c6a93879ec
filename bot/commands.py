"""The `/addon` command parser: text in, a typed command out, or BadInput.

Pure: no Slack calls, no database. `manifest.yml` declares the command with
`should_escape: true`, so users and channels arrive as `<@U123|name>` and
`<#C123|name>`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput

STEP_NAMES = ("monitor", "address", "handoff", "complete")
_STEP_ALIASES = {str(i + 1): s for i, s in enumerate(STEP_NAMES)} | {s: s for s in STEP_NAMES}

USAGE = {
    "help": "/addon help",
    "new": (
        "/addon new biller=ID addon=NAME golive=YYYY-MM-DD projected=N manager=@user "
        "[channel=ivr|text|web|autopay|…] [shared=#channel] [specialist=@user] [tz=Area/City]"
    ),
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
}

HELP_LINES = [
    ("new …", "register this channel's post-live project (no fields: a form)"),
    ("status", "the project's checklist, with buttons"),
    ("list [mine|all]", "open post-live projects"),
    ("summary [YYYY-MM-DD]", "the payments summary for a day (default: yesterday)"),
    ("done STEP [note]", "mark a step done (monitor, address, handoff or 1–3)"),
    ("undo STEP", "reopen a step, before the project is complete"),
    ("skip address REASON", "mark step 2 not applicable"),
    ("item TEXT", "record a post go-live item to address"),
    ("case ITEM# | TEXT", "open a Client Services case for an out-of-scope item"),
    ("handoff", "send the Client Services handoff to the biller's shared channel"),
    ("complete", "mark the project complete: archives and locks it"),
]

PAY_CHANNELS = ("ivr", "text", "web", "mobile", "autopay", "scheduled", "agent", "other")

_USER_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_RE = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_BILLER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NEW_REQUIRED = ("biller", "addon", "golive", "projected", "manager")
NEW_KEYS = NEW_REQUIRED + ("channel", "shared", "specialist", "tz")


# ---- typed commands ---------------------------------------------------------
@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class NewProject:
    biller: str
    addon: str
    golive: date
    projected: float
    manager: str
    pay_channel: Optional[str] = None
    shared: Optional[str] = None
    specialists: tuple[str, ...] = ()
    tz: Optional[str] = None


@dataclass(frozen=True)
class NewProjectForm:
    """Fields were missing: open the registration modal with what was given."""

    prefill: dict = field(default_factory=dict)
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class ListProjects:
    scope: str = "mine"  # mine | all


@dataclass(frozen=True)
class Summary:
    day: Optional[date] = None


@dataclass(frozen=True)
class Done:
    step: str
    note: Optional[str] = None


@dataclass(frozen=True)
class Undo:
    step: str


@dataclass(frozen=True)
class Skip:
    step: str
    reason: str


@dataclass(frozen=True)
class AddItem:
    text: str


@dataclass(frozen=True)
class OpenCase:
    item_number: Optional[int] = None
    text: Optional[str] = None


@dataclass(frozen=True)
class Handoff:
    pass


@dataclass(frozen=True)
class Complete:
    pass


Command = Union[
    Help, NewProject, NewProjectForm, Status, ListProjects, Summary, Done, Undo, Skip,
    AddItem, OpenCase, Handoff, Complete,
]


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
    value = value.strip()
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
        raise BadInput(f"`{word}` is not a step. Steps: monitor, address, handoff, complete (or 1–4).", usage)
    return step


# ---- the parser ------------------------------------------------------------
def _split_kv(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError:
        raise BadInput("A quote is not closed.", USAGE["new"]) from None


def _parse_new(rest: str) -> Command:
    values: dict[str, str] = {}
    specialists: list[str] = []
    for tok in _split_kv(rest):
        if "=" not in tok:
            raise BadInput(f"`{tok}` is not a `key=value` field.", USAGE["new"])
        key, value = tok.split("=", 1)
        key = key.strip().lower()
        if key not in NEW_KEYS:
            raise BadInput(f"`{key}` is not a field of `new`. Fields: {', '.join(NEW_KEYS)}.", USAGE["new"])
        if not value.strip():
            raise BadInput(f"`{key}=` has no value.", USAGE["new"])
        if key == "specialist":
            specialists.extend(v for v in value.split(",") if v.strip())
            continue
        if key in values:
            raise BadInput(f"`{key}=` is given twice.", USAGE["new"])
        values[key] = value.strip()

    parsed: dict = {}
    # Parse what is present even when something is missing: bad input is refused either way.
    if "biller" in values:
        parsed["biller"] = parse_biller(values["biller"])
    if "addon" in values:
        parsed["addon"] = parse_addon(values["addon"])
    if "golive" in values:
        parsed["golive"] = parse_date(values["golive"], "`golive=`", USAGE["new"])
    if "projected" in values:
        parsed["projected"] = parse_projected(values["projected"])
    if "manager" in values:
        parsed["manager"] = parse_user(values["manager"], "manager")
    if "channel" in values:
        parsed["pay_channel"] = parse_pay_channel(values["channel"])
    if "shared" in values:
        parsed["shared"] = parse_channel_ref(values["shared"], "shared")
    if specialists:
        parsed["specialists"] = tuple(dict.fromkeys(parse_user(s, "specialist") for s in specialists))
    if "tz" in values:
        parsed["tz"] = parse_tz(values["tz"])

    missing = tuple(k for k in NEW_REQUIRED if k not in values)
    if missing:
        return NewProjectForm(prefill=parsed, missing=missing)
    return NewProject(**parsed)


def _one_word(name: str, rest: str) -> None:
    if rest:
        raise BadInput(f"`{name}` takes nothing after it; got `{rest}`.", USAGE[name])


def parse(text: str) -> Command:
    """Parse the text after `/addon`. Raises BadInput with the right usage line."""
    text = (text or "").replace("\u00a0", " ").strip()
    if not text:
        return Help()
    parse_text(text, "The command", 6000, None)
    head, _, rest = text.partition(" ")
    verb = head.lower()
    rest = rest.strip()

    if verb in ("help", "?"):
        return Help()
    if verb == "new":
        return _parse_new(rest)
    if verb == "status":
        _one_word("status", rest)
        return Status()
    if verb == "list":
        scope = rest.lower() or "mine"
        if scope not in ("mine", "all"):
            raise BadInput(f"`list` takes `mine` or `all`; got `{rest}`.", USAGE["list"])
        return ListProjects(scope)
    if verb == "summary":
        if not rest:
            return Summary()
        return Summary(parse_date(rest, "The day", USAGE["summary"]))
    if verb == "done":
        if not rest:
            raise BadInput("Say which step is done.", USAGE["done"])
        word, _, note = rest.partition(" ")
        step = parse_step(word, USAGE["done"])
        note = note.strip() or None
        if note and len(note) > 2000:
            raise BadInput("The note is longer than 2,000 characters.", USAGE["done"])
        return Done(step, note)
    if verb == "undo":
        if not rest or " " in rest:
            raise BadInput("Say which one step to reopen.", USAGE["undo"])
        return Undo(parse_step(rest, USAGE["undo"]))
    if verb == "skip":
        word, _, reason = rest.partition(" ")
        if not word:
            raise BadInput("Say which step to skip, and why.", USAGE["skip"])
        step = parse_step(word, USAGE["skip"])
        if step != "address":
            raise BadInput(
                "Only step 2 (address) may be skipped; monitor, handoff and complete are required.",
                USAGE["skip"],
            )
        reason = reason.strip()
        if not reason:
            raise BadInput("Give the reason step 2 is not applicable.", USAGE["skip"])
        if len(reason) > 2000:
            raise BadInput("The reason is longer than 2,000 characters.", USAGE["skip"])
        return Skip(step, reason)
    if verb == "item":
        if not rest:
            raise BadInput("Say what the item is.", USAGE["item"])
        if len(rest) > 2000:
            raise BadInput("The item is longer than 2,000 characters.", USAGE["item"])
        return AddItem(rest)
    if verb == "case":
        if not rest:
            raise BadInput("Name the item number, or describe the case.", USAGE["case"])
        m = re.fullmatch(r"#?(\d{1,6})", rest)
        if m:
            return OpenCase(item_number=int(m.group(1)))
        if len(rest) > 2000:
            raise BadInput("The description is longer than 2,000 characters.", USAGE["case"])
        return OpenCase(text=rest)
    if verb == "handoff":
        _one_word("handoff", rest)
        return Handoff()
    if verb == "complete":
        _one_word("complete", rest)
        return Complete()
    raise BadInput(f"`{head}` is not an `/addon` command. Try `/addon help`.", None)
