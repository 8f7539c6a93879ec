"""Fuzzing every surface, signed and unsigned (hypothesis): whatever arrives, the answer is a
2xx or 4xx, never a 500, no listener raises past its guard, and the bot still works after.

Surfaces: slash command (`/addon` text), block actions (every action id), view submissions
(every callback id), shortcuts, events (app_mention, reaction_added, member_joined_channel,
message), and unsigned/forged bytes with random headers. Counts are printed at the end
(`-s` shows them)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.views import ids
from tests.adversarial.edge_support import FORM, post
from tests.support.harness import INTERNAL_TEAM, NEW_CMD, PROJ, SPEC
from tests.slack.test_slack_workflow import checklist

EXAMPLES = 150
ACTION_IDS = [v for k, v in vars(ids).items() if k.startswith("A_")]
CALLBACK_IDS = [v for k, v in vars(ids).items() if k.startswith("V_")]
COUNTS: dict[str, int] = {}

ids_ = st.sampled_from([SPEC, "U0MGR", "U0BILLER", "UNOBODY", "", "U" + "9" * 40])
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
                      st.text(max_size=40), st.sampled_from(["\x00", "1", "true", "<@U0MGR>", "{\"p\": 1}"]))
json_any = st.recursive(json_leaf, lambda c: st.one_of(st.lists(c, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), c, max_size=4)),
                        max_leaves=12)
button_value = st.one_of(
    st.builds(lambda p, n, a: json.dumps({"p": p, "n": n, "a": a, "s": "monitor"}),
              st.one_of(st.integers(-3, 5), st.booleans(), st.text(max_size=3), st.none()),
              st.one_of(st.integers(-3, 5), st.text(max_size=3)), st.one_of(st.integers(-3, 5), st.none())),
    st.text(max_size=30))


@st.composite
def block_action(draw):
    action = {"action_id": draw(st.sampled_from(ACTION_IDS)), "block_id": "b", "type": "button",
              "value": draw(button_value), "action_ts": "1.1"}
    if draw(st.booleans()):
        action[draw(st.sampled_from(["selected_option", "extra", "value"]))] = draw(json_any)
    return {"type": "block_actions", "user": {"id": draw(ids_), "team_id": INTERNAL_TEAM},
            "team": {"id": INTERNAL_TEAM}, "api_app_id": "A1", "trigger_id": "1.1.x",
            "channel": {"id": draw(st.sampled_from([PROJ, "C0SHARED", "CNONE"]))},
            "container": {"type": "message", "message_ts": "1.1", "channel_id": PROJ},
            "message": {"ts": "1.1", "text": "x"}, "actions": [action]}


@st.composite
def view_submission(draw):
    values = draw(st.dictionaries(st.sampled_from(["text", "note", "reason", "subject", "description", "biller",
                                                   "addon", "golive", "projected", "manager", "confirm"]),
                                  st.fixed_dictionaries({}, optional={"v": st.one_of(
                                      st.builds(lambda t: {"type": "plain_text_input", "value": t},
                                                st.one_of(st.text(max_size=50), st.text(min_size=3000,
                                                                                        max_size=5000))),
                                      st.builds(lambda d: {"type": "datepicker", "selected_date": d},
                                                st.text(max_size=12)),
                                      st.builds(lambda u: {"type": "users_select", "selected_user": u}, ids_),
                                      st.builds(lambda o: {"type": "checkboxes", "selected_options": o},
                                                st.lists(st.fixed_dictionaries({"value": st.text(max_size=5)}),
                                                         max_size=2)))}),
                                  max_size=6))
    meta = draw(st.one_of(button_value, st.just("")))
    return {"type": "view_submission", "user": {"id": draw(ids_), "team_id": INTERNAL_TEAM},
            "team": {"id": INTERNAL_TEAM}, "api_app_id": "A1", "trigger_id": "1.1.x",
            "view": {"id": "V1", "type": "modal", "callback_id": draw(st.sampled_from(CALLBACK_IDS)),
                     "private_metadata": meta, "hash": "h", "state": {"values": values}}}


@st.composite
def event(draw):
    kind = draw(st.sampled_from(["app_mention", "reaction_added", "member_joined_channel", "message",
                                 "app_home_opened"]))
    ev = {"type": kind, "user": draw(ids_), "channel": draw(st.sampled_from([PROJ, "C0SHARED", "CX"])),
          "text": draw(st.text(max_size=80)), "ts": "1.2", "event_ts": "1.2"}
    if kind == "reaction_added":
        ev["reaction"] = draw(st.sampled_from(["eyes", "white_check_mark", "x"]))
        ev["item"] = {"type": "message", "channel": PROJ, "ts": draw(st.sampled_from(["1.1", "0", ""]))}
    if draw(st.booleans()):
        ev[draw(st.sampled_from(["extra", "blocks", "thread_ts_x"]))] = draw(json_any)
    return {"type": "event_callback", "team_id": INTERNAL_TEAM, "api_app_id": "A1",
            "event_id": "Ev" + draw(st.text("ABC123", min_size=4, max_size=8)), "event_time": 1, "event": ev}


def mutate(draw, payload: dict) -> dict:
    """Replace one leaf (at any depth) with any JSON value: wrong types must be refused, not coerced."""
    p = json.loads(json.dumps(payload))
    node, key = p, None
    for _ in range(draw(st.integers(0, 3))):
        if not isinstance(node, dict) or not node:
            break
        key = draw(st.sampled_from(sorted(node)))
        if isinstance(node[key], dict) and node[key]:
            node = node[key]
        else:
            break
    if isinstance(node, dict) and node:
        node[draw(st.sampled_from(sorted(node)))] = draw(json_any)
    return p


@pytest.fixture
def fuzzed(bot, slack, caplog):
    slack.command(SPEC, PROJ, NEW_CMD)
    slack.wait_for(lambda: checklist(slack) is not None)
    caplog.set_level(logging.WARNING)
    client = httpx.Client()
    yield bot, client
    client.close()
    # the bot still answers a person after the storm
    r = slack.command(SPEC, PROJ, "help")
    assert r.status_code == 200
    failures = [r.getMessage() for r in caplog.records
                if r.levelno >= logging.ERROR and r.name.startswith(("addon_bot", "slack_bolt"))]
    assert failures == [], failures[:5]


def _send(bot, client, surface: str, body: bytes, ctype: str = FORM, sign: bool = True) -> int:
    COUNTS[surface] = COUNTS.get(surface, 0) + 1
    r = post(bot.slack.bot_url, body, ctype=ctype, sign=sign, client=client)
    assert r.status_code < 500, (surface, body[:200], r.status_code, r.text[:200])
    return r.status_code


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_fuzz_signed_interactions(fuzzed, data):
    bot, client = fuzzed
    payload = data.draw(st.one_of(block_action(), view_submission()))
    if data.draw(st.booleans()):
        payload = mutate(data.draw, payload)
    kind = payload.get("type")
    _send(bot, client, f"signed {kind if kind in ('block_actions', 'view_submission') else 'mutated type'}",
          urlencode({"payload": json.dumps(payload)}).encode())


@SETTINGS
@given(data=st.data())
def test_fuzz_signed_events(fuzzed, data):
    bot, client = fuzzed
    payload = data.draw(event())
    if data.draw(st.booleans()):
        payload = mutate(data.draw, payload)
    _send(bot, client, "signed event_callback", json.dumps(payload).encode(), "application/json")


@SETTINGS
@given(text=st.one_of(st.text(max_size=200), st.sampled_from([
    "item \x00nul", "new biller=\x00 addon=x golive=2026-01-01 projected=1 manager=<@U0MGR>",
    "case 1 | " + "x" * 5000, "item " + "y" * 5000, "done monitor \x07", "skip address \u202e",
    "new manager=<@U0BILLER|bill> biller=B addon=A golive=2026-11-02 projected=5"])),
       user=ids_)
def test_fuzz_signed_slash_command(fuzzed, text, user):
    bot, client = fuzzed
    body = urlencode({"token": "t", "team_id": INTERNAL_TEAM, "channel_id": PROJ, "user_id": user,
                      "user_name": "u", "command": "/addon", "text": text, "response_url": "",
                      "trigger_id": "1.1.x"}).encode()
    _send(bot, client, "signed slash command", body)


@SETTINGS
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       ctype=st.sampled_from([FORM, "application/json", "text/plain", "", "multipart/form-data"]),
       headers=st.dictionaries(st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature",
                                                "Content-Length"]),
                               st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
                               max_size=3))
def test_fuzz_unsigned_and_forged(fuzzed, body, ctype, headers):
    bot, client = fuzzed
    COUNTS["unsigned/forged"] = COUNTS.get("unsigned/forged", 0) + 1
    h = {"Content-Type": ctype, **headers}
    try:
        r = client.post(bot.slack.bot_url, content=body, headers=h, timeout=10)
    except httpx.HTTPError:
        return  # a Content-Length the client itself refuses to send
    assert r.status_code in (400, 401, 413), (body[:80], headers, r.status_code)


def teardown_module(_):
    if COUNTS:
        print("\nfuzz cases by surface:", json.dumps(COUNTS, sort_keys=True), "total", sum(COUNTS.values()))
