"""Nudges with snooze, driven as Slack drives the bot, with a controlled clock:
each kind fires at its threshold and not before, only in the project's working
hours on its business days, to the specialist and past the second threshold to
the manager; Snooze a day / a week, Stop, act; once per period across restarts;
a reminder that became moot is not sent, and its buttons answer with the state;
nobody but the addressee can act. And: Monitor done with no summary yet needs a reason.

The project (tests/support/harness.NEW_CMD) is in America/Chicago on the US calendar:
working hours 09:00-17:00 there are 15:00-23:00 UTC in November and December;
2026-11-26 is Thanksgiving."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.nudges.rules import add_business_days
from storage import repo
from storage.models import Audit, DailySummaryRow, Handoff, Item, NudgeHold, Post
from tests.support.cs_helpers import checklist
from tests.support.harness import COLL, MGR, PROJ, SHARED, SPEC, BotHarness
from tests.support.monitoring_support import dms, no_refusals, project, register, text_of

CHI = ZoneInfo("America/Chicago")
PHRASE = {"handoff": "the handoff of", "item": "post go-live item", "quiet": "summaries without an alert",
          "stall": "nothing has changed"}


def local(y, m, d, h=10, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHI).astimezone(timezone.utc)


def run(bot, when) -> list[str]:
    bot.deps.clock = lambda: when
    return bot.deps.nudges.tick(when)


def reminders(slack, user, kind) -> list[dict]:
    return [m for m in dms(slack, user)
            if (m.get("text") or "").startswith("Reminder:") and PHRASE[kind] in m["text"]]


def sent_handoff(bot, when: datetime) -> None:
    with repo.transaction(bot.deps.session_factory) as s:
        p = repo.project_in_channel(s, PROJ)
        s.add(Handoff(project_id=p.id, channel_id=SHARED, sent_by=SPEC, sent_at=when, message_ts="1700000000.000100"))


def click(slack, user, msg, action):
    return slack.click(user, slack.dm_channel(user), msg["ts"], action)


def buttons(msg) -> list[str]:
    return [e.get("action_id") for b in msg.get("blocks") or [] if b.get("type") == "actions"
            for e in b.get("elements") or []]


@pytest.fixture
def handoff_sent(bot, slack):
    register(slack)
    sent_handoff(bot, local(2026, 11, 20, 10))  # a Friday
    return bot


# ---- when --------------------------------------------------------------------------------
def test_the_handoff_reminder_fires_at_three_business_days_in_working_hours(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 24, 16, 59))  # Tuesday: 2 business days
    assert reminders(slack, SPEC, "handoff") == []
    run(bot, local(2026, 11, 25, 8, 59))  # Wednesday, 3 business days, before working hours
    run(bot, local(2026, 11, 25, 17, 0))  # and at their end
    assert reminders(slack, SPEC, "handoff") == []
    run(bot, local(2026, 11, 25, 9, 0))
    [m] = reminders(slack, SPEC, "handoff")
    assert "waited 3 business days" in m["text"] and "sent 2026-11-20" in m["text"]
    assert buttons(m) == ["nudge_act", "nudge_snooze_day", "nudge_snooze_week", "nudge_stop"]
    assert reminders(slack, MGR, "handoff") == []  # not yet past the second threshold
    no_refusals(slack)


def test_no_reminder_on_a_holiday_or_a_weekend(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 26, 10))  # Thanksgiving: due, but not a business day
    run(bot, local(2026, 11, 28, 10))  # Saturday
    run(bot, local(2026, 11, 29, 12))  # Sunday
    assert reminders(slack, SPEC, "handoff") == []
    run(bot, local(2026, 11, 27, 10))  # Friday after Thanksgiving: a business day
    assert len(reminders(slack, SPEC, "handoff")) == 1


def test_past_the_second_threshold_the_manager_is_told_too(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 30, 10))  # 5 business days (Thanksgiving is not one)
    assert len(reminders(slack, SPEC, "handoff")) == 1 and reminders(slack, MGR, "handoff") == []
    run(bot, local(2026, 12, 1, 10))  # 6 = 3 + NUDGE_ESCALATE_AFTER
    [m] = reminders(slack, MGR, "handoff")
    assert "You are told as the manager" in text_of(m) and f"<@{SPEC}>" in text_of(m)
    assert len(reminders(slack, SPEC, "handoff")) == 1  # the specialist's one of this week stands


# ---- once per period -----------------------------------------------------------------------
def test_once_per_period_across_a_restart_and_a_second_instance(handoff_sent, slack, db_url):
    bot = handoff_sent
    run(bot, local(2026, 11, 30, 10))
    run(bot, local(2026, 11, 30, 14))
    assert len(reminders(slack, SPEC, "handoff")) == 1
    bot.stop()
    again = BotHarness(db_url, slack).start()
    other = BotHarness(db_url, slack).start()
    try:
        assert run(again, local(2026, 11, 30, 11)) == [] and run(other, local(2026, 11, 30, 11)) == []
        assert len(reminders(slack, SPEC, "handoff")) == 1
        run(again, local(2026, 12, 7, 10))  # next week: one more
        run(other, local(2026, 12, 7, 10, 1))
        assert len(reminders(slack, SPEC, "handoff")) == 2
    finally:
        again.stop()
        other.stop()


# ---- the buttons ------------------------------------------------------------------------------
def test_snooze_a_day_then_a_week(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 30, 10))
    [first] = reminders(slack, SPEC, "handoff")
    click(slack, SPEC, first, "nudge_snooze_day")
    slack.wait_for(lambda: "Snoozed by" in text_of(slack.message(slack.dm_channel(SPEC), first["ts"])))
    edited = slack.message(slack.dm_channel(SPEC), first["ts"])
    assert "until 2026-12-01 09:00" in text_of(edited) and buttons(edited) == []
    run(bot, local(2026, 11, 30, 15))
    run(bot, local(2026, 12, 1, 8, 59))
    assert len(reminders(slack, SPEC, "handoff")) == 1
    run(bot, local(2026, 12, 1, 9, 0))  # the snooze is over: again, though this week had one
    second = reminders(slack, SPEC, "handoff")[-1]
    assert len(reminders(slack, SPEC, "handoff")) == 2
    click(slack, SPEC, second, "nudge_snooze_week")
    slack.wait_for(lambda: "until 2026-12-08 09:00" in text_of(slack.message(slack.dm_channel(SPEC), second["ts"])))
    for when in (local(2026, 12, 2, 10), local(2026, 12, 7, 10), local(2026, 12, 8, 8, 30)):
        run(bot, when)
    assert len(reminders(slack, SPEC, "handoff")) == 2
    run(bot, local(2026, 12, 8, 9, 30))
    assert len(reminders(slack, SPEC, "handoff")) == 3
    with bot.deps.session_factory() as s:
        acts = [a.action for a in s.execute(select(Audit).where(Audit.action.like("nudge%"))).scalars()]
    assert acts == ["nudge_snoozed", "nudge_snoozed"]
    no_refusals(slack)


def test_stop_ends_that_kind_for_that_person(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 30, 10))
    [m] = reminders(slack, SPEC, "handoff")
    click(slack, SPEC, m, "nudge_stop")
    slack.wait_for(lambda: "Stopped by" in text_of(slack.message(slack.dm_channel(SPEC), m["ts"])))
    for when in (local(2026, 12, 7, 10), local(2026, 12, 14, 10)):
        run(bot, when)
    assert len(reminders(slack, SPEC, "handoff")) == 1
    assert len(reminders(slack, MGR, "handoff")) == 2  # the manager's own escalations go on
    with bot.deps.session_factory() as s:
        [h] = s.execute(select(NudgeHold)).scalars()
        assert (h.kind, h.user_id, h.stopped) == ("handoff", SPEC, True)


def test_act_marks_the_handoff_done_and_edits_the_reminder(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 30, 10))
    [m] = reminders(slack, SPEC, "handoff")
    click(slack, SPEC, m, "nudge_act")
    slack.wait_for(lambda: any(v["callback_id"] == "nudge_act" for v in slack.views(SPEC)))
    view = [v for v in slack.views(SPEC) if v["callback_id"] == "nudge_act"][-1]
    r = slack.submit_view(SPEC, view["id"], {"note": {"note": "   "}})
    assert r.json()["response_action"] == "errors"
    slack.submit_view(SPEC, view["id"], {"note": {"note": "Told the biller by phone on 11-30"}})
    slack.wait_for(lambda: "Step 3 (Transition to Client Services) marked done" in
                   text_of(slack.message(slack.dm_channel(SPEC), m["ts"])))
    snap = bot.deps.service.snapshot(project(bot).id)
    assert snap.step("handoff").state == "done" and snap.step("handoff").note == "Told the biller by phone on 11-30"
    run(bot, local(2026, 12, 7, 10))
    assert len(reminders(slack, SPEC, "handoff")) == 1 and reminders(slack, MGR, "handoff") == []


def test_only_the_addressee_can_act(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 12, 1, 10))  # the specialist's and the manager's
    [mine] = reminders(slack, MGR, "handoff")
    # A payload about the manager's reminder from someone else (Slack sends the clicker's own id).
    slack.add_member(slack.dm_channel(MGR), COLL)
    click_as = slack.click(COLL, slack.dm_channel(MGR), mine["ts"], "nudge_snooze_day")
    assert click_as.status_code == 200
    slack.wait_for(lambda: any(f"This reminder is for <@{MGR}>" in (e.get("text") or "")
                               for e in slack.ephemerals(slack.dm_channel(MGR), COLL)))
    with bot.deps.session_factory() as s:
        assert list(s.execute(select(NudgeHold)).scalars()) == []
    assert buttons(slack.message(slack.dm_channel(MGR), mine["ts"]))  # unchanged


# ---- moot ------------------------------------------------------------------------------------
def test_a_reminder_that_became_moot_is_not_sent(handoff_sent, slack):
    bot = handoff_sent
    bot.deps.clock = lambda: local(2026, 11, 30, 10)
    [key] = bot.deps.nudges.queue(local(2026, 11, 30, 10))  # queued, not sent yet
    slack.command(SPEC, PROJ, "done handoff told by phone")
    slack.wait_for(lambda: bot.deps.service.snapshot(project(bot).id).step("handoff").state == "done")
    bot.deps.notifier.drain(local(2026, 11, 30, 10, 5))
    assert reminders(slack, SPEC, "handoff") == []
    with bot.deps.session_factory() as s:
        assert s.execute(select(Post.state).where(Post.idempotency_key == key)).scalar_one() == "moot"
    run(bot, local(2026, 11, 30, 11))
    assert reminders(slack, SPEC, "handoff") == []


def test_a_reminder_queued_before_the_project_was_withdrawn_is_not_sent(handoff_sent, slack):
    bot = handoff_sent
    bot.deps.clock = lambda: local(2026, 11, 30, 10)
    keys = bot.deps.nudges.queue(local(2026, 11, 30, 10))
    slack.command(SPEC, PROJ, "cancel the biller withdrew")
    slack.wait_for(lambda: project(bot).locked)
    result = bot.deps.notifier.drain(local(2026, 11, 30, 10, 5))
    assert result.failed == 0 and reminders(slack, SPEC, "handoff") == []
    with bot.deps.session_factory() as s:
        assert {s.execute(select(Post.state).where(Post.idempotency_key == k)).scalar_one() for k in keys} == {"moot"}


def test_a_moot_reminders_buttons_answer_with_the_current_state(handoff_sent, slack):
    bot = handoff_sent
    run(bot, local(2026, 11, 30, 10))
    [m] = reminders(slack, SPEC, "handoff")
    with repo.transaction(bot.deps.session_factory) as s:
        h = s.execute(select(Handoff)).scalars().one()
        h.acknowledged_by = "U0BILLER"
        s.add(h)
    click(slack, SPEC, m, "nudge_snooze_week")
    slack.wait_for(lambda: "nothing to do" in text_of(slack.message(slack.dm_channel(SPEC), m["ts"])))
    assert buttons(slack.message(slack.dm_channel(SPEC), m["ts"])) == []
    with bot.deps.session_factory() as s:
        assert list(s.execute(select(NudgeHold)).scalars()) == []


# ---- the other kinds ---------------------------------------------------------------------------
def test_items_open_five_business_days_and_remedy_from_the_reminder(bot, slack):
    register(slack)
    pid = project(bot).id
    slack.command(SPEC, PROJ, "item Receipts miss the fee line")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).open_items)
    with repo.transaction(bot.deps.session_factory) as s:
        it = s.execute(select(Item)).scalars().one()
        it.created_at = local(2026, 11, 23, 10)  # a Monday
        s.add(it)
    run(bot, local(2026, 11, 30, 16))  # 4 business days (Thanksgiving aside)
    assert reminders(slack, SPEC, "item") == []
    run(bot, local(2026, 12, 1, 9, 30))  # 5
    [m] = reminders(slack, SPEC, "item")
    assert "#1 Receipts miss the fee line (open since 2026-11-23)" in text_of(m)
    click(slack, SPEC, m, "nudge_act")
    slack.wait_for(lambda: any(v["callback_id"] == "nudge_act" for v in slack.views(SPEC)))
    view = [v for v in slack.views(SPEC) if v["callback_id"] == "nudge_act"][-1]
    slack.submit_view(SPEC, view["id"], {"item": {"item": "1"}, "note": {"note": "Template fixed"}})
    slack.wait_for(lambda: "Item #1 remedied by" in text_of(slack.message(slack.dm_channel(SPEC), m["ts"])))
    assert bot.deps.service.snapshot(pid).open_items == ()
    no_refusals(slack)


def _summaries(bot, days):
    with repo.transaction(bot.deps.session_factory) as s:
        p = repo.project_in_channel(s, PROJ)
        for d in days:
            s.add(DailySummaryRow(project_id=p.id, local_date=d, data={}, source_ok=True))


def test_quiet_for_fourteen_days_asks_to_mark_monitor_done(bot, slack):
    register(slack)
    pid = project(bot).id
    _summaries(bot, [date(2026, 11, d) for d in range(17, 30)])  # 13 days, to Sunday 11-29
    run(bot, local(2026, 11, 30, 10))
    assert reminders(slack, SPEC, "quiet") == []
    _summaries(bot, [date(2026, 11, 16)])
    run(bot, local(2026, 11, 30, 10, 1))
    [m] = reminders(slack, SPEC, "quiet")
    assert "14 days of summaries without an alert: ready to mark Monitor done?" in m["text"]
    click(slack, SPEC, m, "nudge_act")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("monitor").state == "done")
    slack.wait_for(lambda: "Step 1 (Monitor service)" in text_of(slack.message(slack.dm_channel(SPEC), m["ts"])))
    slack.wait_for(lambda: "Done by <@U0SPEC>" in str(checklist(slack)["blocks"]))
    no_refusals(slack)


def _registered_on(bot) -> date:
    with bot.deps.session_factory() as s:
        a = s.execute(select(Audit).where(Audit.action == "project_registered")).scalars().one()
        at = a.at if a.at.tzinfo else a.at.replace(tzinfo=timezone.utc)
        return at.astimezone(CHI).date()


def _at(d: date, h=10) -> datetime:
    return local(d.year, d.month, d.day, h)


def test_a_stalled_project_after_ten_business_days_and_never_once_locked(bot, slack):
    register(slack)
    last = _registered_on(bot)
    run(bot, _at(add_business_days(last, 9, "US")))
    assert reminders(slack, SPEC, "stall") == []
    run(bot, _at(add_business_days(last, 10, "US")))
    [m] = reminders(slack, SPEC, "stall")
    assert "nothing has changed on Pay by phone · CITY-42 for 10 business days" in m["text"]
    assert buttons(m)[0] == "nudge_open"
    slack.command(SPEC, PROJ, "cancel the biller withdrew")
    slack.wait_for(lambda: project(bot).locked)
    run(bot, _at(add_business_days(last, 20, "US")))
    assert len(reminders(slack, SPEC, "stall")) == 1
    click(slack, SPEC, m, "nudge_snooze_day")  # a locked project's reminder answers with its state
    slack.wait_for(lambda: any("withdrawn; there is nothing to do" in (e.get("text") or "")
                               for e in slack.ephemerals(slack.dm_channel(SPEC), SPEC)))
    no_refusals(slack)


# ---- Monitor done with no summary yet ----------------------------------------------------------
def test_monitor_done_with_no_summary_needs_a_reason(bot, slack):
    msg = register(slack) or checklist(slack)
    pid = project(bot).id
    slack.command(SPEC, PROJ, "done monitor")
    slack.wait_for(lambda: any("No daily summary has been posted" in (e.get("text") or "")
                               for e in slack.ephemerals(PROJ, SPEC)))
    assert bot.deps.service.snapshot(pid).step("monitor").state == "open"
    # The checklist button asks for the reason in a modal, and refuses an empty one.
    slack.click(SPEC, PROJ, checklist(slack)["ts"], "step_done", value=json.dumps({"p": pid, "s": "monitor"}))
    slack.wait_for(lambda: any(v["callback_id"] == "monitor_reason" for v in slack.views(SPEC)))
    view = [v for v in slack.views(SPEC) if v["callback_id"] == "monitor_reason"][-1]
    r = slack.submit_view(SPEC, view["id"], {"note": {"note": "   "}})
    assert r.json()["response_action"] == "errors"
    assert bot.deps.service.snapshot(pid).step("monitor").state == "open"
    slack.submit_view(SPEC, view["id"], {"note": {"note": "Payments seen in the portal; data feed not yet set up"}})
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("monitor").state == "done")
    with bot.deps.session_factory() as s:
        a = s.execute(select(Audit).where(Audit.action == "step_done")).scalars().one()
    assert a.detail["no_summary"] is True and a.detail["reason"].startswith("Payments seen in the portal")
    del msg


def test_monitor_done_by_command_with_a_reason(bot, slack):
    register(slack)
    pid = project(bot).id
    slack.command(SPEC, PROJ, "done monitor biller confirmed payments by phone")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("monitor").state == "done")
    with bot.deps.session_factory() as s:
        a = s.execute(select(Audit).where(Audit.action == "step_done")).scalars().one()
    assert a.detail["reason"] == "biller confirmed payments by phone"


# ---- the command line ---------------------------------------------------------------------------
def test_addon_bot_nudge_sends_what_is_due_now_once(cli_env, slack, capsys, monkeypatch):
    from bot.cli import main
    from bot.nudges import cli

    register(slack)
    sent_handoff(cli_env, local(2026, 11, 20, 10))
    start = cli.Runtime.start

    def at_monday_ten(*a, **kw):  # the command's runtime, on the test's clock
        rt = start(*a, **kw)
        rt.deps.clock = lambda: local(2026, 11, 30, 10)
        return rt

    monkeypatch.setattr(cli.Runtime, "start", at_monday_ten)
    assert main(["nudge"]) == 0
    assert "reminder (handoff) about project" in capsys.readouterr().out
    assert len(reminders(slack, SPEC, "handoff")) == 1
    assert main(["nudge"]) == 0
    assert "nudge: 0 new reminder(s)" in capsys.readouterr().out
    assert len(reminders(slack, SPEC, "handoff")) == 1
