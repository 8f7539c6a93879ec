"""The local workspace's Socket Mode, held to Slack's protocol with a bare WebSocket
client (no SDK in the way): apps.connections.open and its tokens, the hello, the
envelopes and their acks, re-sending an event that got no ack, several connections,
disconnect messages. https://docs.slack.dev/apis/events-api/using-socket-mode/
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from bot.sandbox.localslack import LocalSlack

APP_TOKEN = "xapp-1-A0ADDON-test"


@pytest.fixture
def ws():
    s = LocalSlack(signing_secret="s", app_token=APP_TOKEN, socket_mode=True)
    s.add_user("U0A", "ann")
    s.add_channel("C0A", "a", members=["U0A"])
    s.start()
    yield s
    s.stop()


def open_url(ws, token=APP_TOKEN) -> str:
    return WebClient(base_url=ws.api_url, retry_handlers=[]).apps_connections_open(app_token=token)["url"]


class App:
    """A Socket Mode app: reads envelopes on its own thread, acks them by ``answer``."""

    def __init__(self, url: str, answer=lambda env: {"envelope_id": env["envelope_id"]}):
        self._stack = contextlib.ExitStack()
        self.conn = self._stack.enter_context(connect(url, open_timeout=5))
        self.hello = json.loads(self.conn.recv(timeout=5))
        self.answer = answer
        self.seen: queue.Queue = queue.Queue()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for raw in self.conn:
                msg = json.loads(raw)
                self.seen.put(msg)
                if "envelope_id" in msg:
                    reply = self.answer(msg)
                    if reply is not None:
                        self.conn.send(json.dumps(reply))
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    def messages(self) -> list[dict]:
        out = []
        while not self.seen.empty():
            out.append(self.seen.get())
        return out

    def close(self) -> None:
        self._stack.close()
        self.thread.join(5)


# ---- apps.connections.open ----------------------------------------------------------------------
def test_connections_open_takes_the_app_level_token_only(ws):
    # https://docs.slack.dev/reference/methods/apps.connections.open/: an app-level token
    # with connections:write; a bot token is not_allowed_token_type.
    url = open_url(ws)
    assert url.startswith(ws.base_url.replace("http://", "ws://") + "/link/?ticket=")
    with pytest.raises(SlackApiError) as e:
        open_url(ws, ws.bot_token)
    assert e.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as e:
        open_url(ws, "xapp-1-someone-else")
    assert e.value.response["error"] == "invalid_auth"
    # ...and an app-level token calls nothing else.
    with pytest.raises(SlackApiError) as e:
        WebClient(token=APP_TOKEN, base_url=ws.api_url).chat_postMessage(channel="C0A", text="hi")
    assert e.value.response["error"] == "not_allowed_token_type"
    assert [p.code for p in ws.errors] == ["not_allowed_token_type", "invalid_auth", "not_allowed_token_type"]


def test_an_app_token_without_connections_write_is_missing_scope(ws):
    ws.api.app_token_scopes = frozenset({"authorizations:read"})
    with pytest.raises(SlackApiError) as e:
        open_url(ws)
    assert e.value.response["error"] == "missing_scope" and e.value.response["needed"] == "connections:write"


def test_a_ticket_opens_one_connection_which_is_greeted_with_hello(ws):
    url = open_url(ws)
    app = App(url)
    assert app.hello["type"] == "hello" and app.hello["num_connections"] == 1
    assert app.hello["connection_info"] == {"app_id": "A0ADDON"}
    with pytest.raises(InvalidStatus) as e, connect(url, open_timeout=5):  # the same URL again: refused
        pass
    assert e.value.response.status_code == 403
    assert [p.code for p in ws.errors] == ["invalid_ticket"]
    second = App(open_url(ws))
    assert second.hello["num_connections"] == 2
    app.close()
    second.close()


# ---- envelopes and acks -------------------------------------------------------------------------
def test_a_slash_command_envelope_and_the_message_in_its_ack(ws):
    app = App(open_url(ws), answer=lambda env: {"envelope_id": env["envelope_id"],
                                                "payload": {"text": "only you see this"}})
    r = ws.command("U0A", "C0A", "status")
    assert r.status_code == 200 and r.json() == {"text": "only you see this"}
    [env] = app.messages()
    assert env["type"] == "slash_commands" and env["accepts_response_payload"] is True
    assert "retry_attempt" not in env
    assert env["payload"]["command"] == "/addon" and env["payload"]["text"] == "status"
    assert env["payload"]["channel_id"] == "C0A" and env["payload"]["response_url"].startswith(ws.base_url)
    assert [e["text"] for e in ws.ephemerals("C0A", "U0A")] == ["only you see this"]
    assert ws.errors == [] and ws.warnings == []
    app.close()


def test_an_in_channel_answer_in_the_ack_is_posted_in_the_channel(ws):
    app = App(open_url(ws), answer=lambda env: {"envelope_id": env["envelope_id"],
                                                "payload": {"response_type": "in_channel", "text": "for all"}})
    ws.command("U0A", "C0A", "status")
    assert [m["text"] for m in ws.messages("C0A")] == ["for all"]
    app.close()


def test_a_block_actions_envelope_takes_no_response_payload(ws):
    posted = ws.ws.post_message("C0A", user_id=ws.bot_user_id, text="pick", blocks=[
        {"type": "actions", "block_id": "b", "elements": [
            {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "1"}]}])
    app = App(open_url(ws), answer=lambda env: {"envelope_id": env["envelope_id"], "payload": {"text": "nope"}})
    r = ws.click("U0A", "C0A", posted.ts, "go")
    assert r.status_code == 200 and r.text == ""  # the payload is dropped, as Slack drops it
    [env] = app.messages()
    assert env["type"] == "interactive" and env["accepts_response_payload"] is False
    assert env["payload"]["type"] == "block_actions" and env["payload"]["actions"][0]["action_id"] == "go"
    assert ws.ephemerals("C0A", "U0A") == []
    assert [p.code for p in ws.warnings] == ["payload_ignored"]
    app.close()


def test_an_event_without_an_ack_is_sent_again_with_retry_attempt(ws):
    # https://docs.slack.dev/apis/events-api/#retries: up to three retries, same event_id.
    ws.ack_deadline = 1.0  # Slack's 3 s, shortened: the two unanswered envelopes are waited out
    app = App(open_url(ws), answer=lambda env: None if env["retry_attempt"] < 2 else
              {"envelope_id": env["envelope_id"]})
    r = ws.react("U0A", "C0A", ws.ws.post_message("C0A", user_id="U0A", text="x").ts, "eyes")
    assert r.status_code == 200
    envs = [m for m in app.messages() if m.get("type") == "events_api"]
    assert [e["retry_attempt"] for e in envs] == [0, 1, 2]
    assert [e["retry_reason"] for e in envs] == ["", "timeout", "timeout"]
    assert len({e["payload"]["event_id"] for e in envs}) == 1
    assert len({e["envelope_id"] for e in envs}) == 3
    assert all(e["accepts_response_payload"] is False for e in envs)
    assert [p.code for p in ws.errors] == ["operation_timeout", "operation_timeout"]
    app.close()


def test_a_late_ack_is_not_applied(ws):
    gate = threading.Event()
    held: list[dict] = []

    def answer(env):
        held.append(env)
        gate.wait(5)
        return {"envelope_id": env["envelope_id"], "payload": {"text": "too late"}}

    ws.ack_deadline = 0.5  # Slack's 3 s, shortened
    app = App(open_url(ws), answer=answer)
    r = ws.command("U0A", "C0A", "status")
    assert r.status_code == 504  # no ack within the deadline: Slack shows the person an error
    gate.set()
    ws.wait_for(lambda: ws.socket.late_acks)
    assert ws.ephemerals("C0A", "U0A") == []
    assert [p.code for p in ws.errors] == ["operation_timeout"]
    assert len(held) == 1  # a slash command is never sent again
    app.close()


def test_no_open_connection_is_dispatch_failed(ws):
    with pytest.raises(httpx.ConnectError):
        ws.command("U0A", "C0A", "status")
    assert [p.code for p in ws.errors] == ["dispatch_failed"]


def test_with_socket_mode_off_deliveries_go_to_the_request_url(ws):
    app = App(open_url(ws))
    ws.socket_mode = False
    ws.bot_url = "http://127.0.0.1:9/slack/events"  # nobody listens there
    with pytest.raises(httpx.HTTPError):
        ws.command("U0A", "C0A", "status")
    assert app.messages() == []
    app.close()


def test_an_app_sends_only_acks(ws):
    app = App(open_url(ws))
    app.conn.send("hello?")
    ws.wait_for(lambda: ws.errors)
    assert [p.code for p in ws.errors] == ["invalid_message"]
    app.close()


# ---- several connections; Slack refreshing them -----------------------------------------------------
def test_envelopes_are_spread_across_connections(ws):
    a, b = App(open_url(ws)), App(open_url(ws))
    for n in range(4):
        ws.command("U0A", "C0A", f"status {n}")
    got_a = [m["payload"]["text"] for m in a.messages()]
    got_b = [m["payload"]["text"] for m in b.messages()]
    assert len(got_a) == 2 and len(got_b) == 2
    assert sorted(got_a + got_b) == [f"status {n}" for n in range(4)]
    a.close()
    b.close()


def test_a_disconnect_message_then_the_connection_is_closed(ws):
    a = App(open_url(ws))
    assert ws.socket.disconnect("refresh_requested", close_after=0.3) == 1
    assert a.closed.wait(5)  # Slack closes it after the grace period
    [msg] = a.messages()
    assert msg["type"] == "disconnect" and msg["reason"] == "refresh_requested"


def test_a_connection_told_to_go_gets_no_new_envelopes(ws):
    a = App(open_url(ws))
    ws.socket.disconnect("warning", close_after=5)
    b = App(open_url(ws))
    for n in range(3):
        ws.command("U0A", "C0A", f"status {n}")
    assert [m["type"] for m in a.messages()] == ["disconnect"]
    assert len([m for m in b.messages() if m.get("type") == "slash_commands"]) == 3
    a.close()
    b.close()


def test_apps_connections_open_is_tier_1_with_a_small_burst(ws):
    # https://docs.slack.dev/apis/web-api/rate-limits/: Tier 1, small bursts tolerated.
    web = WebClient(base_url=ws.api_url, retry_handlers=[])
    for _ in range(10):
        web.apps_connections_open(app_token=APP_TOKEN)
    with pytest.raises(SlackApiError) as e:
        web.apps_connections_open(app_token=APP_TOKEN)
    assert e.value.response.status_code == 429 and int(e.value.response.headers["Retry-After"]) > 0
