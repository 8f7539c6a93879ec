"""A Client Services case's delivery state in words, the same on the checklist and
on the case's post in CS_CHANNEL: pending delivery, retrying (attempt n, next at …),
delivered CS-1001 (linked), failed: reason. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from bot import fmt

ERROR_MAX = 150  # a reason shown beside the state (the checklist and the post stay within Slack's sizes)


def case_name(external_id: Optional[str], url: Optional[str]) -> str:
    name = external_id or "(no id)"
    return fmt.link(url, name) if url else name


def delivery_state(*, status: Optional[str], external_id: Optional[str], url: Optional[str], attempts: int,
                   next_at: Optional[datetime], error: Optional[str], tz: str) -> str:
    if status == "sent":
        return f"delivered {case_name(external_id, url)}"
    if status == "failed":
        return f"failed: {fmt.clip(error or 'refused by the intake', ERROR_MAX)}"
    if error and attempts:
        return (f"retrying (attempt {attempts}, next at {fmt.local_date(next_at, tz)}): "
                f"{fmt.clip(error, ERROR_MAX)}")
    return "pending delivery"
