"""Nudges' pure rules: business days on a project's calendar, working hours,
snoozes, periods, and which reminders are due for whom."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from bot.nudges.rules import (
    NudgeFacts, OpenItem, Thresholds, add_business_days, business_days_after, due_nudges, in_working_hours,
    is_business_day, parse_hours, period_of, quiet_days, recipients, snooze_until,
)
from bot.settings import SettingsError, load_settings

HOURS = (time(9), time(17))
TH = Thresholds()


def facts(**kw) -> NudgeFacts:
    base = dict(project_id=1, calendar="US", locked=False, monitor_done=False, handoff_done=False)
    base.update(kw)
    return NudgeFacts(**base)


def test_business_days_skip_weekends_and_the_calendars_holidays():
    assert is_business_day(date(2026, 11, 25), "US") and not is_business_day(date(2026, 11, 26), "US")
    assert not is_business_day(date(2026, 11, 28), "US")  # Saturday
    assert is_business_day(date(2026, 11, 26), "GB")  # Thanksgiving is not a British holiday
    assert business_days_after(date(2026, 11, 20), date(2026, 11, 25), "US") == 3  # Fri -> Wed
    assert business_days_after(date(2026, 11, 20), date(2026, 11, 27), "US") == 4  # Thanksgiving skipped
    assert business_days_after(date(2026, 11, 20), date(2026, 11, 27), "GB") == 5
    assert business_days_after(date(2026, 11, 25), date(2026, 11, 20), "US") == 0
    assert business_days_after(date(2026, 12, 24), date(2027, 1, 4), "US") == 5  # Christmas, New Year
    assert add_business_days(date(2026, 11, 25), 1, "US") == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 27), 1, "US") == date(2026, 11, 30)
    assert add_business_days(date(2026, 11, 20), 10, "US") == date(2026, 12, 7)


def test_working_hours_in_the_projects_zone():
    chi = "America/Chicago"  # UTC-6 in November
    assert in_working_hours(datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc), chi, "US", HOURS)
    assert not in_working_hours(datetime(2026, 11, 25, 14, 59, tzinfo=timezone.utc), chi, "US", HOURS)
    assert not in_working_hours(datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc), chi, "US", HOURS)
    assert not in_working_hours(datetime(2026, 11, 26, 16, 0, tzinfo=timezone.utc), chi, "US", HOURS)  # holiday
    # 09:30 in Tokyo is 00:30 UTC on a Wednesday: a business day there.
    assert in_working_hours(datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc), "Asia/Tokyo", "JP", HOURS)


def test_snoozes_end_at_the_start_of_a_later_business_days_hours():
    wed = datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)  # 10:00 in Chicago
    assert snooze_until(wed, "America/Chicago", "US", HOURS, "day") == \
        datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # Friday 09:00: Thanksgiving skipped
    assert snooze_until(wed, "America/Chicago", "US", HOURS, "week").date() == date(2026, 12, 3)


def test_periods_are_weeks_and_a_snooze_that_ended_names_its_own():
    assert period_of(date(2026, 12, 2), None) == "2026-11-30"
    assert period_of(date(2026, 12, 2), date(2026, 12, 1)) == "2026-12-01"
    assert period_of(date(2026, 12, 2), date(2026, 11, 27)) == "2026-11-30"  # ended last week
    assert period_of(date(2026, 12, 2), date(2026, 12, 3)) == "2026-11-30"  # not over yet


def test_each_kind_is_due_at_its_threshold_and_not_before():
    f = facts(handoff_sent=date(2026, 11, 20))
    assert due_nudges(f, date(2026, 11, 24), TH) == []
    [d] = due_nudges(f, date(2026, 11, 25), TH)
    assert (d.kind, d.age, d.escalate) == ("handoff", 3, False)
    [d] = due_nudges(f, date(2026, 12, 1), TH)
    assert (d.age, d.escalate) == (6, True)
    assert due_nudges(facts(handoff_sent=date(2026, 11, 20), handoff_acked=True), date(2026, 12, 1), TH) == []
    assert due_nudges(facts(handoff_sent=date(2026, 11, 20), handoff_done=True), date(2026, 12, 1), TH) == []
    items = (OpenItem(1, "a", date(2026, 11, 23)), OpenItem(2, "b", date(2026, 11, 30)))
    assert due_nudges(facts(items=items), date(2026, 11, 30), TH) == []
    [d] = due_nudges(facts(items=items), date(2026, 12, 1), TH)
    assert d.kind == "item" and [i.number for i in d.items] == [1]
    f = facts(last_change=date(2026, 11, 20))
    assert due_nudges(f, date(2026, 12, 4), TH) == []
    assert [d.kind for d in due_nudges(f, date(2026, 12, 7), TH)] == ["stall"]
    assert due_nudges(facts(locked=True, last_change=date(2026, 1, 1)), date(2026, 12, 7), TH) == []
    # Registered ahead of go-live: the stall clock starts on go-live day.
    f = facts(last_change=date(2026, 11, 2), golive=date(2026, 11, 20))
    assert due_nudges(f, date(2026, 12, 4), TH) == []
    assert [(d.kind, d.since) for d in due_nudges(f, date(2026, 12, 7), TH)] == [("stall", date(2026, 11, 20))]


def test_quiet_needs_a_run_of_summaries_without_alerts():
    days = frozenset(date(2026, 11, d) for d in range(16, 30))  # 14 days to 11-29
    assert quiet_days(facts(summary_days=days), date(2026, 11, 30)) == 14
    assert quiet_days(facts(summary_days=days), date(2026, 12, 1)) == 14  # yesterday's not posted yet
    assert quiet_days(facts(summary_days=days), date(2026, 12, 2)) == 0  # nor the day before's: not flowing
    assert quiet_days(facts(summary_days=days - {date(2026, 11, 29)}), date(2026, 11, 30)) == 13
    assert quiet_days(facts(summary_days=days, alert_days=frozenset({date(2026, 11, 20)})),
                      date(2026, 11, 30)) == 9
    assert [d.kind for d in due_nudges(facts(summary_days=days), date(2026, 11, 30), TH)] == ["quiet"]
    assert due_nudges(facts(summary_days=days, open_alerts=1), date(2026, 11, 30), TH) == []
    assert due_nudges(facts(summary_days=days, monitor_done=True), date(2026, 11, 30), TH) == []


def test_recipients_are_the_specialists_and_past_the_second_threshold_the_manager():
    [d] = due_nudges(facts(handoff_sent=date(2026, 11, 20)), date(2026, 11, 25), TH)
    assert recipients(d, ("U1", "U2"), "UM") == ["U1", "U2"]
    [d] = due_nudges(facts(handoff_sent=date(2026, 11, 20)), date(2026, 12, 1), TH)
    assert recipients(d, ("U1",), "UM") == ["U1", "UM"]
    assert recipients(d, ("UM",), "UM") == ["UM"]


def test_working_hours_are_parsed_or_refused_in_one_line():
    assert parse_hours("08:30-16:00") == (time(8, 30), time(16))
    for bad in ("9-5", "17:00-09:00", "09:00", "09:60-17:00", ""):
        with pytest.raises(ValueError, match="HH:MM-HH:MM"):
            parse_hours(bad)


@pytest.mark.parametrize("name,value,words", [
    ("NUDGE_HOURS", "9 to 5", "NUDGE_HOURS: expected working hours as HH:MM-HH:MM"),
    ("NUDGE_ITEM_DAYS", "five", "NUDGE_ITEM_DAYS: expected a whole number of days from 1 to 365"),
    ("NUDGE_HANDOFF_DAYS", "0", "NUDGE_HANDOFF_DAYS: expected a whole number of days from 1 to 365"),
    ("NUDGE_ESCALATE_AFTER", "-1", "NUDGE_ESCALATE_AFTER: expected a whole number of days from 0 to 365"),
])
def test_bad_nudge_settings_stop_with_one_line(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as e:
        load_settings(_env_file=None)
    assert str(e.value).startswith(words) and "\n" not in str(e.value)


def test_nudge_settings_defaults(monkeypatch):
    for n in ("NUDGE_HOURS", "NUDGE_ITEM_DAYS", "NUDGE_HANDOFF_DAYS", "NUDGE_QUIET_DAYS", "NUDGE_STALL_DAYS",
              "NUDGE_ESCALATE_AFTER"):
        monkeypatch.delenv(n, raising=False)
    s = load_settings(_env_file=None)
    assert (s.NUDGE_HANDOFF_DAYS, s.NUDGE_ITEM_DAYS, s.NUDGE_QUIET_DAYS, s.NUDGE_STALL_DAYS,
            s.NUDGE_ESCALATE_AFTER, s.nudge_hours) == (3, 5, 14, 10, 3, (time(9), time(17)))
    monkeypatch.setenv("NUDGE_HOURS", "8:00-16:30")
    assert load_settings(_env_file=None).NUDGE_HOURS == "08:00-16:30"
