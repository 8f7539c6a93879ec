"""The outbox (bot.notify) against the local Slack workspace: keyed before it is
sent, claimed before sending, retried with backoff and reported, never doubled,
never lost, edited in place, threaded by key."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.notify import CLAIM_TTL, MAX_ATTEMPTS, METADATA_EVENT, Notifier, enqueue
from storage import repo
from storage.models import Post, Project
from tests.support.harness import MGR, PROJ, SHARED, SPEC, TOKEN

NOW = datetime(2026, 11, 4, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def web(slack):
    return WebClient(token=TOKEN, base_url=slack.api_url)


@pytest.fixture
def pid(sessions):
    with repo.transaction(sessions) as s:
        p = Project(team_id="T0INTERNAL", biller_id="CITY-42", addon="Pay by phone", golive=date(2026, 11, 2),
                    projected_per_day=40, channel_id=PROJ, manager_id=MGR, specialist_ids=[SPEC],
                    tz="America/Chicago", created_by=SPEC)
        repo.create_project(s, p, SPEC, "test")
        return p.id


def notifier(web, sessions, me=None) -> Notifier:
    return Notifier(web, sessions, lambda: NOW, me=me)


def put(sessions, key, text, channel=PROJ, **kw) -> None:
    with repo.transaction(sessions) as s:
        enqueue(s, key=key, kind=kw.pop("kind", "summary"), channel=channel, text=text,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}], **kw)


def row(sessions, key) -> Post:
    with sessions() as s:
        return s.execute(select(Post).where(Post.idempotency_key == key)).scalars().one()


def posts(slack, channel=PROJ):
    return [m for m in slack.messages(channel)]


def test_a_key_is_posted_once_and_edited_in_place_when_it_changes(slack, web, sessions, pid):
    n = notifier(web, sessions)
    put(sessions, "k1", "first", project_id=pid)
    put(sessions, "k1", "first", project_id=pid)  # the same again: nothing new
    assert n.drain(NOW).sent == 1
    assert n.drain(NOW).sent == 0
    [m] = posts(slack)
    assert m["text"] == "first" and m["metadata"]["event_payload"]["key"] == "k1"
    put(sessions, "k1", "second", project_id=pid)
    assert n.drain(NOW).sent == 1
    [m2] = posts(slack)
    assert m2["ts"] == m["ts"] and m2["text"] == "second"
    assert row(sessions, "k1").state == "sent"
    assert slack.errors == [] and slack.warnings == []


def test_a_reply_waits_for_its_thread_parent(slack, web, sessions, pid):
    n = notifier(web, sessions)
    put(sessions, "child", "in the thread", thread_key="parent", kind="alert_note")
    assert n.drain(NOW).waiting == 1 and posts(slack) == []
    put(sessions, "parent", "the parent")
    r = n.drain(NOW)
    assert r.sent == 2
    parent, child = posts(slack)
    assert child["thread_ts"] == parent["ts"] and child["text"] == "in the thread"


def test_failures_are_retried_with_backoff_reported_and_never_dropped(slack, web, sessions, pid):
    n = notifier(web, sessions)
    put(sessions, "k", "hello", project_id=pid)
    slack.inject_error("chat.postMessage", "internal_error", times=MAX_ATTEMPTS + 1)
    t = NOW
    assert n.drain(t).failed == 1
    r = row(sessions, "k")
    assert (r.state, r.attempts, r.last_error) == ("pending", 1, "internal_error")
    assert n.drain(t + timedelta(seconds=10)).failed == 0  # backing off
    for _ in range(MAX_ATTEMPTS - 1):
        t = row(sessions, "k").next_attempt_at
        n.drain(t)
    r = row(sessions, "k")
    assert (r.state, r.attempts) == ("failed", MAX_ATTEMPTS)
    # Reported to the project's manager (itself through the outbox)...
    report = row(sessions, "report:k")
    assert report.channel_id == MGR and "after 5 attempts" in report.payload["text"]
    # ...and still retried, at most hourly, until Slack takes it.
    assert row(sessions, "k").next_attempt_at - NOW <= timedelta(hours=2)
    for _ in range(4):
        pending = [r.next_attempt_at for r in (row(sessions, "k"), row(sessions, "report:k")) if r.state != "sent"]
        if not pending:
            break
        n.drain(max(t or NOW for t in pending))
    assert row(sessions, "k").state == "sent" and row(sessions, "report:k").state == "sent"
    assert [m["text"] for m in posts(slack)] == ["hello"]
    assert any("after 5 attempts" in m["text"] for m in slack.messages(slack.dm_channel(MGR)))


def test_a_sender_that_died_after_posting_is_not_doubled(slack, web, sessions, pid):
    put(sessions, "k", "once")
    # A dead instance claimed it and posted, but never recorded the ts.
    with repo.transaction(sessions) as s:
        r = s.execute(select(Post).where(Post.idempotency_key == "k")).scalars().one()
        r.state, r.claimed_by, r.claimed_at, r.attempts = "sending", "dead", NOW, 1
        s.add(r)
    web.chat_postMessage(channel=PROJ, text="once",
                         metadata={"event_type": METADATA_EVENT, "event_payload": {"key": "k"}})
    n = notifier(web, sessions)
    assert n.drain(NOW + timedelta(minutes=1)).sent == 0  # the claim is still alive
    assert n.drain(NOW + CLAIM_TTL + timedelta(seconds=1)).sent == 1
    assert len(posts(slack)) == 1
    assert row(sessions, "k").ts == posts(slack)[0]["ts"]


def test_two_senders_at_once_post_each_key_once(slack, web, sessions, pid):
    slack.api.limiter.scale = 100  # 20 posts to one channel at once: about claims, not Slack's pacing
    for i in range(20):
        put(sessions, f"k{i}", f"message {i}")
    a, b = notifier(web, sessions, "a"), notifier(web, sessions, "b")
    go = threading.Barrier(2)

    def run(n):
        go.wait()
        n.drain(NOW)

    ts = [threading.Thread(target=run, args=(x,)) for x in (a, b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert sorted(m["text"] for m in posts(slack)) == sorted(f"message {i}" for i in range(20))


def test_nothing_internal_goes_to_a_shared_channel(slack, web, sessions, pid):
    n = notifier(web, sessions)
    put(sessions, "k", "internal numbers", channel=SHARED, project_id=pid)
    assert n.drain(NOW).failed == 1
    assert row(sessions, "k").last_error == "channel_is_shared_with_another_organisation"
    assert slack.messages(SHARED) == []


def test_blocks_slack_refuses_are_retried_as_text(slack, web, sessions, pid):
    n = notifier(web, sessions)
    with repo.transaction(sessions) as s:
        enqueue(s, key="k", kind="summary", channel=PROJ, text="fallback text",
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    assert n.drain(NOW).failed == 1
    n.drain(row(sessions, "k").next_attempt_at)
    [m] = posts(slack)
    assert m["text"] == "fallback text" and not m.get("blocks")


def test_a_failed_look_up_of_an_earlier_attempt_retries_the_look_up_not_the_post(slack, web, sessions, pid):
    put(sessions, "k", "once")
    with repo.transaction(sessions) as s:  # an earlier attempt that reached Slack, its answer lost
        r = s.execute(select(Post).where(Post.idempotency_key == "k")).scalars().one()
        r.state, r.claimed_by, r.claimed_at, r.attempts = "sending", "dead", NOW, 1
        s.add(r)
    web.chat_postMessage(channel=PROJ, text="once",
                         metadata={"event_type": METADATA_EVENT, "event_payload": {"key": "k"}})
    slack.inject_error("conversations.history", "ratelimited", status=429, retry_after=1, times=5)
    n = notifier(web, sessions)
    assert n.drain(NOW + CLAIM_TTL + timedelta(seconds=1)).sent == 0  # unknown: not posted again
    assert len(posts(slack)) == 1 and row(sessions, "k").state != "sent"
    slack.api._injected.clear()
    due = row(sessions, "k").next_attempt_at
    assert n.drain(due).sent == 1
    assert len(posts(slack)) == 1 and row(sessions, "k").ts == posts(slack)[0]["ts"]
