"""Client Services in Slack: `/addon case`, `/addon handoff`, their modals,
the shared-channel picker and the biller's "Got it". Thin: parse, call the
desks (bot.cs.cases, bot.cs.handoff), answer."""

from __future__ import annotations

import logging
from typing import Optional

from slack_sdk.errors import SlackApiError

from bot import fmt
from bot.checklist import refresh_checklist, show_checklist
from bot.cs import handoff as hd
from bot.cs import rules
from bot.cs.cases import RETRY, SENT, Outcome
from bot.errors import DomainError
from bot.notify import SENT as SENT_NOW
from bot.handlers.common import (
    actor_of,
    audit_surface,
    clicked,
    guard,
    input_value,
    project_id_of,
    state_values,
    view_meta,
)
from bot.reply import ephemeral_or_dm, tell
from bot.views import cs as csv
from bot.workflow import Actor, ensure_can_change

log = logging.getLogger("addon_bot.handlers.cs")


# ---- what the command table and the checklist's buttons call ----------------------------
def open_case_command(deps, cmd, actor, body, respond, client, context) -> None:
    """`/addon case ITEM#` or `/addon case TEXT`: the case modal, prefilled."""
    open_case_modal(deps, client=client, trigger_id=body["trigger_id"], project_id=project_id_of(context),
                    item_number=cmd.item_number, actor=actor, text=cmd.text)


def open_case_modal(deps, *, client, trigger_id: str, project_id: int, item_number: Optional[int],
                    actor: Optional[Actor] = None, text: Optional[str] = None) -> None:
    desk = deps.cases
    if actor is not None:
        snap, item = desk.check(actor, project_id, item_number)
    else:  # the item menu judged the actor already; judge the item here
        desk.ensure_configured()
        snap = deps.service.snapshot(project_id)
        item = rules.ensure_item_escalatable(snap, item_number)
    client.views_open(trigger_id=trigger_id, view=csv.case_modal(snap, item, text, desk.destination()))


def handoff_command(deps, cmd, actor, body, respond, client, context) -> None:
    pid = project_id_of(context)
    try:
        view = deps.handoffs.preview(actor, pid)
    except rules.NoSharedChannel as e:
        respond(text=e.message, blocks=csv.no_shared_channel_blocks(pid, e.message),
                response_type="ephemeral", replace_original=False)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handoff_preview(deps, *, client, trigger_id: str, actor: Actor, project_id: int) -> None:
    """The checklist's "Send handoff…" button."""
    try:
        view = deps.handoffs.preview(actor, project_id)
    except rules.NoSharedChannel as e:
        snap = deps.service.snapshot(project_id)
        ephemeral_or_dm(client, snap.channel_id, actor.user_id, e.message, internal=False, fallback=False,
                        blocks=csv.no_shared_channel_blocks(project_id, e.message))
        return
    client.views_open(trigger_id=trigger_id, view=view)


def _checklist_permalink(deps, client, snap) -> Optional[str]:
    """A link to the project's checklist for Client Services (posted first if it is missing)."""
    try:
        ts = deps.service.checklist_ts(snap.id) or show_checklist(deps, snap, new_message=True)
        return client.chat_getPermalink(channel=snap.channel_id, message_ts=ts)["permalink"]
    except (DomainError, SlackApiError) as e:
        log.warning("no checklist permalink for project %s: %s", snap.id, e)
        return None


# ---- listeners ------------------------------------------------------------------------------
def register(app, deps) -> None:
    @app.view(csv.V_CASE)
    @guard
    def submit_case(ack, body, client, context):
        vals = state_values(body["view"])
        subject, description = input_value(vals, "subject"), input_value(vals, "description")
        errors = rules.case_field_errors(subject, description)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        meta = view_meta(body)
        pid, number = meta.get("p"), meta.get("n")
        if not isinstance(pid, int) or not (number is None or isinstance(number, int)):
            ack()  # not a modal of ours: nothing to do
            return
        actor = actor_of(context)
        try:
            snap, _ = deps.cases.check(actor, pid, number)
        except DomainError as e:
            ack(response_action="errors", errors={"subject": e.message[:150]})
            return
        ack()
        context["channel_id"] = snap.channel_id
        permalink = _checklist_permalink(deps, client, snap)
        case_id, number = deps.cases.open(actor, pid, number, subject, description, permalink,
                                           audit_surface(body))
        refresh_checklist(deps, deps.service.snapshot(pid))
        try:
            outcome = deps.cases.deliver(case_id, surface="modal")
        except Exception:  # noqa: BLE001 - the case is stored: the tick retries it after its lease
            log.exception("first attempt at case %s failed unexpectedly", case_id)
            outcome = Outcome(RETRY, reason="an unexpected error on our side (logged)")
        if outcome is None or outcome.state == RETRY:
            reason = outcome.reason if outcome else "another attempt is under way"
            tell({"body": body, "client": client, "context": context},
                 csv.case_queued_text(number, reason, maybe_sent=bool(outcome and outcome.maybe_sent)))
        elif outcome.state == SENT and not deps.service.snapshot(pid).open_items:
            tell({"body": body, "client": client, "context": context},
                 "No items are open on step 2 now: mark it done with `/addon done address NOTE`.")

    @app.action(csv.A_SET_SHARED)
    @guard
    def open_shared_picker(ack, body, client, context):
        ack()
        pid = clicked(body)[1].get("p")
        if not isinstance(pid, int):
            return
        snap = deps.service.snapshot(pid)
        ensure_can_change(snap, actor_of(context))
        client.views_open(trigger_id=body["trigger_id"], view=csv.shared_channel_modal(snap))

    @app.view(csv.V_SHARED)
    @guard
    def submit_shared(ack, body, client, context):
        pid = view_meta(body).get("p")
        if not isinstance(pid, int):
            ack()
            return
        channel = input_value(state_values(body["view"]), "shared")
        actor = actor_of(context)
        try:
            problem = deps.handoffs.shared_channel_problem(actor, pid, channel)
            if problem is None:
                snap = deps.handoffs.set_shared_channel(actor, pid, channel, "modal")
                view = deps.handoffs.preview(actor, pid)
        except DomainError as e:
            problem = e.message[:150]
        if problem:
            ack(response_action="errors", errors={"shared": problem})
            return
        ack(response_action="update", view=view)
        refresh_checklist(deps, snap)

    @app.view(csv.V_HANDOFF)
    @guard
    def submit_handoff(ack, body, client, context):
        meta = view_meta(body)
        pid = meta.get("p")
        if not isinstance(pid, int):
            ack()
            return
        fake = deps.handoffs.placeholders(pid)
        if fake and "send_anyway" not in (input_value(state_values(body["view"]), "placeholders") or []):
            ack(response_action="errors", errors={"placeholders": (
                f"The handoff carries placeholder contacts ({', '.join(fake)}). Tick the box to send them "
                "anyway, or set CS_HANDOFF_FILE with the real Client Services details.")})
            return
        ack()
        context["channel_id"] = deps.service.snapshot(pid).channel_id
        sent = deps.handoffs.send(actor_of(context), pid, meta.get("c"), audit_surface(body))
        refresh_checklist(deps, sent.snap)
        a = sent.attempt
        tell({"body": body, "client": client, "context": context},
             csv.handoff_sent_text(sent.channel) if a.state == SENT_NOW else
             csv.handoff_unconfirmed_text(sent.channel, a.error, a.maybe_sent))

    @app.action(csv.A_HANDOFF_ACK)
    @guard
    def got_it(ack, body, client, context, respond):
        ack()
        _, v = clicked(body)
        pid, hid = v.get("p"), v.get("h")
        if not (isinstance(pid, int) and isinstance(hid, int)):
            return
        actor = actor_of(context)
        res = deps.handoffs.acknowledge(actor, pid, hid)
        snap = deps.service.snapshot(pid)
        team = deps.handoffs.avenues(snap.biller_id).team

        def answer(text: str) -> None:
            respond(text=text, response_type="ephemeral", replace_original=False)

        if res.result == hd.NOT_BILLER:
            answer("This button is for the biller to confirm they have the Client Services details; "
                   "nothing was recorded.")
            return
        if res.result == hd.LOCKED:
            answer(f"Thank you! {team} is ready to help whenever you need them.")
            return
        if res.result == hd.ALREADY:
            who = "You" if res.by == actor.user_id else fmt.user(res.by)
            answer(f"Thank you! {who} already confirmed on {fmt.local_date(res.at, snap.tz)}.")
            return
        blocks = (body.get("message") or {}).get("blocks")
        if res.message_ts and blocks:
            client.chat_update(channel=res.channel_id, ts=res.message_ts,
                               text=(body.get("message") or {}).get("text") or "Client Services handoff",
                               blocks=csv.handoff_acknowledged(blocks, actor.user_id, res.at, snap.tz))
        answer(f"Thank you! {team} is ready to help whenever you need them.")
        refresh_checklist(deps, snap)
