"""Client Services rules, in plain Python over snapshots and Actors.

Who may open a case or send the handoff (the delivery team, on an open
project), what a case must say, where a handoff may go, and how a biller's
mention of the bot is answered. No Slack, no database.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Optional, Sequence

from bot import fmt, workflow as wf
from bot.errors import Conflict, NotFound, Unavailable
from bot.workflow import Actor, ItemView, ProjectSnapshot

SUBJECT_MAX = 250  # cs_case.subject
DESCRIPTION_MAX = 3000  # a modal's text input holds at most 3,000 characters

NOT_CONFIGURED = (
    "Client Services cases are not set up on this bot: the operator must set `CS_CASES_URL` "
    "(the case intake) or `CS_CHANNEL` (the Client Services channel, where the announcement is the "
    "case). Nothing was changed."
)


class NoSharedChannel(Conflict):
    """The project has no Slack Connect channel with the biller."""

    def __init__(self) -> None:
        super().__init__(
            "This project has no shared channel with the biller, so the handoff has nowhere to go. "
            "Set it with *Set shared channel…* below (pick the Slack Connect channel you share with "
            "the biller, and invite @addon-bot to it first), then send the handoff."
        )


def ensure_cases_configured(intake_url: Optional[str], cs_channel: Optional[str]) -> None:
    if not intake_url and not cs_channel:
        raise Unavailable(NOT_CONFIGURED)


def find_item(project: ProjectSnapshot, number: int) -> ItemView:
    for it in project.items:
        if it.number == number:
            return it
    open_items = [it for it in project.items if it.status == "open"]
    listed = ("Its open items: " + "; ".join(f"#{it.number} {fmt.clip(it.text, 80)}" for it in open_items[:10])
              + ("; …" if len(open_items) > 10 else "") + "." if open_items else "It has no open item.")
    raise NotFound(f"This project has no item #{number}, so no case was opened. {listed} "
                   "To open a case about something new, describe it: `/addon case TEXT`.")


def ensure_item_escalatable(project: ProjectSnapshot, item_number: Optional[int]) -> Optional[ItemView]:
    """The item a case is for (None: a new one), if it may still be escalated."""
    if item_number is None:
        return None
    item = find_item(project, item_number)
    if item.status == "remedied":
        raise Conflict(f"Item #{item_number} is already remedied ({item.note or 'no note'}); "
                       "there is nothing to escalate.")
    if item.status == "escalated":
        case = item.case_external_id or "pending delivery"
        raise Conflict(f"Item #{item_number} is already escalated to Client Services (case {case}).")
    return item


def ensure_can_open_case(project: ProjectSnapshot, actor: Actor, item_number: Optional[int]) -> Optional[ItemView]:
    """Raise unless this actor may open a case now (for that item, if one is named)."""
    wf.ensure_can_change(project, actor)
    return ensure_item_escalatable(project, item_number)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def case_field_errors(subject: Optional[str], description: Optional[str]) -> dict[str, str]:
    """Errors by modal block id; empty when the case may be opened as written."""
    errors: dict[str, str] = {}
    subject = (subject or "").strip()
    description = (description or "").strip()
    if not subject:
        errors["subject"] = "Give the case a subject Client Services will recognise."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"The subject is {len(subject):,} characters; at most {SUBJECT_MAX}."
    elif "\n" in subject:
        errors["subject"] = "Keep the subject to one line; details go in the description."
    elif _CONTROL.search(subject):
        errors["subject"] = "The subject contains a control character (such as NUL); type it as plain text."
    if not description:
        errors["description"] = "Describe the issue: what is wrong, since when, and what the biller expects."
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"The description is {len(description):,} characters; at most {DESCRIPTION_MAX:,}."
    elif _CONTROL.search(description):
        errors["description"] = "The description contains a control character (such as NUL); type it as plain text."
    return errors


def ensure_can_send_handoff(project: ProjectSnapshot, actor: Actor) -> str:
    """The shared channel to send to, or raise."""
    wf.ensure_can_change(project, actor)
    if not project.shared_channel_id:
        raise NoSharedChannel()
    return project.shared_channel_id


def shared_channel_problem(project: ProjectSnapshot, channel_id: Optional[str], info: Optional[dict],
                           used_by_other_project: bool) -> Optional[str]:
    """Why `channel_id` cannot be the project's shared channel, or None.

    `info` is the channel as conversations.info describes it (None when the
    bot cannot see it)."""
    if not channel_id:
        return "Pick the Slack Connect channel you share with the biller."
    if channel_id == project.channel_id:
        return "That is this project's internal channel; pick the channel shared with the biller."
    if used_by_other_project:
        return "That channel is another project's internal channel; pick the one shared with the biller."
    if info is None:
        return "I can't see that channel. Invite @addon-bot to it, then pick it again."
    if not (info.get("is_ext_shared") or info.get("is_pending_ext_shared")):
        return ("That channel is not shared with another organisation. The handoff goes to the "
                "Slack Connect channel you share with the biller.")
    return None


# ---- a biller mentions the bot --------------------------------------------------
HELP, PING, AVENUES = "help", "ping", "avenues"


@dataclass(frozen=True)
class MentionPlan:
    kind: str  # help: an internal user; ping: tell the specialist; avenues: answer with Client Services
    project: Optional[ProjectSnapshot] = None


def plan_mention(actor: Optional[Actor], projects: Sequence[ProjectSnapshot]) -> MentionPlan:
    """How to answer a mention in a channel, given the projects that channel serves.

    Before completion the delivery team still owns the project: its specialist
    is told. After completion (or when no project is known) the Delivery team
    has stepped away, and the answer is the Client Services avenues."""
    if actor is not None and not actor.external:
        return MentionPlan(HELP, projects[0] if projects else None)
    open_ones = [p for p in projects if not p.locked]
    if open_ones:
        return MentionPlan(PING, open_ones[0])
    return MentionPlan(AVENUES, projects[0] if projects else None)


# Contacts that are reserved for examples, never real: the fictional 555-0100..0199 numbers of the
# North American Numbering Plan, and the example and test domains of RFC 2606 / RFC 6761.
_FAKE_PHONE = re.compile(r"555[-. )]*01\d\d")
_FAKE_DOMAIN = re.compile(r"(^|[@./])(example\.(com|net|org)|[a-z0-9-]+\.(example|test|invalid|localhost))"
                          r"([/:?#]|$)", re.I)


def placeholder_contacts(av) -> list[str]:
    """The handoff's contact details that are placeholders, in words ("phone 1-800-555-0199")."""
    out = []
    if _FAKE_PHONE.search(av.phone or ""):
        out.append(f"phone {av.phone}")
    if _FAKE_DOMAIN.search((av.email or "").lower()):
        out.append(f"email {av.email}")
    host = re.sub(r"^[a-z]+://", "", (av.portal or "").lower())
    if _FAKE_DOMAIN.search(host) or _FAKE_DOMAIN.search("." + host):
        out.append(f"portal {av.portal}")
    return out
