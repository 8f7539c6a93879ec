"""Use cases: each one transaction that judges a workflow rule on fresh state
and applies it, with an audit entry. Handlers (Slack) and the CLI call these;
they know nothing of Slack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Optional

from storage.db import Session

from bot import workflow as wf
from bot.commands import NewProject
from bot.errors import Conflict, DomainError, NotFound
from bot.workflow import Actor, ProjectSnapshot
from storage import events, outbox, repo
from storage.report import report_facts
from bot.views.report import report_message
from bot import fmt
from storage.models import Item, Project, utcnow


# `edit` field (as NewProject names it) -> the project's column.
EDIT_COLUMNS = {
    "biller": "biller_id", "addon": "addon", "golive": "golive", "projected": "projected_per_day",
    "manager": "manager_id", "pay_channel": "pay_channel", "shared": "shared_channel_id",
    "specialists": "specialist_ids", "tz": "tz", "schedule_sheet": "schedule_sheet_id", "calendar": "calendar",
    "closed_dates": "closed_dates",
}


def _jsonable(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


class ConfirmationNeeded(DomainError):
    """The change is allowed but should be confirmed first (the UI asks)."""

    def __init__(self, message: str, what: str):
        super().__init__(message)
        self.what = what


class ReasonNeeded(DomainError):
    """The change needs a reason first (Monitor done with no daily summary yet): the UI asks for one."""


NO_SUMMARY_REASON = (
    "No daily summary has been posted for this project yet, so nothing monitored says payers are paying. "
    "To mark step 1 (Monitor service) done anyway, give the reason: `/addon done monitor REASON`. "
    "It is kept in the audit trail."
)


@dataclass
class Service:
    session_factory: Callable[[], Session]
    default_tz: str = "America/New_York"

    # ---- reading ---------------------------------------------------------------
    def snapshot(self, project_id: int) -> ProjectSnapshot:
        with self.session_factory() as s:
            return repo.snapshot(s, repo.get_project(s, project_id))

    def keep_text(self, text: str) -> int:
        """Keep typed text a button must carry; the button carries the id."""
        with repo.transaction(self.session_factory) as s:
            return events.keep_text(s, text, utcnow())

    def kept_text(self, text_id: object) -> Optional[str]:
        if not isinstance(text_id, int):
            return None
        with self.session_factory() as s:
            return events.kept_text(s, text_id)

    def project_in_channel(self, channel_id: str) -> Optional[Project]:
        with self.session_factory() as s:
            return repo.project_in_channel(s, channel_id)

    def find(self, ref: str) -> Project:
        with self.session_factory() as s:
            return repo.find_project(s, ref)

    def list_projects(self, user_id: Optional[str] = None) -> list[tuple[Project, tuple[int, int]]]:
        with self.session_factory() as s:
            rows = repo.list_projects(s, user_id=user_id)
            prog = repo.progress_for(s, rows)
            return [(p, prog[p.id]) for p in rows]

    def home(self, user_id: str) -> tuple[list[ProjectSnapshot], list[ProjectSnapshot], list[ProjectSnapshot]]:
        """For the App Home: (open projects the user is a specialist on, open projects they manage,
        the last five completed projects)."""
        with self.session_factory() as s:
            rows = repo.list_projects(s, include_locked=True)
            mine = [repo.snapshot(s, p) for p in rows if not p.locked and user_id in (p.specialist_ids or [])]
            team = [repo.snapshot(s, p) for p in rows if not p.locked and p.manager_id == user_id]
            done = sorted((p for p in rows if p.locked and p.completed_at), key=lambda p: p.completed_at,
                          reverse=True)[:5]
            return mine, team, [repo.snapshot(s, p) for p in done]

    # ---- registering -------------------------------------------------------------
    def register(self, actor: Actor, team_id: str, channel_id: str, cmd: NewProject,
                 surface: str) -> ProjectSnapshot:
        wf.ensure_can_register(actor)
        if cmd.shared and cmd.shared == channel_id:
            raise Conflict(
                "The shared channel must be the one with the biller, not this internal channel."
            )
        p = Project(
            team_id=team_id, biller_id=cmd.biller, addon=cmd.addon, pay_channel=cmd.pay_channel,
            calendar=cmd.calendar, closed_dates=cmd.closed_dates,
            golive=cmd.golive, projected_per_day=cmd.projected, channel_id=channel_id,
            shared_channel_id=cmd.shared, manager_id=cmd.manager,
            specialist_ids=list(cmd.specialists or (actor.user_id,)),
            tz=cmd.tz or self.default_tz, created_by=actor.user_id, schedule_sheet_id=cmd.schedule_sheet,
        )
        with repo.transaction(self.session_factory) as s:
            repo.create_project(s, p, actor.user_id, surface)
            pid = p.id
        return self.snapshot(pid)

    # ---- steps ---------------------------------------------------------------------
    def _change(self, project_id: int, actor: Actor, fn) -> ProjectSnapshot:
        """Run fn(session, project, snapshot) in one transaction on the locked row."""
        with repo.transaction(self.session_factory) as s:
            p = self._locked(s, project_id, actor)
            fn(s, p, repo.snapshot(s, p))
        return self.snapshot(project_id)

    @staticmethod
    def _locked(s: Session, project_id: int, actor: Actor) -> Project:
        p = repo.get_project(s, project_id)
        # Judge permissions first so an outsider learns nothing but "no".
        wf.ensure_can_change(repo.snapshot(s, p), actor)
        return repo.lock_project(s, project_id)

    def mark_done(self, actor: Actor, project_id: int, step: str, note: Optional[str],
                  surface: str, confirmed: bool = False) -> ProjectSnapshot:
        def apply(s, p, snap):
            wf.mark_done(snap, step, actor)
            no_summary = step == "monitor" and wf.monitor_needs_reason(snap)
            if no_summary and not (note or "").strip():
                raise ReasonNeeded(NO_SUMMARY_REASON)
            if step == "monitor" and not confirmed and wf.monitor_needs_confirmation(snap):
                raise ConfirmationNeeded(
                    f"{fmt.plural(snap.open_alerts, 'anomaly alert')} "
                    f"{'is' if snap.open_alerts == 1 else 'are'} still unacknowledged. "
                    "Mark Monitor done anyway?", "monitor_done",
                )
            repo.set_step(s, p, step, wf.DONE, note, actor.user_id)
            detail = {"step": step, "note": note}
            if no_summary:
                detail.update(no_summary=True, reason=note)  # done with 0 daily summaries: the reason given
            repo.audit(s, p.id, actor.user_id, "step_done", surface, detail)

        return self._change(project_id, actor, apply)

    def undo(self, actor: Actor, project_id: int, step: str, surface: str) -> ProjectSnapshot:
        def apply(s, p, snap):
            wf.undo(snap, step, actor)
            before = snap.step(step).state
            repo.set_step(s, p, step, wf.OPEN, None, actor.user_id)
            repo.audit(s, p.id, actor.user_id, "step_reopened", surface, {"step": step, "was": before})

        return self._change(project_id, actor, apply)

    def skip_address(self, actor: Actor, project_id: int, reason: str, surface: str) -> ProjectSnapshot:
        def apply(s, p, snap):
            wf.skip_address(snap, actor)
            repo.set_step(s, p, "address", wf.NOT_APPLICABLE, reason, actor.user_id)
            repo.audit(s, p.id, actor.user_id, "step_not_applicable", surface,
                       {"step": "address", "reason": reason})

        return self._change(project_id, actor, apply)

    # ---- items -----------------------------------------------------------------------
    def add_item(self, actor: Actor, project_id: int, text: str, surface: str,
                 source_alert_id: Optional[int] = None) -> tuple[ProjectSnapshot, int]:
        created: list[Item] = []

        def apply(s, p, snap):
            item = repo.add_item(s, p, text, actor.user_id, source_alert_id)
            # A new item to address reopens step 2 if it had been closed.
            if snap.step("address").state != wf.OPEN:
                repo.set_step(s, p, "address", wf.OPEN, None, actor.user_id)
            repo.audit(s, p.id, actor.user_id, "item_added", surface,
                       {"number": item.number, "text": text})
            created.append(item)

        snap = self._change(project_id, actor, apply)
        return snap, created[0].number

    def resolve_item(self, actor: Actor, project_id: int, number: int, note: str,
                     surface: str) -> ProjectSnapshot:
        def apply(s, p, snap):
            item = repo.get_item(s, p, number)
            if item.status != "open":
                raise Conflict(f"Item #{number} is already {item.status}.")
            item.status, item.note = "remedied", note
            item.resolved_by, item.resolved_at = actor.user_id, utcnow()
            repo.save(s, item)
            repo.bump(s, p)
            repo.audit(s, p.id, actor.user_id, "item_remedied", surface, {"number": number, "note": note})

        return self._change(project_id, actor, apply)

    # ---- completion -------------------------------------------------------------------
    def check_complete(self, actor: Actor, project_id: int) -> ProjectSnapshot:
        """Raise unless the project could be completed once the schedule is confirmed."""
        snap = self.snapshot(project_id)
        wf.ensure_can_change(snap, actor)
        blockers = wf.completion_blockers(snap)
        if blockers:
            raise Conflict("The project cannot be completed yet:\n• " + "\n• ".join(blockers))
        return snap

    def complete(self, actor: Actor, project_id: int, schedule_confirmed: bool,
                 surface: str, schedule_state: Optional[dict] = None,
                 data_simulated: bool = False) -> ProjectSnapshot:
        """Lock the project with its closing report. With a schedule source the
        caller has already set the sheet's status (`schedule_state`)."""
        with repo.transaction(self.session_factory) as s:
            p = self._locked(s, project_id, actor)
            snap = repo.snapshot(s, p)
            wf.ensure_can_complete(snap, actor, schedule_confirmed)
            now = utcnow()
            report = self._report(s, p, schedule_state, data_simulated)
            report.update(completed_at=now.isoformat(), completed_by=actor.user_id)
            repo.audit(s, p.id, actor.user_id, "project_completed", surface,
                       {"schedule_confirmed": True, "schedule": schedule_state})
            closing_posts(s, p, report, actor.user_id)  # before the lock: nothing is written after it
            if not repo.complete(s, p, actor.user_id, report, now):
                raise Conflict("Someone else completed this project a moment ago.")
        return self.snapshot(project_id)

    @staticmethod
    def _report(s, p, schedule_state, data_simulated) -> dict:
        facts = report_facts(s, p)
        facts.update(schedule=schedule_state, schedule_confirmed=p.schedule_confirmed,
                     data_simulated=data_simulated)
        return facts

    def closing_report(self, actor: Actor, project_id: int, data_simulated: bool = False) -> tuple[dict, bool]:
        """(facts, preview): the stored report after completion, else one drawn now."""
        wf.ensure_can_read(actor)
        with self.session_factory() as s:
            p = repo.get_project(s, project_id)
            if p.status == "complete" and p.closing_report:
                return dict(p.closing_report), False
            return self._report(s, p, None, data_simulated), True

    # ---- corrections ------------------------------------------------------------------
    def edit(self, actor: Actor, project_id: int, changes: tuple, surface: str
             ) -> tuple[ProjectSnapshot, list[tuple[str, object, object]], list[str]]:
        """Apply `field=value` corrections: (snapshot, [(field, was, now)] of what changed,
        the outbox keys of posted summaries now marked as from the old plan, to send)."""
        changed: list[tuple[str, object, object]] = []
        resend: list[str] = []

        def apply(s, p, snap):
            for name, new in changes:
                col = EDIT_COLUMNS[name]
                old = getattr(p, col)
                if name == "specialists":
                    new = list(new)
                if old == new:
                    continue
                if name == "shared" and new == p.channel_id:
                    raise Conflict("The shared channel must be the one with the biller, not this internal channel.")
                setattr(p, col, new)
                changed.append((name, old, new))
            if not changed:
                return
            moved = next(((a, b) for f, a, b in changed if f == "golive"), None)
            if moved:
                # Summaries already posted stay, marked as from the old plan (edited in place).
                resend.extend(outbox.mark_old_plan(s, p.id, moved[0], moved[1]))
            repo.bump(s, p)
            repo.audit(s, p.id, actor.user_id, "project_edited", surface, {
                "changes": [{"field": f, "was": _jsonable(a), "now": _jsonable(b)} for f, a, b in changed]})

        snap = self._change(project_id, actor, apply)
        return snap, changed, resend

    def cancel(self, actor: Actor, project_id: int, reason: str, surface: str) -> ProjectSnapshot:
        with repo.transaction(self.session_factory) as s:
            p = self._locked(s, project_id, actor)
            repo.audit(s, p.id, actor.user_id, "project_cancelled", surface, {"reason": reason})
            if not repo.cancel(s, p, actor.user_id, reason):
                raise Conflict("Someone else completed or withdrew this project a moment ago.")
        return self.snapshot(project_id)

    def remember_checklist(self, project_id: int, ts: str, shown: Optional[str] = None) -> None:
        """Where the checklist message is, so later changes edit it in place, and what it shows
        (bot.views.checklist_steady_hash; None: not known)."""
        try:
            with repo.transaction(self.session_factory) as s:
                p = repo.get_project(s, project_id)
                if p.locked:
                    return
                p.checklist_ts = ts
                p.checklist_hash = shown
                repo.save(s, p)
        except (NotFound, DomainError):
            return

    def checklist_shown(self, project_id: int) -> tuple[Optional[str], Optional[str]]:
        """(ts, hash of what it shows) of the project's live checklist message."""
        with self.session_factory() as s:
            p = repo.find_by_id(s, project_id)
            return (p.checklist_ts, p.checklist_hash) if p else (None, None)

    def checklist_ts(self, project_id: int) -> Optional[str]:
        with self.session_factory() as s:
            p = repo.find_by_id(s, project_id)
            return p.checklist_ts if p else None


log = logging.getLogger("addon_bot.service")

CLOSING_KEYS = ("closing:{p}", "closing:{p}:lock")  # the closing report and the lock's line, in the outbox


def closing_posts(s: Session, p: Project, report: dict, by: str) -> list[str]:
    """The closing report and the line that the project is locked, in the project channel, through the
    outbox in the transaction that locks the project: posted once, whatever retries or restarts."""
    try:
        text, blocks = report_message(report)
    except Exception:  # noqa: BLE001 - a report that cannot be drawn never stops the completion
        log.exception("the closing report of project %s could not be drawn; posting its first line", p.id)
        text, blocks = (f"Closing report: {p.addon} for {p.biller_id}, go-live {p.golive.isoformat()}, "
                        f"completed {str(report.get('completed_at') or '')[:10]}. `/addon report` shows it in full."), None
    report_key, lock_key = (k.format(p=p.id) for k in CLOSING_KEYS)
    outbox.enqueue(s, key=report_key, kind="closing_report", channel=p.channel_id, text=text, blocks=blocks,
                   project_id=p.id)
    outbox.enqueue(s, key=lock_key, kind="closing_note", channel=p.channel_id, project_id=p.id,
                   text=f":lock: {p.addon} for {p.biller_id} is complete and archived by {fmt.user(by)}. "
                        "Nothing on this project can change now.")
    return [report_key, lock_key]
