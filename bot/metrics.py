"""What operators see at `GET /metrics` (Prometheus text format, prometheus-client).

Counters of the Slack edge (requests or Socket Mode envelopes by surface and outcome,
acknowledgements slower than 1 s, the Web API's 429s by method)
live in one registry per app (a process may run several, as the tests do); the outbox's depth
and oldest pending age, unreadable payment days and pending cases are read from the database
at scrape time, so every instance reports the same shared state.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger("addon_bot.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SLOW_ACK = 1.0  # seconds: Slack gives up at 3

_GAUGES = {
    "outbox_pending": "Outbox posts waiting to be sent (pending or being sent)",
    "outbox_failed": "Outbox posts that failed their counted attempts (reported, still retried)",
    "outbox_oldest_pending_seconds": "Age of the oldest outbox post still waiting",
    "payment_days_unreadable": "Project-days whose payments source could not be read (source_unavailable)",
    "cases_pending": "Client Services cases stored and not yet delivered",
    "replay_signatures_held": "Signed requests remembered for replay protection",
}


class _DatabaseGauges:
    def __init__(self, read: Callable[[], dict[str, float]]):
        self.read = read

    def collect(self):
        try:
            values = self.read()
        except Exception as e:  # noqa: BLE001 - a scrape reports what it can
            log.warning("metrics: could not read the database: %s", e)
            values = {}
        up = GaugeMetricFamily("addon_bot_database_up", "1 when the database answered this scrape")
        up.add_metric([], 1.0 if values else 0.0)
        yield up
        for name, doc in _GAUGES.items():
            if name in values:
                g = GaugeMetricFamily(f"addon_bot_{name}", doc)
                g.add_metric([], float(values[name]))
                yield g


class _SlackLimits:
    """429s Slack answered, by Web API method (bot.pacing counts them for the whole process)."""

    def __init__(self, read: Callable[[], dict[str, int]]):
        self.read = read

    def collect(self):
        c = CounterMetricFamily("addon_bot_slack_ratelimited", "Web API calls Slack answered 429, by method",
                                labels=["method"])
        for method, n in sorted(self.read().items()):
            c.add_metric([method], float(n))
        yield c


class Metrics:
    def __init__(self, gauges: Optional[Callable[[], dict[str, float]]] = None,
                 ratelimited: Optional[Callable[[], dict[str, int]]] = None):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("addon_bot_requests",
                                "Slack's requests (to /slack/events, or Socket Mode envelopes) by surface and outcome",
                                ["surface", "outcome"], registry=self.registry)
        self.slow_acks = Counter("addon_bot_slow_acks", f"Acknowledgements slower than {SLOW_ACK:g}s, by surface",
                                 ["surface"], registry=self.registry)
        if gauges is not None:
            self.registry.register(_DatabaseGauges(gauges))
        if ratelimited is not None:
            self.registry.register(_SlackLimits(ratelimited))

    def request(self, surface: str, outcome: str, seconds: float = 0.0) -> None:
        self.requests.labels(surface, outcome).inc()
        if seconds > SLOW_ACK:
            self.slow_acks.labels(surface).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def surface_of(body: dict) -> str:
    """command | block_actions | view_submission | event:<type> | <payload type>."""
    if "command" in body and "type" not in body:
        return "command"
    t = body.get("type")
    if t == "event_callback":
        ev = body.get("event")
        et = ev.get("type") if isinstance(ev, dict) else None
        return f"event:{et}" if isinstance(et, str) and et.replace("_", "").isalpha() and len(et) <= 40 else "event"
    return t if isinstance(t, str) and t.replace("_", "").isalpha() and len(t) <= 40 else "unknown"
