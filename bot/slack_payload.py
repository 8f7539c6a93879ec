"""What Slack sends, read strictly (pure): the signature on the raw bytes, the
body's encoding, and the shape of the payload, all before anything else runs.

Slack signs `v0:{timestamp}:{raw body}` with the app's signing secret
(https://api.slack.com/authentication/verifying-requests-from-slack) and a
request older than five minutes is to be refused as a possible replay. Ids and
values of the wrong type are refused here (400), never coerced further in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Optional
from urllib.parse import parse_qsl

MAX_BODY = 1 << 20  # 1 MiB: Slack's payloads are a few KiB; a full modal is well under 100 KiB.
MAX_AGE = 5 * 60  # seconds; Slack's own replay window
MAX_DEPTH = 40  # a view's JSON is ~10 deep; anything far deeper is not from Slack
KNOWN_TYPES = frozenset({
    "block_actions", "view_submission", "view_closed", "shortcut", "message_action",
    "event_callback", "url_verification", "block_suggestion", "app_rate_limited",
})

# Keys that are a string (or null) wherever they appear in a payload.
_STR_KEYS = frozenset({
    "id", "user_id", "channel_id", "team_id", "enterprise_id", "action_id", "block_id", "callback_id",
    "private_metadata", "trigger_id", "response_url", "ts", "thread_ts", "event_ts", "type", "value",
    "selected_user", "selected_channel", "selected_conversation", "selected_date", "selected_time",
    "app_installed_team_id", "api_app_id", "token", "command", "event_id", "user_team", "hash",
    "challenge", "external_id", "root_view_id", "previous_view_id", "bot_id", "app_id",
})
_DICT_KEYS = frozenset({"container", "view", "state", "event", "item", "message", "previous_message",
                        "selected_option", "function_data", "assistant_thread", "initial_option"})
_LIST_OF_DICT_KEYS = frozenset({"actions", "authorizations", "response_urls", "selected_options"})
_LIST_OF_STR_KEYS = frozenset({"selected_users", "selected_channels", "selected_conversations"})
_DICT_OR_STR_KEYS = frozenset({"user", "channel", "team", "enterprise"})


class BadRequest(Exception):
    """The request is refused; `status` is the HTTP answer, the text says why (no body in it)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(secret: str, raw: bytes, timestamp: Optional[str], signature: Optional[str],
           now: Optional[float] = None) -> None:
    """Raise BadRequest(401) unless `signature` signs `raw` at `timestamp` within the window."""
    if not timestamp or not signature:
        raise BadRequest(401, "missing signature or timestamp")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise BadRequest(401, "timestamp is not a number of seconds")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE:
        raise BadRequest(401, "timestamp outside the 5-minute window")
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(("v0=" + digest).encode(), signature.encode("utf-8", "replace")):
        raise BadRequest(401, "signature does not match")


def decode(raw: bytes, content_type: Optional[str]) -> tuple[str, dict]:
    """(the body as text, the parsed payload) or BadRequest(400) saying what was wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "body is not UTF-8") from None
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/json":
        body = _json(text, "body")
    elif ctype in ("application/x-www-form-urlencoded", ""):
        try:
            form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=200))
        except ValueError:
            raise BadRequest(400, "form body is malformed") from None
        body = _json(form["payload"], "payload") if "payload" in form else form
        if "payload" not in form and not form.get("command", "").startswith("/"):
            raise BadRequest(400, "form body is neither a command nor an interaction payload")
    else:
        raise BadRequest(400, f"unsupported content type {ctype[:40]!r}")
    problem = shape_problem(body)
    if problem:
        raise BadRequest(400, problem)
    return text, body


def _json(text: str, what: str) -> dict:
    try:
        v = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest(400, f"{what} is not valid JSON") from None
    if not isinstance(v, dict):
        raise BadRequest(400, f"{what} is not a JSON object")
    return v


def shape_problem(body: dict) -> Optional[str]:
    """What is wrong with the payload's shape, or None. Form commands are all strings already."""
    if "command" in body and "type" not in body:
        return None
    t = body.get("type")
    if not isinstance(t, str) or t not in KNOWN_TYPES:
        return f"unknown payload type {str(t)[:40]!r}"
    problem = _walk(body, "", 0)
    if problem:
        return problem
    if t == "block_actions" and not body.get("actions"):
        return "block_actions without actions"
    if t in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict):
            return "view submission without a view"
        values = (view.get("state") or {}).get("values") or {}
        if not isinstance(values, dict) or any(
                not isinstance(b, dict) or any(not isinstance(e, dict) for e in b.values()) for b in values.values()):
            return "view.state.values is not an object of objects"
    if t == "event_callback" and not isinstance(body.get("event"), dict):
        return "event_callback without an event"
    return None


def _walk(v: Any, path: str, depth: int) -> Optional[str]:
    if depth > MAX_DEPTH:
        return "payload nested too deeply"
    if isinstance(v, list):
        for i, x in enumerate(v):
            p = _walk(x, f"{path}[{i}]", depth + 1)
            if p:
                return p
        return None
    if not isinstance(v, dict):
        return None
    if v.get("type") == "data_visualization":
        return None  # a chart of ours echoed in a message: its points' `value`s are numbers, never read
    for k, x in v.items():
        where = f"{path}.{k}" if path else k
        if k in _STR_KEYS and x is not None and not isinstance(x, str):
            return f"{where[:80]} must be a string"
        if k in _DICT_KEYS and x is not None and not isinstance(x, dict):
            return f"{where[:80]} must be an object"
        if k in _DICT_OR_STR_KEYS and x is not None and not isinstance(x, (dict, str)):
            return f"{where[:80]} must be an object or a string"
        if k in _LIST_OF_DICT_KEYS and x is not None and (
                not isinstance(x, list) or not all(isinstance(e, dict) for e in x)):
            return f"{where[:80]} must be a list of objects"
        if k in _LIST_OF_STR_KEYS and x is not None and (
                not isinstance(x, list) or not all(isinstance(e, str) for e in x)):
            return f"{where[:80]} must be a list of strings"
        p = _walk(x, where, depth + 1)
        if p:
            return p
    return None
