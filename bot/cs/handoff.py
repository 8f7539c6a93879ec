"""The handoff (step 3): tell the biller, in the channel shared with them, how
to get support from Client Services; record when it went out and who
acknowledged it.

The handoff row is stored before the message is posted; once Slack has the
message, the row gets its ts and sent time and step 3 is marked done in the
same transaction. A post Slack refuses leaves step 3 as it was and is reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from slack_sdk.errors import SlackApiError

from bot import fmt
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

    def send(self, actor: Actor, project_id: int, expected_channel: Optional[str], surface: str) -> ProjectSnapshot:
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
        snap = self.deps.service.snapshot(project_id)
        text, blocks = csv.handoff_message(snap, self.avenues(snap.biller_id), handoff_id)
        try:
            r = self.deps.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        except SlackApiError as e:
            err = e.response.get("error") if e.response is not None else "unknown"
            hint = (" Invite @addon-bot to it, then send the handoff again."
                    if err in ("not_in_channel", "channel_not_found") else " Try again in a moment.")
            raise Unavailable(f"I could not post the handoff in {fmt.channel(channel)} (`{err}`), so "
                              f"nothing was sent and step 3 is unchanged.{hint}") from None
        with repo.transaction(sf) as s:
            p = repo.lock_project(s, project_id)
            h = store.get_handoff(s, p, handoff_id)
            h.message_ts, h.sent_at = r["ts"], utcnow()
            repo.save(s, h)
            if repo.snapshot(s, p).step("handoff").state != wf.DONE:
                repo.set_step(s, p, "handoff", wf.DONE, f"Handoff sent to {fmt.channel(channel)}.", actor.user_id)
            else:
                repo.bump(s, p)
            repo.audit(s, p.id, actor.user_id, "handoff_sent", surface,
                       {"channel": channel, "ts": r["ts"], "handoff_id": handoff_id})
        return self.deps.service.snapshot(project_id)

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
