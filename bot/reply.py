"""Telling people things outside a message's own edit: the one place that
knows "ephemeral where possible, else a DM" and "the project channel, else
the team by DM". Every function logs what it could not deliver and never
raises: a reply that fails must not undo the change it reports."""

from __future__ import annotations

import logging
from typing import Iterable, Optional

from slack_sdk.errors import SlackApiError

from bot import directory
from bot.channels import ensure_internal_channel
from bot.errors import DomainError

log = logging.getLogger("addon_bot.reply")


def _error(e: SlackApiError) -> str:
    return e.response.get("error") if e.response is not None else "unknown"


def dm(client, user_id: str, text: str, **kw) -> bool:
    """A direct message to one person; False (logged) when Slack refused it."""
    try:
        if not directory.for_client(client).is_member(user_id):  # internal content stays inside
            log.error("refused to DM %s %r: not a member of this organisation", user_id, text[:80])
            return False
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=text, **kw)
        return True
    except SlackApiError as e:
        log.error("could not DM %s %r: %s", user_id, text[:80], _error(e))
        return False


def ephemeral_or_dm(client, channel_id: Optional[str], user_id: str, text: str, *,
                    internal: bool = True, fallback: bool = True, **kw) -> None:
    """Only this person: ephemeral in the channel (checked internal first when
    `internal`), else (when `fallback`, or with no channel) a DM."""
    if channel_id:
        try:
            if internal:
                ensure_internal_channel(client, channel_id)
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, **kw)
            return
        except (DomainError, SlackApiError) as e:
            if not fallback:
                log.error("could not tell %s %r in %s: %s", user_id, text[:80], channel_id, e)
                return
            log.info("ephemeral to %s in %s not possible (%s); sending a DM", user_id, channel_id, e)
    dm(client, user_id, text, **kw)


def post_or_dm_team(client, channel_id: str, team: Iterable[str], text: str, **kw) -> bool:
    """The (internal) project channel, in the open; if it has become shared or
    refuses the post, each of `team` by DM instead. True when anyone was told."""
    try:
        ensure_internal_channel(client, channel_id)
        client.chat_postMessage(channel=channel_id, text=text, **kw)
        return True
    except (DomainError, SlackApiError) as e:
        log.warning("could not post in project channel %s (%s); telling the team by DM", channel_id, e)
    told = False
    for uid in dict.fromkeys(team):
        told = dm(client, uid, text, **kw) or told
    return told


def tell(kw: dict, text: str) -> None:
    """Answer only the person who acted, from a listener's arguments: through
    the response_url where Slack gave one, else ephemeral in the channel, else a DM."""
    body = kw.get("body") or {}
    respond = kw.get("respond")
    client = kw.get("client")
    ctx = kw.get("context") or {}
    actor = ctx.get("actor")
    user = actor.user_id if actor else None
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
    except SlackApiError as e:
        log.error("could not tell the user %r: %s", text[:80], _error(e))
        return
    if client is None or not user:
        return
    ephemeral_or_dm(client, ctx.get("channel_id"), user, text, internal=False, fallback=False)
