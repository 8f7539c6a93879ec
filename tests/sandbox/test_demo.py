"""`addon-bot demo` without a browser: the message box's rules, the data folder,
the page's JSON API over HTTP, and the command itself in a subprocess."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import yaml

from bot.sandbox.demo import cast, compose, features
from bot.sandbox.demo.run import DataDirError, DemoStack, fresh_data_dir
from bot.sandbox.localslack import Workspace
from bot.settings import load_settings
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


# ---- the message box ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ws():
    slack = cast.build_workspace("secret", "xoxb-test")
    yield slack.ws


def test_slash_command_is_escaped_as_slack_escapes_it(ws: Workspace):
    p = compose.plan(ws, '/addon new biller=B-1 addon="Pay & go" manager=@maria shared=#city-42-ext a<b')
    assert p.kind == "command" and p.command == "/addon"
    assert p.text == ('new biller=B-1 addon="Pay &amp; go" manager=<@U0MGR|maria> '
                      "shared=<#C0CITYEXT|city-42-ext> a&lt;b")


def test_other_slash_commands_are_refused_by_the_client(ws: Workspace):
    p = compose.plan(ws, "/remind me")
    assert p.kind == "refused" and "/remind is not a valid command" in (p.reason or "")
    assert compose.plan(ws, "   ").kind == "refused"


def test_messages_link_names_and_mentions_of_the_bot(ws: Workspace):
    p = compose.plan(ws, "hi @sam, see #client-services. Mail bill@city42.example or @nobody")
    assert p.kind == "message"
    assert p.text == "hi <@U0SPEC>, see <#C0CS|client-services>. Mail bill@city42.example or @nobody"
    for typed in ("@addon-bot who do we call?", "hey @addon: help"):
        p = compose.plan(ws, typed)
        assert p.kind == "mention" and "<@U0BOT>" in p.text


def test_subscriptions_are_the_manifests():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == cast.SUBSCRIPTIONS


# ---- the data folder ---------------------------------------------------------------------------
def test_data_folder_is_made_afresh_but_a_foreign_folder_is_never_deleted(tmp_path):
    d = fresh_data_dir(tmp_path / "demo")
    (d / "addon-bot.db").write_text("old")
    assert not (fresh_data_dir(d) / "addon-bot.db").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious")
    with pytest.raises(DataDirError):
        fresh_data_dir(foreign)
    assert (foreign / "thesis.txt").read_text() == "precious"


# ---- the page's API ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    stack = DemoStack(load_settings(_env_file=None), tmp_path_factory.mktemp("demo") / "d", port=0,
                      scheduler=False).start()
    yield stack
    stack.stop()


def state(demo, user, since=0):
    r = httpx.get(f"{demo.url}api/state", params={"user": user, "since": since}, timeout=30)
    assert r.status_code == 200
    return r.json()


def act(demo, **body):
    return httpx.post(f"{demo.url}api/act", json=body, timeout=30)


def test_seeding_went_through_the_bot_without_a_refusal(demo):
    assert demo.slack.errors == [] and demo.slack.warnings == []
    kinds = {d.kind for d in demo.slack.deliveries}
    assert "slash_command" in kinds and "view_submission" in kinds and "block_actions" in kinds
    with demo.deps.session_factory() as s:
        from storage import repo

        assert {repo.project_in_channel(s, c.id).biller_id for c in (cast.RIVERTON, cast.MAPLE, cast.CITY)} == \
            {"RIVERTON-WATER", "MAPLE-GAS", "CITY-42"}
        assert repo.project_in_channel(s, cast.OAK.id) is None
    snap = demo.deps.service.snapshot
    city = snap(demo.deps.service.project_in_channel(cast.CITY.id).id)
    assert (city.step("monitor").state, city.step("address").state, city.step("handoff").state) == \
        ("done", "done", "open")
    maple = snap(demo.deps.service.project_in_channel(cast.MAPLE.id).id)
    assert [i.status for i in maple.items] == (
        ["open", "escalated"] if features.client_services(demo.deps) else ["open", "open"])
    assert demo.ready_seconds > 0  # how long it took is printed and measured, not asserted here


def test_each_persona_sees_what_slack_would_show_them(demo):
    spec = state(demo, cast.SPECIALIST.user_id)
    names = [c["name"] for c in spec["channels"] if c["kind"] != "app_dm"]
    assert names == [c.name for c in cast.CHANNELS]
    assert [c["external"] for c in spec["channels"] if c["id"] == cast.SHARED.id] == [True]
    assert any(c["kind"] == "app_dm" for c in spec["channels"])
    biller = state(demo, cast.BILLER.user_id)
    assert [c["id"] for c in biller["channels"]] == [cast.SHARED.id]
    assert biller["home"] is None and biller["me"]["external"] is True
    assert spec["features"]["client_services"] == features.client_services(demo.deps)


def test_the_long_poll_answers_when_the_workspace_changes(demo):
    version = state(demo, cast.COLLEAGUE.user_id)["version"]
    got: dict = {}
    t = threading.Thread(target=lambda: got.update(state(demo, cast.COLLEAGUE.user_id, since=version)))
    t.start()
    time.sleep(0.3)
    assert act(demo, user=cast.COLLEAGUE.user_id, kind="compose", channel=cast.OAK.id, text="ping").json()["ok"]
    t.join(10)
    assert got["version"] > version
    assert any(m["text"] == "ping" for m in got["conversations"][cast.OAK.id]["messages"])


def test_actions_the_client_would_not_allow_are_refused(demo):
    dm = next(c["id"] for c in state(demo, cast.SPECIALIST.user_id)["channels"] if c["kind"] == "app_dm")
    r = act(demo, user=cast.SPECIALIST.user_id, kind="compose", channel=dm, text="hello")
    assert r.json() == {"ok": False, "error": "Sending messages to this app has been turned off."}
    r = act(demo, user=cast.BILLER.user_id, kind="compose", channel=cast.OAK.id, text="hello")
    assert r.status_code == 409 and "not a member" in r.json()["error"]
    assert act(demo, user="U0NOBODY", kind="compose", channel=cast.OAK.id, text="x").status_code == 400
    assert act(demo, user=cast.SPECIALIST.user_id, kind="dance").status_code == 400


def test_the_daily_job_says_plainly_when_monitoring_is_missing(demo):
    r = httpx.post(f"{demo.url}api/daily", json={"date": "2026-11-20"}, timeout=30)
    if features.monitoring(demo.deps) is None:
        assert r.status_code == 409 and r.json()["error"] == features.MONITORING_MISSING
        assert state(demo, cast.MANAGER.user_id)["daily"]["available"] is False
    else:
        assert r.status_code == 200 and r.json()["date"] == "2026-11-20"


# ---- the command -------------------------------------------------------------------------------
def test_addon_bot_demo_starts_prints_its_url_and_stops(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--port", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if line.startswith("ready in"):
                break
        text = "".join(out)
        ready = re.search(r"^ready in (\d+\.\d)s\. Open (http://127\.0\.0\.1:\d+/)", text, re.M)
        assert ready, text
        assert float(ready.group(1)) > 0  # the time is a figure to read, not a test to time
        page = httpx.get(ready.group(2), timeout=10)
        assert page.status_code == 200 and "addon-bot" in page.text
        assert (tmp_path / "addon-bot-demo" / "addon-bot.db").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, "".join(out) + rest


def test_addon_bot_demo_refuses_a_port_in_use(tmp_path, capsys, monkeypatch):
    import logging

    from bot.cli import main

    for name in ("httpx", "apscheduler"):  # cmd_demo quiets them for its console; not for other tests
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            assert main(["demo", "--port", str(port)]) == 2
        finally:
            os.chdir(cwd)
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
