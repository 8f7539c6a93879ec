"""Block Kit of the workflow: help, the checklist, the project lists, the App
Home and the registration, completion and note modals. Plain data in, blocks
out; no database, no Slack calls."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from typing import Any, Iterable, Optional

from bot import fmt
from bot.commands import HELP_LINES, USAGE
from bot.workflow import DONE, NOT_APPLICABLE, STEPS, ItemView, ProjectSnapshot
from bot.views.timezones import tz_select
from bot.views.case_state import delivery_state
from bot.views.blocks import (
    Block, button, context, divider, text_size, input_block, modal, mrkdwn, plain, section, text_element, value,
)
from bot.views.ids import (
    A_ADD_ITEM, A_COMPLETE, A_HANDOFF, A_ITEM_RESOLVE, A_MONITOR_CONFIRM, A_SKIP,
    A_STEP_DONE, A_STEP_UNDO, V_COMPLETE, V_CONFIRM_MONITOR, V_REGISTER,
)


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


def checklist_hash(text: str, blocks: list[Block]) -> str:
    """What a checklist message shows, as a hash."""
    raw = json.dumps({"text": text, "blocks": blocks}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def checklist_steady_hash(p: ProjectSnapshot, latest_summary_line: Optional[str],
                          schedule: Optional[str] = None) -> str:
    """What the checklist shows apart from what moves every day (the days monitored, the latest
    summary's figures, whose own line carries its date), as a hash. It is stored with the live
    checklist, which is edited (chat.update, Tier 3: about 50 a minute) only when this changes: so
    an ordinary day of a quiet project costs no Tier-3 call, and a thousand projects' daily run is
    paced by its posts alone. Whatever else changes (a step, an item, an alert, a case, the
    first summary) redraws it whole, with the day's figures."""
    steady = replace(p, days_monitored=min(p.days_monitored, 1))
    blocks = checklist_blocks(steady, "latest summary" if latest_summary_line else None, schedule)
    return checklist_hash(checklist_text(steady), blocks)


def checklist_text(p: ProjectSnapshot) -> str:
    done, total = p.progress()
    state = "complete (archived)" if p.locked else f"{done}/{total} steps"
    return f"Post-live checklist for {title(p)}: {state}."


def schedule_line(progress, error: Optional[str] = None, sheet_id: Optional[int] = None) -> Optional[str]:
    """Step 4's view of the project schedule: "46 of 48 items at 100%; 2 to go: …"."""
    if progress is None:
        if error:
            return f":warning: Schedule: {error}"
        return None
    name = progress.name
    sheet = fmt.link(progress.permalink, name) if progress.permalink else name
    line = f"Schedule {sheet}: {progress.line()}"
    if progress.simulated:
        line += " · _simulated schedule_"
    return line


def _step_line(p: ProjectSnapshot, key: str, clip: int = 2000) -> str:
    info = next(s for s in STEPS if s.key == key)
    sv = p.step(key)
    state = sv.state if not (key == "complete" and p.locked) else DONE
    req = "" if info.required else " _(if applicable)_"
    line = f"{_ICON[state]} *{info.number}. {info.title}*{req}"
    if key == "complete" and p.locked:
        line += f"\nCompleted by {fmt.user(p.completed_by)} on {fmt.local_date(p.completed_at, p.tz)}."
    elif state == DONE:
        line += f"\nDone by {fmt.user(sv.by)} on {fmt.local_date(sv.at, p.tz)}"
        line += f": {fmt.clip(sv.note, clip)}" if sv.note else "."
    elif state == NOT_APPLICABLE:
        line += f"\nNot applicable ({fmt.user(sv.by)}): {fmt.clip(sv.note or '', clip)}"
    else:
        line += f"\n{info.description}"
    if key == "monitor":
        line += f"\nDays monitored: {p.days_monitored}"
        if p.open_alerts:
            line += f" · :warning: {fmt.plural(p.open_alerts, 'unacknowledged alert')}"
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


def checklist_pointer(p: ProjectSnapshot, link: Optional[str]) -> tuple[str, list[Block]]:
    """What an older copy of the checklist becomes when a newer one is posted: one line, no buttons."""
    where = fmt.link(link, "the current checklist") if link else "the newest checklist message in this channel"
    text = f"This copy of the checklist for {title(p)} has moved: see the current copy."
    return text, [{"type": "context", "elements": [mrkdwn(
        f":arrow_down: This copy of the checklist for {title(p)} is no longer kept up to date: see {where}.")]}]


def stale_note() -> Block:
    return {"type": "context", "elements": [mrkdwn(
        ":information_source: That copy of the checklist was out of date, so nothing was changed. "
        "This is where the project stands now (only you see this):")]}


# Slack refuses a message whose blocks carry more than about 12,000 characters
# of text (msg_blocks_too_long, https://api.slack.com/methods/chat.update#errors):
# long notes and items are folded, shorter each round, until the checklist fits
# with its buttons. The full text stays in the record (and in the item's modals).
CHECKLIST_TEXT_BUDGET = 11000
_FOLDS = (2000, 700, 350, 180, 90)


def checklist_blocks(p: ProjectSnapshot, latest_summary_line: Optional[str] = None,
                     schedule: Optional[str] = None) -> list[Block]:
    for clip in _FOLDS:
        blocks = _checklist_blocks(p, latest_summary_line, schedule, clip)
        if text_size(blocks) <= CHECKLIST_TEXT_BUDGET:
            break
    return blocks


def _checklist_blocks(p: ProjectSnapshot, latest_summary_line: Optional[str], schedule: Optional[str],
                      clip: int) -> list[Block]:
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
        blocks.append(section(_step_line(p, st.key, clip), _step_button(p, st.key), block_id=f"step_{st.key}"))
        if st.key == "monitor" and latest_summary_line:
            blocks.append(context(latest_summary_line))
        if st.key == "complete" and schedule and not p.locked:
            blocks.append(context(schedule[:3000]))
        if st.key == "address":
            blocks.extend(_item_blocks(p, clip))
    if p.locked:
        blocks.append(context(f":lock: Completed and archived on {fmt.local_date(p.completed_at, p.tz)}. "
                              "Nothing on this project can change."))
    else:
        blocks.append(context(f"Progress {done}/{total} · project {p.id} · version {p.version} · "
                              "`/addon help` for commands"))
    return blocks


def _item_blocks(p: ProjectSnapshot, clip: int = 2000) -> list[Block]:
    out: list[Block] = []
    shown = p.items[-15:]  # keep the message under Slack's 50 blocks
    if len(p.items) > len(shown):
        out.append(context(f"{len(p.items) - len(shown)} earlier item(s) not shown."))
    for it in shown:
        text = fmt.clip(it.text, clip)
        if it.status == "open":
            line = f":small_orange_diamond: *#{it.number}* {text}"
            if it.case_status == "failed":
                line += f"\n{_case_words(it, p.tz)}. Remedy the item, or open a case again."
        elif it.status == "remedied":
            line = f":white_check_mark: ~#{it.number}~ {text}\nRemedied: {fmt.clip(it.note or '—', clip)}"
        else:
            line = f":arrow_right: *#{it.number}* {text}\n{_case_words(it, p.tz)}"
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
        lines.append(f"• {fmt.channel(p.channel_id)} {p.addon} · {p.biller_id} · live {fmt.day(p.golive)} · {done}/{total}")
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


# ---- modals ------------------------------------------------------------------------------
def register_modal(channel_id: Optional[str], prefill: dict, default_tz: str, actor_id: str) -> dict:
    """The registration form; opened outside a channel (the App Home, `channel_id` None) it first asks
    for the project's internal channel."""
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
        input_block("biller", "Biller id (Biller Portal)", text_element("biller", prefill.get("biller"), max_length=64)),
        input_block("addon", "Add-on", text_element("addon", prefill.get("addon"), max_length=80,
                                               placeholder="Pay by phone (IVR)")),
        input_block("golive", "Go-live date", golive_el),
        input_block("projected", "Projected payments per day (sales projection)",
               text_element("projected", None if projected is None else fmt.count(projected))),
        input_block("manager", "Delivery team manager", manager_el),
        input_block("specialists", "Implementation specialist(s)", spec_el),
        input_block("pay_channel", "Add-on payment channel", text_element(
            "pay_channel", prefill.get("pay_channel"), placeholder="ivr, text, web, autopay…"), optional=True,
            hint="The channel whose payments are the add-on's. Empty: taken from the add-on's name "
                 "when it says it (text, phone, AutoPay, portal, mobile)."),
        input_block("shared", "Slack Connect channel with the biller", shared_el, optional=True),
        input_block("tz", "Time zone", tz_select("tz", prefill.get("tz") or default_tz),
                    hint="The project's time zone: daily summaries cover its local days."),
        input_block("schedule", "Project schedule sheet id", text_element(
            "schedule", None if prefill.get("schedule_sheet") is None else str(prefill["schedule_sheet"]),
            max_length=19), optional=True),
        input_block("calendar", "Public-holiday calendar", text_element(
            "calendar", prefill.get("calendar"), max_length=16, placeholder="US, US-MA, CA-ON"), optional=True,
            hint="Holidays are not outages. Empty: the bot's default calendar."),
        input_block("closed", "Other closed dates", text_element(
            "closed", prefill.get("closed_dates"), max_length=200, placeholder="12-24, 12-31, 2026-11-27"),
            optional=True, hint="Dates the biller is closed besides public holidays: MM-DD every year, "
                                "or YYYY-MM-DD once."),
    ]
    if channel_id is None:
        picker = {"type": "conversations_select", "action_id": "channel",
                  "filter": {"include": ["public", "private"], "exclude_external_shared_channels": True,
                             "exclude_bot_users": True}}
        blocks.insert(0, input_block("channel", "Project channel (internal, with me in it)", picker,
                                     hint="The internal channel where the checklist and the daily summaries go."))
        return modal(V_REGISTER, "Register project", blocks, {}, submit="Register")
    return modal(V_REGISTER, "Register project", blocks, {"c": channel_id}, submit="Register")


def complete_modal(p: ProjectSnapshot, schedule: Optional[str] = None) -> dict:
    """With a schedule source (`schedule` is its progress line) the sheet decides,
    not a tick: the modal shows it and Complete checks it again."""
    if schedule is not None:
        blocks = [
            section(f"*{title(p)}*\nCompleting checks the project schedule, sets its status to complete "
                    "(which archives it there) and locks this project. *Nothing can be changed after that.*"),
            context(schedule[:3000]),
        ]
        return modal(V_COMPLETE, "Complete project", blocks, {"p": p.id, "sched": 1}, submit="Complete")
    blocks = [
        section(f"*{title(p)}*\nCompleting archives the project. *Nothing can be changed after that.*"),
        input_block("schedule", "Project schedule", {
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
        input_block("note", label, text_element("note", initial, multiline=True, max_length=2000)),
    ]
    return modal(callback_id, title_text, blocks, meta, submit=submit)


def confirm_monitor_modal(p: ProjectSnapshot, message: str) -> dict:
    return modal(V_CONFIRM_MONITOR, "Mark monitor done?", [section(message)], {"p": p.id}, submit="Mark done")


def monitor_confirm_blocks(message: str, project_id: int, step: str, note_id: Optional[int]) -> list[Block]:
    """`/addon done monitor` with open alerts: the question, and the button that confirms.
    The note itself is kept (bot.service.keep_text); the button carries its id only."""
    return [section(message), {"type": "actions", "elements": [
        button("Mark done anyway", A_MONITOR_CONFIRM, value(p=project_id, s=step, t=note_id), style="danger"),
    ]}]


def _case_words(it: ItemView, tz: str) -> str:
    """The item's case, its id and its delivery: `Client Services case #3: delivered CS-1001`."""
    return f"Client Services case{f' #{it.case_id}' if it.case_id else ''}: " + delivery_state(status=it.case_status, external_id=it.case_external_id, url=it.case_url,
                          attempts=it.case_attempts, next_at=it.case_next_at, error=it.case_error, tz=tz)


def refusal_modal(text: str) -> dict:
    """What a modal submission from someone who may not act becomes: the reason, and Close."""
    return {"type": "modal", "title": plain("Not available", 24), "close": plain("Close", 24),
            "blocks": [section(text)]}
