"""A reminder's buttons (act, snooze a day, snooze a week, stop) and the modal
behind "act". Thin: bot.nudges.desk judges and records; the reminder edits
itself in place through the outbox. Only the person a reminder is for can act
on it; a reminder whose reason went away answers with how things stand."""

from __future__ import annotations

from bot import fmt
from bot.checklist import refresh_checklist
from bot.commands import parse_text
from bot.errors import BadInput, DomainError
from bot.handlers.common import actor_of, guard, input_value, state_values, view_meta
from bot.nudges.desk import Reminder
from bot.nudges.rules import HANDOFF, ITEM, KINDS, QUIET
from bot.reply import tell
from bot.views.ids import (
    A_NUDGE_ACT, A_NUDGE_OPEN, A_NUDGE_SNOOZE_DAY, A_NUDGE_SNOOZE_WEEK, A_NUDGE_STOP, V_NUDGE_ACT,
)
from bot.views.nudges import act_modal
from bot.workflow import ensure_can_change

NOTE_MAX = 2000


def _where(body) -> tuple[str | None, str | None]:
    c = body.get("container") or {}
    return c.get("channel_id"), c.get("message_ts")


def register(app, deps) -> None:
    svc = deps.service

    def desk():
        if deps.nudges is None:
            raise DomainError("Reminders are not running on this instance.")
        return deps.nudges

    def reminder(body, context) -> Reminder:
        return desk().reminder_at(actor_of(context), *_where(body))

    def answered_moot(r: Reminder, kw: dict) -> bool:
        """Its reason went away: the reminder says how things stand, and so does the answer."""
        state = desk().current_state(r)
        if state is None:
            return False
        desk().settle(r, state)
        tell(kw, state)
        return True

    def hold(how: str):
        @guard
        def listener(ack, body, client, context, respond):
            ack()
            r = reminder(body, context)
            kw = {"body": body, "respond": respond, "client": client, "context": context}
            if not answered_moot(r, kw):
                desk().hold(actor_of(context), r, how)
        listener.__name__ = f"nudge_{how}"
        return listener

    app.action(A_NUDGE_SNOOZE_DAY)(hold("day"))
    app.action(A_NUDGE_SNOOZE_WEEK)(hold("week"))
    app.action(A_NUDGE_STOP)(hold("stop"))

    @app.action(A_NUDGE_OPEN)
    @guard
    def open_channel(ack, body, context):
        ack()  # a link: Slack opens the channel; the click is acknowledged, nothing else

    @app.action(A_NUDGE_ACT)
    @guard
    def act(ack, body, client, context, respond):
        ack()
        actor = actor_of(context)
        r = reminder(body, context)
        kw = {"body": body, "respond": respond, "client": client, "context": context}
        if answered_moot(r, kw):
            return
        snap = svc.snapshot(r.project_id)
        title = f"{snap.addon} · {snap.biller_id}"
        if r.kind == QUIET:
            due = desk().due_for(r.project_id, QUIET)
            days = due.age if due else 0
            snap = svc.mark_done(actor, r.project_id, "monitor",
                                 f"Monitoring quiet for {fmt.plural(days, 'day')}: marked done from a reminder.",
                                 "button")
            desk().settle(r, f"Step 1 (Monitor service) of {title} marked done by {fmt.user(actor.user_id)}.")
            refresh_checklist(deps, snap)
            return
        ensure_can_change(snap, actor)
        if r.kind in (HANDOFF, ITEM):
            client.views_open(trigger_id=body["trigger_id"], view=act_modal(
                r.kind, r.project_id, r.channel, r.ts, title, desk().due_for(r.project_id, r.kind)))

    @app.view(V_NUDGE_ACT)
    @guard
    def submit_act(ack, body, client, context):
        meta = view_meta(body)
        vals = state_values(body["view"])
        kind, pid = meta.get("k"), meta.get("p")
        if kind not in KINDS or type(pid) is not int:
            ack()
            return  # not a modal of ours: nothing to do
        note = input_value(vals, "note") or ""
        if not isinstance(note, str) or not note.strip():
            ack(response_action="errors", errors={"note": "Say in a few words what was done."})
            return
        try:
            note = parse_text(note, "The note", NOTE_MAX)
        except BadInput as e:
            ack(response_action="errors", errors={"note": e.message[:150]})
            return
        actor = actor_of(context)
        try:
            if kind == HANDOFF:
                snap = svc.mark_done(actor, pid, "handoff", note, "modal")
                words = f"Step 3 (Transition to Client Services) marked done by {fmt.user(actor.user_id)}."
            else:
                raw = input_value(vals, "item")
                if not (isinstance(raw, str) and raw.isdigit()):
                    ack(response_action="errors", errors={"item": "Pick the item that was remedied."})
                    return
                snap = svc.resolve_item(actor, pid, int(raw), note, "modal")
                words = f"Item #{int(raw)} remedied by {fmt.user(actor.user_id)}."
        except DomainError as e:
            ack(response_action="errors", errors={"note": e.message[:150]})
            return
        ack()
        refresh_checklist(deps, snap)
        try:
            r = desk().reminder_at(actor, meta.get("c"), meta.get("ts"))
        except DomainError:
            return  # the reminder is gone: the change stands
        desk().settle(r, words)
