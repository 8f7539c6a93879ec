"""The checks and the calendar: public holidays and learned closed days are not
outages nor low days, the first weekend is judged softly, weekday factors are
robust to one odd day, and a sustained slump is found by the pooled test."""

from __future__ import annotations

from dataclasses import replace as dc_replace
from datetime import date, timedelta

import pytest

from bot.checks import CHECKS, CheckContext, flagged_dates, run_checks
from bot.checks.calendar_days import closed_on, closed_weekdays, is_holiday, parse_calendar, parse_closed_dates
from bot.checks.rhythm import day_calendar, rhythm
from bot.commands import NewProject, parse
from bot.errors import BadInput
from bot.summary import DaySummary

from .test_checks import WEEK, stats, summary

# A biller whose channel closes on weekends and public holidays (ACH, a counter).
WEEKDAYS = (1.1, 1.0, 1.0, 1.0, 0.9, 0.0, 0.0)


def closing_days(per_day: float, first: date, last: date, cal: str = "US") -> list[DaySummary]:
    out, d = [], first
    while d <= last:
        n = 0 if is_holiday(cal, d) else round(per_day * WEEKDAYS[d.weekday()])
        out.append(summary(d, stats(n)))
        d += timedelta(days=1)
    return out


def open_days(per_day: float, first: date, last: date) -> list[DaySummary]:
    out, d = [], first
    while d <= last:
        out.append(summary(d, stats(round(per_day * WEEK[d.weekday()]))))
        d += timedelta(days=1)
    return out


def ctx(days, projected, golive, cal="US") -> CheckContext:  # noqa: D103
    return CheckContext(days=days, projected_per_day=projected, golive=golive, calendar=cal)


def replay(days, projected, golive, cal="US") -> list[tuple[date, str]]:
    out = []
    for i in range(len(days)):
        if days[i].local_date < golive:
            continue
        out += [(days[i].local_date, f.check) for f in run_checks(ctx(days[max(0, i - 42): i + 1], projected, golive, cal),
                                                                  strict=True)]
    return out


# ---- the calendar itself ---------------------------------------------------------------
def test_parse_calendar_accepts_countries_and_subdivisions_and_refuses_the_rest():
    assert parse_calendar("us") == "US"
    assert parse_calendar("US-MA") == "US-MA"
    assert parse_calendar("ca-on") == "CA-ON"
    for bad in ("", "USA", "ZZ", "US-XX", "1"):
        with pytest.raises(ValueError):
            parse_calendar(bad)
    assert is_holiday("US", date(2026, 11, 26)) and not is_holiday("US", date(2026, 11, 27))
    assert is_holiday("US-MA", date(2026, 4, 20))  # Patriots' Day, Massachusetts only
    assert not is_holiday("US", date(2026, 4, 20))


def test_closed_weekdays_are_learned_and_one_outage_does_not_close_a_weekday():
    days = closing_days(40, date(2026, 9, 7), date(2026, 10, 4))
    closed, seen = closed_weekdays("US", [(s.local_date, s.addon.attempts) for s in days])
    assert closed == {5, 6} and all(seen)
    # One zero Tuesday among busy ones is an outage, not a closure.
    series = [(s.local_date, 0 if s.local_date == date(2026, 9, 15) else s.addon.attempts) for s in days]
    assert closed_weekdays("US", series)[0] == {5, 6}


def test_calendar_key_on_addon_new():
    base = "new biller=B1 addon=IVR golive=2026-12-01 projected=40 manager=<@U1>"
    cmd = parse(base + " calendar=us-ma")
    assert isinstance(cmd, NewProject) and cmd.calendar == "US-MA"
    assert parse(base).calendar is None
    with pytest.raises(BadInput) as e:
        parse(base + " calendar=Narnia")
    assert "calendar=" in str(e.value) and "ISO country code" in str(e.value)


# ---- closed days -------------------------------------------------------------------------
def test_a_channel_that_closes_on_weekends_and_holidays_raises_nothing_over_months():
    golive = date(2026, 9, 1)  # Tuesday; Labor Day was 7 September, Thanksgiving 26 November, Christmas
    days = closing_days(40, golive, date(2027, 1, 15))
    assert replay(days, 40, golive) == []
    # Without the holiday calendar the closed holidays read as outages: the calendar is what keeps it quiet.
    assert any(c == "no_payments" for _, c in replay(days, 40, golive, cal=""))


def test_the_first_weekend_after_go_live_is_judged_softly_and_a_real_outage_is_still_found():
    golive = date(2026, 9, 2)  # a Wednesday: Saturday and Sunday are unseen weekdays
    days = closing_days(40, golive, date(2026, 10, 2))
    assert replay(days[:10], 40, golive) == []
    # The add-on breaks on the second Thursday: found that day, closed days in the run are not counted.
    out = [summary(s.local_date, stats(0)) if s.local_date >= date(2026, 9, 10) else s for s in days]
    found = [(d, c) for d, c in replay(out, 40, golive) if c == "no_payments"]
    assert found and found[0][0] == date(2026, 9, 10)
    f = run_checks(ctx(out[: (date(2026, 9, 14) - golive).days + 1], 40, golive), strict=True)
    np = next(x for x in f if x.check == "no_payments")
    assert np.evidence["zero_days"] == 3 and np.evidence["closed_days_within"] == 2
    assert "expected closed or a holiday" in np.message


def test_a_holiday_on_an_always_open_channel_is_neither_a_zero_day_nor_a_low_day():
    golive = date(2026, 9, 1)
    days = open_days(60, golive, date(2026, 12, 31))
    # Thanksgiving empty, the Friday after at a third: nothing fires on them or the days after.
    tg, fri = date(2026, 11, 26), date(2026, 11, 27)
    days = [summary(s.local_date, stats(0)) if s.local_date == tg
            else summary(s.local_date, stats(s.addon.attempts // 3)) if s.local_date == fri else s for s in days]
    assert [x for x in replay(days, 60, golive) if x[0] >= tg] == []
    assert [x for x in replay(days, 60, golive, cal="") if x[0] >= tg]  # without the calendar it did fire


# ---- robust rhythm ------------------------------------------------------------------------
def test_one_odd_monday_does_not_bend_the_monday_factor():
    golive = date(2026, 9, 1)
    days = open_days(50, golive, date(2026, 9, 28))
    odd = date(2026, 9, 21)  # a Monday at a fifth of its usual
    days = [summary(s.local_date, stats(s.addon.attempts // 5)) if s.local_date == odd else s for s in days]
    rh = rhythm(ctx(days, 50, golive), date(2026, 9, 28))
    true_monday = WEEK[0] / (sum(WEEK) / 7)
    assert rh.factor[0] == pytest.approx(true_monday, rel=0.1)
    # ... so the next ordinary Monday (the judged day) is not a surge.
    assert days[-1].local_date.weekday() == 0 and CHECKS["above_projection"](ctx(days, 50, golive)) is None


# ---- pooled slump ----------------------------------------------------------------------------
def test_a_slow_slump_at_six_tenths_is_found_by_the_pooled_test_and_says_how_long_and_how_far():
    golive = date(2026, 9, 1)
    days = open_days(40, golive, date(2026, 10, 31))
    start = date(2026, 10, 20)
    slumped = [summary(s.local_date, stats(round(s.addon.attempts * 0.6))) if s.local_date >= start else s
               for s in days]
    found = [(d, c) for d, c in replay(slumped, 40, golive) if c == "drop_vs_baseline"]
    assert found and found[0][0] <= start + timedelta(days=6)
    i = [s.local_date for s in slumped].index(found[0][0])
    f = next(x for x in run_checks(ctx(slumped[max(0, i - 42): i + 1], 40, golive), strict=True)
             if x.check == "drop_vs_baseline")
    assert f.evidence["pooled"] is True and 0.5 <= f.evidence["share_of_expected"] <= 0.7
    assert "days)" in f.message and "below the add-on's usual" in f.message
    # No single day is below half its expected count: without the pooled test nothing would fire.
    off = {"drop_vs_baseline.pooled_z": 1e9}
    assert not [f for i in range(len(slumped)) for f in run_checks(
        CheckContext(days=slumped[max(0, i - 42): i + 1], projected_per_day=40, golive=golive, calendar="US",
                     thresholds=off), strict=True) if f.check in ("drop_vs_baseline", "below_projection")]
    # And the unslumped history is quiet.
    assert replay(days, 40, golive) == []


# ---- Nacha return rates ------------------------------------------------------------------------
def _with_codes(s: DaySummary, codes: dict[str, int]) -> DaySummary:
    a = stats(s.addon.attempts, returned=sum(codes.values()))
    a.return_codes = dict(codes)
    return summary(s.local_date, a)


def test_nacha_unauthorized_rate_over_sixty_days_is_reported_with_category_and_codes():
    golive = date(2026, 9, 1)
    days = open_days(40, golive, date(2026, 10, 30))  # about 12 ACH payments a day
    # One unauthorized return every fourth day: 15 over 60 days among ~720 ACH payments (~2 %), never many on a day.
    days = [_with_codes(s, {"R10": 1}) if i % 4 == 0 else s for i, s in enumerate(days)]
    last = len(days) - 1
    while days[last].addon.returned == 0:
        last -= 1
    c = CheckContext(days=days[last - 28: last + 1], lookback=days[:last - 28], projected_per_day=40,
                     golive=golive, calendar="US")
    f = CHECKS["returns"](c)
    assert f is not None and f.severity == "critical"
    assert "Nacha unauthorized return rate" in f.message and "R10" in f.message and "0.5%" in f.message
    b = f.evidence["nacha"][0]
    assert b["category"] == "unauthorized" and b["codes"] == {"R10": b["returns"]} and b["days"] == last + 1 <= 60
    # Without the older stored days the same returns are too few to say the rate is over the threshold.
    short = CheckContext(days=days[last - 6: last + 1], projected_per_day=40, golive=golive, calendar="US")
    assert CHECKS["returns"](short) is None
    # Administrative returns at that rate are within Nacha's 3 %.
    admin = [_with_codes(s, {"R03": 1}) if s.addon.returned else s for s in days]
    c2 = CheckContext(days=admin[last - 28: last + 1], lookback=admin[:last - 28], projected_per_day=40,
                      golive=golive, calendar="US")
    assert CHECKS["returns"](c2) is None


# ---- the biller's own closed dates, learned closures, flagged days --------------------------
def test_closed_dates_are_parsed_canonically_and_bad_ones_refused():
    assert parse_closed_dates(" 12-31, 12-24,2026-11-27, 12-24") == "12-24,12-31,2026-11-27"
    assert parse_closed_dates("02-29") == "02-29"
    for bad in ("", "13-01", "12/24", "2026-02-30", "christmas", ",".join(["01-01"] * 30)):
        with pytest.raises(ValueError):
            parse_closed_dates(bad)
    dates = frozenset(parse_closed_dates("12-24,2026-11-27").split(","))
    assert closed_on(dates, date(2027, 12, 24)) and closed_on(dates, date(2026, 11, 27))
    assert not closed_on(dates, date(2027, 11, 27)) and not closed_on(frozenset(), date(2026, 12, 24))


def test_closed_key_on_addon_new_and_a_clear_answer_for_a_bad_date():
    base = "new biller=B1 addon=IVR golive=2026-12-01 projected=40 manager=<@U1>"
    assert parse(base + " closed=12-31,12-24").closed_dates == "12-24,12-31"
    with pytest.raises(BadInput) as e:
        parse(base + " closed=12-32")
    assert "closed=" in str(e.value) and "`12-32` is not a date" in str(e.value)


def test_a_given_closed_date_is_no_outage_and_without_it_the_zero_is_one():
    golive = date(2026, 9, 1)
    days = open_days(40, golive, date(2026, 10, 20))
    off = date(2026, 10, 20)  # a Tuesday the biller closes, not a public holiday
    days[-1] = summary(off, stats(0))
    c = CheckContext(days=days, projected_per_day=40, golive=golive, calendar="US")
    assert "no_payments" in [f.check for f in run_checks(c, strict=True)]
    c = CheckContext(days=days, projected_per_day=40, golive=golive, calendar="US", closed_dates=frozenset({"10-20"}))
    assert run_checks(c, strict=True) == []


def test_a_past_date_with_every_channel_closed_is_learned_closed_and_not_a_low_day():
    golive = date(2026, 9, 1)
    days = open_days(40, golive, date(2026, 10, 20))
    shut = date(2026, 10, 13)
    i = next(k for k, s in enumerate(days) if s.local_date == shut)
    days[i] = dc_replace(days[i], addon=stats(0), total=stats(0))  # every channel closed that day
    cal = day_calendar(CheckContext(days=days, projected_per_day=40, golive=golive), date(2026, 10, 21))
    assert cal.kind(shut) == "closed" and cal.kind(date(2026, 10, 14)) == "open"
    # The add-on alone at zero (the other channels busy) is not a closure: that is an outage.
    days[i] = summary(shut, stats(0))
    cal = day_calendar(CheckContext(days=days, projected_per_day=40, golive=golive), date(2026, 10, 21))
    assert cal.kind(shut) == "open"


def test_a_flagged_day_is_left_out_of_the_weekday_factors():
    golive = date(2026, 9, 1)
    days = open_days(40, golive, date(2026, 10, 26))
    # Most Mondays had an outage already told (alerts raised on them).
    mondays = [s.local_date for s in days if s.local_date.weekday() == 0][1:-1]
    days = [summary(s.local_date, stats(3)) if s.local_date in mondays else s for s in days]
    before = date(2026, 10, 27)
    bent = rhythm(CheckContext(days=days, projected_per_day=40, golive=golive), before)
    kept = rhythm(CheckContext(days=days, projected_per_day=40, golive=golive, flagged=frozenset(mondays)), before)
    true = 1.15 / (sum((1.15, 1.1, 1.05, 1.05, 1.1, 0.8, 0.75)) / 7)
    assert bent.factor[0] < 0.85 * true
    assert kept.factor[0] == pytest.approx(true, rel=0.1)


def test_an_alerts_days_are_flagged_from_its_evidence():
    d = date(2026, 10, 20)
    assert flagged_dates("no_payments", d, {"first_zero_date": "2026-10-18"}) == {
        date(2026, 10, 18), date(2026, 10, 19), d}
    assert flagged_dates("drop_vs_baseline", d, {"first_date": "2026-10-16", "pooled": True}) == {
        d - timedelta(days=i) for i in range(5)}
    assert flagged_dates("below_projection", d, {"dates": ["2026-10-19", "2026-10-20"]}) == {d - timedelta(days=1), d}
    assert flagged_dates("failure_rate", d, {"dates": ["2026-10-19"]}) == frozenset()  # not about the volume
    assert flagged_dates("no_payments", d, {"first_zero_date": "garbage"}) == {d}
    assert flagged_dates("no_payments", d, {"first_zero_date": "2025-01-01"}) == {d}  # beyond the span: only d


def test_a_zero_run_already_told_does_not_read_as_a_slump_in_the_days_after():
    golive = date(2026, 9, 1)
    days = open_days(40, golive, date(2026, 10, 31))
    run = [date(2026, 10, 19) + timedelta(days=i) for i in range(5)]  # five zero days, told as no_payments
    days = [summary(s.local_date, stats(0)) if s.local_date in run else s for s in days]
    after = date(2026, 10, 26)
    i = next(k for k, s in enumerate(days) if s.local_date == after)
    # Ordinary days after the run, a little low (0.75x) as an add-on that comes back often is.
    days[i - 1] = summary(days[i - 1].local_date, stats(round(days[i - 1].addon.attempts * 0.75)))
    days[i] = summary(after, stats(round(days[i].addon.attempts * 0.75)))
    told = frozenset(run)
    c = lambda flagged: CheckContext(days=days[:i + 1], projected_per_day=40, golive=golive, flagged=flagged)  # noqa: E731
    assert "drop_vs_baseline" in [f.check for f in run_checks(c(frozenset()), strict=True)]
    assert "drop_vs_baseline" not in [f.check for f in run_checks(c(told), strict=True)]
