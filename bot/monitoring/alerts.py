"""What people do to an alert (acknowledge, add as an item, dismiss, resolve),
each one transaction that judges the rules on fresh state, records who did
it, and queues the edits of every message of the alert (and the checklist).

Who may act: the project's manager, its specialists and admins (the same rule
as any change to the project, bot.workflow.ensure_can_change); never external
users; nobody once the project is complete (the lock).
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

from bot import workflow as wf
from bot.monitoring.posts import ALERT_KINDS, refresh_checklist, restate_alert
from bot.monitoring.rules import ITEM, check_undo, next_alert_state
from bot.notify import Notifier, post_by_ts
from bot.service import Service
from bot.views.alerts import item_text
from bot.workflow import Actor
from storage import monitoring as store
from storage import repo
from storage.models import Alert, Project

log = logging.getLogger("addon_bot.alerts")


class AlertDesk:
    def __init__(self, session_factory, service: Service, notifier: Optional[Notifier],
                 clock: Callable, managers_channel: Optional[str] = None, *, portal_url: Optional[str] = None):
        self.sf = session_factory
        self.service = service
        self.notifier = notifier
        self.clock = clock
        self.managers_channel = managers_channel
        self.portal_url = portal_url  # BILLER_PORTAL_URL: the alerts link to the Biller Portal's search
        self.schedule_text = None  # step 4's schedule line for checklist edits (bot.schedule.wiring)

    def alert_at(self, channel: str, ts: str) -> Optional[int]:
        """The alert a message (DM, managers channel or thread note) is about."""
        with self.sf() as s:
            post = post_by_ts(s, channel, ts, ALERT_KINDS)
            return (post.payload.get("meta") or {}).get("alert") if post else None

    @staticmethod
    def _taken(s, actor: Actor, alert_id: int) -> tuple[Project, Alert]:
        """For a change: the alert (or the one it was folded into) and its project. Permissions are
        judged first, so an outsider learns nothing but "no"; then the project's row is taken for
        this transaction and the alert read again under it."""
        a = store.lead_alert(s, alert_id)
        wf.ensure_can_change(repo.snapshot(s, repo.get_project(s, a.project_id)), actor)
        p = repo.lock_project(s, a.project_id)
        store.reread(s, a)
        return p, a

    def check(self, actor: Actor, alert_id: int, action: str) -> tuple[Project, Alert]:
        """Raise unless `actor` may do `action` now (used before opening a modal)."""
        with self.sf() as s:
            a = store.lead_alert(s, alert_id)
            p = repo.get_project(s, a.project_id)
            wf.ensure_can_change(repo.snapshot(s, p), actor)
            next_alert_state(a.state, action, a.acted_by)
            return p, a

    def act(self, actor: Actor, alert_id: int, action: str, *, reason: Optional[str] = None,
            surface: str = "button") -> Alert:
        now = self.clock()
        with repo.transaction(self.sf) as s:
            p, a = self._taken(s, actor, alert_id)
            new = next_alert_state(a.state, action, a.acted_by)
            store.set_alert_state(s, a, new, actor.user_id, now, reason)
            repo.audit(s, p.id, actor.user_id, f"alert_{new}", surface,
                       {"alert": a.id, "check": a.check_id, "date": a.local_date.isoformat(), "reason": reason})
            keys = restate_alert(s, p, a, self.managers_channel, portal_url=self.portal_url)
            keys.append(refresh_checklist(s, p, self.schedule_text))
        self._send(keys)
        return a

    def undo(self, actor: Actor, alert_id: int, surface: str = "button") -> Alert:
        """Undo an acknowledgement or a dismissal: only by the person who did it, within UNDO_WINDOW."""
        now = self.clock()
        with repo.transaction(self.sf) as s:
            p, a = self._taken(s, actor, alert_id)
            check_undo(a.state, a.acted_by, a.acted_at, actor.user_id, now)
            was = a.state
            store.undo_alert_state(s, a, actor.user_id)
            repo.audit(s, p.id, actor.user_id, "alert_undo", surface,
                       {"alert": a.id, "check": a.check_id, "undid": was, "now": a.state})
            keys = restate_alert(s, p, a, self.managers_channel, portal_url=self.portal_url)
            keys.append(refresh_checklist(s, p))
        self._send(keys)
        return a

    def details(self, actor: Actor, alert_id: int) -> tuple[Project, Alert]:
        """The alert and its project, for the Details view (anyone of the organisation may read it)."""
        with self.sf() as s:
            a = store.lead_alert(s, alert_id)
            p = repo.get_project(s, a.project_id)
            wf.ensure_can_read(actor)
            return p, a

    def add_item(self, actor: Actor, alert_id: int, surface: str = "button") -> tuple[Project, int]:
        """Record the alert as a post go-live item (step 2). The alert is claimed
        first (so two clicks make one item), then the item added; if adding
        fails the alert is open again."""
        now = self.clock()
        with repo.transaction(self.sf) as s:
            p, a = self._taken(s, actor, alert_id)
            before = (a.state, a.acted_by, a.acted_at, a.reason)
            next_alert_state(a.state, "item", a.acted_by)
            store.set_alert_state(s, a, ITEM, actor.user_id, now, None)
            aid, pid, text = a.id, p.id, item_text(a)
        try:
            snap, number = self.service.add_item(actor, pid, text, surface, source_alert_id=aid)
        except BaseException:
            with repo.transaction(self.sf) as s:
                store.undo_item_claim(s, aid, actor.user_id, before)
            raise
        item_id = next((i.id for i in snap.items if i.number == number), None)
        with repo.transaction(self.sf) as s:
            a = store.link_alert_item(s, aid, item_id, f"item #{number}")
            p = repo.find_by_id(s, pid)
            repo.audit(s, pid, actor.user_id, "alert_item", surface, {"alert": aid, "item": number})
            keys = restate_alert(s, p, a, self.managers_channel, portal_url=self.portal_url)
            keys.append(refresh_checklist(s, p, self.schedule_text))
        self._send(keys)
        return p, number

    def _send(self, keys: list[Optional[str]]) -> None:
        if self.notifier is None:
            return
        keys = [k for k in keys if k]
        try:
            self.notifier.drain(self.clock(), keys=keys)
        except Exception:  # noqa: BLE001 - the outbox keeps them; the tick sends them
            log.exception("could not send alert edits now; the outbox retries them")

