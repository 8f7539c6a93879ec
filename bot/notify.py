"""The outbox: the only code that posts on a schedule, and the way every post
that may be retried is sent (the handoff, and the specialist ping and the
biller's answer after a mention, bot.cs.handoff): `send_now` makes one attempt
at once for a person waiting, and says whether it was sent, refused, or is
pending and may be in Slack already.

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

import itertools
import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Optional

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import directory, fmt
from bot.channels import is_shared
from bot.post_terms import (  # noqa: F401 - the outbox's terms, re-exported for its callers
    BLOCK_ERRORS, BUSY, DATA_KINDS, INTERNAL_KINDS, LAST_KINDS, LINKED_KINDS, PENDING, REFUSED, SENT, SIMULATED_NOTE,
    Attempt, DrainResult, _Outcome)
from bot.slack_answers import answer_of, lost_answer, transient
from storage import outbox, repo
from storage.db import Session
from storage.models import Post
from storage.outbox import CLAIM_TTL, enqueue, post_by_ts, post_ts  # noqa: F401 - the outbox's writers, re-exported

log = logging.getLogger("addon_bot.notify")

MAX_ATTEMPTS = 5  # reported to a person after this many failed attempts; retries go on
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
METADATA_EVENT = "addon_bot_post"


def instance_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour."""
    return min(BACKOFF_MAX, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


# ---- sending -------------------------------------------------------------------------
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
        self.still_wanted: dict[str, Callable[[Session, Post], bool]] = {}  # by kind: storage.outbox.still_wanted
        # Run after the outcome is stored (outside its transaction; may call Slack), by kind.
        self.after_sent: dict[str, Callable[[Post], None]] = {}
        self._dms: dict[str, str] = {}  # user -> the bot's DM with them (a DM's id never changes)
        self._workspace_url: Optional[str] = None  # https://<workspace>.slack.com, for permalinks
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

    def send_now(self, key: str) -> Attempt:
        """One attempt at the post `key` at once (a person is waiting for the answer). Whatever
        happens, the row stays the outbox's: a failed attempt is retried on the tick like any other."""
        now = self.clock()
        with self.session_factory() as s:
            rows = outbox.due_posts(s, now, keys=[key], limit=1)
        seen: list[_Outcome] = []
        if rows:
            self._batch([rows[0][0]], now, DrainResult(), None, seen)
        if not seen:
            with self.session_factory() as s:
                ts, state = outbox.post_ts(s, key), outbox.post_state(s, key)
            return Attempt(SENT, ts=ts) if state == "sent" else Attempt(BUSY)
        o = seen[0]
        if o.error is None:
            return Attempt(SENT, ts=o.ts)
        return Attempt(REFUSED if o.refused else PENDING, error=o.error, maybe_sent=o.maybe_sent)

    def cancel(self, key: str, reason: str) -> bool:
        """Never send the post `key` (a person was told it was not sent); False when it was sent already."""
        with repo.transaction(self.session_factory) as s:
            return outbox.cancel(s, key, reason)

    def _batch(self, ids: list[int], now: datetime, out: DrainResult, pool,
               seen: Optional[list] = None) -> list[int]:
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
        if seen is not None:
            seen.extend(outcomes)
        for o in outcomes:
            after = self.after_sent.get(o.row.kind)
            if after is not None and o.error is None and o.ts is not None:
                try:
                    after(o.row)
                except Exception:  # noqa: BLE001 - the post is sent and recorded; only its follow-up failed
                    log.exception("after sending post %s", o.row.idempotency_key)
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
            rows, waiting = outbox.claim(s, ids, now, token)
            return [r for r in rows if outbox.still_wanted(s, r[0], self.still_wanted.get(r[0].kind))], waiting

    def _deliver_lane(self, rows: list) -> list[_Outcome]:
        return [self._deliver(r) for r in rows]

    def _deliver(self, claimed: tuple[Post, Optional[str]]) -> _Outcome:
        """The Slack calls for one claimed post; no database here."""
        row, parent_ts = claimed
        # A reply in the thread of a message that is not a post (a person's): its ts in the metadata.
        parent_ts = parent_ts or (row.payload.get("meta") or {}).get("thread_ts")
        out = _Outcome(row)
        posting = False
        try:
            out.channel = self._channel(row)
            ts = row.ts
            if ts is None and row.attempts > 1:
                ts = self._already_posted(row, out.channel, parent_ts)
            if ts is not None:  # edit in place (a restated post, or one found already posted)
                ts = self._update(row, out.channel, ts)
            if ts is None and not row.payload.get("edit_only"):
                posting = True
                ts = self._post(row, out.channel, parent_ts)
            out.ts = ts
            if ts is not None and row.kind in LINKED_KINDS and not row.payload.get("permalink"):
                out.permalink = self._permalink(out.channel, ts)
        except SlackApiError as e:
            status, error = answer_of(e)
            out.error = error
            if status == 429:
                out.retry_after = int(e.response.headers.get("Retry-After", "30") or 30)
            out.maybe_sent = posting and lost_answer(status, error)
            out.refused = not transient(status, error)
        except _NotPostable as e:
            out.error, out.refused = str(e), True
        except Exception as e:  # noqa: BLE001 - network trouble: retried, never dropped
            out.error = f"{type(e).__name__}: {e}"
            out.maybe_sent = posting  # the request may have reached Slack before the connection broke
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

    def _permalink(self, channel: str, ts: str) -> Optional[str]:
        """The message's permalink in its documented form, `https://<workspace>.slack.com/archives/
        <channel>/p<ts without the dot>` (https://docs.slack.dev/reference/methods/chat.getPermalink),
        built from the workspace's URL (auth.test, asked once) rather than one chat.getPermalink call
        a summary. None when the URL is unknown: the post is sent all the same, and links to it say
        where it is in words."""
        base = self._workspace_url
        if base is None:
            try:
                url = self.client.auth_test().get("url")
            except Exception as e:  # noqa: BLE001 - a missing link never fails a post that was sent
                log.info("no workspace URL for permalinks now: %s", e)
                return None
            if not (isinstance(url, str) and url.startswith("https://")):
                return None
            base = self._workspace_url = url.rstrip("/")
        return f"{base}/archives/{channel}/p{ts.replace('.', '')}"

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
            status, error = answer_of(e)
            if transient(status, error):
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
        if o.permalink:
            cur.payload = {**cur.payload, "permalink": o.permalink}
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


class _NotPostable(Exception):
    """A reason of ours not to post (e.g. the channel became shared)."""
