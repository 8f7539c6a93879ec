"""Wires payments monitoring into a running bot (bot.runtime calls attach).

- the payments source: PaymentsClient on PAYMENTS_API_URL (+ token), or, when
  unset, the built-in simulated biller portal started in-process;
- the outbox sender (bot.notify) with its own Web API client that does not
  retry connection errors itself (a lost answer would post twice; the outbox
  retries safely, looking for its earlier attempt first);
- the Monitor, whose tick is appended to deps.extras["tick"];
- `/addon summary`, the checklist's summary line, alert buttons and reactions.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Callable, Optional

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.monitoring import Monitor
from bot.monitoring_actions import AlertDesk
from bot.notify import Notifier
from bot.payments import PaymentsClient, Simulator

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


def sending_client(client: WebClient) -> WebClient:
    c = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout)
    c.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=2)]
    return c


def _remember_stmt():
    from sqlalchemy import bindparam, select, update

    from storage.models import DailySummaryRow as Row
    from storage.models import Project

    # Not for a completed project: its rows are locked (the trigger would abort the batch).
    open_ids = select(Project.id).where(Project.id == bindparam("pid"), Project.locked == False)  # noqa: E712
    return (update(Row).where(Row.project_id.in_(open_ids), Row.local_date == bindparam("day"))
            .values(message_ts=bindparam("ts"), channel_id=bindparam("channel")))


_REMEMBER = None


def _remember_summary_ts(s, post) -> None:
    """Where a day's summary message is, on its daily_summary row too."""
    from datetime import date

    global _REMEMBER
    d = (post.payload.get("meta") or {}).get("date")
    if d and post.project_id:
        _REMEMBER = _REMEMBER if _REMEMBER is not None else _remember_stmt()
        s.connection().execute(_REMEMBER, {"pid": post.project_id, "day": date.fromisoformat(d), "ts": post.ts,
                                           "channel": post.channel_id})


def summary_line_for(deps, project_id: int) -> Optional[str]:
    from bot.monitoring_posts import latest_line
    from storage.models import Project

    try:
        with deps.session_factory() as s:
            p = s.get(Project, project_id)
            return latest_line(s, p) if p is not None else None
    except Exception:  # noqa: BLE001 - the checklist shows without it rather than fail
        log.exception("could not read the latest summary of project %s", project_id)
        return None


def build(deps, source, *, stoppers: Optional[list] = None) -> Monitor:
    s = deps.settings
    clock = lambda: deps.clock()  # noqa: E731 - read at call time: tests swap deps.clock
    notifier = Notifier(sending_client(deps.client), deps.session_factory, clock,
                        managers_channel=s.MANAGERS_CHANNEL)
    notifier.on_sent["summary"] = _remember_summary_ts
    monitor = Monitor(deps.session_factory, source, notifier, clock=clock, summary_time=s.summary_time,
                      thresholds=s.check_thresholds, managers_channel=s.MANAGERS_CHANNEL, me=notifier.me)
    monitor.source_token = s.PAYMENTS_API_TOKEN
    deps.extras["monitor"] = monitor
    deps.extras["notifier"] = notifier
    deps.extras["alerts"] = AlertDesk(deps.session_factory, deps.service, notifier, clock, s.MANAGERS_CHANNEL)
    return monitor


def attach(rt) -> None:
    from bot.handlers import alerts

    deps = rt.deps
    source, stops = make_source(deps.settings)
    rt.stoppers.extend(stops)
    monitor = build(deps, source)
    deps.extras.setdefault("commands", {})["Summary"] = alerts.summary_command
    deps.extras["summary_line"] = partial(summary_line_for, deps)
    deps.extras.setdefault("listeners", []).append(alerts.register)
    deps.extras.setdefault("tick", []).append(monitor.tick)
    handled = deps.extras.setdefault("handled", set())
    if isinstance(handled, set):
        handled.add("reaction_added")
    else:
        handled.append("reaction_added")
