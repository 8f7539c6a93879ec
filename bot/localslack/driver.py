"""Slack's side of the conversation: what people do, delivered to the bot as Slack does.

Every request goes to ``bot_url`` signed exactly as Slack signs (``v0=`` HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret). Slash commands are form-encoded,
interactivity is a form with one ``payload`` field holding JSON, events are JSON.

Each delivery is recorded (``Workspace.deliveries``) with the bot's status and response
time. A non-200 answer is recorded as a ``dispatch_failed`` error and an answer slower
than Slack's 3 seconds as ``operation_timeout`` -- in that case Slack ignores what the
bot answered, and so does the driver.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from . import blockkit
from .state import (
    Channel,
    Delivery,
    LocalSlackError,
    Problem,
    ResponseUrl,
    SlackError,
    User,
    View,
    ViewValidationError,
    Workspace,
)
from .webapi import WebAPI

JSON = dict[str, Any]

#: Events delivered unless the caller chooses otherwise. Add "message.channels",
#: "message.groups", "message.im", "message.mpim" to receive people's messages, and
#: "member_joined_channel" for joins.
DEFAULT_SUBSCRIPTIONS = frozenset({"app_mention", "app_home_opened", "reaction_added", "reaction_removed"})

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"


class Driver:
    """Acts as Slack towards the bot (the HTTP app at ``bot_url``)."""

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
    ) -> None:
        self.ws = workspace
        self.api = api
        self.signing_secret = signing_secret
        self.bot_url = bot_url
        self.verification_token = verification_token
        self.subscriptions = set(subscriptions)
        self.ack_deadline = ack_deadline
        self.delivery_timeout = delivery_timeout
        self._verifier = SignatureVerifier(signing_secret)
        self._client: httpx.Client | None = None
        self._event_ids = itertools.count(1)

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

    def _deliver(self, kind: str, body: str, content_type: str, payload: JSON) -> tuple[httpx.Response, bool]:
        """Send one signed request; returns (response, acknowledged in time with 200)."""
        url = self._bot_url()
        headers = {"Content-Type": content_type, "User-Agent": SLACK_USER_AGENT, **self.sign(body)}
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

    # ------------------------------------------------------------------ slash commands & shortcuts

    def command(self, user_id: str, channel_id: str, text: str = "", command: str = "/addon") -> httpx.Response:
        """``user_id`` types ``{command} {text}`` in ``channel_id``.

        An ack with a body is shown as Slack shows it: ephemeral to the user, or in the
        channel with ``response_type: in_channel``.
        """
        user = self._user(user_id)
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        ru_token = self.ws.issue_response_url(source="command", channel_id=channel.id, user_id=user.id)
        team = self.ws.teams[user.team_id]
        fields = {
            "token": self.verification_token,
            "team_id": team.id,
            "team_domain": team.domain,
            "channel_id": channel.id,
            "channel_name": channel.payload_name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.ws.app_id,
            "is_enterprise_install": "false",
            "response_url": self.api.response_url(ru_token),
            "trigger_id": self.ws.issue_trigger(user.id),
        }
        resp, in_time = self._deliver("slash_command", urlencode(fields), FORM, dict(fields))
        if in_time:
            ru = ResponseUrl(ru_token, "command", channel.id, user.id, self.ws.now())
            self._apply_message_ack(resp, ru, "slash_command")
        return resp

    def shortcut(self, user_id: str, callback_id: str) -> httpx.Response:
        """A global shortcut (lightning menu)."""
        user = self._user(user_id)
        payload = self._base_interaction("shortcut", user)
        payload.update(
            {"callback_id": callback_id, "trigger_id": self.ws.issue_trigger(user.id), "action_ts": self.ws.next_ts()}
        )
        return self._interactive("shortcut", payload)[0]

    def message_shortcut(self, user_id: str, channel_id: str, message_ts: str, callback_id: str) -> httpx.Response:
        """A message shortcut ("More actions" on a message)."""
        user = self._user(user_id)
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        message = self.ws.message(channel.id, message_ts)
        payload = self._base_interaction("message_action", user)
        payload.update(
            {
                "callback_id": callback_id,
                "trigger_id": self.ws.issue_trigger(user.id),
                "action_ts": self.ws.next_ts(),
                "message_ts": message.ts,
                "message": message.to_slack(),
                "channel": {"id": channel.id, "name": channel.payload_name},
                "response_url": self._response_url(
                    source="message", channel_id=channel.id, user_id=user.id, message_ts=message.ts
                ),
            }
        )
        return self._interactive("message_action", payload)[0]

    # ------------------------------------------------------------------ block actions

    def click(
        self,
        user_id: str,
        channel_id: str | None = None,
        message_ts: str | None = None,
        action_id: str | None = None,
        value: Any = None,
        selected: Any = None,
        *,
        view_id: str | None = None,
        block_id: str | None = None,
    ) -> httpx.Response:
        """``user_id`` uses the element ``action_id`` of a message (``channel_id`` +
        ``message_ts``, ephemeral messages included) or of a view (``view_id``: a modal
        or App Home).

        Buttons send their own ``value`` unless ``value`` is given. For selects,
        checkboxes, pickers, ``selected`` (or ``value``) is what the person picks: an
        option value (or list of them), a user/conversation ID, a date ``YYYY-MM-DD``.
        """
        if not action_id:
            raise LocalSlackError("click() needs an action_id")
        user = self._user(user_id)
        action_ts = self.ws.next_ts()
        payload: JSON
        if view_id is not None:
            view = self._own_view(user, view_id)
            block, element, state = self._pick(view.blocks, action_id, block_id, value, selected)
            if element.get("type") not in ("button", "overflow", "workflow_button"):
                self.ws.set_view_state(view.id, {str(block["block_id"]): {action_id: state}})
            payload = self._base_interaction("block_actions", user)
            payload.update(
                {
                    "container": {"type": "view", "view_id": view.id},
                    "trigger_id": self.ws.issue_trigger(user.id),
                    "view": self.ws.view(view.id).to_slack(full_state=True),
                    "actions": [blockkit.action_payload(block, element, state, action_ts)],
                }
            )
            return self._interactive("block_actions", payload)[0]

        if channel_id is None or message_ts is None:
            raise LocalSlackError("click() needs channel_id and message_ts, or view_id")
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        message: JSON | None
        try:
            stored = self.ws.message(channel.id, message_ts)
            blocks, message, is_ephemeral, thread_ts = stored.blocks, stored.to_slack(), False, stored.thread_ts
        except SlackError:
            try:
                eph = self.ws.ephemeral(channel.id, message_ts, recipient=user.id)
            except SlackError:
                raise LocalSlackError(f"{user.id} sees no message {message_ts} in {channel.id}") from None
            blocks, message, is_ephemeral, thread_ts = eph.blocks, None, True, eph.thread_ts
        block, element, state = self._pick(blocks, action_id, block_id, value, selected)
        values = self._message_state(blocks)
        if element.get("type") not in ("button", "overflow", "workflow_button"):
            values.setdefault(str(block["block_id"]), {})[action_id] = state
        payload = self._base_interaction("block_actions", user)
        payload.update(
            {
                "container": {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel.id,
                    "is_ephemeral": is_ephemeral,
                    **({"thread_ts": thread_ts} if thread_ts else {}),
                },
                "trigger_id": self.ws.issue_trigger(user.id),
                "channel": {"id": channel.id, "name": channel.payload_name},
                # Slack does not include an ephemeral message in the payload.
                **({"message": message} if message is not None else {}),
                "state": {"values": values},
                "response_url": self._response_url(
                    source="message",
                    channel_id=channel.id,
                    user_id=user.id,
                    message_ts=message_ts,
                    is_ephemeral=is_ephemeral,
                    thread_ts=thread_ts,
                ),
                "actions": [blockkit.action_payload(block, element, state, action_ts)],
            }
        )
        return self._interactive("block_actions", payload)[0]

    def _pick(
        self, blocks: list[JSON], action_id: str, block_id: str | None, value: Any, selected: Any
    ) -> tuple[JSON, JSON, JSON]:
        found = blockkit.find_element(blocks, action_id, block_id)
        if found is None:
            available = [el.get("action_id") for _, el in blockkit.iter_elements(blocks)]
            raise LocalSlackError(f"no element with action_id {action_id!r}; there are {available}")
        block, element = found
        try:
            if element.get("type") == "button":
                state = blockkit.state_value(element, value)
            else:
                state = blockkit.state_value(element, selected if selected is not None else value)
        except ValueError as exc:
            raise LocalSlackError(str(exc)) from None
        return block, element, state

    def _message_state(self, blocks: list[JSON]) -> dict[str, dict[str, JSON]]:
        values: dict[str, dict[str, JSON]] = {}
        for block, el in blockkit.iter_elements(blocks):
            if el.get("type") not in ("button", "overflow", "workflow_button"):
                values.setdefault(str(block["block_id"]), {})[str(el["action_id"])] = blockkit.initial_state(el)
        return values

    # ------------------------------------------------------------------ modals

    def _own_view(self, user: User, view_id: str) -> View:
        try:
            view = self.ws.view(view_id)
        except SlackError:
            raise LocalSlackError(f"no open view {view_id!r}") from None
        if view.user_id != user.id:
            raise LocalSlackError(f"view {view_id} belongs to {view.user_id}, not {user.id}")
        return view

    def _top_modal(self, user: User, view_id: str) -> View:
        view = self._own_view(user, view_id)
        stack = self.ws.modal_stack(user.id)
        if view.type != "modal" or not stack or stack[-1].id != view.id:
            raise LocalSlackError(f"view {view_id} is not the modal {user.id} has in front of them")
        return view

    def submit_view(
        self, user_id: str, view_id: str, values: Mapping[str, Mapping[str, Any]] | None = None
    ) -> httpx.Response:
        """``user_id`` fills in ``values`` (``{block_id: {action_id: value}}``) and presses Submit.

        Values are converted to Slack's ``state.values`` shapes by the element type in
        the stored view; untouched inputs keep their initial values. Raises
        :class:`ViewValidationError` where Slack's client would refuse to submit (a
        required input left empty, a text shorter than ``min_length``...).

        The bot's ack is applied: empty closes the modal; ``response_action`` ``errors``
        keeps it open with the errors (see ``LocalSlack.view_errors``), ``update``
        replaces it, ``push`` pushes a new one, ``clear`` closes the whole stack.
        """
        user = self._user(user_id)
        view = self._top_modal(user, view_id)
        if not view.definition.get("submit"):
            raise LocalSlackError(f"view {view_id} has no submit button")
        entered: dict[str, dict[str, JSON]] = {}
        for bid, actions in (values or {}).items():
            for aid, raw in actions.items():
                found = blockkit.find_element(view.blocks, aid, bid)
                if found is None:
                    raise LocalSlackError(f"view {view_id} has no element {bid}/{aid}")
                try:
                    entered.setdefault(bid, {})[aid] = blockkit.state_value(found[1], raw)
                except ValueError as exc:
                    raise LocalSlackError(str(exc)) from None
        self.ws.set_view_state(view.id, entered)
        self.ws.set_view_errors(view.id, {})  # a new submission clears the errors shown before
        view = self.ws.view(view.id)
        problems = _client_side_errors(view)
        if problems:
            raise ViewValidationError(problems)
        payload = self._base_interaction("view_submission", user)
        payload.update(
            {
                "trigger_id": self.ws.issue_trigger(user.id),
                "view": view.to_slack(full_state=True),
                "response_urls": self._view_response_urls(view, user),
            }
        )
        resp, in_time = self._interactive("view_submission", payload)
        if in_time:
            self._apply_view_ack(view, user, resp)
        return resp

    def _view_response_urls(self, view: View, user: User) -> list[JSON]:
        """response_urls for conversation pickers with ``response_url_enabled``."""
        urls: list[JSON] = []
        state = view.full_state()
        for block, el in blockkit.iter_elements(view.blocks):
            if block.get("type") != "input" or not el.get("response_url_enabled"):
                continue
            picked = state.get(str(block["block_id"]), {}).get(str(el["action_id"]), {})
            channel_id = picked.get("selected_conversation") or picked.get("selected_channel")
            if channel_id:
                urls.append(
                    {
                        "block_id": block["block_id"],
                        "action_id": el["action_id"],
                        "channel_id": channel_id,
                        "response_url": self._response_url(source="command", channel_id=channel_id, user_id=user.id),
                    }
                )
        return urls

    def _apply_view_ack(self, view: View, user: User, resp: httpx.Response) -> None:
        text = resp.text.strip()
        if not text:
            self.ws.close_modal(user.id, view.id)
            return
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._bad_view_ack(text, "the ack body is not a JSON object")
            return
        action = data.get("response_action")
        if action is None:
            self.ws.close_modal(user.id, view.id)
        elif action == "errors":
            errors = data.get("errors")
            inputs = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
            if not isinstance(errors, dict) or not errors:
                self._bad_view_ack(data, "errors must be a non-empty object of block_id: message")
            elif unknown := [k for k in errors if k not in inputs]:
                self._bad_view_ack(data, f"errors name blocks that are not input blocks of the view: {unknown}")
            elif bad := [k for k, v in errors.items() if not isinstance(v, str) or not v]:
                self._bad_view_ack(data, f"error messages must be non-empty strings: {bad}")
            else:
                self.ws.set_view_errors(view.id, errors)
        elif action in ("update", "push"):
            new = data.get("view")
            problems = blockkit.validate_view(new)
            if not problems and isinstance(new, dict) and new.get("type") != "modal":
                problems = ["[ERROR] must be modal [json-pointer:/view/type]"]
            if problems:
                self._bad_view_ack(data, *problems)
                return
            assert isinstance(new, dict)
            try:
                if action == "update":
                    self.ws.update_view(new, view_id=view.id)
                else:
                    self.ws.push_modal(user.id, new)
            except SlackError as exc:
                self._bad_view_ack(data, exc.error, *exc.messages)
        elif action == "clear":
            self.ws.close_modal(user.id, view.id, clear=True)
        else:
            self._bad_view_ack(data, f"unknown response_action {action!r}")

    def _bad_view_ack(self, body: Any, *detail: str) -> None:
        # Slack shows "We had some trouble connecting" in the modal; the app gets nothing.
        params = body if isinstance(body, dict) else {"body": body}
        self.ws.record_error(Problem("view_submission", "invalid_response_action", detail, params))

    def close_view(self, user_id: str, view_id: str) -> httpx.Response | None:
        """``user_id`` closes the modal (Cancel / X). Returns the bot's answer to
        ``view_closed`` if the view asked for ``notify_on_close``, else None."""
        user = self._user(user_id)
        view = self._top_modal(user, view_id)
        clear = bool(view.definition.get("clear_on_close"))
        closed = self.ws.close_modal(user.id, view.id, clear=clear)
        if not view.definition.get("notify_on_close"):
            return None
        payload = self._base_interaction("view_closed", user)
        payload.update({"view": closed[-1].to_slack(full_state=True), "is_cleared": clear})
        return self._interactive("view_closed", payload)[0]

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
            "event_id": f"Ev{seq:08d}LOCAL",
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
        return self._deliver(kind, json.dumps(envelope), "application/json", envelope)[0]

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

    def member_joined(self, channel_id: str, user_id: str, inviter: str | None = None) -> httpx.Response | None:
        """Add a member; delivers ``member_joined_channel`` when subscribed and the bot is in the channel."""
        channel = self._channel(channel_id)
        if not self.ws.add_member(channel.id, user_id):
            return None
        if "member_joined_channel" not in self.subscriptions or not self._bot_sees(channel):
            return None
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


def _client_side_errors(view: View) -> dict[str, str]:
    """What Slack's client refuses before sending a view_submission."""
    errors: dict[str, str] = {}
    state = view.full_state()
    for block in view.blocks:
        if block.get("type") != "input":
            continue
        el = block.get("element") or {}
        bid, aid = str(block.get("block_id")), str(el.get("action_id"))
        value = state.get(bid, {}).get(aid, {"type": el.get("type")})
        if blockkit.is_empty(value):
            if not block.get("optional"):
                errors[bid] = "Please complete this required field."
            continue
        kind = el.get("type")
        text = value.get("value")
        if kind == "plain_text_input" and isinstance(text, str):
            if "min_length" in el and len(text) < el["min_length"]:
                errors[bid] = f"Please use at least {el['min_length']} characters."
            elif "max_length" in el and len(text) > el["max_length"]:
                errors[bid] = f"Please use no more than {el['max_length']} characters."
        elif kind == "number_input" and isinstance(text, str):
            try:
                number = float(text) if el.get("is_decimal_allowed") else int(text)
            except ValueError:
                errors[bid] = "Please enter a valid number."
                continue
            if "min_value" in el and number < float(el["min_value"]):
                errors[bid] = f"Please enter a number of at least {el['min_value']}."
            elif "max_value" in el and number > float(el["max_value"]):
                errors[bid] = f"Please enter a number no greater than {el['max_value']}."
        elif kind == "email_text_input" and isinstance(text, str) and "@" not in text:
            errors[bid] = "Please enter a valid email address."
        elif kind == "url_text_input" and isinstance(text, str) and not text.startswith(("http://", "https://")):
            errors[bid] = "Please enter a valid URL."
    return errors


__all__ = ["DEFAULT_SUBSCRIPTIONS", "Driver", "ViewValidationError"]
