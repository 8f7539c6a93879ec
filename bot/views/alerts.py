"""Block Kit for the anomaly alerts: what happened, how sure, what to check and
do next, who the specialist is, where the day's summary is; the raw evidence on
request (the Details view); buttons to act, and to undo for a while.

Other programs read one thing, so its form is fixed: an alert's context line
starts `check: <id>` and names the project and the local date.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Optional
from urllib.parse import quote

from bot import fmt
from bot.monitoring.rules import FINAL_STATES, UNDO_WINDOW, UNDOABLE, state_words
from bot.views.alert_words import causes, how_sure, next_step
from bot.views.blocks import Block, button, context, modal, plain, section, value
from bot.views.ids import A_ALERT_ACK, A_ALERT_DETAILS, A_ALERT_DISMISS, A_ALERT_ITEM, A_ALERT_UNDO, V_ALERT_DISMISS
from bot.views.monitoring import SEVERITY_ICON, STATE_ICON, check_words, project_title

UNDO_MINUTES = int(UNDO_WINDOW.total_seconds() // 60)


def evidence_lines(ev: dict) -> str:
    """The check's raw values, one a line (the Details view)."""
    lines = []
    for k, v in list(ev.items())[:20]:
        if k == "repeat_of" or k.startswith("_"):
            continue
        name = k.replace("_", " ")
        if isinstance(v, bool):
            v = "yes" if v else "no"
        elif v is None:
            v = "not available"
        elif k.endswith("_cents") and isinstance(v, (int, float)):
            v = fmt.money(int(v))
        elif isinstance(v, float):
            v = f"{v:,.3g}" if abs(v) < 1 else f"{v:,.2f}".rstrip("0").rstrip(".")
        elif isinstance(v, int):
            v = fmt.count(v)
        elif isinstance(v, (dict, list)):
            v = ", ".join(f"{a} {b}" for a, b in v.items()) if isinstance(v, dict) else ", ".join(map(str, v))
        lines.append(f"• {name}: {fmt.clip(str(v), 200)}")
    return "\n".join(lines)


def check_line(check_id: str, p, d: date) -> str:
    """The context line other programs read."""
    return f"check: {check_id} · project {p.id} ({project_title(p)}) · {fmt.day(d)}"


def state_line(alert, tz: str) -> str:
    st = alert.state
    if st == "open":
        return (":red_circle: Open. Acknowledge it, add it as a post go-live item, or dismiss it as expected; "
                "or react :eyes: to acknowledge, :white_check_mark: to resolve.")
    when = fmt.local_date(alert.acted_at, tz)
    if alert.acted_by is None:  # resolved by the bot itself (the source was read later)
        return f"{STATE_ICON.get(st, '')} {state_words(st).capitalize()} automatically on {when}: {alert.reason}."
    line = f"{STATE_ICON.get(st, '')} {state_words(st).capitalize()} by {fmt.user(alert.acted_by)} on {when}"
    if st == "dismissed" and alert.reason:
        line += f": {fmt.clip(alert.reason, 500)}"
    elif st == "item" and alert.reason:
        line += f" ({alert.reason})"
    line += "."
    if st in UNDOABLE:
        line += f" {fmt.user(alert.acted_by)} can undo this for {UNDO_MINUTES} minutes."
    return line


def portal_search(template: str, biller_id: str, d: date) -> str:
    """BILLER_PORTAL_URL with the biller id (and `{date}`, if it names one) filled in, URL-quoted."""
    return template.replace("{biller_id}", quote(biller_id, safe="")).replace("{date}", fmt.day(d))


def _where(p, alert, summary_link: Optional[str], portal_url: Optional[str]) -> str:
    d = fmt.day(alert.local_date)
    if summary_link:
        summary = f"{fmt.link(summary_link, f'the summary of {d}')}, with this alert in its thread"
    else:
        summary = f"in {fmt.channel(p.channel_id)}, {d}, with this alert in its thread"
    if portal_url:
        portal = fmt.link(portal_search(portal_url, p.biller_id, alert.local_date),
                          f"search biller {p.biller_id}") + f" (payments of {d})"
    else:
        portal = f"Search > Payments, biller `{p.biller_id}`, {d}"
    return f"*The day's summary*: {summary} · *Biller Portal*: {portal}"


def _guidance(p, alert, summary_link: Optional[str] = None, portal_url: Optional[str] = None) -> str:
    lines = []
    sure = how_sure(alert.evidence or {})
    if sure:
        lines.append(f"*Evidence*: {sure} (the numbers are under Details).")
    why = causes(alert.check_id)
    if why:
        lines.append(f"*Likely causes to check*: {why}.")
    step = next_step(alert.check_id)
    if step:
        lines.append(f"*Next step*: {step}.")
    who = ", ".join(fmt.user(u) for u in (getattr(p, "specialist_ids", None) or [])) or "none named yet"
    lines.append(f"*Specialist*: {who} · *Project channel*: {fmt.channel(p.channel_id)}")
    lines.append(_where(p, alert, summary_link, portal_url))
    return "\n".join(lines)


def alert_message(p, alert, repeats: Iterable[date] = (), *, summary_link: Optional[str] = None,
                  portal_url: Optional[str] = None) -> tuple[str, list[Block]]:
    """The alert as the manager (and MANAGERS_CHANNEL) sees it; edits itself as people act.
    `summary_link`: the day's summary message (its permalink, once posted); `portal_url`:
    BILLER_PORTAL_URL, the Biller Portal's search (unset: the way there in words)."""
    icon = SEVERITY_ICON.get(alert.severity, ":warning:")
    d = alert.local_date
    sure = how_sure(alert.evidence or {})
    text = (f"{icon} Payments alert for {project_title(p)}, {fmt.day(d)}: {alert.message} "
            f"(check: {alert.check_id}; {state_words(alert.state)})")
    blocks: list[Block] = [
        section(f"{icon} *Payments alert: {project_title(p)}* ({alert.severity}): "
                f"{check_words(alert.check_id)}\n{alert.message}" + (f"\n_{sure.capitalize()}._" if sure else "")),
        section(_guidance(p, alert, summary_link, portal_url), accessory=button("Details", A_ALERT_DETAILS, value(p=p.id, a=alert.id))),
    ]
    reps = sorted(repeats)
    if reps:
        blocks.append(context(f"Also seen on {', '.join(fmt.day(x) for x in reps)}: not sent again "
                              "while this alert is open."))
    blocks.append(context(check_line(alert.check_id, p, d)))
    v = value(p=p.id, a=alert.id)
    if alert.state in UNDOABLE and alert.acted_by:  # the person who did it may undo it for a while
        blocks.append(section(state_line(alert, p.tz), accessory=button("Undo", A_ALERT_UNDO, v),
                              block_id=f"alert_state_{alert.id}"))
    else:
        blocks.append(context(state_line(alert, p.tz)))
    if alert.state not in FINAL_STATES:
        els = []
        if alert.state == "open":
            els.append(button("Acknowledge", A_ALERT_ACK, v, style="primary"))
        els.append(button("Add as a post go-live item", A_ALERT_ITEM, v))
        els.append(button("Dismiss as expected…", A_ALERT_DISMISS, v))
        blocks.append({"type": "actions", "block_id": f"alert_{alert.id}", "elements": els})
    return text, blocks


def details_modal(p, alert) -> dict:
    """The raw evidence of an alert, for whoever wants the numbers behind it."""
    ev = evidence_lines(alert.evidence or {}) or "The check recorded no values."
    blocks = [
        section(f"*{project_title(p)}*, {fmt.day(alert.local_date)} · {check_words(alert.check_id)}\n"
                f"{alert.message}"),
        section(f"*What the check measured*\n{ev}"),
        context(check_line(alert.check_id, p, alert.local_date)),
    ]
    return modal("alert_details", "Alert details", blocks, {"p": p.id, "a": alert.id}, submit=None)


def alert_note(p, alert, lead=None, told: Iterable[str] = ()) -> tuple[str, list[Block]]:
    """The note in the thread of the day's summary in the project channel."""
    icon = SEVERITY_ICON.get(alert.severity, ":warning:")
    who = ", ".join(told) or "nobody (no manager to tell)"
    if lead is not None:
        body = (f"{icon} *check: {alert.check_id}* fired again for {fmt.day(alert.local_date)}: {alert.message}\n"
                f"Added to the open alert of {fmt.day(lead.local_date)} rather than sent again.")
        state = lead
    else:
        body = f"{icon} *New alert, check: {alert.check_id}*: {alert.message}\nSent to {who}."
        ev = evidence_lines(alert.evidence or {})
        if ev:
            body += f"\n*What the check measured*\n{ev}"
        state = alert
    text = f"{icon} Alert for {fmt.day(alert.local_date)} (check: {alert.check_id}): {alert.message}"
    return text, [section(body), context(check_line(alert.check_id, p, alert.local_date)),
                  context(state_line(state, p.tz))]


def dismiss_modal(p, alert) -> dict:
    blocks = [
        section(f"*{project_title(p)}*, {fmt.day(alert.local_date)}\n{alert.message}"),
        {"type": "input", "block_id": "reason", "label": plain("Why is this expected?", 2000),
         "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True, "max_length": 1000,
                     "min_length": 3}},
    ]
    return modal(V_ALERT_DISMISS, "Dismiss alert", blocks, {"p": p.id, "a": alert.id}, submit="Dismiss")


def item_text(alert) -> str:
    return fmt.clip(f"Payments alert {fmt.day(alert.local_date)} (check: {alert.check_id}): {alert.message}", 2000)
