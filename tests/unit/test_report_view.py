"""The closing report's Block Kit (bot/views/report.py) from its facts."""

from __future__ import annotations

from bot.views.report import report_message


def facts(**kw):
    f = {
        "project_id": 3, "biller_id": "CITY-42", "addon": "Pay by phone", "pay_channel": "ivr",
        "golive": "2026-11-02", "tz": "America/Chicago", "manager": "U0MGR", "specialists": ["U0SPEC"],
        "projected_per_day": 40, "days_monitored": 9, "days_unread": 1, "first_day": "2026-11-02",
        "last_day": "2026-11-11",
        "payments": {"attempts": 360, "approved": 330, "failed": 20, "reversed": 4, "approved_cents": 2_512_000,
                     "success_rate": 334 / 354, "per_day": 40.0},
        "alerts": [
            {"check": "no_payments", "date": "2026-11-03", "severity": "high", "state": "acknowledged",
             "by": "U0MGR", "reason": None, "item": None},
            {"check": "failure_rate", "date": "2026-11-04", "severity": "medium", "state": "dismissed",
             "by": "U0MGR", "reason": "card network outage <!here>", "item": None},
            {"check": "returns", "date": "2026-11-05", "severity": "low", "state": "item", "by": "U0SPEC",
             "reason": None, "item": 2},
        ],
        "items": [
            {"number": 1, "text": "IVR reads the fee twice", "status": "remedied", "note": "re-recorded",
             "by": "U0SPEC", "case": None},
            {"number": 2, "text": "Commercial AutoPay", "status": "escalated", "note": None, "by": None,
             "case": "CS-1042"},
        ],
        "cases": [{"id": "CS-1042", "status": "sent", "subject": "Commercial AutoPay", "url": None, "item": 2}],
        "handoff": {"sent_at": "2026-11-10T15:00:00+00:00", "channel": "C0SHARED", "sent_by": "U0SPEC",
                    "acknowledged_by": "U0BILLER", "acknowledged_at": "2026-11-10T16:00:00+00:00"},
        "schedule": {"sheet_id": 11, "name": "City 42", "permalink": "https://sched/11", "items": 48,
                     "at_100": 48, "status_field": "Status", "status": "Complete", "already_set": False,
                     "simulated": False},
        "completed_at": "2026-11-12T18:00:00+00:00", "completed_by": "U0SPEC",
    }
    f.update(kw)
    return f


def test_the_report_names_everything_the_record_holds():
    text, blocks = report_message(facts())
    assert text.startswith("Closing report: Pay by phone for CITY-42, go-live 2026-11-02, completed 2026-11-12")
    body = "\n".join(b["text"]["text"] for b in blocks if b.get("text")) + str(blocks)
    for part in ("go-live 2026-11-02", "completed 2026-11-12", "days monitored: 9", "1 day(s) the source",
                 "360 attempts", "40 a day", "projection of 40", "success rate 94.4%",
                 "`no_payments` 2026-11-03 (high): acknowledged by <@U0MGR>",
                 "`failure_rate` 2026-11-04 (medium): dismissed: card network outage &lt;!here&gt;",
                 "`returns` 2026-11-05 (low): made an item #2", "#1 IVR reads the fee twice: remedied: re-recorded",
                 "#2 Commercial AutoPay: escalated to Client Services (case CS-1042)",
                 "CS-1042 (sent) for item #2", "acknowledged by <@U0BILLER>",
                 "48 of 48 items at 100%; Status set to Complete", "<https://sched/11|open the sheet>",
                 "*Completed by* <@U0SPEC>"):
        assert part in body, part
    assert "<!here>" not in body
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "Closing report"
    assert len(blocks) <= 50


def test_preview_and_no_schedule_source():
    text, blocks = report_message(facts(schedule=None, schedule_confirmed=False, completed_by=None,
                                        completed_at=None, handoff=None, alerts=[], items=[], cases=[]),
                                  preview=True)
    body = str(blocks)
    assert "preview" in text and "Not completed yet" in body and "none raised" in body
    assert "no handoff message was sent" in body and "not yet checked" in body


def test_many_alerts_stay_within_slack_limits():
    many = [{"check": "no_payments", "date": f"2026-11-{d:02d}", "severity": "high", "state": "open",
             "by": None, "reason": "x" * 900, "item": None} for d in range(1, 29)] * 5
    _, blocks = report_message(facts(alerts=many))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b.get("type") == "section" and b.get("text"))
    assert "*Completed by* <@U0SPEC>" in str(blocks[-1]) and "Schedule" in str(blocks[-2])
