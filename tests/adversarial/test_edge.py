"""The HTTP edge: size cap before reading, signature before parsing, 4xx (never 500) for bad input,
one log line without the body, and a signed request accepted once."""

from __future__ import annotations

import json
import logging
import socket

from tests.adversarial.edge_support import FORM, command_body, interaction, post, signed
from tests.support.harness import INTERNAL_TEAM, NEW_CMD, PROJ, SPEC
from tests.slack.test_slack_workflow import checklist, project_row


def test_oversized_body_is_refused_from_its_length_unread(bot):
    url = bot.slack.bot_url
    host, port = bot.server.host, bot.server.port
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 52428800\r\n\r\n" + b"{" * 1000)
        head = s.recv(200)
    assert head.startswith(b"HTTP/1.1 413"), head
    big = b"a=" + b"x" * (1 << 20)
    assert post(url, big, sign=False).status_code == 413
    assert post(url, big).status_code == 413  # signed or not: the cap comes first


def test_chunked_body_over_the_cap_is_cut_off(bot):
    import httpx

    def chunks():
        for _ in range(40):
            yield b"x" * 65536
    r = httpx.post(bot.slack.bot_url, content=chunks(), headers={"Content-Type": FORM}, timeout=10)
    assert r.status_code == 413


def test_bad_signatures_and_timestamps_are_401_in_one_line_without_the_body(bot, caplog):
    url = bot.slack.bot_url
    body = command_body("status", user=SPEC, channel=PROJ, team=INTERNAL_TEAM)
    caplog.set_level(logging.INFO)
    cases = [
        {},
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "1", **{"X-Slack-Signature": signed(body, "1")["X-Slack-Signature"]}},
        {**signed(body), "X-Slack-Signature": "v0=" + "0" * 64},
        {**signed(body), "X-Slack-Signature": b"v0=\xe9"},
        signed(body + b"x"),
    ]
    for h in cases:
        r = post(url, body, sign=False, headers=h)
        assert r.status_code == 401, (h, r.status_code, r.text)
    assert "status" not in caplog.text.replace("status_code", "")  # no body in the log
    assert all("token=t" not in r.getMessage() for r in caplog.records)


def test_malformed_signed_input_is_400_never_500(bot):
    url = bot.slack.bot_url
    bad = [
        (b"{", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", FORM),
        (b"payload=%7B", FORM),
        (interaction({"type": "block_actions", "actions": [1], "user": {"id": SPEC}}), FORM),
        (interaction({"type": "block_actions", "actions": [{"action_id": True}], "user": {"id": SPEC}}), FORM),
        (interaction({"type": "view_submission", "user": {"id": SPEC},
                      "view": {"id": "V1", "callback_id": "x", "private_metadata": {"p": 1}}}), FORM),
        (interaction({"type": "view_submission", "user": {"id": True}, "view": {"id": "V1"}}), FORM),
        (interaction({"type": "block_actions", "user": {"id": ["U1"]}, "actions": [{"action_id": "a"}]}), FORM),
        (interaction({"type": "nonsense"}), FORM),
        (json.dumps({"type": "event_callback", "event": [1]}).encode(), "application/json"),
        (json.dumps({"type": "event_callback", "event": {"type": "app_mention", "user": 1}}).encode(),
         "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b"text=hi", FORM),
    ]
    for body, ctype in bad:
        r = post(url, body, ctype=ctype)
        assert r.status_code == 400, (body[:80], r.status_code, r.text)
    assert bot.slack.errors == [] or all("dispatch_failed" != e.code for e in bot.slack.errors)


def test_the_same_signed_command_acts_once(bot, slack, monkeypatch):
    slack.command(SPEC, PROJ, NEW_CMD)
    slack.wait_for(lambda: checklist(slack) is not None)
    sent = []
    orig_sign = slack.sign

    def spy(body, ts=None):
        h = orig_sign(body, ts)
        sent.append((body, h))
        return h
    monkeypatch.setattr(slack, "sign", spy)
    r = slack.command(SPEC, PROJ, "item receipts show the wrong fee")
    assert r.status_code == 200
    body, headers = sent[-1]
    for _ in range(4):
        again = post(slack.bot_url, body.encode() if isinstance(body, str) else body, sign=False,
                     headers=headers)
        assert again.status_code == 200 and again.content == b""
    pid = project_row(bot).id
    slack.wait_for(lambda: len(bot.deps.service.snapshot(pid).items) == 1)
    import time
    time.sleep(0.5)
    assert len(bot.deps.service.snapshot(pid).items) == 1


def test_metrics_and_health_probes(bot, slack):
    import httpx

    base = bot.server.url
    post(bot.slack.bot_url, b"x=1", sign=False)  # one refused
    slack.command(SPEC, PROJ, "help")  # one accepted
    text = httpx.get(f"{base}/metrics", timeout=10).text
    assert 'addon_bot_requests_total{outcome="401",surface="unverified"} 1.0' in text
    assert 'addon_bot_requests_total{outcome="ok",surface="command"} 1.0' in text
    for g in ("outbox_pending", "outbox_oldest_pending_seconds", "payment_days_unreadable", "cases_pending"):
        assert f"addon_bot_{g} " in text
    assert httpx.get(f"{base}/healthz/live", timeout=10).json() == {"ok": True, "live": True}
    ready = httpx.get(f"{base}/healthz/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["migrations"] == "ok"


def test_readiness_fails_when_migrations_are_behind(bot):
    import httpx
    from sqlalchemy import text

    from storage import db

    eng = bot.deps.session_factory.engine
    with eng.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    try:
        r = httpx.get(f"{bot.server.url}/healthz", timeout=10)
        assert r.status_code == 503 and "0002" in r.json()["migrations"]
        assert httpx.get(f"{bot.server.url}/healthz/live", timeout=10).status_code == 200
    finally:
        with eng.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": db._HEAD[0]})


def test_replay_signatures_are_pruned_after_the_window(bot):
    from datetime import timedelta

    from storage import edge
    from storage.models import utcnow

    sf = bot.deps.session_factory
    old = utcnow() - timedelta(minutes=10)
    assert edge.first_sight(sf, "v0=old", now=old)
    assert not edge.first_sight(sf, "v0=old", now=old)
    assert edge.prune(sf) >= 1
    assert edge.first_sight(sf, "v0=old")  # forgotten once outside the window
