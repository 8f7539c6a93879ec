"""The one way out to Slack: every Web API call, ack and response_url post
leaves through here, and everything it carries is rendered by
bot.views.blocks.render_payload (typed text escaped, the bot's own mentions
live). A view cannot forget to escape, because no view escapes.
"""

from __future__ import annotations

import json as _json
from typing import Any, Callable, Optional
from urllib.parse import parse_qs

from slack_bolt.context.ack import Ack
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from bot.pacing import POST, Pacer
from bot.views.blocks import render_payload

# Methods whose arguments are read by people (the rest carry ids and are sent as given).
_SHOWN = ("chat.", "views.", "dialog.")


class Gateway(WebClient):
    """A WebClient whose outgoing messages and views are rendered first, and whose
    calls are paced by Slack's rate limits (bot.pacing): `background` callers wait
    for their share of each method's budget, interactive ones never wait.

    `pacer` is shared by every copy (copy_for), so the process has one budget per
    method; `channel_facts` (bot.channels.ChannelFacts) is what the bot knows of
    channels, shared likewise."""

    def __init__(self, *args: Any, pacer: Optional[Pacer] = None, background: bool = False,
                 channel_facts: Any = None, **kw: Any):
        super().__init__(*args, **kw)
        # slack_sdk's default retries connection errors for every call: a post whose answer was
        # lost would be posted twice. Only repeatable calls keep it.
        self.retry_handlers = without_blind_retries(list(self.retry_handlers))
        self.pacer = pacer or Pacer()
        self.background = background
        self.channel_facts = channel_facts

    def api_call(self, api_method: str, *, http_verb: str = "POST", files: Optional[dict] = None,
                 data: Optional[dict] = None, params: Optional[dict] = None, json: Optional[dict] = None,
                 headers: Optional[dict] = None, auth: Optional[dict] = None) -> SlackResponse:
        if api_method.startswith(_SHOWN):
            json = render_payload(json) if json else json
            data = render_payload(data) if isinstance(data, dict) else data
            params = render_payload(params) if isinstance(params, dict) else params
        channel = _channel_of(json, data, params) if api_method == POST else ""
        self.pacer.before(api_method, channel, background=self.background)
        try:
            return super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params,
                                    json=json, headers=headers, auth=auth)
        except SlackApiError as e:
            if e.response is not None and e.response.status_code == 429:
                self.pacer.limited(api_method, channel, _retry_after(e.response.headers))
            raise

    def copy_for(self, **kw: Any) -> "Gateway":
        """The same client with other settings (timeout, retry handlers, background), the same pacer."""
        args = dict(token=self.token, base_url=self.base_url, timeout=self.timeout, ssl=self.ssl,
                    proxy=self.proxy, headers=self.headers, logger=self.logger,
                    retry_handlers=list(self.retry_handlers), pacer=self.pacer, background=self.background,
                    channel_facts=self.channel_facts)
        args.update(kw)
        args["retry_handlers"] = without_blind_retries(list(args["retry_handlers"]))
        return Gateway(**args)


def _channel_of(*payloads: Any) -> str:
    for p in payloads:
        if isinstance(p, dict) and p.get("channel"):
            return str(p["channel"])
    return ""


def _retry_after(headers: Any) -> Optional[float]:
    for k, v in dict(headers or {}).items():
        if k.lower() == "retry-after":
            v = v[0] if isinstance(v, (list, tuple)) else v
            try:
                return float(v)
            except (TypeError, ValueError):
                return None
    return None


def _rendered(text: Any, blocks: Any, attachments: Any) -> tuple[Any, Any, Any]:
    if isinstance(text, dict):
        return render_payload(text), blocks, attachments
    r = render_payload({"text": text, "blocks": blocks, "attachments": attachments})
    return r["text"], r["blocks"], r["attachments"]


class RenderingAck(Ack):
    """Bolt's ack, with what it answers rendered (message text, modal, errors)."""

    def __call__(self, text: Any = "", blocks: Any = None, attachments: Any = None, unfurl_links=None,
                 unfurl_media=None, response_type=None, options=None, option_groups=None,
                 response_action=None, errors=None, view=None):
        text, blocks, attachments = _rendered(text, blocks, attachments)
        if view is not None or errors is not None:
            r = render_payload({"view": view, "errors": errors})
            view, errors = r["view"], r["errors"]
        return super().__call__(text, blocks, attachments, unfurl_links, unfurl_media, response_type,
                                options, option_groups, response_action, errors, view)


class RenderingRespond(Respond):
    """Bolt's respond (a response_url post), rendered."""

    def __call__(self, text: Any = "", blocks: Any = None, attachments: Any = None, **kw: Any):
        text, blocks, attachments = _rendered(text, blocks, attachments)
        return super().__call__(text, blocks, attachments, **kw)


# views.open / views.push use a trigger_id that expires 3 s after the click:
# waiting out a 429 for them only turns it into expired_trigger_id.
_TRIGGERED = ("/views.open", "/views.push")


# Calls that may be sent again after a lost answer: they read, or set a state to what it already is.
# Everything else (chat.postMessage, chat.postEphemeral, views.open, reactions.add, ...) may have
# taken effect when the connection broke, and a second request would do it twice; Slack has no
# idempotency key for them (https://docs.slack.dev/reference/methods/chat.postMessage), so their
# callers retry through the outbox, which looks for an earlier attempt first (bot.notify).
_REPEATABLE = frozenset({
    "auth.test", "bots.info", "chat.getPermalink", "chat.update", "conversations.history",
    "conversations.info", "conversations.members", "conversations.replies", "conversations.list",
    "reactions.get", "team.info", "users.info", "users.list", "users.lookupByEmail", "views.publish",
    "views.update",
})


def repeatable(url: str) -> bool:
    """Whether the Web API call at `url` can be sent again after a lost answer without doing it twice."""
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] in _REPEATABLE


class ReadRetry(ConnectionErrorRetryHandler):
    """slack_sdk's connection-error retry, for repeatable calls only (see _REPEATABLE)."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return repeatable(request.url) and super()._can_retry(state=state, request=request, response=response,
                                                              error=error)


def without_blind_retries(handlers: list) -> list:
    """`handlers` with every connection-error retry limited to repeatable calls."""
    return [ReadRetry(max_retry_count=h.max_retry_count)
            if isinstance(h, ConnectionErrorRetryHandler) and not isinstance(h, ReadRetry) else h
            for h in handlers]


class PacedRetry(RateLimitErrorRetryHandler):
    """Waits out a 429 (Retry-After) only where waiting harms nobody: never
    before the request is acknowledged (Slack shows operation_timeout after
    3 s, https://api.slack.com/interactivity/handling#acknowledgment_response)
    and never for a call spending a trigger_id. Elsewhere the call fails at
    once and its caller says so. A 429 it waits out is counted by the pacer
    (bot.metrics), which holds the method's background callers meanwhile."""

    def __init__(self, may_wait: Callable[[], bool] = lambda: True, max_retry_count: int = 3,
                 pacer: Optional[Pacer] = None):
        super().__init__(max_retry_count=max_retry_count)
        self.may_wait = may_wait
        self.pacer = pacer

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        if not (self.may_wait() and not request.url.endswith(_TRIGGERED)):
            return False  # not retried: the failure is counted where it is raised (Gateway.api_call)
        if self.pacer is not None:
            method = request.url.rsplit("/", 1)[-1]
            self.pacer.limited(method, _request_channel(request) if method == POST else "",
                               _retry_after(response.headers))
        return True


def _request_channel(request) -> str:
    if isinstance(request.body_params, dict) and request.body_params.get("channel"):
        return str(request.body_params["channel"])
    body = request.data
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body:
        return ""
    try:
        return str((_json.loads(body) or {}).get("channel") or "")
    except ValueError:
        return (parse_qs(body).get("channel") or [""])[0]


def rate_limit_retry(client: Gateway, max_retry_count: int = 3) -> PacedRetry:
    """Waiting out 429s, for a client nobody waits on (the outbox sender, the scheduler's work)."""
    return PacedRetry(max_retry_count=max_retry_count, pacer=client.pacer)


def install(context, client: Gateway) -> None:
    """Route one request's client, ack and respond through the gateway (bot.middleware)."""
    ack = RenderingAck()
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    handlers.append(PacedRetry(lambda: ack.response is not None, pacer=client.pacer))
    context["client"] = client.copy_for(retry_handlers=handlers)
    context["ack"] = ack
    context["respond"] = RenderingRespond(response_url=context.response_url, proxy=client.proxy, ssl=client.ssl)
