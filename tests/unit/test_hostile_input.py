"""Pure checks of hostile input: the signature on raw bytes, the payload's shape, text limits."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from bot import commands as cmds
from bot.errors import BadInput
from bot.handlers.common import clicked, strict_ids, view_meta
from bot.middleware import project_hint, user_of
from bot.slack_payload import BadRequest, decode, verify


def _sig(body: bytes, ts: str, secret="s") -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()


def test_verify_accepts_only_a_fresh_matching_signature():
    body = b"a=1"
    verify("s", body, "1000", _sig(body, "1000"), now=1000)
    for ts, sig, now, why in [
        ("abc", "v0=1", 1000, "not a number"), ("1000", None, 1000, "missing"),
        ("1000", _sig(body, "1000"), 1000 + 301, "window"), ("1000", _sig(body + b"x", "1000"), 1000, "match"),
        ("１０００", "v0=1", 1000, "not a number"), ("9" * 40, "v0=1", 1000, "not a number"),
    ]:
        with pytest.raises(BadRequest, match=why) as e:
            verify("s", body, ts, sig, now=now)
        assert e.value.status == 401


@pytest.mark.parametrize("raw,ctype,why", [
    (b"{", "application/json", "not valid JSON"),
    (b"[]", "application/json", "not a JSON object"),
    (b"\xff", "application/x-www-form-urlencoded", "UTF-8"),
    (b"x=1", "text/xml", "content type"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "actions": [1]})}).encode(), None, "actions"),
    (urlencode({"payload": json.dumps({"type": "view_submission", "view": {"private_metadata": {}}})}).encode(),
     None, "private_metadata must be a string"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": True},
                                       "actions": [{"action_id": "a"}]})}).encode(), None, "user.id"),
    (json.dumps({"type": "event_callback", "event": {"type": "message", "channel": ["C1"]}}).encode(),
     "application/json", "event.channel"),
])
def test_decode_refuses_wrong_shapes(raw, ctype, why):
    with pytest.raises(BadRequest, match=why) as e:
        decode(raw, ctype)
    assert e.value.status == 400


def test_decode_accepts_commands_and_interactions():
    _, body = decode(urlencode({"command": "/addon", "text": "status", "user_id": "U1"}).encode(),
                     "application/x-www-form-urlencoded")
    assert body["text"] == "status"
    _, body = decode(urlencode({"payload": json.dumps({"type": "block_actions", "actions": [
        {"action_id": "a", "value": "{\"p\": 1}"}], "user": {"id": "U1"}})}).encode(), None)
    assert body["actions"][0]["action_id"] == "a"
    # A click on a message with a chart: the message comes back with the chart's numeric values.
    chart = {"type": "data_visualization", "title": "t", "chart": {"type": "line", "series": [
        {"name": "s", "data": [{"label": "11-02", "value": 38}]}], "axis_config": {"categories": ["11-02"]}}}
    _, body = decode(urlencode({"payload": json.dumps({"type": "block_actions", "actions": [
        {"action_id": "a", "value": "{}"}], "user": {"id": "U1"}, "message": {"blocks": [chart]}})}).encode(), None)
    assert body["message"]["blocks"][0]["chart"]["series"][0]["data"][0]["value"] == 38


@pytest.mark.parametrize("v", [{"p": True}, {"p": "1"}, {"p": [1]}, {"n": 1.0}, {"a": -1}, {"a": "x"}, {"h": 2**40}])
def test_ids_of_the_wrong_type_are_refused_not_coerced(v):
    with pytest.raises(BadInput):
        strict_ids(v)
    raw = json.dumps(v)
    with pytest.raises(BadInput):
        clicked({"actions": [{"action_id": "x", "value": raw}]})
    with pytest.raises(BadInput):
        view_meta({"view": {"private_metadata": raw}})
    assert project_hint({"actions": [{"value": json.dumps({"p": True})}]})[0] is None


def test_readers_survive_any_shape():
    for body in ({"actions": [1]}, {"actions": "x"}, {"view": []}, {"user": ["U1"]}, {"event": "x"},
                 {"user_id": True}, {"channel": "C1", "container": 3, "event": {"item": []}}):
        project_hint(body)
        user_of(body)
        clicked(body)
        view_meta(body)
    assert user_of({"user_id": True}) == (None, None)


@pytest.mark.parametrize("text,why", [
    ("item receipts\x00", "control character"), ("done monitor note\x07", "control character"),
    ("item " + "x" * 2001, "2,000"), ("x" * 7000, "limit is 6,000"),
])
def test_commands_refuse_control_characters_and_say_the_limit(text, why):
    with pytest.raises(BadInput, match=why):
        cmds.parse(text)


def test_parse_text():
    assert cmds.parse_text("  a\tb\nc ", "The note", 10) == "a\tb\nc"
    with pytest.raises(BadInput, match="limit is 3"):
        cmds.parse_text("abcd", "The note", 3)


def test_completion_is_blocked_by_an_open_item_even_when_step_2_says_done():
    from datetime import date

    from bot.workflow import DONE, ItemView, ProjectSnapshot, StepView, completion_blockers

    snap = ProjectSnapshot(id=1, biller_id="B", addon="A", channel_id="C", manager_id="U", specialist_ids=(),
                           golive=date(2026, 11, 2), projected_per_day=1, tz="UTC", status="open",
                           locked=False, version=1,
                           steps={k: StepView(k, DONE) for k in ("monitor", "address", "handoff")},
                           items=(ItemView(1, 1, "x", "open"),))
    assert completion_blockers(snap) == ["Step 2 has open items (#1)."]
