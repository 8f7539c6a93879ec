"""Alerts a manager can act on: the words (how sure, what to check, who the
specialist is), the Details view with the raw numbers, Undo by the person who
acted (for a while), and counts on the checklist that match the one message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Alert, Audit
from tests.support.harness import MGR, PROJ, SPEC
from tests.support.monitoring_support import (
    BILLER, GOLIVE, MGRS, alerts_in, dms, no_refusals, profile, register, text_of, tick, utc,
)

D2 = GOLIVE + timedelta(days=1)
AT_D3_0900 = utc(2026, 11, 4, 15, 0)


@pytest.fixture
def alerted(mbot, slack, sim):
    sim.set_biller(BILLER, profile(overrides={D2: {"addon_factor": 0.0}}))
    register(slack)
    tick(mbot, AT_D3_0900)
    return mbot


def _alert(bot) -> Alert:
    with bot.deps.session_factory() as s:
        return s.execute(select(Alert).where(Alert.check_id == "no_payments")).scalars().one()


def _dm(slack):
    [m] = alerts_in(dms(slack), "no_payments")
    return m


def test_the_alert_says_how_sure_what_to_check_and_who_to_ask(alerted, slack):
    body = text_of(_dm(slack))
    assert "less than once in" in body and "days" in body
    assert "*Likely causes to check*" in body and "*Next step*" in body
    assert f"*Specialist*: <@{SPEC}>" in body and f"<#{PROJ}>" in body
    assert "Biller Portal" in body and "CITY-42" in body
    assert "p zero" not in body and "1.69e" not in body  # raw values are under Details
    no_refusals(slack)


def test_details_shows_the_raw_numbers(alerted, slack):
    dm = _dm(slack)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_details")
    slack.wait_for(lambda: slack.views(MGR))
    view = slack.views(MGR)[-1]
    flat = str(view["blocks"])
    assert "What the check measured" in flat and "p zero" in flat and "check: no_payments" in flat
    no_refusals(slack)


def test_acknowledge_can_be_undone_by_the_person_who_did_it_for_a_while(alerted, slack):
    dm = _dm(slack)
    alerted.deps.clock = lambda: AT_D3_0900 + timedelta(minutes=5)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_ack")
    slack.wait_for(lambda: _alert(alerted).state == "acknowledged")
    slack.wait_for(lambda: "can undo this for 30 minutes" in text_of(_dm(slack)))
    # Someone else of the project (the specialist, in the managers' channel) cannot undo it.
    slack.add_member(MGRS, SPEC)
    slack.wait_for(lambda: "can undo this" in text_of(alerts_in(slack.messages(MGRS), "no_payments")[0]))
    [copy] = alerts_in(slack.messages(MGRS), "no_payments")
    slack.click(SPEC, MGRS, copy["ts"], "alert_undo")
    slack.wait_for(lambda: any(f"Only <@{MGR}>" in (e.get("text") or "")
                               for e in slack.ephemerals(MGRS, SPEC)))
    assert _alert(alerted).state == "acknowledged"
    # The manager can, within the window: open again, the buttons back.
    alerted.deps.clock = lambda: AT_D3_0900 + timedelta(minutes=20)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_undo")
    slack.wait_for(lambda: _alert(alerted).state == "open")
    slack.wait_for(lambda: "alert_ack" in str(_dm(slack)["blocks"]))
    with alerted.deps.session_factory() as s:
        assert s.execute(select(Audit).where(Audit.action == "alert_undo")).scalars().one().actor_id == MGR
    assert _alert(alerted).acted_by is None
    # Past the window it says so and changes nothing.
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_ack")
    slack.wait_for(lambda: _alert(alerted).state == "acknowledged")
    slack.wait_for(lambda: "alert_undo" in str(_dm(slack)["blocks"]))
    alerted.deps.clock = lambda: AT_D3_0900 + timedelta(hours=2)
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_undo")
    slack.wait_for(lambda: any("can no longer be undone" in (e.get("text") or "")
                               for e in slack.ephemerals(slack.dm_channel(MGR), MGR)))
    assert _alert(alerted).state == "acknowledged"


def test_a_dismissal_can_be_undone(alerted, slack):
    dm = _dm(slack)
    alerted.deps.clock = lambda: AT_D3_0900
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_dismiss")
    slack.wait_for(lambda: slack.views(MGR))
    slack.submit_view(MGR, slack.views(MGR)[-1]["id"], {"reason": {"reason": "planned IVR maintenance"}})
    slack.wait_for(lambda: _alert(alerted).state == "dismissed")
    slack.wait_for(lambda: "alert_undo" in str(_dm(slack)["blocks"]))
    slack.click(MGR, slack.dm_channel(MGR), dm["ts"], "alert_undo")
    slack.wait_for(lambda: _alert(alerted).state == "open")
    assert _alert(alerted).reason is None
    no_refusals(slack)


def test_the_checklist_counts_one_alert_for_one_message(mbot, slack, sim):
    days = {GOLIVE + timedelta(days=i): {"addon_factor": 0.0} for i in range(1, 4)}
    sim.set_biller(BILLER, profile(overrides=days))
    register(slack)
    tick(mbot, utc(2026, 11, 6, 15, 0))  # three days without payments: one alert, the others folded in
    assert len(alerts_in(dms(slack), "no_payments")) == 1
    checklist = [m for m in slack.messages(PROJ) if "Post-live checklist" in m["text"]][0]
    slack.wait_for(lambda: "1 unacknowledged alert" in text_of(
        [m for m in slack.messages(PROJ) if "Post-live checklist" in m["text"]][0]))
    assert "3 unacknowledged" not in text_of(checklist)
