"""The alert DM links to where a manager acts from: the project channel, the
day's summary message (its permalink, once posted) and the Biller Portal's
search (BILLER_PORTAL_URL; unset, the way there in words)."""

from __future__ import annotations

from datetime import timedelta

from tests.support.harness import PROJ
from tests.support.monitoring_support import (
    BILLER, GOLIVE, alerts_in, dms, no_refusals, profile, register, start_bot, summary_of, text_of, tick, utc,
)

D2 = GOLIVE + timedelta(days=1)
AT_D3_0900 = utc(2026, 11, 4, 15, 0)


def _alerted(bot, slack, sim):
    sim.set_biller(BILLER, profile(overrides={D2: {"addon_factor": 0.0}}))
    register(slack)
    tick(bot, AT_D3_0900)
    [dm] = alerts_in(dms(slack), "no_payments")
    return dm


def test_the_alert_links_to_the_days_summary_and_says_the_way_to_the_portal(mbot, slack, sim):
    dm = _alerted(mbot, slack, sim)
    [summary] = summary_of(slack, D2)
    body = text_of(dm)
    # The permalink, in its documented form (what chat.getPermalink answers for that message).
    permalink = f"https://{slack.ws.internal_team.domain}.slack.com/archives/{PROJ}/p{summary['ts'].replace('.', '')}"
    assert f"<{permalink}|the summary of 2026-11-03>" in body
    assert f"<#{PROJ}>" in body  # the project channel
    assert "Search &gt; Payments, biller `CITY-42`, 2026-11-03" in body  # no portal URL set: in words
    no_refusals(slack)


def test_with_biller_portal_url_the_alert_links_to_the_portals_search(db_url, slack, sim):
    bot = start_bot(db_url, slack, sim, BILLER_PORTAL_URL="https://portal.example/search?biller={biller_id}&day={date}")
    try:
        dm = _alerted(bot, slack, sim)
        assert "<https://portal.example/search?biller=CITY-42&amp;day=2026-11-03|search biller CITY-42>" in text_of(dm)
        assert "Search &gt; Payments" not in text_of(dm)
        no_refusals(slack)
    finally:
        bot.stop()
