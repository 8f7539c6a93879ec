"""Wires the Client Services part into a running bot (bot.runtime calls attach).

Reads CS_HANDOFF_FILE (a bad file stops start-up with one line naming it),
builds the case intake client when CS_CASES_URL is set, and fills
deps.cases and deps.handoffs; the case delivery joins the tick. The
listeners are bot.handlers.cs and bot.handlers.mentions.
"""

from __future__ import annotations

import logging
from typing import Callable

from bot.checklist import refresh_checklist
from bot.cs.cases import CaseDesk
from bot.deps import Deps
from bot.cs.content import DEFAULT_FILE, load_handoff
from bot.cs.handoff import POST_KIND, HandoffDesk
from bot.cs.intake import IntakeClient

log = logging.getLogger("addon_bot.cs")

INTAKE_TIMEOUT = 10.0  # seconds per attempt; a slower intake is retried with the same key


def attach(deps: Deps) -> list[Callable[[], None]]:
    """Fill deps.cases and deps.handoffs; add the case delivery to the tick; return what to stop."""
    s = deps.settings
    content = load_handoff(s.CS_HANDOFF_FILE)
    if content.builtin:
        log.warning("CS_HANDOFF_FILE is not set: the handoff uses the built-in Client Services details "
                    "in %s; the preview says so before anything is sent", DEFAULT_FILE)
    intake = None
    stoppers: list[Callable[[], None]] = []
    if s.CS_CASES_URL:
        intake = IntakeClient(s.CS_CASES_URL, s.CS_CASES_TOKEN, timeout=INTAKE_TIMEOUT)
        stoppers.append(intake.close)
    elif s.CS_CHANNEL:
        log.info("CS_CASES_URL is not set: Client Services cases are posted to CS_CHANNEL %s", s.CS_CHANNEL)
    else:
        log.warning("neither CS_CASES_URL nor CS_CHANNEL is set: `/addon case` will refuse")
    deps.cases = CaseDesk(deps, intake)
    deps.handoffs = HandoffDesk(deps, content)
    if deps.notifier is None:
        raise RuntimeError("the Client Services part posts through the outbox: attach monitoring first")
    deps.notifier.on_sent[POST_KIND] = deps.handoffs.recorded
    # Confirmed on the tick (after a lost answer): the checklist shows it then.
    deps.notifier.after_sent[POST_KIND] = lambda post: refresh_checklist(deps, post.project_id)
    deps.ticks.append(deps.cases.tick)
    return stoppers
