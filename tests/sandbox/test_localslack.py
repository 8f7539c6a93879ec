"""The local Slack workspace: its Web API (driven with slack_sdk's real WebClient) and
its driver (delivering to a real slack_bolt App over HTTP, signed as Slack signs)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox.localslack import (
    EXTERNAL_TEAM_ID,
    INTERNAL_TEAM_ID,
    BackgroundServer,
    LocalSlack,
    LocalSlackError,
    ViewValidationError,
)

SECRET = "local-signing-secret"
TOKEN = "xoxb-local-test"


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str, value: str | None = None) -> dict[str, Any]:
    el: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}
    if value is not None:
        el["value"] = value
    return el


def modal(title: str = "Add-on", **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "addon_modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "amount",
                "label": {"type": "plain_text", "text": "Amount"},
                "element": {"type": "plain_text_input", "action_id": "amount_input"},
            },
            {
                "type": "input",
                "block_id": "plan",
                "label": {"type": "plain_text", "text": "Plan"},
                "element": {
                    "type": "static_select",
                    "action_id": "plan_select",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Basic"}, "value": "basic"},
                        {"text": {"type": "plain_text", "text": "Pro"}, "value": "pro"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "extras",
                "optional": True,
                "label": {"type": "plain_text", "text": "Extras"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "extras_boxes",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Fast"}, "value": "fast"},
                        {"text": {"type": "plain_text", "text": "Cheap"}, "value": "cheap"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "when",
                "optional": True,
                "label": {"type": "plain_text", "text": "Start"},
                "element": {"type": "datepicker", "action_id": "when_date"},
            },
            {
                "type": "input",
                "block_id": "owner",
                "optional": True,
                "label": {"type": "plain_text", "text": "Owner"},
                "element": {"type": "users_select", "action_id": "owner_user"},
            },
            {
                "type": "input",
                "block_id": "where",
                "optional": True,
                "label": {"type": "plain_text", "text": "Channel"},
                "element": {"type": "conversations_select", "action_id": "where_conv"},
            },
        ],
    }
    view.update(extra)
    return view


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    ls = LocalSlack(signing_secret=SECRET, bot_token=TOKEN)
    ls.start()
    ls.add_user("U1", "ana", tz="Europe/Berlin")
    ls.add_user("U2", "bob")
    ls.add_user("UX", "xena", team_id=EXTERNAL_TEAM_ID)
    ls.add_channel("C1", "ops", members=["U1", "U2"])
    ls.add_channel("CPUB", "lobby", members=["U1"], bot_member=False)
    ls.add_channel("CPRIV", "secret", private=True, members=["U1"], bot_member=False)
    ls.add_channel("CEXT", "partners", ext_shared=True, members=["U1", "UX"])
    try:
        yield ls
    finally:
        ls.stop()


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url)


def refusal(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    data = info.value.response.data
    assert isinstance(data, dict)
    return data


def build_bolt_app(api_url: str) -> App:
    """A tiny bot exercising commands, buttons, modals, events and App Home."""
    app = App(signing_secret=SECRET, client=WebClient(base_url=api_url, token=TOKEN))

    @app.command("/addon")
    def addon(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command["text"].strip()
        if text == "help":
            ack("Usage: /addon [modal|ephemeral|public]")
            return
        if text == "slow":
            time.sleep(0.5)
            ack()
            return
        ack()
        if text == "modal":
            client.views_open(trigger_id=command["trigger_id"], view=modal(private_metadata=command["channel_id"]))
        elif text == "ephemeral":
            respond(
                text="Pick one", blocks=[section("Pick one"), {"type": "actions", "elements": [button("OK", "eph_ok")]}]
            )
        elif text == "public":
            respond(text="Everyone sees this", response_type="in_channel")
        else:
            client.chat_postMessage(
                channel=command["channel_id"],
                text="Approval needed",
                blocks=[
                    section("Approval needed"),
                    {"type": "actions", "elements": [button("Approve", "approve", "42")]},
                ],
            )

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        value = body["actions"][0]["value"]
        client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"Approved {value} by <@{body['user']['id']}>",
            blocks=[section(f"Approved {value} by <@{body['user']['id']}>")],
        )

    @app.action("eph_ok")
    def eph_ok(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Done", replace_original=True)

    @app.view("addon_modal")
    def submitted(ack: Ack, view: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        values = view["state"]["values"]
        amount = values["amount"]["amount_input"]["value"]
        if not amount.isdigit():
            ack(response_action="errors", errors={"amount": "Must be a whole number"})
            return
        ack()
        plan = values["plan"]["plan_select"]["selected_option"]["value"]
        extras = [o["value"] for o in values["extras"]["extras_boxes"]["selected_options"]]
        date = values["when"]["when_date"]["selected_date"]
        owner = values["owner"]["owner_user"]["selected_user"]
        client.chat_postMessage(
            channel=view["private_metadata"],
            text=f"{body['user']['id']} saved {amount} {plan} {','.join(extras)} {date} {owner}",
        )

    @app.event("app_mention")
    def mentioned(event: dict[str, Any], say: Any) -> None:
        say(text=f"Hi <@{event['user']}>", thread_ts=event["ts"])

    @app.event("reaction_added")
    def reacted(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(channel=event["item"]["channel"], text=f"saw :{event['reaction']}:")

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [section("Welcome"), {"type": "actions", "elements": [button("Refresh", "home_refresh")]}],
            },
        )

    @app.action("home_refresh")
    def home_refresh(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_update(
            view_id=body["view"]["id"],
            hash=body["view"]["hash"],
            view={"type": "home", "blocks": [section("Refreshed")]},
        )

    return app


@pytest.fixture
def bot(slack: LocalSlack) -> Iterator[App]:
    """The Bolt app behind a Starlette endpoint on its own loopback port."""
    app = build_bolt_app(slack.api_url)
    handler = SlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    server = BackgroundServer(Starlette(routes=[Route("/slack/events", events, methods=["POST"])]), name="bot")
    slack.bot_url = server.start() + "/slack/events"
    try:
        yield app
    finally:
        server.stop()


# --------------------------------------------------------------------------- Web API


def test_auth(slack: LocalSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["team_id"] == INTERNAL_TEAM_ID
    assert answer["user_id"] == "U0BOT" and answer["bot_id"] == "B0BOT"
    assert answer["url"].startswith("https://")
    bad = refusal(WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test)
    assert bad == {"ok": False, "error": "invalid_auth"}
    assert refusal(WebClient(base_url=slack.api_url).auth_test)["error"] == "not_authed"
    assert [e.code for e in slack.errors] == ["invalid_auth", "not_authed"]


def test_post_update_delete(slack: LocalSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="hello", blocks=[section("hello")])
    assert posted["channel"] == "C1"
    message = posted["message"]
    assert message["ts"] == posted["ts"] and message["bot_id"] == "B0BOT" and message["user"] == "U0BOT"
    assert message["blocks"][0]["block_id"]  # Slack fills in block_ids
    second = client.chat_postMessage(channel="C1", text="again")
    assert float(second["ts"]) > float(posted["ts"])

    updated = client.chat_update(channel="C1", ts=posted["ts"], text="edited", blocks=[section("edited")])
    assert updated["ts"] == posted["ts"] and updated["text"] == "edited"
    stored = slack.messages("C1")[0]
    assert stored["text"] == "edited" and stored["edited"]["user"] == "U0BOT"

    client.chat_delete(channel="C1", ts=second["ts"])
    assert [m["text"] for m in slack.messages("C1")] == ["edited"]
    assert [m for m, _ in slack.calls] == ["chat.postMessage", "chat.postMessage", "chat.update", "chat.delete"]
    assert slack.calls_to("chat.update")[0]["blocks"] == [section("edited")]
    assert not slack.errors and not slack.warnings


def test_update_refusals(slack: LocalSlack, client: WebClient) -> None:
    human = slack.post_as_user("U1", "C1", "my message")
    assert refusal(client.chat_update, channel="C1", ts=human["ts"], text="x")["error"] == "cant_update_message"
    assert refusal(client.chat_update, channel="C1", ts="1.000001", text="x")["error"] == "message_not_found"
    assert refusal(client.chat_delete, channel="C1", ts=human["ts"])["error"] == "cant_delete_message"
    assert [e.code for e in slack.errors] == ["cant_update_message", "message_not_found", "cant_delete_message"]


def test_threads_and_permalinks(slack: LocalSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    human = slack.post_as_user("U2", "C1", "me too", thread_ts=reply["ts"])  # a reply's ts: goes to the parent
    assert reply["message"]["thread_ts"] == parent["ts"] and human["thread_ts"] == parent["ts"]
    thread = slack.thread("C1", parent["ts"])
    assert [m["text"] for m in thread] == ["parent", "reply", "me too"]
    assert thread[0]["reply_count"] == 2 and thread[0]["reply_users"] == ["U0BOT", "U2"]
    assert [m["text"] for m in slack.messages("C1")] == ["parent", "reply", "me too"]
    link = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert link.endswith(f"/archives/C1/p{reply['ts'].replace('.', '')}?thread_ts={parent['ts']}&cid=C1")
    assert refusal(client.chat_getPermalink, channel="C1", message_ts="1.1")["error"] == "message_not_found"


def test_ephemeral(slack: LocalSlack, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="only you", blocks=[section("only you")])
    assert answer["message_ts"]
    assert [e["text"] for e in slack.ephemerals("C1", "U1")] == ["only you"]
    assert slack.ephemerals("C1", "U2") == [] and slack.messages("C1") == []
    assert refusal(client.chat_postEphemeral, channel="C1", user="UX", text="x")["error"] == "user_not_in_channel"
    assert refusal(client.chat_postEphemeral, channel="C1", user="UNOPE", text="x")["error"] == "user_not_found"


def test_channel_refusals(slack: LocalSlack, client: WebClient) -> None:
    assert refusal(client.chat_postMessage, channel="CNOPE", text="x")["error"] == "channel_not_found"
    # Slack hides a private channel from a bot that is not in it...
    assert refusal(client.chat_postMessage, channel="CPRIV", text="x")["error"] == "channel_not_found"
    assert refusal(client.conversations_info, channel="CPRIV")["error"] == "channel_not_found"
    # ...while a public one exists but needs membership (or chat:write.public).
    assert refusal(client.chat_postMessage, channel="CPUB", text="x")["error"] == "not_in_channel"
    assert client.conversations_info(channel="CPUB")["channel"]["is_member"] is False
    slack.add_member("CPUB", "U0BOT")
    assert client.chat_postMessage(channel="CPUB", text="x")["ok"]
    assert [e.code for e in slack.errors] == [
        "channel_not_found",
        "channel_not_found",
        "channel_not_found",
        "not_in_channel",
    ]


def test_text_refusals(slack: LocalSlack, client: WebClient) -> None:
    assert refusal(client.chat_postMessage, channel="C1", text="x" * 40_001)["error"] == "msg_too_long"
    assert client.chat_postMessage(channel="C1", text="x" * 40_000)["ok"]
    with pytest.warns(UserWarning):
        assert refusal(client.chat_postMessage, channel="C1", text="")["error"] == "no_text"
    with pytest.warns(UserWarning):  # slack_sdk warns about the missing text before sending
        assert refusal(client.chat_update, channel="C1", ts=slack.messages("C1")[0]["ts"])["error"] == "no_text"


def _actions(n: int, *, prefix: str = "a") -> dict[str, Any]:
    return {"type": "actions", "elements": [button("b", f"{prefix}{i}") for i in range(n)]}


def _chart(title="Attempts a day", series=1, points=20, y=None, kind="line", categories=None) -> dict:
    """A data_visualization block (Slack's chart block) of the given size."""
    labels = [f"11-{i + 1:02d}" for i in range(points)]
    return {"type": "data_visualization", "title": title,
            "chart": {"type": kind, "series": [{"name": f"s{k}", "data": [
                {"label": x, "value": i if y is None else y} for i, x in enumerate(labels)]} for k in range(series)],
                "axis_config": {"categories": labels if categories is None else categories}}}


BAD_BLOCKS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "too many blocks": ([section("x")] * 51, "/blocks"),
    "section text": ([section("x" * 3001)], "/blocks/0/text/text"),
    "header text": ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
    "header mrkdwn": ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
    "button text": ([{"type": "actions", "elements": [button("b" * 76, "a")]}], "/blocks/0/elements/0/text/text"),
    "button value": ([{"type": "actions", "elements": [button("b", "a", "v" * 2001)]}], "/blocks/0/elements/0/value"),
    "action_id": ([{"type": "actions", "elements": [button("b", "a" * 256)]}], "/blocks/0/elements/0/action_id"),
    "block_id": ([section("x", block_id="b" * 256)], "/blocks/0/block_id"),
    "duplicate action_id": (
        [{"type": "actions", "elements": [button("b", "same"), button("c", "same")]}],
        "/blocks/0/elements/1/action_id",
    ),
    "duplicate block_id": ([section("x", block_id="same"), section("y", block_id="same")], "/blocks/1/block_id"),
    "11 fields": ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
    "11 context elements": (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        "/blocks/0/elements",
    ),
    "26 actions": ([_actions(26)], "/blocks/0/elements"),
    "unknown type": ([{"type": "carousel"}], "/blocks/0/type"),
    "input in message": (
        [{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {"type": "plain_text_input"}}],
        "/blocks/0/type",
    ),
    "unknown property": ([section("x", colour="red")], "/blocks/0"),
    "chart title over 50": ([_chart(title="t" * 51)], "/blocks/0/title"),
    "chart title as a text object": ([{**_chart(), "title": {"type": "plain_text", "text": "t"}}], "/blocks/0/title"),
    "chart with no series": ([_chart(series=0)], "/blocks/0/chart/series"),
    "chart with 7 series": ([_chart(series=7)], "/blocks/0/chart/series"),
    "chart series of 21 points": ([_chart(points=21)], "/blocks/0/chart/series/0/data"),
    "chart point not a number": ([_chart(y="12")], "/blocks/0/chart/series/0/data/0/value"),
    "chart label not a category": ([_chart(points=2, categories=["11-01"])], "/blocks/0/chart/series/0/data/1/label"),
    "chart without axis_config": ([{**_chart(), "chart": {"type": "line", "series": _chart()["chart"]["series"]}}],
                                  "/blocks/0/chart/axis_config"),
    "chart series of the old shape": ([{**_chart(), "chart": {**_chart()["chart"], "series": [
        {"name": "s", "points": [{"x": "11-01", "y": 1}]}]}}], "/blocks/0/chart/series/0"),
    "chart of unknown type": ([_chart(kind="pie3d")], "/blocks/0/chart/type"),
    "three charts": ([_chart(), _chart(), _chart()], "/blocks/2"),
    "empty text": ([section("")], "/blocks/0/text/text"),
}


@pytest.mark.parametrize("case", list(BAD_BLOCKS))
def test_invalid_blocks(slack: LocalSlack, client: WebClient, case: str) -> None:
    blocks, pointer = BAD_BLOCKS[case]
    answer = refusal(client.chat_postMessage, channel="C1", text="fallback", blocks=blocks)
    assert answer["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}]" in m for m in answer["response_metadata"]["messages"]), answer
    assert answer["errors"] and not answer["errors"][0].startswith("[ERROR]")
    assert [e.code for e in slack.errors] == ["invalid_blocks"]
    assert slack.errors[0].detail == tuple(answer["response_metadata"]["messages"])
    assert slack.messages("C1") == []


def test_charts_at_slacks_limits_are_accepted(slack: LocalSlack, client: WebClient) -> None:
    blocks = [_chart(title="t" * 50, series=6, points=20), _chart(series=1, points=1)]
    assert client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)["ok"]
    assert slack.messages("C1")[0]["blocks"][0]["type"] == "data_visualization"


def test_limits_are_inclusive(client: WebClient) -> None:
    blocks = [section("x" * 3000, block_id="s"), {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}]
    blocks += [
        {
            "type": "actions",
            "elements": [button("b" * 75, "a" * 255, "v" * 2000)] + [button("c", f"x{i}") for i in range(24)],
        }
    ]
    blocks += [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 10}]
    blocks += [section("y")] * 46
    assert len(blocks) == 50
    assert client.chat_postMessage(channel="C1", text="ok", blocks=blocks)["ok"]


def test_missing_fallback_text_is_a_warning(slack: LocalSlack, client: WebClient) -> None:
    with pytest.warns(UserWarning):  # slack_sdk warns too
        assert client.chat_postMessage(channel="C1", blocks=[section("no fallback")])["ok"]
    assert [(w.method, w.code) for w in slack.warnings] == [("chat.postMessage", "missing_fallback_text")]
    slack.reset_records()
    client.chat_postMessage(channel="C1", text="fallback", blocks=[section("ok")])
    assert slack.warnings == [] and slack.calls_to("chat.postMessage")


def test_conversations(slack: LocalSlack, client: WebClient) -> None:
    info = client.conversations_info(channel="CEXT")["channel"]
    assert info["is_ext_shared"] is True and info["is_shared"] is True and info["is_private"] is False
    assert info["name"] == "partners" and info["is_im"] is False
    slack.set_ext_shared("CEXT", False)
    assert client.conversations_info(channel="CEXT")["channel"]["is_ext_shared"] is False
    assert client.conversations_info(channel="C1", include_num_members=True)["channel"]["num_members"] == 3

    opened = client.conversations_open(users="U1")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and dm == slack.dm_channel("U1") and "already_open" not in opened.data
    assert client.conversations_open(users="U1")["already_open"] is True
    im = client.conversations_info(channel=dm)["channel"]
    assert im["is_im"] is True and im["user"] == "U1" and "name" not in im
    posted = client.chat_postMessage(channel="U1", text="dm by user id")  # Slack posts to the app DM
    assert posted["channel"] == dm

    members = client.conversations_members(channel="C1", limit=2)
    rest = client.conversations_members(channel="C1", cursor=members["response_metadata"]["next_cursor"])
    assert sorted(members["members"] + rest["members"]) == ["U0BOT", "U1", "U2"]
    assert rest["response_metadata"]["next_cursor"] == ""


def test_users_info(slack: LocalSlack, client: WebClient) -> None:
    ana = client.users_info(user="U1")["user"]
    assert ana["team_id"] == INTERNAL_TEAM_ID and ana["tz"] == "Europe/Berlin" and ana["is_bot"] is False
    assert ana["profile"]["display_name"] == "ana" and "enterprise_user" not in ana
    assert ana["tz_offset"] in (3600, 7200)
    assert client.users_info(user="UX")["user"]["team_id"] == EXTERNAL_TEAM_ID
    bot_user = client.users_info(user="U0BOT")["user"]
    assert bot_user["is_bot"] is True and bot_user["profile"]["bot_id"] == "B0BOT"
    assert refusal(client.users_info, user="UNOPE")["error"] == "user_not_found"


def test_reactions(slack: LocalSlack, client: WebClient) -> None:
    slack.api.scopes = slack.api.scopes | {"reactions:write"}  # the bot itself is not granted it
    ts = client.chat_postMessage(channel="C1", text="react")["ts"]
    client.reactions_add(channel="C1", timestamp=ts, name="thumbsup")
    assert refusal(client.reactions_add, channel="C1", timestamp=ts, name="thumbsup")["error"] == "already_reacted"
    got = client.reactions_get(channel="C1", timestamp=ts)
    assert got["type"] == "message" and got["message"]["reactions"] == [
        {"name": "thumbsup", "users": ["U0BOT"], "count": 1}
    ]
    assert slack.reactions("C1", ts) == {"thumbsup": ["U0BOT"]}
    client.reactions_remove(channel="C1", timestamp=ts, name="thumbsup")
    assert refusal(client.reactions_remove, channel="C1", timestamp=ts, name="thumbsup")["error"] == "no_reaction"
    assert refusal(client.reactions_add, channel="C1", timestamp="1.2", name="x")["error"] == "message_not_found"


def test_views_and_triggers(slack: LocalSlack, client: WebClient) -> None:
    trigger = slack.ws.issue_trigger("U1")
    view = client.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["id"].startswith("V") and view["hash"] and view["root_view_id"] == view["id"]
    assert view["callback_id"] == "addon_modal" and view["type"] == "modal"
    assert [v["id"] for v in slack.views("U1")] == [view["id"]]
    assert refusal(client.views_open, trigger_id=trigger, view=modal())["error"] == "exchanged_trigger_id"
    assert refusal(client.views_open, trigger_id="12345.678.abc", view=modal())["error"] == "invalid_trigger_id"
    stale = slack.ws.issue_trigger("U1")
    slack.advance_clock(3.5)  # trigger_ids live 3 seconds
    assert refusal(client.views_open, trigger_id=stale, view=modal())["error"] == "expired_trigger_id"

    pushed = client.views_push(trigger_id=slack.ws.issue_trigger("U1"), view=modal("Step 2"))["view"]
    assert pushed["previous_view_id"] == view["id"] and len(slack.views("U1")) == 2
    updated = client.views_update(view_id=pushed["id"], hash=pushed["hash"], view=modal("Step 2b"))["view"]
    assert updated["hash"] != pushed["hash"] and updated["title"]["text"] == "Step 2b"
    stale_hash = refusal(client.views_update, view_id=pushed["id"], hash=pushed["hash"], view=modal())
    assert stale_hash["error"] == "hash_conflict"
    client.views_push(trigger_id=slack.ws.issue_trigger("U1"), view=modal("Step 3"))
    limit = refusal(client.views_push, trigger_id=slack.ws.issue_trigger("U1"), view=modal("Step 4"))
    assert limit["error"] == "push_limit_reached"

    home = client.views_publish(user_id="U2", view={"type": "home", "blocks": [section("home")]})["view"]
    assert home["type"] == "home" and (slack.home("U2") or {}).get("id") == home["id"]
    again = client.views_publish(user_id="U2", view={"type": "home", "blocks": [section("home 2")]})["view"]
    assert again["id"] == home["id"] and (slack.home("U2") or {})["blocks"][0]["text"]["text"] == "home 2"


BAD_VIEWS: dict[str, tuple[dict[str, Any], str]] = {
    "title": (modal("T" * 25), "/view/title/text"),
    "submit": (modal(submit={"type": "plain_text", "text": "S" * 25}), "/view/submit/text"),
    "close": (modal(close={"type": "plain_text", "text": "C" * 25}), "/view/close/text"),
    "private_metadata": (modal(private_metadata="m" * 3001), "/view/private_metadata"),
    "callback_id": (modal(callback_id="c" * 256), "/view/callback_id"),
    "101 blocks": (modal(blocks=[section("x")] * 101), "/view/blocks"),
    "duplicate block_id": (
        modal(blocks=[section("x", block_id="b"), section("y", block_id="b")]),
        "/view/blocks/1/block_id",
    ),
    "extra property": (dict(modal(), id="V123"), "/view"),
}


@pytest.mark.parametrize("case", list(BAD_VIEWS))
def test_invalid_views(slack: LocalSlack, client: WebClient, case: str) -> None:
    view, pointer = BAD_VIEWS[case]
    # Slack answers an invalid view with invalid_arguments and the details in response_metadata.
    answer = refusal(client.views_open, trigger_id=slack.ws.issue_trigger("U1"), view=view)
    assert answer["error"] == "invalid_arguments"
    assert any(f"[json-pointer:{pointer}]" in m for m in answer["response_metadata"]["messages"]), answer
    assert slack.views("U1") == []


def test_home_block_limit(slack: LocalSlack, client: WebClient) -> None:
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("x")] * 100})["ok"]
    answer = refusal(client.views_publish, user_id="U1", view={"type": "home", "blocks": [section("x")] * 101})
    assert answer["error"] == "invalid_arguments"


def test_injected_rate_limit(slack: LocalSlack, client: WebClient) -> None:
    slack.inject_error("chat.postMessage", "ratelimited", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 429 and info.value.response.headers["retry-after"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


# --------------------------------------------------------------------------- response_url


def _response_url(slack: LocalSlack, **kwargs: Any) -> WebhookClient:
    return WebhookClient(slack.api.response_url(slack.ws.issue_response_url(**kwargs)))


def test_response_url_from_a_command(slack: LocalSlack) -> None:
    hook = _response_url(slack, source="command", channel_id="CPRIV", user_id="U1")
    assert hook.send(text="just you").status_code == 200
    assert [e["text"] for e in slack.ephemerals("CPRIV", "U1")] == ["just you"]
    # No original message to replace: Slack posts a new one. The bot need not be in the channel.
    assert hook.send(text="everyone", response_type="in_channel", replace_original=True).status_code == 200
    assert [(m["text"], m["user"]) for m in slack.messages("CPRIV")] == [("everyone", "U0BOT")]
    for _ in range(3):
        assert hook.send(text="more").status_code == 200
    used = hook.send(text="sixth")
    assert used.status_code == 404 and json.loads(used.body)["error"] == "used_url"
    late = _response_url(slack, source="command", channel_id="C1", user_id="U1")
    slack.advance_clock(31 * 60)
    assert json.loads(late.send(text="late").body)["error"] == "expired_url"
    assert [e.code for e in slack.errors] == ["used_url", "expired_url"]
    assert [m for m, _ in slack.calls].count("response_url") == 7


def test_response_url_from_a_message(slack: LocalSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="original")["ts"]
    hook = _response_url(slack, source="message", channel_id="C1", user_id="U2", message_ts=ts)
    hook.send(text="new ephemeral")  # neither replace nor delete: a new (ephemeral) message
    assert [e["text"] for e in slack.ephemerals("C1", "U2")] == ["new ephemeral"]
    hook.send(text="replaced", blocks=[section("replaced")], replace_original=True)
    assert [(m["ts"], m["text"]) for m in slack.messages("C1")] == [(ts, "replaced")]
    bad = hook.send(text="x", blocks=[section("x" * 3001)], replace_original=True)
    assert bad.status_code == 400 and json.loads(bad.body)["error"] == "invalid_blocks"
    hook.send(delete_original=True)
    assert slack.messages("C1") == []

    eph_ts = client.chat_postEphemeral(channel="C1", user="U2", text="eph")["message_ts"]
    eph_hook = _response_url(
        slack, source="message", channel_id="C1", user_id="U2", message_ts=eph_ts, is_ephemeral=True
    )
    eph_hook.send(text="eph replaced", replace_original=True)
    assert [e["text"] for e in slack.ephemerals("C1", "U2")] == ["new ephemeral", "eph replaced"]
    eph_hook.send(delete_original=True)
    assert [e["text"] for e in slack.ephemerals("C1", "U2")] == ["new ephemeral"]

    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent)["ts"]
    threaded = _response_url(slack, source="message", channel_id="C1", user_id="U2", message_ts=reply, thread_ts=parent)
    threaded.send(text="in the thread", response_type="in_channel")
    assert [m["text"] for m in slack.thread("C1", parent)] == ["parent", "reply", "in the thread"]


# --------------------------------------------------------------------------- driver + Bolt


def test_command_button_update(slack: LocalSlack, bot: App) -> None:
    resp = slack.command("U1", "C1", "")
    assert resp.status_code == 200
    message = slack.wait_for(lambda: slack.messages("C1")[-1])
    assert message["text"] == "Approval needed"

    delivered = slack.deliveries[-1]
    assert delivered.kind == "slash_command" and delivered.status == 200 and delivered.elapsed < 3
    payload = delivered.payload
    assert payload["team_id"] == INTERNAL_TEAM_ID and payload["channel_name"] == "ops"
    assert payload["user_name"] == "ana" and payload["command"] == "/addon" and payload["api_app_id"] == "A0ADDON"
    assert payload["response_url"].startswith(slack.base_url + "/response/") and payload["trigger_id"]

    assert slack.click("U2", "C1", message["ts"], "approve").status_code == 200
    updated = slack.wait_for(lambda: (m := slack.message("C1", message["ts"]))["text"].startswith("Approved") and m)
    assert updated["text"] == "Approved 42 by <@U2>" and updated["edited"]["user"] == "U0BOT"
    action_payload = slack.deliveries[-1].payload
    assert action_payload["type"] == "block_actions"
    assert action_payload["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert action_payload["user"]["team_id"] == INTERNAL_TEAM_ID and action_payload["message"]["ts"] == message["ts"]
    assert action_payload["actions"][0]["value"] == "42"
    with pytest.raises(LocalSlackError):
        slack.click("U2", "C1", updated["ts"], "approve")  # the button is gone
    assert not slack.errors and not slack.warnings


def test_slack_connect_user_team(slack: LocalSlack, bot: App) -> None:
    slack.command("UX", "CEXT", "help")
    payload = slack.deliveries[-1].payload
    assert payload["team_id"] == EXTERNAL_TEAM_ID and payload["team_domain"] == "external"


def test_command_ack_text_and_respond(slack: LocalSlack, bot: App) -> None:
    slack.command("U1", "C1", "help")
    assert [e["text"] for e in slack.ephemerals("C1", "U1")] == ["Usage: /addon [modal|ephemeral|public]"]
    slack.command("U1", "CPRIV", "public")  # respond() works where the bot is not a member
    slack.wait_for(lambda: slack.messages("CPRIV"))
    assert slack.messages("CPRIV")[0]["text"] == "Everyone sees this"


def test_click_on_an_ephemeral_message(slack: LocalSlack, bot: App) -> None:
    slack.command("U1", "C1", "ephemeral")
    eph = slack.wait_for(lambda: slack.ephemerals("C1", "U1")[-1])
    assert eph["text"] == "Pick one"
    slack.click("U1", "C1", eph["ts"], "eph_ok")
    slack.wait_for(lambda: slack.ephemerals("C1", "U1")[-1]["text"] == "Done")
    payload = slack.deliveries[-1].payload
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    assert not slack.errors


def test_modal_submission(slack: LocalSlack, bot: App) -> None:
    slack.command("U1", "C1", "modal")
    view = slack.wait_for(lambda: slack.views("U1")[-1])
    with pytest.raises(ViewValidationError) as refused:  # Slack's client requires the inputs
        slack.submit_view("U1", view["id"], {"amount": {"amount_input": "12"}})
    assert refused.value.errors == {"plan": "Please complete this required field."}

    values = {"amount": {"amount_input": "twelve"}, "plan": {"plan_select": "pro"}}
    assert slack.submit_view("U1", view["id"], values).status_code == 200
    assert slack.view_errors(view["id"]) == {"amount": "Must be a whole number"}
    assert [v["id"] for v in slack.views("U1")] == [view["id"]]  # still open

    slack.submit_view(
        "U1",
        view["id"],
        {
            "amount": {"amount_input": "12"},
            "extras": {"extras_boxes": ["fast", "cheap"]},
            "when": {"when_date": "2024-05-01"},
            "owner": {"owner_user": "U2"},
            "where": {"where_conv": "C1"},
        },
    )
    assert slack.views("U1") == []
    done = slack.wait_for(lambda: [m for m in slack.messages("C1") if "saved" in m["text"]])
    assert done[0]["text"] == "U1 saved 12 pro fast,cheap 2024-05-01 U2"
    submitted = slack.deliveries[-1].payload
    assert submitted["type"] == "view_submission" and submitted["view"]["private_metadata"] == "C1"
    state = submitted["view"]["state"]["values"]
    assert state["plan"]["plan_select"]["selected_option"]["value"] == "pro"
    assert state["where"]["where_conv"] == {"type": "conversations_select", "selected_conversation": "C1"}
    assert not slack.errors and not slack.warnings


@pytest.fixture
def stub(slack: LocalSlack) -> Iterator[list[dict[str, Any]]]:
    """A hand-written bot endpoint (no Bolt) that answers from a queue: checks the driver alone.

    Append a JSON answer per delivery; an empty queue answers 200 with an empty body.
    """
    answers: list[dict[str, Any]] = []

    async def endpoint(request: Request) -> Response:
        if answers:
            return Response(json.dumps(answers.pop(0)), media_type="application/json")
        return Response(b"")

    server = BackgroundServer(Starlette(routes=[Route("/", endpoint, methods=["POST"])]), name="stub")
    slack.bot_url = server.start() + "/"
    try:
        yield answers
    finally:
        server.stop()


def test_view_response_actions(slack: LocalSlack, stub: list[dict[str, Any]]) -> None:
    view = slack.ws.open_modal("U1", modal())
    stub.append({"response_action": "update", "view": modal("Updated")})
    slack.submit_view("U1", view.id, {"amount": {"amount_input": "1"}, "plan": {"plan_select": "basic"}})
    assert slack.views("U1")[0]["title"]["text"] == "Updated"
    assert slack.views("U1")[0]["state"]["values"]["amount"]["amount_input"]["value"] == "1"  # kept
    stub.append({"response_action": "push", "view": modal("Pushed")})
    slack.submit_view("U1", view.id)
    stack = slack.views("U1")
    assert [v["title"]["text"] for v in stack] == ["Updated", "Pushed"]
    with pytest.raises(LocalSlackError):
        slack.submit_view("U1", view.id)  # not the modal in front any more
    stub.append({"response_action": "errors", "errors": {"nope": "x"}})
    slack.submit_view("U1", stack[1]["id"], {"amount": {"amount_input": "2"}, "plan": {"plan_select": "pro"}})
    assert [e.code for e in slack.errors] == ["invalid_response_action"]
    stub.append({"response_action": "errors", "errors": {"amount": "Too small"}})
    slack.submit_view("U1", stack[1]["id"])
    assert slack.view_errors(stack[1]["id"]) == {"amount": "Too small"}
    stub.append({"response_action": "update", "view": modal("T" * 25)})
    slack.submit_view("U1", stack[1]["id"])
    assert [e.code for e in slack.errors][-1] == "invalid_response_action"
    assert slack.views("U1")[1]["title"]["text"] == "Pushed"
    assert slack.view_errors(stack[1]["id"]) == {}  # resubmitting cleared them
    slack.submit_view("U1", stack[1]["id"])  # empty ack: only this view closes
    assert [v["id"] for v in slack.views("U1")] == [view.id]
    stub.append({"response_action": "push", "view": modal("Again")})
    slack.submit_view("U1", view.id)
    stub.append({"response_action": "clear"})
    filled = {"amount": {"amount_input": "3"}, "plan": {"plan_select": "pro"}}
    slack.submit_view("U1", slack.views("U1")[1]["id"], filled)
    assert slack.views("U1") == []


def test_close_view(slack: LocalSlack, stub: list[dict[str, Any]]) -> None:
    quiet = slack.ws.open_modal("U1", modal())
    assert slack.close_view("U1", quiet.id) is None and slack.deliveries == []
    root = slack.ws.open_modal("U1", modal(notify_on_close=True))
    top = slack.ws.push_modal("U1", modal("Top", notify_on_close=True, clear_on_close=True))
    resp = slack.close_view("U1", top.id)
    assert resp is not None and resp.status_code == 200
    closed = slack.deliveries[-1].payload
    assert closed["type"] == "view_closed" and closed["is_cleared"] is True and closed["view"]["id"] == top.id
    assert slack.views("U1") == [] and root.open is False


def test_select_clicks_and_state(slack: LocalSlack, client: WebClient, stub: list[dict[str, Any]]) -> None:
    options = [{"text": {"type": "plain_text", "text": t}, "value": t.lower()} for t in ("Basic", "Pro")]
    blocks = [
        {
            "type": "actions",
            "block_id": "pick",
            "elements": [
                {"type": "static_select", "action_id": "plan", "options": options, "initial_option": options[0]},
                {"type": "users_select", "action_id": "who"},
                {"type": "overflow", "action_id": "more", "options": options},
                button("Go", "go", "v1"),
            ],
        }
    ]
    ts = client.chat_postMessage(channel="C1", text="pick", blocks=blocks)["ts"]
    slack.click("U2", "C1", ts, "plan", selected="pro")
    payload = slack.deliveries[-1].payload
    action = payload["actions"][0]
    assert action["type"] == "static_select" and action["selected_option"]["value"] == "pro"
    assert action["block_id"] == "pick" and action["action_ts"]
    values = payload["state"]["values"]["pick"]
    assert values["plan"]["selected_option"]["value"] == "pro"
    assert values["who"] == {"type": "users_select", "selected_user": None}
    slack.click("U2", "C1", ts, "who", selected="U1")
    assert slack.deliveries[-1].payload["actions"][0]["selected_user"] == "U1"
    slack.click("U2", "C1", ts, "more", selected="basic")
    assert slack.deliveries[-1].payload["actions"][0]["selected_option"]["value"] == "basic"
    slack.click("U2", "C1", ts, "go", value="override")
    assert slack.deliveries[-1].payload["actions"][0]["value"] == "override"
    with pytest.raises(LocalSlackError):
        slack.click("U2", "C1", ts, "plan", selected="enterprise")  # not an option

    view = slack.ws.open_modal("U1", modal(blocks=blocks))
    slack.click("U1", action_id="plan", selected="pro", view_id=view.id)
    sent = slack.deliveries[-1].payload
    assert sent["container"] == {"type": "view", "view_id": view.id} and "channel" not in sent
    assert sent["view"]["state"]["values"]["pick"]["plan"]["selected_option"]["value"] == "pro"
    assert slack.views("U1")[0]["state"]["values"]["pick"]["plan"]["selected_option"]["value"] == "pro"
    assert not slack.errors


def test_message_events_when_subscribed(slack: LocalSlack, stub: list[dict[str, Any]]) -> None:
    dm = slack.dm_channel("U1")
    slack.post_as_user("U1", dm, "no subscription yet")
    assert slack.deliveries == []
    slack.subscriptions.add("message.im")
    sent = slack.post_as_user("U1", dm, "ping")
    event = slack.deliveries[-1].payload["event"]
    assert event["type"] == "message" and event["channel_type"] == "im" and event["ts"] == sent["ts"]
    assert event["text"] == "ping" and event["user"] == "U1" and event["team"] == INTERNAL_TEAM_ID
    slack.subscriptions.add("message.channels")
    slack.post_as_user("UX", "CEXT", "from the partner org")
    envelope = slack.deliveries[-1].payload
    assert envelope["is_ext_shared_channel"] is True
    assert envelope["event"]["user_team"] == EXTERNAL_TEAM_ID and envelope["event"]["channel_type"] == "channel"


def test_wait_for_times_out_with_context(slack: LocalSlack) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="last API calls"):
        slack.wait_for(lambda: slack.messages("C1")[0], timeout=0.2)
    assert time.monotonic() - started < 2


def test_restart(slack: LocalSlack) -> None:
    slack.stop()
    api_url = slack.start()
    assert WebClient(token=TOKEN, base_url=api_url).auth_test()["ok"]
    assert slack.messages("C1") == []  # state survives a restart; nothing was posted


def test_mention_reaction_home(slack: LocalSlack, bot: App) -> None:
    resp = slack.mention("U1", "C1", "hello")
    assert resp is not None and resp.status_code == 200
    first = slack.messages("C1")[0]
    assert first["text"] == "<@U0BOT> hello" and first["blocks"][0]["type"] == "rich_text"
    reply = slack.wait_for(lambda: slack.thread("C1", first["ts"])[1])
    assert reply["text"] == "Hi <@U1>" and reply["user"] == "U0BOT"
    envelope = slack.deliveries[-1].payload
    assert envelope["type"] == "event_callback" and envelope["event"]["type"] == "app_mention"
    assert envelope["authorizations"][0]["user_id"] == "U0BOT" and envelope["event_id"]
    assert slack.mention("U1", "CPUB", "anyone?") is None  # the bot is not there: Slack delivers nothing

    slack.react("U2", "C1", first["ts"], "eyes")
    assert slack.reactions("C1", first["ts"]) == {"eyes": ["U2"]}
    slack.wait_for(lambda: slack.messages("C1")[-1]["text"] == "saw :eyes:")
    event = slack.deliveries[-1].payload["event"]
    assert event["item"] == {"type": "message", "channel": "C1", "ts": first["ts"]} and event["item_user"] == "U1"

    slack.open_home("U1")
    home = slack.wait_for(lambda: slack.home("U1"))
    slack.click("U1", action_id="home_refresh", view_id=home["id"])
    slack.wait_for(lambda: (slack.home("U1") or {})["blocks"][0]["text"]["text"] == "Refreshed")
    payload = slack.deliveries[-1].payload
    assert payload["container"] == {"type": "view", "view_id": home["id"]} and "response_url" not in payload
    assert not slack.errors and not slack.warnings


def test_url_verification(slack: LocalSlack, bot: App) -> None:
    assert slack.url_verification("abc123").json() == {"challenge": "abc123"}


def test_bolt_rejects_bad_signatures(slack: LocalSlack, bot: App) -> None:
    body = "token=t&team_id=T0INTERNAL&channel_id=C1&user_id=U1&command=%2Faddon&text=help&trigger_id=x&response_url=x"
    assert slack.raw_post(body, slack.sign(body)).status_code == 200
    forged = dict(slack.sign(body), **{"X-Slack-Signature": "v0=" + "0" * 64})
    assert slack.raw_post(body, forged).status_code == 401
    assert slack.raw_post(body, slack.sign(body, ts=int(time.time()) - 301)).status_code == 401
    assert slack.raw_post(body, {}).status_code == 401
    tampered = slack.sign(body)
    assert slack.raw_post(body.replace("help", "modal"), tampered).status_code == 401
    assert [d.status for d in slack.deliveries] == [200, 401, 401, 401, 401]
    assert not slack.errors  # raw posts are never recorded as errors


def test_slow_ack_is_an_operation_timeout(slack: LocalSlack, bot: App) -> None:
    slack.ack_deadline = 0.2
    slack.command("U1", "C1", "slow")
    assert [(e.method, e.code) for e in slack.errors] == [("slash_command", "operation_timeout")]
    assert slack.deliveries[-1].elapsed >= 0.2


def test_unhandled_delivery_is_recorded(slack: LocalSlack, bot: App) -> None:
    slack.shortcut("U1", "nobody_handles_this")
    assert [(e.method, e.code) for e in slack.errors] == [("shortcut", "dispatch_failed")]


def test_driver_misuse(slack: LocalSlack) -> None:
    with pytest.raises(LocalSlackError):
        slack.command("U1", "C1", "x")  # no bot_url
    slack.bot_url = "http://127.0.0.1:9/unused"
    with pytest.raises(LocalSlackError):
        slack.command("UX", "C1", "x")  # not a member of C1
    with pytest.raises(LocalSlackError):
        slack.click("U1", "C1", "1.000001", "approve")
    slack.retry_events = False  # Slack's re-deliveries are tested in tests/slack/test_event_retries.py
    with pytest.raises(httpx.HTTPError):
        slack.event({"type": "app_mention", "user": "U1", "channel": "C1", "text": "x", "ts": "1.1"})
    assert [e.code for e in slack.errors] == ["dispatch_failed"]


def test_sharing_a_channel_tells_the_bot_as_slack_does(slack: LocalSlack, stub: list[dict[str, Any]]) -> None:
    # https://docs.slack.dev/reference/events/channel_shared, .../channel_unshared,
    # .../member_joined_channel: delivered to an app subscribed to them, in channels it is in.
    slack.set_ext_shared("C1", True)
    event = slack.deliveries[-1].payload["event"]
    assert event["type"] == "channel_shared" and event["channel"] == "C1"
    assert event["connected_team_id"] == EXTERNAL_TEAM_ID
    n = len(slack.deliveries)
    slack.set_ext_shared("C1", True)  # no change: no event
    assert len(slack.deliveries) == n
    slack.set_ext_shared("C1", False)
    event = slack.deliveries[-1].payload["event"]
    assert event["type"] == "channel_unshared" and event["is_ext_shared"] is False
    assert event["previously_connected_team_id"] == EXTERNAL_TEAM_ID
    slack.set_ext_shared("CPUB", True)  # the bot is not in it: it is not told
    assert len(slack.deliveries) == n + 1
    slack.add_member("C1", "UX")
    event = slack.deliveries[-1].payload["event"]
    assert event["type"] == "member_joined_channel" and event["team"] == EXTERNAL_TEAM_ID
