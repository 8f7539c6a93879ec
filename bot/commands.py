"""The `/addon` command parser: text in, a typed command out, or BadInput.

Pure: no Slack calls, no database. `manifest.yml` declares the command with
`should_escape: true`, so users and channels arrive as `<@U123|name>` and
`<#C123|name>`, and `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`: free text (an
item, a note, a reason, a name) is decoded with fmt.typed before it is kept.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, Union

from bot import fmt
from bot.checks.calendar_days import parse_calendar, parse_closed_dates
from bot.errors import BadInput
from bot.suggest import closest, did_you_mean
from bot.fields import (  # noqa: F401 - the parsers are used through this module too
    NEW_KEYS, NEW_REQUIRED, PAY_CHANNELS, STEP_NAMES, USAGE, infer_pay_channel, parse_addon, parse_biller,
    parse_channel_ref, parse_date, parse_pay_channel, parse_projected, parse_sheet_id, parse_step, parse_text,
    parse_tz, parse_user,
)

HELP_LINES = [
    ("new …", "register this channel's post-live project (no fields: a form)"),
    ("status", "the project's checklist, with buttons"),
    ("list [mine|all]", "open post-live projects"),
    ("summary [YYYY-MM-DD]", "the payments summary for a day (default: yesterday)"),
    ("done STEP [note]", "mark a step done (monitor, address, handoff or 1–3); Monitor with no summary yet: the reason"),
    ("undo STEP", "reopen a step, before the project is complete"),
    ("skip address REASON", "mark step 2 not applicable"),
    ("item TEXT", "record a post go-live item to address"),
    ("case ITEM# | TEXT", "open a Client Services case for an out-of-scope item"),
    ("handoff", "send the Client Services handoff to the biller's shared channel"),
    ("complete", "mark the project complete: archives and locks it"),
    ("edit FIELD=VALUE …", "correct registered fields (those of `new`), before completion"),
    ("cancel REASON", "withdraw a project registered by mistake; the channel can register again"),
    ("report", "the closing report (before completion: a preview)"),
    ("digest", "the weekly post-live digest of your projects, now, only to you"),
]

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
    schedule_sheet: Optional[int] = None
    calendar: Optional[str] = None  # public-holiday calendar, "US", "US-MA"; None: DEFAULT_CALENDAR
    closed_dates: Optional[str] = None  # the biller's own closed dates, "12-24,12-31,2026-11-27" (canonical)


@dataclass(frozen=True)
class NewProjectForm:
    """Fields were missing: open the registration modal with what was given."""

    prefill: dict = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    needs_channel: bool = False  # neither `channel=` nor an add-on name that says it


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
class Digest:
    pass


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


@dataclass(frozen=True)
class Edit:
    """Field name (as NewProject names it) -> new value."""

    changes: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Cancel:
    reason: str


@dataclass(frozen=True)
class Report:
    pass


Command = Union[
    Help, NewProject, NewProjectForm, Status, ListProjects, Summary, Done, Undo, Skip,
    AddItem, OpenCase, Handoff, Complete, Edit, Cancel, Report, Digest,
]


# ---- the parser ------------------------------------------------------------
def _split_kv(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError:
        raise BadInput("A quote is not closed.", USAGE["new"]) from None


def _fields(rest: str, verb: str) -> tuple[dict, set[str]]:
    """`key=value` tokens parsed to NewProject's fields; (parsed, keys given)."""
    usage = USAGE[verb]
    values: dict[str, str] = {}
    specialists: list[str] = []
    for tok in _split_kv(rest):
        if "=" not in tok:
            raise BadInput(f"`{tok}` is not a `key=value` field.", usage)
        key, value = tok.split("=", 1)
        key = key.strip().lower()
        if key not in NEW_KEYS:
            raise BadInput(f"`{key}` is not a field of `new`. Fields: {', '.join(NEW_KEYS)}.", usage)
        if not value.strip():
            raise BadInput(f"`{key}=` has no value.", usage)
        if key == "specialist":
            specialists.extend(v for v in value.split(",") if v.strip())
            continue
        if key in values:
            raise BadInput(f"`{key}=` is given twice.", usage)
        values[key] = value.strip()

    parsed: dict = {}
    # Parse what is present even when something is missing: bad input is refused either way.
    if "biller" in values:
        parsed["biller"] = parse_biller(values["biller"])
    if "addon" in values:
        parsed["addon"] = parse_addon(values["addon"])
    if "golive" in values:
        parsed["golive"] = parse_date(values["golive"], "`golive=`", usage)
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
    if "schedule" in values:
        parsed["schedule_sheet"] = parse_sheet_id(values["schedule"])
    if "calendar" in values:
        parsed["calendar"] = parse_calendar_key(values["calendar"])
    if "closed" in values:
        parsed["closed_dates"] = parse_closed_key(values["closed"])
    return parsed, set(values) | ({"specialist"} if specialists else set())


def _parse_new(rest: str) -> Command:
    parsed, given = _fields(rest, "new")
    if "pay_channel" not in parsed and parsed.get("addon"):
        inferred = infer_pay_channel(parsed["addon"])
        if inferred:
            parsed["pay_channel"] = inferred
    missing = tuple(k for k in NEW_REQUIRED if k not in given)
    # The add-on's channel is never a guess: without it every payment would count as the add-on's.
    needs_channel = "pay_channel" not in parsed
    if missing or needs_channel:
        return NewProjectForm(prefill=parsed, missing=missing, needs_channel=needs_channel)
    return NewProject(**parsed)


def _parse_edit(rest: str) -> Command:
    if not rest:
        raise BadInput("Say which fields to change, as `field=value`.", USAGE["edit"])
    parsed, _ = _fields(rest, "edit")
    return Edit(tuple(parsed.items()))


def parse_calendar_key(value: str) -> str:
    """`calendar=`: the public-holiday calendar the checks use (closed days are not outages)."""
    try:
        return parse_calendar(value)
    except ValueError as e:
        raise BadInput(f"`calendar=`: {e}.", USAGE["new"]) from None


def parse_closed_key(value: str) -> str:
    """`closed=`: dates the biller's channel is closed besides public holidays (never an outage)."""
    try:
        return parse_closed_dates(value)
    except ValueError as e:
        raise BadInput(f"`closed=`: {e}.", USAGE["new"]) from None


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
        note = fmt.typed(note).strip() or None
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
        reason = fmt.typed(reason).strip()
        if not reason:
            raise BadInput("Give the reason step 2 is not applicable.", USAGE["skip"])
        if len(reason) > 2000:
            raise BadInput("The reason is longer than 2,000 characters.", USAGE["skip"])
        return Skip(step, reason)
    if verb == "item":
        rest = fmt.typed(rest).strip()
        if not rest:
            raise BadInput("Say what the item is.", USAGE["item"])
        if len(rest) > 2000:
            raise BadInput("The item is longer than 2,000 characters.", USAGE["item"])
        return AddItem(rest)
    if verb == "case":
        if not rest:
            raise BadInput("Name the item number, or describe the case.", USAGE["case"])
        m = re.fullmatch(r"#?(\d{1,6})(?:\s*\|\s*(.*))?", rest, re.S)
        if m:
            more = fmt.typed(m.group(2) or "").strip() or None
            if more and len(more) > 2000:
                raise BadInput("The description is longer than 2,000 characters.", USAGE["case"])
            return OpenCase(item_number=int(m.group(1)), text=more)
        rest = fmt.typed(rest).strip()
        if len(rest) > 2000:
            raise BadInput("The description is longer than 2,000 characters.", USAGE["case"])
        return OpenCase(text=rest)
    if verb == "handoff":
        _one_word("handoff", rest)
        return Handoff()
    if verb == "complete":
        _one_word("complete", rest)
        return Complete()
    if verb == "edit":
        return _parse_edit(rest)
    if verb == "cancel":
        if not rest:
            raise BadInput("Give the reason the project is withdrawn.", USAGE["cancel"])
        if len(rest) > 2000:
            raise BadInput("The reason is longer than 2,000 characters.", USAGE["cancel"])
        return Cancel(rest)
    if verb == "report":
        _one_word("report", rest)
        return Report()
    if verb == "digest":
        _one_word("digest", rest)
        return Digest()
    hint = did_you_mean(verb, [v for v in USAGE if v != "help"])
    raise BadInput(f"`{head}` is not an `/addon` command.{hint or ' Try `/addon help`.'}",
                   USAGE.get(closest(verb, USAGE) or "") if hint else None)
