"""Nothing that can wait runs before the ack: a 429 is never waited out in
Slack's 3-second window (https://api.slack.com/interactivity/handling#acknowledgment_response),
and a person whose organisation Slack would not tell us just now is neither
refused as external nor let through: they are told to try again."""

from __future__ import annotations

import time

from bot.middleware import UNRESOLVED
from bot.workflow import EXTERNAL_REFUSAL
from tests.support.cs_helpers import register
from tests.support.harness import PROJ, SPEC


def _ack_text(r) -> str:
    return r.json().get("text", "") if r.headers.get("content-type", "").startswith("application/json") else r.text


def test_a_rate_limited_users_info_is_not_waited_out_nor_guessed_external(bot, slack):
    slack.inject_error("users.info", "ratelimited", status=429, retry_after=2, times=3)
    start = time.perf_counter()
    r = slack.command(SPEC, PROJ, "status")
    elapsed = time.perf_counter() - start
    assert r.status_code == 200 and elapsed < 1.5, elapsed  # RateLimitErrorRetryHandler slept 2 s+ per 429
    text = _ack_text(r)
    assert text == UNRESOLVED and EXTERNAL_REFUSAL not in text
    assert [m for m, _ in slack.calls].count("users.info") == 1  # asked once, not retried in the window
    assert not [p for p in slack.errors if p.code == "operation_timeout"]


def test_once_known_a_person_stays_known_when_slack_is_busy(bot, slack):
    register(slack, bot)  # SPEC is looked up once and cached
    bot.deps.directory.ttl = 0  # the entry is stale: users.info is asked again, and refuses
    slack.inject_error("users.info", "ratelimited", status=429, retry_after=2, times=3)
    r = slack.command(SPEC, PROJ, "item the receipt shows the wrong fee")
    assert r.status_code == 200 and UNRESOLVED not in _ack_text(r) and EXTERNAL_REFUSAL not in _ack_text(r)
    pid = bot.deps.service.project_in_channel(PROJ).id
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).items)
