"""Wires payments monitoring into a running bot (bot.runtime calls attach).

- the payments source: PaymentsClient on PAYMENTS_API_URL (+ token), or, when
  unset, the built-in simulated biller portal started in-process;
- the outbox sender (bot.notify) with its own Web API client that does not
  retry connection errors itself (a lost answer would post twice; the outbox
  retries safely, looking for its earlier attempt first);
- the Monitor (deps.monitor), whose tick joins deps.ticks, and the AlertDesk
  (deps.alerts) behind the alert buttons and reactions.
"""

from __future__ import annotations

import logging
from typing import Callable

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.deps import Deps
from bot.gateway import Gateway
from bot.monitoring.alerts import AlertDesk
from bot.monitoring.pipeline import Monitor
from bot.notify import Notifier
from bot.payments import PaymentsClient
from bot.payments.simulator import Simulator
from storage import monitoring as store

log = logging.getLogger("addon_bot.monitoring")


def make_source(settings) -> tuple[PaymentsClient, list[Callable[[], None]]]:
    """(client, stoppers): the configured payments API, or the built-in simulator."""
    if settings.PAYMENTS_API_URL:
        client = PaymentsClient(settings.PAYMENTS_API_URL, settings.PAYMENTS_API_TOKEN)
        return client, [client.close]
    sim = Simulator(seed=0)
    url = sim.start()
    log.info("PAYMENTS_API_URL is not set: reading payments from the built-in simulated biller portal at %s", url)
    client = PaymentsClient(url)
    return client, [client.close, sim.stop]


def sending_client(client: Gateway) -> Gateway:
    return client.copy_for(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])


def build(deps: Deps, source) -> Monitor:
    s = deps.settings
    clock = lambda: deps.clock()  # noqa: E731 - read at call time: tests swap deps.clock
    notifier = Notifier(sending_client(deps.client), deps.session_factory, clock,
                        managers_channel=s.MANAGERS_CHANNEL)
    notifier.on_sent["summary"] = store.remember_summary_message
    monitor = Monitor(deps.session_factory, source, notifier, clock=clock, summary_time=s.summary_time,
                      thresholds=s.check_thresholds, managers_channel=s.MANAGERS_CHANNEL, me=notifier.me)
    monitor.source_token = s.PAYMENTS_API_TOKEN
    deps.monitor = monitor
    deps.notifier = notifier
    deps.alerts = AlertDesk(deps.session_factory, deps.service, notifier, clock, s.MANAGERS_CHANNEL)
    return monitor


def attach(deps: Deps) -> list[Callable[[], None]]:
    """Fill deps.monitor, deps.notifier and deps.alerts; add the tick; return what to stop."""
    source, stoppers = make_source(deps.settings)
    monitor = build(deps, source)
    deps.ticks.append(monitor.tick)
    return stoppers
