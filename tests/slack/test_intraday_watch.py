"""The intraday outage watch end to end: an outage of the add-on from 10:00 is
raised the same day as no_payments (the manager's DM, the managers channel),
once; the next morning's daily pass adds no second alert for the day and its
summary names it; night and a day without an outage are quiet, with one small
read per project and hour at most."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Alert
from tests.support.monitoring_support import (
    BILLER, MGRS, TZ, alerts_in, dms, fast_client, no_refusals, profile, register, summary_of, text_of, tick, utc,
)

DAY = date(2026, 11, 17)  # a Tuesday, two weeks after go-live
HISTORY_AT = utc(2026, 11, 17, 14, 0)  # 08:00 in Chicago: the summaries up to 11-16 are done


def local(d: date, hour: float) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(TZ)) + timedelta(hours=hour)


def alerts(bot) -> list[Alert]:
    with bot.deps.session_factory() as s:
        return list(s.execute(select(Alert).where(Alert.check_id == "no_payments").order_by(Alert.id)).scalars())


def watch_hours(bot, sim, d: date, hours) -> list[tuple[float, str]]:
    out = []
    for h in hours:
        when = local(d, h)
        sim.clock_.now = when
        bot.deps.clock = lambda: when
        [r] = bot.deps.monitor.intraday.run(when)
        out.append((h, r.status))
    return out


def with_history(mbot, slack, sim, overrides):
    sim.set_biller(BILLER, profile(overrides=overrides))
    register(slack)
    sim.clock_.now = HISTORY_AT
    tick(mbot, HISTORY_AT)


def test_an_outage_from_ten_is_raised_within_three_hours_once_and_folded_into_the_next_days_pass(mbot, slack, sim):
    with_history(mbot, slack, sim, {DAY: {"outage_from": 10.0}})
    reads = mbot.deps.monitor.intraday.reads
    seen = watch_hours(mbot, sim, DAY, [3, 9, 10, 11, 12, 13, 14, 15])
    assert dict(seen)[3] == "quiet" and dict(seen)[9] in ("quiet", "read")  # night, then an ordinary morning
    raised = [h for h, st in seen if st == "raised"]
    assert len(raised) == 1 and raised[0] <= 13, seen
    assert all(st == "quiet" for h, st in seen if h > raised[0])  # once a day: not even read again
    assert mbot.deps.monitor.intraday.reads - reads <= sum(1 for h, _ in seen if 9 <= h <= raised[0])
    [a] = alerts(mbot)
    assert a.local_date == DAY and a.evidence["intraday"] is True and a.severity == "critical"
    slack.wait_for(lambda: len(alerts_in(dms(slack), "no_payments")) == 1)
    dm = alerts_in(dms(slack), "no_payments")[0]
    assert "No payments on ivr since " in text_of(dm) and " today (" in text_of(dm) and "were expected" in text_of(dm)
    assert alerts_in(slack.messages(MGRS), "no_payments")
    # The next morning: the day is summarised, its alert named, and no second no_payments alert for it.
    morning = utc(2026, 11, 18, 15, 0)
    sim.clock_.now = morning
    tick(mbot, morning)
    assert [x.local_date for x in alerts(mbot)] == [DAY]
    slack.wait_for(lambda: summary_of(slack, DAY))
    assert "no_payments" in text_of(summary_of(slack, DAY)[0])
    assert len(alerts_in(dms(slack), "no_payments")) == 1
    no_refusals(slack)


def test_a_whole_day_outage_raises_once_and_the_daily_zero_run_is_not_a_second_alert(mbot, slack, sim):
    with_history(mbot, slack, sim, {DAY: {"addon_factor": 0.0}})
    seen = watch_hours(mbot, sim, DAY, [8, 9, 10, 11, 12])
    assert any(st == "raised" for _, st in seen), seen
    morning = utc(2026, 11, 18, 15, 0)
    sim.clock_.now = morning
    tick(mbot, morning)
    [a] = alerts(mbot)
    assert a.local_date == DAY and a.evidence.get("intraday") is True
    slack.wait_for(lambda: summary_of(slack, DAY))
    assert len(alerts_in(dms(slack), "no_payments")) == 1


def test_an_ordinary_day_is_read_at_most_once_an_hour_and_never_raised(mbot, slack, sim):
    with_history(mbot, slack, sim, {})
    w = mbot.deps.monitor.intraday
    before = w.reads
    seen = watch_hours(mbot, sim, DAY, range(0, 24))
    assert all(st in ("quiet", "read") for _, st in seen), seen
    assert all(st == "quiet" for h, st in seen if h <= 6)  # not watched at night
    assert w.reads - before == sum(1 for _, st in seen if st == "read") <= 16
    assert alerts(mbot) == []
    # The scheduler's job runs the watch once per hour, whatever the minute ticks.
    n = w.reads
    for m in range(0, 60, 10):
        when = local(DAY, 13) + timedelta(minutes=m)
        sim.clock_.now = when
        w.tick(when)
    assert w.reads - n <= 1


def test_an_unreadable_source_is_no_outage_and_the_next_hour_tries_again(mbot, slack, sim):
    with_history(mbot, slack, sim, {DAY: {"addon_factor": 0.0}})
    mbot.deps.monitor.intraday.source = fast_client(sim.base_url)
    sim.fail_next(503, n=10)
    assert watch_hours(mbot, sim, DAY, [12]) == [(12, "failed")]
    assert alerts(mbot) == []
    sim.clear_faults()
    assert watch_hours(mbot, sim, DAY, [13]) == [(13, "raised")]
    assert len(alerts(mbot)) == 1
