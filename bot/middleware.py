"""Global middleware, run once per request before any listener.

- resolve_context: who is acting (an Actor: internal or external, admin or
  not) and which project the request is about; listeners read
  `context["actor"]`, `context["project_id"]` and `context["channel_id"]`
  and never re-derive them.
- external_users_change_nothing: people of another organisation (Slack
  Connect) change nothing on any interactive surface: a button, menu,
  shortcut or modal submission from them is answered politely and runs
  nothing, except the biller's "Got it" on the handoff. Slash commands answer
  externals themselves (bot.workflow.ensure_can_*), with the reason.
"""

from __future__ import annotations

import json
import logging
from typing import Callable, Optional

from slack_bolt import BoltContext, BoltResponse

from bot import gateway
from bot.deps import Deps
from bot.reply import tell
from bot.views.blocks import parse_value
from bot.views.ids import A_HANDOFF_ACK
from bot.views.workflow import refusal_modal
from bot.workflow import EXTERNAL_REFUSAL, Actor, is_external

log = logging.getLogger("addon_bot.middleware")

# What an external user may press: only the biller's acknowledgement of the handoff.
EXTERNAL_ACTIONS = frozenset({A_HANDOFF_ACK})
_INTERACTIVE = ("block_actions", "view_submission", "shortcut", "message_action")


def user_of(body: dict) -> tuple[Optional[str], Optional[str]]:
    """(user id, team id the payload gives for that user, if any)."""
    if "user_id" in body:  # slash command
        return body["user_id"], None
    u = body.get("user")
    if isinstance(u, dict):
        return u.get("id"), u.get("team_id")
    ev = body.get("event") or {}
    if ev.get("type") in ("reaction_added", "reaction_removed", "app_mention", "app_home_opened", "message"):
        return ev.get("user"), ev.get("user_team")
    return None, None


def project_hint(body: dict) -> tuple[Optional[int], Optional[str]]:
    """(project id from a button value or modal metadata, channel id)."""
    pid = None
    for a in body.get("actions") or []:
        raw = a.get("value") or (a.get("selected_option") or {}).get("value")
        v = parse_value(raw)
        if isinstance(v.get("p"), int):
            pid = v["p"]
            break
    if pid is None:
        meta = parse_value((body.get("view") or {}).get("private_metadata"))
        if isinstance(meta.get("p"), int):
            pid = meta["p"]
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or (body.get("event") or {}).get("channel")
        or ((body.get("event") or {}).get("item") or {}).get("channel")
    )
    return pid, channel


def register(app, deps: Deps) -> None:
    s = deps.settings

    @app.middleware
    def through_the_gateway(context: BoltContext, next: Callable):  # noqa: A002
        # Every answer of this request (client calls, ack, respond) is rendered
        # by bot.views.blocks: typed text escaped, the bot's own mentions live.
        gateway.install(context, deps.client)
        next()

    @app.middleware
    def resolve_context(body: dict, context: BoltContext, next: Callable):  # noqa: A002
        user_id, hint_team = user_of(body)
        if user_id:
            home_team, home_ent, _ = deps.directory.home()
            team, ent = deps.directory.user_org(user_id, hint_team)
            context["actor"] = Actor(
                user_id=user_id,
                team_id=team,
                external=is_external(team, ent, home_team, home_ent),
                admin=user_id in s.admin_users,
            )
        pid, channel = project_hint(body)
        if pid is None and channel:
            p = deps.service.project_in_channel(channel)
            pid = p.id if p else None
        context["project_id"] = pid
        context["channel_id"] = channel
        next()

    @app.middleware
    def external_users_change_nothing(body, context, client, respond, next):  # noqa: A002
        actor = context.get("actor")
        kind = body.get("type")
        if actor is None or not actor.external or kind not in _INTERACTIVE:
            return next()
        actions = {a.get("action_id") for a in body.get("actions") or []}
        if kind == "block_actions" and actions and actions <= EXTERNAL_ACTIONS:
            return next()
        log.info("refused %s %s from external user %s", kind, sorted(a for a in actions if a) or "",
                 actor.user_id)
        if kind == "view_submission":
            return BoltResponse(status=200, headers={"Content-Type": "application/json"},
                                body=json.dumps({"response_action": "update", "view": refusal_modal(EXTERNAL_REFUSAL)}))
        tell({"body": body, "respond": respond, "client": client, "context": context}, EXTERNAL_REFUSAL)
        return BoltResponse(status=200, body="")
