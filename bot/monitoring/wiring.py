"""Wires payments monitoring into a running bot (bot.runtime calls attach).

- the payments source: PaymentsClient on PAYMENTS_API_URL (+ token), or, with
  `simulated` (or unset, for embedded use: the CLI refuses to serve without it),
  the built-in simulated biller portal started in-process, every message built
  from it then saying the data is simulated;
- the outbox sender (bot.notify) with its own Web API client, a background
  caller of the gateway (paced, people first), that does not retry connection errors itself (a lost answer would post twice; the outbox
  retries safely, looking for its earlier attempt first);
- the Monitor (deps.monitor), whose tick joins deps.ticks, and the AlertDesk
  (deps.alerts) behind the alert buttons and reactions;
- the intraday outage watch (bot.monitoring.intraday, `monitor.intraday`), whose hourly job joins deps.ticks.
"""

from __future__ import annotations

import logging
from typing import Callable

from bot.deps import Deps
from bot.gateway import Gateway, rate_limit_retry
from bot.monitoring.alerts import AlertDesk
from bot.monitoring.digest import DigestDesk
from bot.monitoring.intraday import IntradayWatch
from bot.monitoring.pipeline import Monitor
from bot.monitoring.posts import day_post_sent
from bot.notify import SIMULATED_NOTE, Notifier
from bot.payments import PaymentsClient
from bot.payments.simulator import Simulator
from bot.settings import SIMULATED

log = logging.getLogger("addon_bot.monitoring")


def make_source(settings) -> tuple[PaymentsClient, list[Callable[[], None]]]:
    """(client, stoppers): the configured payments API, or the built-in simulator."""
    if settings.PAYMENTS_API_URL and not settings.payments_simulated:
        client = PaymentsClient(settings.PAYMENTS_API_URL, settings.PAYMENTS_API_TOKEN)
        return client, [client.close]
    sim = Simulator(seed=0)
    url = sim.start()
    log.info("PAYMENTS_API_URL=%s: reading payments from the built-in simulated biller portal at %s",
             settings.PAYMENTS_API_URL or "(unset)", url)
    client = PaymentsClient(url)
    client.simulated = True  # type: ignore[attr-defined] - read by build(): messages say so
    return client, [client.close, sim.stop]


def sending_client(client: Gateway) -> Gateway:
    """The outbox's client: a background caller, paced by the process's budget (people first),
    waiting out a 429's Retry-After."""
    return client.copy_for(retry_handlers=[rate_limit_retry(client, 2)], background=True)


def build(deps: Deps, source) -> Monitor:
    s = deps.settings
    clock = lambda: deps.clock()  # noqa: E731 - read at call time: tests swap deps.clock
    notifier = Notifier(sending_client(deps.client), deps.session_factory, clock,
                        managers_channel=s.MANAGERS_CHANNEL)
    sent = lambda s_, post: day_post_sent(s_, post, s.MANAGERS_CHANNEL, s.BILLER_PORTAL_URL)  # noqa: E731
    notifier.on_sent["summary"] = sent
    notifier.on_sent["catch_up"] = sent
    if s.PAYMENTS_API_URL == SIMULATED or getattr(source, "simulated", False):
        notifier.data_note = SIMULATED_NOTE
    monitor = Monitor(deps.session_factory, source, notifier, clock=clock, summary_time=s.summary_time,
                      thresholds=s.check_thresholds, managers_channel=s.MANAGERS_CHANNEL, me=notifier.me,
                      default_calendar=s.DEFAULT_CALENDAR)
    monitor.source_token = s.PAYMENTS_API_TOKEN
    monitor.portal_url = s.BILLER_PORTAL_URL
    deps.monitor = monitor
    deps.notifier = notifier
    deps.alerts = AlertDesk(deps.session_factory, deps.service, notifier, clock, s.MANAGERS_CHANNEL,
                            portal_url=s.BILLER_PORTAL_URL)
    deps.digest = DigestDesk(deps.session_factory, notifier, clock, s.DIGEST_TIME, deps.directory.user_tz,
                             s.DEFAULT_TIMEZONE)
    return monitor


def attach(deps: Deps) -> list[Callable[[], None]]:
    """Fill deps.monitor, deps.notifier and deps.alerts; add the tick; return what to stop."""
    source, stoppers = make_source(deps.settings)
    monitor = build(deps, source)
    deps.ticks.append(monitor.tick)
    monitor.intraday = IntradayWatch(deps.session_factory, source, monitor.notifier, clock=monitor.clock,
                                     thresholds=monitor.thresholds, default_calendar=monitor.default_calendar,
                                     managers_channel=monitor.managers_channel)
    deps.ticks.append(monitor.intraday.tick)
    deps.ticks.append(deps.digest.tick)
    return stoppers
