"""The outbox: the only code that posts on a schedule.

Every scheduled post is a `post` row keyed by an idempotency key and written
in the same transaction as the state it reports (a day's summary, an alert),
so it exists before anything is sent. Sending claims the row first with one
conditional UPDATE; only the claimant calls Slack. So:

- a restart or a second instance never posts twice: the key is unique, and
  the claim lets one sender at a time through;
- nothing is lost: a row stays pending until Slack answered ok, failed sends
  are retried with backoff on the tick, and after MAX_ATTEMPTS the failure is
  reported (log and a message to a person) while retries go on;
- a sender that died mid-send leaves a claim that expires after CLAIM_TTL;
  the next sender first looks for the message it may already have posted
  (each post carries its key in Slack message metadata) before posting;
- a post whose content changes later (a restated summary, an acknowledged
  alert) is edited in place with chat.update; a post can be a reply in the
  thread of another post, referenced by key.
"""

from __future__ import annotations

from bot import fmt

import itertools
import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Optional

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory
from bot.channels import is_shared
from storage import outbox, repo
from storage.db import Session
from storage.models import Post
from storage.outbox import CLAIM_TTL, enqueue, post_by_ts, post_ts  # noqa: F401 - the outbox's writers, re-exported

log = logging.getLogger("addon_bot.notify")

MAX_ATTEMPTS = 5  # reported to a person after this many failed attempts; retries go on
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
METADATA_EVENT = "addon_bot_post"
# Posts built from the payments source's numbers (marked when it is the simulator).
DATA_KINDS = frozenset({"summary", "alert_dm", "alert_channel", "alert_note", "checklist"})
SIMULATED_NOTE = ":test_tube: Simulated data from the built-in Biller Portal simulator: not real payments."

# Slack answers that mean "the blocks are the problem": the next attempt sends text only.
BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long"})


def instance_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour."""
    return min(BACKOFF_MAX, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


# ---- sending -------------------------------------------------------------------------
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


class Notifier:
    """Sends what the outbox holds. `client` should not retry connection errors
    itself (a lost answer would post twice); the outbox retries, safely.

    A drain claims a batch of due posts in one transaction (a claim token of
    its own, so two drains of one instance never share rows), sends them from
    `workers` threads, and records the outcomes in one transaction."""

    BATCH = 50

    def __init__(self, client: WebClient, session_factory: Callable[[], Session],
                 clock: Callable[[], datetime], *, managers_channel: Optional[str] = None,
                 me: Optional[str] = None, workers: int = 4):
        self.client = client
        self.session_factory = session_factory
        self.clock = clock
        self.managers_channel = managers_channel
        self.me = me or instance_id()
        self.workers = workers
        self.on_sent: dict[str, Callable[[Session, Post], None]] = {}
        self._dms: dict[str, str] = {}  # user -> the bot's DM with them (a DM's id never changes)
        self._tokens = itertools.count(1)
        # Set when the payments source is the simulator: every message built from its numbers says so.
        self.data_note: Optional[str] = None

    def drain(self, now: Optional[datetime] = None, *, keys: Optional[Iterable[str]] = None,
              project_ids: Optional[Iterable[int]] = None, limit: int = 5000,
              posts_only: bool = False) -> DrainResult:
        """Send every due post (or only `keys`, or those of `project_ids`), oldest
        first, thread parents before replies, edits of checklists last (chat.update is
        Tier 3, about 50 a minute: no summary or alert waits behind them); `posts_only`
        leaves those edits for a later drain (the daily run's end)."""
        now = now or self.clock()
        with self.session_factory() as s:
            rows = outbox.due_posts(s, now, keys=keys, project_ids=project_ids, limit=limit,
                                    without_kinds=LAST_KINDS if posts_only else ())
        out = DrainResult()
        groups = ([i for i, t, k in rows if t is None and k not in LAST_KINDS],
                  [i for i, t, k in rows if t is not None],
                  [i for i, t, k in rows if t is None and k in LAST_KINDS])
        with ThreadPoolExecutor(max(1, self.workers), thread_name_prefix="notify") as pool:
            for ids in groups:
                for k in range(0, len(ids), self.BATCH):
                    batch = ids[k:k + self.BATCH]
                    for _ in range(4):  # again for posts whose content changed while being sent
                        batch = self._batch(batch, now, out, pool)
                        if not batch:
                            break
        return out

    def _batch(self, ids: list[int], now: datetime, out: DrainResult, pool) -> list[int]:
        rows, waiting = self._claim(ids, now)
        out.waiting += waiting
        # A channel's posts go out one after another, in the order they were recorded (a catch-up
        # reads oldest first); different channels are sent in parallel.
        lanes: dict[str, list] = {}
        for r in rows:
            lanes.setdefault(r[0].channel_id, []).append(r)
        if len(lanes) > 1:
            outcomes = [o for lane in pool.map(self._deliver_lane, lanes.values()) for o in lane]
        else:
            outcomes = self._deliver_lane(rows)
        again = self._record(outcomes, now)
        for o in outcomes:
            if o.error is not None:
                out.failed += 1
            elif o.row.id not in again:
                out.sent += 1
        return again

    def _claim(self, ids: list[int], now: datetime) -> tuple[list[tuple[Post, Optional[str]]], int]:
        """Claim the due rows among `ids`: [(row, thread parent ts)], and how many wait for
        their thread's parent (those are not claimed; a later drain takes them)."""
        token = f"{self.me}#{next(self._tokens)}"
        with repo.transaction(self.session_factory) as s:
            return outbox.claim(s, ids, now, token)

    def _deliver_lane(self, rows: list) -> list[_Outcome]:
        return [self._deliver(r) for r in rows]

    def _deliver(self, claimed: tuple[Post, Optional[str]]) -> _Outcome:
        """The Slack calls for one claimed post; no database here."""
        row, parent_ts = claimed
        out = _Outcome(row)
        try:
            out.channel = self._channel(row)
            ts = row.ts
            if ts is None and row.attempts > 1:
                ts = self._already_posted(row, out.channel, parent_ts)
            if ts is not None:  # edit in place (a restated post, or one found already posted)
                ts = self._update(row, out.channel, ts)
            if ts is None and not row.payload.get("edit_only"):
                ts = self._post(row, out.channel, parent_ts)
            out.ts = ts
        except SlackApiError as e:
            out.error = (e.response.get("error") if e.response is not None else None) or "unknown"
            if e.response is not None and e.response.status_code == 429:
                out.retry_after = int(e.response.headers.get("Retry-After", "30") or 30)
        except _NotPostable as e:
            out.error = str(e)
        except Exception as e:  # noqa: BLE001 - network trouble: retried, never dropped
            out.error = f"{type(e).__name__}: {e}"
        return out

    # -- Slack calls --
    def _channel(self, row: Post) -> str:
        ch = row.channel_id
        if ch[:1] in ("U", "W"):  # a person: their DM with the bot, if they are of this organisation
            if not directory.for_client(self.client).is_member(ch):
                raise _NotPostable("recipient_is_outside_the_organisation")
            dm = self._dms.get(ch)
            if dm is None:  # conversations.open is Tier 3: asked once per person and process
                dm = self._dms[ch] = self.client.conversations_open(users=ch)["channel"]["id"]
            return dm
        # Checked at send time (a channel can become shared after registration), from the channel
        # facts that channel events keep true (bot.channels), not a conversations.info per post.
        if ch[:1] != "D" and row.kind in INTERNAL_KINDS and is_shared(self.client, ch):
            raise _NotPostable("channel_is_shared_with_another_organisation")
        return ch

    def _content(self, row: Post) -> dict[str, Any]:
        p = row.payload
        out: dict[str, Any] = {"text": p.get("text") or " "}
        if p.get("blocks") and not p.get("plain"):
            out["blocks"] = p["blocks"]
        if self.data_note and row.kind in DATA_KINDS:
            out["text"] = f"{out['text']} {self.data_note}"  # after: readers match the text's start
            if "blocks" in out:
                out["blocks"] = list(out["blocks"])[:49] + [
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": self.data_note}]}]
        return out

    def _post(self, row: Post, channel: str, parent_ts: Optional[str]) -> str:
        kw = self._content(row)
        if parent_ts:
            kw["thread_ts"] = parent_ts
        r = self.client.chat_postMessage(
            channel=channel, unfurl_links=False, unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": row.idempotency_key}}, **kw)
        return r["ts"]

    def _update(self, row: Post, channel: str, ts: str) -> Optional[str]:
        try:
            self.client.chat_update(channel=channel, ts=ts, **self._content(row))
            return ts
        except SlackApiError as e:
            if e.response.get("error") in ("message_not_found", "cant_update_message"):
                log.warning("post %s: message %s is gone; %s", row.idempotency_key, ts,
                            "nothing to edit" if row.payload.get("edit_only") else "posting it again")
                return None
            raise

    def _already_posted(self, row: Post, channel: str, parent_ts: Optional[str]) -> Optional[str]:
        """After an attempt that may have reached Slack, find the message by its key."""
        try:
            if parent_ts:
                msgs = self.client.conversations_replies(channel=channel, ts=parent_ts, limit=200,
                                                         include_all_metadata=True)["messages"]
            else:
                oldest = (row.created_at - timedelta(minutes=1)).timestamp() if row.created_at else 0
                msgs = self.client.conversations_history(channel=channel, oldest=str(oldest), limit=200,
                                                         include_all_metadata=True)["messages"]
        except SlackApiError as e:
            error = e.response.get("error") if e.response is not None else None
            status = e.response.status_code if e.response is not None else 0
            if status == 429 or status >= 500 or error in _LOOKUP_TRANSIENT:
                # Not knowing is not "not posted": the look-up is retried later, not the post.
                log.info("post %s: could not look for an earlier attempt (%s); looking again later",
                         row.idempotency_key, error)
                raise
            log.info("post %s: could not look for an earlier attempt: %s", row.idempotency_key, error)
            return None
        for m in msgs or []:
            md = m.get("metadata") or {}
            if md.get("event_type") == METADATA_EVENT and \
                    (md.get("event_payload") or {}).get("key") == row.idempotency_key:
                log.info("post %s was already posted (ts %s) by an earlier attempt", row.idempotency_key, m["ts"])
                return m["ts"]
        return None

    # -- recording the outcomes --
    def _record(self, outcomes: list[_Outcome], now: datetime) -> list[int]:
        """One transaction for a batch; the ids whose content changed while being
        sent (they are still to send)."""
        if not outcomes:
            return []
        again = []
        with repo.transaction(self.session_factory) as s:
            for o in outcomes:
                cur = outbox.still_claimed(s, o.row.id, o.row.claimed_by)
                if cur is None:
                    continue  # our claim expired and another sender took it over
                if o.error is None:
                    if not self._sent(s, cur, o, now):
                        again.append(cur.id)
                else:
                    self._failed(s, cur, o, now)
        return again

    def _sent(self, s: Session, cur: Post, o: _Outcome, now: datetime) -> bool:
        # Changed while we sent it: still pending, sent again at once.
        done = outbox.mark_sent(s, cur, ts=o.ts, channel=o.channel, now=now, rev=o.row.payload.get("rev"))
        hook = self.on_sent.get(cur.kind)
        if hook is not None and o.ts is not None:
            hook(s, cur)  # bookkeeping in the same transaction; it must not touch locked rows
        return done

    def _failed(self, s: Session, cur: Post, o: _Outcome, now: datetime) -> None:
        attempts, err = cur.attempts, o.error or "unknown"
        wait = backoff(attempts)
        if o.retry_after:
            wait = max(wait, timedelta(seconds=o.retry_after))
        level = logging.ERROR if attempts >= MAX_ATTEMPTS else logging.WARNING
        log.log(level, "post %s (%s, project %s, channel %s) failed, attempt %d: %s; retrying in %s",
                cur.idempotency_key, cur.kind, cur.project_id, cur.channel_id, attempts, err, wait)
        outbox.mark_failed(s, cur, error=err, retry_at=now + wait, final=attempts >= MAX_ATTEMPTS,
                           plain=err in BLOCK_ERRORS)
        if attempts == MAX_ATTEMPTS and cur.kind != "report":
            self._report(s, cur, err)

    def _report(self, s: Session, row: Post, err: str) -> None:
        """Tell a person that a post keeps failing (itself through the outbox)."""
        p = outbox.project_of(s, row)
        target = p.manager_id if p is not None else None
        if target is None or row.channel_id == target or row.channel_id.startswith("D"):
            target = self.managers_channel
        if target is None:
            return
        where = fmt.channel(row.channel_id) if row.channel_id[:1] in ("C", "G") else "a direct message"
        what = f"{p.addon} · {p.biller_id}" if p is not None else "a project"
        text = (f":warning: I could not post the {row.kind.replace('_', ' ')} for {what} in {where} after "
                f"{row.attempts} attempts (last error: `{err}`). I keep retrying, at most hourly; nothing is "
                "dropped. If I was removed from the channel, `/invite @addon-bot` there.")
        enqueue(s, key=f"report:{row.idempotency_key}", kind="report", channel=target, text=text,
                project_id=row.project_id)


# Look-up failures that say nothing about whether the post reached Slack.
_LOOKUP_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                               "request_timeout"})


class _NotPostable(Exception):
    """A reason of ours not to post (e.g. the channel became shared)."""


# Edits sent after every post of a drain (see Notifier.drain).
LAST_KINDS = ("checklist",)

# Kinds whose content is internal: never posted into a channel shared with another organisation.
INTERNAL_KINDS = frozenset({"summary", "alert_note", "alert_channel", "checklist", "report"})
