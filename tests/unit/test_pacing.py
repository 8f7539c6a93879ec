"""The gateway's pacing by Slack's rate limits (bot.pacing): background callers wait for their
share and leave a reserve for people; people never wait; a 429 holds the background for
Retry-After and is counted by method in /metrics. A fake clock: no test waits."""

from __future__ import annotations

from bot.metrics import Metrics
from bot.pacing import MARGIN, POST, Pacer


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def pacer() -> tuple[Pacer, FakeTime]:
    t = FakeTime()
    return Pacer(clock=t.clock, sleep=t.sleep), t


def test_background_keeps_to_the_tier_rate_and_leaves_a_reserve():
    p, t = pacer()
    for _ in range(200):
        p.before("conversations.info", background=True)
    # A burst of less than a minute's worth (a reserve of the bucket stays unspent), then
    # 50 a minute (Tier 3) at a margin below.
    rate = 50 * MARGIN / 60.0
    assert (200 - 50) / rate <= t.now - 1000.0 <= (200 - 30) / rate
    start = t.now
    for _ in range(100):
        p.before("conversations.info", background=True)
    assert abs((t.now - start) - 100 / rate) < 2
    # After that, a person still finds tokens: nothing they do waits.
    before = t.now
    for _ in range(5):
        assert p.before("conversations.info", background=False) == 0.0
    assert t.now == before


def test_people_never_wait_even_when_the_bucket_is_empty_and_the_background_pays_for_it():
    p, t = pacer()
    for _ in range(100):
        assert p.before("chat.update", background=False) == 0.0
    assert t.slept == []
    waited = p.before("chat.update", background=True)
    assert waited > 30  # the background waits until what people spent has refilled, plus its reserve


def test_posts_are_paced_per_channel():
    p, t = pacer()
    for _ in range(10):
        p.before(POST, "C1", background=True)
    c1 = t.now - 1000.0
    assert 7 <= c1 <= 11  # about one a second, after a short burst
    start = t.now
    p.before(POST, "C2", background=True)  # another channel has its own bucket
    assert t.now == start


def test_a_429_holds_the_background_for_retry_after_and_is_counted():
    p, t = pacer()
    p.before("conversations.history", background=True)
    p.limited("conversations.history", retry_after=30)
    waited = p.before("conversations.history", background=True)
    assert waited >= 30
    assert p.before("conversations.history", background=False) == 0.0  # people are not held
    p.limited(POST, "C1", retry_after=1)
    assert p.counts() == {"conversations.history": 1, POST: 1}
    text = Metrics(ratelimited=p.counts).render().decode()
    assert 'addon_bot_slack_ratelimited_total{method="conversations.history"} 1.0' in text
    assert f'addon_bot_slack_ratelimited_total{{method="{POST}"}} 1.0' in text


def test_methods_without_a_known_tier_are_not_paced():
    p, t = pacer()
    for _ in range(500):
        p.before("files.upload", background=True)
    assert t.slept == []


def test_the_gateway_shares_one_pacer_and_the_channel_facts_across_copies():
    from bot.gateway import Gateway

    g = Gateway(token="xoxb-1", base_url="http://127.0.0.1:9/")
    g.channel_facts = object()
    copy = g.copy_for(background=True)
    assert copy.pacer is g.pacer and copy.channel_facts is g.channel_facts
    assert copy.background and not g.background
