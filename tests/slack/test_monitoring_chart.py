"""The chart in the daily summary, and a catch-up that reads in order, driven
by the scheduler's tick against the local workspace (which refuses a chart
beyond Slack's limits)."""

from __future__ import annotations

from datetime import timedelta

from tests.support.monitoring_support import (
    GOLIVE, no_refusals, register, summaries, summary_of, tick, utc,
)


def _chart(msg) -> dict:
    [chart] = [b for b in msg["blocks"] if b["type"] == "data_visualization"]
    return chart


def test_a_project_live_20_days_shows_its_last_20_days_beside_the_projection(mbot, slack):
    register(slack)
    for i in range(1, 23):  # 09:00 Chicago each morning: one more day summarised
        tick(mbot, utc(2026, 11, 2, 15, 0) + timedelta(days=i))
    last = GOLIVE + timedelta(days=21)
    [msg] = summary_of(slack, last)
    chart = _chart(msg)
    attempts, projection, usual = chart["chart"]["series"]
    xs = [p["x"] for p in attempts["points"]]
    assert len(xs) == 20 and xs[0] == (last - timedelta(days=19)).isoformat()[5:] and xs[-1] == last.isoformat()[5:]
    assert all(p["y"] > 0 for p in attempts["points"])  # the simulated add-on takes about 40 a day
    assert {p["y"] for p in projection["points"]} == {40}
    # The usual level starts once three days before it are known (11-05: 11-02 .. 11-04).
    assert usual["name"].startswith("Usual level") and [p["x"] for p in usual["points"]] == xs[1:]
    # The y values are the day's own summaries' attempts.
    day_attempts = {}
    for m in summaries(slack):
        status = next(b for b in m["blocks"] if b["type"] == "section")["text"]["text"]
        day_attempts[m["text"].split(", ")[1].split(" ")[0][5:]] = int(status.split("*: ")[1].split(" ")[0].replace(",", ""))
    assert [day_attempts[x] for x in xs] == [p["y"] for p in attempts["points"]]
    no_refusals(slack)


def test_a_catch_up_posts_the_missed_days_oldest_first(mbot, slack):
    register(slack)
    tick(mbot, utc(2026, 11, 12, 15, 0))  # the bot was away: 11-02 .. 11-11 are due at once
    days = [m["text"].split(", ")[1].split(" ")[0] for m in summaries(slack)]
    assert days == [(GOLIVE + timedelta(days=i)).isoformat() for i in range(10)]
    no_refusals(slack)
