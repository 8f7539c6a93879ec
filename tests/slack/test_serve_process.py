"""`addon-bot serve --mode http` as a real process against a Slack-compatible
Web API (the local workspace): health, a signed command, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.harness import NEW_CMD, PROJ, SECRET, SPEC, TOKEN
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def _healthy(proc, base: str) -> httpx.Response:
    """/healthz once the serve process answers 200 (within 30 s; the process must stay up)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            r = httpx.get(base + "/healthz", timeout=1)
            if r.status_code == 200:
                return r
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "serve did not come up"
        time.sleep(0.1)

def test_serve_http_process(slack, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CS_", "PAYMENTS_"))}
    env.update(
        PYTHONPATH=str(ROOT), SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{tmp_path}/serve.db", PAYMENTS_API_URL="simulated",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--mode", "http", "--host", "127.0.0.1", "--port", str(port),
         "--no-scheduler"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        r = _healthy(proc, base)
        assert r.json() == {"ok": True, "database": "ok"}
        slack.bot_url = base + "/slack/events"
        assert slack.command(SPEC, PROJ, NEW_CMD).status_code == 200
        slack.wait_for(lambda: any("Post-live" in (m.get("text") or "") for m in slack.messages(PROJ)))
        assert slack.errors == []
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert (tmp_path / "serve.db").exists()


def test_serve_socket_mode_process(slack, tmp_path):
    """`addon-bot serve --mode socket`: the link opened through SLACK_API_URL with the app
    token, a command answered over it, /healthz and /metrics on --metrics-port, SIGTERM stops it."""
    port = _free_port()
    slack.socket_mode = True
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CS_", "PAYMENTS_"))}
    env.update(
        PYTHONPATH=str(ROOT), SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN=slack.app_token,
        SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{tmp_path}/serve.db", PAYMENTS_API_URL="simulated",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--mode", "socket", "--host", "127.0.0.1",
         "--metrics-port", str(port), "--no-scheduler"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        r = _healthy(proc, base)
        assert r.json() == {"ok": True, "database": "ok", "socket_mode": "connected"}
        assert len(slack.calls_to("apps.connections.open")) == 1 and len(slack.socket.connections()) == 1
        assert slack.command(SPEC, PROJ, NEW_CMD).status_code == 200
        slack.wait_for(lambda: any("Post-live" in (m.get("text") or "") for m in slack.messages(PROJ)))
        assert 'addon_bot_requests_total{outcome="ok",surface="command"} 1.0' in httpx.get(base + "/metrics").text
        assert slack.errors == []
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            code = None
    assert code == 0, proc.stdout.read()
    slack.wait_for(lambda: slack.socket.connections() == [])  # the link was closed, not dropped


@pytest.mark.parametrize("token, expect", [
    ("xapp-1-not-this-apps", "invalid_auth (SLACK_APP_TOKEN is not a valid app-level token of this app)"),
])
def test_serve_socket_mode_with_a_wrong_app_token_says_so(slack, tmp_path, token, expect):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CS_", "PAYMENTS_"))}
    env.update(PYTHONPATH=str(ROOT), SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN=token, SLACK_API_URL=slack.api_url,
               DATABASE_URL=f"sqlite:///{tmp_path}/serve.db", PAYMENTS_API_URL="simulated", LOG_LEVEL="ERROR")
    r = subprocess.run([sys.executable, "-m", "bot", "serve", "--mode", "socket", "--no-scheduler"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == f"addon-bot serve: Slack refused apps.connections.open: {expect}"
    assert slack.socket.connections() == []
