"""The workspace's foundation: lock, clock and IDs, records, directory, waiting.

:class:`WorkspaceCore` owns all of the workspace's state (``__init__``) and the
methods every other part builds on; :mod:`.messages` and :mod:`.views` add the rest,
and :class:`~.state.Workspace` combines them.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from .model import (
    EXTERNAL_TEAM_ID,
    INTERNAL_TEAM_ID,
    JSON,
    Channel,
    Delivery,
    Ephemeral,
    Listener,
    LocalSlackError,
    Message,
    Problem,
    ResponseUrl,
    SlackError,
    Team,
    Trigger,
    User,
    View,
)


class WorkspaceCore:
    """State, plumbing, records and directory of a :class:`~.state.Workspace`."""

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
        self.rate_limited: list[tuple[str, float]] = []
        self.lost_answers: list[tuple[str, int]] = []  # (method, status) answered after taking effect
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

    def record_rate_limited(self, method: str) -> None:
        """A call answered 429 (Slack's rate limit): not a refusal, a reason to wait."""
        with self._lock:
            self.rate_limited.append((method, self.now()))
            self._changed("rate_limited", method=method)

    def record_lost_answer(self, method: str, status: int) -> None:
        """A call that took effect and whose answer was lost on purpose (WebAPI.lose_answer)."""
        with self._lock:
            self.lost_answers.append((method, status))
            self._changed("lost_answer", method=method)

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
            self.lost_answers.clear()
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
