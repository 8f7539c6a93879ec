"""Client Services cases: stored before they are sent, sent until delivered.

1. `open` stores the case (cs_case, pending, with its Idempotency-Key) and
   escalates its item, in one transaction on the project's row.
2. `deliver` claims the row in the database (store.claim_case), sends it to
   the intake with that key, then announces it in CS_CHANNEL. Without an
   intake, the announcement is the case. A timeout, a 5xx or a restart leaves
   the row pending with its key; the next attempt (backing off) sends the same
   key again, so the intake answers with the same case.
3. `tick` (every minute) delivers whatever is due.
A final refusal marks the case failed, reopens its item and tells the requester
and the project channel: a case is never lost silently.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from slack_sdk.errors import SlackApiError

from bot.channels import ensure_internal_channel
from bot.checklist import refresh_checklist
from bot.cs import rules
from bot.cs.intake import CasePayload, IntakeClient, IntakeError
from bot.errors import DomainError, NotAllowed
from bot.slack_answers import answer_of, lost_answer, transient
from bot.reply import dm, ephemeral_or_dm, post_or_dm_team
from bot.views import cs as csv
from bot.views.case_state import delivery_state
from bot.workflow import Actor, ProjectSnapshot
from storage import cs as store
from storage import repo
from storage.models import Case, utcnow

log = logging.getLogger("addon_bot.cs.cases")

LEASE = timedelta(minutes=2)  # longer than any one attempt (the intake timeout is 10 s)
MAX_BACKOFF = 3600.0
# A transient intake failure (5xx, 429, connection refused) is tried again at once, after these
# waits (each jittered to 50-150%), with the same Idempotency-Key, before the durable retry.
# A timeout is not: it already took the intake's whole timeout.
QUICK_RETRIES: tuple[float, ...] = (0.25, 1.0)
QUICK_RETRY_AFTER_MAX = 2.0  # a Retry-After longer than this goes to the durable retry
STILL_PENDING_AFTER = 5  # attempts: then the requester is told it is still being retried

SENT, RETRY, FAILED = "sent", "retry", "failed"
METADATA_EVENT = "addon_bot_cs_case"  # Slack message metadata: the case's key on its announcement

# Slack errors that another attempt cannot fix.
FINAL_SLACK = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "msg_too_long",
    "restricted_action", "restricted_action_read_only_channel", "invalid_auth", "not_authed",
    "account_inactive", "missing_scope", "no_permission", "team_access_not_granted",
})


def backoff(attempts: int, retry_after: Optional[float] = None) -> timedelta:
    """1, 2, 4, … minutes after each failed attempt, at most an hour; Retry-After if longer."""
    secs = min(60.0 * 2 ** max(0, attempts - 1), MAX_BACKOFF)
    if retry_after:
        secs = max(secs, min(retry_after, MAX_BACKOFF))
    return timedelta(seconds=secs)


@dataclass(frozen=True)
class Outcome:
    state: str  # sent | retry | failed
    reason: Optional[str] = None
    external_id: Optional[str] = None
    url: Optional[str] = None
    maybe_sent: bool = False  # retry: the announcement's answer was lost, it may be in CS_CHANNEL


class AnnounceError(Exception):
    def __init__(self, reason: str, final: bool, maybe_sent: bool = False):
        super().__init__(reason)
        self.reason, self.final, self.maybe_sent = reason, final, maybe_sent


class CaseDesk:
    def __init__(self, deps, intake: Optional[IntakeClient]):
        self.deps = deps
        self.intake = intake
        self.cs_channel: Optional[str] = deps.settings.CS_CHANNEL

    # ---- opening ----------------------------------------------------------------------
    def ensure_configured(self) -> None:
        rules.ensure_cases_configured(self.intake.url if self.intake else None, self.cs_channel)

    def destination(self) -> str:
        return csv.case_destination(self.intake is not None, self.cs_channel)

    def check(self, actor: Actor, project_id: int, item_number: Optional[int]):
        """(snapshot, item or None) when a case may be opened now; raise otherwise."""
        self.ensure_configured()
        snap = self.deps.service.snapshot(project_id)
        return snap, rules.ensure_can_open_case(snap, actor, item_number)

    def open(self, actor: Actor, project_id: int, item_number: Optional[int], subject: str,
             description: str, permalink: Optional[str], surface: str) -> tuple[int, int]:
        """Store the case, pending, and escalate its item. Returns (case id, item number)."""
        self.ensure_configured()
        errors = rules.case_field_errors(subject, description)
        if errors:
            raise DomainError(" ".join(errors.values()))
        subject, description = subject.strip(), description.strip()
        with repo.transaction(self.deps.session_factory) as s:
            p = repo.get_project(s, project_id)
            rules.ensure_can_open_case(repo.snapshot(s, p), actor, item_number)  # outsiders learn only "no"
            p = repo.lock_project(s, project_id)
            rules.ensure_can_open_case(repo.snapshot(s, p), actor, item_number)  # judged on fresh state
            if item_number is None:
                item = store.new_item(s, p, subject, actor.user_id)
            else:
                item = repo.get_item(s, p, item_number)
            case = store.add_case(s, p, item, subject, description, actor.user_id, permalink)
            repo.audit(s, p.id, actor.user_id, "case_requested", surface, {
                "case_id": case.id, "number": item.number, "subject": subject,
                "idempotency_key": case.idempotency_key, "new_item": item_number is None,
            })
            return case.id, item.number

    # ---- delivering ---------------------------------------------------------------------
    def tick(self, now: datetime) -> None:
        """The scheduler's job: deliver every case that is due."""
        with self.deps.session_factory() as s:
            ids = store.due_case_ids(s, now)
        for case_id in ids:
            try:
                self.deliver(case_id, now)
            except Exception:  # noqa: BLE001 - the lease expires and the next tick tries again
                log.exception("delivering case %s failed; it is retried after its lease", case_id)

    def deliver(self, case_id: int, now: Optional[datetime] = None, surface: str = "scheduler") -> Optional[Outcome]:
        """One attempt, if this process wins the claim; None when someone else holds it."""
        now = now or self.deps.clock()
        with repo.transaction(self.deps.session_factory) as s:
            case = store.claim_case(s, case_id, now, now + LEASE)
            if case is None:
                return None
            item = store.item_of(s, case)
            snap = repo.snapshot(s, repo.get_project(s, case.project_id))
        number = item.number if item else None

        ts = None
        if case.external_id is None and self.intake is not None:
            if self.cs_channel and case.attempts == 1:  # Client Services see it at once, "pending delivery"
                ts = self._show_state(case, snap, number)
            try:
                created = self._create_quickly(case, snap)
            except IntakeError as e:
                if e.final:
                    return self._fail(case, snap, number, e.reason, surface, ts)
                return self._retry(case, snap, number, e.reason, now, e.retry_after, ts)
            with repo.transaction(self.deps.session_factory) as s:
                row = store.get_case(s, case.id)
                row.external_id, row.url, row.last_error = created.id, created.url, None
                repo.save(s, row)
            case.external_id, case.url = created.id, created.url
            log.info("case %s created at the intake as %s%s", case.id, created.id,
                     " (replayed)" if created.replayed else "")

        announced = False
        if self.cs_channel:
            try:
                state = (f"delivered {csv.case_link(case.external_id, case.url)}" if case.external_id
                         else "delivered: this message is the case")
                _, link = self._announce(case, snap, number, state, ts)
                announced = True
            except AnnounceError as e:
                if case.external_id is None:  # no intake: the announcement is the case
                    if e.final:
                        return self._fail(case, snap, number, e.reason, surface)
                    return self._retry(case, snap, number, e.reason, now, None, ts, maybe_sent=e.maybe_sent)
                if not e.final:
                    return self._retry(case, snap, number, f"announcing it: {e.reason}", now, None, ts,
                                       maybe_sent=e.maybe_sent)
                self._tell_project(snap, csv.case_unannounced_text(case.external_id, case.url,
                                                                   self.cs_channel, e.reason),
                                   also=(case.requested_by,))
            if case.external_id is None:
                case.external_id, case.url = f"#{case.id} (Slack)", link
        return self._sent(case, snap, number, announced, surface)

    def _create_quickly(self, case: Case, snap: ProjectSnapshot):
        """intake.create, tried again at once on a transient failure (QUICK_RETRIES), same key."""
        payload = self._payload(case, snap)
        for wait in (*QUICK_RETRIES, None):
            try:
                return self.intake.create(case.idempotency_key, payload)
            except IntakeError as e:
                ra = e.retry_after or 0.0
                if e.final or wait is None or e.timed_out or ra > QUICK_RETRY_AFTER_MAX:
                    raise
                log.info("case %s: %s; trying again at once", case.id, e.reason)
                self.sleep(max(ra, wait * random.uniform(0.5, 1.5)))
        raise AssertionError("unreachable")  # pragma: no cover

    sleep = staticmethod(time.sleep)

    def _payload(self, case: Case, snap: ProjectSnapshot) -> CasePayload:
        return CasePayload(project_id=snap.id, biller_id=snap.biller_id, addon=snap.addon,
                           subject=case.subject, description=case.description,
                           requested_by=case.requested_by, slack_permalink=case.slack_permalink)

    def _announce(self, case: Case, snap: ProjectSnapshot, number: Optional[int], state: str,
                  ts: Optional[str] = None, *, post: bool = True,
                  want_link: bool = True) -> tuple[Optional[str], Optional[str]]:
        """Post the case in CS_CHANNEL with its delivery state, or edit its post in place (`ts`, or
        found by its key after a first attempt: once, whatever the retries): (ts, permalink).
        `post` False: only an edit of a post there is ((None, None) when there is none)."""
        client = self.deps.client
        text, blocks = csv.case_announcement(
            snap, case_id=case.id, item_number=number, subject=case.subject, description=case.description,
            requested_by=case.requested_by, key=case.idempotency_key, external_id=case.external_id,
            url=case.url, permalink=case.slack_permalink, state=state)
        posting = False
        try:
            ensure_internal_channel(client, self.cs_channel)
            if ts is None and (case.attempts > 1 or not post):
                ts = self._already_announced(case)
            if ts is not None:
                ts = self._edit(ts, text, blocks)
            if ts is None and not post:
                return None, None
            if ts is None:
                posting = True
                ts = client.chat_postMessage(
                    channel=self.cs_channel, text=text, blocks=blocks, unfurl_links=False,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": case.idempotency_key}},
                )["ts"]
        except AnnounceError:
            raise
        except NotAllowed as e:
            raise AnnounceError(f"CS_CHANNEL {e.message}", final=True) from None
        except SlackApiError as e:
            status, err = answer_of(e)
            if posting and lost_answer(status, err):  # it may be there: the next attempt looks first
                raise AnnounceError(f"Slack did not confirm the post in the Client Services channel (`{err}`); "
                                    "it may have been posted", final=False, maybe_sent=True) from None
            raise AnnounceError(f"Slack refused the post in the Client Services channel (`{err}`)",
                                final=err in FINAL_SLACK) from None
        except Exception as e:  # noqa: BLE001 - network trouble: worth another attempt
            if posting:
                raise AnnounceError(f"Slack did not answer the post in the Client Services channel "
                                    f"({type(e).__name__}); it may have been posted", final=False,
                                    maybe_sent=True) from None
            raise AnnounceError(f"Slack did not answer ({type(e).__name__})", final=False) from None
        if not want_link:
            return ts, None
        try:
            return ts, client.chat_getPermalink(channel=self.cs_channel, message_ts=ts)["permalink"]
        except Exception:  # noqa: BLE001 - the link is a convenience; the case stands
            log.warning("no permalink for the announcement of case %s", case.id)
            return ts, None

    def _edit(self, ts: str, text: str, blocks: list) -> Optional[str]:
        """Edit the case's post (chat.update); None when it is gone (deleted): posted again then."""
        try:
            self.deps.client.chat_update(channel=self.cs_channel, ts=ts, text=text, blocks=blocks)
            return ts
        except SlackApiError as e:
            if e.response is not None and e.response.get("error") in ("message_not_found", "cant_update_message"):
                return None
            raise

    def _show_state(self, case: Case, snap: ProjectSnapshot, number: Optional[int],
                    ts: Optional[str] = None, *, post: bool = True) -> Optional[str]:
        """The case's post in CS_CHANNEL as its delivery stands now (the row read again); its ts, or
        None when it could not be shown: the delivery goes on, and the next change shows it."""
        with self.deps.session_factory() as s:
            row = store.get_case(s, case.id)
        state = delivery_state(status=row.status, external_id=row.external_id, url=row.url, attempts=row.attempts,
                               next_at=row.next_attempt_at if row.last_error else None, error=row.last_error,
                               tz=snap.tz)
        try:
            return self._announce(row, snap, number, state, ts, post=post, want_link=False)[0]
        except AnnounceError as e:
            log.info("case %s: its post in the Client Services channel is not shown now: %s", case.id, e.reason)
            return None

    def _already_announced(self, case: Case) -> Optional[str]:
        """The ts of an announcement an earlier attempt may have posted (found by its key)."""
        oldest = (case.created_at - timedelta(minutes=1)).timestamp() if case.created_at else 0
        try:
            msgs = self.deps.client.conversations_history(channel=self.cs_channel, oldest=str(oldest), limit=200,
                                                          include_all_metadata=True)["messages"]
        except SlackApiError as e:
            status, err = answer_of(e)
            if transient(status, err):
                # Not knowing is not "not posted": the look-up is tried again later, never the post blindly.
                raise AnnounceError(f"I could not look for an earlier announcement in the Client Services "
                                    f"channel (`{err}`); looking again later", final=False) from None
            log.info("case %s: could not look for an earlier announcement: %s", case.id, err)
            return None
        for m in msgs or []:
            md = m.get("metadata") or {}
            if md.get("event_type") == METADATA_EVENT and (md.get("event_payload") or {}).get("key") == \
                    case.idempotency_key:
                return m["ts"]
        return None

    # ---- recording the attempt ------------------------------------------------------------
    def _sent(self, case: Case, snap: ProjectSnapshot, number: Optional[int], announced: bool,
              surface: str) -> Outcome:
        with repo.transaction(self.deps.session_factory) as s:
            p = repo.lock_project(s, case.project_id)
            row = store.get_case(s, case.id)
            row.status, row.sent_at, row.last_error, row.next_attempt_at = store.SENT, utcnow(), None, None
            row.external_id, row.url = case.external_id, case.url
            repo.save(s, row)
            repo.bump(s, p)
            repo.audit(s, p.id, store.SYSTEM, "case_sent", surface, {
                "case_id": case.id, "number": number, "external_id": case.external_id,
                "attempts": row.attempts, "announced": announced})
        self._refresh(case.project_id)
        self._tell_user(snap, case.requested_by, csv.case_sent_text(
            number, case.external_id, case.url, self.cs_channel, announced))
        return Outcome(SENT, external_id=case.external_id, url=case.url)

    def _retry(self, case: Case, snap: ProjectSnapshot, number: Optional[int], reason: str, now: datetime,
               retry_after: Optional[float], ts: Optional[str] = None, maybe_sent: bool = False) -> Outcome:
        with repo.transaction(self.deps.session_factory) as s:
            row = store.get_case(s, case.id)
            row.last_error = reason[:500]
            row.next_attempt_at = now + backoff(row.attempts, retry_after)
            repo.save(s, row)
            attempts = row.attempts
        log.warning("case %s attempt %d failed, retrying at %s: %s", case.id, attempts,
                    row.next_attempt_at.isoformat(), reason)
        self._refresh(case.project_id)  # the checklist says "retrying (attempt n, next at …)"
        if self.cs_channel and self.intake is not None:  # its post in CS_CHANNEL too (without an intake there is none)
            self._show_state(case, snap, number, ts, post=False)
        if attempts == STILL_PENDING_AFTER:
            self._tell_user(snap, case.requested_by, csv.case_still_pending_text(number, attempts, reason))
        return Outcome(RETRY, reason=reason, maybe_sent=maybe_sent)

    def _fail(self, case: Case, snap: ProjectSnapshot, number: Optional[int], reason: str,
              surface: str, ts: Optional[str] = None) -> Outcome:
        with repo.transaction(self.deps.session_factory) as s:
            p = repo.lock_project(s, case.project_id)
            row = store.get_case(s, case.id)
            row.status, row.last_error, row.next_attempt_at = store.FAILED, reason[:500], None
            repo.save(s, row)
            item = store.item_of(s, row)
            if item is not None and item.status == "escalated":
                item.status, item.resolved_by, item.resolved_at = "open", None, None
                repo.save(s, item)
                # The item is open again, so step 2 is not done: reopen it (a completion rule).
                was = repo.snapshot(s, p).step("address").state
                if was != "open":
                    repo.set_step(s, p, "address", "open", None, store.SYSTEM)
                    repo.audit(s, p.id, store.SYSTEM, "step_reopened", surface,
                               {"step": "address", "was": was, "case_id": case.id})
            repo.bump(s, p)
            repo.audit(s, p.id, store.SYSTEM, "case_failed", surface,
                       {"case_id": case.id, "number": number, "reason": reason[:500]})
        log.error("case %s failed for good: %s", case.id, reason)
        text = csv.case_failed_text(number, case.subject, reason)
        self._refresh(case.project_id)
        if self.cs_channel and self.intake is not None:
            self._show_state(case, snap, number, ts, post=False)
        self._tell_project(snap, text)
        self._dm(case.requested_by, text)  # a DM notifies; the channel post may go unseen
        return Outcome(FAILED, reason=reason)

    # ---- telling people ----------------------------------------------------------------------
    def _refresh(self, project_id: int) -> None:
        refresh_checklist(self.deps, project_id)

    def _tell_user(self, snap: ProjectSnapshot, user_id: str, text: str) -> None:
        """Only the requester: ephemeral in the (internal) project channel, else a DM."""
        ephemeral_or_dm(self.deps.client, snap.channel_id, user_id, text)

    def _tell_project(self, snap: ProjectSnapshot, text: str, also: tuple[str, ...] = ()) -> None:
        """The project channel, in the open; if it has become shared, the team by DM instead."""
        post_or_dm_team(self.deps.client, snap.channel_id, (*snap.specialist_ids, snap.manager_id, *also), text)

    def _dm(self, user_id: str, text: str) -> None:
        dm(self.deps.client, user_id, text)
