"""Streaming aggregation of a day's payments into `DaySummary` numbers.

`DayAggregator` takes payments one at a time (as `PaymentsClient.iter_payments`
yields them, ordered by created_at) and keeps memory flat whatever the day's
volume:

- counters and small dicts (methods, decline reasons, return codes, channels;
  the free-text code dicts are capped in size);
- the median from the exact amounts while a day is small (<= EXACT_MEDIAN_MAX
  payments) and otherwise from a log-bucket histogram with 0.5 % buckets (a few
  thousand buckets at most for any amount up to 10^12 cents);
- duplicates from a sliding time window keyed on (payer_key, amount_cents), so
  memory is bounded by the payment rate within the window, not by the day.

Nothing here is tolerant by accident: an unknown status, channel or method is
counted as "other" and a malformed payment is still counted as an attempt.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional, Protocol
from zoneinfo import ZoneInfo

from bot.summary import (
    APPROVED,
    FAILED_STATUSES,
    KNOWN_CHANNELS,
    KNOWN_METHODS,
    PENDING,
    REVERSAL_STATUSES,
    ChannelStats,
    DaySummary,
)

from .client import rfc3339

DUPLICATE_WINDOW = timedelta(minutes=10)
DUPLICATE_WINDOW_MAX = 100_000  # entries kept however the source repeats itself: memory stays flat
EXACT_MEDIAN_MAX = 2048  # up to this many amounts the median is exact
MAX_CODES = 64  # distinct status codes kept per dict; the rest are counted as "other"
MAX_CODE_LEN = 64
_BUCKET_RATIO = 1.01  # histogram bucket width: consecutive bounds differ by 1 %
_LOG_RATIO = math.log(_BUCKET_RATIO)
_UNKNOWN_CODE = "unknown"  # a failed or reversed payment without a status_code


def _norm(value: Any, known: frozenset[str]) -> str:
    """A status/channel/method normalised to a known name, or "other"."""
    if type(value) is str:
        if value in known:  # the usual case: already a known name
            return value
        v = value.strip().lower()
        if v in known:
            return v
    return "other"


def _cents(value: Any) -> Optional[int]:
    """amount_cents as a non-negative int, or None when it is not a usable amount."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        return int(round(value))
    return None


def _epoch_seconds(value: Any) -> Optional[float]:
    """created_at (RFC 3339) as epoch seconds; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # the API's times are UTC
    try:
        return dt.timestamp()
    except (OverflowError, OSError, ValueError):  # pragma: no cover - extreme years
        return None


def _code(value: Any) -> str:
    if value is None:
        return _UNKNOWN_CODE
    s = str(value).strip()
    return s[:MAX_CODE_LEN] if s else _UNKNOWN_CODE


def _bump(d: dict[str, int], key: str, cap: int = MAX_CODES) -> None:
    """d[key] += 1, except that a new key beyond `cap` distinct keys counts as "other"."""
    if key in d or len(d) < cap:
        d[key] = d.get(key, 0) + 1
    else:
        d["other"] = d.get("other", 0) + 1


def _copy_stats(s: ChannelStats) -> ChannelStats:
    """An independent copy (the dicts are not shared)."""
    return replace(
        s,
        methods=dict(s.methods),
        decline_reasons=dict(s.decline_reasons),
        return_codes=dict(s.return_codes),
    )


class MedianSketch:
    """Median of non-negative integers in bounded memory.

    Exact while at most `exact_max` values were added; afterwards the values
    live only in a histogram whose buckets are 1 % wide, so the estimate is
    within about 0.5 % of a value of the true median's bucket.
    """

    def __init__(self, exact_max: int = EXACT_MEDIAN_MAX) -> None:
        self.count = 0
        self._exact: Optional[list[int]] = []
        self._exact_max = exact_max
        self._zeros = 0
        self._buckets: dict[int, int] = {}

    def add(self, v: int) -> None:
        self.count += 1
        if self._exact is not None:
            if len(self._exact) < self._exact_max:
                self._exact.append(v)
            else:
                self._exact = None  # too many: from now on the histogram alone
        if v <= 0:
            self._zeros += 1
        else:
            b = int(math.log(v) / _LOG_RATIO)
            self._buckets[b] = self._buckets.get(b, 0) + 1

    @property
    def bucket_count(self) -> int:
        return len(self._buckets)

    def median(self) -> int:
        if self.count == 0:
            return 0
        if self._exact is not None:
            xs = sorted(self._exact)
            n = len(xs)
            mid = n // 2
            return xs[mid] if n % 2 else round((xs[mid - 1] + xs[mid]) / 2)
        rank = (self.count + 1) // 2  # the lower median's 1-based rank
        if rank <= self._zeros:
            return 0
        seen = self._zeros
        for b in sorted(self._buckets):
            seen += self._buckets[b]
            if seen >= rank:
                # geometric middle of [ratio**b, ratio**(b+1))
                return max(1, round(math.pow(_BUCKET_RATIO, b + 0.5)))
        return 0  # pragma: no cover - counts always reach rank


class DuplicateWindow:
    """Flags a payment whose (payer_key, amount) was seen within `window` before it.

    Payments arrive ordered by created_at; entries older than the window are
    evicted from the front, so memory is bounded by the number of payments in
    any `window`-long stretch. Slightly out-of-order input is tolerated: the
    test is |t - t_previous| <= window.
    """

    def __init__(self, window: timedelta = DUPLICATE_WINDOW) -> None:
        self.window = window.total_seconds()
        self._order: deque[tuple[float, tuple[str, int]]] = deque()
        self._last: dict[tuple[str, int], float] = {}
        self.evicted = 0  # entries dropped to keep the bound (a window denser than DUPLICATE_WINDOW_MAX)

    def __len__(self) -> int:
        return len(self._order)

    def seen(self, t: float, key: tuple[str, int]) -> bool:
        """Record the payment; True when it repeats one within the window."""
        horizon = t - self.window
        order, last = self._order, self._last
        while order and order[0][0] < horizon:
            old_t, old_key = order.popleft()
            if last.get(old_key) == old_t:
                del last[old_key]
        prev = last.get(key)
        dup = prev is not None and abs(t - prev) <= self.window
        if prev == t:  # the same key at the same instant is already held once
            return dup
        last[key] = t
        order.append((t, key))
        if len(order) > DUPLICATE_WINDOW_MAX:  # bounded: the oldest entry goes first
            old_t, old_key = order.popleft()
            if last.get(old_key) == old_t:
                del last[old_key]
            self.evicted += 1
        return dup


class _Slice:
    """The running numbers of one ChannelStats."""

    __slots__ = ("stats", "median", "dups")

    def __init__(self, window: timedelta) -> None:
        self.stats = ChannelStats()
        self.median = MedianSketch()
        self.dups = DuplicateWindow(window)

    def add(
        self,
        status: str,
        method: str,
        cents: Optional[int],
        code: Any,
        t: Optional[float],
        payer: Optional[str],
    ) -> None:
        s = self.stats
        s.attempts += 1
        _bump(s.methods, method)
        if cents is not None:
            self.median.add(cents)
            if cents > s.max_cents:
                s.max_cents = cents
        amount = cents or 0
        if status == APPROVED:
            s.approved += 1
            s.approved_cents += amount
        elif status == PENDING:
            s.pending += 1
        elif status in FAILED_STATUSES:
            s.failed += 1
            _bump(s.decline_reasons, _code(code))
        elif status in REVERSAL_STATUSES:
            s.reversed += 1
            s.reversed_cents += amount
            if status == "returned":
                s.returned += 1
            _bump(s.return_codes, _code(code))
        else:
            s.other += 1
        # A declined/failed attempt neither is nor makes a duplicate: paying
        # again after a decline is what payers should do.
        if status not in FAILED_STATUSES and payer and cents is not None and t is not None:
            if self.dups.seen(t, (payer, cents)):
                s.duplicates += 1

    def result(self) -> ChannelStats:
        out = _copy_stats(self.stats)
        out.median_cents = self.median.median()
        return out


class DayAggregator:
    """Streams one day's payments into (addon, total, by_channel).

    `addon` counts payments whose channel equals `addon_channel` (all payments
    when it is None); `total` counts all; `by_channel` is channel -> attempts,
    unknown channels under "other". The median is of every payment's amount
    (any status), like max_cents. Duplicates are looked for within each slice.
    """

    def __init__(
        self, addon_channel: Optional[str], *, duplicate_window: timedelta = DUPLICATE_WINDOW,
        day_start: Optional[datetime] = None,
    ) -> None:
        self.addon_channel = addon_channel.strip().lower() if addon_channel else None
        # With day_start (local midnight, aware), the add-on's attempts are also counted by hour of the day.
        self._hour_base = day_start.timestamp() if day_start is not None else None
        self.hours = [0] * 24
        self._total = _Slice(duplicate_window)
        # With no add-on channel the add-on slice *is* the total.
        self._addon = self._total if self.addon_channel is None else _Slice(duplicate_window)
        self._by_channel: dict[str, int] = {}
        self.count = 0

    def add(self, payment: Mapping[str, Any]) -> None:
        if type(payment) is not dict and not isinstance(payment, Mapping):
            payment = {}
        self.count += 1
        status = _norm(payment.get("status"), _STATUSES)
        channel = _norm(payment.get("channel"), KNOWN_CHANNELS)
        method = _norm(payment.get("method"), KNOWN_METHODS)
        cents = _cents(payment.get("amount_cents"))
        payer = payment.get("payer_key")
        payer = payer if isinstance(payer, str) else None
        # Parse created_at only when it can matter (duplicate detection).
        is_addon = self.addon_channel is None or channel == self.addon_channel
        hourly = self._hour_base is not None and is_addon
        t = _epoch_seconds(payment.get("created_at")) if payer or hourly else None
        code = payment.get("status_code")
        self._by_channel[channel] = self._by_channel.get(channel, 0) + 1
        self._total.add(status, method, cents, code, t, payer)
        if self._addon is not self._total and is_addon:
            self._addon.add(status, method, cents, code, t, payer)
        if hourly and t is not None:
            self.hours[min(23, max(0, int((t - self._hour_base) // 3600)))] += 1

    def add_all(self, payments: Iterable[Mapping[str, Any]]) -> "DayAggregator":
        for p in payments:
            self.add(p)
        return self

    def result(self) -> tuple[ChannelStats, ChannelStats, dict[str, int]]:
        total = self._total.result()
        addon = _copy_stats(total) if self._addon is self._total else self._addon.result()
        return addon, total, dict(self._by_channel)

    def footprint(self) -> dict[str, int]:
        """Sizes of the bounded structures (for tests and benchmarks)."""
        slices = [self._total] if self._addon is self._total else [self._total, self._addon]
        return {
            "duplicate_window": sum(len(s.dups) for s in slices),
            "histogram_buckets": sum(s.median.bucket_count for s in slices),
        }


_STATUSES = frozenset({APPROVED, PENDING}) | FAILED_STATUSES | REVERSAL_STATUSES


# ---- the day --------------------------------------------------------------------
def day_window(local_date: date, tz: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `local_date` in `tz`, as aware UTC datetimes.

    23 or 25 hours long on DST change days. Where a zone skips midnight itself,
    the day starts at the first local instant after the gap (zoneinfo's fold=0).
    """
    zone = ZoneInfo(tz)
    start = datetime.combine(local_date, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(local_date + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, end


class PaymentsSource(Protocol):
    """What summarize_day needs of a client (PaymentsClient satisfies it)."""

    def iter_payments(
        self,
        biller_id: str,
        created_gte: datetime,
        created_lt: datetime,
        channels: Optional[list[str]] = None,
        page_size: int = 500,
    ) -> Iterable[Mapping[str, Any]]: ...


def summarize_day(
    client: PaymentsSource,
    *,
    project_id: int,
    biller_id: str,
    local_date: date,
    tz: str,
    addon_channel: Optional[str],
    page_size: int = 500,
) -> DaySummary:
    """Read the local day's payments (all channels, one pass) into a DaySummary.

    PaymentsError propagates: the caller records the day as source_unavailable.
    """
    start, end = day_window(local_date, tz)
    agg = DayAggregator(addon_channel, day_start=start)
    for p in client.iter_payments(biller_id, start, end, page_size=page_size):
        agg.add(p)
    addon, total, by_channel = agg.result()
    return DaySummary(
        project_id=project_id,
        biller_id=biller_id,
        local_date=local_date,
        tz=tz,
        addon_channel=addon_channel,
        addon=addon,
        total=total,
        by_channel=by_channel,
        window_start=rfc3339(start),
        window_end=rfc3339(end),
        addon_hours=list(agg.hours),
    )
