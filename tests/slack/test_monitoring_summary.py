"""Daily summaries driven by the scheduler's tick at a controlled time, posted
to the local Slack workspace from a loopback payments simulator."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from storage import repo
from storage.models import Alert, DailySummaryRow, Post
from tests.support.harness import MGR, PROJ, SPEC
from tests.support.monitoring_support import (
    BILLER, GOLIVE, MGRS, TZ, alerts_in, contexts, dms, no_refusals, profile, project, register, start_bot,
    catch_ups, shown_days, summaries, summary_of, text_of, tick, utc,
)

D1, D2 = GOLIVE, GOLIVE + timedelta(days=1)
# 09:00 in Chicago (CST, UTC-6) on the day after D1
AT_D2_0900 = utc(2026, 11, 3, 15, 0)


def test_summary_is_posted_once_after_summary_time_and_names_its_date(mbot, slack):
    register(slack)
    tick(mbot, AT_D2_0900 - timedelta(minutes=1))  # 08:59 local: not yet
    assert summaries(slack) == []
    tick(mbot, AT_D2_0900)
    assert len(summaries(slack)) == 1
    msg = summary_of(slack, D1)[0]
    text = text_of(msg)
    assert "2026-11-02" in text and "day 1 since go-live" in text
    assert "*IVR* (the add-on)" in text and "*All channels* (for comparison)" in text
    assert "*Against the projection* (40 payments/day)" in text and "$" in text
    with mbot.deps.session_factory() as s:
        row = s.execute(select(DailySummaryRow)).scalars().one()
        assert (row.message_ts, row.channel_id, row.claimed_by) == (msg["ts"], PROJ, None)
        assert row.data["local_date"] == "2026-11-02" and row.source_ok and row.posted_at is not None
    # Ticks later the same day post nothing more.
    tick(mbot, AT_D2_0900 + timedelta(minutes=1))
    tick(mbot, AT_D2_0900 + timedelta(hours=5))
    assert len(summaries(slack)) == 1
    # The checklist shows the days monitored and the latest summary line.
    checklist = [m for m in slack.messages(PROJ) if "Post-live checklist" in m["text"]][0]
    assert "Days monitored: 1" in text_of(checklist)
    assert "Latest summary 2026-11-02 (day 1)" in text_of(checklist)
    no_refusals(slack)


def test_summary_numbers_are_exact_on_a_day_that_lasts_25_hours(mbot, slack, sim):
    # 2026-11-01: US daylight saving time ends; Chicago's day runs 05:00Z .. 06:00Z next day.
    sim.set_biller(BILLER, profile(golive=date(2026, 11, 1)))
    register(slack, f"new biller={BILLER} addon=IVR golive=2026-11-01 projected=40 manager=<@{MGR}|m> "
                    f"channel=ivr specialist=<@{SPEC}|s> tz={TZ}")
    start, end = utc(2026, 11, 1, 5), utc(2026, 11, 2, 6)
    ivr = dict(attempts=0, approved=0, failed=0, cents=0)
    total = 0
    for pay in sim.iter_payments(BILLER, start, end):
        total += 1
        if pay["channel"] != "ivr":
            continue
        ivr["attempts"] += 1
        if pay["status"] == "approved":
            ivr["approved"] += 1
            ivr["cents"] += pay["amount_cents"]
        elif pay["status"] in ("declined", "failed"):
            ivr["failed"] += 1
    assert ivr["attempts"] > 20 and total > 300
    tick(mbot, utc(2026, 11, 2, 15, 0))
    text = text_of(summary_of(slack, date(2026, 11, 1))[0])
    assert f"{ivr['attempts']:,} attempts · {ivr['approved']:,} approved · {ivr['failed']:,} declined/failed" in text
    money = f"${ivr['cents'] // 100:,}.{ivr['cents'] % 100:02d}"
    assert f"approved volume {money}" in text
    assert f"\n{total:,} attempts ·" in text  # all channels
    assert f"Local day 2026-11-01 in {TZ} (25 h)" in text


def test_an_outage_is_reported_as_source_unavailable_and_caught_up_later(mbot, slack, sim):
    register(slack)
    sim.set_down(True)
    tick(mbot, AT_D2_0900)
    [msg] = summary_of(slack, D1)
    assert "could not be read" in text_of(msg) and "not* the same as no payments" in text_of(msg)
    [dm] = alerts_in(dms(slack), "source_unavailable")
    assert f"check: source_unavailable · project {project(mbot).id}" in "\n".join(contexts(dm))
    assert "2026-11-02" in "\n".join(contexts(dm))
    assert alerts_in(dms(slack), "no_payments") == []  # never confused with no payments
    sim.set_down(False)
    tick(mbot, AT_D2_0900 + timedelta(minutes=10))  # too soon to read the day again
    assert "could not be read" in text_of(summary_of(slack, D1)[0])
    tick(mbot, AT_D2_0900 + timedelta(minutes=31))
    [again] = summary_of(slack, D1)  # the same message, edited with the numbers
    assert again["ts"] == msg["ts"] and "attempts ·" in text_of(again)
    [dm] = alerts_in(dms(slack), "source_unavailable")
    assert "Resolved automatically" in text_of(dm) and "read on a later run" in text_of(dm)
    with mbot.deps.session_factory() as s:
        a = s.execute(select(Alert)).scalars().one()
        assert (a.check_id, a.state) == ("source_unavailable", "resolved")
        assert repo.snapshot(s, project(mbot)).days_monitored == 1
    no_refusals(slack)


def test_a_day_whose_numbers_change_later_is_edited_in_place(mbot, slack, sim):
    # Five ACH returns on D1 that the portal only reports 2-5 days later.
    sim.set_biller(BILLER, profile(overrides={D1: {"returns": 5}}))
    register(slack)
    sim.clock_.now = AT_D2_0900
    tick(mbot, AT_D2_0900)
    [first] = summary_of(slack, D1)
    assert "restated" not in text_of(first)
    sim.clock_.now = utc(2026, 11, 9, 15)
    tick(mbot, utc(2026, 11, 4, 15, 0))  # judging D2 reads D1 again
    [after] = summary_of(slack, D1)
    assert after["ts"] == first["ts"]
    assert "restated 2026-11-04" in text_of(after) and "of which ACH returns" in text_of(after)
    updates = [c for c in slack.calls_to("chat.update") if c.get("ts") == first["ts"]]
    assert updates
    assert len(summaries(slack)) == 2  # D1 (edited) and D2
    no_refusals(slack)


def test_days_missed_while_down_are_caught_up_once_each(mbot, slack):
    register(slack)
    tick(mbot, utc(2026, 11, 7, 15, 30))  # five days due at once: 11-02 .. 11-06, one catch-up
    assert shown_days(slack) == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]
    tick(mbot, utc(2026, 11, 7, 15, 31))
    assert len(shown_days(slack)) == 5 and len(catch_ups(slack)) == 1 and summaries(slack) == []


def test_two_instances_ticking_together_post_each_summary_once(db_url, slack, sim):
    sim.set_biller(BILLER, profile(overrides={D2: {"addon_factor": 0.0}}))
    a = start_bot(db_url, slack, sim)
    b = start_bot(db_url, slack, sim)
    try:
        register(slack)
        now = utc(2026, 11, 4, 15, 0)
        a.deps.clock = b.deps.clock = lambda: now
        go = threading.Barrier(2)
        errors = []

        def run(bot):
            try:
                go.wait()
                bot.deps.monitor.tick(now)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=run, args=(x,)) for x in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert len(summary_of(slack, D1)) == 1 and len(summary_of(slack, D2)) == 1
        assert len(alerts_in(dms(slack), "no_payments")) == 1
        assert len(alerts_in(slack.messages(MGRS), "no_payments")) == 1
        # A restart (a third instance) ticking again posts nothing new.
        a.stop()
        c = start_bot(db_url, slack, sim)
        try:
            before = len(slack.calls_to("chat.postMessage"))
            tick(c, now + timedelta(minutes=2))
            assert len(slack.calls_to("chat.postMessage")) == before
        finally:
            c.stop()
    finally:
        b.stop()
        try:
            a.stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass


def test_completed_projects_are_never_summarised(mbot, slack):
    register(slack)
    with repo.transaction(mbot.deps.session_factory) as s:
        p = project(mbot)
        assert repo.complete(s, p, SPEC)
    tick(mbot, utc(2026, 11, 6, 15, 0))
    assert summaries(slack) == []
    with mbot.deps.session_factory() as s:
        assert s.execute(select(func.count()).select_from(DailySummaryRow)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Post)).scalar_one() == 0


def test_nothing_before_go_live(mbot, slack):
    register(slack)
    tick(mbot, utc(2026, 11, 2, 15, 0))  # go-live day itself is not over
    assert summaries(slack) == []


def test_slash_summary_answers_from_storage_or_computes_without_posting(mbot, slack):
    register(slack)
    tick(mbot, AT_D2_0900)
    posted = len(summaries(slack))
    slack.command(SPEC, PROJ, "summary 2026-11-02")
    slack.wait_for(lambda: any("2026-11-02" in (e.get("text") or "") for e in slack.ephemerals(PROJ, SPEC)))
    mbot.deps.clock = lambda: utc(2026, 11, 8, 15)
    slack.command(SPEC, PROJ, "summary")  # yesterday: 2026-11-07, not stored
    slack.wait_for(lambda: any("2026-11-07" in (e.get("text") or "") for e in slack.ephemerals(PROJ, SPEC)))
    eph = [e for e in slack.ephemerals(PROJ, SPEC) if "2026-11-07" in (e.get("text") or "")][-1]
    assert "Computed now for you only" in text_of(eph)
    assert len(summaries(slack)) == posted
    with mbot.deps.session_factory() as s:
        assert s.execute(select(func.count()).select_from(DailySummaryRow)).scalar_one() == 1
    slack.command(SPEC, PROJ, "summary 2026-10-30")
    slack.wait_for(lambda: any("went live on 2026-11-02" in (e.get("text") or "")
                               for e in slack.ephemerals(PROJ, SPEC)))
    no_refusals(slack)


def test_a_quiet_day_posts_its_summary_and_leaves_the_checklist_alone(mbot, slack):
    """The checklist is edited (chat.update, Tier 3) when what it shows changes apart from the
    day's figures: the first summary redraws it, a second ordinary day does not, and the next
    change (an item) redraws it with the latest figures."""
    register(slack)
    tick(mbot, AT_D2_0900)
    checklist = [m for m in slack.messages(PROJ) if "Post-live checklist" in m["text"]][0]
    slack.wait_for(lambda: "Latest summary 2026-11-02 (day 1)" in text_of(slack.message(PROJ, checklist["ts"])))

    def edits() -> int:
        return sum(1 for c in slack.calls_to("chat.update") if c.get("ts") == checklist["ts"])

    before = edits()
    tick(mbot, AT_D2_0900 + timedelta(days=1))
    assert len(summaries(slack)) == 2  # day 2's summary is posted
    assert edits() == before  # and the checklist is not touched for its figures alone
    assert "Latest summary 2026-11-02 (day 1)" in text_of(slack.message(PROJ, checklist["ts"]))
    slack.command(SPEC, PROJ, "item Receipt shows the old logo")
    slack.wait_for(lambda: "Receipt shows the old logo" in text_of(slack.message(PROJ, checklist["ts"])))
    shown = text_of(slack.message(PROJ, checklist["ts"]))
    assert "Latest summary 2026-11-03 (day 2)" in shown and "Days monitored: 2" in shown
    no_refusals(slack)
