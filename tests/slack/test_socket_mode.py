"""The same listeners over Socket Mode, end to end against the local workspace.

The bot's own SocketModeHandler opens its link with apps.connections.open on
SLACK_API_URL (the workspace) and the app-level token; the workspace then sends every
command, click, view submission and event as an envelope on that WebSocket and applies
what the ack carries, as Slack does
(https://docs.slack.dev/apis/events-api/using-socket-mode/). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from storage import repo
from tests.support.cs_helpers import block_text, checklist, wait_ephemeral
from tests.support.harness import BILLER, NEW_CMD, PROJ, SHARED, SPEC, MGR, SocketBotHarness


@pytest.fixture
def sbot(db_url, slack):
    """The bot over Socket Mode (no HTTP endpoint at all: bot_url stays unset)."""
    h = SocketBotHarness(db_url, slack).start()
    yield h
    h.stop()


def register(slack):
    slack.command(SPEC, PROJ, NEW_CMD)
    slack.wait_for(lambda: checklist(slack) is not None)
    return checklist(slack)


def project_id(bot) -> int:
    with bot.deps.session_factory() as s:
        return repo.project_in_channel(s, PROJ).id


def step_state(bot, step):
    return bot.deps.service.snapshot(project_id(bot)).step(step).state


def pings(slack):
    return [m for m in slack.messages(PROJ) if "mentioned me" in block_text(m)]


def no_refusals(slack):
    assert slack.errors == [], slack.errors
    assert slack.warnings == [], slack.warnings


def mention_envelopes(slack):
    return [d for d in slack.deliveries if d.kind.startswith("event_callback:app_mention")]


# ---- the link ------------------------------------------------------------------------------------
def test_the_bot_opens_its_link_through_the_configured_web_api(sbot, slack):
    assert slack.bot_url is None  # nothing reaches the bot over HTTP
    opens = slack.calls_to("apps.connections.open")
    assert len(opens) == 1
    [conn] = slack.socket.connections()
    assert not conn.draining
    assert sbot.link.connected()


# ---- the same listeners ----------------------------------------------------------------------------
def test_a_slash_command_is_answered_over_the_socket(sbot, slack):
    msg = register(slack)
    assert "Pay by phone" in block_text(msg)
    n = len(slack.messages(PROJ))
    slack.command(SPEC, PROJ, "status")
    slack.wait_for(lambda: len(slack.messages(PROJ)) == n + 1)
    assert checklist(slack)["ts"] != msg["ts"]
    # Bad input is answered in the ack's payload itself, shown only to the person.
    r = slack.command(SPEC, PROJ, "done banana")
    assert r.status_code == 200 and "not a step" in r.json()["text"]
    assert "Usage: `/addon done" in wait_ephemeral(slack, "not a step")
    kinds = {d.kind for d in slack.deliveries}
    assert kinds == {"slash_command"}
    assert all(d.status == 200 and d.elapsed < 3 for d in slack.deliveries)
    no_refusals(slack)


def test_a_button_click_edits_the_checklist(sbot, slack):
    ts = register(slack)["ts"]
    # Step 3: step 1 with no daily summary yet would ask for a reason first.
    r = slack.click(SPEC, PROJ, ts, "step_done", value=json.dumps({"p": project_id(sbot), "s": "handoff"}))
    assert r.status_code == 200
    slack.wait_for(lambda: step_state(sbot, "handoff") == "done")
    slack.wait_for(lambda: "Done by <@U0SPEC>" in block_text(slack.message(PROJ, ts)))
    assert [d.kind for d in slack.deliveries if d.kind == "block_actions"] == ["block_actions"]
    no_refusals(slack)


def test_a_modal_submission_with_errors_keeps_the_modal_open(sbot, slack):
    slack.command(SPEC, PROJ, "new biller=TOWN-7")
    slack.wait_for(lambda: slack.views(SPEC))
    view = slack.views(SPEC)[-1]
    assert view["callback_id"] == "register_project"
    fields = {"biller": {"biller": "TOWN-7"}, "addon": {"addon": "Text to pay"}, "golive": {"golive": "2026-11-09"},
              "projected": {"projected": "many"}, "manager": {"manager": MGR}, "specialists": {"specialists": [SPEC]},
              "tz": {"tz": "America/Denver"}}
    r = slack.submit_view(SPEC, view["id"], fields)
    assert r.json()["response_action"] == "errors"
    assert "payments per day" in slack.view_errors(view["id"])["projected"]  # applied from the ack's payload
    assert [v["id"] for v in slack.views(SPEC)] == [view["id"]]
    with sbot.deps.session_factory() as s:
        assert repo.project_in_channel(s, PROJ) is None
    fields["projected"] = {"projected": "12"}
    slack.submit_view(SPEC, view["id"], fields)
    slack.wait_for(lambda: checklist(slack) is not None)
    assert slack.views(SPEC) == []
    no_refusals(slack)


def test_an_app_mention_is_answered(sbot, slack):
    register(slack)
    slack.mention(BILLER, SHARED, "the payments page shows an error")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2 and pings(slack))
    [delivery] = mention_envelopes(slack)
    assert delivery.status == 200
    no_refusals(slack)


# ---- each event acted on once ---------------------------------------------------------------------
def test_an_envelope_sent_again_after_a_lost_ack_is_acted_on_once(sbot, slack, caplog):
    caplog.set_level(logging.INFO, logger="addon_bot.middleware")
    register(slack)
    slack.ack_deadline = 1.5  # the lost ack's wait, shortened from Slack's 3 s; the bot acks in milliseconds
    slack.socket.lose_acks(1)
    slack.mention(BILLER, SHARED, "the payments page shows an error")
    tries = mention_envelopes(slack)
    assert [d.status for d in tries] == [None, 200]  # the first ack lost, then sent again and acked
    assert [d.kind.rsplit(":", 1)[-1] for d in tries] == ["app_mention", "retry1"]
    assert len({d.payload["event_id"] for d in tries}) == 1
    assert [p.code for p in slack.errors] == ["operation_timeout"]
    # The retry reached the middleware with its retry_attempt, and ran nothing.
    event_id = tries[0].payload["event_id"]
    assert f"event {event_id} (app_mention) already taken; re-delivery 1 timeout dropped" in caplog.text
    slack.wait_for(lambda: pings(slack))
    slack.reset_records()
    # Slack's later retries of the same event_id change nothing either.
    for num in (2, 3):
        resp, in_time = slack.redeliver(slack.last_envelope, num, "timeout")
        assert resp.status_code == 200 and in_time
    answers = [m for m in slack.messages(SHARED) if m.get("bot_id")]
    assert len(answers) == 1 and len(pings(slack)) == 1
    no_refusals(slack)


def test_envelopes_spread_across_two_instances_are_acted_on_once(sbot, slack, db_url):
    register(slack)
    other = SocketBotHarness(db_url, slack).start()
    try:
        assert len(slack.socket.connections()) == 2
        slack.mention(BILLER, SHARED, "first question")
        slack.wait_for(lambda: len(pings(slack)) == 1)
        envelope = slack.last_envelope
        for num in (1, 2, 3):  # each retry goes to the next connection in turn
            resp, _ = slack.redeliver(envelope, num, "timeout")
            assert resp.status_code == 200
        got = [len(c.received) for c in slack.socket.connections()]
        assert all(n >= 2 for n in got), got  # both connections were given envelopes
    finally:
        other.stop()
    answers = [m for m in slack.messages(SHARED) if m.get("bot_id")]
    assert len(answers) == 1 and len(pings(slack)) == 1


# ---- Slack refreshing the link ------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["refresh_requested", "warning"])
def test_the_bot_reconnects_after_a_disconnect_message(sbot, slack, reason):
    register(slack)
    [old] = slack.socket.connections()
    assert slack.socket.disconnect(reason) == 1
    slack.socket.wait_for_connections(1, opened=2)  # a new URL, a new connection
    slack.wait_for(lambda: [c.id for c in slack.socket.connections()] != [old.id], timeout=10)
    assert len(slack.calls_to("apps.connections.open")) == 2
    n = len(slack.messages(PROJ))
    slack.command(SPEC, PROJ, "status")
    slack.wait_for(lambda: len(slack.messages(PROJ)) == n + 1)
    [new] = slack.socket.connections()
    assert new.id != old.id and new.received
    no_refusals(slack)


def test_the_bot_reconnects_when_the_link_drops(sbot, slack):
    slack.socket.close_all()
    slack.socket.wait_for_connections(1, opened=2, timeout=30)
    r = slack.command(SPEC, PROJ, "")
    assert "/addon status" in r.json()["text"]


# ---- operators' view ------------------------------------------------------------------------------------
def test_health_and_metrics_are_served_beside_the_link(sbot, slack):
    metrics = sbot.runtime.metrics()
    link = sbot.runtime.socket_link(metrics)
    ops = sbot.runtime.ops_server(link, metrics, "127.0.0.1", 0).start()
    try:
        r = httpx.get(ops.url + "/healthz")
        assert r.status_code == 503 and r.json()["socket_mode"] == "disconnected"  # this link is not open yet
        link.connect()
        assert link.wait_connected()
        r = httpx.get(ops.url + "/healthz")
        assert r.status_code == 200 and r.json() == {"ok": True, "database": "ok", "socket_mode": "connected"}
        sbot.link.close()  # only the second link is left: every envelope goes to it
        slack.wait_for(lambda: len(slack.socket.connections()) == 1)
        slack.command(SPEC, PROJ, "")
        text = httpx.get(ops.url + "/metrics").text
        assert 'addon_bot_requests_total{outcome="ok",surface="command"} 1.0' in text
        assert httpx.get(ops.url + "/healthz/live").json() == {"ok": True, "live": True}
    finally:
        link.close()
        ops.stop()
