"""Anomaly alerts end to end: the manager's DM, MANAGERS_CHANNEL, the note in the
day's thread, the buttons, the dismiss modal, reactions, who may act, the lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import repo
from storage.models import Alert, Audit, Item
from tests.support.harness import ADMIN, COLL, MGR, PROJ, SPEC
from tests.support.monitoring_support import (
    BILLER, GOLIVE, MGRS, alerts_in, contexts, dms, no_refusals, profile, project, register, summary_of,
    text_of, tick, utc,
)

D2 = GOLIVE + timedelta(days=1)
AT_D3_0900 = utc(2026, 11, 4, 15, 0)  # summaries of 11-02 and 11-03 are due


@pytest.fixture
def alerted(mbot, slack, sim):
    """A project whose add-on took no payment on 11-03: a no_payments alert."""
    sim.set_biller(BILLER, profile(overrides={D2: {"addon_factor": 0.0}}))
    register(slack)
    tick(mbot, AT_D3_0900)
    return mbot


def the_alert(bot) -> Alert:
    with bot.deps.session_factory() as s:
        return s.execute(select(Alert).where(Alert.check_id == "no_payments")).scalars().one()


def all_alerts(bot) -> list[Alert]:
    with bot.deps.session_factory() as s:
        return list(s.execute(select(Alert).order_by(Alert.id)).scalars())


def dm_alert(slack):
    [m] = alerts_in(dms(slack), "no_payments")
    return m


def wait_state(slack, bot, state: str):
    slack.wait_for(lambda: the_alert(bot).state == state)
    slack.wait_for(lambda: "by <@" in text_of(dm_alert(slack)) or state == "open")


def buttons(msg) -> list[str]:
    return [e["action_id"] for b in msg.get("blocks") or [] if b.get("type") == "actions" for e in b["elements"]]


def test_a_new_alert_reaches_the_manager_the_managers_channel_and_the_days_thread(alerted, slack):
    p = project(alerted)
    dm = dm_alert(slack)
    line = f"check: no_payments · project {p.id} (Pay by phone · CITY-42) · 2026-11-03"
    assert line in contexts(dm)
    assert "No payments on ivr on 2026-11-03" in text_of(dm) and "*Evidence*" in text_of(dm)
    assert buttons(dm) == ["alert_ack", "alert_item", "alert_dismiss"]
    [mgrs] = alerts_in(slack.messages(MGRS), "no_payments")
    assert line in contexts(mgrs)
    [summary] = summary_of(slack, D2)
    notes = [m for m in slack.thread(PROJ, summary["ts"]) if m["ts"] != summary["ts"]]
    assert len(notes) == 1 and line in contexts(notes[0]) and f"Sent to <@{MGR}>" in text_of(notes[0])
    assert "Checks raised: `no_payments`" in text_of(summary)
    # Only one alert per project, check and day, however often the day is run again.
    tick(alerted, AT_D3_0900 + timedelta(hours=1))
    assert len(alerts_in(dms(slack), "no_payments")) == 1
    no_refusals(slack)


def test_acknowledge_button_edits_every_message_of_the_alert(alerted, slack):
    dm = dm_alert(slack)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_ack")
    wait_state(slack, alerted, "acknowledged")
    slack.wait_for(lambda: "Acknowledged by <@U0MGR>" in text_of(dm_alert(slack)))
    assert dm_alert(slack)["ts"] == dm["ts"]
    assert buttons(dm_alert(slack)) == ["alert_item", "alert_dismiss"]
    slack.wait_for(lambda: "Acknowledged by" in text_of(alerts_in(slack.messages(MGRS), "no_payments")[0]))
    with alerted.deps.session_factory() as s:
        assert repo.snapshot(s, project(alerted)).open_alerts == 0
        assert s.execute(select(Audit).where(Audit.action == "alert_acknowledged")).scalars().one().actor_id == MGR
    no_refusals(slack)


def test_add_as_item_records_a_post_golive_item_from_the_alert(alerted, slack):
    dm = dm_alert(slack)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_item")
    wait_state(slack, alerted, "item")
    slack.wait_for(lambda: "Added as a post go-live item by <@U0MGR>" in text_of(dm_alert(slack)))
    with alerted.deps.session_factory() as s:
        item = s.execute(select(Item)).scalars().one()
        a = the_alert(alerted)
        assert item.source_alert_id == a.id and a.item_id == item.id and "check: no_payments" in item.text
    assert buttons(dm_alert(slack)) == []
    # The checklist shows the new item under step 2.
    slack.wait_for(lambda: any("#1" in text_of(m) and "no_payments" in text_of(m)
                               for m in slack.messages(PROJ) if "Post-live checklist" in m["text"]))
    # The buttons are gone; a reaction now changes nothing and says so.
    slack.react(MGR, slack.dm_channel(MGR), dm["ts"], "eyes")
    slack.wait_for(lambda: any("already added as a post go-live item" in (e.get("text") or "")
                               for e in slack.ephemerals(slack.dm_channel(MGR), MGR)))
    no_refusals(slack)


def test_dismiss_asks_the_reason_in_a_modal(alerted, slack):
    dm = dm_alert(slack)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_dismiss")
    slack.wait_for(lambda: slack.views(MGR))
    view = slack.views(MGR)[-1]
    assert view["callback_id"] == "alert_dismiss_reason"
    r = slack.submit_view(MGR, view["id"], {"reason": {"reason": "   "}})
    assert r.json()["response_action"] == "errors"
    assert the_alert(alerted).state == "open"
    slack.submit_view(MGR, view["id"], {"reason": {"reason": "IVR line was down for maintenance, planned"}})
    wait_state(slack, alerted, "dismissed")
    slack.wait_for(lambda: "Dismissed as expected by <@U0MGR>" in text_of(dm_alert(slack)))
    assert "IVR line was down for maintenance, planned" in text_of(dm_alert(slack))
    assert the_alert(alerted).reason == "IVR line was down for maintenance, planned"
    no_refusals(slack)


def test_reactions_acknowledge_and_resolve(alerted, slack):
    dm = dm_alert(slack)
    slack.react(MGR, slack.dm_channel(MGR), dm["ts"], "eyes")
    wait_state(slack, alerted, "acknowledged")
    [summary] = summary_of(slack, D2)
    note = [m for m in slack.thread(PROJ, summary["ts"]) if m["ts"] != summary["ts"]][0]
    slack.react(SPEC, PROJ, note["ts"], "white_check_mark")
    wait_state(slack, alerted, "resolved")
    slack.wait_for(lambda: "Resolved by <@U0SPEC>" in text_of(dm_alert(slack)))
    slack.wait_for(lambda: "Resolved by <@U0SPEC>" in text_of(slack.message(PROJ, note["ts"])))
    assert buttons(dm_alert(slack)) == []
    no_refusals(slack)


def test_only_the_project_team_may_act_and_a_completed_project_cannot_change(alerted, slack):
    [summary] = summary_of(slack, D2)
    note = [m for m in slack.thread(PROJ, summary["ts"]) if m["ts"] != summary["ts"]][0]
    slack.react(COLL, PROJ, note["ts"], "eyes")  # on the team, not on this project
    slack.wait_for(lambda: any("Only this project's specialist" in (e.get("text") or "")
                               for e in slack.ephemerals(PROJ, COLL)))
    assert the_alert(alerted).state == "open"
    with repo.transaction(alerted.deps.session_factory) as s:
        assert repo.complete(s, project(alerted), ADMIN)
    slack.react(MGR, slack.dm_channel(MGR), dm_alert(slack)["ts"], "eyes")
    slack.wait_for(lambda: any("complete and archived" in (e.get("text") or "")
                               for e in slack.ephemerals(slack.dm_channel(MGR), MGR)))
    assert the_alert(alerted).state == "open"
    # ...and it is never summarised again.
    before = len(slack.calls_to("chat.postMessage"))
    tick(alerted, AT_D3_0900 + timedelta(days=2))
    assert len(slack.calls_to("chat.postMessage")) == before


def test_marking_monitor_done_with_an_open_alert_asks_first(alerted, slack):
    slack.command(SPEC, PROJ, "done monitor")
    slack.wait_for(lambda: any("unacknowledged" in (e.get("text") or "") for e in slack.ephemerals(PROJ, SPEC)))
    checklist = [m for m in slack.messages(PROJ) if "Post-live checklist" in m["text"]][0]
    assert "1 unacknowledged alert" in text_of(checklist) and "Days monitored: 2" in text_of(checklist)


def test_an_open_alert_is_not_sent_again_within_a_day_but_folded_in(mbot, slack, sim):
    days = {GOLIVE + timedelta(days=i): {"addon_factor": 0.0} for i in range(1, 4)}
    sim.set_biller(BILLER, profile(overrides=days))
    register(slack)
    tick(mbot, utc(2026, 11, 6, 15, 0))  # catch-up: 11-02 .. 11-05, three days without payments
    [dm] = alerts_in(dms(slack), "no_payments")
    assert "2026-11-03" in "\n".join(contexts(dm))
    assert "Also seen on 2026-11-04, 2026-11-05" in text_of(dm)
    # Acknowledging it acknowledges the days folded into it.
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_ack")
    slack.wait_for(lambda: [a.state for a in all_alerts(mbot)] == ["acknowledged"] * 3)
    # A day later a new day of no payments is a new alert, a new DM.
    sim.set_biller(BILLER, profile(overrides={**days, GOLIVE + timedelta(days=4): {"addon_factor": 0.0}}))
    tick(mbot, utc(2026, 11, 7, 15, 0))
    assert len(alerts_in(dms(slack), "no_payments")) == 2
    no_refusals(slack)
