"""The one-minute tick. APScheduler 3.x, in memory: nothing about what is due
lives in the scheduler. Each tick asks the database what is due and claims it
there, so restarts, retries and several instances never double-post and days
missed while the bot was down are caught up.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("addon_bot.scheduler")

TickJob = Callable[[datetime], None]


class Ticker:
    """Runs every registered job once a minute (and once at start)."""

    def __init__(self, jobs: list[TickJob], clock: Callable[[], datetime] | None = None):
        self.jobs = jobs
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._sched: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    def tick(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # the previous tick is still running
        try:
            now = self.clock()
            for job in self.jobs:
                try:
                    job(now)
                except Exception:  # noqa: BLE001 - one job's failure must not stop the others
                    log.exception("scheduled job %s failed; it runs again next minute",
                                  getattr(job, "__name__", job))
        finally:
            self._lock.release()

    def start(self) -> None:
        self._sched = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        self._sched.add_job(self.tick, IntervalTrigger(minutes=1), id="tick",
                            next_run_time=datetime.now(timezone.utc), misfire_grace_time=30)
        self._sched.start()
        log.info("scheduler started: %d job(s) every minute", len(self.jobs))

    def stop(self) -> None:
        if self._sched is not None:
            self._sched.shutdown(wait=True)
            self._sched = None
