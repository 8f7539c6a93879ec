"""Wires nudges into a running bot (bot.runtime calls attach after monitoring,
whose outbox sender the reminders go through): deps.nudges, its tick, and the
outbox's question before a reminder is first sent (is it still wanted?)."""

from __future__ import annotations

from typing import Callable

from bot.deps import Deps
from bot.nudges.desk import NudgeDesk
from bot.nudges.rules import Thresholds
from storage.nudges import NUDGE_KIND


def thresholds(s) -> Thresholds:
    return Thresholds(handoff=s.NUDGE_HANDOFF_DAYS, item=s.NUDGE_ITEM_DAYS, quiet=s.NUDGE_QUIET_DAYS,
                      stall=s.NUDGE_STALL_DAYS, escalate_after=s.NUDGE_ESCALATE_AFTER)


def attach(deps: Deps) -> list[Callable[[], None]]:
    s = deps.settings
    clock = lambda: deps.clock()  # noqa: E731 - read at call time: tests swap deps.clock
    desk = NudgeDesk(deps.session_factory, deps.notifier, clock, thresholds=thresholds(s),
                     hours=s.nudge_hours, default_calendar=s.DEFAULT_CALENDAR)
    if deps.notifier is not None:
        deps.notifier.still_wanted[NUDGE_KIND] = desk.still_wanted
    deps.nudges = desk
    deps.ticks.append(desk.tick)
    return []
