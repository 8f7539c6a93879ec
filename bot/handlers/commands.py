"""`/addon`: parse, call the service, answer. Thin on purpose.

COMMANDS, at the end, is the one table of every subcommand's handler (the
parser, bot.commands, turns the text into the command object it is keyed by).
"""

from __future__ import annotations

from bot import fmt

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import commands as cmds
from bot import views
from bot.channels import ensure_internal_channel, ensure_shared_channel
from bot.checklist import show_checklist
from bot.completion import complete_project, data_simulated, uses_schedule
from bot.directory import ensure_members
from bot.errors import BadInput
from bot.handlers import alerts, cs
from bot.handlers.common import actor_of, audit_surface, guard, project_id_of
from bot.service import ConfirmationNeeded
from bot.views.report import report_message
from bot.workflow import STEP_BY_KEY, ensure_can_read, ensure_can_register


def register(app, deps) -> None:
    @app.command("/addon")
    @guard
    def addon(ack, body, respond, client, context):
        try:
            cmd = cmds.parse(body.get("text", ""))
        except BadInput as e:
            ack(text=e.text())  # answered inside the acknowledgement: nothing else to do
            return
        if isinstance(cmd, cmds.Help):
            ack(text=views.help_text(), blocks=views.help_blocks())
            return
        ack()
        actor = actor_of(context)
        ensure_can_read(actor)  # users from another organisation use no command at all
        if context.get("project_id") is not None:
            # A project channel can become shared after registration: refuse before changing anything.
            ensure_internal_channel(client, body["channel_id"])
        COMMANDS[type(cmd)](deps, cmd, actor, body, respond, client, context)


def _ephemeral(respond, text: str, blocks=None) -> None:
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


def _new(deps, cmd: cmds.NewProject, actor, body, respond, client, context):
    ensure_can_register(actor)
    channel = body["channel_id"]
    ensure_internal_channel(client, channel)
    check_people_and_shared(deps, client, cmd)
    snap = deps.service.register(actor, body.get("team_id") or "", channel, cmd, audit_surface(body))
    show_checklist(deps, snap, new_message=True)
    _ephemeral(respond, f"Registered project {snap.id}: {snap.addon} for {snap.biller_id}, "
                        f"live {snap.golive.isoformat()}, counting its `{snap.pay_channel}` payments. "
                        f"{_monitoring_starts(deps, snap)}The checklist is in this channel.")


def _monitoring_starts(deps, snap) -> str:
    """A go-live in the future is accepted: say when the first daily summary comes."""
    today = deps.clock().astimezone(ZoneInfo(snap.tz)).date()
    if snap.golive <= today:
        return ""
    first = snap.golive + timedelta(days=1)
    return (f"Go-live is in the future: monitoring starts on {snap.golive.isoformat()}, and the first daily "
            f"summary (of {snap.golive.isoformat()}) is posted on {first.isoformat()} at "
            f"{deps.settings.SUMMARY_TIME} ({snap.tz}). ")


def _new_form(deps, cmd: cmds.NewProjectForm, actor, body, respond, client, context):
    ensure_can_register(actor)
    ensure_internal_channel(client, body["channel_id"])
    client.views_open(
        trigger_id=body["trigger_id"],
        view=views.register_modal(body["channel_id"], cmd.prefill, deps.settings.DEFAULT_TIMEZONE,
                                  actor.user_id),
    )


def _status(deps, cmd, actor, body, respond, client, context):
    ensure_can_read(actor)
    snap = deps.service.snapshot(project_id_of(context))
    show_checklist(deps, snap, new_message=True)


def _list(deps, cmd: cmds.ListProjects, actor, body, respond, client, context):
    ensure_can_read(actor)
    rows = deps.service.list_projects(actor.user_id if cmd.scope == "mine" else None)
    blocks = views.list_blocks(rows, cmd.scope)
    _ephemeral(respond, f"{len(rows):,} open post-live project(s).", blocks)


def _done(deps, cmd: cmds.Done, actor, body, respond, client, context):
    pid = project_id_of(context)
    if cmd.step == "complete":
        return _complete(deps, cmd, actor, body, respond, client, context)
    try:
        snap = deps.service.mark_done(actor, pid, cmd.step, cmd.note, audit_surface(body))
    except ConfirmationNeeded as e:
        note_id = deps.service.keep_text(cmd.note) if cmd.note else None  # never typed text in a button
        _ephemeral(respond, e.message, views.monitor_confirm_blocks(e.message, pid, cmd.step, note_id))
        return
    show_checklist(deps, snap)
    info = STEP_BY_KEY[cmd.step]
    _ephemeral(respond, f"Step {info.number} ({info.title}) is done.")


def _undo(deps, cmd: cmds.Undo, actor, body, respond, client, context):
    snap = deps.service.undo(actor, project_id_of(context), cmd.step, audit_surface(body))
    show_checklist(deps, snap)
    info = STEP_BY_KEY[cmd.step]
    _ephemeral(respond, f"Step {info.number} ({info.title}) is open again.")


def _skip(deps, cmd: cmds.Skip, actor, body, respond, client, context):
    snap = deps.service.skip_address(actor, project_id_of(context), cmd.reason, audit_surface(body))
    show_checklist(deps, snap)
    _ephemeral(respond, "Step 2 (Address post go-live functionality) is marked not applicable.")


def _item(deps, cmd: cmds.AddItem, actor, body, respond, client, context):
    snap, number = deps.service.add_item(actor, project_id_of(context), cmd.text, audit_surface(body))
    show_checklist(deps, snap)
    _ephemeral(respond, f"Recorded item #{number} under step 2. Remedy it, or escalate it with "
                        f"`/addon case {number}`.")


def _complete(deps, cmd, actor, body, respond, client, context):
    pid = project_id_of(context)
    snap = deps.service.check_complete(actor, pid)
    if not uses_schedule(deps, snap):
        client.views_open(trigger_id=body["trigger_id"], view=views.complete_modal(snap))
        return
    # The typed command is the confirmation: the schedule decides (and the refusal names its rows).
    snap = complete_project(deps, actor, pid, audit_surface(body))
    _ephemeral(respond, f"{snap.addon} for {snap.biller_id} is complete: the schedule's status is set and "
                        "the project is archived. The closing report is in this channel.")


def _show(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt.user(x) for x in v) or "—"
    if v is None:
        return "—"
    return str(v)  # shown as typed: the gateway's rendering escapes it


def _edit(deps, cmd: cmds.Edit, actor, body, respond, client, context):
    fields = dict(cmd.changes)
    if "shared" in fields:
        ensure_internal_channel(client, body["channel_id"])
    # The same rules as `new`: people of this organisation, a channel really shared with the biller.
    people = ([("manager", fields["manager"])] if fields.get("manager") else []) + \
        [("specialist", u) for u in fields.get("specialists") or ()]
    if people:
        ensure_members(deps.directory, people)
    if fields.get("shared"):
        ensure_shared_channel(client, fields["shared"])
    snap, changed, resend = deps.service.edit(actor, project_id_of(context), cmd.changes, audit_surface(body))
    if resend and deps.notifier is not None:
        deps.notifier.drain(keys=resend)  # the edits of posted summaries; the outbox retries what fails
    if not changed:
        _ephemeral(respond, "Nothing changed: every field already has that value.")
        return
    show_checklist(deps, snap)
    users = {"manager", "specialists"}
    lines = []
    for f, was, now in changed:
        if f in users:
            was = [was] if isinstance(was, str) else was
            now = [now] if isinstance(now, str) else now
        if f == "shared":
            lines.append(f"• shared: {fmt.channel(was) if was else '—'} → {fmt.channel(now)}")
        else:
            lines.append(f"• {f}: {_show(was)} → {_show(now)}")
    note = ""
    if any(f == "golive" for f, _, _ in changed):
        note = ("\nThe go-live moved: the daily summaries follow the new date from now on; summaries already "
                "posted stay as they were, from the old plan.")
    _ephemeral(respond, "Changed (recorded in the audit trail):\n" + "\n".join(lines) + note)


def _cancel(deps, cmd: cmds.Cancel, actor, body, respond, client, context):
    snap = deps.service.cancel(actor, project_id_of(context), cmd.reason, audit_surface(body))
    show_checklist(deps, snap)
    # The reason is shown as typed: the gateway's rendering escapes it.
    client.chat_postMessage(channel=snap.channel_id,
                            text=f"Project {snap.id} ({snap.biller_id}) was withdrawn by {fmt.user(actor.user_id)}: "
                                 f"{cmd.reason}. Its history is kept; `/addon new` registers this channel again.")


def _report(deps, cmd, actor, body, respond, client, context):
    facts, preview = deps.service.closing_report(actor, project_id_of(context), data_simulated(deps))
    text, blocks = report_message(facts, preview=preview)
    _ephemeral(respond, text, blocks)


def _digest(deps, cmd, actor, body, respond, client, context):
    ensure_can_read(actor)
    if deps.digest is None:
        _ephemeral(respond, "The digest is not available on this instance: monitoring is not running.")
        return
    text, blocks = deps.digest.message_for(actor.user_id, deps.clock())
    _ephemeral(respond, text, blocks)


# Every subcommand (but help, answered in the acknowledgement) and its handler,
# each called as handler(deps, cmd, actor, body, respond, client, context).
COMMANDS = {
    cmds.NewProject: _new,
    cmds.NewProjectForm: _new_form,
    cmds.Status: _status,
    cmds.ListProjects: _list,
    cmds.Summary: alerts.summary_command,
    cmds.Done: _done,
    cmds.Undo: _undo,
    cmds.Skip: _skip,
    cmds.AddItem: _item,
    cmds.OpenCase: cs.open_case_command,
    cmds.Handoff: cs.handoff_command,
    cmds.Complete: _complete,
    cmds.Edit: _edit,
    cmds.Cancel: _cancel,
    cmds.Report: _report,
    cmds.Digest: _digest,
}


def check_people_and_shared(deps, client, cmd: cmds.NewProject) -> None:
    """The manager and specialists are of this organisation; `shared=` is a Slack Connect channel."""
    ensure_members(deps.directory, [("manager", cmd.manager), *(("specialist", u) for u in cmd.specialists)])
    if cmd.shared:
        ensure_shared_channel(client, cmd.shared)
