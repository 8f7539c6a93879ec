"""What makes the local workspace as strict as Slack about how much and what
it is asked: per-method rate limits by tier, the scopes the app was granted
(from manifest.yml), and the total size of a message's blocks.

Rate limits, https://api.slack.com/apis/rate-limits: each Web API method is in
a tier (Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min, per
app per workspace, "with occasional bursts"); over it, Slack answers HTTP 429
with a Retry-After header (seconds) and `{"ok": false, "error": "ratelimited"}`.
`chat.postMessage` is special: about one message per second per channel,
with short bursts (https://api.slack.com/methods/chat.postMessage#rate_limiting).

Scopes, https://api.slack.com/scopes and each method's page: a method called
without the scope it needs answers `missing_scope` with `needed` and
`provided` (https://api.slack.com/web#errors).

Size: https://api.slack.com/methods/chat.postMessage#errors `msg_blocks_too_long`
("Blocks submitted with this message are too long"); Slack refuses a message
whose blocks carry more than about 12,000 characters of text in all.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# Each method's tier, from its page on api.slack.com ("Rate limits" in the facts box).
METHOD_TIER = {
    "apps.connections.open": 1,
    "auth.test": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "conversations.info": 3,
    "conversations.open": 3,
    "conversations.members": 4,
    "conversations.history": 3,
    "conversations.replies": 3,
    "users.info": 4,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "reactions.add": 3,
    "reactions.remove": 2,
    "reactions.get": 3,
}
# Bursts over a tier's rate that Slack tolerates ("a small amount of burst behavior is
# tolerated" for Tier 1, https://docs.slack.dev/apis/web-api/rate-limits/): an app opening
# its Socket Mode connections (up to 10), or a new one after a refresh, meets no 429.
METHOD_BURST = {"apps.connections.open": 10}
POST_PER_SECOND_PER_CHANNEL = 1.0
POST_BURST = 3
MAX_BLOCKS_TEXT = 12000


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """0 when a call may go now (and takes it), else seconds until one may."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class RateLimiter:
    """Token buckets per method (and per channel for chat.postMessage)."""

    def __init__(self, *, scale: float = 1.0) -> None:
        """`scale` multiplies every rate (the demo may relax it; tests keep 1)."""
        self.scale = scale
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: tuple[str, str], now: float) -> _Bucket | None:
        method, channel = key
        if method == "chat.postMessage":
            cap, rate = POST_BURST * max(1.0, self.scale), POST_PER_SECOND_PER_CHANNEL * self.scale
        elif method in METHOD_TIER:
            per_min = TIER_PER_MINUTE[METHOD_TIER[method]] * self.scale
            cap, rate = max(per_min, METHOD_BURST.get(method, 0)), per_min / 60.0
        else:
            return None
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(cap, rate, cap, now)
        return b

    def retry_after(self, method: str, args: Mapping[str, Any], now: float) -> int:
        """0 when the call may go; else the Retry-After Slack would send (whole seconds)."""
        channel = str(args.get("channel") or "") if method == "chat.postMessage" else ""
        with self._lock:
            b = self._bucket((method, channel), now)
            if b is None:
                return 0
            wait = b.take(now)
        return 0 if wait <= 0 else max(1, math.ceil(wait))


# ---- scopes -----------------------------------------------------------------------------
_BY_KIND = {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}
_FIXED = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write", "users.info": "users:read", "reactions.get": "reactions:read",
    "reactions.add": "reactions:write", "reactions.remove": "reactions:write",
}
_BY_CHANNEL = {"conversations.info": "read", "conversations.members": "read",
               "conversations.history": "history", "conversations.replies": "history"}


def needed_scope(method: str, channel_type: str | None, args: Mapping[str, Any]) -> str | None:
    """The scope `method` needs for this call (None: none needed)."""
    if method in _FIXED:
        return _FIXED[method]
    if method in _BY_CHANNEL and channel_type:
        return f"{_BY_KIND[channel_type]}:{_BY_CHANNEL[method]}"
    if method == "conversations.open":
        users = [u for u in str(args.get("users") or "").split(",") if u]
        return "mpim:write" if len(users) > 1 else "im:write"
    return None


def manifest_scopes(path: Path | None = None) -> frozenset[str]:
    """The bot scopes manifest.yml grants."""
    path = path or Path(__file__).resolve().parents[3] / "manifest.yml"
    data = yaml.safe_load(path.read_text())
    return frozenset(((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or [])


# ---- size -------------------------------------------------------------------------------
def blocks_text_length(blocks: Iterable[Any]) -> int:
    """Characters of text across a message's blocks (every `text` string, at any depth)."""
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    total += len(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return total
