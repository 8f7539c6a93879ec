"""Settings stop start-up with one line naming the variable; the CLI surfaces."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from bot.settings import SettingsError, load_settings
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
SCHEMA_DIR = ROOT.parent / "shared" / "slack" / "manifest-schema"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith(("SLACK_", "CS_", "PAYMENTS_")) or k in (
            "DATABASE_URL", "SUMMARY_TIME", "DEFAULT_TIMEZONE", "MANAGERS_CHANNEL", "ADMIN_USERS",
            "CHECK_THRESHOLDS",
        ):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults():
    s = load_settings()
    assert s.DATABASE_URL == "sqlite:///./addon-bot.db"
    assert s.SLACK_API_URL == "https://slack.com/api/"
    assert s.SUMMARY_TIME == "09:00" and s.DEFAULT_TIMEZONE == "America/New_York"
    assert s.PAYMENTS_API_URL is None and s.CS_CASES_URL is None


@pytest.mark.parametrize("var,value,expect", [
    ("SLACK_BOT_TOKEN", "xoxp-user", "SLACK_BOT_TOKEN: expected a bot token starting with xoxb-"),
    ("SLACK_APP_TOKEN", "abc", "SLACK_APP_TOKEN: expected an app-level token"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected sqlite:///PATH"),
    ("SUMMARY_TIME", "9am", "SUMMARY_TIME: expected a local time HH:MM"),
    ("DEFAULT_TIMEZONE", "Mars/Base", "DEFAULT_TIMEZONE: expected an IANA time zone"),
    ("CS_CHANNEL", "#client-services", "CS_CHANNEL: expected a Slack channel id"),
    ("PAYMENTS_API_URL", "ftp://x", "PAYMENTS_API_URL: expected an http:// or https:// URL"),
    ("CS_HANDOFF_FILE", "/nonexistent/handoff.yaml", "CS_HANDOFF_FILE: expected the path of a readable YAML"),
    ("ADMIN_USERS", "bob", "ADMIN_USERS: expected comma-separated Slack user ids"),
    ("CHECK_THRESHOLDS", "{oops", "CHECK_THRESHOLDS: expected a JSON object"),
])
def test_malformed_setting_names_the_variable(monkeypatch, var, value, expect):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert str(e.value).startswith(expect)
    assert "\n" not in str(e.value)


def test_dotenv_is_read(tmp_path):
    (tmp_path / ".env").write_text("SUMMARY_TIME=7:30\nDATABASE_URL=postgresql://u@h/db\n")
    s = load_settings()
    assert s.SUMMARY_TIME == "07:30"
    assert s.DATABASE_URL == "postgresql+psycopg://u@h/db"


def _cli(*args, env=None, cwd=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=e, cwd=cwd, timeout=60)


def test_serve_without_token_stops_with_one_line(tmp_path):
    r = _cli("serve", "--mode", "http", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert r.returncode == 2
    assert r.stderr.strip() == "addon-bot: setting SLACK_BOT_TOKEN: required to serve (the bot token, xoxb-…)"


def test_http_mode_needs_signing_secret(tmp_path):
    r = _cli("serve", "--mode", "http", cwd=tmp_path,
             env={"PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": "xoxb-1"})
    assert r.returncode == 2
    assert "SLACK_SIGNING_SECRET: required in http mode" in r.stderr


def test_socket_mode_needs_the_app_token(tmp_path):
    r = _cli("serve", "--mode", "socket", cwd=tmp_path,
             env={"PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": "xoxb-1"})
    assert r.returncode == 2
    assert "SLACK_APP_TOKEN: required in socket mode" in r.stderr


@pytest.mark.parametrize("mode, port, expect", [
    ("http", "9100", "--metrics-port is for socket mode; in http mode /healthz and /metrics are served on --port"),
    ("socket", "70000", "--metrics-port 70000 is not a TCP port (1-65535)"),
])
def test_metrics_port_is_checked(tmp_path, mode, port, expect):
    env = {"PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
           "SLACK_APP_TOKEN": "xapp-1", "PAYMENTS_API_URL": "simulated",
           "DATABASE_URL": f"sqlite:///{tmp_path}/untouched.db"}
    r = _cli("serve", "--mode", mode, "--metrics-port", port, cwd=tmp_path, env=env)
    assert r.returncode == 2 and r.stderr.strip() == f"addon-bot serve: {expect}"
    assert not (tmp_path / "untouched.db").exists()  # refused before anything started


def test_malformed_setting_stops_cli(tmp_path):
    r = _cli("db", "upgrade", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "SUMMARY_TIME": "25:00"})
    assert r.returncode == 2
    assert r.stderr.strip().startswith("addon-bot: setting SUMMARY_TIME:")
    assert len(r.stderr.strip().splitlines()) == 1


def test_db_upgrade(tmp_path):
    r = _cli("db", "upgrade", cwd=tmp_path,
             env={"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert r.returncode == 0, r.stderr
    assert "revision 0009" in r.stdout


# ---- the manifest -------------------------------------------------------------
def test_manifest_declares_what_the_code_needs():
    m = yaml.safe_load((ROOT / "manifest.yml").read_text())
    cmd = m["features"]["slash_commands"][0]
    assert cmd["command"] == "/addon" and cmd["should_escape"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "channels:read", "groups:read", "im:write",
            "app_mentions:read", "reactions:read"} <= scopes
    assert {"app_home_opened", "app_mention", "reaction_added"} <= set(
        m["settings"]["event_subscriptions"]["bot_events"])


@pytest.mark.skipif(not SCHEMA_DIR.is_dir(), reason="Slack's manifest schema (../shared/slack/manifest-schema) is not here")
@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket.yml"])
def test_manifest_validates_against_slack_schema(name):
    import jsonschema
    from referencing import Registry, Resource

    resources = []
    for f in SCHEMA_DIR.glob("manifest.schema.*.json"):
        doc = Resource.from_contents(json.loads(f.read_text()), default_specification=jsonschema.Draft7Validator.META_SCHEMA and __import__("referencing.jsonschema").jsonschema.DRAFT7)
        for tag in ("v0.5.0", "main"):
            resources.append((f"https://raw.githubusercontent.com/slackapi/manifest-schema/{tag}/schemas/{f.name}", doc))
    top = json.loads((SCHEMA_DIR / "manifest.schema.json").read_text())
    validator = jsonschema.Draft7Validator(top, registry=Registry().with_resources(resources))
    manifest = yaml.safe_load((ROOT / name).read_text())
    errors = [e.message for e in validator.iter_errors(manifest)]
    assert errors == []
    # The schema is really applied: a broken manifest fails it.
    broken = dict(manifest, display_information={"name": ""})
    assert list(validator.iter_errors(broken))


# ---- the payments source is explicit -------------------------------------------------
@pytest.mark.parametrize("args", [("serve", "--mode", "http"), ("run-daily",),
                                  ("backtest", "--project", "1", "--from", "2026-11-01", "--to", "2026-11-02")])
def test_commands_that_read_payments_refuse_without_a_source(tmp_path, args):
    r = _cli(*args, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": "xoxb-1",
                                       "SLACK_SIGNING_SECRET": "s", "PAYMENTS_API_URL": "",
                                       "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("addon-bot: setting PAYMENTS_API_URL: required") and "`simulated`" in lines[0]
    assert not (tmp_path / "x.db").exists()  # nothing started


def test_simulated_is_a_payments_source_and_schedule_settings_are_checked(monkeypatch):
    monkeypatch.setenv("PAYMENTS_API_URL", "simulated")
    monkeypatch.setenv("SCHEDULE_API_URL", "simulated")
    s = load_settings()
    assert s.payments_simulated and s.SCHEDULE_API_URL == "simulated"
    assert (s.SCHEDULE_PERCENT_COLUMN, s.SCHEDULE_STATUS_FIELD, s.SCHEDULE_COMPLETE_VALUE) == (
        "% Complete", "Status", "Complete")
    monkeypatch.setenv("SCHEDULE_API_URL", "smartsheet")
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert str(e.value).startswith("SCHEDULE_API_URL: expected an http:// or https:// URL, or `simulated`")
