"""Posting to the bot as Slack would, and as an attacker would: signed or not, any bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import httpx

from tests.support.harness import SECRET

FORM = "application/x-www-form-urlencoded"


def signed(body: bytes, ts: str | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time())) if ts is None else ts
    sig = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def post(url: str, body: bytes, *, sign: bool = True, ctype: str = FORM, headers: dict | None = None,
         client: httpx.Client | None = None) -> httpx.Response:
    h = {"Content-Type": ctype, **(signed(body) if sign else {}), **(headers or {})}
    c = client or httpx
    return c.post(url, content=body, headers=h, timeout=10)


def interaction(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def command_body(text: str, *, user: str, channel: str, team: str, response_url: str = "",
                 trigger_id: str = "1.2.t") -> bytes:
    return urlencode({"token": "t", "team_id": team, "channel_id": channel, "user_id": user, "user_name": "u",
                      "command": "/addon", "text": text, "response_url": response_url,
                      "trigger_id": trigger_id}).encode()
