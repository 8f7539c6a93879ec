"""`/addon`: parse, call the service, answer. Thin on purpose.

COMMANDS, at the end, is the one table of every subcommand's handler (the
parser, bot.commands, turns the text into the command object it is keyed by).
"""

from __future__ import annotations

from bot import commands as cmds
from bot import views
from bot.channels import ensure_internal_channel, ensure_shared_channel
from bot.directory import ensure_members
from bot.checklist import show_checklist
from bot.errors import BadInput
from bot.handlers import alerts, cs
from bot.handlers.common import actor_of, audit_surface, guard, project_id_of
from bot.service import ConfirmationNeeded
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
                        f"live {snap.golive.isoformat()}. The checklist is in this channel.")


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
        _ephemeral(respond, e.message, views.monitor_confirm_blocks(e.message, pid, cmd.step, cmd.note))
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
    snap = deps.service.check_complete(actor, project_id_of(context))
    client.views_open(trigger_id=body["trigger_id"], view=views.complete_modal(snap))


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
}


def check_people_and_shared(deps, client, cmd: cmds.NewProject) -> None:
    """The manager and specialists are of this organisation; `shared=` is a Slack Connect channel."""
    ensure_members(deps.directory, [("manager", cmd.manager), *(("specialist", u) for u in cmd.specialists)])
    if cmd.shared:
        ensure_shared_channel(client, cmd.shared)
