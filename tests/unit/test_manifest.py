"""manifest.yml (HTTP) and manifest.socket.yml (Socket Mode) are valid app
manifests (Slack's published JSON Schema, /work/shared/slack/manifest-schema)
and describe the same app: features, scopes and events alike."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path("/work/shared/slack/manifest-schema/manifest.schema.1.0.0.json")


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.skipif(not SCHEMA.exists(), reason="Slack's manifest schema is not on this machine")
@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket.yml"])
def test_manifest_validates_against_slacks_schema(name):
    jsonschema.validate(load(name), json.loads(SCHEMA.read_text()))


def test_the_socket_mode_manifest_is_the_same_app_without_request_urls():
    http, socket = load("manifest.yml"), load("manifest.socket.yml")
    assert http["settings"]["socket_mode_enabled"] is False and socket["settings"]["socket_mode_enabled"] is True
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["settings"]["event_subscriptions"]["bot_events"] == socket["settings"]["event_subscriptions"]["bot_events"]
    assert "request_url" not in socket["settings"]["event_subscriptions"]
    assert [c["command"] for c in http["features"]["slash_commands"]] == \
        [c["command"] for c in socket["features"]["slash_commands"]]
    assert all("url" not in c for c in socket["features"]["slash_commands"])


def test_scopes_cover_a_group_dm_managers_channel():
    scopes = set(load("manifest.yml")["oauth_config"]["scopes"]["bot"])
    assert {"mpim:read", "mpim:history", "chat:write"} <= scopes
