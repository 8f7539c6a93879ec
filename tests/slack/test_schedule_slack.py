"""Completing against the project schedule, driven as Slack drives it, with the
simulated schedule on loopback standing in for the schedule API; the closing
report; `edit`, `cancel` and `report`; the add-on's channel taken from its name."""

from __future__ import annotations

from datetime import timedelta

import threading

import pytest
from sqlalchemy import select

from bot.schedule.simulator import ScheduleSimulator, make_sheet
from storage import repo
from storage.models import Post
from tests.slack.test_slack_workflow import block_text, checklist, no_refusals, project_row, wait_ephemeral
from tests.support.harness import MGR, NEW_CMD, PROJ, SPEC, BotHarness

TOKEN = "sched-token"
BELOW = {"Update reconciliation guide": 0.9, "Close-out call with the biller": 0.5}


@pytest.fixture
def sched():
    s = ScheduleSimulator(token=TOKEN)
    s.add(make_sheet(11, "City 42 · Pay by phone", below=BELOW))
    s.add(make_sheet(12, "Big rollout", rows=1200))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def sbot(db_url, slack, sched):
    h = BotHarness(db_url, slack, SCHEDULE_API_URL=sched.url, SCHEDULE_API_TOKEN=TOKEN).start()
    h.deps.schedule.client._sleep = lambda s: None  # retries without waiting
    yield h
    h.stop()


def ready(slack, sheet=11):
    slack.command(SPEC, PROJ, NEW_CMD + f" schedule={sheet}")
    slack.wait_for(lambda: checklist(slack) is not None)
    for cmd, seen in (("done monitor payers pay", "Step 1"), ("skip address nothing left", "Step 2"),
                      ("done handoff told by phone", "Step 3")):
        slack.command(SPEC, PROJ, cmd)
        wait_ephemeral(slack, seen)


def all_done(sched, sheet=11):
    for task in BELOW:
        sched.set_percent(sheet, task, 1.0)


def report_msgs(slack):
    return [m for m in slack.messages(PROJ) if (m.get("text") or "").startswith("Closing report")]


def test_step_4_shows_the_schedule_and_complete_is_refused_then_done(sbot, slack, sched):
    ready(slack)
    text = block_text(checklist(slack))
    assert "items at 100%; 2 to go: " in text and "Close-out call with the biller (50%)" in text
    assert "/sheets/11/view|City 42" in text  # the link to the sheet
    slack.command(SPEC, PROJ, "complete")
    refusal = wait_ephemeral(slack, "not at 100%")
    assert "Update reconciliation guide (90%)" in refusal and "Close-out call with the biller (50%)" in refusal
    assert not project_row(sbot).locked and sched.status(11) == "Post-live"

    all_done(sched)
    slack.command(SPEC, PROJ, "complete")
    wait_ephemeral(slack, "is complete")
    p = project_row(sbot)
    assert p.locked and sched.status(11) == "Complete"
    slack.wait_for(lambda: report_msgs(slack))
    report = block_text(report_msgs(slack)[-1])
    for part in ("CITY-42", "go-live 2026-11-02", "completed ", "days monitored: 0", "Payments (the add-on's)",
                 "Alerts (0)", "Items (0)", "Client Services cases (0)", "Handoff", "*Completed by* <@U0SPEC>",
                 "Status set to Complete"):
        assert part in report, part
    assert p.closing_report["schedule"]["status"] == "Complete"
    with sbot.deps.session_factory() as s:
        assert repo.audit_trail(s, p.id)[-1].action == "project_completed"
    # The stored report is what `/addon report` shows.
    slack.command(MGR, PROJ, "report")
    assert "Closing report" in wait_ephemeral(slack, "Closing report", user=MGR)
    no_refusals(slack)


def test_a_first_put_failing_503_is_retried(sbot, slack, sched):
    ready(slack)
    all_done(sched)
    sched.fail_next("PUT", 503)
    slack.command(SPEC, PROJ, "complete")
    wait_ephemeral(slack, "is complete")
    assert project_row(sbot).locked and sched.status(11) == "Complete"
    assert len([r for r in sched.requests if r[0] == "PUT"]) == 2


def test_a_locked_status_field_refuses_and_changes_nothing(sbot, slack, sched):
    ready(slack)
    all_done(sched)
    sched.lock_field(11)
    slack.command(SPEC, PROJ, "complete")
    assert "locked" in wait_ephemeral(slack, "Nothing was changed")
    assert not project_row(sbot).locked and sched.status(11) == "Post-live"


def test_an_unknown_sheet_is_refused(sbot, slack, sched):
    ready(slack, sheet=777)
    assert "no sheet 777" in block_text(checklist(slack))
    slack.command(SPEC, PROJ, "complete")
    assert "`/addon edit schedule=SHEET_ID`" in wait_ephemeral(slack, "no sheet 777")
    assert not project_row(sbot).locked


def test_paging_over_1200_rows(sbot, slack, sched):
    ready(slack, sheet=12)
    slack.wait_for(lambda: "1200 of 1200 items" in block_text(checklist(slack))
                   or "of " in block_text(checklist(slack)))
    slack.command(SPEC, PROJ, "complete")
    wait_ephemeral(slack, "is complete")
    assert sched.status(12) == "Complete"
    assert {r[2].get("page") for r in sched.requests if r[1] == "/2.0/sheets/12"} >= {"1", "2", "3"}


def test_a_crash_between_the_schedule_and_the_lock_is_finished_by_the_next_complete(sbot, slack, sched):
    ready(slack)
    all_done(sched)
    real = sbot.deps.service.complete

    def crash(*a, **kw):
        raise RuntimeError("process died")

    sbot.deps.service.complete = crash
    slack.command(SPEC, PROJ, "complete")
    wait_ephemeral(slack, "Something went wrong")
    assert sched.status(11) == "Complete" and not project_row(sbot).locked
    sbot.deps.service.complete = real
    slack.command(SPEC, PROJ, "complete")
    wait_ephemeral(slack, "is complete")
    p = project_row(sbot)
    assert p.locked and p.closing_report["schedule"]["already_set"] is True
    assert len([r for r in sched.requests if r[0] == "PUT"]) == 1  # set once


def test_the_button_shows_the_schedule_and_submitting_completes(sbot, slack, sched):
    ready(slack)
    all_done(sched)
    sbot.deps.schedule._cache.clear()
    slack.click(SPEC, PROJ, checklist(slack)["ts"], "open_complete")
    slack.wait_for(lambda: any(v["callback_id"] == "complete_project" for v in slack.views(SPEC)))
    view = [v for v in slack.views(SPEC) if v["callback_id"] == "complete_project"][-1]
    assert "items at 100%" in str(view["blocks"])
    slack.submit_view(SPEC, view["id"], {})
    slack.wait_for(lambda: project_row(sbot).locked)
    slack.wait_for(lambda: report_msgs(slack))


def _open_complete(slack, sbot, sched):
    ready(slack)
    all_done(sched)
    sbot.deps.schedule._cache.clear()
    slack.click(SPEC, PROJ, checklist(slack)["ts"], "open_complete")
    slack.wait_for(lambda: any(v["callback_id"] == "complete_project" for v in slack.views(SPEC)))
    return [v for v in slack.views(SPEC) if v["callback_id"] == "complete_project"][-1]


def _told(slack, words):
    return [t for t in [e.get("text") or "" for e in slack.ephemerals(PROJ, SPEC)]
            + [m.get("text") or "" for m in slack.messages(slack.dm_channel(SPEC))] if words in t]


def test_the_complete_modal_is_answered_before_the_schedule_is_asked(sbot, slack, sched):
    view = _open_complete(slack, sbot, sched)
    gate, asked = threading.Event(), []
    real = sbot.deps.schedule.complete

    def held(sheet_id):
        asked.append(sheet_id)
        gate.wait(10)
        return real(sheet_id)

    sbot.deps.schedule.complete = held
    try:
        r = slack.submit_view(SPEC, view["id"], {})
        # Acknowledged (the modal closed) while the schedule was still to answer.
        assert r.status_code == 200 and r.text.strip() in ("", "{}") and not project_row(sbot).locked
        assert view["id"] not in [v["id"] for v in slack.views(SPEC)]
    finally:
        gate.set()
    slack.wait_for(lambda: project_row(sbot).locked)
    slack.wait_for(lambda: _told(slack, "is complete: the schedule's status is set"))
    slack.wait_for(lambda: report_msgs(slack))
    assert asked == [11]
    no_refusals(slack)


def test_a_refusal_after_the_ack_is_told_in_words(sbot, slack, sched):
    view = _open_complete(slack, sbot, sched)
    sched.set_percent(11, "Update reconciliation guide", 0.9)  # fell back meanwhile
    sbot.deps.schedule._cache.clear()
    slack.submit_view(SPEC, view["id"], {})
    slack.wait_for(lambda: _told(slack, "not at 100%"))
    assert "Update reconciliation guide (90%)" in _told(slack, "not at 100%")[-1]
    assert not project_row(sbot).locked


def test_the_closing_report_goes_through_the_outbox_once(sbot, slack, sched):
    ready(slack)
    all_done(sched)
    slack.inject_error("chat.postMessage", "internal_error", times=1)  # the first send of the report fails
    slack.command(SPEC, PROJ, "complete")
    wait_ephemeral(slack, "is complete")
    p = project_row(sbot)
    assert p.locked and report_msgs(slack) == []
    with sbot.deps.session_factory() as s:
        rows = {r.idempotency_key: r for r in s.execute(select(Post).where(Post.project_id == p.id,
                                                                          Post.kind.like("closing%"))).scalars()}
    assert set(rows) == {f"closing:{p.id}", f"closing:{p.id}:lock"} and rows[f"closing:{p.id}"].last_error
    later = sbot.deps.clock() + timedelta(minutes=5)
    sbot.deps.notifier.drain(later)  # the outbox's retry posts it
    sbot.deps.notifier.drain(later + timedelta(minutes=5))  # and never twice
    assert len(report_msgs(slack)) == 1
    assert len([m for m in slack.messages(PROJ) if "is complete and archived by" in (m.get("text") or "")]) == 1


# ---- edit, cancel, report --------------------------------------------------------------
def test_edit_says_what_changed_and_is_audited(sbot, slack, sched):
    ready(slack)
    slack.command(SPEC, PROJ, "edit golive=2026-11-05 projected=55 schedule=12")
    text = wait_ephemeral(slack, "Changed")
    assert "golive: 2026-11-02 → 2026-11-05" in text and "projected: 40.0 → 55.0" in text
    assert "schedule_sheet: 11 → 12" in text and "old plan" in text
    p = project_row(sbot)
    assert str(p.golive) == "2026-11-05" and p.projected_per_day == 55 and p.schedule_sheet_id == 12
    with sbot.deps.session_factory() as s:
        a = repo.audit_trail(s, p.id)[-1]
    assert a.action == "project_edited" and {"field": "golive", "was": "2026-11-02", "now": "2026-11-05"} \
        in a.detail["changes"]
    version = p.version
    r = slack.command(SPEC, PROJ, "edit golive=2026-13-01")
    assert "there is no month 13" in r.text  # the exact problem with the date
    r = slack.command(SPEC, PROJ, "edit colour=blue")
    assert "not a field of `new`" in r.text
    slack.command("U0COLL", PROJ, "edit projected=1")
    wait_ephemeral(slack, "Only this project", user="U0COLL")
    assert project_row(sbot).version == version


def test_cancel_keeps_history_and_frees_the_channel(sbot, slack, sched):
    ready(slack)
    pid = project_row(sbot).id
    r = slack.command(SPEC, PROJ, "cancel")
    assert "reason" in r.text
    slack.command(SPEC, PROJ, "cancel registered in the wrong channel")
    slack.wait_for(lambda: any("withdrawn" in (m.get("text") or "") for m in slack.messages(PROJ)))
    with sbot.deps.session_factory() as s:
        p = repo.get_project(s, pid)
        assert p.status == "cancelled" and p.locked and p.cancel_reason == "registered in the wrong channel"
        assert repo.audit_trail(s, pid)[-1].action == "project_cancelled"
        assert pid not in [x.id for x in repo.list_projects(s)]
    slack.command(SPEC, PROJ, "item more")
    wait_ephemeral(slack, "withdrawn")
    slack.command(SPEC, PROJ, NEW_CMD)
    slack.wait_for(lambda: project_row(sbot).id != pid)  # the channel registers again
    assert not project_row(sbot).locked


def test_report_before_completion_is_a_preview(sbot, slack, sched):
    ready(slack)
    slack.command(SPEC, PROJ, "item <!channel> fee shown twice")
    wait_ephemeral(slack, "Recorded item #1")
    slack.command(SPEC, PROJ, "report")
    text = wait_ephemeral(slack, "Closing report")
    assert "preview" in text
    blocks = [e for e in slack.ephemerals(PROJ, SPEC) if (e.get("text") or "").startswith("Closing report")][-1]
    shown = str(blocks.get("blocks"))
    assert "&lt;!channel&gt; fee shown twice: open" in shown and "<!channel>" not in shown


# ---- the add-on's channel ---------------------------------------------------------------
def test_the_channel_is_taken_from_the_addons_name(sbot, slack):
    slack.command(SPEC, PROJ, f'new biller=OAK addon="Pay by text" golive=2026-11-20 projected=60 '
                              f"manager=<@{MGR}|maria>")
    wait_ephemeral(slack, "Registered project")
    assert project_row(sbot).pay_channel == "text"


def test_a_name_that_does_not_say_the_channel_opens_the_form(sbot, slack):
    slack.command(SPEC, PROJ, f'new biller=OAK addon="Premium bundle" golive=2026-11-20 projected=60 '
                              f"manager=<@{MGR}|maria>")
    slack.wait_for(lambda: slack.views(SPEC))
    view = slack.views(SPEC)[-1]
    assert view["callback_id"] == "register_project" and project_row(sbot) is None
    r = slack.submit_view(SPEC, view["id"], {
        "biller": {"biller": "OAK"}, "addon": {"addon": "Premium bundle"}, "golive": {"golive": "2026-11-20"},
        "projected": {"projected": "60"}, "manager": {"manager": MGR}, "specialists": {"specialists": [SPEC]},
        "tz": {"tz": "America/Denver"}})
    assert r.json()["response_action"] == "errors" and "payment channel" in r.json()["errors"]["pay_channel"]
    assert project_row(sbot) is None


def test_a_future_golive_is_accepted_and_the_reply_says_when_monitoring_starts(sbot, slack):
    golive = (sbot.deps.clock() + timedelta(days=40)).date()
    slack.command(SPEC, PROJ, f'new biller=OAK addon="Pay by text" golive={golive.isoformat()} projected=60 '
                              f"manager=<@{MGR}|maria>")
    text = wait_ephemeral(slack, "Registered project")
    assert f"monitoring starts on {golive.isoformat()}" in text
    assert f"posted on {(golive + timedelta(days=1)).isoformat()} at 09:00" in text
    assert str(project_row(sbot).golive) == golive.isoformat()
