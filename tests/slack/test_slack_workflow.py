"""The post-live workflow driven as Slack drives it: signed requests to
/slack/events, a loopback Web API that records calls and refuses what Slack
would refuse. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.views import value
from storage import repo
from tests.support.harness import ADMIN, BILLER, COLL, MGR, NEW_CMD, PROJ, SHARED, SPEC


# ---- helpers -------------------------------------------------------------------
def checklist(slack, channel=PROJ):
    """The newest checklist message in the channel."""
    msgs = [m for m in slack.messages(channel) if any(
        b.get("type") == "header" and "Post-live" in b["text"]["text"] for b in m.get("blocks") or [])]
    return msgs[-1] if msgs else None


def block_text(msg) -> str:
    out = []
    for b in msg.get("blocks") or []:
        if b.get("text"):
            out.append(b["text"]["text"])
        for f in b.get("fields") or []:
            out.append(f["text"])
        for e in b.get("elements") or []:
            if isinstance(e.get("text"), str):
                out.append(e["text"])
    return "\n".join(out)


def ephemeral_texts(slack, channel=PROJ, user=SPEC):
    return [e.get("text") or "" for e in slack.ephemerals(channel, user)]


def wait_ephemeral(slack, fragment, channel=PROJ, user=SPEC, timeout=5.0):
    slack.wait_for(lambda: any(fragment in t for t in ephemeral_texts(slack, channel, user)), timeout=timeout)
    return [t for t in ephemeral_texts(slack, channel, user) if fragment in t][-1]


def ack_text(r) -> str:
    """What Slack shows from a command's acknowledgement (plain text or JSON)."""
    if r.headers.get("content-type", "").startswith("application/json"):
        return r.json().get("text") or ""
    return r.text


def register(slack):
    r = slack.command(SPEC, PROJ, NEW_CMD)
    assert r.status_code == 200
    slack.wait_for(lambda: checklist(slack) is not None)
    return checklist(slack)


def project_row(bot):
    with bot.deps.session_factory() as s:
        return repo.project_in_channel(s, PROJ)


def step_state(bot, step):
    p = project_row(bot)
    return bot.deps.service.snapshot(p.id).step(step).state


def no_refusals(slack):
    assert slack.errors == [], slack.errors
    assert slack.warnings == [], slack.warnings


# ---- registering ------------------------------------------------------------------
def test_register_by_command_posts_the_checklist(bot, slack):
    msg = register(slack)
    text = block_text(msg)
    assert "Pay by phone" in text and "CITY-42" in text and "2026-11-02" in text
    for step in ("1. Monitor service", "2. Address post go-live", "3. Transition to Client Services",
                 "4. Mark project complete"):
        assert step in text
    assert "Registered project" in wait_ephemeral(slack, "Registered project")
    p = project_row(bot)
    assert p.manager_id == MGR and p.specialist_ids == [SPEC] and p.tz == "America/Chicago"
    assert p.shared_channel_id == SHARED and p.pay_channel == "ivr" and p.projected_per_day == 40
    no_refusals(slack)


def test_missing_fields_open_a_modal_and_its_submission_registers(bot, slack):
    slack.command(SPEC, PROJ, "new biller=TOWN-7")
    slack.wait_for(lambda: slack.views(SPEC))
    view = slack.views(SPEC)[-1]
    assert view["callback_id"] == "register_project"
    # Bad input keeps the modal open with the reason, and registers nothing.
    r = slack.submit_view(SPEC, view["id"], {
        "biller": {"biller": "TOWN-7"}, "addon": {"addon": "Text to pay"},
        "golive": {"golive": "2026-11-09"}, "projected": {"projected": "many"},
        "manager": {"manager": MGR}, "specialists": {"specialists": [SPEC]}, "tz": {"tz": "America/Denver"},
    })
    assert r.status_code == 200
    body = r.json()
    assert body["response_action"] == "errors" and "payments per day" in body["errors"]["projected"]
    assert project_row(bot) is None
    r = slack.submit_view(SPEC, view["id"], {
        "biller": {"biller": "TOWN-7"}, "addon": {"addon": "Text to pay"},
        "golive": {"golive": "2026-11-09"}, "projected": {"projected": "12"},
        "manager": {"manager": MGR}, "specialists": {"specialists": [SPEC]}, "tz": {"tz": "America/Denver"},
    })
    assert r.status_code == 200
    slack.wait_for(lambda: checklist(slack) is not None)
    p = project_row(bot)
    assert (p.biller_id, p.addon, p.projected_per_day, p.tz) == ("TOWN-7", "Text to pay", 12, "America/Denver")
    no_refusals(slack)


def test_bad_input_gets_usage_and_changes_nothing(bot, slack):
    r = slack.command(SPEC, PROJ, "new biller=B1 addon=X golive=2026-02-30 projected=4 manager=<@U0MGR>")
    assert r.status_code == 200
    answer = ack_text(r)  # answered in the acknowledgement itself
    assert "YYYY-MM-DD" in answer and "Usage: `/addon new" in answer
    r = slack.command(SPEC, PROJ, "done banana")
    assert "not a step" in ack_text(r) and "Usage: `/addon done" in ack_text(r)
    assert project_row(bot) is None
    assert not [c for c in slack.calls if c[0] == "chat.postMessage"]


def test_help_and_unknown_channel(bot, slack):
    r = slack.command(SPEC, PROJ, "")
    assert "/addon status" in ack_text(r)
    slack.command(SPEC, PROJ, "status")
    assert "no post-live project yet" in wait_ephemeral(slack, "no post-live project")


# ---- the checklist ---------------------------------------------------------------------
def test_buttons_edit_the_checklist_in_place(bot, slack):
    msg = register(slack)
    ts = msg["ts"]
    updates_before = len([c for c in slack.calls if c[0] == "chat.update"])
    r = slack.click(SPEC, PROJ, ts, "step_done", value=json.dumps({"p": project_row(bot).id, "s": "handoff"}))
    assert r.status_code == 200
    slack.wait_for(lambda: step_state(bot, "handoff") == "done")
    slack.wait_for(lambda: "Done by <@U0SPEC>" in block_text(slack.message(PROJ, ts)))
    assert len([c for c in slack.calls if c[0] == "chat.update"]) > updates_before
    # Reopen from the same message.
    slack.click(SPEC, PROJ, ts, "step_undo")
    slack.wait_for(lambda: step_state(bot, "handoff") == "open")
    no_refusals(slack)


def test_status_posts_a_fresh_checklist(bot, slack):
    register(slack)
    n = len(slack.messages(PROJ))
    slack.command(COLL, PROJ, "status")  # anyone internal may read
    slack.wait_for(lambda: len(slack.messages(PROJ)) == n + 1)
    assert checklist(slack)["ts"] != slack.messages(PROJ)[0]["ts"]


def test_scripted_run_to_completion_and_the_lock(bot, slack):
    """register → checklist clicks → skip → done → complete → refused undo."""
    msg = register(slack)
    pid = project_row(bot).id
    slack.click(SPEC, PROJ, msg["ts"], "step_done", value=json.dumps({"p": pid, "s": "monitor"}))
    # No daily summary yet: the button asks for the reason first.
    slack.wait_for(lambda: any(v["callback_id"] == "monitor_reason" for v in slack.views(SPEC)))
    view = [v for v in slack.views(SPEC) if v["callback_id"] == "monitor_reason"][-1]
    slack.submit_view(SPEC, view["id"], {"note": {"note": "Payers confirmed by phone"}})
    slack.wait_for(lambda: step_state(bot, "monitor") == "done")

    slack.command(SPEC, PROJ, "item IVR prompt reads the fee twice")
    wait_ephemeral(slack, "Recorded item #1")
    slack.command(SPEC, PROJ, "skip address nothing")
    assert "open items (#1)" in wait_ephemeral(slack, "open items")
    # Remedy item 1 from its menu (modal with a note).
    msg = checklist(slack)
    slack.click(SPEC, PROJ, msg["ts"], "item_resolve_menu", block_id="item_1",
                selected=value(p=pid, n=1, a="resolve"))
    slack.wait_for(lambda: slack.views(SPEC))
    view = slack.views(SPEC)[-1]
    slack.submit_view(SPEC, view["id"], {"note": {"note": "Prompt re-recorded on 11-05"}})
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).items[0].status == "remedied")

    slack.command(SPEC, PROJ, "done address all items remedied")
    wait_ephemeral(slack, "Step 2 (Address post go-live functionality) is done")
    slack.command(SPEC, PROJ, "done handoff biller told by phone")
    wait_ephemeral(slack, "Step 3")

    # Complete: the confirmation modal insists on the schedule being 100%.
    msg = checklist(slack)
    slack.click(SPEC, PROJ, msg["ts"], "open_complete")
    slack.wait_for(lambda: any(v["callback_id"] == "complete_project" for v in slack.views(SPEC)))
    view = [v for v in slack.views(SPEC) if v["callback_id"] == "complete_project"][-1]
    from bot.sandbox.localslack.state import ViewValidationError

    with pytest.raises(ViewValidationError):  # Slack's client will not submit it unticked
        slack.submit_view(SPEC, view["id"], {"schedule": {"confirm": []}})
    assert not project_row(bot).locked
    r = slack.submit_view(SPEC, view["id"], {"schedule": {"confirm": ["all_100"]}})
    assert r.status_code == 200
    slack.wait_for(lambda: project_row(bot).locked)
    slack.wait_for(lambda: "archived" in block_text(checklist(slack)))
    slack.wait_for(lambda: any("complete and archived" in (m.get("text") or "") for m in slack.messages(PROJ)))

    version = project_row(bot).version
    slack.command(SPEC, PROJ, "undo monitor")
    assert "complete and archived" in wait_ephemeral(slack, "can no longer be changed")
    slack.command(MGR, PROJ, "item one more thing")
    wait_ephemeral(slack, "can no longer be changed", user=MGR)
    assert project_row(bot).version == version
    with bot.deps.session_factory() as s:
        trail = [(a.action, a.surface) for a in repo.audit_trail(s, pid)]
    assert trail[0] == ("project_registered", "command")
    assert ("step_done", "modal") in trail and ("item_remedied", "modal") in trail  # Monitor: the reason modal
    assert trail[-1] == ("project_completed", "modal")
    no_refusals(slack)


def test_complete_refused_while_steps_open(bot, slack):
    register(slack)
    slack.command(SPEC, PROJ, "complete")
    text = wait_ephemeral(slack, "cannot be completed yet")
    assert "Step 1" in text and "Step 3" in text
    assert not slack.views(SPEC)


# ---- who may act ---------------------------------------------------------------------------
def test_colleague_may_read_but_not_change(bot, slack):
    register(slack)
    slack.command(COLL, PROJ, "done monitor")
    assert "Only this project's specialist" in wait_ephemeral(slack, "Only this project", user=COLL)
    assert step_state(bot, "monitor") == "open"
    slack.command(ADMIN, PROJ, "done monitor admin override")  # admins may
    slack.wait_for(lambda: step_state(bot, "monitor") == "done")
    # A refused click is answered too, only to the one who clicked.
    msg = checklist(slack)
    slack.wait_for(lambda: "Done by <@U0ADMIN>" in block_text(slack.message(PROJ, msg["ts"])))
    slack.click(COLL, PROJ, msg["ts"], "step_undo", block_id="step_monitor")
    slack.wait_for(lambda: sum("Only this project" in t for t in ephemeral_texts(slack, user=COLL)) == 2)
    assert step_state(bot, "monitor") == "done"


def test_manager_may_change(bot, slack):
    register(slack)
    slack.command(MGR, PROJ, "done 1 payers confirmed by phone")  # no summary yet: a reason
    slack.wait_for(lambda: step_state(bot, "monitor") == "done")


def test_external_user_changes_nothing_by_command_or_button(bot, slack):
    msg = register(slack)
    slack.command(BILLER, SHARED, "done monitor")
    slack.wait_for(lambda: slack.ephemerals(SHARED, BILLER))
    assert "Only the delivery team" in slack.ephemerals(SHARED, BILLER)[-1]["text"]
    # The project channel is later shared with the biller, who clicks the old checklist.
    slack.set_ext_shared(PROJ, True)
    slack.add_member(PROJ, BILLER)
    slack.click(BILLER, PROJ, msg["ts"], "step_done",
                value=json.dumps({"p": project_row(bot).id, "s": "monitor"}))
    slack.wait_for(lambda: slack.ephemerals(PROJ, BILLER))
    assert "Only the delivery team" in slack.ephemerals(PROJ, BILLER)[-1]["text"]
    slack.command(BILLER, SHARED, "new biller=X addon=Y golive=2026-01-01 projected=1 manager=<@U0MGR>")
    slack.wait_for(lambda: len(slack.ephemerals(SHARED, BILLER)) >= 2)
    assert step_state(bot, "monitor") == "open"


def test_registering_in_a_shared_channel_is_refused(bot, slack):
    slack.command(SPEC, SHARED, NEW_CMD)
    text = wait_ephemeral(slack, "shared with another organisation", channel=SHARED)
    assert "Slack Connect" in text
    assert not slack.messages(SHARED)


# ---- lists and home ---------------------------------------------------------------------------
def test_list_and_home(bot, slack):
    register(slack)
    slack.command(SPEC, PROJ, "list")
    slack.wait_for(lambda: any("Pay by phone" in block_text(e) and "Open post-live projects" in block_text(e)
                               for e in slack.ephemerals(PROJ, SPEC)))
    slack.command(COLL, PROJ, "list mine")
    slack.wait_for(lambda: any("No open post-live projects you are on" in block_text(e)
                               for e in slack.ephemerals(PROJ, COLL)))
    slack.open_home(SPEC)
    slack.wait_for(lambda: slack.home(SPEC) is not None)
    assert "Pay by phone" in json.dumps(slack.home(SPEC))


# ---- requests Slack did not sign ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["forged", "stale", "unsigned"])
def test_unsigned_forged_and_stale_requests_are_refused(bot, slack, kind):
    from urllib.parse import urlencode

    body = urlencode({"command": "/addon", "text": NEW_CMD, "user_id": SPEC, "channel_id": PROJ,
                      "team_id": "T0INTERNAL", "response_url": "http://127.0.0.1:9/x", "trigger_id": "1"})
    if kind == "unsigned":
        headers = {}
    else:
        ts = int(time.time()) - (600 if kind == "stale" else 0)
        headers = slack.sign(body, ts=ts)
        if kind == "forged":
            headers["X-Slack-Signature"] = "v0=" + "0" * 64
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    r = httpx.post(slack.bot_url, content=body, headers=headers)
    assert r.status_code == 401
    time.sleep(0.3)
    assert project_row(bot) is None


def test_healthz(bot):
    r = httpx.get(bot.server.url + "/healthz")
    assert r.status_code == 200 and r.json()["ok"] is True


def test_the_registration_modal_takes_the_calendar_and_closed_dates_and_refuses_bad_ones(bot, slack):
    slack.command(SPEC, PROJ, "new biller=TOWN-8")
    slack.wait_for(lambda: slack.views(SPEC))
    view = slack.views(SPEC)[-1]
    fields = {
        "biller": {"biller": "TOWN-8"}, "addon": {"addon": "Text to pay"},
        "golive": {"golive": "2026-11-09"}, "projected": {"projected": "12"},
        "manager": {"manager": MGR}, "specialists": {"specialists": [SPEC]}, "tz": {"tz": "America/Denver"},
    }
    r = slack.submit_view(SPEC, view["id"], {**fields, "calendar": {"calendar": "Narnia"},
                                             "closed": {"closed": "12-24, 13-01"}})
    body = r.json()
    assert body["response_action"] == "errors"
    assert "ISO country code" in body["errors"]["calendar"] and "13-01 is not a date" in body["errors"]["closed"]
    assert project_row(bot) is None
    r = slack.submit_view(SPEC, view["id"], {**fields, "calendar": {"calendar": "us-ma"},
                                             "closed": {"closed": "12-31, 12-24"}})
    assert r.status_code == 200
    slack.wait_for(lambda: checklist(slack) is not None)
    p = project_row(bot)
    assert (p.calendar, p.closed_dates) == ("US-MA", "12-24,12-31")
    no_refusals(slack)
