"""Block Kit of the closing report (pure): the facts of storage/report.py in,
one message headed `Closing report` out."""

from __future__ import annotations

from typing import Any, Optional

from bot import fmt
from bot.views.blocks import Block, context, divider, section

_STATE = {"open": "still open", "acknowledged": "acknowledged", "dismissed": "dismissed",
          "resolved": "resolved", "item": "made an item"}
_ITEM = {"open": "open", "remedied": "remedied", "escalated": "escalated to Client Services"}


def _typed(text: Optional[str]) -> str:
    """What people typed, as typed (None as nothing): bot.views.blocks.render escapes it on the way
    out, so it is shown, never obeyed."""
    return text or ""


def _chunks(lines: list[str], limit: int = 2900) -> list[Block]:
    out, cur = [], ""
    for line in lines:
        line = line[:limit]
        if cur and len(cur) + len(line) + 1 > limit:
            out.append(section(cur))
            cur = ""
        cur = f"{cur}\n{line}" if cur else line
    if cur:
        out.append(section(cur))
    return out


def report_message(f: dict[str, Any], *, preview: bool = False) -> tuple[str, list[Block]]:
    head = "Closing report" + (" (preview: the project is not complete yet)" if preview else "")
    completed = (f.get("completed_at") or "")[:10] or "—"
    text = (f"{head}: {_typed(f['addon'])} for {f['biller_id']}, go-live {f['golive']}, "
            f"completed {completed}.")
    pay = f["payments"]
    rate = fmt.pct(pay["success_rate"]) if pay.get("success_rate") is not None else "—"
    per_day = fmt.count(pay["per_day"]) if pay.get("per_day") is not None else "—"
    summary = [
        f"*{head}*",
        f"*Biller* {f['biller_id']} · *Add-on* {_typed(f['addon'])}" + (f" ({f['pay_channel']})" if f.get("pay_channel") else ""),
        f"go-live {f['golive']} · completed {completed} · days monitored: {f['days_monitored']}"
        + (f" ({f['days_unread']} day(s) the source could not be read)" if f.get("days_unread") else ""),
        f"*Payments (the add-on's)*: {fmt.count(pay['attempts'])} attempts, {per_day} a day against a projection "
        f"of {fmt.count(f['projected_per_day'])} a day; success rate {rate}; "
        f"{fmt.money(pay['approved_cents'])} approved.",
    ]
    if f.get("data_simulated"):
        summary.append(":test_tube: The payments figures are simulated data, not real payments.")
    alerts = [f"*Alerts ({len(f['alerts'])})*"]
    for a in f["alerts"]:
        how = _STATE.get(a["state"], a["state"])
        if a["state"] == "dismissed" and a.get("reason"):
            how += f": {_typed(a['reason'][:300])}"
        if a["state"] == "item" and a.get("item"):
            how += f" #{a['item']}"
        if a.get("by"):
            how += f" by {fmt.user(a['by'])}"
        alerts.append(f"• `{a['check']}` {a['date']} ({a['severity']}): {how}")
    if not f["alerts"]:
        alerts.append("• none raised")
    items = [f"*Items ({len(f['items'])})*"]
    for i in f["items"]:
        how = _ITEM.get(i["status"], i["status"])
        if i["status"] == "remedied" and i.get("note"):
            how += f": {_typed(i['note'])}"
        if i.get("case"):
            how += f" (case {_typed(i['case'])})"
        items.append(f"• #{i['number']} {_typed(i['text'])}: {how}")
    if not f["items"]:
        items.append("• none recorded")
    cases = [f"*Client Services cases ({len(f['cases'])})*"]
    for c in f["cases"]:
        cases.append(f"• {_typed(c['id'] or 'not delivered')} ({c['status']})"
                     + (f" for item #{c['item']}" if c.get("item") else "") + f": {_typed(c['subject'])}")
    if not f["cases"]:
        cases.append("• none opened")
    h = f.get("handoff")
    if h:
        ack = (f"acknowledged by {fmt.user(h['acknowledged_by'])}" if h.get("acknowledged_by")
               else "not acknowledged")
        hand = f"*Handoff*: sent {h['sent_at'][:10]} by {fmt.user(h['sent_by'])} in {fmt.channel(h['channel'])}, {ack}."
    else:
        hand = "*Handoff*: no handoff message was sent through the bot (step 3 marked done by hand)."
    sched = f.get("schedule")
    if sched:
        sline = (f"*Schedule*: sheet {_typed(sched['name'])}: {sched['at_100']} of {sched['items']} items at 100%; "
                 f"{sched['status_field']} set to {_typed(sched['status'])}")
        if sched.get("permalink"):
            sline += f" ({fmt.link(sched['permalink'], 'open the sheet')})"
        if sched.get("simulated"):
            sline += " · simulated schedule"
    elif f.get("schedule_confirmed"):
        sline = "*Schedule*: confirmed at 100% by the specialist (no schedule source)."
    else:
        sline = "*Schedule*: not yet checked."
    who = f"*Completed by* {fmt.user(f['completed_by'])}" if f.get("completed_by") else "*Not completed yet*"
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": head[:150]}}]
    body = _chunks(summary) + [divider()] + _chunks(alerts) + _chunks(items) + _chunks(cases)
    if len(body) > 45:  # Slack allows 50 blocks: the handoff, schedule and who completed always show
        body = body[:44] + [context("The report is longer than one message holds: the full record is stored with the project.")]
    blocks += body + [section(hand), section(sline), context(f"{who} · project {f['project_id']}")]
    return text, blocks
