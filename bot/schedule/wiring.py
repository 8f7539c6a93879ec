"""Wires the project schedule into a running bot (bot.runtime calls attach):
SCHEDULE_API_URL's client, or with `simulated` the built-in simulated schedule
started in-process and seeded; unset, no schedule source (deps.schedule None)."""

from __future__ import annotations

import logging
from typing import Callable

from bot.checklist import schedule_text
from bot.deps import Deps
from bot.schedule.client import ScheduleClient
from bot.schedule.source import ScheduleSource
from bot.settings import SIMULATED

log = logging.getLogger("addon_bot.schedule")


def attach(deps: Deps) -> list[Callable[[], None]]:
    s = deps.settings
    if not s.SCHEDULE_API_URL:
        deps.schedule = None
        return []
    stops: list[Callable[[], None]] = []
    url, token = s.SCHEDULE_API_URL, s.SCHEDULE_API_TOKEN
    if url == SIMULATED:
        from bot.schedule.simulator import ScheduleSimulator, seed  # the simulated schedule only when asked for

        sim = ScheduleSimulator(token="simulated-token")
        seed(sim)
        url, token = sim.start(), "simulated-token"
        deps.schedule_simulator = sim
        stops.append(sim.stop)
        log.info("SCHEDULE_API_URL=simulated: the simulated schedule serves %s", url)
    client = ScheduleClient(url, token)
    deps.schedule = ScheduleSource(client, s.SCHEDULE_PERCENT_COLUMN, s.SCHEDULE_STATUS_FIELD,
                                   s.SCHEDULE_COMPLETE_VALUE, simulated=s.SCHEDULE_API_URL == SIMULATED)
    stops.insert(0, client.close)
    # Monitoring edits the checklist too: its step 4 keeps the schedule's line.
    draw = lambda snap: schedule_text(deps, snap)  # noqa: E731
    for part in (deps.monitor, deps.alerts):
        if part is not None:
            part.schedule_text = draw
    return stops
