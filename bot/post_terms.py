"""The outbox's terms: what an attempt at a post came to, and which kinds of post are
internal, built from payment numbers, or linked to (bot.notify sends them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from storage.models import Post

# Posts built from the payments source's numbers (marked when it is the simulator).
DATA_KINDS = frozenset({"summary", "catch_up", "alert_dm", "alert_channel", "alert_note", "checklist"})
SIMULATED_NOTE = ":test_tube: Simulated data from the built-in Biller Portal simulator: not real payments."

# Slack answers that mean "the blocks are the problem": the next attempt sends text only.
BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long"})

# Edits sent after every post of a drain (see Notifier.drain).
LAST_KINDS = ("checklist",)

# Kinds whose permalink is kept (the alerts link to the day's summary).
LINKED_KINDS = frozenset({"summary", "catch_up"})

# Kinds whose content is internal: never posted into a channel shared with another organisation.
INTERNAL_KINDS = frozenset({"summary", "catch_up", "alert_note", "alert_channel", "checklist", "report", "ping"})


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # not sendable yet (thread parent unsent)


@dataclass
class _Outcome:
    row: Post  # as claimed (detached)
    channel: Optional[str] = None
    ts: Optional[str] = None
    error: Optional[str] = None
    retry_after: Optional[int] = None
    permalink: Optional[str] = None
    maybe_sent: bool = False  # the post's answer was lost: it may be in Slack (the next attempt looks)
    refused: bool = False  # Slack (or a rule of ours) said no: nothing was posted


SENT, PENDING, REFUSED, BUSY = "sent", "pending", "refused", "busy"


@dataclass(frozen=True)
class Attempt:
    """What one attempt at a post did, for a person waiting for the answer (Notifier.send_now).

    sent: it is in Slack (ts). pending: not confirmed; the outbox tries again (looking for it
    first), and `maybe_sent` says whether it may be there already. refused: Slack refused it or it
    may not be posted there (`error`); nothing was posted. busy: another sender holds it."""

    state: str
    error: Optional[str] = None
    maybe_sent: bool = False
    ts: Optional[str] = None
