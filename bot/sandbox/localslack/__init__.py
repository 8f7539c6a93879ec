"""A local Slack workspace: the Web API the bot calls, and Slack's deliveries to the bot.

Typical test use::

    slack = LocalSlack(signing_secret="s3cret")
    api_url = slack.start()                 # "http://127.0.0.1:PORT/api/"
    slack.add_user("U1", "ana")
    slack.add_channel("C1", "ops", members=["U1"])
    ... start the bot with WebClient(base_url=api_url, token=slack.bot_token) ...
    slack.bot_url = "http://127.0.0.1:BOTPORT/slack/events"
    assert slack.command("U1", "C1", "status").status_code == 200
    slack.wait_for(lambda: slack.messages("C1"))
    assert not slack.errors and not slack.warnings
    slack.stop()

Layers: :mod:`.state` (the workspace model, no HTTP), :mod:`.webapi` (Slack's Web API
and response_url over the model), :mod:`.socketmode` (``apps.connections.open``'s
WebSocket link, for an app in Socket Mode), :mod:`.driver` (what people do, delivered
to the bot as Slack does: to ``bot_url``, or as envelopes on the link when
``socket_mode`` is on), :mod:`.server` (uvicorn in a thread). :class:`LocalSlack` ties them
together and adds inspection helpers that return Slack-shaped dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx

from .blockkit import validate_message_blocks, validate_view
from .driver import DEFAULT_SUBSCRIPTIONS, Driver
from .server import BackgroundServer
from .socketmode import SocketModeHub
from .state import (
    EXTERNAL_TEAM_ID,
    INTERNAL_TEAM_ID,
    Delivery,
    LocalSlackError,
    Problem,
    SlackError,
    ViewValidationError,
    Workspace,
)
from .webapi import DROPPED, WebAPI

JSON = dict[str, Any]

__all__ = [
    "DROPPED",
    "DEFAULT_SUBSCRIPTIONS",
    "EXTERNAL_TEAM_ID",
    "INTERNAL_TEAM_ID",
    "BackgroundServer",
    "Delivery",
    "LocalSlack",
    "LocalSlackError",
    "Problem",
    "SlackError",
    "SocketModeHub",
    "ViewValidationError",
    "Workspace",
    "validate_message_blocks",
    "validate_view",
]


class LocalSlack(Driver):
    """A local Slack workspace serving the Web API and driving the bot.

    ``signing_secret`` must be the bot's; ``bot_token`` is the only token the Web API
    accepts; ``bot_url`` is where deliveries go (settable later). The bot user is
    ``U0BOT`` / bot ``B0BOT`` / app ``A0ADDON`` in team ``T0INTERNAL``; ``T0EXTERNAL``
    is a Slack Connect partner org for external users.

    ``app_token`` is the app-level token (``xapp-…``, connections:write) that opens
    Socket Mode connections; with ``socket_mode`` on (settable later) every delivery is
    an envelope on those connections instead of a request to ``bot_url``
    (:mod:`.socketmode`; :attr:`socket` holds them).

    ``chat_write_public`` grants chat:write.public (post in public channels the bot is
    not in); ``subscriptions`` are the subscribed bot events (see
    ``DEFAULT_SUBSCRIPTIONS``); deliveries slower than ``ack_deadline`` seconds are
    recorded as ``operation_timeout`` and their ack ignored.
    """

    def __init__(
        self,
        signing_secret: str,
        bot_token: str = "xoxb-local",
        bot_url: str | None = None,
        *,
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0ADDON",
        bot_name: str = "addon",
        chat_write_public: bool = False,
        subscriptions: Iterable[str] = DEFAULT_SUBSCRIPTIONS,
        delivery_timeout: float = 10.0,
        ack_deadline: float = 3.0,
        host: str = "127.0.0.1",
        strict: bool = True,
        rate_scale: float = 1.0,
        app_token: str = "xapp-1-local",
        socket_mode: bool = False,
    ) -> None:
        workspace = Workspace(bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id, bot_name=bot_name)
        api = WebAPI(workspace, token=bot_token, public_url=lambda: self.base_url, chat_write_public=chat_write_public,
                     strict=strict, rate_scale=rate_scale, app_token=app_token)
        super().__init__(
            workspace,
            api,
            signing_secret=signing_secret,
            bot_url=bot_url,
            subscriptions=subscriptions,
            delivery_timeout=delivery_timeout,
            ack_deadline=ack_deadline,
            socket_mode=socket_mode,
        )
        self.bot_token = bot_token
        self.app_token = app_token
        self._host = host
        self._server: BackgroundServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Serve on a free loopback port; returns the Web API base URL (ends with ``/api/``)."""
        if self._server is None:
            self._server = BackgroundServer(self.api.asgi_app(), host=self._host, name="localslack")
            self._server.start()
        return self.api_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.close()

    def __enter__(self) -> LocalSlack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._server is None:
            raise LocalSlackError("LocalSlack is not started")
        return self._server.url

    @property
    def api_url(self) -> str:
        """What to pass as ``WebClient(base_url=...)`` / ``SLACK_API_URL``."""
        return self.base_url + "/api/"

    @property
    def bot_user_id(self) -> str:
        return self.ws.bot_user_id

    @property
    def socket(self) -> SocketModeHub:
        """The Socket Mode side: open connections, ``disconnect(reason)``, ``lose_acks(n)``."""
        return self.api.socket

    # ------------------------------------------------------------------ directory

    def add_user(
        self,
        user_id: str,
        name: str,
        team_id: str | None = None,
        tz: str = "UTC",
        *,
        real_name: str | None = None,
        email: str | None = None,
    ) -> JSON:
        """Add a person (``team_id=EXTERNAL_TEAM_ID`` for a Slack Connect partner)."""
        return self.ws.add_user(user_id, name, team_id=team_id, tz=tz, real_name=real_name, email=email).to_slack()

    def add_channel(
        self,
        channel_id: str,
        name: str,
        ext_shared: bool = False,
        private: bool = False,
        members: Iterable[str] = (),
        *,
        bot_member: bool = True,
    ) -> None:
        """Add a channel with these human ``members``; the bot is in it unless ``bot_member=False``."""
        self.ws.add_channel(
            channel_id, name, private=private, ext_shared=ext_shared, members=members, bot_member=bot_member
        )

    def set_ext_shared(self, channel_id: str, flag: bool) -> httpx.Response | None:
        """Share the channel with the external org (Slack Connect) or stop sharing it; the bot
        is told (``channel_shared`` / ``channel_unshared``), see :meth:`Driver.share_changed`."""
        return self.share_changed(channel_id, flag)

    def add_member(self, channel_id: str, user_id: str) -> httpx.Response | None:
        """Add ``user_id`` (the bot too) to a channel; see :meth:`Driver.member_joined`."""
        return self.member_joined(channel_id, user_id)

    def remove_member(self, channel_id: str, user_id: str) -> None:
        self.ws.remove_member(channel_id, user_id)

    def dm_channel(self, user_id: str) -> str:
        """The ID of the bot's DM with ``user_id`` (created on demand)."""
        return self.ws.dm_channel(user_id).id

    def advance_clock(self, seconds: float) -> None:
        """Move the workspace clock (trigger_id and response_url expiry) forward."""
        self.ws.advance_clock(seconds)

    def inject_error(
        self, method: str, error: str, *, times: int = 1, status: int = 200, retry_after: int | None = None
    ) -> None:
        """Make the next ``times`` calls of a Web API ``method`` fail with ``error``."""
        self.api.inject_error(method, error, times=times, status=status, retry_after=retry_after)

    def lose_answer(self, method: str, *, status: int = 502, times: int = 1, channel: str | None = None) -> None:
        """Let the next ``times`` calls of ``method`` (about ``channel``, if given) take effect, then answer
        HTTP ``status`` (a 5xx) or, with ``status=DROPPED``, drop the connection (see :meth:`WebAPI.lose_answer`)."""
        self.api.lose_answer(method, status=status, times=times, channel=channel)

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[tuple[str, JSON]]:
        """Every Web API call (and ``response_url`` post) as (method, params), in order."""
        with self.ws.changed:
            return list(self.ws.calls)

    def calls_to(self, method: str) -> list[JSON]:
        """The params of every call of ``method``."""
        return [params for m, params in self.calls if m == method]

    @property
    def errors(self) -> list[Problem]:
        """Refusals (Web API, response_url) and failed deliveries, in order."""
        with self.ws.changed:
            return list(self.ws.errors)

    @property
    def warnings(self) -> list[Problem]:
        """Accepted-but-wrong calls, e.g. ``missing_fallback_text``."""
        with self.ws.changed:
            return list(self.ws.warnings)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every request made to the bot, with its status and response time."""
        with self.ws.changed:
            return list(self.ws.deliveries)

    def reset_records(self) -> None:
        self.ws.reset_records()

    def messages(self, channel_id: str) -> list[JSON]:
        """The channel's messages, thread replies included, oldest first (Slack's shape)."""
        return [m.to_slack() for m in self.ws.messages(channel_id)]

    def message(self, channel_id: str, ts: str) -> JSON:
        return self.ws.message(channel_id, ts).to_slack()

    def thread(self, channel_id: str, ts: str) -> list[JSON]:
        """A thread's parent then its replies."""
        return [m.to_slack() for m in self.ws.thread(channel_id, ts)]

    def ephemerals(self, channel_id: str, user_id: str | None = None) -> list[JSON]:
        """Ephemeral messages in a channel (only ``user_id``'s if given); each has ``recipient``."""
        return [e.to_slack() for e in self.ws.ephemerals(channel_id, user_id)]

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        """``{name: [user, ...]}`` on a message."""
        return {name: list(users) for name, users in self.ws.message(channel_id, ts).reactions.items()}

    def views(self, user_id: str) -> list[JSON]:
        """The user's open modal stack, bottom first (state holds what they entered)."""
        return [v.to_slack(full_state=True) for v in self.ws.modal_stack(user_id)]

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Errors shown in an open modal after ``response_action: errors``."""
        return dict(self.ws.view(view_id).errors)

    def home(self, user_id: str) -> JSON | None:
        """The App Home view published for ``user_id``, if any."""
        view = self.ws.home_view(user_id)
        return view.to_slack(full_state=True) if view is not None else None

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (the bot works after acknowledging) and return it."""
        return self.ws.wait_for(predicate, timeout)
