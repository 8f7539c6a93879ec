"""Global middleware, run once per request before any listener.

- resolve_context: who is acting (an Actor: internal or external, admin or
  not) and which project the request is about; listeners read
  `context["actor"]`, `context["project_id"]` and `context["channel_id"]`
  and never re-derive them.
- once_per_event: each Slack event is acted on once, across restarts and
  instances: its `event_id` is claimed in the database (storage/events.py)
  before anything runs; a re-delivery (Slack's retry after no 200 in 3 s,
  with X-Slack-Retry-Num, or a Socket Mode envelope sent again) is answered
  200 at once and runs nothing. https://api.slack.com/apis/events-api#retries
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
from storage import events, repo

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


UNRESOLVED = ("I could not check your Slack account just now (Slack asked me to slow down), so I did "
              "nothing. Please try again in a few seconds.")


def _unresolved(body: dict, context: BoltContext) -> BoltResponse:
    log.warning("could not resolve user %s's organisation; %s not run", user_of(body)[0],
                body.get("command") or body.get("type"))
    if body.get("command"):
        return BoltResponse(status=200, headers={"Content-Type": "application/json"},
                            body=json.dumps({"response_type": "ephemeral", "text": UNRESOLVED}))
    if body.get("type") == "view_submission":
        return BoltResponse(status=200, headers={"Content-Type": "application/json"},
                            body=json.dumps({"response_action": "errors",
                                             "errors": {b["block_id"]: UNRESOLVED[:150] for b in
                                                        [b for b in (body.get("view") or {}).get("blocks") or []
                                                         if b.get("type") == "input"][:1]}}))
    if context.respond is not None and body.get("response_url"):
        try:
            context.respond(text=UNRESOLVED, response_type="ephemeral", replace_original=False)
        except Exception as e:  # noqa: BLE001 - the answer is best effort; the refusal stands
            log.warning("could not tell the user: %s", e)
    return BoltResponse(status=200, body="")


def event_key(body: dict) -> Optional[tuple[str, str]]:
    """(event_id, kind) of an Events API delivery, else None (commands and
    interactions carry no id: Slack does not retry them)."""
    if body.get("type") != "event_callback" or not body.get("event_id"):
        return None
    return str(body["event_id"]), str((body.get("event") or {}).get("type") or "event")


def register(app, deps: Deps) -> None:
    s = deps.settings

    @app.middleware
    def once_per_event(body: dict, req, next: Callable):  # noqa: A002
        key = event_key(body)
        if key is None:
            return next()
        with repo.transaction(deps.session_factory) as session:
            first = events.claim(session, key[0], key[1], deps.clock())
        if not first:
            retry = (req.headers.get("x-slack-retry-num") or [""])[0]
            reason = (req.headers.get("x-slack-retry-reason") or [""])[0]
            log.info("event %s (%s) already taken; re-delivery %s %s dropped", key[0], key[1], retry, reason)
            return BoltResponse(status=200, body="")
        return next()

    def forget_old_events(now) -> None:
        with repo.transaction(deps.session_factory) as session:
            events.prune(session, now)

    deps.ticks.append(forget_old_events)  # the dedupe's own upkeep, once a minute

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
            if team is None and (body.get("command") or body.get("type") in _INTERACTIVE):
                # Not known, and Slack would not say just now: neither guessed
                # external (a false refusal) nor internal; nothing runs.
                return _unresolved(body, context)
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
