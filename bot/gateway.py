"""The one way out to Slack: every Web API call, ack and response_url post
leaves through here, and everything it carries is rendered by
bot.views.blocks.render_payload (typed text escaped, the bot's own mentions
live). A view cannot forget to escape, because no view escapes.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from slack_bolt.context.ack import Ack
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from bot.views.blocks import render_payload

# Methods whose arguments are read by people (the rest carry ids and are sent as given).
_SHOWN = ("chat.", "views.", "dialog.")


class Gateway(WebClient):
    """A WebClient whose outgoing messages and views are rendered first."""

    def api_call(self, api_method: str, *, http_verb: str = "POST", files: Optional[dict] = None,
                 data: Optional[dict] = None, params: Optional[dict] = None, json: Optional[dict] = None,
                 headers: Optional[dict] = None, auth: Optional[dict] = None) -> SlackResponse:
        if api_method.startswith(_SHOWN):
            json = render_payload(json) if json else json
            data = render_payload(data) if isinstance(data, dict) else data
            params = render_payload(params) if isinstance(params, dict) else params
        return super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params,
                                json=json, headers=headers, auth=auth)

    def copy_for(self, **kw: Any) -> "Gateway":
        """The same client with other settings (timeout, retry handlers)."""
        args = dict(token=self.token, base_url=self.base_url, timeout=self.timeout, ssl=self.ssl,
                    proxy=self.proxy, headers=self.headers, logger=self.logger,
                    retry_handlers=list(self.retry_handlers))
        args.update(kw)
        args["retry_handlers"] = without_blind_retries(list(args["retry_handlers"]))
        return Gateway(**args)

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        # slack_sdk's default retries connection errors for every call: a post whose answer was
        # lost would be posted twice. Only repeatable calls keep it.
        self.retry_handlers = without_blind_retries(list(self.retry_handlers))


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
    once and its caller says so."""

    def __init__(self, may_wait: Callable[[], bool], max_retry_count: int = 3):
        super().__init__(max_retry_count=max_retry_count)
        self.may_wait = may_wait

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return self.may_wait() and not request.url.endswith(_TRIGGERED)


def install(context, client: Gateway) -> None:
    """Route one request's client, ack and respond through the gateway (bot.middleware)."""
    ack = RenderingAck()
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    handlers.append(PacedRetry(lambda: ack.response is not None))
    context["client"] = client.copy_for(retry_handlers=handlers)
    context["ack"] = ack
    context["respond"] = RenderingRespond(response_url=context.response_url, proxy=client.proxy, ssl=client.ssl)
