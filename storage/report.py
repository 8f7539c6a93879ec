"""The facts of a project's closing report, read in the caller's transaction.

Plain JSON-able data (bot/views/report.py renders it); `complete` stores it on
the project row in the statement that locks it, so the report is frozen with
the record (the lock triggers of 0001 refuse any later change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Alert, Case, DailySummaryRow, Handoff, Item, Project


def _iso(dt: Optional[datetime]) -> Optional[str]:
    return dt.isoformat() if dt else None


def report_facts(s: Session, p: Project) -> dict[str, Any]:
    days = list(s.execute(select(DailySummaryRow).where(DailySummaryRow.project_id == p.id)
                          .order_by(DailySummaryRow.local_date)).scalars())
    ok = [d for d in days if d.source_ok]
    tot = {"attempts": 0, "approved": 0, "failed": 0, "reversed": 0, "approved_cents": 0}
    for d in ok:
        a = (d.data or {}).get("addon") or {}
        for k in tot:
            tot[k] += int(a.get(k) or 0)
    decided = tot["approved"] + tot["reversed"] + tot["failed"]
    items = list(s.execute(select(Item).where(Item.project_id == p.id).order_by(Item.number)).scalars())
    item_no = {i.id: i.number for i in items}
    cases = list(s.execute(select(Case).where(Case.project_id == p.id).order_by(Case.id)).scalars())
    case_of = {c.item_id: c for c in cases if c.item_id is not None}
    alerts = list(s.execute(select(Alert).where(Alert.project_id == p.id)
                            .order_by(Alert.local_date, Alert.id)).scalars())
    h = s.execute(select(Handoff).where(Handoff.project_id == p.id, Handoff.sent_at.is_not(None))
                  .order_by(Handoff.id.desc()).limit(1)).scalars().first()
    return {
        "project_id": p.id, "biller_id": p.biller_id, "addon": p.addon, "pay_channel": p.pay_channel,
        "golive": p.golive.isoformat(), "tz": p.tz, "manager": p.manager_id,
        "specialists": list(p.specialist_ids or []), "projected_per_day": p.projected_per_day,
        "days_monitored": len(ok), "days_unread": len(days) - len(ok),
        "first_day": ok[0].local_date.isoformat() if ok else None,
        "last_day": ok[-1].local_date.isoformat() if ok else None,
        "payments": dict(tot, success_rate=(tot["approved"] + tot["reversed"]) / decided if decided else None,
                         per_day=tot["attempts"] / len(ok) if ok else None),
        "alerts": [{"check": a.check_id, "date": a.local_date.isoformat(), "severity": a.severity,
                    "state": a.state, "by": a.acted_by, "reason": a.reason,
                    "item": item_no.get(a.item_id) if a.item_id else None} for a in alerts],
        "items": [{"number": i.number, "text": i.text, "status": i.status, "note": i.note, "by": i.resolved_by,
                   "case": (case_of[i.id].external_id or f"pending ({case_of[i.id].status})")
                   if i.id in case_of else None} for i in items],
        "cases": [{"id": c.external_id, "status": c.status, "subject": c.subject, "url": c.url,
                   "item": item_no.get(c.item_id) if c.item_id else None} for c in cases],
        "handoff": {"sent_at": _iso(h.sent_at), "channel": h.channel_id, "sent_by": h.sent_by,
                    "acknowledged_by": h.acknowledged_by, "acknowledged_at": _iso(h.acknowledged_at)}
        if h else None,
    }
