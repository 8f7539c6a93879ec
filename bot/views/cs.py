"""Block Kit for Client Services: the case modal and announcement, the handoff
preview and message, the shared-channel picker, the answers to mentions.

Plain data in, blocks out. The handoff and the mention answers go to the
biller: they are built only from the project's public face (add-on, biller id)
and the Client Services avenues, never from items, cases, alerts or notes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from bot import fmt
from bot.cs.content import Avenues
from bot.cs.rules import DESCRIPTION_MAX, SUBJECT_MAX
from bot.views.blocks import Block, button, context, divider, modal, mrkdwn, plain, section, text_field, value
from bot.views.ids import A_HANDOFF_ACK, A_SET_SHARED, V_CASE, V_HANDOFF, V_SHARED  # noqa: F401 - re-exported for the handlers
from bot.workflow import ItemView, ProjectSnapshot



def _first_words(text: str, limit: int) -> str:
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0]
    return (cut or line[: limit - 1]) + "…"


# ---- the case ------------------------------------------------------------------------
def case_destination(intake: bool, cs_channel: Optional[str]) -> str:
    if intake and cs_channel:
        return f"It goes to the Client Services case intake and is announced in {fmt.channel(cs_channel)}."
    if intake:
        return "It goes to the Client Services case intake."
    return (f"It is posted in {fmt.channel(cs_channel)}, where Client Services picks it up "
            "(no case intake is configured, so that post is the case).")


def case_modal(p: ProjectSnapshot, item: Optional[ItemView], text: Optional[str], destination: str) -> dict:
    if item is not None:
        about = f"*{p.addon} · {p.biller_id}*: item #{item.number}\n>{fmt.clip(item.text, 2500)}"
        subject = _first_words(item.text, 120)
        description = (f"Post go-live item #{item.number} of the {p.addon} add-on for biller {p.biller_id} "
                       f"(live {fmt.day(p.golive)}):\n{item.text}")
    else:
        about = f"*{p.addon} · {p.biller_id}*: a new out-of-scope item (it is added to step 2 as escalated)"
        subject = _first_words(text or "", 120)
        description = text or ""
    blocks = [
        section(about),
        context("A case is for a post go-live issue that is a change in scope from the original "
                "implementation. Client Services gets the subject and description, the biller, the add-on "
                "and a link to this project's checklist. " + destination),
        text_field("subject", "Subject", subject, multiline=False, max_length=SUBJECT_MAX),
        text_field("description", "Description", description, multiline=True, max_length=DESCRIPTION_MAX,
                    hint="What is wrong, since when, and what the biller expects. Client Services reads "
                         "this without the project's history."),
    ]
    meta = {"p": p.id, "n": item.number if item is not None else None}
    return modal(V_CASE, "Client Services case", blocks, meta, "Open case")


def case_announcement(p: ProjectSnapshot, *, case_id: int, item_number: Optional[int], subject: str,
                      description: str, requested_by: str, key: str, external_id: Optional[str],
                      url: Optional[str], permalink: Optional[str],
                      state: Optional[str] = None) -> tuple[str, list[Block]]:
    """The case in CS_CHANNEL; `state` (bot.views.case_state) is its delivery, edited in place as it changes."""
    if external_id:
        case = fmt.link(url, external_id) if url else external_id
    else:
        case = f"#{case_id}: this message"
    fields = [
        mrkdwn(f"*Case*\n{case}"),
        mrkdwn(f"*Biller*\n{p.biller_id}"),
        mrkdwn(f"*Add-on*\n{p.addon}" + (f" ({p.pay_channel})" if p.pay_channel else "")),
        mrkdwn(f"*Go-live*\n{fmt.day(p.golive)}"),
        mrkdwn(f"*Requested by*\n{fmt.user(requested_by)}"),
        mrkdwn(f"*Project*\nproject {p.id}" + (f", item #{item_number}" if item_number else "")
               + f" in {fmt.channel(p.channel_id)}"),
    ]
    if state:
        fields.append(mrkdwn(f"*Delivery*\n{state}"))
    link = fmt.link(permalink, "project checklist") if permalink else "no checklist link"
    notes = [f"Escalated by the delivery team after go-live · {link} · ref `{key[:12]}`"]
    if not external_id:
        notes.append("No case intake is configured, so this message is the case: "
                     "Client Services, please pick it up here.")
    blocks = [
        {"type": "header", "text": plain("New Client Services case", 150)},
        section(f"*{fmt.clip(subject, 250)}*\n{fmt.clip(description, 2700)}"),
        {"type": "section", "fields": fields},
        context(*notes),
    ]
    text = f"New Client Services case for {p.biller_id} ({p.addon}): {fmt.clip(subject, 200)}"
    return text, blocks


def case_link(external_id: Optional[str], url: Optional[str]) -> str:
    name = external_id or "(no id)"
    return fmt.link(url, name) if url else name


def case_sent_text(item_number: Optional[int], external_id: str, url: Optional[str],
                   cs_channel: Optional[str], announced: bool) -> str:
    what = f" for item #{item_number}" if item_number else ""
    where = f" It is announced in {fmt.channel(cs_channel)}." if announced and cs_channel else ""
    return f":white_check_mark: Client Services case {case_link(external_id, url)} is open{what}.{where}"


def case_queued_text(item_number: Optional[int], reason: str, maybe_sent: bool = False) -> str:
    what = f" for item #{item_number}" if item_number else ""
    if maybe_sent:  # the announcement's answer was lost: say so, never "not sent"
        return (f":hourglass_flowing_sand: The Client Services case{what} is saved; {reason}. I'm checking: "
                "I look for it in the Client Services channel before any new attempt, so it appears there "
                "once, and I will tell you when it is confirmed. The checklist shows it as pending delivery.")
    return (f":hourglass_flowing_sand: The Client Services case{what} is saved but not delivered yet: "
            f"{reason}. I keep trying every few minutes with the same idempotency key, so it will not be "
            "duplicated, and I will tell you when it is open. The checklist shows it as pending delivery.")


def case_still_pending_text(item_number: Optional[int], attempts: int, reason: str) -> str:
    what = f" for item #{item_number}" if item_number else ""
    return (f":warning: The Client Services case{what} is still not delivered after {attempts} attempts "
            f"(last: {reason}). I keep trying with the same key; if this goes on, check `CS_CASES_URL` "
            "and the intake's health.")


def case_failed_text(item_number: Optional[int], subject: str, reason: str) -> str:
    what = f" for item #{item_number}" if item_number else ""
    again = (f" Item #{item_number} is open again: fix the cause and open the case again "
             f"(`/addon case {item_number}`), or remedy the item." if item_number else "")
    return (f":x: The Client Services case{what} (“{fmt.clip(subject, 120)}”) was not opened: {reason}."
            + again)


def case_unannounced_text(external_id: str, url: Optional[str], cs_channel: str, reason: str) -> str:
    return (f":warning: Client Services case {case_link(external_id, url)} is open, but I could not "
            f"announce it in {fmt.channel(cs_channel)}: {reason}. Share the link with Client Services.")


# ---- the handoff ----------------------------------------------------------------------------
def _bullets(lines) -> str:
    return "\n".join(f"• {x}" for x in lines)


def handoff_sent_text(channel: str) -> str:
    return (f"Handoff sent to {fmt.channel(channel)}. Step 3 (Transition to Client Services) is done; the "
            "checklist shows when the biller acknowledges it.")


def handoff_unconfirmed_text(channel: str, error: Optional[str], maybe_sent: bool) -> str:
    """The handoff's first attempt was not confirmed; the outbox goes on (looking before posting)."""
    if maybe_sent:
        what = (f"Slack did not confirm the handoff in {fmt.channel(channel)} (`{error}`): it may have been "
                "posted. I'm checking: I look for it in the channel before any new attempt, so it appears "
                "there once.")
    else:
        what = (f"Slack did not take the handoff for {fmt.channel(channel)} yet (`{error}`); nothing was "
                "posted. It is queued and I keep trying, so it appears there once.")
    return (f":hourglass_flowing_sand: {what} Step 3 is marked done when it is confirmed, and I'll tell you "
            "by DM.")


def handoff_confirmed_text(channel: str) -> str:
    return (f":white_check_mark: The handoff is confirmed in {fmt.channel(channel)}: Step 3 (Transition to "
            "Client Services) is done.")


def handoff_message(p: ProjectSnapshot, av: Avenues, handoff_id: Optional[int]) -> tuple[str, list[Block]]:
    """The message to the shared channel: the avenues and nothing internal."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"Your {av.team} support for {p.addon}", 150)},
    ]
    if av.intro:
        blocks.append(section(av.intro))
    blocks.append({"type": "section", "fields": [
        mrkdwn(f"*Phone*\n{av.phone}"),
        mrkdwn(f"*Email*\n<mailto:{av.email}|{av.email}>"),
        mrkdwn(f"*Support portal*\n{fmt.link(av.portal, av.portal)}"),
        mrkdwn(f"*Hours*\n{av.hours}"),
    ]})
    blocks.append(section(f"*{av.team} can help with*\n{_bullets(av.covers)}"))
    if av.not_covered:
        blocks.append(section(f"*Not covered by {av.team}*\n{_bullets(av.not_covered)}"))
    closing = (av.closing + " " if av.closing else "") + "Press *Got it* so we know you have these details."
    blocks.append(context(closing))
    if handoff_id is not None:
        blocks.append({"type": "actions", "block_id": "handoff_ack", "elements": [
            button("Got it", A_HANDOFF_ACK, value(p=p.id, h=handoff_id), style="primary"),
        ]})
    text = (f"How to get support for {p.addon} from {av.team}: phone {av.phone}, email {av.email}, "
            f"portal {av.portal} ({av.hours}).")
    return text, blocks


def handoff_acknowledged(blocks: list[Block], user_id: str, when: datetime, tz: str) -> list[Block]:
    """The handoff as it reads once acknowledged: the button becomes a thank-you line."""
    out = [b for b in blocks if not (b.get("type") == "actions" and b.get("block_id") == "handoff_ack")]
    out.append(context(f":white_check_mark: {fmt.user(user_id)} confirmed they have these details "
                       f"on {fmt.local_date(when, tz)}. Thank you!"))
    return out


def handoff_preview_modal(p: ProjectSnapshot, av: Avenues, *, builtin: bool,
                          last_sent: Optional[tuple[datetime, str]], placeholders: tuple = ()) -> dict:
    _, message = handoff_message(p, av, None)
    top: list[Block] = [section(
        f"This goes to {fmt.channel(p.shared_channel_id)}, where the biller will see it. "
        "Sending marks step 3 (Transition to Client Services) done."
    )]
    if builtin:
        top.append(context(":warning: These are the built-in Client Services details (`CS_HANDOFF_FILE` "
                           "is not set). Check them before sending."))
    if last_sent:
        top.append(context(f"Already sent on {fmt.local_date(last_sent[0], p.tz)} by {fmt.user(last_sent[1])}; "
                           "sending again posts it once more."))
    blocks = top + [divider()] + message + [context("The biller gets a *Got it* button to confirm.")]
    if placeholders:
        blocks.append(placeholder_confirmation(placeholders))
    return modal(V_HANDOFF, "Send the handoff", blocks, {"p": p.id, "c": p.shared_channel_id}, "Send")


def placeholder_confirmation(placeholders: list[str]) -> Block:
    """An explicit tick to send contact details that are placeholders, naming each."""
    names = ", ".join(placeholders)
    return {"type": "input", "block_id": "placeholders", "optional": True,
            "label": plain("These contacts are placeholders", 2000),
            "hint": plain(f"{names}: the biller would call or write to an address that does not exist. Set "
                          "CS_HANDOFF_FILE with the real Client Services details, or tick to send anyway.", 2000),
            "element": {"type": "checkboxes", "action_id": "placeholders", "options": [
                {"text": {"type": "mrkdwn", "text": "Send with these placeholder contacts"},
                 "value": "send_anyway"}]}}


def no_shared_channel_blocks(project_id: int, text: str) -> list[Block]:
    return [section(text), {"type": "actions", "elements": [
        button("Set shared channel…", A_SET_SHARED, value(p=project_id), style="primary"),
    ]}]


def shared_channel_modal(p: ProjectSnapshot) -> dict:
    el: dict = {"type": "conversations_select", "action_id": "shared",
                "filter": {"include": ["public", "private"]}}
    blocks = [
        section(f"Which Slack Connect channel do you share with *{p.biller_id}*? The handoff goes there. "
                "Invite @addon-bot to it first."),
        {"type": "input", "block_id": "shared", "label": plain("Shared channel with the biller"), "element": el},
    ]
    return modal(V_SHARED, "Shared channel", blocks, {"p": p.id}, "Next")


# ---- mentions ----------------------------------------------------------------------------------
_MENTION_RE = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def mention_words(text: str, bot_user: Optional[str]) -> str:
    """The mention's text without the bot's own mention."""
    if bot_user:
        text = re.sub(rf"<@{re.escape(bot_user)}(?:\|[^>]*)?>", "", text or "")
    return " ".join((text or "").split())


def avenues_answer(user_id: str, av: Avenues, addon: Optional[str]) -> str:
    if addon:
        lead = (f"Hi {fmt.user(user_id)}! The {addon} implementation is complete, so our delivery team has "
                f"stepped away from this channel. {av.team} is here to help you from now on:")
    else:
        lead = f"Hi {fmt.user(user_id)}! For support, {av.team} is here to help:"
    lines = [lead, f"• Phone: {av.phone}", f"• Email: {av.email}", f"• Support portal: {av.portal}",
             f"• Hours: {av.hours}", f"*{av.team} can help with:* " + "; ".join(av.covers) + "."]
    return "\n".join(lines)


def specialist_told_answer(user_id: str, specialists: tuple[str, ...]) -> str:
    who = ", ".join(fmt.user(u) for u in specialists) or "your implementation specialist"
    return (f"Thanks {fmt.user(user_id)}! I've let your implementation specialist ({who}) know; "
            "they will reply here.")


def specialist_queued_answer(user_id: str, specialists: tuple[str, ...]) -> str:
    who = ", ".join(fmt.user(u) for u in specialists) or "your implementation specialist"
    return (f"Thanks {fmt.user(user_id)}! I'm passing your message to your implementation specialist ({who}); "
            "they will reply here.")


def specialist_ping(p: ProjectSnapshot, user_id: str, channel_id: str, words: str,
                    permalink: Optional[str]) -> str:
    who = " ".join(fmt.user(u) for u in p.specialist_ids) or fmt.user(p.manager_id)
    link = fmt.link(permalink, "Open the message") if permalink else f"See {fmt.channel(channel_id)}"
    # The biller's words as they wrote them (Slack's encoding decoded), shown as text.
    quoted = fmt.clip(fmt.typed(words), 1500) or "(no text)"
    return (f":speech_balloon: {who}: {fmt.user(user_id)} mentioned me in {fmt.channel(channel_id)} "
            f"({p.addon} · {p.biller_id}):\n>{quoted}\n{link} and reply there; they were told you have "
            "been notified.")


def internal_mention_help() -> str:
    return ("Use `/addon help` to see what I can do. Billers who mention me here are answered by me: "
            "before completion I tell the project's specialist; after it I give them the Client Services "
            "avenues.")
