"""The workspace's records: teams, users, channels, messages, views, tokens, problems.

Plain dataclasses with their Slack-shaped ``to_slack()`` forms, the errors the model
raises, and the limits Slack applies. :class:`~.state.Workspace` holds and changes them;
everything here is re-exported from :mod:`.state`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import elements

JSON = dict[str, Any]

INTERNAL_TEAM_ID = "T0INTERNAL"
EXTERNAL_TEAM_ID = "T0EXTERNAL"

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
MAX_VIEW_STACK = 3


class SlackError(Exception):
    """A refusal with Slack's error code (and optional ``response_metadata.messages``)."""

    def __init__(self, error: str, messages: Iterable[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


class LocalSlackError(Exception):
    """The caller asked for something that cannot happen in Slack (a test bug)."""


class ViewValidationError(LocalSlackError):
    """A modal submission Slack's client would refuse before the app sees it.

    ``errors`` maps block_id to the message the client shows under the input.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(f"the Slack client would not submit this view: {dict(errors)}")
        self.errors = dict(errors)


# --------------------------------------------------------------------------- directory


@dataclass
class Team:
    id: str
    name: str
    domain: str

    def to_slack(self) -> JSON:
        return {"id": self.id, "domain": self.domain}


@dataclass
class User:
    id: str
    name: str
    real_name: str
    team_id: str
    is_bot: bool = False
    tz: str = "UTC"
    email: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    deleted: bool = False

    def to_slack(self) -> JSON:
        """The ``user`` object of users.info (no ``enterprise_user``: not a grid org)."""
        now = datetime.now(ZoneInfo(self.tz))
        offset = now.utcoffset()
        profile: JSON = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "first_name": self.real_name.split(" ")[0] if self.real_name else "",
            "last_name": " ".join(self.real_name.split(" ")[1:]),
            "status_text": "",
            "status_emoji": "",
            "avatar_hash": "g" + self.id.lower()[-11:],
            "image_48": f"https://secure.gravatar.com/avatar/{self.id.lower()}.jpg?s=48",
            "image_72": f"https://secure.gravatar.com/avatar/{self.id.lower()}.jpg?s=72",
            "team": self.team_id,
        }
        if self.email and not self.is_bot:
            profile["email"] = self.email
        if self.is_bot:
            profile.update({"bot_id": self.bot_id, "api_app_id": self.app_id, "always_active": True})
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": now.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "is_email_confirmed": not self.is_bot,
        }


@dataclass
class Channel:
    id: str
    name: str
    team_id: str
    created: int
    is_private: bool = False
    is_ext_shared: bool = False
    is_im: bool = False
    is_mpim: bool = False
    members: set[str] = field(default_factory=set)
    im_user: str | None = None  # for an IM with the bot: the human
    creator: str = ""

    @property
    def channel_type(self) -> str:
        """``channel_type`` of message events: channel, group, im or mpim."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "group" if self.is_private else "channel"

    @property
    def payload_name(self) -> str:
        """The channel name Slack puts in command/action payloads."""
        if self.is_im:
            return "directmessage"
        if self.is_private and not self.is_mpim:
            return "privategroup"
        return self.name

    def to_slack(self, *, viewer: str, external_team_id: str, num_members: bool = False) -> JSON:
        """conversations.info's ``channel`` object as ``viewer`` sees it."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_channel": False,
                "is_group": False,
                "is_im": True,
                "is_mpim": False,
                "is_private": True,
                "is_archived": False,
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "context_team_id": self.team_id,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        out: JSON = {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": False,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": self.is_ext_shared,
            "is_org_shared": False,
            "is_ext_shared": self.is_ext_shared,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "creator": self.creator,
            "is_member": viewer in self.members,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if self.is_ext_shared:
            out["shared_team_ids"] = [self.team_id]
            out["connected_team_ids"] = [self.team_id, external_team_id]
        if num_members:
            out["num_members"] = len(self.members)
        return out


# --------------------------------------------------------------------------- content


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    team: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    bot_id: str | None = None
    app_id: str | None = None
    bot_profile: JSON | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    reply_broadcast: bool = False
    client_msg_id: str | None = None
    metadata: JSON | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited: JSON | None = None
    subtype: str | None = None
    replies: list[tuple[str, str]] = field(default_factory=list)  # (ts, user) of replies, parents only

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_slack(self) -> JSON:
        """The message object as conversations.history / API answers show it."""
        out: JSON = {"type": "message"}
        if self.subtype:
            out["subtype"] = self.subtype
        out.update({"user": self.user, "text": self.text, "ts": self.ts, "team": self.team})
        if self.bot_id:
            out.update({"bot_id": self.bot_id, "app_id": self.app_id, "bot_profile": copy.deepcopy(self.bot_profile)})
        if self.client_msg_id:
            out["client_msg_id"] = self.client_msg_id
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.is_reply:
            out["parent_user_id"] = self.parent_user_id
            if self.reply_broadcast:
                out["subtype"] = "thread_broadcast"
        if self.replies:
            users = list(dict.fromkeys(u for _, u in self.replies))
            out.update(
                {
                    "reply_count": len(self.replies),
                    "reply_users_count": len(users),
                    "latest_reply": self.replies[-1][0],
                    "reply_users": users,
                    "is_locked": False,
                }
            )
        if self.edited:
            out["edited"] = dict(self.edited)
        if self.reactions:
            out["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)} for name, users in self.reactions.items()
            ]
        return out


@dataclass
class Ephemeral:
    """A message only ``recipient`` sees; it never enters the channel's history."""

    channel: str
    ts: str
    recipient: str
    user: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    bot_id: str | None = None
    app_id: str | None = None
    thread_ts: str | None = None

    def to_slack(self) -> JSON:
        out: JSON = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts, "is_ephemeral": True}
        if self.bot_id:
            out.update({"bot_id": self.bot_id, "app_id": self.app_id})
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        out["recipient"] = self.recipient  # not Slack's: lets tests see who it was for
        return out


@dataclass
class View:
    """A modal (in a user's stack) or an App Home tab."""

    id: str
    type: str  # "modal" | "home"
    user_id: str
    team_id: str
    app_id: str
    bot_id: str
    definition: JSON  # the normalised payload the app sent
    hash: str
    state_values: dict[str, dict[str, JSON]] = field(default_factory=dict)  # what the person entered
    root_view_id: str | None = None
    previous_view_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # from response_action: errors
    open: bool = True

    @property
    def blocks(self) -> list[JSON]:
        return list(self.definition.get("blocks") or [])

    def full_state(self) -> dict[str, dict[str, JSON]]:
        """state.values as Slack sends it in payloads: every stateful element's value."""
        values: dict[str, dict[str, JSON]] = {}
        for block, el in elements.iter_elements(self.blocks):
            if el.get("type") in ("button", "overflow", "workflow_button"):
                continue
            bid, aid = str(block.get("block_id")), str(el.get("action_id"))
            entered = self.state_values.get(bid, {}).get(aid)
            values.setdefault(bid, {})[aid] = copy.deepcopy(entered) if entered else elements.initial_state(el)
        return values

    def to_slack(self, *, full_state: bool = False) -> JSON:
        d = self.definition
        out: JSON = {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": copy.deepcopy(self.blocks),
            "private_metadata": d.get("private_metadata", ""),
            "callback_id": d.get("callback_id", ""),
            "state": {"values": self.full_state() if full_state else copy.deepcopy(self.state_values)},
            "hash": self.hash,
            "title": copy.deepcopy(d.get("title"))
            if self.type == "modal"
            else {"type": "plain_text", "text": "View Title"},
            "clear_on_close": bool(d.get("clear_on_close", False)),
            "notify_on_close": bool(d.get("notify_on_close", False)),
            "close": copy.deepcopy(d.get("close")),
            "submit": copy.deepcopy(d.get("submit")),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": self.app_id,
            "external_id": d.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return out


@dataclass
class Trigger:
    id: str
    user_id: str
    issued_at: float
    exchanged: bool = False


@dataclass
class ResponseUrl:
    """A response_url handed to the app in a command or action payload."""

    token: str
    source: str  # "command" | "message"
    channel_id: str
    user_id: str
    issued_at: float
    message_ts: str | None = None  # the message the action came from
    is_ephemeral: bool = False
    thread_ts: str | None = None
    uses: int = 0


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Problem:
    """A refusal (``Workspace.errors``) or a warning (``Workspace.warnings``)."""

    method: str
    code: str
    detail: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        extra = f" {list(self.detail)}" if self.detail else ""
        return f"{self.method}: {self.code}{extra}"


@dataclass(frozen=True)
class Delivery:
    """One request Slack made to the bot, and how the bot answered."""

    kind: str  # e.g. "slash_command", "block_actions", "event_callback:app_mention"
    payload: Mapping[str, Any]
    status: int | None  # None: no answer (connection error / timeout)
    elapsed: float  # seconds until the answer
    body: str


Listener = Callable[[str, JSON], None]
