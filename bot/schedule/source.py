"""The project schedule as the bot uses it: a sheet's progress (cached briefly,
for the checklist) and setting the summary's status to complete (for
`complete`). Schedule failures become the refusals people read."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from bot.errors import Conflict, Unavailable
from bot.schedule.client import ScheduleClient, ScheduleError, ScheduleForbidden, SheetNotFound
from bot.schedule.progress import Progress, names, progress_of

CACHE_SECONDS = 60.0
SIMULATED_NOTE = "Simulated schedule (SCHEDULE_API_URL=simulated)."


class ScheduleIncomplete(Conflict):
    def __init__(self, progress: Progress):
        below = progress.below
        super().__init__(
            f"The project schedule is not at 100%: {len(below)} of {progress.total} item(s) are not "
            f"complete on sheet {progress.name}: {names(below)}. Bring them to 100% in the schedule, "
            "then `/addon complete` again."
        )
        self.progress = progress


@dataclass
class ScheduleSource:
    client: ScheduleClient
    percent_column: str = "% Complete"
    status_field: str = "Status"
    complete_value: str = "Complete"
    simulated: bool = False
    clock: Callable[[], float] = time.monotonic
    _cache: dict[int, tuple[float, Progress]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- reading -----------------------------------------------------------------
    def _read(self, sheet_id: int) -> Progress:
        try:
            sheet = self.client.sheet(sheet_id)
        except SheetNotFound:
            raise Conflict(f"The schedule has no sheet {sheet_id} (404). Check the id with "
                           "`/addon edit schedule=SHEET_ID`.") from None
        except ScheduleError as e:
            raise Unavailable(f"The project schedule could not be read: {e.reason}") from None
        try:
            p = progress_of(sheet, self.percent_column, simulated=self.simulated)
        except ValueError:
            raise Conflict(f"Sheet {sheet.name} has no `{self.percent_column}` column "
                           "(SCHEDULE_PERCENT_COLUMN).") from None
        with self._lock:
            self._cache[sheet_id] = (self.clock(), p)
        return p

    def progress(self, sheet_id: int, fresh: bool = False) -> Progress:
        """The sheet's progress, read at most once a minute unless `fresh`."""
        if not fresh:
            with self._lock:
                hit = self._cache.get(sheet_id)
            if hit and self.clock() - hit[0] < CACHE_SECONDS:
                return hit[1]
        return self._read(sheet_id)

    def progress_or_error(self, sheet_id: int) -> tuple[Optional[Progress], Optional[str]]:
        """For drawing the checklist: never raises; the error in words instead."""
        try:
            return self.progress(sheet_id), None
        except (Conflict, Unavailable) as e:
            return None, e.message

    # ---- completing --------------------------------------------------------------
    def complete(self, sheet_id: int) -> dict[str, Any]:
        """Refuse unless every row with a value is at 100%; then set the status field
        to the complete value (nothing sent when it already holds it). Returns the
        schedule's final state, for the closing report."""
        p = self.progress(sheet_id, fresh=True)
        if not p.complete:
            raise ScheduleIncomplete(p)
        try:
            fields = self.client.summary(sheet_id)
        except ScheduleError as e:
            raise Unavailable(f"The schedule summary could not be read: {e.reason} Nothing was changed.") from None
        f = next((x for x in fields if x.title == self.status_field), None)
        if f is None:
            raise Conflict(f"Sheet {p.name} has no summary field `{self.status_field}` "
                           "(SCHEDULE_STATUS_FIELD). Nothing was changed.")
        already = f.value == self.complete_value
        if not already:
            if f.locked:
                raise Conflict(f"The `{self.status_field}` field of sheet {p.name} is locked in the schedule; "
                               "ask its owner to unlock it or set it. Nothing was changed.")
            try:
                self.client.set_summary_field(sheet_id, f.id, self.complete_value)
            except ScheduleForbidden:
                raise Conflict(f"The schedule refused to set `{self.status_field}` on sheet {p.name}: the field "
                               "is locked (403). Ask its owner to unlock it. Nothing was changed.") from None
            except ScheduleError as e:
                raise Unavailable(f"The schedule's status could not be set: {e.reason} Nothing was changed; "
                                  "try `/addon complete` again.") from None
        with self._lock:
            self._cache.pop(sheet_id, None)
        return {"sheet_id": sheet_id, "name": p.name, "permalink": p.permalink, "items": p.total,
                "at_100": p.done, "status_field": self.status_field, "status": self.complete_value,
                "already_set": already, "simulated": self.simulated}
