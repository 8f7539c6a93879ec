"""PAYMENTS_API_URL=simulated: the built-in simulated Biller Portal, and every
message built from its numbers says they are simulated; a real source's do not."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.notify import SIMULATED_NOTE
from tests.support.harness import BotHarness
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
