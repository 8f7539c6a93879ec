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
