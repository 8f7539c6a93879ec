"""Billers in Slack Connect: answering their mentions, and the guard that
keeps every interactive surface read-only for people of other organisations.

- app_mention: before completion the specialist is told (in the internal
  project channel) and the biller hears so; after completion the biller gets
  the Client Services avenues, since the Delivery team has stepped away.
- The guard (a global middleware) answers any button, menu, shortcut or modal
  submission from an external user politely and runs nothing, except the
  biller's "Got it" on the handoff. Slash commands answer externals themselves
  (bot.workflow.ensure_can_*), with the reason.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.cs import rules
from bot.cs import views as csv
from bot.errors import DomainError
from bot.handlers.common import ensure_internal_channel, guard, tell
from bot.views import plain, section
from bot.workflow import EXTERNAL_REFUSAL

log = logging.getLogger("addon_bot.handlers.cs_events")

# What an external user may press: only the biller's acknowledgement of the handoff.
EXTERNAL_ACTIONS = frozenset({csv.A_HANDOFF_ACK})
_INTERACTIVE = ("block_actions", "view_submission", "shortcut", "message_action")


def _refusal_view() -> dict:
    return {"type": "modal", "title": plain("Not available", 24), "close": plain("Close", 24),
            "blocks": [section(EXTERNAL_REFUSAL)]}


def register(app, deps) -> None:
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
                                body=json.dumps({"response_action": "update", "view": _refusal_view()}))
        tell({"body": body, "respond": respond, "client": client, "context": context}, EXTERNAL_REFUSAL)
        return BoltResponse(status=200, body="")

    @app.event("app_mention")
    @guard
    def mention(event, client, context):
        if event.get("bot_id") or event.get("subtype"):
            return
        channel, user = event.get("channel"), event.get("user")
        if not channel or not user:
            return
        actor = context.get("actor")
        thread = event.get("thread_ts") or event.get("ts")
        with deps.session_factory() as s:
            from bot.cs import store

            ids = [p.id for p in store.projects_for_shared_channel(s, channel)]
        plan = rules.plan_mention(actor, [deps.service.snapshot(i) for i in ids])
        if plan.kind == rules.HELP:
            client.chat_postEphemeral(channel=channel, user=user, text=csv.internal_mention_help())
            return
        handoffs = deps.extras["cs"].handoffs
        if plan.kind == rules.AVENUES:
            p = plan.project
            text = csv.avenues_answer(user, handoffs.avenues(p.biller_id if p else None),
                                      p.addon if p is not None else None)
            client.chat_postMessage(channel=channel, thread_ts=thread, text=text, unfurl_links=False)
            return
        bot_user = deps.directory.home()[2]
        told = _tell_specialist(deps, client, plan.project, user, channel, event,
                                csv.mention_words(event.get("text") or "", bot_user))
        if told:
            text = csv.specialist_told_answer(user, plan.project.specialist_ids)
        else:
            text = (f"Thanks for your message! I couldn't reach your implementation specialist just now; "
                    "please mention me again in a few minutes.")
        client.chat_postMessage(channel=channel, thread_ts=thread, text=text)


def _tell_specialist(deps, client, snap, user: str, channel: str, event: dict, words: str) -> bool:
    """Ping the specialist in the internal project channel; by DM if that channel is shared now."""
    try:
        permalink = client.chat_getPermalink(channel=channel, message_ts=event["ts"])["permalink"]
    except (SlackApiError, KeyError):
        permalink = None
    text = csv.specialist_ping(snap, user, channel, words, permalink)
    try:
        ensure_internal_channel(client, snap.channel_id)
        client.chat_postMessage(channel=snap.channel_id, text=text, unfurl_links=False)
        return True
    except (DomainError, SlackApiError) as e:
        log.warning("could not ping in project channel %s (%s); sending DMs", snap.channel_id, e)
    told = False
    for uid in snap.specialist_ids or (snap.manager_id,):
        try:
            dm = client.conversations_open(users=uid)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text, unfurl_links=False)
            told = True
        except SlackApiError as e:
            log.error("could not DM %s about a mention: %s", uid, e.response.get("error"))
    return told
