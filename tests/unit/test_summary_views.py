"""The daily summary as people read it: the status line, the chart, reasons in
words, plural and number wording."""

from __future__ import annotations

from datetime import date, timedelta

from bot import fmt
from bot.monitoring.rules import summary_facts
from bot.sandbox.localslack.blockkit import validate_message_blocks
from bot.views.charts import POINTS_MAX, Series, line_chart
from bot.views.monitoring import summary_message
from tests.unit.test_monitoring_rules import day, project

GOLIVE = date(2026, 11, 2)


def _body(blocks) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict) and "text" in b["text"])


def _chart(blocks):
    charts = [b for b in blocks if b["type"] == "data_visualization"]
    assert len(charts) == 1
    return charts[0]


def test_wording_of_numbers():
    assert fmt.plural(1, "day") == "1 day" and fmt.plural(2, "day") == "2 days" and fmt.plural(0, "day") == "0 days"
    assert fmt.whole(85.5) == "about 86" and fmt.whole(40.0) == "40"
    assert fmt.times(0) == "0×" and fmt.times(0.95) == "0.95×" and fmt.times(1.2) == "1.2×"
    assert fmt.times(2.0) == "2×" and fmt.times(0.004) == "under 0.01×"


def test_a_project_live_20_days_has_a_chart_of_the_last_20_days_with_projection_and_usual_level():
    days = [day(GOLIVE + timedelta(days=i), 30 + i) for i in range(24)]
    today, earlier = days[-1], days[:-1]
    text, blocks = summary_message(project(), summary_facts(today, earlier, 40, GOLIVE))
    assert validate_message_blocks(blocks) == []
    chart = _chart(blocks)
    assert isinstance(chart["title"], str) and len(chart["title"]) <= 50 and chart["chart"]["type"] == "line"
    attempts, projection, usual = chart["chart"]["series"]
    assert [p["value"] for p in attempts["data"]] == [30 + i for i in range(4, 24)]  # the last 20 days, in order
    assert attempts["data"][0]["label"] == "11-06" and attempts["data"][-1]["label"] == "11-25"
    assert {p["value"] for p in projection["data"]} == {40}
    assert usual["name"].startswith("Usual level") and usual["data"][-1]["value"] == 49  # median of 46..52
    assert chart["chart"]["axis_config"]["categories"][0] == "11-06" and len(chart["chart"]["axis_config"]["categories"]) == 20


def test_chart_of_a_young_project_has_no_usual_level_and_skips_unread_days():
    d2 = day(GOLIVE + timedelta(days=1), 0, ok=False)
    today = day(GOLIVE + timedelta(days=2), 38)
    _, blocks = summary_message(project(), summary_facts(today, [day(GOLIVE, 35), d2], 40, GOLIVE))
    series = _chart(blocks)["chart"]["series"]
    assert [s["name"] for s in series] == ["IVR attempts", "Projection"]
    assert [(p["label"], p["value"]) for p in series[0]["data"]] == [("11-02", 35), ("11-04", 38)]  # unread is no 0
    # the unread day is still a category (the projection has it): a gap, placed in order
    assert _chart(blocks)["chart"]["axis_config"]["categories"] == ["11-02", "11-03", "11-04"]


def test_summary_opens_with_a_status_line():
    golive = GOLIVE
    on = summary_message(project(), summary_facts(day(golive + timedelta(days=1), 38), [day(golive, 40)], 40,
                                                  golive))[1]
    assert "*On track*: 38 payments, 0.95× projection" in on[1]["text"]["text"]
    off = summary_message(project(), summary_facts(day(golive, 0), [], 40, golive, ("no_payments",)))[1]
    line = off[1]["text"]["text"]
    assert line.startswith(":warning: *Needs a look*: 0 payments against a projection of 40 a day; the checks "
                           "found no payments where some were expected (`no_payments`)")


def test_reasons_in_words_with_the_code_in_brackets_and_plurals():
    s = day(GOLIVE, 40, 30, failed=10, reasons={"do_not_honor": 6, "avs_mismatch": 4})
    _, blocks = summary_message(project(), summary_facts(s, [], 40, GOLIVE))
    body = _body(blocks)
    assert "declined by the card's bank (do_not_honor 6" in body
    assert "billing address did not match (avs_mismatch 4" in body
    assert "(1 day)" in body and "day(s)" not in body


def test_line_chart_keeps_slacks_limits():
    many = [Series(f"s{k}", [(str(i), i) for i in range(30)]) for k in range(8)]
    b = line_chart("x" * 80, many)
    assert validate_message_blocks([b]) == []
    assert len(b["chart"]["series"]) == 6 and all(len(s["data"]) == POINTS_MAX for s in b["chart"]["series"])
    assert b["chart"]["series"][0]["data"][-1] == {"label": "29", "value": 29}
    assert len(b["title"]) <= 50 and b["chart"]["axis_config"]["categories"] == [str(i) for i in range(10, 30)]


def test_how_sure_in_words():
    from bot.views.alert_words import how_sure

    assert how_sure({"p_zero": 1.69e-09}) == "this would happen by chance less than once in a million days"
    assert how_sure({"p_value": 5e-6}) == "this would happen by chance less than once in 100,000 days"
    assert how_sure({"p_value": 0.00009}) == "this would happen by chance less than once in 10,000 days"
    assert how_sure({"p_value": 0.02}).startswith("this would happen by chance about once in 50 days")
    assert how_sure({"p_value": 0.7}) == "this could well be chance" and how_sure({}) is None


def test_undo_only_by_who_did_it_and_only_for_a_while():
    import pytest
    from datetime import datetime, timezone

    from bot.errors import Conflict
    from bot.monitoring.rules import UNDO_WINDOW, check_undo

    at = datetime(2026, 11, 4, 15, 0, tzinfo=timezone.utc)
    check_undo("acknowledged", "U1", at, "U1", at + UNDO_WINDOW)  # the last minute still counts
    check_undo("dismissed", "U1", at.replace(tzinfo=None), "U1", at)  # naive times are UTC
    with pytest.raises(Conflict, match="Only <@U1>, who acknowledged it"):
        check_undo("acknowledged", "U1", at, "U2", at)
    with pytest.raises(Conflict, match="can no longer be undone"):
        check_undo("acknowledged", "U1", at, "U1", at + UNDO_WINDOW + timedelta(seconds=1))
    with pytest.raises(Conflict, match="only an acknowledgement or a dismissal"):
        check_undo("resolved", "U1", at, "U1", at)


def test_digest_time_and_its_week():
    from datetime import datetime, time, timezone

    import pytest

    from bot.monitoring.digest_rules import due_week, parse_digest_time
    from bot.settings import SettingsError, load_settings

    assert parse_digest_time("Mon 08:00") == (0, time(8, 0)) and parse_digest_time("friday 17:30") == (4, time(17, 30))
    assert load_settings(DIGEST_TIME="tuesday 7:05").DIGEST_TIME == "Tue 07:05"
    with pytest.raises(SettingsError, match="DIGEST_TIME: expected a weekday and a local time"):
        load_settings(DIGEST_TIME="08:00")
    utc = timezone.utc
    # Monday 08:00 in New York is 13:00 UTC in November; before that the week is not due.
    assert due_week(datetime(2026, 11, 16, 12, 59, tzinfo=utc), "America/New_York", 0, time(8)) is None
    assert due_week(datetime(2026, 11, 16, 13, 0, tzinfo=utc), "America/New_York", 0, time(8)) == date(2026, 11, 16)
    # Still due later that week (the bot was down on Monday), the same week's Monday.
    assert due_week(datetime(2026, 11, 19, 1, 0, tzinfo=utc), "America/New_York", 0, time(8)) == date(2026, 11, 16)
