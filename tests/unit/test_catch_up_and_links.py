"""A catch-up message (the most days one can hold, within Slack's limits), the
alert's links (BILLER_PORTAL_URL quoted), a case's delivery state in words."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bot.monitoring.rules import CATCH_UP_DAYS, summary_facts
from bot.settings import SettingsError, load_settings
from bot.sandbox.localslack.blockkit import validate_message_blocks
from bot.views.alerts import alert_message, portal_search
from bot.views.blocks import render_payload
from bot.views.case_state import delivery_state
from bot.views.catch_up import catch_up_message
from tests.unit.test_monitoring_rules import day, project

GOLIVE = date(2026, 11, 2)


def test_a_catch_up_of_every_day_that_can_be_caught_up_reads_oldest_first_within_slacks_limits():
    days = [day(GOLIVE + timedelta(days=i), 30 + i) for i in range(CATCH_UP_DAYS)]
    days[3] = day(GOLIVE + timedelta(days=3), 0, ok=False)
    facts = [summary_facts(d, days[:i], 40, GOLIVE, alerts=("no_payments",) if i == 5 else ())
             for i, d in enumerate(days)]
    text, blocks = catch_up_message(project(), facts)
    assert validate_message_blocks(blocks) == [] and len(blocks) <= 50
    lines = [b for b in blocks if b.get("block_id", "").startswith("day_")]
    assert [b["block_id"][4:] for b in lines] == [d.local_date.isoformat() for d in days]
    assert all(b["accessory"]["action_id"] == "summary_show_day" for b in lines)
    assert "could not be read" in lines[3]["text"]["text"] and "no payments" in lines[5]["text"]["text"]
    assert "2 days need a look" in text and "2026-11-02 to 2026-11-15" in text
    assert sum(1 for b in blocks if b["type"] == "data_visualization") == 1


def _alert(**kw):
    base = dict(id=7, project_id=1, check_id="no_payments", severity="critical", local_date=GOLIVE,
                message="No payments", evidence={}, state="open", acted_by=None, acted_at=None, reason=None)
    return SimpleNamespace(**{**base, **kw})


def test_portal_search_quotes_the_biller_id_and_fills_the_date():
    url = portal_search("https://portal.example/search?biller={biller_id}&on={date}", "A&B 7", GOLIVE)
    assert url == "https://portal.example/search?biller=A%26B%207&on=2026-11-02"


def test_the_alert_links_to_the_summary_and_the_portal_when_known():
    p = project()
    _, blocks = alert_message(p, _alert(), summary_link="https://x.slack.com/archives/C1/p1",
                              portal_url="https://portal.example/s?b={biller_id}")
    body = str(render_payload({"blocks": blocks})["blocks"])
    assert "<https://x.slack.com/archives/C1/p1|the summary of 2026-11-02>" in body
    assert f"<https://portal.example/s?b={p.biller_id}|search biller {p.biller_id}>" in body
    _, plain = alert_message(p, _alert())
    assert "Search &gt; Payments" in str(render_payload({"blocks": plain})["blocks"])


def test_a_cases_delivery_state_in_words():
    at = datetime(2026, 11, 4, 15, 4, tzinfo=timezone.utc)
    kw = dict(external_id=None, url=None, next_at=None, error=None, tz="America/Chicago")
    assert delivery_state(status="pending", attempts=0, **kw) == "pending delivery"
    assert delivery_state(status="pending", attempts=2, **{**kw, "next_at": at, "error": "intake 503"}) == \
        "retrying (attempt 2, next at 2026-11-04 09:04 CST): intake 503"
    assert delivery_state(status="sent", attempts=1, **{**kw, "external_id": "CS-1001"}) == "delivered CS-1001"
    assert delivery_state(status="failed", attempts=1, **{**kw, "error": "x" * 400}).startswith("failed: xxx")
    assert len(delivery_state(status="failed", attempts=1, **{**kw, "error": "x" * 400})) < 170


def test_biller_portal_url_is_a_template_naming_the_biller_or_refused_in_one_line():
    ok = "https://portal.example/search?biller={biller_id}&on={date}"
    assert load_settings(BILLER_PORTAL_URL=ok).BILLER_PORTAL_URL == ok
    assert load_settings(BILLER_PORTAL_URL="").BILLER_PORTAL_URL is None
    for bad in ("portal.example/search?biller={biller_id}", "https://portal.example/search",
                "https://portal.example/search?b={biller}", "https://portal.example/x|y?b={biller_id}"):
        with pytest.raises(SettingsError, match=r"^BILLER_PORTAL_URL: .*URL template"):
            load_settings(BILLER_PORTAL_URL=bad)
