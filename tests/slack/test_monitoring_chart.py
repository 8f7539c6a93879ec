"""The chart in the daily summary, and a catch-up that reads in order, driven
by the scheduler's tick against the local workspace (which refuses a chart
beyond Slack's limits)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import DailySummaryRow
from tests.support.harness import PROJ, SPEC
from tests.support.monitoring_support import (
    BILLER, GOLIVE, alerts_in, catch_up_days, catch_ups, dms, no_refusals, profile, project, register, shown_days,
    summaries, summary_of, text_of, tick,
    utc,
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
    xs = [p["label"] for p in attempts["data"]]
    assert chart["chart"]["axis_config"]["categories"] == xs  # every point's label is a category, in order
    assert len(xs) == 20 and xs[0] == (last - timedelta(days=19)).isoformat()[5:] and xs[-1] == last.isoformat()[5:]
    assert all(p["value"] > 0 for p in attempts["data"])  # the simulated add-on takes about 40 a day
    assert {p["value"] for p in projection["data"]} == {40}
    # The usual level starts once three days before it are known (11-05: 11-02 .. 11-04).
    assert usual["name"].startswith("Usual level") and [p["label"] for p in usual["data"]] == xs[1:]
    # The y values are the day's own summaries' attempts.
    day_attempts = {}
    for m in summaries(slack):
        status = next(b for b in m["blocks"] if b["type"] == "section")["text"]["text"]
        day_attempts[m["text"].split(", ")[1].split(" ")[0][5:]] = int(status.split("*: ")[1].split(" ")[0].replace(",", ""))
    assert [day_attempts[x] for x in xs] == [p["value"] for p in attempts["data"]]
    no_refusals(slack)


def test_more_than_three_missed_days_fold_into_one_catch_up_oldest_first(mbot, slack):
    register(slack)
    tick(mbot, utc(2026, 11, 12, 15, 0))  # the bot was away: 11-02 .. 11-11 are due at once
    assert summaries(slack) == []  # no wall of ten summaries...
    [msg] = catch_ups(slack)  # ...but one message, a line per day, oldest first
    days = [(GOLIVE + timedelta(days=i)).isoformat() for i in range(10)]
    assert catch_up_days(msg) == days
    assert msg["text"].startswith("Payments catch-up for ") and "2026-11-02 to 2026-11-11" in msg["text"]
    chart = _chart(msg)
    assert [p["label"] for p in chart["chart"]["series"][0]["data"]] == [d[5:] for d in days]
    buttons = [b["accessory"] for b in msg["blocks"] if b.get("block_id", "").startswith("day_")]
    assert {b["text"]["text"] for b in buttons} == {"Show day"}
    # Each day is stored once, its row pointing at the catch-up message.
    with mbot.deps.session_factory() as s:
        rows = s.execute(select(DailySummaryRow).where(DailySummaryRow.project_id == project(mbot).id)
                         .order_by(DailySummaryRow.local_date)).scalars().all()
    assert [r.local_date.isoformat() for r in rows] == days
    assert {r.message_ts for r in rows} == {msg["ts"]} and all(r.posted_at is not None for r in rows)
    # The next morning is a day of its own: its own summary, nothing posted again.
    before = len(slack.calls_to("chat.postMessage"))
    tick(mbot, utc(2026, 11, 12, 15, 5))
    assert len(slack.calls_to("chat.postMessage")) == before
    tick(mbot, utc(2026, 11, 13, 15, 0))
    assert [m["text"].split(", ")[1].split(" ")[0] for m in summaries(slack)] == ["2026-11-12"]
    assert len(catch_ups(slack)) == 1
    no_refusals(slack)


def test_show_day_answers_with_that_days_full_summary_to_the_person_who_asked(mbot, slack):
    register(slack)
    tick(mbot, utc(2026, 11, 12, 15, 0))
    [msg] = catch_ups(slack)
    slack.click(SPEC, PROJ, msg["ts"], "summary_show_day", block_id="day_2026-11-05")
    [eph] = slack.wait_for(lambda: [e for e in slack.ephemerals(PROJ, SPEC)
                                    if (e.get("text") or "").startswith("Payments summary")])
    assert ", 2026-11-05 (day 4 since go-live)" in eph["text"]
    assert any(b["type"] == "data_visualization" for b in eph["blocks"])
    assert "Computed now" not in text_of(eph)  # the stored day, not one computed again
    no_refusals(slack)


def test_three_missed_days_keep_one_summary_each_oldest_first(mbot, slack):
    register(slack)
    tick(mbot, utc(2026, 11, 5, 15, 0))  # 11-02 .. 11-04: three days
    days = [m["text"].split(", ")[1].split(" ")[0] for m in summaries(slack)]
    assert days == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert catch_ups(slack) == []
    no_refusals(slack)


def test_alerts_of_a_catch_up_still_reach_the_manager_with_their_notes_in_its_thread(mbot, slack, sim):
    days = {GOLIVE + timedelta(days=i): {"addon_factor": 0.0} for i in range(1, 4)}
    sim.set_biller(BILLER, profile(overrides=days))
    register(slack)
    tick(mbot, utc(2026, 11, 7, 15, 0))  # 11-02 .. 11-06: five days, three without payments
    [msg] = catch_ups(slack)
    [dm] = alerts_in(dms(slack), "no_payments")
    assert "Also seen on 2026-11-04, 2026-11-05" in text_of(dm)
    line = next(b for b in msg["blocks"] if b.get("block_id") == "day_2026-11-03")["text"]["text"]
    assert "no payments where some were expected" in line
    notes = slack.thread(PROJ, msg["ts"])[1:]
    assert len(notes) == 3 and all("check: no_payments" in text_of(n) for n in notes)
    # The DM links to the catch-up that shows the day (its permalink).
    permalink = f"/archives/{PROJ}/p{msg['ts'].replace('.', '')}"
    assert permalink in text_of(dm)
    no_refusals(slack)


def test_a_day_of_a_catch_up_restated_later_edits_the_catch_up_in_place(mbot, slack, sim):
    late = GOLIVE + timedelta(days=4)  # 11-06: five ACH returns the portal reports days later
    sim.set_biller(BILLER, profile(overrides={late: {"returns": 5}}))
    register(slack)
    sim.clock_.now = utc(2026, 11, 7, 15, 0)
    tick(mbot, utc(2026, 11, 7, 15, 0))  # 11-02 .. 11-06 in one catch-up
    [first] = catch_ups(slack)
    line = lambda m: next(b for b in m["blocks"] if b.get("block_id") == f"day_{late.isoformat()}")["text"]["text"]  # noqa: E731
    assert "restated" not in line(first)
    sim.clock_.now = utc(2026, 11, 12, 15, 0)
    tick(mbot, utc(2026, 11, 8, 15, 0))  # 11-07 on its own; judging it reads 11-06 again
    [after] = catch_ups(slack)
    assert after["ts"] == first["ts"] and "restated 2026-11-08" in line(after)
    assert shown_days(slack) == [(GOLIVE + timedelta(days=i)).isoformat() for i in range(6)]
    no_refusals(slack)
