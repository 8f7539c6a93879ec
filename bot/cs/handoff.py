"""The handoff (step 3): tell the biller, in the channel shared with them, how
to get support from Client Services; record when it went out and who
acknowledged it.

The handoff row and its post (the outbox's, bot.notify) are stored in one
transaction before anything is posted; once Slack has the message, the row
gets its ts and sent time and step 3 is marked done in the outbox's
transaction. A post Slack refuses is cancelled, leaves step 3 as it was and is
reported; one Slack did not confirm stays the outbox's, which looks for it
before posting again, and the sender hears by DM when it is confirmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from slack_sdk.errors import SlackApiError

from bot import fmt
from bot.notify import REFUSED, SENT, Attempt, enqueue
from storage.outbox import note as outbox_note
from bot import workflow as wf
from bot.cs import rules
from storage import cs as store
from bot.views import cs as csv
from bot.cs.content import Avenues, HandoffContent
from bot.errors import Conflict, ProjectLocked, Unavailable
from bot.workflow import Actor, ProjectSnapshot
from storage import repo
from storage.models import utcnow

log = logging.getLogger("addon_bot.cs.handoff")

RECORDED, ALREADY, NOT_BILLER, LOCKED = "recorded", "already", "not_biller", "locked"
POST_KIND = "handoff"  # the outbox's kind for the handoff message
PING_KIND, ANSWER_KIND = "ping", "mention_answer"  # a biller's mention: the team's ping, the biller's answer
QUEUED, FAILED = "queued", "failed"  # besides SENT: what tell_team and answer did


def post_key(handoff_id: int) -> str:
    """The handoff's idempotency key (carried in its Slack message metadata): an id, nothing internal."""
    return f"handoff:{handoff_id}"


@dataclass(frozen=True)
class Sent:
    """What `send` did: the project now, the shared channel, and the attempt at posting."""

    snap: ProjectSnapshot
    channel: str
    attempt: Attempt


@dataclass(frozen=True)
class Ack:
    result: str  # recorded | already | not_biller | locked
    by: Optional[str] = None
    at: Optional[datetime] = None
    channel_id: Optional[str] = None
    message_ts: Optional[str] = None


class HandoffDesk:
    def __init__(self, deps, content: HandoffContent):
        self.deps = deps
        self.content = content

    def avenues(self, biller_id: Optional[str]) -> Avenues:
        return self.content.for_biller(biller_id)

    def projects_sharing(self, channel_id: str) -> list[int]:
        """Ids of the projects whose biller is in this channel: open ones first, then the newest."""
        with self.deps.session_factory() as s:
            return [p.id for p in store.projects_for_shared_channel(s, channel_id)]

    # ---- preview and send ---------------------------------------------------------------
    def preview(self, actor: Actor, project_id: int) -> dict:
        """The preview modal, or raise (NoSharedChannel names how to set one)."""
        snap = self.deps.service.snapshot(project_id)
        rules.ensure_can_send_handoff(snap, actor)
        with self.deps.session_factory() as s:
            last = store.last_sent_handoff(s, project_id)
        av = self.avenues(snap.biller_id)
        return csv.handoff_preview_modal(snap, av, builtin=self.content.builtin,
                                         last_sent=(last.sent_at, last.sent_by) if last else None,
                                         placeholders=rules.placeholder_contacts(av))

    def placeholders(self, project_id: int) -> list[str]:
        """The placeholder contacts the project's handoff would carry (none with real details)."""
        return rules.placeholder_contacts(self.avenues(self.deps.service.snapshot(project_id).biller_id))

    def send(self, actor: Actor, project_id: int, expected_channel: Optional[str], surface: str) -> Sent:
        """Store the handoff and its post (one transaction), then one attempt at posting it at once.
        The post is the outbox's (bot.notify): keyed, claimed, and retried only after looking for an
        earlier attempt, so a lost answer, a retry, a restart or a second instance never doubles it.
        Step 3 is marked done when Slack has the message (`recorded`, in the outbox's transaction)."""
        sf = self.deps.session_factory
        with repo.transaction(sf) as s:
            p = repo.get_project(s, project_id)
            rules.ensure_can_send_handoff(repo.snapshot(s, p), actor)
            p = repo.lock_project(s, project_id)
            channel = rules.ensure_can_send_handoff(repo.snapshot(s, p), actor)
            if expected_channel and channel != expected_channel:
                raise Conflict(f"The project's shared channel changed to {fmt.channel(channel)} since the "
                               "preview; open the handoff again to check it.")
            h = store.add_handoff(s, p, channel, actor.user_id)
            handoff_id = h.id
            snap = repo.snapshot(s, p)
            text, blocks = csv.handoff_message(snap, self.avenues(snap.biller_id), handoff_id)
            # The only post in the shared channel: its content is the handoff message, nothing else.
            enqueue(s, key=post_key(handoff_id), kind=POST_KIND, channel=channel, text=text, blocks=blocks,
                    project_id=p.id, meta={"handoff": handoff_id, "by": actor.user_id, "surface": surface},
                    once=True)
        notifier = self.deps.notifier
        key = post_key(handoff_id)
        attempt = notifier.send_now(key)
        if attempt.state == REFUSED and notifier.cancel(key, attempt.error or "refused"):
            err = attempt.error or "unknown"
            hint = (" Invite @addon-bot to it, then send the handoff again."
                    if err in ("not_in_channel", "channel_not_found") else " Try again in a moment.")
            raise Unavailable(f"I could not post the handoff in {fmt.channel(channel)} (`{err}`), so "
                              f"nothing was sent and step 3 is unchanged.{hint}") from None
        if attempt.state != SENT:
            # Not confirmed: tell the sender by DM once it is (`recorded` reads this).
            with repo.transaction(sf) as s:
                if outbox_note(s, key, tell=True) == "sent":
                    attempt = Attempt(SENT)
        return Sent(self.deps.service.snapshot(project_id), channel, attempt)

    def recorded(self, s, post) -> None:
        """The outbox's on-sent hook for a handoff post: record it, mark step 3 done (same transaction)."""
        meta = (post.payload or {}).get("meta") or {}
        hid, by = meta.get("handoff"), meta.get("by") or store.SYSTEM
        p = repo.get_project(s, post.project_id)
        if p.locked:  # completed meanwhile: the record is frozen; the message stands
            log.warning("handoff %s was posted after project %s was completed", hid, p.id)
            return
        p = repo.lock_project(s, p.id)
        h = store.get_handoff(s, p, hid)
        if h.sent_at is not None:
            return
        h.message_ts, h.sent_at = post.ts, utcnow()
        repo.save(s, h)
        if repo.snapshot(s, p).step("handoff").state != wf.DONE:
            repo.set_step(s, p, "handoff", wf.DONE, f"Handoff sent to {fmt.channel(h.channel_id)}.", by)
        else:
            repo.bump(s, p)
        repo.audit(s, p.id, by, "handoff_sent", meta.get("surface") or "outbox",
                   {"channel": h.channel_id, "ts": post.ts, "handoff_id": hid})
        if meta.get("tell") and by != store.SYSTEM:
            enqueue(s, key=f"{post_key(hid)}:confirmed", kind="note", channel=by, project_id=p.id,
                    text=csv.handoff_confirmed_text(h.channel_id), once=True)

    # ---- a biller's mention: the specialist ping and the answer, keyed by the biller's message ------
    def tell_team(self, snap: ProjectSnapshot, key: str, text: str) -> str:
        """Ping the team in the internal project channel through the outbox (`key`: the biller's
        message, so a retried event or a lost answer never pings twice); if that channel refuses it
        or is shared now, each of the team by DM. SENT, QUEUED (the outbox delivers it) or FAILED."""
        team = snap.specialist_ids or (snap.manager_id,)
        first = self._post_now(key, PING_KIND, snap.channel_id, text, snap.id)
        if first != FAILED:
            return first
        results = [self._post_now(f"{key}:dm:{uid}", PING_KIND, uid, text, snap.id) for uid in dict.fromkeys(team)]
        return SENT if SENT in results else QUEUED if QUEUED in results else FAILED

    def answer(self, channel: str, thread_ts: str, key: str, text: str, project_id: Optional[int]) -> str:
        """The answer in the biller's thread (the shared channel), keyed like the ping."""
        return self._post_now(key, ANSWER_KIND, channel, text, project_id, thread_ts=thread_ts)

    def _post_now(self, key: str, kind: str, channel: str, text: str, project_id: Optional[int],
                  thread_ts: Optional[str] = None) -> str:
        with repo.transaction(self.deps.session_factory) as s:
            enqueue(s, key=key, kind=kind, channel=channel, text=text, project_id=project_id, once=True,
                    meta={"thread_ts": thread_ts} if thread_ts else None)
        notifier = self.deps.notifier
        a = notifier.send_now(key)
        if a.state == SENT:
            return SENT
        if a.state == REFUSED and notifier.cancel(key, a.error or "refused"):
            log.warning("post %s in %s refused: %s", key, channel, a.error)
            return FAILED
        return QUEUED

    # ---- the biller's "Got it" ---------------------------------------------------------------
    def acknowledge(self, actor: Actor, project_id: int, handoff_id: int) -> Ack:
        if not actor.external:
            return Ack(NOT_BILLER)
        try:
            with repo.transaction(self.deps.session_factory) as s:
                p = repo.lock_project(s, project_id)
                h = store.get_handoff(s, p, handoff_id)
                if h.acknowledged_by:
                    return Ack(ALREADY, h.acknowledged_by, h.acknowledged_at, h.channel_id, h.message_ts)
                h.acknowledged_by, h.acknowledged_at = actor.user_id, utcnow()
                repo.save(s, h)
                repo.bump(s, p)
                repo.audit(s, p.id, actor.user_id, "handoff_acknowledged", "button", {"handoff_id": h.id})
                return Ack(RECORDED, h.acknowledged_by, h.acknowledged_at, h.channel_id, h.message_ts)
        except ProjectLocked:
            return Ack(LOCKED)

    # ---- the shared channel --------------------------------------------------------------------
    def shared_channel_problem(self, actor: Actor, project_id: int, channel_id: Optional[str]) -> Optional[str]:
        """Why the channel cannot be the shared channel (None: it can). Asks Slack about it."""
        snap = self.deps.service.snapshot(project_id)
        wf.ensure_can_change(snap, actor)
        info = None
        if channel_id:
            try:
                info = self.deps.client.conversations_info(channel=channel_id)["channel"]
            except SlackApiError as e:
                log.info("conversations.info %s: %s", channel_id, e.response.get("error"))
        with self.deps.session_factory() as s:
            other = bool(channel_id) and store.channel_is_project_channel(s, channel_id, project_id)
        return rules.shared_channel_problem(snap, channel_id, info, other)

    def set_shared_channel(self, actor: Actor, project_id: int, channel_id: str, surface: str) -> ProjectSnapshot:
        with repo.transaction(self.deps.session_factory) as s:
            wf.ensure_can_change(repo.snapshot(s, repo.get_project(s, project_id)), actor)
            p = repo.lock_project(s, project_id)
            wf.ensure_can_change(repo.snapshot(s, p), actor)
            before = p.shared_channel_id
            p.shared_channel_id = channel_id
            repo.bump(s, p)
            repo.audit(s, p.id, actor.user_id, "shared_channel_set", surface, {"from": before, "to": channel_id})
        return self.deps.service.snapshot(project_id)
