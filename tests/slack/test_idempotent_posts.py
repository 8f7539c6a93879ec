"""Every post that can be retried is idempotent: the handoff in the biller's shared channel, the
Client Services case announcement and the specialist ping after a biller's mention are keyed
posts of the outbox (bot.notify), so a lost answer, a retry, a restart or a second instance never
doubles them; a failed look-up of an earlier attempt retries the look-up, not the post; and an
answer lost after Slack posted is reported as "may have been posted", never "nothing was sent".

The local workspace's `lose_answer` lets a call take effect and then answers a 5xx (what a proxy
in front of Slack sends) or drops the connection before any answer."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.deps import make_deps
from bot.gateway import Gateway, ReadRetry, repeatable
from bot.notify import MAX_ATTEMPTS, PENDING, SENT, enqueue
from bot.sandbox.localslack import DROPPED
from bot.settings import load_settings
from storage import outbox, repo
from storage.models import Post
from tests.support.cs_helpers import (
    add_item,
    block_text,
    cases,
    checklist,
    complete_through_slack,
    confirm_placeholders,
    dm_texts,
    later,
    open_modal,
    register,
    wait_ephemeral,
)
from tests.support.harness import BILLER, CS, MGR, PROJ, SHARED, SPEC, TOKEN, BotHarness

LOST = [pytest.param(DROPPED, id="dropped"), pytest.param(502, id="502")]


def handoffs(slack):
    return [m for m in slack.messages(SHARED) if "support for" in block_text(m)]


def pings(slack):
    return [m for m in slack.messages(PROJ) if "mentioned me" in block_text(m)]


def announcements(slack):
    return [m for m in slack.messages(CS) if "Fee shown twice" in block_text(m)]


def ready(slack, bot) -> int:
    """A registered project whose checklist post is answered and stored (so the next post is ours)."""
    pid = register(slack, bot)
    slack.wait_for(lambda: bot.deps.service.checklist_ts(pid))
    return pid


def drain(bot, minutes: float) -> None:
    """The outbox's tick, `minutes` from now (after a failed attempt's backoff)."""
    bot.deps.notifier.drain(later(minutes))


def submit_handoff(slack, bot, arm):
    """Send the handoff from its preview; `arm` sets the fault once the preview is open."""
    slack.command(SPEC, PROJ, "handoff")
    view = open_modal(slack, SPEC, "cs_send_handoff")
    arm()
    assert slack.submit_view(SPEC, view["id"], confirm_placeholders(view)).status_code == 200


# ---- the local workspace's fault -------------------------------------------------------------
@pytest.mark.parametrize("status", LOST)
def test_a_lost_answer_posts_and_the_caller_cannot_tell(slack, status):
    web = Gateway(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
    slack.lose_answer("chat.postMessage", status=status)
    with pytest.raises((SlackApiError, ConnectionError)) as e:
        web.chat_postMessage(channel=PROJ, text="once")
    if status != DROPPED:
        assert e.value.response.status_code == 502
    assert [m["text"] for m in slack.messages(PROJ)] == ["once"]  # Slack acted on it
    assert slack.api.ws.lost_answers == [("chat.postMessage", status)]


# ---- the clients: connection errors retried for repeatable calls only ------------------------
def test_connection_errors_are_retried_for_reads_never_for_posts(slack):
    # slack_sdk's default handlers (a connection-error retry for every call) are narrowed too.
    assert all(isinstance(h, ReadRetry) for h in Gateway(token=TOKEN).retry_handlers)
    settings = load_settings(_env_file=None, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack.api_url,
                             DATABASE_URL="sqlite://")
    deps = make_deps(settings)
    for client in (deps.client, deps.client.copy_for(timeout=3)):
        kinds = [type(h).__name__ for h in client.retry_handlers]
        assert "ConnectionErrorRetryHandler" not in kinds and "ReadRetry" in kinds
    slack.lose_answer("chat.postMessage", status=DROPPED)
    with pytest.raises(ConnectionError):
        deps.client.chat_postMessage(channel=PROJ, text="posted once")
    assert [m["text"] for m in slack.messages(PROJ)] == ["posted once"]
    slack.lose_answer("conversations.info", status=DROPPED)
    assert deps.client.conversations_info(channel=PROJ)["channel"]["id"] == PROJ  # a read: retried
    assert repeatable("https://slack.com/api/conversations.history") and repeatable("http://h/api/chat.update")
    assert not repeatable("https://slack.com/api/chat.postMessage")
    assert not repeatable("https://slack.com/api/chat.postEphemeral")
    assert not repeatable("https://slack.com/api/views.open")


# ---- the handoff in the shared channel -------------------------------------------------------
@pytest.mark.parametrize("status", LOST)
def test_a_lost_answer_never_doubles_the_handoff_and_is_reported_truthfully(bot, slack, status):
    pid = ready(slack, bot)
    submit_handoff(slack, bot, lambda: slack.lose_answer("chat.postMessage", status=status, channel=SHARED))
    told = wait_ephemeral(slack, "handoff in")
    assert "may have been posted" in told and "nothing was sent" not in told
    assert len(handoffs(slack)) == 1  # posted by Slack, not posted again by a blind retry
    assert bot.deps.service.snapshot(pid).step("handoff").state == "open"  # not confirmed yet
    assert "not yet acknowledged by the biller" not in block_text(checklist(slack))

    drain(bot, 1)  # the outbox looks for it (by its key in the message metadata): found, not reposted
    assert len(handoffs(slack)) == 1
    snap = bot.deps.service.snapshot(pid)
    assert snap.step("handoff").state == "done" and snap.handoff_sent_at is not None
    assert "not yet acknowledged by the biller" in block_text(checklist(slack))  # redrawn once confirmed
    drain(bot, 2)
    assert any("handoff is confirmed" in t for t in dm_texts(slack, SPEC))
    for _ in range(3):  # later ticks, restarts: nothing more in the shared channel
        drain(bot, 60)
    assert len(handoffs(slack)) == 1
    # The shared channel holds the handoff only: nothing internal, not even in its metadata.
    everything = json.dumps(slack.messages(SHARED))
    for internal in (PROJ, CS, SPEC, MGR, "Fee", "mentioned me"):
        assert internal not in everything, internal


def test_a_refused_handoff_says_nothing_was_sent_and_is_never_posted_later(bot, slack):
    pid = ready(slack, bot)
    submit_handoff(slack, bot, lambda: slack.inject_error("chat.postMessage", "not_in_channel"))
    told = wait_ephemeral(slack, "could not post the handoff")
    assert "nothing was sent" in told and "Invite @addon-bot" in told
    for minutes in (1, 10, 120):
        drain(bot, minutes)
    assert handoffs(slack) == [] and bot.deps.service.snapshot(pid).step("handoff").state == "open"


def test_a_rate_limited_handoff_is_queued_then_posted_once(bot, slack):
    pid = ready(slack, bot)
    submit_handoff(slack, bot, lambda: slack.inject_error("chat.postMessage", "ratelimited", status=429,
                                                          retry_after=0, times=3))
    told = wait_ephemeral(slack, "handoff for")
    assert "nothing was posted" in told and "queued" in told
    drain(bot, 2)
    drain(bot, 5)
    assert len(handoffs(slack)) == 1 and bot.deps.service.snapshot(pid).step("handoff").state == "done"


def test_after_a_lost_answer_a_restarted_bot_and_a_second_instance_post_nothing_more(bot, slack, db_url):
    pid = ready(slack, bot)
    submit_handoff(slack, bot, lambda: slack.lose_answer("chat.postMessage", status=DROPPED, channel=SHARED))
    wait_ephemeral(slack, "may have been posted")
    bot.stop()  # the instance that sent it is gone; two others take over
    first, second = BotHarness(db_url, slack).start(), BotHarness(db_url, slack).start()
    try:
        for h in (first, second, first):
            drain(h, 1)
        assert len(handoffs(slack)) == 1
        assert first.deps.service.snapshot(pid).step("handoff").state == "done"
    finally:
        first.stop()
        second.stop()


# ---- the Client Services case announcement ----------------------------------------------------
def open_case(slack, arm):
    add_item(slack, "Fee shown twice")
    slack.command(SPEC, PROJ, "case 1")
    view = open_modal(slack, SPEC, "cs_open_case")
    arm()
    slack.submit_view(SPEC, view["id"], {})


@pytest.mark.parametrize("status", LOST)
def test_a_lost_answer_never_doubles_the_case_announcement(bot, slack, status):
    ready(slack, bot)
    open_case(slack, lambda: slack.lose_answer("chat.postMessage", status=status, channel=CS))
    told = wait_ephemeral(slack, "case for item #1 is saved")
    assert "may have been posted" in told and "not delivered" not in told
    assert len(announcements(slack)) == 1
    bot.deps.cases.tick(later(2))  # looks for it by its key: found, the case is sent
    [row] = cases(bot)
    assert row.status == "sent" and len(announcements(slack)) == 1
    bot.deps.cases.tick(later(60))
    assert len(announcements(slack)) == 1


def test_a_failed_look_up_of_an_earlier_announcement_retries_the_look_up_not_the_post(bot, slack):
    ready(slack, bot)
    open_case(slack, lambda: slack.lose_answer("chat.postMessage", status=502, channel=CS))
    wait_ephemeral(slack, "may have been posted")
    # More 429s than the client waits out (its RateLimitErrorRetryHandler tries 3 more times).
    slack.inject_error("conversations.history", "ratelimited", status=429, retry_after=0, times=4)
    bot.deps.cases.tick(later(2))
    [row] = cases(bot)
    assert row.status == "pending" and "look for an earlier announcement" in row.last_error
    assert len(announcements(slack)) == 1  # not knowing is not "not posted"
    bot.deps.cases.tick(later(10))
    bot.deps.cases.tick(later(30))
    [row] = cases(bot)
    assert row.status == "sent" and len(announcements(slack)) == 1


# ---- the specialist ping after a biller's mention ----------------------------------------------
@pytest.mark.parametrize("status", LOST)
def test_a_lost_answer_never_doubles_the_specialist_ping(bot, slack, status):
    ready(slack, bot)
    slack.lose_answer("chat.postMessage", status=status, channel=PROJ)  # the ping
    slack.mention(BILLER, SHARED, "our payments page shows an error")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2)
    answer = slack.messages(SHARED)[1]
    assert "passing your message" in answer["text"] and "couldn't reach" not in answer["text"]
    assert len(pings(slack)) == 1
    drain(bot, 1)
    drain(bot, 60)
    assert len(pings(slack)) == 1 and len(slack.messages(SHARED)) == 2
    key = [k for k in _keys(bot) if k.endswith(":ping")]
    assert len(key) == 1
    with bot.deps.session_factory() as s:
        assert outbox.post_state(s, key[0]) == "sent"


def test_the_same_mention_acted_on_again_pings_and_answers_once(bot, slack):
    """A second delivery of the same message (another instance, a re-delivery the edge let through):
    the keys are the biller's message, so the outbox holds one ping and one answer."""
    ready(slack, bot)
    slack.mention(BILLER, SHARED, "hello there")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2 and len(pings(slack)) == 1)
    question = slack.messages(SHARED)[0]
    snap = bot.deps.service.snapshot(bot.deps.service.project_in_channel(PROJ).id)
    key = f"mention:{SHARED}:{question['ts']}"
    assert bot.deps.handoffs.tell_team(snap, f"{key}:ping", "again") == SENT
    assert bot.deps.handoffs.answer(SHARED, question["ts"], f"{key}:answer", "again", snap.id) == SENT
    assert len(pings(slack)) == 1 and len(slack.messages(SHARED)) == 2
    assert "hello there" in block_text(pings(slack)[0])  # the first one stands, not edited either
    assert "again" not in json.dumps(slack.messages(SHARED))


def test_a_lost_answer_never_doubles_the_avenues_answer_after_completion(bot, slack):
    pid = ready(slack, bot)
    complete_through_slack(slack, bot, pid)
    slack.lose_answer("chat.postMessage", status=DROPPED, channel=SHARED)  # the answer to the biller
    slack.mention(BILLER, SHARED, "who do we call about a refund?")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2)
    drain(bot, 1)
    drain(bot, 60)
    answers = slack.messages(SHARED)[1:]
    assert len(answers) == 1 and "1-800-555-0199" in answers[0]["text"]
    assert slack.api.ws.lost_answers == [("chat.postMessage", DROPPED)]


def test_send_now_says_sent_pending_or_refused(bot, slack):
    n = bot.deps.notifier
    with repo.transaction(bot.deps.session_factory) as s:
        for k in ("a", "b", "c"):
            enqueue(s, key=k, kind="note", channel=PROJ, text=f"note {k}")
    assert n.send_now("a").state == SENT
    slack.lose_answer("chat.postMessage", status=502)
    b = n.send_now("b")
    assert b.state == PENDING and b.maybe_sent and b.error == "http_502"
    slack.inject_error("chat.postMessage", "channel_not_found")
    c = n.send_now("c")
    assert c.state == "refused" and not c.maybe_sent and n.cancel("c", c.error)
    for minutes in range(1, MAX_ATTEMPTS + 2):
        drain(bot, minutes * 60)
    texts = [m["text"] for m in slack.messages(PROJ) if m["text"].startswith("note")]
    assert sorted(texts) == ["note a", "note b"]  # b found by its key, not posted again; c never


def _keys(bot) -> list[str]:
    with bot.deps.session_factory() as s:
        return list(s.execute(select(Post.idempotency_key)).scalars())
