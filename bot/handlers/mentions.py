"""Mentions of the bot (app_mention), above all a biller's in Slack Connect:
before completion the specialist is told (in the internal project channel)
and the biller hears so; after completion the biller gets the Client
Services avenues, since the Delivery team has stepped away.

That people of other organisations change nothing on any interactive surface
is bot.middleware's guard.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.cs import handoff as hd
from bot.cs import rules
from bot.handlers.common import guard
from bot.views import cs as csv

log = logging.getLogger("addon_bot.handlers.mentions")


def register(app, deps) -> None:
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
        plan = rules.plan_mention(actor, [deps.service.snapshot(i) for i in deps.handoffs.projects_sharing(channel)])
        if plan.kind == rules.HELP:
            client.chat_postEphemeral(channel=channel, user=user, text=csv.internal_mention_help())
            return
        handoffs = deps.handoffs
        # Keyed by the biller's message: a retried event, a lost answer or a second instance never
        # pings or answers twice (the outbox, bot.notify).
        key = f"mention:{channel}:{event.get('ts')}"
        if plan.kind == rules.AVENUES:
            p = plan.project
            text = csv.avenues_answer(user, handoffs.avenues(p.biller_id if p else None),
                                      p.addon if p is not None else None)
            handoffs.answer(channel, thread, f"{key}:answer", text, None)  # a completed project's rows are frozen
            return
        bot_user = deps.directory.home()[2]
        told = _tell_specialist(deps, client, plan.project, user, channel, event, key,
                                csv.mention_words(event.get("text") or "", bot_user))
        if told == hd.SENT:
            text = csv.specialist_told_answer(user, plan.project.specialist_ids)
        elif told == hd.QUEUED:
            text = csv.specialist_queued_answer(user, plan.project.specialist_ids)
        else:
            text = ("Thanks for your message! I couldn't reach your implementation specialist just now; "
                    "please mention me again in a few minutes.")
        handoffs.answer(channel, thread, f"{key}:answer", text, plan.project.id)


def _tell_specialist(deps, client, snap, user: str, channel: str, event: dict, key: str, words: str) -> str:
    """Ping the specialist in the internal project channel; by DM if that channel is shared now."""
    try:
        permalink = client.chat_getPermalink(channel=channel, message_ts=event["ts"])["permalink"]
    except (SlackApiError, KeyError):
        permalink = None
    return deps.handoffs.tell_team(snap, f"{key}:ping", csv.specialist_ping(snap, user, channel, words, permalink))
