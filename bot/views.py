"""Block Kit builders: plain data in, blocks out. No database, no Slack calls.

Button values and modal metadata are small JSON objects (never strings split
on a separator): `{"p": project_id, "s": step, "n": item_number}`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterable, Optional

from bot import fmt
from bot.commands import HELP_LINES, USAGE
from bot.workflow import DONE, NOT_APPLICABLE, STEPS, ProjectSnapshot

Block = dict[str, Any]

# action ids (handlers register on these)
A_STEP_DONE = "step_done"
A_STEP_UNDO = "step_undo"
A_SKIP = "step_skip"
A_COMPLETE = "open_complete"
A_ITEM_RESOLVE = "item_resolve"
A_ITEM_CASE = "item_case"
A_ADD_ITEM = "add_item"
A_HANDOFF = "send_handoff"
A_MONITOR_CONFIRM = "monitor_done_anyway"
A_REFRESH = "refresh_checklist"

# modal callback ids
V_REGISTER = "register_project"
V_COMPLETE = "complete_project"
V_RESOLVE = "resolve_item"
V_SKIP = "skip_address"
V_ADD_ITEM = "add_item"
V_CONFIRM_MONITOR = "confirm_monitor"


def value(**kw) -> str:
    return json.dumps({k: v for k, v in kw.items() if v is not None}, separators=(",", ":"))


def parse_value(raw: Optional[str]) -> dict:
    try:
        v = json.loads(raw or "{}")
        return v if isinstance(v, dict) else {}
    except json.JSONDecodeError:
        return {}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": fmt.clip(text, 3000)}


def plain(text: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": fmt.clip(text, limit), "emoji": True}


def section(text: str, accessory: Optional[dict] = None, block_id: Optional[str] = None) -> Block:
    b: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        b["accessory"] = accessory
    if block_id:
        b["block_id"] = block_id
    return b


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def button(text: str, action_id: str, val: str, style: Optional[str] = None,
           confirm: Optional[dict] = None) -> dict:
    b = {"type": "button", "text": plain(text), "action_id": action_id, "value": val}
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def divider() -> Block:
    return {"type": "divider"}


# ---- help and errors -----------------------------------------------------------
def help_text() -> str:
    lines = ["*`/addon` — the post-live phase of a payments add-on*"]
    lines += [f"• `/addon {cmd}` — {what}" for cmd, what in HELP_LINES]
    lines.append("Steps: `monitor` (1), `address` (2), `handoff` (3), `complete` (4).")
    lines.append(f"Register: `{USAGE['new']}`")
    return "\n".join(lines)


def help_blocks() -> list[Block]:
    return [section(help_text())]


# ---- the checklist ----------------------------------------------------------------
_ICON = {DONE: ":white_check_mark:", NOT_APPLICABLE: ":heavy_minus_sign:", "open": ":white_large_square:"}


def title(p: ProjectSnapshot) -> str:
    return f"{p.addon} · {p.biller_id}"


def checklist_text(p: ProjectSnapshot) -> str:
    done, total = p.progress()
    state = "complete (archived)" if p.locked else f"{done}/{total} steps"
    return f"Post-live checklist for {title(p)}: {state}."


def _step_line(p: ProjectSnapshot, key: str) -> str:
    info = next(s for s in STEPS if s.key == key)
    sv = p.step(key)
    state = sv.state if not (key == "complete" and p.locked) else DONE
    req = "" if info.required else " _(if applicable)_"
    line = f"{_ICON[state]} *{info.number}. {info.title}*{req}"
    if key == "complete" and p.locked:
        line += f"\nCompleted by {fmt.user(p.completed_by)} on {fmt.local_date(p.completed_at, p.tz)}."
    elif state == DONE:
        line += f"\nDone by {fmt.user(sv.by)} on {fmt.local_date(sv.at, p.tz)}"
        line += f": {sv.note}" if sv.note else "."
    elif state == NOT_APPLICABLE:
        line += f"\nNot applicable ({fmt.user(sv.by)}): {sv.note}"
    else:
        line += f"\n{info.description}"
    if key == "monitor":
        line += f"\nDays monitored: {p.days_monitored}"
        if p.open_alerts:
            line += f" · :warning: {p.open_alerts} unacknowledged alert(s)"
    if key == "handoff" and p.handoff_sent_at:
        ack = (f"acknowledged by {fmt.user(p.handoff_acknowledged_by)}"
               if p.handoff_acknowledged_by else "not yet acknowledged by the biller")
        line += f"\nHandoff sent {fmt.local_date(p.handoff_sent_at, p.tz)}, {ack}."
    return line


def _step_button(p: ProjectSnapshot, key: str) -> Optional[dict]:
    if p.locked:
        return None
    state = p.step(key).state
    v = value(p=p.id, s=key)
    if key == "complete":
        return button("Complete project…", A_COMPLETE, v, style="primary")
    if state == "open":
        if key == "handoff" and p.shared_channel_id:
            return button("Send handoff…", A_HANDOFF, v, style="primary")
        return button("Mark done", A_STEP_DONE, v, style="primary")
    return button("Reopen", A_STEP_UNDO, v)


def checklist_blocks(p: ProjectSnapshot, latest_summary_line: Optional[str] = None) -> list[Block]:
    done, total = p.progress()
    header = f"{'🔒 ' if p.locked else ''}Post-live: {title(p)}"
    blocks: list[Block] = [
        {"type": "header", "text": plain(header, 150)},
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Biller*\n{p.biller_id}"),
                mrkdwn(f"*Add-on*\n{p.addon}" + (f" ({p.pay_channel})" if p.pay_channel else "")),
                mrkdwn(f"*Go-live*\n{fmt.day(p.golive)}"),
                mrkdwn(f"*Projection*\n{fmt.count(p.projected_per_day)} payments/day"),
                mrkdwn(f"*Manager*\n{fmt.user(p.manager_id)}"),
                mrkdwn("*Specialist*\n" + (", ".join(fmt.user(u) for u in p.specialist_ids) or "—")),
                mrkdwn(f"*Shared channel*\n{fmt.channel(p.shared_channel_id)}"),
                mrkdwn(f"*Time zone*\n{p.tz}"),
            ],
        },
        divider(),
    ]
    for st in STEPS:
        blocks.append(section(_step_line(p, st.key), _step_button(p, st.key), block_id=f"step_{st.key}"))
        if st.key == "monitor" and latest_summary_line:
            blocks.append(context(latest_summary_line))
        if st.key == "address":
            blocks.extend(_item_blocks(p))
    if p.locked:
        blocks.append(context(f":lock: Completed and archived on {fmt.local_date(p.completed_at, p.tz)}. "
                              "Nothing on this project can change."))
    else:
        blocks.append(context(f"Progress {done}/{total} · project {p.id} · version {p.version} · "
                              "`/addon help` for commands"))
    return blocks


def _item_blocks(p: ProjectSnapshot) -> list[Block]:
    out: list[Block] = []
    shown = p.items[-15:]  # keep the message under Slack's 50 blocks
    if len(p.items) > len(shown):
        out.append(context(f"{len(p.items) - len(shown)} earlier item(s) not shown."))
    for it in shown:
        if it.status == "open":
            line = f":small_orange_diamond: *#{it.number}* {it.text}"
            if it.case_status == "failed":
                line += "\nThe Client Services case for it was refused; remedy it or open a case again."
        elif it.status == "remedied":
            line = f":white_check_mark: ~#{it.number}~ {it.text}\nRemedied: {it.note or '—'}"
        else:
            case = it.case_external_id or "pending delivery"
            link = f"<{it.case_url}|{case}>" if it.case_url else case
            line = f":arrow_right: *#{it.number}* {it.text}\nClient Services case {link}"
        acc = None
        if it.status == "open" and not p.locked:
            acc = {
                "type": "overflow",
                "action_id": f"{A_ITEM_RESOLVE}_menu",
                "options": [
                    {"text": plain("Mark remedied…"), "value": value(p=p.id, n=it.number, a="resolve")},
                    {"text": plain("Open a Client Services case…"),
                     "value": value(p=p.id, n=it.number, a="case")},
                ],
            }
        out.append(section(line, acc, block_id=f"item_{it.number}"))
    if not p.locked and p.step("address").state == "open":
        out.append({
            "type": "actions",
            "block_id": "address_actions",
            "elements": [
                button("Add item…", A_ADD_ITEM, value(p=p.id)),
                button("Not applicable…", A_SKIP, value(p=p.id, s="address")),
            ],
        })
    return out


# ---- lists and home -------------------------------------------------------------------
def list_blocks(rows: Iterable[tuple[Any, tuple[int, int]]], scope: str) -> list[Block]:
    rows = list(rows)
    if not rows:
        who = "you are on" if scope == "mine" else "in the workspace"
        return [section(f"No open post-live projects {who}. Register one with `/addon new`.")]
    lines = [f"*Open post-live projects ({'yours' if scope == 'mine' else 'all'}): {len(rows):,}*"]
    for p, (done, total) in rows[:100]:
        lines.append(f"• <#{p.channel_id}> {p.addon} · {p.biller_id} · live {fmt.day(p.golive)} · {done}/{total}")
    if len(rows) > 100:
        lines.append(f"…and {len(rows) - 100:,} more.")
    text = "\n".join(lines)
    # Section text is limited to 3,000 characters: split into several sections.
    blocks, chunk = [], ""
    for line in text.split("\n"):
        if len(chunk) + len(line) + 1 > 2900:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks[:50]


def home_view(rows: list[tuple[Any, tuple[int, int]]]) -> dict:
    blocks: list[Block] = [{"type": "header", "text": plain("Your post-live projects", 150)}]
    if not rows:
        blocks.append(section("You have no open post-live projects. In a project channel, "
                              "`/addon new` registers one."))
    for p, (done, total) in rows[:45]:
        bar = "▰" * done + "▱" * (total - done)
        blocks.append(section(
            f"*{p.addon}* · {p.biller_id}\n<#{p.channel_id}> · live {fmt.day(p.golive)} · {bar} {done}/{total}"
        ))
    if len(rows) > 45:
        blocks.append(context(f"…and {len(rows) - 45:,} more: `/addon list`."))
    blocks.append(context("`/addon help` in any channel lists the commands."))
    return {"type": "home", "blocks": blocks[:100]}


# ---- modals ------------------------------------------------------------------------------
def _input(block_id: str, label: str, element: dict, optional: bool = False, hint: Optional[str] = None) -> Block:
    b: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
                "optional": optional}
    if hint:
        b["hint"] = plain(hint, 2000)
    return b


def _text_input(action_id: str, initial: Optional[str] = None, multiline: bool = False,
                max_length: Optional[int] = None, placeholder: Optional[str] = None) -> dict:
    e: dict = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        e["initial_value"] = str(initial)
    if max_length:
        e["max_length"] = max_length
    if placeholder:
        e["placeholder"] = plain(placeholder, 150)
    return e


def modal(callback_id: str, title_text: str, blocks: list[Block], meta: dict,
          submit: Optional[str] = "Save") -> dict:
    v = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title_text, 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
        "private_metadata": json.dumps(meta, separators=(",", ":")),
    }
    if submit:
        v["submit"] = plain(submit, 24)
    return v


def register_modal(channel_id: str, prefill: dict, default_tz: str, actor_id: str) -> dict:
    golive = prefill.get("golive")
    golive_el: dict = {"type": "datepicker", "action_id": "golive"}
    if isinstance(golive, date):
        golive_el["initial_date"] = golive.isoformat()
    manager_el: dict = {"type": "users_select", "action_id": "manager"}
    if prefill.get("manager"):
        manager_el["initial_user"] = prefill["manager"]
    spec_el: dict = {"type": "multi_users_select", "action_id": "specialists",
                     "initial_users": list(prefill.get("specialists") or [actor_id])}
    shared_el: dict = {"type": "conversations_select", "action_id": "shared",
                       "filter": {"include": ["public", "private"]}}
    if prefill.get("shared"):
        shared_el["initial_conversation"] = prefill["shared"]
    projected = prefill.get("projected")
    blocks = [
        _input("biller", "Biller id (Biller Portal)", _text_input("biller", prefill.get("biller"), max_length=64)),
        _input("addon", "Add-on", _text_input("addon", prefill.get("addon"), max_length=80,
                                               placeholder="Pay by phone (IVR)")),
        _input("golive", "Go-live date", golive_el),
        _input("projected", "Projected payments per day (sales projection)",
               _text_input("projected", None if projected is None else fmt.count(projected))),
        _input("manager", "Delivery team manager", manager_el),
        _input("specialists", "Implementation specialist(s)", spec_el),
        _input("pay_channel", "Add-on payment channel", _text_input(
            "pay_channel", prefill.get("pay_channel"), placeholder="ivr, text, web, autopay…"), optional=True,
            hint="Leave empty to monitor all channels."),
        _input("shared", "Slack Connect channel with the biller", shared_el, optional=True),
        _input("tz", "Time zone", _text_input("tz", prefill.get("tz") or default_tz)),
    ]
    return modal(V_REGISTER, "Register project", blocks, {"c": channel_id}, submit="Register")


def complete_modal(p: ProjectSnapshot) -> dict:
    blocks = [
        section(f"*{title(p)}*\nCompleting archives the project. *Nothing can be changed after that.*"),
        _input("schedule", "Project schedule", {
            "type": "checkboxes", "action_id": "confirm",
            "options": [{"text": plain("Every item on the project schedule is at 100%", 75),
                         "value": "all_100"}],
        }),
    ]
    return modal(V_COMPLETE, "Complete project", blocks, {"p": p.id}, submit="Complete")


def note_modal(callback_id: str, title_text: str, prompt: str, meta: dict, label: str,
               submit: str = "Save", initial: Optional[str] = None) -> dict:
    blocks = [
        section(prompt),
        _input("note", label, _text_input("note", initial, multiline=True, max_length=2000)),
    ]
    return modal(callback_id, title_text, blocks, meta, submit=submit)


def confirm_monitor_modal(p: ProjectSnapshot, message: str) -> dict:
    return modal(V_CONFIRM_MONITOR, "Mark monitor done?", [section(message)], {"p": p.id}, submit="Mark done")
