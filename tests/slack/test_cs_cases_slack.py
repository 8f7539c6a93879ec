"""Client Services cases, driven as Slack drives the bot, against a loopback
case intake: one Idempotency-Key per case on every attempt, stored before it
is sent, so failures, timeouts and restarts never make a second case or lose one."""

from __future__ import annotations

import threading

import pytest

from bot.cs import cases as cs_cases
from bot.cs import wiring as cs_wiring
from bot.workflow import Actor
from storage.models import Item
from tests.support.cs_helpers import (
    block_text,
    cases,
    checklist,
    dm_texts,
    later,
    no_refusals,
    open_modal,
    register,
    add_item,
    wait_ephemeral,
)
from tests.support.harness import BotHarness, CS, PROJ, SPEC
from tests.support.intake_server import IntakeServer

TOKEN = "cs-token"


@pytest.fixture
def intake():
    server = IntakeServer(token=TOKEN, hang_seconds=1.5).start()
    yield server
    server.stop()


@pytest.fixture
def cs_bot(db_url, slack, intake, monkeypatch):
    monkeypatch.setattr(cs_wiring, "INTAKE_TIMEOUT", 0.8)
    # These tests follow the durable retry (the tick's backoff) attempt by attempt: the immediate
    # retries of a transient failure are off here and tested in tests/adversarial/test_case_faults.py.
    monkeypatch.setattr(cs_cases, "QUICK_RETRIES", ())
    h = BotHarness(db_url, slack, CS_CASES_URL=intake.url, CS_CASES_TOKEN=TOKEN).start()
    yield h
    h.stop()


def submit_case(slack, subject=None, description=None):
    view = open_modal(slack, SPEC, "cs_open_case")
    values = {}
    if subject is not None:
        values["subject"] = {"subject": subject}
    if description is not None:
        values["description"] = {"description": description}
    r = slack.submit_view(SPEC, view["id"], values)
    assert r.status_code == 200
    return view, r


def desk(bot):
    return bot.deps.cases


@pytest.mark.parametrize("failure", ["503", "hang"])
def test_intake_failing_first_yields_exactly_one_case(cs_bot, slack, intake, failure):
    pid = register(slack, cs_bot)
    add_item(slack, "Payers want to split a bill across two cards")
    intake.fail(2, failure)
    slack.command(SPEC, PROJ, "case 1")
    view, _ = submit_case(slack, subject="Split payments across two cards")
    assert "Client Services case intake" in block_text({"blocks": view["blocks"]})
    # The case is stored (pending, with its key) and the first attempt failed.
    wait_ephemeral(slack, "saved but not delivered yet")
    [row] = cases(cs_bot)
    assert row.status == "pending" and row.attempts == 1 and row.idempotency_key
    # The checklist and the case's post in CS_CHANNEL say where its delivery stands.
    assert f"Client Services case #{row.id}: retrying (attempt 1, next at " in block_text(checklist(slack))
    [first] = slack.messages(CS)
    assert "*Delivery*\nretrying (attempt 1, next at " in block_text(first)

    desk(cs_bot).tick(later(5))   # second attempt: fails too
    assert cases(cs_bot)[0].status == "pending"
    desk(cs_bot).tick(later(1))   # backing off: not due yet, nothing is sent
    assert len(intake.requests) == 2
    desk(cs_bot).tick(later(30))  # third attempt: delivered
    [row] = cases(cs_bot)
    assert row.status == "sent" and row.attempts == 3
    assert len(intake.requests) == 3
    assert intake.keys_sent() == [row.idempotency_key] * 3
    assert len(intake.created()) == 1
    case_id = intake.created()[0]["id"]
    assert row.external_id == case_id and row.url.endswith(case_id)
    body = intake.requests[-1].body
    assert body["project_id"] == pid and body["biller_id"] == "CITY-42" and body["addon"] == "Pay by phone"
    assert body["subject"] == "Split payments across two cards" and body["requested_by"] == SPEC
    assert body["slack_permalink"] and PROJ in body["slack_permalink"]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in intake.requests)
    # Shown on the item, announced in the Client Services channel, the requester told.
    assert case_id in block_text(checklist(slack))
    snap = cs_bot.deps.service.snapshot(pid)
    assert snap.items[0].status == "escalated" and snap.pending_cases == 0
    [announcement] = slack.messages(CS)  # the same post, edited in place
    text = block_text(announcement)
    assert announcement["ts"] == first["ts"] and f"*Delivery*\ndelivered <{row.url}|{case_id}>" in text
    assert case_id in text and "CITY-42" in text and "Pay by phone" in text and body["slack_permalink"] in text
    assert f"Client Services case #{row.id}: delivered <{row.url}|{case_id}>" in block_text(checklist(slack))
    assert f"Client Services case <{row.url}|{case_id}> is open for item #1" in wait_ephemeral(slack, "is open")
    no_refusals(slack)


def test_restart_between_store_and_send_yields_exactly_one_case(db_url, slack, intake, monkeypatch):
    monkeypatch.setattr(cs_wiring, "INTAKE_TIMEOUT", 0.8)
    first = BotHarness(db_url, slack, CS_CASES_URL=intake.url, CS_CASES_TOKEN=TOKEN).start()
    try:
        register(slack, first)
        add_item(slack, "Autopay enrolment needs a second confirmation email")
        intake.stop()  # the intake is down: the case is stored, then the send fails
        slack.command(SPEC, PROJ, "case 1")
        submit_case(slack)
        wait_ephemeral(slack, "saved but not delivered yet")
        [stored] = cases(first)
        assert stored.status == "pending"
    finally:
        first.stop()
    assert intake.requests == []

    intake.start()  # up again, same address
    second = BotHarness(db_url, slack, CS_CASES_URL=intake.url, CS_CASES_TOKEN=TOKEN).start()
    try:
        tick = [job for job in second.deps.ticks if getattr(job, "__self__", None) is desk(second)]
        assert tick, "the case desk's tick job is registered"
        tick[0](later(10))
        tick[0](later(60))  # nothing left to send
        [row] = cases(second)
        assert row.status == "sent" and row.idempotency_key == stored.idempotency_key
        assert intake.keys_sent() == [stored.idempotency_key]
        assert len(intake.created()) == 1
        slack.wait_for(lambda: intake.created()[0]["id"] in block_text(checklist(slack)))
    finally:
        second.stop()


def test_two_instances_never_send_one_case_at_once(db_url, slack, intake, monkeypatch):
    monkeypatch.setattr(cs_wiring, "INTAKE_TIMEOUT", 3.0)
    a = BotHarness(db_url, slack, CS_CASES_URL=intake.url, CS_CASES_TOKEN=TOKEN).start()
    b = BotHarness(db_url, slack, CS_CASES_URL=intake.url, CS_CASES_TOKEN=TOKEN).start()
    try:
        slack.bot_url = f"{a.server.url}/slack/events"
        register(slack, a)
        add_item(slack, "Receipts show the wrong fee")
        intake.stop()
        slack.command(SPEC, PROJ, "case 1")
        submit_case(slack)
        wait_ephemeral(slack, "saved but not delivered yet")
        intake.start()
        intake.fail(1, "hang")  # the one attempt that gets through takes a while (1.5 s)
        when = later(10)
        threads = [threading.Thread(target=desk(h).tick, args=(when,)) for h in (a, b, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert len(intake.requests) == 1  # one claim won; the others found the row taken
        [row] = cases(a)
        assert row.status == "sent" and row.attempts == 2
    finally:
        a.stop()
        b.stop()


def test_final_refusal_marks_the_case_failed_and_tells_people(cs_bot, slack, intake):
    pid = register(slack, cs_bot)
    add_item(slack, "Text-to-pay for a second biller account")
    intake.fail(1, "422")
    slack.command(SPEC, PROJ, "case 1")
    submit_case(slack)
    slack.wait_for(lambda: cases(cs_bot) and cases(cs_bot)[0].status == "failed")
    [row] = cases(cs_bot)
    assert "422" in row.last_error and "not a Client Services customer" in row.last_error
    # The project channel and the requester hear it; the item is open again; nothing blocks completion.
    slack.wait_for(lambda: any("was not opened" in block_text(m) for m in slack.messages(PROJ)))
    notice = [block_text(m) for m in slack.messages(PROJ) if "was not opened" in block_text(m)][-1]
    assert "Item #1 is open again" in notice and "/addon case 1" in notice
    slack.wait_for(lambda: any("was not opened" in t for t in dm_texts(slack, SPEC)))
    snap = cs_bot.deps.service.snapshot(pid)
    assert snap.items[0].status == "open" and snap.pending_cases == 0
    assert f"Client Services case #{row.id}: failed: the intake refused the case (422)" in block_text(checklist(slack))
    # Its post in the Client Services channel (shown "pending delivery" at once) now says it failed, and why.
    [post] = slack.messages(CS)
    assert "*Delivery*\nfailed: the intake refused the case (422)" in block_text(post)
    assert "pending delivery" not in block_text(post)
    desk(cs_bot).tick(later(120))  # a failed case is never retried
    assert len(intake.requests) == 1
    # It can be escalated again, with a new key.
    slack.command(SPEC, PROJ, "case 1")
    submit_case(slack)
    slack.wait_for(lambda: len(cases(cs_bot)) == 2 and cases(cs_bot)[1].status == "sent")
    assert cases(cs_bot)[1].idempotency_key != row.idempotency_key
    no_refusals(slack)


def test_case_from_text_records_an_escalated_item(cs_bot, slack, intake):
    pid = register(slack, cs_bot)
    slack.command(SPEC, PROJ, "case The biller wants a Spanish IVR menu, not in the original scope")
    view, _ = submit_case(slack)
    slack.wait_for(lambda: cases(cs_bot) and cases(cs_bot)[0].status == "sent")
    snap = cs_bot.deps.service.snapshot(pid)
    [item] = snap.items
    assert item.status == "escalated" and item.case_external_id == "CS-1001"
    assert "Spanish IVR" in item.text
    assert "Spanish IVR" in intake.created()[0]["body"]["description"]


def test_bad_case_input_keeps_the_modal_open_and_changes_nothing(cs_bot, slack, intake):
    pid = register(slack, cs_bot)
    add_item(slack, "Fee shown twice")
    slack.command(SPEC, PROJ, "case 1")
    view, r = submit_case(slack, subject="   ", description="x" * 10)
    assert r.json()["response_action"] == "errors" and "subject" in r.json()["errors"]
    assert cases(cs_bot) == [] and intake.requests == []
    # Wrong item numbers and items already handled are refused with the reason.
    slack.command(SPEC, PROJ, "case 7")
    assert "no item #7" in wait_ephemeral(slack, "no item #7")
    r = slack.command(SPEC, PROJ, "case")
    assert "Usage: `/addon case ITEM# | TEXT`" in r.text  # answered in the acknowledgement
    slack.command(SPEC, PROJ, "item Already fixed")
    wait_ephemeral(slack, "Recorded item #2")
    cs_bot.deps.service.resolve_item(Actor(SPEC, "T0INTERNAL", False), pid, 2, "done", "command")
    slack.command(SPEC, PROJ, "case 2")
    assert "already remedied" in wait_ephemeral(slack, "already remedied")
    assert cases(cs_bot) == [] and intake.requests == []


def test_without_intake_the_announcement_is_the_case(bot, slack):
    pid = register(slack, bot)
    add_item(slack, "Biller asks for a weekly payments export")
    slack.command(SPEC, PROJ, "case 1")
    view = open_modal(slack, SPEC, "cs_open_case")
    assert "no case intake is configured" in block_text({"blocks": view["blocks"]})
    slack.submit_view(SPEC, view["id"], {})
    slack.wait_for(lambda: cases(bot) and cases(bot)[0].status == "sent")
    [row] = cases(bot)
    [post] = slack.messages(CS)
    text = block_text(post)
    assert "this message is the case" in text and "CITY-42" in text and "Pay by phone" in text
    assert row.external_id == f"#{row.id} (Slack)" and row.url and CS in row.url
    snap = bot.deps.service.snapshot(pid)
    assert snap.items[0].status == "escalated"
    slack.wait_for(lambda: row.external_id in block_text(checklist(slack)))
    no_refusals(slack)


def test_without_intake_or_cs_channel_cases_are_refused(db_url, slack):
    h = BotHarness(db_url, slack, CS_CHANNEL="").start()
    try:
        pid = register(slack, h)
        add_item(slack, "Anything")
        slack.command(SPEC, PROJ, "case 1")
        text = wait_ephemeral(slack, "not set up")
        assert "CS_CASES_URL" in text and "CS_CHANNEL" in text and "Nothing was changed" in text
        assert slack.views(SPEC) == [] and cases(h) == []
        assert h.deps.service.snapshot(pid).items[0].status == "open"
    finally:
        h.stop()


def test_item_menu_opens_the_case_modal(cs_bot, slack, intake):
    pid = register(slack, cs_bot)
    add_item(slack, "Convenience fee rounding")
    msg = checklist(slack)
    slack.click(SPEC, PROJ, msg["ts"], "item_resolve_menu", selected=f'{{"p":{pid},"n":1,"a":"case"}}')
    view = open_modal(slack, SPEC, "cs_open_case")
    assert "item #1" in block_text({"blocks": view["blocks"]})
    slack.submit_view(SPEC, view["id"], {})
    slack.wait_for(lambda: cases(cs_bot) and cases(cs_bot)[0].status == "sent")
    with cs_bot.deps.session_factory() as s:
        assert s.get(Item, cases(cs_bot)[0].item_id).status == "escalated"
