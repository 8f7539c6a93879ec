"""Nudges: reminders to the specialists (and, past a second threshold, the
manager), queued by the scheduler's tick in each project's working hours on its
business days, and what the reminder's buttons do.

Once per period whatever restarts or instances: a reminder is an outbox post
keyed `nudge:{kind}:{project}:{period}:{person}`, stored before it is sent; a
key that exists is never queued again. A reminder whose reason went away before
it was sent (the item closed, the handoff acknowledged, the project completed)
is marked moot at send time and never sent (`still_wanted`, asked by bot.notify).
Snoozes and stops are rows of `nudge_hold` (storage/nudges.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from bot import fmt
from bot.errors import Conflict, NotAllowed, NotFound
from bot.notify import Notifier, enqueue
from bot.nudges.rules import (
    KINDS, Due, NudgeFacts, Thresholds, due_nudges, in_working_hours, period_of, recipients, snooze_until,
)
from bot.views.nudges import nudge_message, settled
from bot.workflow import Actor
from storage import nudges as store
from storage import repo
from storage.models import Post, Project
from storage.monitoring import open_projects
from storage.outbox import post_exists

log = logging.getLogger("addon_bot.nudges")


def nudge_key(kind: str, project_id: int, period: str, user_id: str) -> str:
    return f"nudge:{kind}:{project_id}:{period}:{user_id}"


def title_of(p: Project) -> str:
    return f"{p.addon} · {p.biller_id}"


@dataclass(frozen=True)
class Reminder:
    """A sent reminder, as its message's outbox row says."""

    key: str
    project_id: int
    kind: str
    user_id: str
    channel: str
    ts: str
    text: str
    blocks: list


class NudgeDesk:
    def __init__(self, session_factory, notifier: Optional[Notifier], clock: Callable[[], datetime], *,
                 thresholds: Thresholds, hours, default_calendar: str):
        self.sf = session_factory
        self.notifier = notifier
        self.clock = clock
        self.th = thresholds
        self.hours = hours
        self.default_calendar = default_calendar

    # ---- judging ----------------------------------------------------------------------
    def calendar_of(self, p: Project) -> str:
        return p.calendar or self.default_calendar

    def _facts(self, s, p: Project, now: datetime) -> tuple[NudgeFacts, list[Due]]:
        today = now.astimezone(ZoneInfo(p.tz)).date()
        f = store.facts(s, p, today, self.calendar_of(p), self.th.quiet + self.th.escalate_after)
        return f, due_nudges(f, today, self.th)

    def due_for(self, project_id: int, kind: str, now: Optional[datetime] = None) -> Optional[Due]:
        """The kind's reminder for the project if it is still due now (hours aside), else None."""
        with self.sf() as s:
            p = store.project_of(s, project_id)
            if p is None:
                return None
            return next((d for d in self._facts(s, p, now or self.clock())[1] if d.kind == kind), None)

    def still_wanted(self, s, row: Post) -> bool:
        """Asked by the outbox before a reminder is first sent: is its reason still there, for that person?"""
        meta = (row.payload or {}).get("meta") or {}
        p = store.project_of(s, row.project_id) if row.project_id else None
        if p is None or p.locked:
            return False
        now = self.clock()
        if meta.get("kind") not in {d.kind for d in self._facts(s, p, now)[1]}:
            return False
        h = store.holds(s, p.id).get((meta.get("kind"), meta.get("user")))
        return not (h and (h.stopped or (h.until and h.until > now)))

    # ---- the tick -----------------------------------------------------------------------
    def tick(self, now: datetime) -> list[str]:
        """Queue and send the reminders due now; the keys queued by this call."""
        keys = self.queue(now)
        self._send(keys, now)
        return keys

    CHUNK = 500  # projects judged per round of queries
    WRITE_BATCH = 100  # projects whose new reminders are stored in one transaction

    def queue(self, now: datetime) -> list[str]:
        """Queue (not send) the reminders due now. The facts of every project in its working hours
        are read in a few queries; only a project with a reminder to queue takes a transaction."""
        todo: dict[int, list[tuple[Due, str, str]]] = {}
        with self.sf() as s:
            projects = [p for p in open_projects(s) if in_working_hours(now, p.tz, self.calendar_of(p), self.hours)]
            for k in range(0, len(projects), self.CHUNK):
                todo.update(self._candidates(s, projects[k:k + self.CHUNK], now))
        keys: list[str] = []
        pids = list(todo)
        for k in range(0, len(pids), self.WRITE_BATCH):
            with repo.transaction(self.sf) as s:
                for pid in pids[k:k + self.WRITE_BATCH]:
                    try:
                        with repo.savepoint(s):  # one project's trouble does not undo the others'
                            keys.extend(self._queue_project(s, pid, todo[pid]))
                    except Exception:  # noqa: BLE001 - the others' reminders go on; this one is tried next tick
                        log.exception("could not queue the reminders of project %s; trying again next tick", pid)
        return keys

    def _candidates(self, s, projects: list[Project], now: datetime) -> dict[int, list[tuple[Due, str, str]]]:
        """project -> [(due, person, key)] of reminders due now, not held, not queued before."""
        out: dict[int, list[tuple[Due, str, str]]] = {}
        todays = {p.id: now.astimezone(ZoneInfo(p.tz)).date() for p in projects}
        facts = store.facts_many(s, [(p, todays[p.id], self.calendar_of(p)) for p in projects],
                                 self.th.quiet + self.th.escalate_after)
        held = store.holds_many(s, [p.id for p in projects])
        for p in projects:
            for due in due_nudges(facts[p.id], todays[p.id], self.th):
                for user in recipients(due, tuple(p.specialist_ids or ()), p.manager_id):
                    h = held.get(p.id, {}).get((due.kind, user))
                    if h is not None and (h.stopped or (h.until and h.until > now)):
                        continue
                    ended = h.until.astimezone(ZoneInfo(p.tz)).date() if h is not None and h.until else None
                    key = nudge_key(due.kind, p.id, period_of(todays[p.id], ended), user)
                    out.setdefault(p.id, []).append((due, user, key))
        queued = store.existing_keys(s, [k for todo in out.values() for _, _, k in todo])
        return {pid: fresh for pid, todo in out.items() if (fresh := [t for t in todo if t[2] not in queued])}

    @staticmethod
    def _queue_project(s, pid: int, todo: list[tuple[Due, str, str]]) -> list[str]:
        keys = []
        p = store.project_of(s, pid)
        if p is None or p.locked:
            return []
        for due, user, key in todo:
            if post_exists(s, key):
                continue  # another instance queued it a moment ago
            text, blocks = nudge_message(
                kind=due.kind, project_id=pid, title=title_of(p), channel_id=p.channel_id, due=due,
                recipient=user, specialists=tuple(p.specialist_ids or ()), manager=p.manager_id)
            enqueue(s, key=key, kind=store.NUDGE_KIND, channel=user, text=text, blocks=blocks,
                    project_id=pid, meta={"kind": due.kind, "user": user, "age": due.age})
            keys.append(key)
        return keys

    def _send(self, keys: list[str], now: Optional[datetime] = None) -> None:
        if keys and self.notifier is not None:
            try:
                self.notifier.drain(now or self.clock(), keys=keys)
            except Exception:  # noqa: BLE001 - queued: the next drain sends them
                log.exception("could not send reminders now; the outbox retries them")

    # ---- the buttons ---------------------------------------------------------------------
    def reminder_at(self, actor: Actor, channel: Optional[str], ts: Optional[str]) -> Reminder:
        """The reminder a clicked message is; refused for anyone but the person it is for."""
        with self.sf() as s:
            row = store.nudge_at(s, channel, ts) if channel and ts else None
            if row is None:
                raise NotFound("I no longer know this reminder, so I did nothing.")
            meta = (row.payload or {}).get("meta") or {}
            r = Reminder(row.idempotency_key, row.project_id, meta.get("kind"), meta.get("user"), row.channel_id,
                         row.ts, (row.payload or {}).get("text") or "", (row.payload or {}).get("blocks") or [])
        if r.kind not in KINDS or not r.user_id:
            raise NotFound("I no longer know this reminder, so I did nothing.")
        if actor.user_id != r.user_id:
            raise NotAllowed(f"This reminder is for {fmt.user(r.user_id)}: only they can act on it, snooze it "
                             "or stop it. Your own reminders come to you by direct message.")
        return r

    def current_state(self, r: Reminder) -> Optional[str]:
        """How things stand when the reminder's reason went away (None: it is still due)."""
        with self.sf() as s:
            p = store.project_of(s, r.project_id)
            if p is None:
                return "This project no longer exists; there is nothing to do."
            if p.locked:
                return (f"{title_of(p)} is {'withdrawn' if p.status == 'cancelled' else 'complete'}; "
                        "there is nothing to do.")
            f, dues = self._facts(s, p, self.clock())
        if any(d.kind == r.kind for d in dues):
            return None
        return {
            "handoff": "The handoff is acknowledged or step 3 is done: nothing to do.",
            "item": "No post go-live item is overdue any more: nothing to do.",
            "quiet": ("Step 1 (Monitor service) is done already." if f.monitor_done else
                      "An alert is open or the summaries are not flowing: Monitor is not ready to mark done."),
            "stall": "The project has changed since: nothing to do.",
        }[r.kind]

    def hold(self, actor: Actor, r: Reminder, how: str) -> str:
        """Snooze (`day`, `week`) or stop (`stop`) the reminder's kind for this person and project;
        the reminder is edited in place to say so. Returns the words."""
        now = self.clock()
        with repo.transaction(self.sf) as s:
            p = repo.lock_project(s, r.project_id)
            if how == "stop":
                store.set_hold(s, p.id, r.kind, actor.user_id, until=None, stopped=True, now=now)
                words = (f"Stopped by {fmt.user(actor.user_id)}: no more reminders of this kind about "
                         f"{title_of(p)} for you.")
            elif how in ("day", "week"):
                until = snooze_until(now, p.tz, self.calendar_of(p), self.hours, how)
                store.set_hold(s, p.id, r.kind, actor.user_id, until=until, stopped=False, now=now)
                words = (f"Snoozed by {fmt.user(actor.user_id)} until {until.strftime('%Y-%m-%d %H:%M')} "
                         f"({p.tz}); if it is still due then, the reminder comes again.")
            else:
                raise Conflict("That button asks for something I do not do.")
            repo.audit(s, p.id, actor.user_id, f"nudge_{'stopped' if how == 'stop' else 'snoozed'}", "button",
                       {"kind": r.kind, "until": None if how == "stop" else until.isoformat()})
            self._settle_in(s, r, words)
        self._send([r.key])
        return words

    def settle(self, r: Reminder, words: str) -> None:
        """Edit the reminder in place: its buttons replaced by `words`."""
        with repo.transaction(self.sf) as s:
            p = store.project_of(s, r.project_id)
            if p is None or p.locked:
                return  # a locked project's posts are not changed; its buttons answer with the state
            self._settle_in(s, r, words)
        self._send([r.key])

    @staticmethod
    def _settle_in(s, r: Reminder, words: str) -> None:
        text, blocks = settled(r.text, r.blocks, words)
        enqueue(s, key=r.key, kind=store.NUDGE_KIND, channel=r.channel, text=text, blocks=blocks,
                project_id=r.project_id, meta={"kind": r.kind, "user": r.user_id, "settled": True}, ts=r.ts)
