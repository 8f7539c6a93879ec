"""PAYMENTS_API_URL=simulated: the built-in simulated Biller Portal, and every
message built from its numbers says they are simulated; a real source's do not."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.notify import SIMULATED_NOTE
from tests.support.harness import PROJ, SPEC, BotHarness
from tests.support.monitoring_support import register, summaries, text_of, tick

AT_D2_0900 = datetime(2026, 11, 3, 15, 0, tzinfo=timezone.utc)  # 09:00 in Chicago, the day after go-live


def test_simulated_payments_say_so_in_the_summary(db_url, slack):
    h = BotHarness(db_url, slack, PAYMENTS_API_URL="simulated").start()
    try:
        assert h.deps.notifier.data_note == SIMULATED_NOTE
        register(slack)
        tick(h, AT_D2_0900)
        slack.wait_for(lambda: summaries(slack))
        msg = summaries(slack)[0]
        assert msg["text"].endswith(SIMULATED_NOTE)
        assert "Simulated data" in text_of(msg)
    finally:
        h.stop()


def test_a_real_source_does_not(mbot, slack):
    assert mbot.deps.notifier.data_note is None
    register(slack)
    tick(mbot, AT_D2_0900)
    slack.wait_for(lambda: summaries(slack))
    assert "Simulated data" not in text_of(summaries(slack)[0])


def test_the_summary_on_request_says_it_is_simulated_too(db_url, slack):
    h = BotHarness(db_url, slack, PAYMENTS_API_URL="simulated").start()
    try:
        register(slack)
        h.deps.clock = lambda: AT_D2_0900
        slack.command(SPEC, PROJ, "summary 2026-11-02")  # not posted yet: computed now, for the asker only
        [eph] = slack.wait_for(lambda: [e for e in slack.ephemerals(PROJ, SPEC)
                                        if (e.get("text") or "").startswith("Payments summary")])
        assert eph["text"].endswith(SIMULATED_NOTE) and "Simulated data" in text_of(eph)
    finally:
        h.stop()


def test_a_real_sources_summary_on_request_does_not_say_so(mbot, slack):
    register(slack)
    mbot.deps.clock = lambda: AT_D2_0900
    slack.command(SPEC, PROJ, "summary 2026-11-02")
    [eph] = slack.wait_for(lambda: [e for e in slack.ephemerals(PROJ, SPEC)
                                    if (e.get("text") or "").startswith("Payments summary")])
    assert "Simulated data" not in text_of(eph)
