"""The gateway against the strict local workspace: a 429 is counted by method (for /metrics);
a person's call is not retried (no waiting in the 3-second path); a background call waits
out Retry-After and goes through (https://docs.slack.dev/apis/web-api/rate-limits)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.gateway import Gateway, PacedRetry, rate_limit_retry
from bot.pacing import Pacer
from tests.support.harness import PROJ, TOKEN


def gateway(slack, *, background: bool) -> Gateway:
    g = Gateway(token=TOKEN, base_url=slack.api_url, pacer=Pacer(), background=background)
    g.retry_handlers.append(rate_limit_retry(g, 2) if background else PacedRetry(lambda: False, pacer=g.pacer))
    return g


def test_a_persons_call_is_not_retried_on_a_429_and_is_counted(slack):
    g = gateway(slack, background=False)
    slack.inject_error("conversations.info", "ratelimited", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as e:
        g.conversations_info(channel=PROJ)
    assert e.value.response.status_code == 429
    assert len(slack.calls_to("conversations.info")) == 1  # not retried: nobody waited 30 s
    assert g.pacer.counts() == {"conversations.info": 1}


def test_a_background_call_waits_out_retry_after_and_goes_through(slack):
    g = gateway(slack, background=True)
    slack.inject_error("chat.postMessage", "ratelimited", status=429, retry_after=1)
    assert g.chat_postMessage(channel=PROJ, text="after the wait")["ok"]
    assert [m["text"] for m in slack.messages(PROJ)] == ["after the wait"]
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert g.pacer.counts() == {"chat.postMessage": 1}


def test_checklist_edits_go_after_the_posts_and_the_run_can_leave_them_for_its_end(bot, slack):
    from storage import repo
    from storage.outbox import enqueue

    ts = bot.deps.client.chat_postMessage(channel=PROJ, text="a checklist")["ts"]
    with repo.transaction(bot.deps.session_factory) as s:  # the edit was recorded first
        enqueue(s, key="checklist:t", kind="checklist", channel=PROJ, text="the checklist, edited", ts=ts,
                edit_only=True)
        enqueue(s, key="summary:t", kind="summary", channel=PROJ, text="Payments summary")
    slack.reset_records()
    bot.deps.notifier.drain(posts_only=True)
    assert [m for m, _ in slack.calls if m.startswith("chat.")] == ["chat.postMessage"]
    bot.deps.notifier.drain()
    assert [m for m, _ in slack.calls if m.startswith("chat.")] == ["chat.postMessage", "chat.update"]
    assert slack.message(PROJ, ts)["text"].startswith("the checklist, edited")
