"""Pure monitoring rules and views: due days, DST, comparisons, alert hygiene,
the messages' fixed forms."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import fmt
from bot.errors import Conflict
from bot.monitoring.rules import (
    CATCH_UP_DAYS, REPEAT_WINDOW, SOURCE_RETRY, DayRow, day_hours, due_days, latest_due, next_alert_state,
    repeat_lead, summary_facts,
)
from bot.views.alerts import alert_message, alert_note, details_modal
from bot.views.monitoring import summary_line, summary_message
from bot.summary import ChannelStats, DaySummary

NINE = time(9, 0)
CHI = "America/Chicago"


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def day(d: date, attempts: int, approved: int = None, cents: int = 0, ok: bool = True, failed: int = 0,
        reasons=None) -> DaySummary:
    a = ChannelStats(attempts=attempts, approved=attempts if approved is None else approved, failed=failed,
                     approved_cents=cents, methods={"card": attempts} if attempts else {},
                     decline_reasons=reasons or {})
    return DaySummary(project_id=1, biller_id="B", local_date=d, tz=CHI, addon_channel="ivr", addon=a,
                      total=ChannelStats(attempts=attempts * 10), source_ok=ok,
                      source_error=None if ok else "payments API unavailable after 5 attempts: 503")


# ---- days ------------------------------------------------------------------------------
def test_summary_time_is_in_the_projects_zone_across_dst():
    # Standard time (UTC-6): 09:00 is 15:00Z.
    assert latest_due(utc(2026, 11, 3, 14, 59), CHI, NINE) == date(2026, 11, 1)
    assert latest_due(utc(2026, 11, 3, 15, 0), CHI, NINE) == date(2026, 11, 2)
    # Daylight time (UTC-5): 09:00 is 14:00Z.
    assert latest_due(utc(2026, 10, 20, 13, 59), CHI, NINE) == date(2026, 10, 18)
    assert latest_due(utc(2026, 10, 20, 14, 0), CHI, NINE) == date(2026, 10, 19)
    # The morning after the clocks went forward (2026-03-08) and back (2026-11-01).
    assert latest_due(utc(2026, 3, 9, 14, 0), CHI, NINE) == date(2026, 3, 8)
    assert latest_due(utc(2026, 11, 2, 15, 0), CHI, NINE) == date(2026, 11, 1)
    # Tokyo is already on the next day.
    assert latest_due(utc(2026, 11, 3, 0, 30), "Asia/Tokyo", NINE) == date(2026, 11, 2)


def test_a_local_day_lasts_23_24_or_25_hours():
    assert day_hours(date(2026, 3, 8), CHI) == 23
    assert day_hours(date(2026, 3, 9), CHI) == 24
    assert day_hours(date(2026, 11, 1), CHI) == 25
    assert day_hours(date(2026, 11, 1), "Asia/Tokyo") == 24


def test_due_days_catch_up_from_go_live_bounded_and_skip_done_and_claimed():
    now = utc(2026, 11, 20, 16)
    golive = date(2026, 11, 2)
    latest = date(2026, 11, 19)
    days = due_days(golive, latest, {}, now)
    assert len(days) == CATCH_UP_DAYS and days[-1] == latest and days[0] == date(2026, 11, 6)
    rows = {date(2026, 11, 18): DayRow(done=True),
            date(2026, 11, 17): DayRow(done=False, claimed_until=now + timedelta(minutes=3)),
            date(2026, 11, 16): DayRow(done=False, claimed_until=now - timedelta(minutes=1)),  # a dead claim
            date(2026, 11, 15): DayRow(done=True, source_ok=False, updated_at=now - timedelta(minutes=5)),
            date(2026, 11, 14): DayRow(done=True, source_ok=False, updated_at=now - SOURCE_RETRY)}
    got = due_days(date(2026, 11, 14), latest, rows, now)
    assert got == [date(2026, 11, 14), date(2026, 11, 16), date(2026, 11, 19)]
    assert due_days(date(2026, 11, 21), latest, {}, now) == []


@given(golive=st.dates(date(2026, 1, 1), date(2026, 12, 31)), back=st.integers(-5, 60),
       done=st.sets(st.integers(0, 40)))
def test_due_days_properties(golive, back, done):
    latest = golive + timedelta(days=back)
    now = datetime.combine(latest + timedelta(days=1), time(16), tzinfo=timezone.utc)
    rows = {latest - timedelta(days=i): DayRow(done=True) for i in done}
    got = due_days(golive, latest, rows, now)
    assert got == sorted(set(got))
    assert all(golive <= d <= latest and d not in rows for d in got)
    assert len(got) <= CATCH_UP_DAYS


# ---- comparisons --------------------------------------------------------------------------
def test_facts_compare_with_projection_median_last_week_and_since_go_live():
    golive = date(2026, 11, 2)
    earlier = [day(golive + timedelta(days=i), 30 + i) for i in range(8)]  # 30 .. 37
    today = day(golive + timedelta(days=8), 44)
    f = summary_facts(today, earlier, 40, golive)
    assert f.day_n == 9
    assert f.projection.ratio == pytest.approx(1.1)
    assert f.median7.base == 34  # the previous seven days: 31 .. 37
    assert f.last_week.base == 31 and f.last_week.label.startswith("2026-11-03")
    assert f.cumulative_attempts == sum(range(30, 38)) + 44 and f.cumulative.base == 9 * 40
    # Early on there is nothing to compare with, and it says why.
    f1 = summary_facts(day(golive, 12), [], 40, golive)
    assert f1.median7.base is None and f1.last_week.note == "before go-live"
    # An unread day is not a zero: left out of every comparison.
    f2 = summary_facts(today, earlier + [day(golive + timedelta(days=1), 0, ok=False)], 40, golive)
    assert f2.median7.base == 34


def project(**kw):
    base = dict(id=7, addon="Pay by phone", biller_id="CITY-42", channel_id="C0PROJ", tz=CHI, manager_id="U0MGR")
    base.update(kw)
    return SimpleNamespace(**base)


def test_summary_message_names_its_date_and_formats_numbers():
    golive = date(2026, 11, 2)
    s = day(date(2026, 11, 3), 1234, 1200, cents=12345678, failed=34, reasons={"do_not_honor": 20,
                                                                                 "insufficient_funds": 14})
    text, blocks = summary_message(project(), summary_facts(s, [day(golive, 1000)], 40, golive, ("returns",)))
    body = "\n".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict))
    assert "2026-11-03" in text and "2026-11-03" in blocks[0]["text"]["text"]
    assert "1,234 attempts · 1,200 approved · 34 declined/failed" in body
    assert "$123,456.78" in body and "average $102.88" in body
    assert "*Against the projection* (40 payments/day): 1,234 attempts, 30.85×" in body
    assert "1,234 attempts vs 1,000, 23% higher" in body
    assert "do_not_honor 20" in body
    assert "day 2 since go-live" in text
    assert "Checks raised: `returns`" in str(blocks)
    line = summary_line(summary_facts(s, [], 40, golive))
    assert line.startswith("Latest summary 2026-11-03 (day 2): 1,234 IVR attempts")


def test_an_unread_day_says_so_and_is_not_zero():
    golive = date(2026, 11, 2)
    s = day(date(2026, 11, 3), 0, ok=False)
    text, blocks = summary_message(project(), summary_facts(s, [], 40, golive))
    assert "could not be read" in text and "not the same as no payments" in text
    assert "0 attempts" not in str(blocks)


def alert(**kw):
    base = dict(id=3, check_id="no_payments", local_date=date(2026, 11, 3), severity="critical",
                message="No payments on ivr on 2026-11-03; about 41 expected.",
                evidence={"zero_days": 1, "expected": 41.25, "max_cents": 1234567, "repeat_of": None},
                state="open", acted_by=None, acted_at=None, reason=None)
    base.update(kw)
    return SimpleNamespace(**base)


def test_alert_message_has_the_check_context_line_buttons_and_edits_itself():
    text, blocks = alert_message(project(), alert())
    ctx = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert "check: no_payments · project 7 (Pay by phone · CITY-42) · 2026-11-03" in ctx
    assert "check: no_payments" in text
    # The raw values are in the Details view and the thread note, not in the manager's message.
    assert "• max cents" not in str(blocks) and "repeat" not in str(blocks)
    assert "• max cents: $12,345.67" in str(details_modal(project(), alert())["blocks"])
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["alert_ack", "alert_item", "alert_dismiss"]
    done = alert(state="dismissed", acted_by="U0MGR", acted_at=utc(2026, 11, 4, 15, 5), reason="planned outage")
    _, blocks = alert_message(project(), done, [date(2026, 11, 4)])
    flat = str(blocks)
    assert "Dismissed as expected by <@U0MGR> on 2026-11-04 09:05 CST: planned outage" in flat
    assert "Also seen on 2026-11-04" in flat and blocks[-1]["type"] != "actions"
    text, blocks = alert_note(project(), alert(), None, [fmt.user("U0MGR"), fmt.channel("C0MGRS")])
    assert "Sent to <@U0MGR>, <#C0MGRS>" in str(blocks) and "check: no_payments" in text


# ---- alert hygiene -----------------------------------------------------------------------
def test_an_open_alert_repeats_at_most_daily():
    now = utc(2026, 11, 6, 15)
    d = date(2026, 11, 5)
    fresh = (1, date(2026, 11, 4), now - timedelta(minutes=1), True)
    assert repeat_lead([fresh], d, now) == 1  # caught up in the same pass: folded in
    yesterday = (1, date(2026, 11, 4), now - timedelta(hours=23, minutes=59), True)
    assert repeat_lead([yesterday], d, now) is None  # a day passed: say it again
    assert REPEAT_WINDOW < timedelta(hours=23)  # a tick a little early still repeats daily
    assert repeat_lead([(2, date(2026, 11, 4), now, False)], d, now) is None  # a repeat never leads
    assert repeat_lead([(1, d, now, True)], d, now) is None  # the same day is a different row


def test_alert_state_transitions():
    assert next_alert_state("open", "acknowledge") == "acknowledged"
    assert next_alert_state("acknowledged", "item") == "item"
    assert next_alert_state("open", "resolve") == "resolved"
    with pytest.raises(Conflict, match="already acknowledged by <@U1>"):
        next_alert_state("acknowledged", "acknowledge", "U1")
    for final in ("dismissed", "resolved", "item"):
        with pytest.raises(Conflict):
            next_alert_state(final, "acknowledge")
