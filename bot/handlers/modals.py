"""Modal submissions. Input errors keep the modal open with the reason."""

from __future__ import annotations

from bot.suggest import in_words

from bot import commands as cmds
from bot import views
from bot.errors import BadInput, DomainError
from bot.channels import ensure_internal_channel, ensure_shared_channel
from bot.directory import ensure_members
from bot.checklist import show_checklist
from bot.completion import complete_project
from bot.handlers.common import actor_of, guard, input_value, state_values, view_meta
from bot.views.ids import V_MONITOR_REASON
from bot.reply import tell
from slack_sdk.errors import SlackApiError


NOTE_MAX = 2000  # items, notes and reasons: the columns' length


def register(app, deps) -> None:
    svc = deps.service

    @app.view(views.V_REGISTER)
    @guard
    def submit_register(ack, body, client, context):
        vals = state_values(body["view"])
        meta = view_meta(body)
        errors: dict[str, str] = {}
        fields: dict = {}

        def take(block, parse):
            raw = input_value(vals, block)
            if raw in (None, "", []):
                return None
            try:
                return parse(raw)
            except BadInput as e:
                errors[block] = in_words(e.message)
                return None

        fields["biller"] = take("biller", cmds.parse_biller)
        fields["addon"] = take("addon", cmds.parse_addon)
        fields["golive"] = take("golive", lambda v: cmds.parse_date(v, "The go-live date", cmds.USAGE["new"]))
        fields["projected"] = take("projected", cmds.parse_projected)
        fields["manager"] = input_value(vals, "manager")
        fields["specialists"] = tuple(input_value(vals, "specialists") or ())
        fields["pay_channel"] = take("pay_channel", cmds.parse_pay_channel)
        fields["shared"] = input_value(vals, "shared")
        fields["tz"] = take("tz", cmds.parse_tz)
        fields["schedule_sheet"] = take("schedule", cmds.parse_sheet_id)
        fields["calendar"] = take("calendar", cmds.parse_calendar_key)
        fields["closed_dates"] = take("closed", cmds.parse_closed_key)
        if not fields["pay_channel"] and "pay_channel" not in errors:
            fields["pay_channel"] = cmds.infer_pay_channel(fields.get("addon"))
            if not fields["pay_channel"] and fields.get("addon"):
                errors["pay_channel"] = ("The add-on's name does not say its payment channel: name it "
                                         "(ivr, text, web, autopay, mobile…).")
        for req in ("biller", "addon", "golive", "projected", "manager"):
            if not fields.get(req) and req not in errors:
                errors[req] = "Required."
        channel = meta.get("c")
        if channel is None:  # opened from the App Home: the form names the channel
            channel = input_value(vals, "channel")
            why = _channel_problem(client, channel)
            if why:
                errors["channel"] = why
        if not errors:  # people of this organisation, and a shared channel that is shared
            for block, check in (("manager", lambda: ensure_members(deps.directory, [("manager", fields["manager"])])),
                                 ("specialists", lambda: ensure_members(deps.directory, [
                                     ("specialist", u) for u in fields["specialists"]])),
                                 ("shared", lambda: fields["shared"] and ensure_shared_channel(client, fields["shared"]))):
                try:
                    check()
                except BadInput as e:
                    errors[block] = e.message[:150]
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        actor = actor_of(context)
        context["channel_id"] = channel
        cmd = cmds.NewProject(**fields)
        ensure_internal_channel(client, channel)
        snap = svc.register(actor, body.get("team", {}).get("id") or "", channel, cmd, "modal")
        show_checklist(deps, snap, new_message=True)

    def _channel_problem(client, channel) -> str:
        """Why the picked channel cannot hold a project (empty: it can)."""
        if not isinstance(channel, str) or channel[:1] not in ("C", "G"):
            return "Pick the project's internal channel."
        if svc.project_in_channel(channel) is not None:
            return "That channel already has an open post-live project; pick another."
        try:
            ensure_internal_channel(client, channel)
            info = client.conversations_info(channel=channel)["channel"]  # a rare form: whether I am in it
        except DomainError:
            return ("That channel is shared with another organisation (Slack Connect), where internal project "
                    "details never go: pick an internal one.")
        except SlackApiError:
            return "I cannot see that channel: invite me there first (`/invite @addon-bot`)."
        if not info.get("is_member", True):
            return "I am not in that channel yet: invite me there first (`/invite @addon-bot`), then register."
        return ""

    @app.view(views.V_COMPLETE)
    @guard
    def submit_complete(ack, body, client, context):
        meta = view_meta(body)
        actor = actor_of(context)
        if meta.get("sched"):  # the schedule decides (bot.completion): asked only after the ack
            # The modal closes at once and the answer comes as a message: a views.update racing the
            # ack's own response_action could be overwritten by it (the ack is applied when Slack reads it).
            ack()
            snap = complete_project(deps, actor, meta["p"], "modal")  # a refusal is told by guard, in words
            tell({"body": body, "client": client, "context": context},
                 f"{snap.addon} for {snap.biller_id} is complete: the schedule's status is set and the project "
                 "is archived. The closing report is in the project channel.")
            return
        confirmed = "all_100" in (input_value(state_values(body["view"]), "schedule", "confirm") or [])
        if not confirmed:
            ack(response_action="errors",
                errors={"schedule": "Confirm every item on the project schedule is at 100% to complete."})
            return
        try:
            svc.check_complete(actor, meta["p"])  # the rules only (the database): the refusal stays in the modal
        except DomainError as e:
            ack(response_action="errors", errors={"schedule": e.message[:150]})
            return
        ack()
        complete_project(deps, actor, meta["p"], "modal", confirmed=True)  # a refusal now is told by guard

    @app.view(views.V_CONFIRM_MONITOR)
    @guard
    def submit_confirm_monitor(ack, body, client, context):
        ack()
        snap = svc.mark_done(actor_of(context), view_meta(body)["p"], "monitor", None, "modal", confirmed=True)
        show_checklist(deps, snap)

    def submit_note(ack, body, empty: str, change) -> None:
        """The note modals' one shape: the note is required; the change is stored
        before the modal closes, and a refusal stays in the modal with the reason."""
        note = input_value(state_values(body["view"]), "note") or ""
        if not isinstance(note, str) or not note:
            ack(response_action="errors", errors={"note": empty})
            return
        try:
            note = cmds.parse_text(note, "The text", NOTE_MAX)
        except BadInput as e:
            ack(response_action="errors", errors={"note": e.message[:150]})
            return
        meta = view_meta(body)
        try:
            snap = change(meta, note)
        except DomainError as e:
            ack(response_action="errors", errors={"note": e.message[:150]})
            return
        ack()
        show_checklist(deps, snap, ts=meta.get("ts"))

    @app.view(V_MONITOR_REASON)
    @guard
    def submit_monitor_reason(ack, body, client, context):
        submit_note(ack, body, "Give the reason step 1 is done with no daily summary yet.",
                    lambda meta, reason: svc.mark_done(actor_of(context), meta["p"], "monitor", reason, "modal",
                                                       confirmed=True))

    @app.view(views.V_SKIP)
    @guard
    def submit_skip(ack, body, client, context):
        submit_note(ack, body, "Give the reason step 2 is not applicable.",
                    lambda meta, reason: svc.skip_address(actor_of(context), meta["p"], reason, "modal"))

    @app.view(views.V_ADD_ITEM)
    @guard
    def submit_add_item(ack, body, client, context):
        submit_note(ack, body, "Say what the item is.",
                    lambda meta, text: svc.add_item(actor_of(context), meta["p"], text, "modal")[0])

    @app.view(views.V_RESOLVE)
    @guard
    def submit_resolve(ack, body, client, context):
        submit_note(ack, body, "Say how the item was remedied.",
                    lambda meta, note: svc.resolve_item(actor_of(context), meta["p"], int(meta["n"]), note, "modal"))
