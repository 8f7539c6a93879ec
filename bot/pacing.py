"""Pacing Web API calls by Slack's rate limits, people first.

Slack limits each Web API method per app per workspace by its tier (Tier 1
1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min, "with occasional
bursts"); `chat.postMessage` is special: about one message per second per
channel, short bursts allowed, and a workspace-wide limit besides. Over a
limit Slack answers HTTP 429 with Retry-After (seconds).
https://docs.slack.dev/apis/web-api/rate-limits (and each method's page,
"Rate limits" in its facts box).

One Pacer per process holds a token bucket per method (per channel for
chat.postMessage), shared by every client of the process (bot.gateway):

- a background caller (the daily run, the outbox sender) takes a token only
  while a reserve is left for people, and otherwise waits for the bucket to
  refill, so it rarely meets a 429; after a 429 it waits out Retry-After;
- an interactive caller (a request in the 3-second path, or right after its
  ack) never waits: it takes a token, or goes anyway (Slack may answer 429,
  which the caller reports at once), and its spending is counted so the
  background leaves Slack's bucket the room people used.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# Each method's tier, from its page on docs.slack.dev ("Rate limits"). Methods not listed are not paced.
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
POST = "chat.postMessage"
POST_PER_SECOND_PER_CHANNEL = 1.0
POST_BURST = 3
# Below Slack's rate by this factor, so clocks that disagree a little still meet no 429.
MARGIN = 0.95
# The share of each bucket the background leaves for people (at least one call).
RESERVE = 0.2
# Posts to one channel: the background leaves one of the burst for a person in that channel.
POST_RESERVE = 1.0


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    reserve: float
    tokens: float
    at: float
    paused_until: float = 0.0

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now


class Pacer:
    """Token buckets per Web API method, shared within the process."""

    def __init__(self, *, scale: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_wait: float = 600.0):
        """`scale` multiplies every rate (a workspace that runs faster than Slack, for benchmarks)."""
        self.scale = scale
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait  # a background call never waits longer than this for one token
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.ratelimited: Counter[str] = Counter()  # 429s Slack answered, by method
        self.waited: Counter[str] = Counter()  # seconds background callers waited, by method

    def set_scale(self, scale: float) -> None:
        """Rates `scale` times Slack's from now on (a local workspace relaxed as much)."""
        with self._lock:
            self.scale = scale
            self._buckets.clear()

    @staticmethod
    def paced(method: str) -> bool:
        return method == POST or method in METHOD_TIER

    def _bucket(self, method: str, channel: str, now: float) -> Optional[_Bucket]:
        key = (method, channel if method == POST else "")
        b = self._buckets.get(key)
        if b is not None:
            return b
        if method == POST:
            cap, rate, reserve = POST_BURST, POST_PER_SECOND_PER_CHANNEL * self.scale * MARGIN, POST_RESERVE
        elif method in METHOD_TIER:
            per_min = TIER_PER_MINUTE[METHOD_TIER[method]] * self.scale
            cap, rate = max(1.0, per_min * MARGIN), per_min * MARGIN / 60.0
            reserve = max(1.0, cap * RESERVE) if cap > 2 else 0.0
        else:
            return None
        b = self._buckets[key] = _Bucket(cap, rate, reserve, cap, now)
        return b

    def before(self, method: str, channel: str = "", *, background: bool) -> float:
        """Take a token for one call; a background caller waits for it. Returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                b = self._bucket(method, channel, now)
                if b is None:
                    return waited
                b.refill(now)
                if not background:  # people never wait; what they spend, the background does not
                    b.tokens = max(b.tokens - 1, -b.capacity)
                    return waited
                need = 1 + b.reserve
                if now >= b.paused_until and b.tokens >= need:
                    b.tokens -= 1
                    if waited:
                        self.waited[method] += waited
                    return waited
                wait = max(b.paused_until - now, (need - b.tokens) / b.per_second, 0.001)
            wait = min(wait, max(0.001, self.max_wait - waited))
            if waited >= self.max_wait:
                return waited  # go anyway: Slack's answer (a 429 at worst) is handled by the caller
            self.sleep(wait)
            waited += wait

    def limited(self, method: str, channel: str = "", retry_after: Optional[float] = None) -> None:
        """Slack answered 429: count it, and hold background callers of that bucket for Retry-After."""
        with self._lock:
            self.ratelimited[method] += 1
            now = self.clock()
            b = self._bucket(method, channel, now)
            if b is not None:
                b.refill(now)
                b.tokens = min(b.tokens, 0.0)
                b.paused_until = max(b.paused_until, now + float(retry_after or 1))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.ratelimited)
