"""Keeping a project's checklist message current: post it, or edit it in place."""

from __future__ import annotations

import logging
from typing import Optional

from slack_sdk.errors import SlackApiError

from bot import views
from bot.channels import ensure_internal_channel
from bot.deps import Deps
from bot.workflow import ProjectSnapshot

log = logging.getLogger("addon_bot.checklist")


def show_checklist(deps: Deps, snap: ProjectSnapshot, *, new_message: bool = False,
                   ts: Optional[str] = None) -> Optional[str]:
    """Post the checklist in the project channel, or edit it in place: only when what it
    would show differs from what the live checklist shows, apart from the day's figures
    (views.checklist_steady_hash; chat.update is Tier 3)."""
    client = deps.client
    line = deps.monitor.summary_line(snap.id) if deps.monitor is not None else None
    sched = schedule_text(deps, snap)
    blocks = views.checklist_blocks(snap, line, sched)
    text = views.checklist_text(snap)
    shown = views.checklist_steady_hash(snap, line, sched)
    current, current_shows = deps.service.checklist_shown(snap.id)
    target = ts or (None if new_message else current)
    ensure_internal_channel(client, snap.channel_id)
    if target:
        if target == current and current_shows == shown:
            return target  # it already shows exactly this
        try:
            client.chat_update(channel=snap.channel_id, ts=target, text=text, blocks=blocks)
            if target == current:
                deps.service.remember_checklist(snap.id, target, shown)
            return target
        except SlackApiError as e:
            if e.response.get("error") not in ("message_not_found", "cant_update_message"):
                raise
    r = client.chat_postMessage(channel=snap.channel_id, text=text, blocks=blocks)
    deps.service.remember_checklist(snap.id, r["ts"], shown)
    if current and current != r["ts"]:
        retire_copy(deps, snap, current, r["ts"])
    return r["ts"]


def schedule_text(deps: Deps, snap: ProjectSnapshot) -> Optional[str]:
    """Step 4's schedule line, read when the checklist is drawn (cached briefly)."""
    if deps.schedule is None or snap.locked:
        return None
    if snap.schedule_sheet_id is None:
        return ("Schedule: no sheet named, so completing asks you to confirm it is at 100% "
                "(`/addon edit schedule=SHEET_ID` names it).")
    progress, error = deps.schedule.progress_or_error(snap.schedule_sheet_id)
    return views.schedule_line(progress, error)
def retire_copy(deps: Deps, snap: ProjectSnapshot, old_ts: str, current_ts: Optional[str]) -> None:
    """One live checklist per project: an older copy becomes a one-line pointer with no buttons.
    A failure is logged: a click on the old copy is still answered with the current state."""
    client = deps.client
    link = None
    try:
        if current_ts:
            link = client.chat_getPermalink(channel=snap.channel_id, message_ts=current_ts).get("permalink")
    except SlackApiError as e:
        log.info("no permalink for the checklist of project %s: %s", snap.id, e.response.get("error"))
    text, blocks = views.checklist_pointer(snap, link)
    try:
        client.chat_update(channel=snap.channel_id, ts=old_ts, text=text, blocks=blocks)
    except SlackApiError as e:
        log.warning("older checklist copy of project %s not retired: %s", snap.id, e.response.get("error"))


def answer_stale_copy(deps: Deps, project_id: int, ts: Optional[str], respond) -> bool:
    """A click on a copy of the checklist that is not the current one: do nothing it asked,
    answer with the current state (to the clicker only), and retire that copy. True if stale."""
    current = deps.service.checklist_ts(project_id)
    if not ts or not current or ts == current:
        return False
    snap = deps.service.snapshot(project_id)
    line = deps.monitor.summary_line(snap.id) if deps.monitor is not None else None
    respond(text="That copy of the checklist was out of date, so nothing was changed. This is where the "
                 f"project stands now. {views.checklist_text(snap)}",
            blocks=[views.stale_note()] + views.checklist_blocks(snap, line, schedule_text(deps, snap)),
            response_type="ephemeral", replace_original=False)
    retire_copy(deps, snap, ts, current)
    return True


def refresh_checklist(deps: Deps, snap_or_id) -> None:
    """Redraw the checklist after a change that is already stored; a failure is
    logged, never raised: the next change redraws it."""
    pid = snap_or_id if isinstance(snap_or_id, int) else snap_or_id.id
    try:
        snap = deps.service.snapshot(pid) if isinstance(snap_or_id, int) else snap_or_id
        show_checklist(deps, snap)
    except Exception as e:  # noqa: BLE001 - the row is right; the next change redraws the checklist
        log.warning("checklist of project %s not refreshed: %s", pid, e)
