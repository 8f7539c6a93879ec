"""Wires the Client Services part into a running bot (bot.runtime calls attach).

Reads CS_HANDOFF_FILE (a bad file stops start-up with one line naming it),
builds the case intake client when CS_CASES_URL is set, and hands the core
what it asks for in deps.extras: the `case` and `handoff` commands, the
openers the checklist's buttons call, the listeners, and the tick job that
delivers pending cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from bot.cs.cases import CaseDesk
from bot.cs.content import DEFAULT_FILE, load_handoff
from bot.cs.handoff import HandoffDesk
from bot.cs.intake import IntakeClient

log = logging.getLogger("addon_bot.cs")

INTAKE_TIMEOUT = 10.0  # seconds per attempt; a slower intake is retried with the same key


@dataclass
class ClientServices:
    cases: CaseDesk
    handoffs: HandoffDesk


def attach(rt) -> None:
    from bot.handlers import cs, cs_events

    deps = rt.deps
    s = deps.settings
    content = load_handoff(s.CS_HANDOFF_FILE)
    if content.builtin:
        log.warning("CS_HANDOFF_FILE is not set: the handoff uses the built-in Client Services details "
                    "in %s; the preview says so before anything is sent", DEFAULT_FILE)
    intake = None
    if s.CS_CASES_URL:
        intake = IntakeClient(s.CS_CASES_URL, s.CS_CASES_TOKEN, timeout=INTAKE_TIMEOUT)
        rt.stoppers.append(intake.close)
    elif s.CS_CHANNEL:
        log.info("CS_CASES_URL is not set: Client Services cases are posted to CS_CHANNEL %s", s.CS_CHANNEL)
    else:
        log.warning("neither CS_CASES_URL nor CS_CHANNEL is set: `/addon case` will refuse")

    parts = ClientServices(cases=CaseDesk(deps, intake), handoffs=HandoffDesk(deps, content))
    deps.extras["cs"] = parts
    commands = deps.extras.setdefault("commands", {})
    commands["OpenCase"] = cs.open_case_command
    commands["Handoff"] = cs.handoff_command
    deps.extras["open_case_modal"] = partial(cs.open_case_modal, deps)
    deps.extras["handoff_preview"] = partial(cs.handoff_preview, deps)
    listeners = deps.extras.setdefault("listeners", [])
    listeners.extend([cs_events.register, cs.register])
    deps.extras.setdefault("tick", []).append(parts.cases.tick)
    handled = deps.extras.setdefault("handled", set())
    if isinstance(handled, set):
        handled.add("app_mention")
    else:
        handled.append("app_mention")
