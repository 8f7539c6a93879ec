"""The intraday outage watch's rule (bot.checks.intraday): the day's plan from
stored days, the silent window whose emptiness is improbable, quiet at night,
on holidays and closed days, and the hour profile learned from history."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.checks import DEFAULTS, CheckContext
from bot.checks import intraday as w
from bot.checks.calendar_days import is_holiday
from bot.summary import DaySummary

from .test_checks import WEEK, stats, summary

# Payments of a human channel by local hour (quiet at night, busy 9-19).
HOURS = (0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 4, 3, 2, 1)


def hourly(n: int, profile=HOURS) -> list[int]:
    tot = sum(profile)
    out = [round(n * x / tot) for x in profile]
    return out


def days_before(d: date, per_day: float, n: int = 35, cal: str = "", closing: bool = False,
                with_hours: bool = True) -> list[DaySummary]:
    out = []
    for i in range(n, 0, -1):
        x = d - timedelta(days=i)
        k = round(per_day * WEEK[x.weekday()])
        if closing and (x.weekday() >= 5 or is_holiday(cal or "US", x)):
            k = 0
        s = summary(x, stats(k))
        out.append(replace(s, addon_hours=hourly(k)) if with_hours else s)
    return out


def ctx(days, cal="", golive=date(2026, 9, 1)) -> CheckContext:
    return CheckContext(days=days, projected_per_day=40, golive=golive, calendar=cal)


TUE = date(2026, 11, 17)


def test_silence_probability_is_poisson_for_small_dispersion_and_wider_for_large():
    assert w.p_silence(7.0, 1e-9) == pytest.approx(2.718281828 ** -7, rel=1e-6)
    assert w.p_silence(7.0, 0.2) > w.p_silence(7.0, 0.02) > w.p_silence(7.0, 1e-9)
    assert w.p_silence(w.needed(0.001, 0.05), 0.05) == pytest.approx(0.001, rel=1e-6)
    assert w.p_silence(0.0, 0.1) == 1.0


def test_the_plan_expects_the_days_level_and_learns_the_usual_hours():
    plan = w.plan_day(ctx(days_before(TUE, 40)), TUE)
    assert plan is not None and plan.learned
    assert plan.expected_day == pytest.approx(40 * 1.1 / (sum(WEEK) / 7), rel=0.1)
    assert plan.usual == (7, 23)  # hours with at least half a flat hour's share (2 of 90 a day and more)
    assert sum(plan.share) == pytest.approx(1.0)


def test_without_hourly_history_the_default_window_is_watched():
    plan = w.plan_day(ctx(days_before(TUE, 40, with_hours=False)), TUE)
    assert plan is not None and not plan.learned and plan.usual == w.DEFAULT_HOURS


def test_a_silent_window_is_found_within_three_hours_at_40_a_day_and_is_quiet_at_night():
    plan = w.plan_day(ctx(days_before(TUE, 40)), TUE)
    t = DEFAULTS["no_payments.intraday_max_p"], DEFAULTS["no_payments.intraday_min_dispersion"]
    assert plan.silent_window(3.0, *t) is None  # night: not watched at all
    assert plan.silent_window(23.5, *t) is None
    since, expected = plan.silent_window(13.0, *t)
    assert 10.0 <= since < 13.0  # silence since 10:xx makes a window at 13:00
    a = max(plan.dispersion, t[1])
    assert w.p_silence(expected, a) < 0.001
    # A later start would not be improbable enough.
    assert w.p_silence(plan.expected_until(13.0) - plan.expected_until(since + 0.25), a) > 0.0005


def test_five_a_day_is_never_improbable_enough_to_alert_within_the_day():
    plan = w.plan_day(ctx(days_before(TUE, 5)), TUE)
    t = DEFAULTS["no_payments.intraday_max_p"], DEFAULTS["no_payments.intraday_min_dispersion"]
    assert all(plan.silent_window(h, *t) is None for h in range(1, 24))


def test_no_plan_on_a_public_holiday_a_closed_weekday_or_before_a_baseline():
    thanksgiving = date(2026, 11, 26)
    assert w.plan_day(ctx(days_before(thanksgiving, 40), cal="US"), thanksgiving) is None
    sat = date(2026, 11, 21)
    assert w.plan_day(ctx(days_before(sat, 40, closing=True, cal="US"), cal="US"), sat) is None
    # Four days since go-live: no baseline of its own yet.
    assert w.plan_day(ctx(days_before(TUE, 40, n=4), golive=TUE - timedelta(days=4)), TUE) is None
    # The Friday after Thanksgiving expects half.
    fri = date(2026, 11, 27)
    plain = w.plan_day(ctx(days_before(fri, 40)), fri)
    eve = w.plan_day(ctx(days_before(fri, 40), cal="US"), fri)
    assert eve.expected_day == pytest.approx(plain.expected_day * w.EVE_FACTOR, rel=0.2)


def test_the_finding_says_since_when_and_how_many_were_expected():
    c = ctx(days_before(TUE, 40))
    plan = w.plan_day(c, TUE)
    since, expected = plan.silent_window(13.0, 0.001, 0.02)
    f = w.finding(c, plan, since, 13.0, expected, "10:40", "13:00", "ivr")
    assert f.check == "no_payments" and f.severity == "critical" and f.evidence["intraday"] is True
    assert f.message.startswith("No payments on ivr since 10:40 today")
    assert f"~{w.about(expected)} were expected" in f.message
    assert f.evidence["p_value"] < 0.001


def test_hour_counts_do_not_change_a_days_fingerprint():
    s = summary(TUE, stats(40))
    assert replace(s, addon_hours=hourly(40)).fingerprint() == s.fingerprint()
    assert DaySummary.from_dict({k: v for k, v in s.to_dict().items() if k != "addon_hours"}).addon_hours == []


def test_the_backtest_replays_the_watch_from_hourly_counts():
    c = ctx(days_before(TUE, 40))
    k = round(40 * WEEK[TUE.weekday()])
    normal = replace(summary(TUE, stats(k)), addon_hours=hourly(k))
    assert w.replay_day(c, normal, "ivr") is None
    down = hourly(k)
    down[10:] = [0] * 14  # the add-on down from 10:00
    f = w.replay_day(c, replace(summary(TUE, stats(sum(down))), addon_hours=down), "ivr")
    assert f is not None and f.check == "no_payments" and f.evidence["intraday"] is True
    assert f.evidence["since"] >= "10:00" and f.evidence["checked_at"] <= "14:00"
    assert w.replay_day(c, summary(TUE, stats(sum(down))), "ivr") is None  # no hourly counts: nothing to replay
