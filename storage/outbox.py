"""The outbox's table (`post`): writing a post, claiming due posts for a
sender, and recording what Slack answered. The sending itself, and the policy
of retries and reports, is bot.notify's."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Iterable, Optional

from sqlalchemy import and_, or_, select, update
from sqlmodel import Session

from storage import repo
from storage.dbutil import insert_ignore
from storage.models import Post, Project

log = logging.getLogger("addon_bot.outbox")

CLAIM_TTL = timedelta(minutes=5)  # a claim older than this belongs to a dead sender


# ---- writing (inside the caller's transaction) ----------------------------------------
def enqueue(s: Session, *, key: str, kind: str, channel: str, text: str,
            blocks: Optional[list] = None, project_id: Optional[int] = None,
            thread_key: Optional[str] = None, meta: Optional[dict] = None,
            ts: Optional[str] = None, edit_only: bool = False, once: bool = False) -> Optional[Post]:
    """Store (or restate) the post `key`. Unchanged content is a no-op; changed
    content of a post already sent is marked for an edit in place. `once`: never
    restated (a second enqueue of the key changes nothing, whatever it says).
    Returns the row when it existed before (None for a new post)."""
    content = {"text": text, "blocks": blocks or None, "meta": meta or {}, "edit_only": edit_only}
    if insert_ignore(s, Post, dict(
            idempotency_key=key, project_id=project_id, kind=kind, channel_id=channel,
            thread_key=thread_key, payload={**content, "rev": 1}, state="pending", attempts=0,
            ts=ts, created_at=repo.now()), ["idempotency_key"]):
        return None  # new: stored as given
    row = _by_key(s, key)
    if once or (_same(row.payload, content) and (ts is None or ts == row.ts)):
        return row
    row.payload = {**content, "rev": int(row.payload.get("rev", 1)) + 1,
                   "plain": row.payload.get("plain", False), "permalink": row.payload.get("permalink")}
    if ts is not None and ts != row.ts:
        row.ts = ts
    if row.state == "sent":  # an edit in place of a post already sent
        row.state, row.next_attempt_at, row.attempts = "pending", None, 0
    elif row.state == "failed":  # new content: worth trying at once
        row.state, row.next_attempt_at = "pending", None
    s.add(row)
    s.flush()
    return row


def _same(payload: dict, content: dict) -> bool:
    return all(payload.get(k) == v for k, v in content.items())


def _by_key(s: Session, key: str) -> Optional[Post]:
    """The row, locked for this transaction (PostgreSQL; SQLite writers are serialised)."""
    return _locked(s, Post.idempotency_key == key)


def _locked(s: Session, where) -> Optional[Post]:
    stmt = select(Post).where(where).with_for_update().execution_options(populate_existing=True)
    return s.execute(stmt).scalars().first()


def post_by_ts(s: Session, channel: str, ts: str, kinds: Iterable[str]) -> Optional[Post]:
    stmt = select(Post).where(Post.channel_id == channel, Post.ts == ts, Post.kind.in_(list(kinds)))
    return s.execute(stmt.limit(1)).scalars().first()


def post_exists(s: Session, key: str) -> bool:
    return s.execute(select(Post.id).where(Post.idempotency_key == key)).first() is not None


def post_ts(s: Session, key: str) -> Optional[str]:
    return s.execute(select(Post.ts).where(Post.idempotency_key == key)).scalar_one_or_none()


def post_of(s: Session, key: str) -> Optional[Post]:
    return s.execute(select(Post).where(Post.idempotency_key == key)).scalars().first()


def catch_up_of(s: Session, project_id: int, d) -> Optional[Post]:
    """The catch-up post of the project that covers local date `d` (its meta lists the dates), if any."""
    day = d.isoformat()
    for row in s.execute(select(Post).where(Post.project_id == project_id, Post.kind == "catch_up")
                         .order_by(Post.id)).scalars():
        if day in ((row.payload or {}).get("meta") or {}).get("dates", ()):
            return row
    return None
def post_state(s: Session, key: str) -> Optional[str]:
    return s.execute(select(Post.state).where(Post.idempotency_key == key)).scalar_one_or_none()


def cancel(s: Session, key: str, reason: str) -> bool:
    """Never send `key` (its sender told a person it was not sent): state `cancelled`, no longer
    due. False (and unchanged) when it was sent already or is being sent."""
    row = _by_key(s, key)
    if row is None or row.state in ("sent", "sending"):
        return False
    row.state, row.next_attempt_at, row.claimed_by = "cancelled", None, None
    row.last_error = reason[:500]
    s.add(row)
    return True


def note(s: Session, key: str, **meta) -> Optional[str]:
    """Add `meta` to the post's metadata (read by its on-sent hook; the content is unchanged);
    the post's state then (None: no such post)."""
    row = _by_key(s, key)
    if row is None:
        return None
    row.payload = {**row.payload, "meta": {**(row.payload.get("meta") or {}), **meta}}
    s.add(row)
    return row.state


# ---- sending: what is due, claims, outcomes ----------------------------------------------
def _due(now: datetime):
    return or_(
        and_(Post.state.in_(("pending", "failed")),
             or_(Post.next_attempt_at.is_(None), Post.next_attempt_at <= now)),
        and_(Post.state == "sending", Post.claimed_at < now - CLAIM_TTL),
    )


def due_posts(s: Session, now: datetime, *, keys: Optional[Iterable[str]] = None,
              project_ids: Optional[Iterable[int]] = None, limit: int = 5000,
              without_kinds: Iterable[str] = ()) -> list[tuple[int, Optional[str], str]]:
    """(id, thread key, kind) of every due post (or only `keys`, or those of `project_ids`;
    none of `without_kinds`), oldest first."""
    stmt = select(Post.id, Post.thread_key, Post.kind).where(_due(now))
    if keys is not None:
        stmt = stmt.where(Post.idempotency_key.in_(list(keys)))
    if project_ids is not None:
        stmt = stmt.where(Post.project_id.in_(list(project_ids)))
    if without_kinds:
        stmt = stmt.where(Post.kind.not_in(list(without_kinds)))
    return [(i, k, kind) for i, k, kind in s.execute(stmt.order_by(Post.id).limit(limit))]


def claim(s: Session, ids: list[int], now: datetime, token: str) -> tuple[list[tuple[Post, Optional[str]]], int]:
    """Claim the due rows among `ids` with `token`: [(row, thread parent ts)] (detached),
    and how many wait for their thread's parent (not claimed; a later drain takes them)."""
    meta = list(s.execute(select(Post.id, Post.thread_key).where(Post.id.in_(ids))))
    parents = {k: post_ts(s, k) for _, k in meta if k}
    ready = [i for i, k in meta if not k or parents.get(k)]
    if not ready:
        return [], len(meta)
    s.execute(update(Post).where(Post.id.in_(ready), _due(now))
              .values(state="sending", claimed_by=token, claimed_at=now, attempts=Post.attempts + 1)
              .execution_options(synchronize_session=False))
    rows = list(s.execute(select(Post).where(Post.id.in_(ready), Post.claimed_by == token)
                          .order_by(Post.id)).scalars())
    for r in rows:
        s.expunge(r)
    return [(r, parents.get(r.thread_key)) for r in rows], len(meta) - len(ready)


def still_claimed(s: Session, post_id: int, token: Optional[str]) -> Optional[Post]:
    """The row, locked, if our claim `token` still holds it (None: it expired and another sender took over)."""
    cur = _locked(s, Post.id == post_id)
    return cur if cur is not None and cur.claimed_by == token else None


def mark_sent(s: Session, cur: Post, *, ts: Optional[str], channel: Optional[str], now: datetime,
              rev: Optional[int]) -> bool:
    """Record a delivery; False when the content changed while it was sent (still pending, sent again)."""
    cur.ts, cur.channel_id, cur.sent_at = ts, channel, now
    cur.last_error, cur.claimed_by, cur.next_attempt_at = None, None, None
    done = cur.payload.get("rev") == rev
    cur.state = "sent" if done else "pending"
    if done:
        cur.attempts = 0
    s.add(cur)
    return done


def mark_failed(s: Session, cur: Post, *, error: str, retry_at: datetime, final: bool, plain: bool) -> None:
    """Record a failed attempt: pending again (or failed after the last counted attempt) until retry_at;
    `plain`: the next attempt sends text only."""
    cur.state = "failed" if final else "pending"
    cur.last_error = error[:500]
    cur.claimed_by, cur.next_attempt_at = None, retry_at
    if plain:
        cur.payload = {**cur.payload, "plain": True}
    s.add(cur)


def still_wanted(s: Session, row: Post, check: Optional[Callable[[Session, Post], bool]]) -> bool:
    """Before a claimed post is first sent: False (the row marked moot, never sent) when `check` says
    its reason went away (a reminder whose item closed while it waited). Edits of a post already sent
    always go, and a check that fails is no reason to drop a post: it is sent."""
    if check is None or row.ts is not None:
        return True
    try:
        with s.begin_nested():  # a failed check leaves the claim's transaction usable
            if check(s, row):
                return True
            mark_moot(s, row.id)
    except Exception:  # noqa: BLE001 - not knowing is no reason to drop a post
        log.exception("post %s: could not tell whether it is still wanted; sending it", row.idempotency_key)
        return True
    log.info("post %s is moot (its reason went away before it was sent); not sending it", row.idempotency_key)
    return False


def mark_moot(s: Session, post_id: int) -> None:
    """A post that is no longer wanted (a reminder whose reason went away before it was sent):
    kept for the record, never sent (`moot` is not a state a sender takes)."""
    s.execute(update(Post).where(Post.id == post_id, Post.ts.is_(None))
              .values(state="moot", claimed_by=None, next_attempt_at=None)
              .execution_options(synchronize_session=False))


def project_of(s: Session, row: Post) -> Optional[Project]:
    return s.get(Project, row.project_id) if row.project_id else None


def mark_old_plan(s: Session, project_id: int, old_golive, new_golive) -> list[str]:
    """The go-live moved: every daily summary already posted for the project stays,
    edited in place to say it is from the old plan (once). Returns the keys to send."""
    plain = f"From the old plan: go-live was {old_golive.isoformat()}; it is now {new_golive.isoformat()}."
    rows = list(s.execute(select(Post).where(Post.project_id == project_id, Post.kind.in_(("summary", "catch_up")))
                          .order_by(Post.id)).scalars())
    keys = []
    for row in rows:
        p = row.payload or {}
        blocks = [b for b in (p.get("blocks") or []) if b.get("block_id") != "old_plan"][:49]
        blocks.append({"type": "context", "block_id": "old_plan",
                       "elements": [{"type": "mrkdwn", "text": f":arrows_counterclockwise: {plain}"}]})
        text = (p.get("text") or "").split(" (From the old plan", 1)[0] + f" ({plain})"
        enqueue(s, key=row.idempotency_key, kind=row.kind, channel=row.channel_id, text=text, blocks=blocks,
                project_id=project_id, thread_key=row.thread_key, meta=p.get("meta"), ts=row.ts)
        keys.append(row.idempotency_key)
    return keys
