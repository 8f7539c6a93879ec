"""The daily payments summary: the plain data every part of monitoring shares.

`DaySummary` is what the aggregation (bot/payments/aggregate.py) produces for
one project and one local day, what storage keeps as JSON (one row per project
and local date), what the checks (bot/checks/) judge, and what the views render.
Money is integer cents. No Slack, no database here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Optional

# Statuses of the payments API, grouped the way the summary counts them.
APPROVED = "approved"
PENDING = "pending"
FAILED_STATUSES = frozenset({"declined", "failed"})  # attempts that did not go through
REVERSAL_STATUSES = frozenset({"returned", "refunded", "voided", "chargeback"})  # approved, later reversed
KNOWN_STATUSES = frozenset({APPROVED, PENDING}) | FAILED_STATUSES | REVERSAL_STATUSES
KNOWN_CHANNELS = frozenset({"web", "mobile", "ivr", "text", "autopay", "scheduled", "agent", "other"})
KNOWN_METHODS = frozenset({"card", "ach", "wallet", "cash", "other"})


@dataclass
class ChannelStats:
    """Counts for one slice of a day's payments (the add-on's channel, or all)."""

    attempts: int = 0  # every payment record created that day
    approved: int = 0  # status approved now
    pending: int = 0
    failed: int = 0  # declined + failed
    reversed: int = 0  # returned + refunded + voided + chargeback
    returned: int = 0  # ACH returns only (a subset of reversed)
    other: int = 0  # unknown status, kept and counted here
    approved_cents: int = 0  # volume of payments approved now
    reversed_cents: int = 0
    max_cents: int = 0  # largest single payment amount (any status)
    median_cents: int = 0  # median payment amount (approximate is fine)
    duplicates: int = 0  # likely duplicates: same payer, same amount, close in time
    methods: dict[str, int] = field(default_factory=dict)  # method -> count ("other" for unknown)
    decline_reasons: dict[str, int] = field(default_factory=dict)  # status_code -> count, failed only
    return_codes: dict[str, int] = field(default_factory=dict)  # status_code -> count, reversed only

    @property
    def success_rate(self) -> Optional[float]:
        """approved (incl. later reversed) / decided attempts; None with no decided attempt."""
        decided = self.approved + self.reversed + self.failed
        return None if decided == 0 else (self.approved + self.reversed) / decided

    @property
    def failure_rate(self) -> Optional[float]:
        r = self.success_rate
        return None if r is None else 1.0 - r

    @property
    def average_cents(self) -> Optional[int]:
        return None if self.approved == 0 else round(self.approved_cents / self.approved)


@dataclass
class DaySummary:
    """One project's payments for one local day in the project's time zone."""

    project_id: int
    biller_id: str
    local_date: date
    tz: str
    addon_channel: Optional[str]  # the add-on's payment channel; None means all channels
    addon: ChannelStats = field(default_factory=ChannelStats)  # the add-on's channel (or all)
    total: ChannelStats = field(default_factory=ChannelStats)  # all channels
    by_channel: dict[str, int] = field(default_factory=dict)  # channel -> attempts
    source_ok: bool = True  # False: the payments source could not be read for this day
    source_error: Optional[str] = None  # what went wrong, for the source_unavailable check
    window_start: Optional[str] = None  # UTC RFC 3339, inclusive
    window_end: Optional[str] = None  # UTC RFC 3339, exclusive
    # The add-on's attempts by hour since local midnight (24 counts; a 25-hour DST day's last hour joins
    # hour 23); [] when not known (days stored before it was counted). The intraday outage watch learns the
    # add-on's usual hours from it.
    addon_hours: list[int] = field(default_factory=list)

    # ---- JSON round trip (storage keeps this as a JSON column) -------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["local_date"] = self.local_date.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DaySummary":
        d = dict(d)
        d["local_date"] = date.fromisoformat(d["local_date"])
        d["addon"] = ChannelStats(**d.get("addon") or {})
        d["total"] = ChannelStats(**d.get("total") or {})
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})

    def fingerprint(self) -> str:
        """Stable digest of the numbers; a changed digest means the day was restated."""
        import hashlib
        import json

        d = self.to_dict()
        d.pop("source_error", None)
        d.pop("addon_hours", None)  # when in the day payments came is not a number the summary states
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
