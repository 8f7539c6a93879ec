"""The parts of the bot the demo drives, seen from the demo, in one place.

Monitoring (daily summaries, anomaly alerts) and Client Services (cases, the
handoff) are wired into `Deps` by bot.runtime (deps.monitor, deps.cases,
deps.handoffs). Should a part be missing, the demo says so plainly instead of
pretending.

- Monitoring: `deps.monitor`, a `bot.monitoring.pipeline.Monitor`. The demo
  runs the scheduler's `tick` and `run_daily` for a local date (what
  `addon-bot run-daily --date` does), then drains the outbox.
- Client Services: `deps.cases` and `deps.handoffs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from bot.payments import BillerProfile
from storage.monitoring import open_projects

MONITORING_MISSING = ("Monitoring (daily payments summaries and anomaly alerts) is not available "
                      "in this build of addon-bot, so there is no daily job to run.")
CS_MISSING = "Client Services (cases and the handoff) is not available in this build of addon-bot."


@dataclass
class Monitoring:
    monitor: Any  # bot.monitoring.pipeline.Monitor
    deps: Any
    simulator: Optional[Any] = None  # the demo's simulated Biller Portal (bot.payments.Simulator)

    def tick(self) -> None:
        """One tick of the scheduler: every day that is due, caught up, and the outbox drained."""
        self.monitor.tick(self.deps.clock())

    def run(self, local_date: date) -> list[str]:
        """The daily job for one local date, for every open project; one line per project."""
        with self.deps.session_factory() as s:
            projects = open_projects(s)
        lines = []
        for p, r in self.monitor.run_daily(projects, local_date, self.deps.clock()):
            if isinstance(r, str):
                lines.append(f"{p.biller_id}: {r}")
            else:
                alerts = f", new alerts: {', '.join(r.new_alerts)}" if r.new_alerts else ""
                lines.append(f"{p.biller_id}: {r.status}{alerts}")
        notifier = getattr(self.monitor, "notifier", None)
        if notifier is not None:
            notifier.drain(self.deps.clock())
        return lines

    def scenario(self, biller_id: str, *, projected: float, addon_channel: Optional[str], golive: date,
                 tz: str, overrides: dict[date, dict[str, float]]) -> bool:
        """Give a simulated biller this behaviour (e.g. no add-on payments on a day)."""
        if self.simulator is None:
            return False
        self.simulator.set_biller(biller_id, BillerProfile.for_projection(
            projected, addon_channel=addon_channel, golive=golive, tz=tz, overrides=overrides))
        return True


def monitoring(deps, simulator: Optional[Any] = None) -> Optional[Monitoring]:
    if deps.monitor is None:
        return None
    return Monitoring(monitor=deps.monitor, deps=deps, simulator=simulator)


def client_services(deps) -> bool:
    """Cases and the handoff (bot.cs.wiring attached)."""
    return deps.cases is not None and deps.handoffs is not None


def summary(deps) -> dict[str, Any]:
    mon = monitoring(deps) is not None
    cs = client_services(deps)
    return {
        "monitoring": mon,
        "client_services": cs,
        "notes": [n for n, ok in ((MONITORING_MISSING, mon), (CS_MISSING, cs)) if not ok],
    }
