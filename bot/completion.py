"""Completing a project: against the project schedule when there is a source
(SCHEDULE_API_URL), else on the specialist's confirmation; then the lock, the
closing report in the project channel, and the checklist redrawn.

Order, so nothing is lost or done twice: the workflow's blockers are judged
first; the sheet is read and its status set (idempotent: a status already at
the complete value is not sent again); only then is the record locked. A crash
between the schedule's answer and the lock leaves an open project whose sheet
is already complete: the next `complete` finds it so and locks.
"""

from __future__ import annotations

import logging
from typing import Optional

from bot.checklist import refresh_checklist
from bot.deps import Deps
from bot.service import CLOSING_KEYS
from bot.workflow import Actor, ProjectSnapshot

log = logging.getLogger("addon_bot.completion")


def data_simulated(deps: Deps) -> bool:
    return deps.notifier is not None and deps.notifier.data_note is not None


def uses_schedule(deps: Deps, snap: ProjectSnapshot) -> bool:
    """The sheet decides when there is a schedule source and the project names its
    sheet; otherwise the specialist confirms the schedule is at 100% (the tick)."""
    return deps.schedule is not None and snap.schedule_sheet_id is not None


def schedule_progress(deps: Deps, snap: ProjectSnapshot):
    """(Progress or None, error text or None) of the project's sheet, for views."""
    if deps.schedule is None or snap.schedule_sheet_id is None:
        return None, None
    return deps.schedule.progress_or_error(snap.schedule_sheet_id)


def complete_project(deps: Deps, actor: Actor, project_id: int, surface: str,
                     confirmed: bool = False) -> ProjectSnapshot:
    snap = deps.service.check_complete(actor, project_id)
    state: Optional[dict] = None
    if uses_schedule(deps, snap):
        state = deps.schedule.complete(snap.schedule_sheet_id)  # refuses, naming the rows below 100%
        confirmed = True
    snap = deps.service.complete(actor, project_id, confirmed, surface, state, data_simulated(deps))
    post_report(deps, snap)
    refresh_checklist(deps, snap)
    return snap


def post_report(deps: Deps, snap: ProjectSnapshot) -> None:
    """Send the closing report (queued in the outbox with the lock: bot.service.closing_posts).
    A failed send stays queued and is retried by the outbox; `/addon report` shows it meanwhile."""
    if deps.notifier is None:
        log.warning("closing report of project %s queued; no sender to post it now", snap.id)
        return
    keys = [k.format(p=snap.id) for k in CLOSING_KEYS]
    try:
        r = deps.notifier.drain(keys=keys)
    except Exception:  # noqa: BLE001 - it stays in the outbox; the next tick sends it
        log.exception("closing report of project %s not sent now; it stays queued", snap.id)
        return
    if r.failed:
        log.warning("closing report of project %s not posted yet; the outbox retries it, `/addon report` "
                    "shows it", snap.id)
