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


def _str(v) -> Optional[str]:
    return v if isinstance(v, str) and v else None


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _pid(v: dict) -> Optional[int]:
    p = v.get("p")
    return p if type(p) is int and p > 0 else None  # never a bool, a string or a list taken for an id


def user_of(body: dict) -> tuple[Optional[str], Optional[str]]:
    """(user id, team id the payload gives for that user, if any); None for anything not a string."""
    if "user_id" in body:  # slash command
        return _str(body["user_id"]), None
    u = body.get("user")
    if isinstance(u, dict):
        return _str(u.get("id")), _str(u.get("team_id"))
    ev = _dict(body.get("event"))
    if ev.get("type") in ("reaction_added", "reaction_removed", "app_mention", "app_home_opened", "message"):
        return _str(ev.get("user")), _str(ev.get("user_team"))
    return None, None


def project_hint(body: dict) -> tuple[Optional[int], Optional[str]]:
    """(project id from a button value or modal metadata, channel id)."""
    pid = None
    actions = body.get("actions")
    for a in actions if isinstance(actions, list) else []:
        a = _dict(a)
        raw = a.get("value") or _dict(a.get("selected_option")).get("value")
        pid = _pid(parse_value(raw if isinstance(raw, str) else None))
        if pid is not None:
            break
    if pid is None:
        meta = _dict(body.get("view")).get("private_metadata")
        pid = _pid(parse_value(meta if isinstance(meta, str) else None))
    ev = _dict(body.get("event"))
    channel = (
        _str(body.get("channel_id"))
        or _str(_dict(body.get("channel")).get("id"))
        or _str(_dict(body.get("container")).get("channel_id"))
        or _str(ev.get("channel"))
        or _str(_dict(ev.get("item")).get("channel"))
    )
    return pid, channel


def register(app, deps: Deps) -> None:
    s = deps.settings

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
        raw_actions = body.get("actions")
        actions = {_dict(a).get("action_id") for a in (raw_actions if isinstance(raw_actions, list) else [])}
        if kind == "block_actions" and actions and actions <= EXTERNAL_ACTIONS:
            return next()
        log.info("refused %s %s from external user %s", kind, sorted(a for a in actions if a) or "",
                 actor.user_id)
        if kind == "view_submission":
            return BoltResponse(status=200, headers={"Content-Type": "application/json"},
                                body=json.dumps({"response_action": "update", "view": refusal_modal(EXTERNAL_REFUSAL)}))
        tell({"body": body, "respond": respond, "client": client, "context": context}, EXTERNAL_REFUSAL)
        return BoltResponse(status=200, body="")
