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
    """Post the checklist in the project channel, or edit it in place."""
    client = deps.client
    line = deps.monitor.summary_line(snap.id) if deps.monitor is not None else None
    blocks = views.checklist_blocks(snap, line, schedule_text(deps, snap))
    text = views.checklist_text(snap)
    target = ts or (None if new_message else deps.service.checklist_ts(snap.id))
    ensure_internal_channel(client, snap.channel_id)
    if target:
        try:
            client.chat_update(channel=snap.channel_id, ts=target, text=text, blocks=blocks)
            return target
        except SlackApiError as e:
            if e.response.get("error") not in ("message_not_found", "cant_update_message"):
                raise
    r = client.chat_postMessage(channel=snap.channel_id, text=text, blocks=blocks)
    deps.service.remember_checklist(snap.id, r["ts"])
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


def refresh_checklist(deps: Deps, snap_or_id) -> None:
    """Redraw the checklist after a change that is already stored; a failure is
    logged, never raised: the next change redraws it."""
    pid = snap_or_id if isinstance(snap_or_id, int) else snap_or_id.id
    try:
        snap = deps.service.snapshot(pid) if isinstance(snap_or_id, int) else snap_or_id
        show_checklist(deps, snap)
    except Exception as e:  # noqa: BLE001 - the row is right; the next change redraws the checklist
        log.warning("checklist of project %s not refreshed: %s", pid, e)
