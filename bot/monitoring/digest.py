"""The weekly post-live digest: one message per manager and week, by DM, at
DIGEST_TIME in the manager's own Slack time zone (the scheduler's tick), on
`addon-bot digest`, and shown now to one person by `/addon digest`.

Once per manager and week whatever restarts: the digest is an outbox post keyed
`digest:{manager}:{week's Monday}`, stored before it is sent; a key that exists
is never queued again, so a second run, a restart or another instance sends nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Callable, Optional

from bot.monitoring.digest_rules import digest_rows, due_week, parse_digest_time, week_of
from bot.notify import Notifier, enqueue
from bot.views.digest import digest_message
from storage import repo
from storage.monitoring import open_projects
from storage.outbox import post_exists

log = logging.getLogger("addon_bot.digest")


def digest_key(manager_id: str, week: date) -> str:
    return f"digest:{manager_id}:{week.isoformat()}"


class DigestDesk:
    def __init__(self, session_factory, notifier: Optional[Notifier], clock: Callable[[], datetime],
                 digest_time: str, user_tz: Callable[[str], Optional[str]], default_tz: str):
        self.sf = session_factory
        self.notifier = notifier
        self.clock = clock
        self.weekday, self.at = parse_digest_time(digest_time)
        self.user_tz = user_tz  # a user's Slack time zone (users.info), None when unknown
        self.default_tz = default_tz

    def _snapshots(self) -> dict[str, list]:
        """Open projects' snapshots by manager."""
        with self.sf() as s:
            out: dict[str, list] = {}
            for p in open_projects(s):
                out.setdefault(p.manager_id, []).append(repo.snapshot(s, p))
            return out

    def message_for(self, user_id: str, now: Optional[datetime] = None):
        """(text, blocks) of the digest for `user_id` now: the projects they manage,
        else those they are a specialist on."""
        now = now or self.clock()
        by_manager = self._snapshots()
        mine = by_manager.get(user_id) or [p for ps in by_manager.values() for p in ps
                                           if user_id in p.specialist_ids]
        today = now.date()
        return digest_message(user_id, week_of(today), digest_rows(mine, today, now))

    def tick(self, now: datetime) -> None:
        """Queue and send the digests due now (each manager's zone), once per manager and week."""
        due = []
        for manager, snaps in self._snapshots().items():
            tz = self.user_tz(manager) or self.default_tz
            week = due_week(now, tz, self.weekday, self.at)
            if week is not None:
                due.append((manager, week, snaps))
        self._queue(due, now)

    def run(self, d: Optional[date] = None) -> list[tuple[str, date, bool]]:
        """`addon-bot digest [--date]`: every manager's digest for the week of d (default: today)
        now; [(manager, week, queued now?)] — False when that week's digest was already queued."""
        now = self.clock()
        week = week_of(d or now.date())
        due = [(m, week, snaps) for m, snaps in self._snapshots().items()]
        return self._queue(due, now)

    def _queue(self, due, now: datetime) -> list[tuple[str, date, bool]]:
        out, keys = [], []
        for manager, week, snaps in due:
            key = digest_key(manager, week)
            with repo.transaction(self.sf) as s:
                if post_exists(s, key):
                    out.append((manager, week, False))
                    continue
                text, blocks = digest_message(manager, week, digest_rows(snaps, now.date(), now))
                enqueue(s, key=key, kind="digest", channel=manager, text=text, blocks=blocks,
                        meta={"week": week.isoformat()})
            keys.append(key)
            out.append((manager, week, True))
        if keys and self.notifier is not None:
            try:
                self.notifier.drain(now, keys=keys)
            except Exception:  # noqa: BLE001 - queued: the next tick's drain sends them
                log.exception("could not send the digests now; the outbox retries them")
        return out

