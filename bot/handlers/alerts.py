"""Alert buttons, the dismiss modal, reactions on alert messages, and
`/addon summary`. Thin: the rules live in bot.monitoring.alerts and
bot.monitoring.rules; the alert message edits itself through the outbox."""

from __future__ import annotations

from datetime import date

from bot import fmt
from bot.commands import parse_text
from bot.errors import BadInput, Conflict
from bot.handlers.common import actor_of, clicked, guard, input_value, project_id_of, state_values, view_meta
from bot.monitoring.rules import local_now, yesterday
from bot.views.alerts import details_modal, dismiss_modal
from bot.views.blocks import context
from bot.views.ids import (
    A_ALERT_ACK, A_ALERT_DETAILS, A_ALERT_DISMISS, A_ALERT_ITEM, A_ALERT_UNDO, A_SHOW_DAY, V_ALERT_DISMISS,
)
from bot.views.monitoring import computed_now_note, project_title, summary_message
from bot.reply import tell
from bot.workflow import ensure_can_read

REACTIONS = {"eyes": "acknowledge", "white_check_mark": "resolve", "heavy_check_mark": "resolve"}


def _alert_id(body) -> int | None:
    a = clicked(body)[1].get("a")
    return a if type(a) is int else None


def register(app, deps) -> None:
    desk = deps.alerts

    @app.action(A_ALERT_ACK)
    @guard
    def acknowledge(ack, body, context, respond, client):
        ack()
        aid = _alert_id(body)
        if aid is not None:
            desk.act(actor_of(context), aid, "acknowledge", surface="button")

    @app.action(A_ALERT_UNDO)
    @guard
    def undo(ack, body, context, respond, client):
        ack()
        aid = _alert_id(body)
        if aid is not None:
            a = desk.undo(actor_of(context), aid, surface="button")
            tell({"body": body, "respond": respond, "client": client, "context": context},
                 f"Undone: the alert of {fmt.day(a.local_date)} (check: {a.check_id}) is "
                 f"{'open' if a.state == 'open' else a.state} again.")

    @app.action(A_ALERT_DETAILS)
    @guard
    def details(ack, body, context, client):
        ack()
        aid = _alert_id(body)
        if aid is not None:
            p, a = desk.details(actor_of(context), aid)
            client.views_open(trigger_id=body["trigger_id"], view=details_modal(p, a))

    @app.action(A_ALERT_ITEM)
    @guard
    def add_item(ack, body, context, respond, client):
        ack()
        aid = _alert_id(body)
        if aid is None:
            return
        p, number = desk.add_item(actor_of(context), aid, "button")
        tell({"body": body, "respond": respond, "client": client, "context": context},
             f"Added item #{number} to step 2 of {project_title(p)}. Remedy it, or escalate it with "
             f"`/addon case {number}` in {fmt.channel(p.channel_id)}.")

    @app.action(A_ALERT_DISMISS)
    @guard
    def open_dismiss(ack, body, context, client):
        ack()
        aid = _alert_id(body)
        if aid is None:
            return
        p, alert = desk.check(actor_of(context), aid, "dismiss")
        client.views_open(trigger_id=body["trigger_id"], view=dismiss_modal(p, alert))

    @app.view(V_ALERT_DISMISS)
    @guard
    def dismiss(ack, body, view, client, context):
        reason = input_value(state_values(view), "reason", "reason") or ""
        if not isinstance(reason, str) or len(reason.strip()) < 3:
            ack(response_action="errors", errors={"reason": "Say in a few words why this is expected."})
            return
        try:
            reason = parse_text(reason, "The reason", 1000)
        except BadInput as e:
            ack(response_action="errors", errors={"reason": e.message[:150]})
            return
        ack()
        aid = view_meta(body).get("a")
        if type(aid) is not int:
            return  # not a modal of ours: nothing to do
        desk.act(actor_of(context), aid, "dismiss", reason=reason, surface="modal")

    @app.action(A_SHOW_DAY)
    @guard
    def show_day(ack, body, context, respond, client):
        ack()
        raw = clicked(body)[1].get("d")
        try:
            d = date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            d = None
        if d is None:
            raise BadInput("That button names no day I can read; nothing was shown.")
        actor = actor_of(context)
        ensure_can_read(actor)
        p, facts, _ = deps.monitor.summary_for(project_id_of(context), d)
        text, blocks = summary_message(p, facts)
        text, blocks = _with_data_note(deps, text, blocks)
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    @app.event("reaction_added")
    @guard
    def reaction(event, context, client, body):
        action = REACTIONS.get((event.get("reaction") or "").split("::")[0])
        item = event.get("item") or {}
        if action is None or item.get("type") != "message":
            return
        aid = desk.alert_at(item.get("channel"), item.get("ts"))
        if aid is None:
            return  # not an alert message: not ours to answer
        desk.act(actor_of(context), aid, action, surface="reaction")


def summary_command(deps, cmd, actor, body, respond, client, context) -> None:
    """`/addon summary [YYYY-MM-DD]`: the day's summary, ephemeral. Stored when
    it was posted; otherwise computed now, neither posted nor stored."""
    ensure_can_read(actor)
    pid = project_id_of(context)
    snap = deps.service.snapshot(pid)
    now = deps.clock()
    d = cmd.day or yesterday(now, snap.tz)
    if d < snap.golive:
        tense = "goes" if snap.golive >= local_now(now, snap.tz).date() else "went"
        raise Conflict(f"{project_title(snap)} {tense} live on {fmt.day(snap.golive)}; summaries start on "
                       f"go-live day, so there is none for {fmt.day(d)}.")
    if d >= local_now(now, snap.tz).date():
        raise Conflict(f"{fmt.day(d)} is not over yet in {snap.tz}; a summary covers a whole local day. "
                       "`/addon summary` shows yesterday's.")
    p, facts, stored = deps.monitor.summary_for(pid, d)
    text, blocks = summary_message(p, facts)
    if not stored:
        blocks.append(computed_now_note(deps.settings.SUMMARY_TIME, p.tz))
    text, blocks = _with_data_note(deps, text, blocks)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


def _with_data_note(deps, text: str, blocks: list) -> tuple[str, list]:
    """A summary shown on request says it is simulated data when it is, like the posted ones."""
    note = deps.notifier.data_note if deps.notifier is not None else None
    if not note:
        return text, blocks
    return f"{text} {note}", list(blocks)[:49] + [context(note)]
