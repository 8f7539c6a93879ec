"""A reminder (nudge) as Block Kit: what is due and why, who it is for, and its
buttons (act, snooze a day, snooze a week, stop); the same message once someone
acted on it, or once its reason went away; the modals behind "act"."""

from __future__ import annotations

from typing import Optional

from bot import fmt
from bot.nudges.rules import HANDOFF, ITEM, QUIET, STALL, Due
from bot.views.blocks import Block, button, context, input_block, mrkdwn, modal, plain, section, text_field, value
from bot.views.ids import (
    A_NUDGE_ACT, A_NUDGE_OPEN, A_NUDGE_SNOOZE_DAY, A_NUDGE_SNOOZE_WEEK, A_NUDGE_STOP, V_MONITOR_REASON, V_NUDGE_ACT,
)

ACTIONS_BLOCK = "nudge_actions"
PREFIX = "Reminder:"  # every reminder's fallback text starts with it
ACT_LABEL = {HANDOFF: "Mark step 3 done…", ITEM: "Remedy an item…", QUIET: "Mark Monitor done",
             STALL: "Open the project channel"}


def _days(n: int, business: bool = True) -> str:
    return fmt.plural(n, "business day" if business else "day")


def headline(kind: str, title: str, due: Due) -> str:
    if kind == HANDOFF:
        return (f"the handoff of {title} has waited {_days(due.age)} for the biller's acknowledgement "
                f"(sent {fmt.day(due.since)})")
    if kind == ITEM:
        return (f"{fmt.plural(len(due.items), 'post go-live item')} of {title} "
                f"{'has' if len(due.items) == 1 else 'have'} been open for {due.threshold} business days or more")
    if kind == QUIET:
        return f"{title} has had {_days(due.age, False)} of summaries without an alert: ready to mark Monitor done?"
    return f"nothing has changed on {title} for {_days(due.age)} (last change {fmt.day(due.since)})"


def detail(kind: str, due: Due) -> str:
    if kind == HANDOFF:
        return ("If the biller was told another way (by phone, by email), mark step 3 done with a note; "
                "otherwise ask them to press *Got it* on the handoff in the shared channel.")
    if kind == ITEM:
        lines = [f"• #{i.number} {fmt.clip(i.text, 120)} (open since {fmt.day(i.opened)})" for i in due.items[:10]]
        more = len(due.items) - 10
        if more > 0:
            lines.append(f"• and {fmt.plural(more, 'more item')}")
        return "\n".join(lines) + "\nRemedy each, or escalate it as a Client Services case (`/addon case N`)."
    if kind == QUIET:
        return ("Payments have been judged every day with no anomaly and none is open: step 1 (Monitor service) "
                "can be marked done.")
    return "Mark the step you are on, record what is left as an item, or say in the channel what it is waiting for."


def nudge_message(*, kind: str, project_id: int, title: str, channel_id: str, due: Due, recipient: str,
                  specialists: tuple[str, ...], manager: str) -> tuple[str, list[Block]]:
    head = headline(kind, title, due)
    text = f"{PREFIX} {head}"
    who = ", ".join(fmt.user(u) for u in specialists) or "the specialist"
    lines = [f":bell: *Reminder*: {head}{'' if head.endswith('?') else '.'}", detail(kind, due)]
    if recipient == manager and recipient not in specialists:
        late = due.age - due.threshold
        lines.append(f"You are told as the manager: {who} {'has' if len(specialists) == 1 else 'have'} had this "
                     f"reminder {'since today' if late <= 0 else 'for ' + _days(late, kind != QUIET)}.")
    v = value(p=project_id, k=kind)
    if kind == STALL:
        # A link button: Slack opens the channel (https://api.slack.com/reference/deep-linking#app_channel)
        # and still sends the click, which must be acknowledged
        # (https://api.slack.com/reference/block-kit/block-elements#button).
        act = {"type": "button", "text": plain(ACT_LABEL[kind]), "action_id": A_NUDGE_OPEN, "value": v,
               "url": f"https://slack.com/app_redirect?channel={channel_id}"}
    else:
        act = button(ACT_LABEL[kind], A_NUDGE_ACT, v, style="primary")
    blocks: list[Block] = [
        section("\n".join(lines)),
        context(f"Project channel: {fmt.channel(channel_id)} · only {fmt.user(recipient)} can act on this reminder"),
        {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [
            act,
            button("Snooze a day", A_NUDGE_SNOOZE_DAY, v),
            button("Snooze a week", A_NUDGE_SNOOZE_WEEK, v),
            button("Stop", A_NUDGE_STOP, v, confirm={
                "title": plain("Stop this reminder?"),
                "text": plain("No more reminders of this kind for this project, for you.", 300),
                "confirm": plain("Stop"), "deny": plain("Keep")}),
        ]},
    ]
    return text, blocks


def settled(text: str, blocks: list[Block], outcome: str) -> tuple[str, list[Block]]:
    """The reminder edited in place: its buttons replaced by what was done (or how things stand)."""
    kept = [b for b in blocks or [] if b.get("block_id") not in (ACTIONS_BLOCK, "nudge_outcome")]
    kept.append({"type": "context", "block_id": "nudge_outcome", "elements": [mrkdwn(f":white_check_mark: {outcome}")]})
    return f"{text.split(' — ', 1)[0]} — {outcome}", kept


def act_modal(kind: str, project_id: int, channel: str, ts: str, title: str, due: Optional[Due]) -> dict:
    """"Mark step 3 done…" (a note: how the biller was told) or "Remedy an item…" (which one, and how)."""
    meta = {"p": project_id, "k": kind, "c": channel, "ts": ts}
    if kind == HANDOFF:
        blocks = [section(f"Mark step 3 (Transition to Client Services) of {title} done without the biller's "
                          "acknowledgement."),
                  text_field("note", "How was the biller told?", multiline=True, max_length=2000)]
        return modal(V_NUDGE_ACT, "Handoff done", blocks, meta, submit="Mark done")
    items = (due.items if due else ())[:100]
    options = [{"text": plain(f"#{i.number} {i.text}", 75), "value": str(i.number)} for i in items]
    blocks = [section(f"Which item of {title} was remedied, and how?"),
              input_block("item", "Item", {"type": "static_select", "action_id": "item", "options": options,
                                           **({"initial_option": options[0]} if options else {})}),
              text_field("note", "How was it remedied?", multiline=True, max_length=2000)]
    return modal(V_NUDGE_ACT, "Remedy an item", blocks, meta, submit="Remedied")


def monitor_reason_modal(project_id: int, title: str, ts: Optional[str], open_alerts: int) -> dict:
    """Monitor done with no daily summary yet: the reason is required, and kept in the audit trail."""
    lines = [f"No daily summary of {title} has been posted yet, so nothing monitored says payers are paying. "
             "Say why step 1 (Monitor service) is done anyway; the reason is kept in the audit trail."]
    if open_alerts:
        lines.append(f"{fmt.plural(open_alerts, 'anomaly alert')} {'is' if open_alerts == 1 else 'are'} "
                     "also unacknowledged; marking done goes ahead regardless.")
    blocks = [section("\n".join(lines)), text_field("note", "Reason", multiline=True, max_length=2000)]
    return modal(V_MONITOR_REASON, "Monitor done", blocks, {"p": project_id, "ts": ts}, submit="Mark done")
