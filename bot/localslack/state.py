"""In-memory, thread-safe model of one Slack workspace as a single app sees it.

Nothing here knows about HTTP: the Web API (``webapi.py``), the delivery driver
(``driver.py``) and a future browser UI all act on a :class:`Workspace` through its
methods, which take its lock. Domain refusals are raised as :class:`SlackError` with
Slack's error code; misuse by the caller (a test naming a user that does not exist, a
click on a message with no such button) raises :class:`LocalSlackError`.

Every change notifies :attr:`Workspace.changed` (a ``threading.Condition``) and the
listeners registered with :meth:`Workspace.subscribe`, so tests can wait for the bot's
asynchronous effects and a UI can push updates.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import blockkit

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
        for block, el in blockkit.iter_elements(self.blocks):
            if el.get("type") in ("button", "overflow", "workflow_button"):
                continue
            bid, aid = str(block.get("block_id")), str(el.get("action_id"))
            entered = self.state_values.get(bid, {}).get(aid)
            values.setdefault(bid, {})[aid] = copy.deepcopy(entered) if entered else blockkit.initial_state(el)
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


class Workspace:
    """The whole workspace. All public methods are safe to call from any thread."""

    def __init__(
        self,
        *,
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0ADDON",
        bot_name: str = "addon",
        internal_team: Team | None = None,
        external_team: Team | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.RLock()
        #: Notified on every change; ``wait_for`` sleeps on it.
        self.changed = threading.Condition(self._lock)
        self._clock = clock
        self._clock_offset = 0.0
        self._ids = itertools.count(1)
        self._last_ts_micros = 0
        self._listeners: list[Listener] = []

        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.internal_team = internal_team or Team(INTERNAL_TEAM_ID, "Internal", "internal")
        self.external_team = external_team or Team(EXTERNAL_TEAM_ID, "External Org", "external")
        self.teams: dict[str, Team] = {t.id: t for t in (self.internal_team, self.external_team)}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self._messages: dict[str, dict[str, Message]] = {}
        self._ephemerals: dict[str, list[Ephemeral]] = {}
        self._views: dict[str, View] = {}
        self._stacks: dict[str, list[str]] = {}  # user -> open modal view ids, bottom first
        self._homes: dict[str, str] = {}  # user -> home view id
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}

        self.calls: list[tuple[str, JSON]] = []
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.deliveries: list[Delivery] = []

        self.bot_profile: JSON = {
            "id": bot_id,
            "app_id": app_id,
            "name": bot_name,
            "icons": {"image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png"},
            "deleted": False,
            "updated": 1700000000,
            "team_id": self.internal_team.id,
        }
        self.users[bot_user_id] = User(
            id=bot_user_id,
            name=bot_name,
            real_name=bot_name,
            team_id=self.internal_team.id,
            is_bot=True,
            bot_id=bot_id,
            app_id=app_id,
        )

    # ------------------------------------------------------------------ plumbing

    def now(self) -> float:
        return self._clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move this workspace's clock forward (expire triggers and response_urls)."""
        with self._lock:
            self._clock_offset += seconds

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(kind, info)`` after every change; returns an unsubscribe function.

        Listeners run on the thread that made the change, under the workspace lock:
        they must be quick and must not block (hand work to a queue).
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _changed(self, kind: str, **info: Any) -> None:
        # Called with the lock held.
        for listener in list(self._listeners):
            listener(kind, info)
        self.changed.notify_all()

    def new_id(self, prefix: str) -> str:
        """A Slack-shaped ID such as ``CL0000000007``."""
        with self._lock:
            return f"{prefix}L{next(self._ids):010d}"

    def next_ts(self) -> str:
        """A message timestamp, strictly greater than every earlier one."""
        with self._lock:
            micros = max(int(self.now() * 1_000_000), self._last_ts_micros + 1)
            self._last_ts_micros = micros
            seconds, rest = divmod(micros, 1_000_000)
            return f"{seconds}.{rest:06d}"

    # ------------------------------------------------------------------ records

    def record_call(self, method: str, params: Mapping[str, Any]) -> None:
        with self._lock:
            self.calls.append((method, copy.deepcopy(dict(params))))
            self._changed("call", method=method)

    def record_error(self, problem: Problem) -> None:
        with self._lock:
            self.errors.append(problem)
            self._changed("error", problem=problem)

    def record_warning(self, problem: Problem) -> None:
        with self._lock:
            self.warnings.append(problem)
            self._changed("warning", problem=problem)

    def record_delivery(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
            self._changed("delivery", delivery=delivery)

    def reset_records(self) -> None:
        """Forget calls, errors, warnings and deliveries (not the workspace content)."""
        with self._lock:
            self.calls.clear()
            self.errors.clear()
            self.warnings.clear()
            self.deliveries.clear()
            self._changed("reset")

    # ------------------------------------------------------------------ directory

    def add_team(self, team: Team) -> Team:
        with self._lock:
            self.teams[team.id] = team
            self._changed("team", team_id=team.id)
            return team

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        team_id: str | None = None,
        real_name: str | None = None,
        tz: str = "UTC",
        email: str | None = None,
        is_bot: bool = False,
    ) -> User:
        ZoneInfo(tz)  # fail now on an unknown zone, not in users.info later
        with self._lock:
            team = team_id or self.internal_team.id
            if team not in self.teams:
                raise LocalSlackError(f"unknown team {team!r}")
            user = User(
                id=user_id,
                name=name,
                real_name=real_name if real_name is not None else name.replace(".", " ").title(),
                team_id=team,
                is_bot=is_bot,
                tz=tz,
                email=email if email is not None else f"{name}@{self.teams[team].domain}.example",
            )
            self.users[user_id] = user
            self._changed("user", user_id=user_id)
            return user

    def user(self, user_id: str) -> User:
        with self._lock:
            try:
                return self.users[user_id]
            except KeyError:
                raise LocalSlackError(f"no user {user_id!r} in the local workspace") from None

    def find_user(self, user_id: str) -> User | None:
        with self._lock:
            return self.users.get(user_id)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        ext_shared: bool = False,
        members: Iterable[str] = (),
        bot_member: bool = True,
    ) -> Channel:
        with self._lock:
            member_set = set(members)
            for uid in member_set:
                self.user(uid)
            if bot_member:
                member_set.add(self.bot_user_id)
            channel = Channel(
                id=channel_id,
                name=name,
                team_id=self.internal_team.id,
                created=int(self.now()),
                is_private=private,
                is_ext_shared=ext_shared,
                members=member_set,
                creator=next(iter(sorted(member_set - {self.bot_user_id})), self.bot_user_id),
            )
            self.channels[channel_id] = channel
            self._messages.setdefault(channel_id, {})
            self._changed("channel", channel_id=channel_id)
            return channel

    def channel(self, channel_id: str) -> Channel:
        """The channel, or SlackError(channel_not_found)."""
        with self._lock:
            channel = self.channels.get(channel_id)
            if channel is None:
                raise SlackError("channel_not_found")
            return channel

    def find_channel(self, channel_id: str) -> Channel | None:
        with self._lock:
            return self.channels.get(channel_id)

    def channel_by_name(self, name: str) -> Channel | None:
        with self._lock:
            return next((c for c in self.channels.values() if not c.is_im and c.name == name), None)

    def set_ext_shared(self, channel_id: str, flag: bool) -> None:
        with self._lock:
            self.channel(channel_id).is_ext_shared = flag
            self._changed("channel", channel_id=channel_id)

    def add_member(self, channel_id: str, user_id: str) -> bool:
        """Add a member; False if they already were one."""
        with self._lock:
            channel = self.channel(channel_id)
            self.user(user_id)
            if user_id in channel.members:
                return False
            channel.members.add(user_id)
            self._changed("member_joined", channel_id=channel_id, user_id=user_id)
            return True

    def remove_member(self, channel_id: str, user_id: str) -> bool:
        with self._lock:
            channel = self.channel(channel_id)
            if user_id not in channel.members:
                return False
            channel.members.discard(user_id)
            self._changed("member_left", channel_id=channel_id, user_id=user_id)
            return True

    def dm_channel(self, user_id: str) -> Channel:
        """The IM between the bot and ``user_id`` (its App Home "Messages" tab), created on demand."""
        with self._lock:
            self.user(user_id)
            for channel in self.channels.values():
                if channel.is_im and channel.im_user == user_id:
                    return channel
            channel = Channel(
                id=self.new_id("D"),
                name=user_id,
                team_id=self.internal_team.id,
                created=int(self.now()),
                is_private=True,
                is_im=True,
                members={self.bot_user_id, user_id},
                im_user=user_id,
                creator=self.bot_user_id,
            )
            self.channels[channel.id] = channel
            self._messages[channel.id] = {}
            self._changed("channel", channel_id=channel.id)
            return channel

    def mpim_channel(self, user_ids: Iterable[str]) -> Channel:
        """A group DM between the bot and ``user_ids``, created on demand."""
        with self._lock:
            members = {self.bot_user_id, *user_ids}
            for uid in members:
                self.user(uid)
            for channel in self.channels.values():
                if channel.is_mpim and channel.members == members:
                    return channel
            names = sorted(self.users[u].name for u in members)
            channel = Channel(
                id=self.new_id("G"),
                name="mpdm-" + "--".join(names) + "-1",
                team_id=self.internal_team.id,
                created=int(self.now()),
                is_private=True,
                is_mpim=True,
                members=members,
                creator=self.bot_user_id,
            )
            self.channels[channel.id] = channel
            self._messages[channel.id] = {}
            self._changed("channel", channel_id=channel.id)
            return channel

    # ------------------------------------------------------------------ messages

    def post_message(
        self,
        channel_id: str,
        *,
        user_id: str,
        text: str,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        metadata: JSON | None = None,
    ) -> Message:
        """Store a message from ``user_id`` (the bot or a person) and return it.

        ``blocks`` must already be valid; they are stored in normalised form.
        A ``thread_ts`` naming a reply is moved to that reply's parent, as Slack does.
        """
        with self._lock:
            channel = self.channel(channel_id)
            author = self.user(user_id)
            parent: Message | None = None
            if thread_ts is not None:
                parent = self._messages[channel.id].get(thread_ts)
                if parent is None:
                    raise SlackError("thread_not_found")
                if parent.is_reply:
                    parent = self._messages[channel.id][str(parent.thread_ts)]
            is_bot = user_id == self.bot_user_id
            message = Message(
                channel=channel.id,
                ts=self.next_ts(),
                user=user_id,
                team=author.team_id,
                text=text,
                blocks=blockkit.normalise_blocks(blocks),
                attachments=copy.deepcopy(attachments or []),
                bot_id=self.bot_id if is_bot else None,
                app_id=self.app_id if is_bot else None,
                bot_profile=copy.deepcopy(self.bot_profile) if is_bot else None,
                client_msg_id=None if is_bot else str(uuid.uuid4()),
                metadata=copy.deepcopy(metadata),
                reply_broadcast=reply_broadcast,
            )
            if parent is not None:
                message.thread_ts = parent.ts
                message.parent_user_id = parent.user
                parent.thread_ts = parent.ts
                parent.replies.append((message.ts, user_id))
            self._messages[channel.id][message.ts] = message
            self._changed("message", channel_id=channel.id, ts=message.ts)
            return message

    def message(self, channel_id: str, ts: str) -> Message:
        """The message, or SlackError(message_not_found)."""
        with self._lock:
            message = self._messages.get(channel_id, {}).get(ts)
            if message is None:
                raise SlackError("message_not_found")
            return message

    def messages(self, channel_id: str) -> list[Message]:
        """All messages of a channel, replies included, oldest first."""
        with self._lock:
            self.channel(channel_id)
            return sorted(self._messages[channel_id].values(), key=lambda m: _ts_key(m.ts))

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """A thread's parent followed by its replies."""
        with self._lock:
            parent = self.message(channel_id, ts)
            root = self.message(channel_id, str(parent.thread_ts)) if parent.is_reply else parent
            return [root] + [self._messages[channel_id][r] for r, _ in root.replies]

    def update_message(
        self,
        channel_id: str,
        ts: str,
        *,
        by_user: str,
        text: str | None = None,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        mark_edited: bool = True,
    ) -> Message:
        """Replace text/blocks/attachments; a ``None`` argument keeps what was there."""
        with self._lock:
            message = self.message(channel_id, ts)
            if message.subtype == "tombstone":
                raise SlackError("message_not_found")
            if message.user != by_user:
                raise SlackError("cant_update_message")
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = blockkit.normalise_blocks(blocks)
            if attachments is not None:
                message.attachments = copy.deepcopy(attachments)
            if mark_edited:
                message.edited = {"user": by_user, "ts": self.next_ts()}
            self._changed("message_changed", channel_id=channel_id, ts=ts)
            return message

    def delete_message(self, channel_id: str, ts: str, *, by_user: str | None) -> None:
        """Delete a message (``by_user=None``: Slack itself, e.g. delete_original).

        A parent with replies stays as a ``tombstone``, as in Slack.
        """
        with self._lock:
            message = self.message(channel_id, ts)
            if by_user is not None and message.user != by_user:
                raise SlackError("cant_delete_message")
            store = self._messages[channel_id]
            if message.replies:
                message.subtype = "tombstone"
                message.text = "This message was deleted."
                message.blocks, message.attachments, message.reactions = [], [], {}
            else:
                del store[ts]
                if message.is_reply:
                    parent = store.get(str(message.thread_ts))
                    if parent is not None:
                        parent.replies = [(r, u) for r, u in parent.replies if r != ts]
                        if not parent.replies and parent.subtype == "tombstone":
                            del store[parent.ts]
            self._changed("message_deleted", channel_id=channel_id, ts=ts)

    # ------------------------------------------------------------------ ephemeral messages

    def post_ephemeral(
        self,
        channel_id: str,
        recipient: str,
        *,
        text: str,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
    ) -> Ephemeral:
        with self._lock:
            channel = self.channel(channel_id)
            self.user(recipient)
            eph = Ephemeral(
                channel=channel.id,
                ts=self.next_ts(),
                recipient=recipient,
                user=self.bot_user_id,
                text=text,
                blocks=blockkit.normalise_blocks(blocks),
                attachments=copy.deepcopy(attachments or []),
                bot_id=self.bot_id,
                app_id=self.app_id,
                thread_ts=thread_ts,
            )
            self._ephemerals.setdefault(channel.id, []).append(eph)
            self._changed("ephemeral", channel_id=channel.id, ts=eph.ts, user_id=recipient)
            return eph

    def ephemeral(self, channel_id: str, ts: str, recipient: str | None = None) -> Ephemeral:
        with self._lock:
            for eph in self._ephemerals.get(channel_id, []):
                if eph.ts == ts and (recipient is None or eph.recipient == recipient):
                    return eph
            raise SlackError("message_not_found")

    def ephemerals(self, channel_id: str, recipient: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return [e for e in self._ephemerals.get(channel_id, []) if recipient is None or e.recipient == recipient]

    def replace_ephemeral(
        self, channel_id: str, ts: str, *, text: str, blocks: list[JSON] | None, attachments: list[JSON] | None
    ) -> Ephemeral:
        with self._lock:
            eph = self.ephemeral(channel_id, ts)
            eph.text = text
            eph.blocks = blockkit.normalise_blocks(blocks)
            eph.attachments = copy.deepcopy(attachments or [])
            self._changed("ephemeral_changed", channel_id=channel_id, ts=ts, user_id=eph.recipient)
            return eph

    def delete_ephemeral(self, channel_id: str, ts: str) -> None:
        with self._lock:
            eph = self.ephemeral(channel_id, ts)
            self._ephemerals[channel_id].remove(eph)
            self._changed("ephemeral_deleted", channel_id=channel_id, ts=ts, user_id=eph.recipient)

    # ------------------------------------------------------------------ reactions

    def add_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> Message:
        with self._lock:
            message = self.message(channel_id, ts)
            users = message.reactions.setdefault(name, [])
            if user_id in users:
                raise SlackError("already_reacted")
            users.append(user_id)
            self._changed("reaction_added", channel_id=channel_id, ts=ts, user_id=user_id, name=name)
            return message

    def remove_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> Message:
        with self._lock:
            message = self.message(channel_id, ts)
            users = message.reactions.get(name, [])
            if user_id not in users:
                raise SlackError("no_reaction")
            users.remove(user_id)
            if not users:
                del message.reactions[name]
            self._changed("reaction_removed", channel_id=channel_id, ts=ts, user_id=user_id, name=name)
            return message

    # ------------------------------------------------------------------ triggers

    def issue_trigger(self, user_id: str) -> str:
        with self._lock:
            trigger_id = (
                f"{int(self.now())}{next(self._ids):04d}.{secrets.randbelow(10**12):012d}.{secrets.token_hex(16)}"
            )
            self._triggers[trigger_id] = Trigger(trigger_id, user_id, self.now())
            return trigger_id

    def exchange_trigger(self, trigger_id: str | None) -> str:
        """Use a trigger_id for views.open/views.push; returns the user it was issued to."""
        with self._lock:
            trigger = self._triggers.get(trigger_id or "")
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger.exchanged:
                raise SlackError("exchanged_trigger_id")
            if self.now() - trigger.issued_at > TRIGGER_TTL_SECONDS:
                raise SlackError("expired_trigger_id")
            trigger.exchanged = True
            return trigger.user_id

    # ------------------------------------------------------------------ views

    def _new_hash(self) -> str:
        return f"{int(self.now())}.{secrets.token_hex(4)}"

    def _make_view(self, user_id: str, definition: JSON, kind: str) -> View:
        normalised = copy.deepcopy(definition)
        normalised["blocks"] = blockkit.normalise_blocks(definition.get("blocks"))
        for key in ("title", "submit", "close"):
            if isinstance(normalised.get(key), dict):
                normalised[key].setdefault("emoji", True)
        return View(
            id=self.new_id("V"),
            type=kind,
            user_id=user_id,
            team_id=self.internal_team.id,
            app_id=self.app_id,
            bot_id=self.bot_id,
            definition=normalised,
            hash=self._new_hash(),
        )

    def _check_external_id(self, definition: JSON, except_view: str | None = None) -> None:
        external_id = definition.get("external_id")
        if not external_id:
            return
        for view in self._views.values():
            if view.open and view.id != except_view and view.definition.get("external_id") == external_id:
                raise SlackError("duplicate_external_id")

    def view(self, view_id: str) -> View:
        with self._lock:
            view = self._views.get(view_id)
            if view is None or not view.open:
                raise SlackError("not_found")
            return view

    def modal_stack(self, user_id: str) -> list[View]:
        with self._lock:
            return [self._views[v] for v in self._stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> View | None:
        with self._lock:
            view_id = self._homes.get(user_id)
            return self._views[view_id] if view_id else None

    def open_modal(self, user_id: str, definition: JSON) -> View:
        """A new root modal for ``user_id``; an open stack is replaced."""
        with self._lock:
            self._check_external_id(definition)
            for old in self._stacks.pop(user_id, []):
                self._views[old].open = False
            view = self._make_view(user_id, definition, "modal")
            view.root_view_id = view.id
            self._views[view.id] = view
            self._stacks[user_id] = [view.id]
            self._changed("view_opened", user_id=user_id, view_id=view.id)
            return view

    def push_modal(self, user_id: str, definition: JSON) -> View:
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if not stack:
                raise SlackError("not_found")
            if len(stack) >= MAX_VIEW_STACK:
                raise SlackError("push_limit_reached")
            self._check_external_id(definition)
            view = self._make_view(user_id, definition, "modal")
            view.root_view_id = stack[0]
            view.previous_view_id = stack[-1]
            self._views[view.id] = view
            stack.append(view.id)
            self._changed("view_pushed", user_id=user_id, view_id=view.id)
            return view

    def update_view(
        self,
        definition: JSON,
        *,
        view_id: str | None = None,
        external_id: str | None = None,
        hash: str | None = None,
    ) -> View:
        """Replace a view's content; what people entered survives where block_id/action_id do."""
        with self._lock:
            found: View | None
            if view_id:
                found = self.view(view_id)
            else:
                found = next(
                    (v for v in self._views.values() if v.open and v.definition.get("external_id") == external_id),
                    None,
                )
            if found is None:
                raise SlackError("not_found")
            view = found
            if hash is not None and hash != view.hash:
                raise SlackError("hash_conflict")
            if definition.get("type") != view.type:
                raise SlackError("invalid_arguments", [f"[ERROR] cannot change a {view.type} view's type"])
            self._check_external_id(definition, except_view=view.id)
            fresh = self._make_view(view.user_id, definition, view.type)
            view.definition = fresh.definition
            view.hash = fresh.hash
            view.errors = {}
            present = {
                (str(b.get("block_id")), str(e.get("action_id"))) for b, e in blockkit.iter_elements(view.blocks)
            }
            view.state_values = {
                bid: kept
                for bid, actions in view.state_values.items()
                if (kept := {aid: v for aid, v in actions.items() if (bid, aid) in present})
            }
            self._changed("view_updated", user_id=view.user_id, view_id=view.id)
            return view

    def publish_home(self, user_id: str, definition: JSON, *, hash: str | None = None) -> View:
        with self._lock:
            self.user(user_id)
            current = self.home_view(user_id)
            if current is not None:
                if hash is not None and hash != current.hash:
                    raise SlackError("hash_conflict")
                return self.update_view(definition, view_id=current.id)
            view = self._make_view(user_id, definition, "home")
            self._views[view.id] = view
            self._homes[user_id] = view.id
            self._changed("home_published", user_id=user_id, view_id=view.id)
            return view

    def set_view_state(self, view_id: str, values: Mapping[str, Mapping[str, JSON]]) -> None:
        """Record what a person entered (``state.values`` shape)."""
        with self._lock:
            view = self.view(view_id)
            for bid, actions in values.items():
                view.state_values.setdefault(bid, {}).update(copy.deepcopy(dict(actions)))
            self._changed("view_state", user_id=view.user_id, view_id=view_id)

    def set_view_errors(self, view_id: str, errors: Mapping[str, str]) -> None:
        with self._lock:
            view = self.view(view_id)
            view.errors = dict(errors)
            self._changed("view_errors", user_id=view.user_id, view_id=view_id)

    def close_modal(self, user_id: str, view_id: str, *, clear: bool = False) -> list[View]:
        """Close ``view_id`` (top of the stack) or, with ``clear``, the whole stack."""
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if view_id not in stack:
                raise SlackError("not_found")
            closing = stack[:] if clear else stack[stack.index(view_id) :]
            for vid in closing:
                self._views[vid].open = False
                stack.remove(vid)
            if not stack:
                self._stacks.pop(user_id, None)
            self._changed("view_closed", user_id=user_id, view_id=view_id)
            return [self._views[v] for v in closing]

    # ------------------------------------------------------------------ response_url

    def issue_response_url(
        self,
        *,
        source: str,
        channel_id: str,
        user_id: str,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        thread_ts: str | None = None,
    ) -> str:
        """A new response_url token (the HTTP layer turns it into a URL)."""
        with self._lock:
            token = f"{self.internal_team.id}/{next(self._ids)}/{secrets.token_urlsafe(18)}"
            self._response_urls[token] = ResponseUrl(
                token=token,
                source=source,
                channel_id=channel_id,
                user_id=user_id,
                issued_at=self.now(),
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
                thread_ts=thread_ts,
            )
            return token

    def use_response_url(self, token: str) -> ResponseUrl:
        """Count one use; Slack allows 5 uses within 30 minutes."""
        with self._lock:
            ru = self._response_urls.get(token)
            if ru is None:
                raise SlackError("invalid_url")
            if self.now() - ru.issued_at > RESPONSE_URL_TTL_SECONDS:
                raise SlackError("expired_url")
            if ru.uses >= RESPONSE_URL_MAX_USES:
                raise SlackError("used_url")
            ru.uses += 1
            return ru

    # ------------------------------------------------------------------ waiting

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, poll: float = 0.05) -> Any:
        """Block until ``predicate()`` is truthy and return its value.

        The predicate is re-checked on every change and every ``poll`` seconds. While it
        raises LookupError (IndexError, KeyError, a missing message...) or SlackError it
        counts as not yet true. Raises TimeoutError with recent activity on timeout.
        """
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                try:
                    result = predicate()
                except (LookupError, SlackError):
                    result = None
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = [m for m, _ in self.calls[-10:]]
                    raise TimeoutError(
                        f"condition not met within {timeout}s; last API calls: {recent}; "
                        f"errors: {[str(e) for e in self.errors]}; "
                        f"deliveries: {[(d.kind, d.status) for d in self.deliveries[-5:]]}"
                    )
                self.changed.wait(min(poll, remaining))


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
