"""Events API deliveries: what the bot is told about messages, reactions, joins, Home.

Each event is wrapped in its ``event_callback`` envelope and delivered only when the
app subscribes to it and (for conversation events) the bot is in the conversation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from . import blockkit
from .delivery import DeliveryCore
from .state import JSON, Channel, LocalSlackError, SlackError, User


def _retry_reason(resp: httpx.Response | None, failure: Exception | None) -> str:
    """X-Slack-Retry-Reason for what went wrong with the last delivery."""
    if isinstance(failure, httpx.TimeoutException):
        return "http_timeout"
    if failure is not None:
        return "connection_failed"
    return "http_error" if resp is not None and resp.status_code != 200 else "http_timeout"


class EventsMixin(DeliveryCore):
    """People's messages, mentions, reactions, App Home opens and joins, as events."""

    retry_events = True  # re-deliver an event the bot did not answer with 200 in time, as Slack does
    last_envelope: JSON | None = None

    # ------------------------------------------------------------------ events

    def event(self, event: Mapping[str, Any]) -> httpx.Response:
        """Deliver one Events API event wrapped in its ``event_callback`` envelope."""
        body_event = dict(event)
        body_event.setdefault("event_ts", self.ws.next_ts())
        seq = next(self._event_ids)
        channel = self.ws.find_channel(str(body_event.get("channel") or body_event.get("item", {}).get("channel", "")))
        team = self.ws.internal_team.id
        envelope = {
            "token": self.verification_token,
            "team_id": team,
            "context_team_id": team,
            "context_enterprise_id": None,
            "api_app_id": self.ws.app_id,
            "event": body_event,
            "type": "event_callback",
            "event_id": f"Ev{self._event_prefix}{seq:06d}",
            "event_time": int(self.ws.now()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": bool(channel and channel.is_ext_shared),
            "event_context": f"4-local-{seq}",
        }
        kind = f"event_callback:{body_event.get('type')}"
        self.last_envelope = envelope
        failure = None
        try:
            resp, in_time = self._deliver(kind, json.dumps(envelope), "application/json", envelope)
        except httpx.HTTPError as exc:
            resp, in_time, failure = None, False, exc
        if not in_time and self.retry_events:
            # Slack retries an event it saw no 200 for within 3 s, up to three
            # times, with the same event_id: https://api.slack.com/apis/events-api#retries
            for num in range(1, 4):
                # Over Socket Mode an envelope with no ack in time is re-sent with
                # retry_reason "timeout" (as Slack's envelopes show, e.g.
                # https://github.com/slackapi/bolt-js/issues/2487).
                reason = "timeout" if self.socket_mode and failure is None else _retry_reason(resp, failure)
                resp, in_time, failure = self._redeliver(envelope, num, reason)
                if in_time:
                    break
        if resp is None and failure is not None:
            raise failure  # nobody answered, nor any retry: as before retries, the transport's error
        if resp is None:
            raise LocalSlackError(f"the bot did not answer {kind} {envelope['event_id']} in time, nor its retries")
        return resp

    def redeliver(self, envelope: Mapping[str, Any], num: int = 1,
                  reason: str = "http_timeout") -> tuple[httpx.Response | None, bool]:
        """Deliver ``envelope`` again, as Slack's retry number ``num`` (same event_id,
        X-Slack-Retry-Num and X-Slack-Retry-Reason headers)."""
        resp, in_time, _ = self._redeliver(envelope, num, reason)
        return resp, in_time

    def _redeliver(self, envelope: Mapping[str, Any], num: int,
                   reason: str) -> tuple[httpx.Response | None, bool, Exception | None]:
        kind = f"event_callback:{(envelope.get('event') or {}).get('type')}:retry{num}"
        headers = {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}
        try:
            resp, in_time = self._deliver(kind, json.dumps(envelope), "application/json", dict(envelope), headers)
            return resp, in_time, None
        except httpx.HTTPError as exc:
            return None, False, exc

    def url_verification(self, challenge: str = "local-challenge") -> httpx.Response:
        """The request Slack sends when an Events Request URL is saved."""
        payload = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return self._deliver("url_verification", json.dumps(payload), "application/json", payload)[0]

    def _bot_sees(self, channel: Channel) -> bool:
        return self.ws.bot_user_id in channel.members

    def _message_event(self, message: JSON, channel: Channel, author: User) -> JSON:
        event: JSON = {
            "type": "message",
            "channel": channel.id,
            "user": author.id,
            "text": message["text"],
            "ts": message["ts"],
            "event_ts": message["ts"],
            "channel_type": channel.channel_type,
            "team": author.team_id,
            "client_msg_id": message.get("client_msg_id"),
            "blocks": message.get("blocks", []),
        }
        if author.team_id != self.ws.internal_team.id:
            event.update({"user_team": author.team_id, "source_team": author.team_id})
        for key in ("thread_ts", "parent_user_id"):
            if key in message:
                event[key] = message[key]
        return event

    def _post(self, user_id: str, channel_id: str, text: str, thread_ts: str | None) -> tuple[JSON, Channel, User]:
        user = self._user(user_id)
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        try:
            stored = self.ws.post_message(
                channel.id, user_id=user.id, text=text, blocks=[blockkit.rich_text_block(text)], thread_ts=thread_ts
            )
        except SlackError as exc:
            raise LocalSlackError(f"cannot post: {exc.error}") from None
        return stored.to_slack(), channel, user

    def _deliver_message_event(self, message: JSON, channel: Channel, user: User) -> httpx.Response | None:
        subscription = {
            "channel": "message.channels",
            "group": "message.groups",
            "im": "message.im",
            "mpim": "message.mpim",
        }[channel.channel_type]
        if subscription in self.subscriptions and self._bot_sees(channel):
            return self.event(self._message_event(message, channel, user))
        return None

    def post_as_user(self, user_id: str, channel_id: str, text: str, thread_ts: str | None = None) -> JSON:
        """A person posts ``text``; returns the stored message. A ``message`` event is
        delivered if the matching ``message.*`` subscription is on and the bot is in
        the conversation."""
        message, channel, user = self._post(user_id, channel_id, text, thread_ts)
        self._deliver_message_event(message, channel, user)
        return message

    def mention(self, user_id: str, channel_id: str, text: str, thread_ts: str | None = None) -> httpx.Response | None:
        """A person posts a message mentioning the bot (``<@BOT>`` is prepended if
        absent) and Slack delivers ``app_mention``. None when Slack would not deliver it
        (the bot is not in the channel, or app_mention is not subscribed)."""
        mention = f"<@{self.ws.bot_user_id}>"
        if mention not in text:
            text = f"{mention} {text}"
        message, channel, user = self._post(user_id, channel_id, text, thread_ts)
        self._deliver_message_event(message, channel, user)
        if "app_mention" not in self.subscriptions or not self._bot_sees(channel):
            return None
        event = self._message_event(message, channel, user)
        event["type"] = "app_mention"
        event.pop("channel_type")
        return self.event(event)

    def react(self, user_id: str, channel_id: str, ts: str, name: str) -> httpx.Response | None:
        """A person adds reaction ``name`` to a message; ``reaction_added`` is delivered
        (None when not subscribed or the bot is not in the conversation)."""
        return self._reaction(user_id, channel_id, ts, name, added=True)

    def unreact(self, user_id: str, channel_id: str, ts: str, name: str) -> httpx.Response | None:
        return self._reaction(user_id, channel_id, ts, name, added=False)

    def _reaction(self, user_id: str, channel_id: str, ts: str, name: str, *, added: bool) -> httpx.Response | None:
        user = self._user(user_id)
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        name = name.strip(":")
        try:
            if added:
                message = self.ws.add_reaction(channel.id, ts, user.id, name)
            else:
                message = self.ws.remove_reaction(channel.id, ts, user.id, name)
        except SlackError as exc:
            raise LocalSlackError(f"cannot {'add' if added else 'remove'} reaction: {exc.error}") from None
        kind = "reaction_added" if added else "reaction_removed"
        if kind not in self.subscriptions or not self._bot_sees(channel):
            return None
        return self.event(
            {
                "type": kind,
                "user": user.id,
                "reaction": name,
                "item": {"type": "message", "channel": channel.id, "ts": ts},
                "item_user": message.user,
            }
        )

    def open_home(self, user_id: str) -> httpx.Response | None:
        """A person opens the app's Home tab; ``app_home_opened`` carries the published view."""
        user = self._user(user_id)
        dm = self.ws.dm_channel(user.id)
        if "app_home_opened" not in self.subscriptions:
            return None
        event: JSON = {"type": "app_home_opened", "user": user.id, "channel": dm.id, "tab": "home"}
        home = self.ws.home_view(user.id)
        if home is not None:
            event["view"] = home.to_slack(full_state=True)
        return self.event(event)

    def share_changed(self, channel_id: str, flag: bool) -> httpx.Response | None:
        """Share the channel with the external organisation (Slack Connect), or stop; delivers
        ``channel_shared`` / ``channel_unshared`` when subscribed and the bot is in the channel.
        https://docs.slack.dev/reference/events/channel_shared ("connected_team_id"),
        https://docs.slack.dev/reference/events/channel_unshared ("previously_connected_team_id",
        "is_ext_shared": whether it is still shared with another organisation)."""
        channel = self._channel(channel_id)
        was = channel.is_ext_shared
        self.ws.set_ext_shared(channel.id, flag)
        kind = "channel_shared" if flag else "channel_unshared"
        if was == flag or kind not in self.subscriptions or not self._bot_sees(channel) or not self.bot_url:
            return None  # (no bot listening yet: nobody to tell)
        event: JSON = {"type": kind, "channel": channel.id}
        external = self.ws.external_team.id
        if flag:
            event["connected_team_id"] = external
        else:
            event.update(previously_connected_team_id=external, is_ext_shared=False)
        return self.event(event)

    def member_joined(self, channel_id: str, user_id: str, inviter: str | None = None) -> httpx.Response | None:
        """Add a member; delivers ``member_joined_channel`` when subscribed and the bot is in the channel."""
        channel = self._channel(channel_id)
        if not self.ws.add_member(channel.id, user_id):
            return None
        if "member_joined_channel" not in self.subscriptions or not self._bot_sees(channel) or not self.bot_url:
            return None  # (no bot listening yet: nobody to tell)
        event: JSON = {
            "type": "member_joined_channel",
            "user": user_id,
            "channel": channel.id,
            "channel_type": "G" if channel.is_private else "C",
            "team": self.ws.user(user_id).team_id,
        }
        if inviter:
            event["inviter"] = inviter
        return self.event(event)
