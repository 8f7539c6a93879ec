"""The driver's transport: signing, posting to ``bot_url``, and shared payload pieces.

:class:`DeliveryCore` signs each request as Slack does, records it in
``Workspace.deliveries`` with the bot's status and response time, and flags non-200 or
late answers (see :mod:`.driver`). :mod:`.interactions` and :mod:`.events` build on it.
"""

from __future__ import annotations

import itertools
import secrets
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from .socketmode import NoConnection
from .state import (
    JSON,
    Channel,
    Delivery,
    LocalSlackError,
    Problem,
    ResponseUrl,
    SlackError,
    User,
    Workspace,
)
from .webapi import WebAPI

#: Events delivered unless the caller chooses otherwise (what manifest.yml subscribes the
#: bot to, and reaction_removed). Add "message.channels", "message.groups", "message.im",
#: "message.mpim" to receive people's messages.
DEFAULT_SUBSCRIPTIONS = frozenset({"app_mention", "app_home_opened", "reaction_added", "reaction_removed",
                                   "channel_shared", "channel_unshared", "member_joined_channel"})

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"


class DeliveryCore:
    """Transport and payload pieces of a :class:`~.driver.Driver`."""

    def __init__(
        self,
        workspace: Workspace,
        api: WebAPI,
        *,
        signing_secret: str,
        bot_url: str | None = None,
        verification_token: str = "local-verification-token",
        subscriptions: Iterable[str] = DEFAULT_SUBSCRIPTIONS,
        delivery_timeout: float = 10.0,
        ack_deadline: float = 3.0,
        socket_mode: bool = False,
    ) -> None:
        self.ws = workspace
        self.api = api
        self.signing_secret = signing_secret
        self.bot_url = bot_url
        self.verification_token = verification_token
        self.subscriptions = set(subscriptions)
        self.ack_deadline = ack_deadline
        self.delivery_timeout = delivery_timeout
        # The app's Socket Mode toggle: on, every delivery goes over its WebSocket
        # connections (.socketmode) and none to bot_url, as Slack does
        # (https://docs.slack.dev/apis/events-api/using-socket-mode/).
        self.socket_mode = socket_mode
        self._verifier = SignatureVerifier(signing_secret)
        self._client: httpx.Client | None = None
        self._event_ids = itertools.count(1)
        # Slack's event ids are unique across deliveries (bots dedupe on them): never reuse one.
        self._event_prefix = secrets.token_hex(4).upper()

    @property
    def _http(self) -> httpx.Client:
        # Created on first use (and again after close()): one pooled client for deliveries.
        if self._client is None or self._client.is_closed:
            self._client = httpx.Client(timeout=self.delivery_timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # ------------------------------------------------------------------ signing & transport

    def sign(self, body: str | bytes, ts: int | None = None) -> dict[str, str]:
        """Slack's signature headers for ``body`` (``ts`` defaults to now; pass an old one for a stale request)."""
        timestamp = str(int(time.time()) if ts is None else ts)
        signature = self._verifier.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}

    def raw_post(
        self, body: str | bytes, headers: Mapping[str, str] | None = None, *, content_type: str = FORM
    ) -> httpx.Response:
        """POST ``body`` to the bot with exactly ``headers`` (no signing): for forged, stale
        or unsigned requests. Recorded as a ``raw`` delivery, never as an error."""
        url = self._bot_url()
        sent = {"Content-Type": content_type, "User-Agent": SLACK_USER_AGENT, **(headers or {})}
        start = time.perf_counter()
        resp = self._http.post(url, content=body.encode() if isinstance(body, str) else body, headers=sent)
        self.ws.record_delivery(
            Delivery(
                "raw",
                {"body": body if isinstance(body, str) else body.decode()},
                resp.status_code,
                time.perf_counter() - start,
                resp.text,
            )
        )
        return resp

    def _bot_url(self) -> str:
        if not self.bot_url:
            raise LocalSlackError("bot_url is not set: tell LocalSlack where the bot listens")
        return self.bot_url

    def _public_url(self) -> str:
        return self.api.public_url()

    def _deliver(self, kind: str, body: str, content_type: str, payload: JSON,
                 extra_headers: Mapping[str, str] | None = None) -> tuple[httpx.Response, bool]:
        """Send one signed request (or, in Socket Mode, one envelope); returns (response,
        acknowledged in time with 200)."""
        if self.socket_mode:
            return self._deliver_envelope(kind, payload, extra_headers or {})
        url = self._bot_url()
        headers = {"Content-Type": content_type, "User-Agent": SLACK_USER_AGENT, **self.sign(body),
                   **(extra_headers or {})}
        start = time.perf_counter()
        try:
            resp = self._http.post(url, content=body.encode("utf-8"), headers=headers)
        except httpx.HTTPError as exc:
            elapsed = time.perf_counter() - start
            self.ws.record_delivery(Delivery(kind, payload, None, elapsed, ""))
            code = "operation_timeout" if isinstance(exc, httpx.TimeoutException) else "dispatch_failed"
            self.ws.record_error(Problem(kind, code, (f"{type(exc).__name__}: {exc}",), payload))
            raise
        elapsed = time.perf_counter() - start
        self.ws.record_delivery(Delivery(kind, payload, resp.status_code, elapsed, resp.text))
        in_time = True
        if elapsed > self.ack_deadline:
            in_time = False
            detail = f"acknowledged after {elapsed:.2f}s; Slack gives up after {self.ack_deadline:g}s"
            self.ws.record_error(Problem(kind, "operation_timeout", (detail,), payload))
        if resp.status_code != 200:
            detail = f"HTTP {resp.status_code}: {resp.text[:300]}"
            self.ws.record_error(Problem(kind, "dispatch_failed", (detail,), payload))
            in_time = False
        return resp, in_time

    def _deliver_envelope(self, kind: str, payload: JSON,
                          headers: Mapping[str, str]) -> tuple[httpx.Response, bool]:
        """One Socket Mode envelope. The ack stands for the HTTP answer: its payload is
        the body (JSON), an ack missing after ``ack_deadline`` is ``operation_timeout``
        (answered here as a 504 with no body, which nothing applies)."""
        if kind == "url_verification":
            raise LocalSlackError("Slack sends no url_verification to a Socket Mode app")
        try:
            ack = self.api.socket.deliver(
                kind, payload, deadline=self.ack_deadline,
                retry_attempt=int(headers.get("X-Slack-Retry-Num", 0)),
                retry_reason=headers.get("X-Slack-Retry-Reason", ""))
        except NoConnection as exc:
            self.ws.record_delivery(Delivery(kind, payload, None, 0.0, ""))
            self.ws.record_error(Problem(kind, "dispatch_failed", (str(exc),), payload))
            raise httpx.ConnectError(str(exc)) from None
        if not ack.acked:
            self.ws.record_delivery(Delivery(kind, payload, None, ack.elapsed, ""))
            detail = f"no ack for envelope {ack.envelope['envelope_id']} within {self.ack_deadline:g}s"
            self.ws.record_error(Problem(kind, "operation_timeout", (detail,), payload))
            return httpx.Response(504, text=""), False
        body = json.dumps(ack.payload) if ack.payload else ""
        self.ws.record_delivery(Delivery(kind, payload, 200, ack.elapsed, body))
        if not body:
            return httpx.Response(200, text=""), True
        return httpx.Response(200, content=body.encode(), headers={"content-type": "application/json"}), True

    def _interactive(self, kind: str, payload: JSON) -> tuple[httpx.Response, bool]:
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
        return self._deliver(kind, body, FORM, payload)

    # ------------------------------------------------------------------ payload pieces

    def _user(self, user_id: str) -> User:
        return self.ws.user(user_id)

    def _channel(self, channel_id: str) -> Channel:
        channel = self.ws.find_channel(channel_id)
        if channel is None:
            raise LocalSlackError(f"no channel {channel_id!r} in the local workspace")
        return channel

    def _require_member(self, user: User, channel: Channel) -> None:
        if user.id not in channel.members:
            raise LocalSlackError(f"{user.id} is not a member of {channel.id}: they cannot act there")

    def _user_obj(self, user: User) -> JSON:
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}

    def _team_obj(self, user: User) -> JSON:
        # Slack Connect: the acting person's own workspace.
        return self.ws.teams[user.team_id].to_slack()

    def _base_interaction(self, kind: str, user: User) -> JSON:
        return {
            "type": kind,
            "user": self._user_obj(user),
            "api_app_id": self.ws.app_id,
            "token": self.verification_token,
            "team": self._team_obj(user),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _response_url(self, **kwargs: Any) -> str:
        return self.api.response_url(self.ws.issue_response_url(**kwargs))

    def _apply_message_ack(self, resp: httpx.Response, ru: ResponseUrl, kind: str) -> None:
        """A slash command / shortcut ack with a body is a message for the user."""
        text = resp.text.strip()
        if not text:
            return
        payload: JSON
        if resp.headers.get("content-type", "").startswith("application/json"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                self.ws.record_error(Problem(kind, "invalid_response", ("ack body is not a JSON object",), {}))
                return
            payload = parsed
        else:
            payload = {"text": text}
        self.ws.record_call(f"{kind}.ack", payload)
        try:
            self.api.apply_response(ru, payload, method=f"{kind}.ack")
        except SlackError as exc:
            self.ws.record_error(Problem(f"{kind}.ack", exc.error, tuple(exc.messages), payload))
