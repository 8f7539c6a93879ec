"""Buttons and menus on the checklist. Each click edits the checklist in place."""

from __future__ import annotations

import re

from bot import views
from bot.checklist import answer_stale_copy, schedule_text, show_checklist
from bot.completion import uses_schedule
from bot.handlers import cs
from bot.handlers.common import actor_of, clicked, guard, project_id_of
from bot.service import ConfirmationNeeded, ReasonNeeded
from bot.views.nudges import monitor_reason_modal
from bot.workflow import STEP_BY_KEY, ensure_can_change


def _message_ts(body) -> str | None:
    c = body.get("container") or {}
    if c.get("type") == "message" and not c.get("is_ephemeral"):
        return c.get("message_ts")
    return None


def register(app, deps) -> None:
    svc = deps.service

    def _stale(body, context, respond) -> bool:
        """A click on an older copy of the checklist is answered with the current state, not acted on."""
        return answer_stale_copy(deps, project_id_of(context), _message_ts(body), respond)

    @app.action(views.A_STEP_DONE)
    @guard
    def step_done(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        _, v = clicked(body)
        actor, pid, step = actor_of(context), project_id_of(context), v.get("s")
        if step not in STEP_BY_KEY:
            return
        try:
            snap = svc.mark_done(actor, pid, step, None, "button")
        except ReasonNeeded:  # no daily summary yet: the reason is asked for, in a modal
            snap = svc.snapshot(pid)
            client.views_open(trigger_id=body["trigger_id"], view=monitor_reason_modal(
                pid, f"{snap.addon} · {snap.biller_id}", _message_ts(body), snap.open_alerts))
            return
        except ConfirmationNeeded as e:
            client.views_open(trigger_id=body["trigger_id"],
                              view=views.confirm_monitor_modal(svc.snapshot(pid), e.message))
            return
        show_checklist(deps, snap, ts=_message_ts(body))

    @app.action(views.A_MONITOR_CONFIRM)
    @guard
    def monitor_anyway(ack, body, client, context, respond):
        ack()
        _, v = clicked(body)
        snap = svc.mark_done(actor_of(context), project_id_of(context), "monitor", svc.kept_text(v.get("t")), "button",
                             confirmed=True)
        show_checklist(deps, snap)
        respond(text="Step 1 (Monitor service) is done.", replace_original=True)

    @app.action(views.A_STEP_UNDO)
    @guard
    def step_undo(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        _, v = clicked(body)
        step = v.get("s")
        if step not in STEP_BY_KEY:
            return
        snap = svc.undo(actor_of(context), project_id_of(context), step, "button")
        show_checklist(deps, snap, ts=_message_ts(body))

    @app.action(views.A_COMPLETE)
    @guard
    def open_complete(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        snap = svc.check_complete(actor_of(context), project_id_of(context))
        sched = None
        if uses_schedule(deps, snap):
            sched = schedule_text(deps, snap) or "Schedule: not read."
        client.views_open(trigger_id=body["trigger_id"], view=views.complete_modal(snap, sched))

    @app.action(views.A_SKIP)
    @guard
    def open_skip(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        pid = project_id_of(context)
        ensure_can_change(svc.snapshot(pid), actor_of(context))
        client.views_open(trigger_id=body["trigger_id"], view=views.note_modal(
            views.V_SKIP, "Not applicable", "Why is step 2 not applicable to this project?",
            {"p": pid, "ts": _message_ts(body)}, "Reason", submit="Mark N/A"))

    @app.action(views.A_ADD_ITEM)
    @guard
    def open_add_item(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        pid = project_id_of(context)
        ensure_can_change(svc.snapshot(pid), actor_of(context))
        client.views_open(trigger_id=body["trigger_id"], view=views.note_modal(
            views.V_ADD_ITEM, "Add item", "What is left to address after go-live?",
            {"p": pid, "ts": _message_ts(body)}, "Item", submit="Add"))

    @app.action(re.compile(rf"^{views.A_ITEM_RESOLVE}_menu$"))
    @guard
    def item_menu(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        _, v = clicked(body)
        pid, number = project_id_of(context), v.get("n")
        if not isinstance(number, int):
            return
        ensure_can_change(svc.snapshot(pid), actor_of(context))
        if v.get("a") == "case":
            cs.open_case_modal(deps, client=client, trigger_id=body["trigger_id"], project_id=pid,
                               item_number=number)
            return
        client.views_open(trigger_id=body["trigger_id"], view=views.note_modal(
            views.V_RESOLVE, f"Remedy item #{number}", f"How was item #{number} remedied?",
            {"p": pid, "n": number, "ts": _message_ts(body)}, "Note", submit="Remedied"))

    @app.action(views.A_HANDOFF)
    @guard
    def send_handoff(ack, body, client, context, respond):
        ack()
        if _stale(body, context, respond):
            return
        cs.handoff_preview(deps, client=client, trigger_id=body["trigger_id"], actor=actor_of(context),
                           project_id=project_id_of(context))
