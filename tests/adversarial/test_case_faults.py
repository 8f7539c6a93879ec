"""Cases under faults: a case that finally fails after step 2 was marked done reopens the item
and step 2, so the project cannot complete with an open item."""

from __future__ import annotations

import time

import pytest

from bot.cs import wiring as cs_wiring
from bot.workflow import completion_blockers
from tests.slack.test_cs_cases_slack import TOKEN, cs_bot, desk, intake, submit_case  # noqa: F401 - fixtures
from tests.support.cs_helpers import add_item, cases, later, register
from tests.support.harness import PROJ, SPEC, BotHarness


def test_a_case_refused_after_step_2_was_done_reopens_the_item_and_step_2(cs_bot, slack, intake):
    pid = register(slack, cs_bot)
    add_item(slack, "Text-to-pay for a second biller account")
    intake.fail(1, "503")  # the first attempt fails: the case stays pending
    slack.command(SPEC, PROJ, "case 1")
    submit_case(slack)
    slack.wait_for(lambda: cases(cs_bot) and cases(cs_bot)[0].attempts >= 1)
    svc = cs_bot.deps.service
    snap = svc.snapshot(pid)
    assert snap.items[0].status == "escalated"
    slack.command(SPEC, PROJ, "done address escalated to Client Services")
    slack.wait_for(lambda: svc.snapshot(pid).step("address").state == "done")
    intake.fail(1, "422")  # the retry is refused for good
    desk(cs_bot).tick(later(600))
    slack.wait_for(lambda: cases(cs_bot)[0].status == "failed")
    snap = svc.snapshot(pid)
    assert snap.items[0].status == "open"
    assert snap.step("address").state == "open"
    assert any("open items (#1)" in b for b in completion_blockers(snap))


@pytest.fixture
def quick_bot(db_url, slack, intake, monkeypatch):
    monkeypatch.setattr(cs_wiring, "INTAKE_TIMEOUT", 0.8)
    h = BotHarness(db_url, slack, CS_CASES_URL=intake.url, CS_CASES_TOKEN=TOKEN).start()
    yield h
    h.stop()


def test_a_transient_intake_failure_is_retried_at_once_with_the_same_key(quick_bot, slack, intake):
    register(slack, quick_bot)
    add_item(slack, "Payers want to split a bill across two cards")
    intake.fail(2, "503")  # two quick failures: the third immediate attempt gets through
    slack.command(SPEC, PROJ, "case 1")
    t = time.monotonic()
    submit_case(slack, subject="Split payments across two cards")
    slack.wait_for(lambda: cases(quick_bot) and cases(quick_bot)[0].status == "sent", timeout=10)
    assert time.monotonic() - t < 6  # seconds, not the next scheduler tick
    [row] = cases(quick_bot)
    assert row.attempts == 1  # one delivery, three requests
    assert intake.keys_sent() == [row.idempotency_key] * 3
    assert len(intake.created()) == 1
