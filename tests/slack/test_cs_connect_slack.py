"""Slack Connect safety across the bot, and answering billers' mentions.

External users change nothing by command, button or modal; internal content
never reaches an externally shared channel, even one that became shared after
registration; billers who mention the bot are answered: before completion
their specialist is told, after it they get the Client Services avenues."""

from __future__ import annotations

import json

from bot.views import cs as csv
from bot.views import value
from tests.support.cs_helpers import (
    add_item,
    block_text,
    cases,
    checklist,
    complete_through_slack,
    dm_texts,
    ephemeral_texts,
    later,
    no_refusals,
    open_modal,
    register,
    wait_ephemeral,
)
from tests.support.harness import BILLER, COLL, CS, NEW_CMD, PROJ, SHARED, SPEC

REFUSAL = "Only the delivery team can use addon-bot"


def project_state(bot, pid):
    snap = bot.deps.service.snapshot(pid)
    return (snap.version, snap.locked, tuple((s, snap.step(s).state) for s in ("monitor", "address", "handoff")),
            len(snap.items), snap.shared_channel_id)


# ---- external users -------------------------------------------------------------------
def test_external_users_are_refused_by_command(bot, slack):
    pid = register(slack, bot)
    add_item(slack, "Fee shown twice")
    before = project_state(bot, pid)
    for text in ("case 1", "case please open a case", "handoff", "done monitor", "item more", "skip address no",
                 "status", "complete", "undo monitor", NEW_CMD):
        n = len(slack.ephemerals(SHARED, BILLER))
        slack.command(BILLER, SHARED, text)
        slack.wait_for(lambda: len(slack.ephemerals(SHARED, BILLER)) > n)
        answer = block_text(slack.ephemerals(SHARED, BILLER)[-1])
        assert "delivery team" in answer, (text, answer)
    assert project_state(bot, pid) == before
    assert slack.views(BILLER) == [] and cases(bot) == []
    assert slack.messages(SHARED) == []


def test_external_users_are_refused_by_button(bot, slack):
    pid = register(slack, bot)
    add_item(slack, "Fee shown twice")
    slack.add_member(PROJ, BILLER)  # a biller who can see the checklist still changes nothing
    before = project_state(bot, pid)
    msg = checklist(slack)
    clicks = [
        ("step_done", dict(value=value(p=pid, s="monitor"))),
        ("item_resolve_menu", dict(selected=value(p=pid, n=1, a="case"))),
        ("item_resolve_menu", dict(selected=value(p=pid, n=1, a="resolve"))),
        ("send_handoff", {}),
        ("open_complete", {}),
        ("step_skip", {}),
        ("add_item", {}),
    ]
    for action, kw in clicks:
        n = len(slack.ephemerals(PROJ, BILLER))
        slack.click(BILLER, PROJ, msg["ts"], action, **kw)
        slack.wait_for(lambda: len(slack.ephemerals(PROJ, BILLER)) > n)
        assert REFUSAL in block_text(slack.ephemerals(PROJ, BILLER)[-1]), action
    assert slack.views(BILLER) == []
    assert project_state(bot, pid) == before and cases(bot) == []


def test_external_users_are_refused_by_modal(bot, slack):
    pid = register(slack, bot)
    add_item(slack, "Fee shown twice")
    snap = bot.deps.service.snapshot(pid)
    before = project_state(bot, pid)
    # However a biller came to hold one of our modals, submitting it changes nothing.
    from bot import views as core_views

    for view in (csv.case_modal(snap, snap.items[0], None, "x"),
                 csv.handoff_preview_modal(snap, bot.deps.handoffs.avenues(snap.biller_id),
                                           builtin=True, last_sent=None),
                 core_views.complete_modal(snap),
                 core_views.note_modal(core_views.V_ADD_ITEM, "Add item", "What?", {"p": pid}, "Item")):
        opened = bot.deps.client.views_open(trigger_id=slack.ws.issue_trigger(BILLER), view=view)["view"]
        values = {"schedule": {"confirm": ["all_100"]}} if view["callback_id"] == "complete_project" else (
            {"note": {"note": "x"}} if view["callback_id"] == "add_item" else {})
        r = slack.submit_view(BILLER, opened["id"], values)
        assert r.json()["response_action"] == "update", view["callback_id"]
        assert REFUSAL in json.dumps(r.json()["view"])
        slack.close_view(BILLER, slack.views(BILLER)[-1]["id"])
    assert project_state(bot, pid) == before and cases(bot) == []
    assert slack.messages(SHARED) == []


# ---- internal content stays internal ----------------------------------------------------
def test_registering_in_a_shared_channel_is_refused(bot, slack):
    slack.command(SPEC, SHARED, NEW_CMD)
    text = wait_ephemeral(slack, "shared with another organisation", channel=SHARED)
    assert "Slack Connect" in text
    assert slack.messages(SHARED) == []
    assert bot.deps.service.project_in_channel(SHARED) is None


def test_a_channel_shared_after_registration_receives_nothing_internal(bot, slack):
    pid = register(slack, bot)
    add_item(slack, "Fee shown twice")
    # A case whose announcement has to wait (Slack hiccup), so it is delivered later. Slack's
    # internal_error may come after the post was made: the requester is told it may have been.
    slack.inject_error("chat.postMessage", "internal_error")
    slack.command(SPEC, PROJ, "case 1")
    view = open_modal(slack, SPEC, "cs_open_case")
    slack.submit_view(SPEC, view["id"], {})
    assert "it may have been posted" in wait_ephemeral(slack, "case for item #1 is saved")
    slack.set_ext_shared(PROJ, True)
    seen = json.dumps(slack.messages(PROJ))
    updates = len(slack.calls_to("chat.update"))
    before = project_state(bot, pid)

    for text in ("status", "item another thing", "done monitor", "summary", "case 1", "handoff"):
        n = len(ephemeral_texts(slack))
        slack.command(SPEC, PROJ, text)
        slack.wait_for(lambda: len(ephemeral_texts(slack)) > n)
        assert "shared with another organisation" in ephemeral_texts(slack)[-1], text
    assert project_state(bot, pid) == before

    bot.deps.cases.tick(later(10))  # the case goes out; its news does not go to PROJ
    [row] = cases(bot)
    assert row.status == "sent" and len(slack.messages(CS)) == 1
    assert json.dumps(slack.messages(PROJ)) == seen
    assert len(slack.calls_to("chat.update")) == updates
    slack.wait_for(lambda: any("is open" in t for t in dm_texts(slack, SPEC)))


# ---- mentions ------------------------------------------------------------------------------
def test_mention_before_completion_pings_the_specialist(bot, slack):
    register(slack, bot)
    slack.mention(BILLER, SHARED, "our payments page shows an error since this morning")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2)
    question, answer = slack.messages(SHARED)[:2]
    assert answer.get("thread_ts") == question["ts"]
    assert "I've let your implementation specialist" in answer["text"] and f"<@{SPEC}>" in answer["text"]
    slack.wait_for(lambda: any("mentioned me" in block_text(m) for m in slack.messages(PROJ)))
    ping = [block_text(m) for m in slack.messages(PROJ) if "mentioned me" in block_text(m)][-1]
    assert f"<@{SPEC}>" in ping and f"<@{BILLER}>" in ping and f"<#{SHARED}>" in ping
    assert "payments page shows an error" in ping and "Open the message" in ping
    assert "1-800-555-0199" not in answer["text"]  # not handed to Client Services yet
    no_refusals(slack)


def test_mention_after_completion_answers_with_client_services(bot, slack):
    pid = register(slack, bot)
    complete_through_slack(slack, bot, pid)
    in_proj = len(slack.messages(PROJ))

    slack.mention(BILLER, SHARED, "who do we call about a refund?")
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2)
    question, answer = slack.messages(SHARED)[:2]
    assert answer.get("thread_ts") == question["ts"]
    text = answer["text"]
    assert "Pay by phone implementation is complete" in text and "stepped away" in text
    for avenue in ("1-800-555-0199", "clientservices@example.com", "https://support.example.com", "Monday to Friday"):
        assert avenue in text
    assert len(slack.messages(PROJ)) == in_proj  # nobody pinged: the Delivery team has stepped away
    no_refusals(slack)


def test_internal_mention_gets_help_only_for_them(bot, slack):
    register(slack, bot)
    slack.mention(SPEC, SHARED, "hello")
    slack.wait_for(lambda: ephemeral_texts(slack, SHARED, SPEC))
    assert "/addon help" in ephemeral_texts(slack, SHARED, SPEC)[-1]
    assert len(slack.messages(SHARED)) == 1  # only the mention itself
    slack.mention(COLL, PROJ, "hi")
    slack.wait_for(lambda: ephemeral_texts(slack, PROJ, COLL))


def test_mention_when_project_channel_is_shared_pings_by_dm(bot, slack):
    register(slack, bot)
    slack.set_ext_shared(PROJ, True)
    n = len(slack.messages(PROJ))
    slack.mention(BILLER, SHARED, "is anyone there?")
    slack.wait_for(lambda: any("mentioned me" in t for t in dm_texts(slack, SPEC)))
    slack.wait_for(lambda: len(slack.messages(SHARED)) >= 2)
    assert len(slack.messages(PROJ)) == n
