"""The local workspace is as strict as Slack: rate limits by tier answered
429 with Retry-After, scopes from manifest.yml (missing_scope), the total size
of a message's blocks (msg_blocks_too_long). Driven with a plain slack_sdk
client that does not retry, so every answer is seen as Slack gives it."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.localslack import LocalSlack
from bot.sandbox.localslack.limits import manifest_scopes

TOKEN = "xoxb-strict"


@pytest.fixture
def ws():
    s = LocalSlack(signing_secret="s", bot_token=TOKEN)
    s.add_user("U0A", "ann")
    s.add_channel("C0A", "a", members=["U0A"])
    s.add_channel("C0B", "b", members=["U0A"])
    s.add_channel("G0P", "private", private=True, members=["U0A"])
    s.start()
    yield s
    s.stop()


@pytest.fixture
def web(ws):
    return WebClient(token=TOKEN, base_url=ws.api_url, retry_handlers=[])


def _status(call):
    try:
        call()
        return 200, None
    except SlackApiError as e:
        return e.response.status_code, e.response


def test_tier_3_allows_50_a_minute_then_answers_429_with_retry_after(ws, web):
    # https://api.slack.com/apis/rate-limits: Tier 3 is 50+ per minute; over it, HTTP 429,
    # "ratelimited" and a Retry-After header in seconds. conversations.info is Tier 3.
    for _ in range(50):
        web.conversations_info(channel="C0A")
    status, resp = _status(lambda: web.conversations_info(channel="C0A"))
    assert status == 429 and resp["error"] == "ratelimited"
    wait = int(resp.headers["Retry-After"])
    assert 1 <= wait <= 2
    ws.advance_clock(wait)
    web.conversations_info(channel="C0A")  # the bucket refilled
    # Tier 4 (users.info, 100/min) is a budget of its own.
    for _ in range(100):
        web.users_info(user="U0A")
    assert _status(lambda: web.users_info(user="U0A"))[0] == 429


def test_chat_post_message_is_about_one_per_second_per_channel_with_short_bursts(ws, web):
    # https://api.slack.com/methods/chat.postMessage#rate_limiting: "1 message per second
    # to a channel ... short bursts >1 allowed".
    for i in range(3):
        web.chat_postMessage(channel="C0A", text=f"burst {i}")
    status, resp = _status(lambda: web.chat_postMessage(channel="C0A", text="one too many"))
    assert status == 429 and resp.headers["Retry-After"] == "1"
    web.chat_postMessage(channel="C0B", text="another channel has its own budget")
    ws.advance_clock(1)
    web.chat_postMessage(channel="C0A", text="a second later")
    assert [m["text"] for m in ws.messages("C0A")] == ["burst 0", "burst 1", "burst 2", "a second later"]


def test_a_method_without_its_scope_answers_missing_scope(ws, web):
    # https://api.slack.com/web#errors and each method's page: missing_scope, with
    # `needed` and `provided`. The scopes are the ones manifest.yml grants.
    assert "reactions:write" not in manifest_scopes()
    ws.add_user("U0B", "bob")
    status, resp = _status(lambda: web.reactions_add(channel="C0A", timestamp="1.0", name="eyes"))
    assert resp["error"] == "missing_scope" and resp["needed"] == "reactions:write"
    assert "chat:write" in resp["provided"].split(",")
    ws.api.scopes = manifest_scopes() - {"groups:history"}
    status, resp = _status(lambda: web.conversations_history(channel="G0P"))
    assert resp["error"] == "missing_scope" and resp["needed"] == "groups:history"
    web.conversations_history(channel="C0A")  # channels:history is granted


def test_manifest_grants_what_a_group_dm_managers_channel_needs():
    assert {"mpim:history", "mpim:read", "chat:write"} <= manifest_scopes()


def test_blocks_over_slack_total_text_size_are_refused(ws, web):
    # https://api.slack.com/methods/chat.postMessage#errors: msg_blocks_too_long.
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}
    web.chat_postMessage(channel="C0A", text="fits", blocks=[section] * 4)  # 11,600 characters
    status, resp = _status(lambda: web.chat_postMessage(channel="C0B", text="too long", blocks=[section] * 5))
    assert resp["error"] == "msg_blocks_too_long"


def test_the_demo_may_relax_it():
    s = LocalSlack(signing_secret="s", bot_token=TOKEN, strict=False)
    assert s.api.limiter is None and s.api.scopes is None
