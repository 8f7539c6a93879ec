"""How the local workspace reads a Web API request as Slack does: the bearer token, and the
arguments from the query string and a form, JSON or multipart body, with JSON-valued
arguments (blocks, attachments, view, metadata) decoded where they arrive as strings."""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .state import SlackError

JSON = dict[str, Any]

# Arguments whose form-encoded value is a JSON document.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")


class _BadBody(ValueError):
    """A request body Slack cannot read; ``code`` is Slack's error for it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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
