"""Slack's Web API (``/api/{method}``) and response_url endpoint over a :class:`Workspace`.

:class:`WebAPI` holds the Slack semantics (authentication, argument parsing, Block Kit
validation, who may post where, Slack's answer shapes and error codes);
:meth:`WebAPI.asgi_app` wraps it in a small Starlette app;
:meth:`WebAPI.lose_answer` makes a call take effect and lose its answer (a 5xx, a
dropped connection). Every call is recorded in
``Workspace.calls``, every refusal in ``Workspace.errors``, and a message with blocks but
no fallback ``text`` in ``Workspace.warnings`` (Slack accepts it).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import copy
import email.parser
import email.policy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from . import blockkit, limits
from .socketmode import SocketModeHub
from .state import Channel, Problem, ResponseUrl, SlackError, Workspace

JSON = dict[str, Any]

MAX_TEXT_CHARS = 40_000
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'\-]+(::skin-tone-[2-6])?$")
# Arguments whose form-encoded value is a JSON document.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")
# response_url refusals that mean "this URL can no longer be used".
_DEAD_URL = {"invalid_url", "expired_url", "used_url"}


class _BadBody(ValueError):
    """A request body Slack cannot read; ``code`` is Slack's error for it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _MissingScope(SlackError):
    """``missing_scope``, with what was needed and what the token has."""

    def __init__(self, needed: str, provided: frozenset[str]) -> None:
        super().__init__("missing_scope")
        self.needed, self.provided = needed, provided


@dataclass
class _Injected:
    error: str
    remaining: int
    status: int
    retry_after: int | None


# The status of an answer lost after the call took effect: the connection is dropped, no answer at all.
DROPPED = 0


@dataclass
class _Lost:
    """A call that takes effect, then loses its answer: a 5xx from a proxy, or a dropped connection."""

    remaining: int
    status: int  # 5xx, or DROPPED
    channel: str | None  # only calls about this channel (None: any)


# The server's own ASGI ``send`` for the request being handled (set by the app's outer wrapper).
_RAW_SEND: contextvars.ContextVar[Any] = contextvars.ContextVar("localslack_raw_send")


def _drop_connection() -> None:
    """Close the request's TCP connection at once: uvicorn's transport, reached through the raw
    ASGI ``send`` (a bound method of its request cycle). What is sent after it goes nowhere."""
    transport = getattr(getattr(_RAW_SEND.get(None), "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the connection to drop it")
    transport.abort()


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _json_arg(args: Mapping[str, Any], name: str, error: str) -> Any:
    """A JSON argument that may arrive decoded (JSON body) or as a string (form body)."""
    value = args.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error, [f"[ERROR] {name} is not valid JSON"]) from None
    return value


def _decoded_for_record(args: Mapping[str, Any]) -> JSON:
    out = dict(args)
    for name in _JSON_ARGS:
        if isinstance(out.get(name), str):
            with contextlib.suppress(ValueError):  # keep what was sent if it is not JSON
                out[name] = json.loads(out[name])
    return out


class WebAPI:
    """The Slack Web API as one bot token sees it."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        token: str,
        public_url: Callable[[], str],
        chat_write_public: bool = False,
        strict: bool = True,
        rate_scale: float = 1.0,
        app_token: str | None = None,
        app_token_scopes: tuple[str, ...] = ("connections:write",),
    ) -> None:
        """``public_url()`` gives this server's base URL (for response_urls);
        ``chat_write_public`` grants the chat:write.public scope (post to public
        channels the bot is not in); ``app_token`` is the app-level token (``xapp-…``)
        with ``app_token_scopes``, the only token ``apps.connections.open`` takes."""
        self.ws = workspace
        self.token = token
        self.app_token = app_token
        self.app_token_scopes = frozenset(app_token_scopes)
        self.socket = SocketModeHub(workspace, public_url=public_url, app_id=workspace.app_id)
        self.public_url = public_url
        self.chat_write_public = chat_write_public
        self._injected: dict[str, _Injected] = {}
        self._lost: dict[str, _Lost] = {}
        # Strict (the default, as Slack is): rate limits by tier, manifest.yml's scopes (bot.sandbox.localslack.limits).
        self.limiter: limits.RateLimiter | None = limits.RateLimiter(scale=rate_scale) if strict else None
        self.scopes: frozenset[str] | None = limits.manifest_scopes() if strict else None
        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "apps.connections.open": self.apps_connections_open,
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.info": self.conversations_info,
            "conversations.open": self.conversations_open,
            "conversations.members": self.conversations_members,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "users.info": self.users_info,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "reactions.add": self.reactions_add,
            "reactions.remove": self.reactions_remove,
            "reactions.get": self.reactions_get,
        }

    # ------------------------------------------------------------------ entry points

    def response_url(self, token: str) -> str:
        return f"{self.public_url().rstrip('/')}/response/{token}"

    def inject_error(
        self, method: str, error: str, *, times: int = 1, status: int = 200, retry_after: int | None = None
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``error``.

        ``inject_error("chat.postMessage", "ratelimited", status=429, retry_after=1)``
        answers as Slack's rate limiter does (HTTP 429 with Retry-After).
        """
        self._injected[method] = _Injected(error, times, status, retry_after)

    def lose_answer(self, method: str, *, status: int = 502, times: int = 1, channel: str | None = None) -> None:
        """Let the next ``times`` calls of ``method`` take effect (a message is posted), then lose
        the answer: HTTP ``status`` (a 5xx, with the body a load balancer sends) or, with
        ``status=DROPPED``, a connection closed before any answer. The caller cannot tell whether
        Slack acted; Slack's docs say a request may have been processed when no answer came:
        https://docs.slack.dev/apis/web-api/#responses and a 5xx is not a refusal:
        https://docs.slack.dev/apis/web-api/rate-limits (retry with backoff, idempotently).
        ``channel``: only calls whose ``channel`` argument is this one."""
        self._lost[method] = _Lost(times, status, channel)

    def call(self, method: str, args: JSON, token: str | None) -> tuple[int, JSON, dict[str, str]]:
        """Run one Web API call: (HTTP status, JSON body, extra headers)."""
        self.ws.record_call(method, _decoded_for_record(args))
        headers: dict[str, str] = {}
        status = 200
        try:
            if not token:
                raise SlackError("not_authed")
            self._authenticate(method, token)
            injected = self._injected.get(method)
            if injected is not None and injected.remaining > 0:
                injected.remaining -= 1
                status = injected.status
                if injected.retry_after is not None:
                    headers["Retry-After"] = str(injected.retry_after)
                raise SlackError(injected.error, ["[ERROR] injected by the test"])
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            if self.scopes is not None:
                channel = self.ws.find_channel(str(args.get("channel") or ""))
                needed = limits.needed_scope(method, channel.channel_type if channel else None, args)
                if needed and needed not in self.scopes:
                    body = self._refuse(method, SlackError("missing_scope"), args)
                    return 200, {**body, "needed": needed, "provided": ",".join(sorted(self.scopes))}, headers
            if self.limiter is not None:
                wait = self.limiter.retry_after(method, args, self.ws.now())
                if wait:
                    self.ws.record_rate_limited(method)
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
            body = {"ok": True, **handler(args)}
            lost = self._lost.get(method)
            if lost is not None and lost.remaining > 0 and lost.channel in (None, args.get("channel")):
                lost.remaining -= 1
                self.ws.record_lost_answer(method, lost.status)
                return lost.status, {}, headers
            return 200, body, headers
        except _MissingScope as exc:
            body = self._refuse(method, exc, args)
            return 200, {**body, "needed": exc.needed, "provided": ",".join(sorted(exc.provided))}, headers
        except SlackError as exc:
            return status, self._refuse(method, exc, args), headers

    def _authenticate(self, method: str, token: str) -> None:
        """App-level tokens call only apps.connections.open, and only they may
        (https://docs.slack.dev/reference/methods/apps.connections.open/: a bot token
        there is ``not_allowed_token_type``; https://docs.slack.dev/authentication/tokens/#app-level)."""
        is_app = self.app_token is not None and token == self.app_token
        if token != self.token and not is_app:
            raise SlackError("invalid_auth")
        if (method == "apps.connections.open") != is_app:
            raise SlackError("not_allowed_token_type")
        if is_app and "connections:write" not in self.app_token_scopes:
            raise _MissingScope("connections:write", self.app_token_scopes)

    def _refuse(self, method: str, exc: SlackError, args: Mapping[str, Any]) -> JSON:
        self.ws.record_error(Problem(method, exc.error, tuple(exc.messages), _decoded_for_record(args)))
        body: JSON = {"ok": False, "error": exc.error}
        if exc.error == "invalid_blocks":
            body["errors"] = [m.removeprefix("[ERROR] ") for m in exc.messages]
        if exc.messages:
            body["response_metadata"] = {"messages": list(exc.messages)}
        return body

    def respond(self, token: str, payload: JSON) -> tuple[int, JSON]:
        """A POST to a response_url: (HTTP status, JSON body)."""
        self.ws.record_call("response_url", payload)
        try:
            ru = self.ws.use_response_url(token)
            self.apply_response(ru, payload, method="response_url")
            return 200, {"ok": True}
        except SlackError as exc:
            return (404 if exc.error in _DEAD_URL else 400), self._refuse("response_url", exc, payload)

    def apply_response(self, ru: ResponseUrl, payload: JSON, *, method: str) -> None:
        """What Slack does with a message sent to a response_url (or in a command's ack).

        From a message action: ``delete_original`` deletes the source message,
        ``replace_original`` replaces it (ephemeral or not); otherwise a new message is
        posted, ephemeral to the user unless ``response_type`` is ``in_channel``. From a
        slash command there is no original: replace/delete flags are ignored.
        """
        from_message = ru.source == "message" and ru.message_ts is not None
        if from_message and _bool(payload.get("delete_original")):
            if ru.is_ephemeral:
                self.ws.delete_ephemeral(ru.channel_id, str(ru.message_ts))
            else:
                self.ws.delete_message(ru.channel_id, str(ru.message_ts), by_user=None)
            return
        text, blocks, attachments = self._content(payload)
        self._warn_fallback(method, payload, text, blocks)
        if from_message and _bool(payload.get("replace_original")):
            if ru.is_ephemeral:
                self.ws.replace_ephemeral(
                    ru.channel_id, str(ru.message_ts), text=text or "", blocks=blocks, attachments=attachments
                )
            else:
                original = self.ws.message(ru.channel_id, str(ru.message_ts))
                self.ws.update_message(
                    ru.channel_id,
                    original.ts,
                    by_user=original.user,
                    text=text or "",
                    blocks=blocks or [],
                    attachments=attachments or [],
                    mark_edited=False,
                )
            return
        # A new message answering a message in a thread stays in that thread unless told otherwise.
        thread_ts = payload.get("thread_ts") or ru.thread_ts or None
        if payload.get("response_type") == "in_channel":
            self.ws.post_message(
                ru.channel_id,
                user_id=self.ws.bot_user_id,
                text=text or "",
                blocks=blocks,
                attachments=attachments,
                thread_ts=thread_ts,
            )
        else:
            self.ws.post_ephemeral(
                ru.channel_id, ru.user_id, text=text or "", blocks=blocks, attachments=attachments, thread_ts=thread_ts
            )

    # ------------------------------------------------------------------ HTTP

    def asgi_app(self) -> Callable[..., Any]:
        async def api(request: Request) -> Response:
            method = request.path_params["method"]
            try:
                args = await _parse_args(request)
            except _BadBody as exc:
                self.ws.record_call(method, {})
                return JSONResponse(self._refuse(method, SlackError(exc.code), {}))
            token = _bearer(request) or (args.pop("token", None) if request.method == "POST" else None)
            args.pop("token", None)
            status, body, headers = self.call(method, args, token)
            if status == DROPPED:  # the call took effect; its answer never leaves
                _drop_connection()
                return PlainTextResponse("", status_code=500)
            if status >= 500 and not body:  # what a proxy in front of Slack answers: not JSON
                return PlainTextResponse(f"<html><body>{status} Bad Gateway</body></html>", status_code=status,
                                         media_type="text/html")
            return JSONResponse(body, status_code=status, headers=headers)

        async def response_url(request: Request) -> Response:
            try:
                payload = await _parse_args(request)
            except _BadBody:
                return PlainTextResponse("invalid_payload", status_code=400)
            status, body = self.respond(request.path_params["token"], payload)
            return JSONResponse(body, status_code=status)

        async def health(_: Request) -> Response:
            return PlainTextResponse("ok")

        app = Starlette(
            routes=[
                Route("/api/{method}", api, methods=["GET", "POST"]),
                Route("/response/{token:path}", response_url, methods=["POST"]),
                WebSocketRoute("/link/", self.socket.endpoint),
                Route("/", health, methods=["GET"]),
            ]
        )

        async def outer(scope: Any, receive: Any, send: Any) -> None:
            token = _RAW_SEND.set(send)
            try:
                await app(scope, receive, send)
            finally:
                _RAW_SEND.reset(token)

        return outer  # type: ignore[return-value]

    # ------------------------------------------------------------------ helpers

    def _resolve(self, ref: Any, *, allow_user: bool = False) -> Channel:
        """A channel argument: an ID, ``#name``, or (chat.postMessage) a user ID for their DM."""
        if not ref or not isinstance(ref, str):
            raise SlackError("channel_not_found")
        if ref.startswith("#"):
            channel = self.ws.channel_by_name(ref[1:])
        elif allow_user and ref[0] in "UW" and self.ws.find_user(ref) is not None:
            channel = self.ws.dm_channel(ref)
        else:
            channel = self.ws.find_channel(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _visible(self, channel: Channel) -> Channel:
        """Private channels, DMs and group DMs do not exist for a bot outside them."""
        if (channel.is_private or channel.is_im or channel.is_mpim) and self.ws.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def _can_post(self, channel: Channel) -> Channel:
        self._visible(channel)
        if self.ws.bot_user_id not in channel.members and not self.chat_write_public:
            raise SlackError("not_in_channel")
        return channel

    def _content(
        self, args: Mapping[str, Any], *, require: bool = True
    ) -> tuple[str | None, list[JSON] | None, list[JSON] | None]:
        """(text, blocks, attachments) of a message payload, validated as Slack does."""
        blocks = _json_arg(args, "blocks", "invalid_blocks_format")
        if blocks is not None and not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format", ["[ERROR] blocks must be an array"])
        attachments = _json_arg(args, "attachments", "invalid_attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise SlackError("invalid_attachments")
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        if require and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if text and len(text) > MAX_TEXT_CHARS:
            raise SlackError("msg_too_long")
        if blocks:
            problems = blockkit.validate_message_blocks(blocks)
            if problems:
                raise SlackError("invalid_blocks", problems)
            if self.limiter is not None and limits.blocks_text_length(blocks) > limits.MAX_BLOCKS_TEXT:
                raise SlackError("msg_blocks_too_long")
        return text, blocks, attachments

    def _warn_fallback(self, method: str, args: Mapping[str, Any], text: str | None, blocks: list[JSON] | None) -> None:
        if blocks and not text:
            self.ws.record_warning(
                Problem(
                    method,
                    "missing_fallback_text",
                    ("blocks sent without top-level text: notifications and screen readers show nothing",),
                    _decoded_for_record(args),
                )
            )

    def _view_arg(self, args: Mapping[str, Any], *, kinds: tuple[str, ...]) -> JSON:
        view = _json_arg(args, "view", "invalid_arguments")
        if view is None:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: view"])
        problems = blockkit.validate_view(view)
        if not problems and view.get("type") not in kinds:
            problems = [f"[ERROR] must be one of {', '.join(kinds)} [json-pointer:/view/type]"]
        if problems:
            # Slack answers invalid view payloads with invalid_arguments, not invalid_blocks.
            raise SlackError("invalid_arguments", problems)
        assert isinstance(view, dict)
        return view

    def _message_in(self, args: Mapping[str, Any], ts_name: str) -> tuple[Channel, str]:
        channel = self._visible(self._resolve(args.get("channel")))
        ts = args.get(ts_name)
        if not ts:
            raise SlackError("message_not_found")
        self.ws.message(channel.id, str(ts))
        return channel, str(ts)

    def _permalink(self, channel_id: str, ts: str) -> str:
        message = self.ws.message(channel_id, ts)
        link = f"https://{self.ws.internal_team.domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel_id}"
        return link

    # ------------------------------------------------------------------ methods

    def apps_connections_open(self, args: JSON) -> JSON:
        """A one-time WebSocket URL for Socket Mode (see :mod:`.socketmode`)."""
        return {"url": self.socket.issue_url()}

    def auth_test(self, args: JSON) -> JSON:
        team = self.ws.internal_team
        return {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": self.ws.bot_name,
            "team_id": team.id,
            "user_id": self.ws.bot_user_id,
            "bot_id": self.ws.bot_id,
            "is_enterprise_install": False,
        }

    def chat_post_message(self, args: JSON) -> JSON:
        channel = self._can_post(self._resolve(args.get("channel"), allow_user=True))
        text, blocks, attachments = self._content(args)
        metadata = _json_arg(args, "metadata", "invalid_metadata_format")
        message = self.ws.post_message(
            channel.id,
            user_id=self.ws.bot_user_id,
            text=text or "",
            blocks=blocks,
            attachments=attachments,
            thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
            reply_broadcast=_bool(args.get("reply_broadcast")),
            metadata=metadata,
        )
        self._warn_fallback("chat.postMessage", args, text, blocks)
        return {"channel": channel.id, "ts": message.ts, "message": message.to_slack()}

    def chat_update(self, args: JSON) -> JSON:
        channel = self._visible(self._resolve(args.get("channel")))
        ts = args.get("ts")
        if not ts:
            raise SlackError("message_not_found")
        text, blocks, attachments = self._content(args)
        message = self.ws.update_message(
            channel.id,
            str(ts),
            by_user=self.ws.bot_user_id,
            text=text if "text" in args else None,
            blocks=blocks if "blocks" in args else None,
            attachments=attachments if "attachments" in args else None,
        )
        self._warn_fallback("chat.update", args, text, blocks)
        answer = message.to_slack()
        answer.pop("reactions", None)
        return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": answer}

    def chat_delete(self, args: JSON) -> JSON:
        channel = self._visible(self._resolve(args.get("channel")))
        ts = args.get("ts")
        if not ts:
            raise SlackError("message_not_found")
        self.ws.delete_message(channel.id, str(ts), by_user=self.ws.bot_user_id)
        return {"channel": channel.id, "ts": str(ts)}

    def chat_post_ephemeral(self, args: JSON) -> JSON:
        channel = self._can_post(self._resolve(args.get("channel")))
        user_id = args.get("user")
        if not user_id or self.ws.find_user(str(user_id)) is None:
            raise SlackError("user_not_found")
        if str(user_id) not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = self._content(args)
        eph = self.ws.post_ephemeral(
            channel.id,
            str(user_id),
            text=text or "",
            blocks=blocks,
            attachments=attachments,
            thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
        )
        self._warn_fallback("chat.postEphemeral", args, text, blocks)
        return {"message_ts": eph.ts}

    def chat_get_permalink(self, args: JSON) -> JSON:
        channel, ts = self._message_in(args, "message_ts")
        return {"channel": channel.id, "permalink": self._permalink(channel.id, ts)}

    def conversations_info(self, args: JSON) -> JSON:
        channel = self._visible(self._resolve(args.get("channel")))
        return {
            "channel": channel.to_slack(
                viewer=self.ws.bot_user_id,
                external_team_id=self.ws.external_team.id,
                num_members=_bool(args.get("include_num_members")),
            )
        }

    def conversations_open(self, args: JSON) -> JSON:
        if args.get("channel"):
            channel = self._visible(self._resolve(args.get("channel")))
            existed = True
        else:
            users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
            if not users:
                raise SlackError("users_list_not_supplied")
            for uid in users:
                if self.ws.find_user(uid) is None:
                    raise SlackError("user_not_found")
            others = [u for u in users if u != self.ws.bot_user_id] or users
            before = set(self.ws.channels)
            channel = self.ws.dm_channel(others[0]) if len(others) == 1 else self.ws.mpim_channel(others)
            existed = channel.id in before
        answer: JSON
        if _bool(args.get("return_im")):
            answer = channel.to_slack(viewer=self.ws.bot_user_id, external_team_id=self.ws.external_team.id)
        else:
            answer = {"id": channel.id}
        out: JSON = {"channel": answer}
        if existed:
            out.update({"no_op": True, "already_open": True})
        return out

    def conversations_members(self, args: JSON) -> JSON:
        channel = self._visible(self._resolve(args.get("channel")))
        members = sorted(channel.members)
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(base64.b64decode(args["cursor"]).decode().split(":")[1]) if args.get("cursor") else 0
        page = members[start : start + limit]
        following = start + limit
        cursor = base64.b64encode(f"offset:{following}".encode()).decode() if following < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def conversations_history(self, args: JSON) -> JSON:
        channel = self._visible(self._resolve(args.get("channel")))
        top = [m for m in self.ws.messages(channel.id) if not m.is_reply or m.reply_broadcast]
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        newest_first = [m.to_slack() for m in reversed(top)][:limit]
        return {"messages": newest_first, "has_more": len(top) > limit, "pin_count": 0}

    def conversations_replies(self, args: JSON) -> JSON:
        channel = self._visible(self._resolve(args.get("channel")))
        ts = args.get("ts")
        if not ts:
            raise SlackError("thread_not_found")
        try:
            thread = self.ws.thread(channel.id, str(ts))
        except SlackError:
            raise SlackError("thread_not_found") from None
        return {"messages": [m.to_slack() for m in thread], "has_more": False}

    def users_info(self, args: JSON) -> JSON:
        user = self.ws.find_user(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        out = user.to_slack()
        if _bool(args.get("include_locale")):
            out["locale"] = "en-US"
        return {"user": out}

    def views_open(self, args: JSON) -> JSON:
        view = self._view_arg(args, kinds=("modal",))
        user_id = self.ws.exchange_trigger(args.get("trigger_id"))
        return {"view": self.ws.open_modal(user_id, view).to_slack()}

    def views_push(self, args: JSON) -> JSON:
        view = self._view_arg(args, kinds=("modal",))
        user_id = self.ws.exchange_trigger(args.get("trigger_id"))
        return {"view": self.ws.push_modal(user_id, view).to_slack()}

    def views_update(self, args: JSON) -> JSON:
        view_id, external_id = args.get("view_id") or None, args.get("external_id") or None
        if view_id and external_id:
            raise SlackError("invalid_arguments", ["[ERROR] Cannot provide both `view_id` and `external_id`"])
        if not view_id and not external_id:
            raise SlackError("invalid_arguments", ["[ERROR] Must provide either `view_id` or `external_id`"])
        view = self._view_arg(args, kinds=("modal", "home"))
        updated = self.ws.update_view(view, view_id=view_id, external_id=external_id, hash=args.get("hash") or None)
        return {"view": updated.to_slack()}

    def views_publish(self, args: JSON) -> JSON:
        user_id = str(args.get("user_id") or "")
        if self.ws.find_user(user_id) is None:
            raise SlackError("user_not_found")
        view = self._view_arg(args, kinds=("home",))
        return {"view": self.ws.publish_home(user_id, view, hash=args.get("hash") or None).to_slack()}

    def _reaction_args(self, args: JSON) -> tuple[Channel, str, str]:
        if not args.get("channel") or not args.get("timestamp"):
            raise SlackError("no_item_specified")
        channel, ts = self._message_in(args, "timestamp")
        name = str(args.get("name") or "").strip(":")
        if not _EMOJI_NAME.match(name):
            raise SlackError("invalid_name")
        return channel, ts, name

    def reactions_add(self, args: JSON) -> JSON:
        channel, ts, name = self._reaction_args(args)
        self.ws.add_reaction(channel.id, ts, self.ws.bot_user_id, name)
        return {}

    def reactions_remove(self, args: JSON) -> JSON:
        channel, ts, name = self._reaction_args(args)
        self.ws.remove_reaction(channel.id, ts, self.ws.bot_user_id, name)
        return {}

    def reactions_get(self, args: JSON) -> JSON:
        if not args.get("channel") or not args.get("timestamp"):
            raise SlackError("no_item_specified")
        channel, ts = self._message_in(args, "timestamp")
        message = self.ws.message(channel.id, ts).to_slack()
        message["permalink"] = self._permalink(channel.id, ts)
        return {"type": "message", "channel": channel.id, "message": message}


# --------------------------------------------------------------------------- parsing


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


async def _parse_args(request: Request) -> JSON:
    """Arguments as Slack reads them: query string, then a form, JSON or multipart body."""
    args: JSON = dict(request.query_params)
    args.pop("token", None)  # Slack no longer accepts tokens in query strings
    raw = await request.body()
    ctype = request.headers.get("content-type", "").lower()
    if not raw:
        return args
    if ctype.startswith("application/json"):
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise _BadBody("invalid_json") from None
        if not isinstance(body, dict):
            raise _BadBody("invalid_json")
        args.update(body)
    elif ctype.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + raw
        )
        if not message.is_multipart():
            raise _BadBody("invalid_form_data")
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if name and isinstance(payload, bytes):
                args[str(name)] = payload.decode("utf-8", errors="replace")
    else:
        try:
            args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            raise _BadBody("invalid_form_data") from None
    return copy.deepcopy(args)
