"""Each Slack event is acted on once: Slack re-delivers an event with the same
event_id (X-Slack-Retry-Num, X-Slack-Retry-Reason) when it saw no 200 in 3 s,
and Bolt does not deduplicate. https://api.slack.com/apis/events-api#retries"""

from __future__ import annotations

import httpx
import pytest

from tests.support.cs_helpers import block_text, register
from tests.support.harness import BILLER, BotHarness, PROJ, SHARED


def pings(slack):
    return [m for m in slack.messages(PROJ) if "mentioned me" in block_text(m)]


def test_a_retried_mention_is_answered_once(bot, slack):
    register(slack, bot)
    slack.mention(BILLER, SHARED, "the payments page shows an error")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2 and pings(slack))
    envelope = slack.last_envelope
    for num, reason in ((1, "http_timeout"), (2, "http_timeout"), (3, "http_error")):
        resp, in_time = slack.redeliver(envelope, num, reason)
        assert resp.status_code == 200 and in_time
    # A retry arriving at a second instance (or after a restart) is dropped too: the claim is in the database.
    own_url = slack.bot_url
    other = BotHarness(bot.db_url, slack).start()
    try:
        resp, _ = slack.redeliver(envelope, 3, "http_timeout")
        assert resp.status_code == 200
    finally:
        other.stop()
    slack.bot_url = own_url
    answers = [m for m in slack.messages(SHARED) if m.get("bot_id")]
    assert len(answers) == 1 and len(pings(slack)) == 1


def test_the_workspace_retries_an_event_it_saw_no_200_for(bot, slack):
    register(slack, bot)
    slack.bot_url = "http://127.0.0.1:9/slack/events"  # nobody listens: every delivery fails
    with pytest.raises(httpx.HTTPError):
        slack.mention(BILLER, SHARED, "anyone there?")
    tries = [d for d in slack.deliveries if d.kind.startswith("event_callback:app_mention")]
    assert [d.kind.rsplit(":", 1)[-1] for d in tries] == ["app_mention", "retry1", "retry2", "retry3"]
    assert len({d.payload["event_id"] for d in tries}) == 1
    assert {p.code for p in slack.errors} == {"dispatch_failed"}
    slack.reset_records()
