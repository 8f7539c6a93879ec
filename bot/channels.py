"""What the bot knows of Slack channels: whether one is internal to this
organisation or shared with another (Slack Connect).

Whether a channel is shared is asked of Slack (conversations.info, Tier 3:
about 50 a minute, https://docs.slack.dev/reference/methods/conversations.info)
once and kept as a fact in the database (storage/channels.py), not asked
before every post:

- kept true by events: `channel_shared` (it is shared now), `channel_unshared`
  (its `is_ext_shared` says whether it still is), `member_joined_channel` (a
  person of another organisation joining means it is shared; the bot joining
  means we know nothing yet), applied before the event is acknowledged
  (bot.handlers.channels), so the next post already sees them;
  https://docs.slack.dev/reference/events/channel_shared,
  https://docs.slack.dev/reference/events/channel_unshared,
  https://docs.slack.dev/reference/events/member_joined_channel;
- re-checked: a fact older than MAX_AGE is asked again before it is used, and
  the scheduler's tick re-asks facts older than RECHECK_AGE a few a minute, so
  the daily run finds them fresh;
- unknown is asked, never assumed internal; an answer asked for before an
  event was recorded does not overwrite the event.

In the database rather than in each process: an event reaches one instance,
and every instance must stop posting internal content into that channel.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from slack_sdk.errors import SlackApiError

from bot import fmt
from bot.errors import BadInput, NotAllowed
from storage import channels as store
from storage import repo

log = logging.getLogger("addon_bot.channels")

MAX_AGE = timedelta(hours=24)  # a fact older than this is asked again before it is used
RECHECK_AGE = timedelta(hours=20)  # the tick re-asks facts older than this, ahead of their use
RECHECK_PER_TICK = 5  # a minute: a tenth of Tier 3, leaving the rest to people and the daily run
# conversations.info answers that mean the channel is gone for us: nothing to keep.
_GONE = frozenset({"channel_not_found", "not_in_channel"})


def shared_in(info: dict) -> bool:
    """What conversations.info says: shared with another organisation, or being shared (pending)."""
    return bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared"))


class ChannelFacts:
    """Whether channels are shared with another organisation, from the database, asking Slack when unknown or old."""

    def __init__(self, session_factory, clock: Callable[[], datetime], max_age: timedelta = MAX_AGE):
        self.sf = session_factory
        self.clock = clock
        self.max_age = max_age

    def is_shared(self, client, channel_id: str) -> bool:
        """True when the channel is shared (or being shared) with another organisation."""
        if channel_id.startswith("D"):
            return False
        now = self.clock()
        with self.sf() as s:
            row = store.fact(s, channel_id)
            known = None if row is None else (store.aware(row.checked_at), row.ext_shared)
        if known is not None and now - known[0] < self.max_age:
            return known[1]
        return self.ask(client, channel_id)

    def ask(self, client, channel_id: str) -> bool:
        """Ask Slack now, and keep the answer (unless an event recorded meanwhile says otherwise)."""
        asked_at = self.clock()
        info = client.conversations_info(channel=channel_id)["channel"]
        shared = shared_in(info)
        with repo.transaction(self.sf) as s:
            if not store.record(s, channel_id, ext_shared=shared, archived=bool(info.get("is_archived")),
                                now=asked_at):
                row = store.fact(s, channel_id)
                return bool(row.ext_shared) if row is not None else shared
        return shared

    # ---- events (bot.handlers.channels) ----
    def shared(self, channel_id: str, flag: bool) -> None:
        with repo.transaction(self.sf) as s:
            store.record(s, channel_id, ext_shared=flag, archived=False, now=self.clock())

    def forget(self, channel_id: str) -> None:
        with repo.transaction(self.sf) as s:
            store.forget(s, channel_id)

    def on_event(self, event: dict, home_team: Optional[str], bot_user: Optional[str]) -> None:
        kind, channel = event.get("type"), event.get("channel")
        if not isinstance(channel, str) or not channel:
            return
        if kind == "channel_shared":
            self.shared(channel, True)
        elif kind == "channel_unshared":
            still = event.get("is_ext_shared")
            self.shared(channel, still) if isinstance(still, bool) else self.forget(channel)
        elif kind == "member_joined_channel":
            team = event.get("team")
            if event.get("user") == bot_user or not isinstance(team, str):
                self.forget(channel)  # nothing known of a channel we just joined: the next use asks
            elif home_team and team != home_team:
                self.shared(channel, True)  # only a shared channel lets another organisation's people in

    # ---- the tick ----
    def recheck(self, client, now: datetime, limit: int = RECHECK_PER_TICK) -> int:
        """Ask Slack again about the oldest facts (older than RECHECK_AGE); how many were asked."""
        with self.sf() as s:
            due = store.older_than(s, now - RECHECK_AGE, limit)
        for channel_id in due:
            try:
                self.ask(client, channel_id)
            except SlackApiError as e:
                error = e.response.get("error") if e.response is not None else None
                if error in _GONE:
                    self.forget(channel_id)
                else:
                    log.info("channel %s not re-checked: %s", channel_id, error)
                    break  # rate limited or Slack trouble: the next tick goes on
        return len(due)


def is_shared(client: Any, channel_id: str) -> bool:
    """Through the client's channel facts (bot.gateway.Gateway.channel_facts), else asking Slack."""
    facts = getattr(client, "channel_facts", None)
    if facts is not None:
        return facts.is_shared(client, channel_id)
    if channel_id.startswith("D"):
        return False
    info = client.conversations_info(channel=channel_id)["channel"]
    return shared_in(info)


def ensure_internal_channel(client, channel_id: str) -> None:
    """Internal content never goes to a channel shared with another organisation.
    Checked at send time (from the channel facts, kept true by Slack's events): a
    channel can become shared after registration."""
    if channel_id.startswith("D"):
        return
    if is_shared(client, channel_id):
        raise NotAllowed(
            f"{fmt.channel(channel_id)} is shared with another organisation (Slack Connect), so internal "
            "project details are not posted there. Keep the project in a channel only your "
            "organisation is in: if this channel was shared by mistake, stop sharing it."
        )


def ensure_shared_channel(client, channel_id: str) -> None:
    """The biller's channel must be shared with their organisation (Slack Connect): an internal
    channel would send the handoff to no one outside, and let internal readers think it was."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as e:
        raise BadInput(f"I cannot see {fmt.channel(channel_id)} (`{e.response.get('error')}`): invite me there first, "
                       "or name the biller's shared channel.") from None
    if not shared_in(info):
        raise BadInput(f"{fmt.channel(channel_id)} is not shared with another organisation. `shared=` is the Slack "
                       "Connect channel you share with the biller.")
