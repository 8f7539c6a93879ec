"""A simulated Biller Portal serving `payments-api.yaml` from generated data.

The data are a pure function of (seed, biller id, profile): nothing is stored,
so the simulator can serve millions of payments in constant memory, and the
same query always returns the same payments.

How the data are laid out
-------------------------
Time is cut into fixed UTC slots (an hour for quiet billers, down to one
second for very busy ones, so that a slot holds a few dozen payments). A slot's
payments are generated from a `random.Random` seeded with (biller key, slot),
quarter hour by quarter hour:

- the expected count is the local day's volume (per_day x weekday rhythm x
  day-to-day noise x scenario factor) times the local quarter-hour's share of
  the day (people pay in the daytime, AutoPay/scheduled batches run at night);
  the actual count is Poisson;
- each payment gets a time inside the slot, a channel (by the profile's
  channel mix; the add-on channel is empty before go-live), a method, an
  amount (lognormal, typically $20-$400), a payer from the biller's payer pool,
  and a status: mostly approved, some declined/failed with a reason, a few
  pending, the odd ACH return (R01...), refund, void or chargeback, whose
  `updated_at` is days later than `created_at`.

Things that involve several payments (genuine double submissions, scenario
duplicates, outsized payments, extra returns) are planned per local day and
dropped into the slots their times fall in.

A page is produced by walking slots from the cursor's position; the cursor is
(slot, index in slot), with a checksum. Results are ordered by created_at then
id, as the contract says. Over HTTP a page is rendered to JSON text straight
from the generated values (`page_json`); in process it comes as dicts (`page`,
`iter_payments`, which has PaymentsClient's signature, so `summarize_day`
accepts a Simulator directly).

Run it alone: `python -m bot.payments.simulator --port 8787 [--token T] [--seed N] [--strict]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import math
import re
import socket
import threading
import time
import zlib
from bisect import bisect
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from operator import itemgetter
from random import Random
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # imported lazily at run time: the bot need not load a web stack to import us
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
QUARTER_MS = 900_000
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
# Slot lengths a biller may use. Each divides an hour and is a multiple or a
# divisor of a quarter hour, so a slot never straddles an hour, and a slot
# up to a quarter long never straddles a local quarter or day (in zones whose
# offsets are whole quarters). Longer slots for quiet billers amortise the
# per-slot cost (seeding a Random is ~4 us).
SLOT_CHOICES_MS = (3_600_000, 1_800_000, 900_000, 300_000, 60_000, 15_000, 5_000, 1_000)
TARGET_PER_SLOT = 64  # the busiest expected slot holds at most about this many payments
# Work bounds per request: a sparse channel filter over a long window returns
# a short (even empty) page with has_more=true rather than scanning for ever.
MAX_SCAN_SLOTS = 200_000
MAX_SCAN_ROWS = 100_000

CHANNELS = ("web", "mobile", "ivr", "text", "autopay", "scheduled", "agent", "other")
DEFAULT_MIX: dict[str, float] = {
    "web": 0.34, "mobile": 0.20, "autopay": 0.18, "ivr": 0.09,
    "text": 0.06, "scheduled": 0.07, "agent": 0.05, "other": 0.01,
}
OVERRIDE_KEYS = frozenset(
    {"factor", "addon_factor", "decline_rate", "addon_decline_rate", "outsized_cents", "duplicates", "returns"}
)
US_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
)


# ---- rhythms ---------------------------------------------------------------------
def _quarters(hourly: list[float]) -> tuple[float, ...]:
    """96 quarter-hour weights from 24 hourly ones, normalised to mean 1."""
    q = [hourly[i // 4] for i in range(96)]
    mean = sum(q) / 96
    return tuple(x / mean for x in q)


# People: quiet at night, busy late morning to early evening.
HUMAN_CURVE = _quarters([
    0.25, 0.15, 0.12, 0.12, 0.20, 0.35, 0.60, 0.90, 1.20, 1.45, 1.55, 1.60,
    1.60, 1.50, 1.45, 1.40, 1.40, 1.45, 1.50, 1.45, 1.30, 1.05, 0.75, 0.45,
])
# AutoPay and scheduled payments: batch runs in the small hours.
BATCH_CURVE = _quarters([
    0.30, 2.00, 4.00, 4.00, 3.00, 2.00, 1.50, 1.20, 0.60, 0.60, 0.60, 0.60,
    0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.50, 0.40,
])
CURVES = {c: (BATCH_CURVE if c in ("autopay", "scheduled") else HUMAN_CURVE) for c in CHANNELS}
_W = (1.12, 1.08, 1.04, 1.02, 1.10, 0.70, 0.56)  # Monday .. Sunday
WEEKLY = tuple(w * 7 / sum(_W) for w in _W)  # mean 1, so per_day is the weekly average


# ---- weighted tables ---------------------------------------------------------------
class _Table:
    """Weighted choice with one uniform draw."""

    __slots__ = ("values", "cum")

    def __init__(self, pairs: list[tuple[Any, float]]) -> None:
        self.values = tuple(v for v, _ in pairs)
        total = float(sum(w for _, w in pairs))
        acc, cum = 0.0, []
        for _, w in pairs:
            acc += w / total
            cum.append(acc)
        cum[-1] = 1.0
        self.cum = tuple(cum)

    def pick(self, u: float) -> Any:
        return self.values[bisect(self.cum, u)]


METHODS = {
    "web": _Table([("card", 60), ("ach", 25), ("wallet", 15)]),
    "mobile": _Table([("card", 50), ("wallet", 35), ("ach", 15)]),
    "ivr": _Table([("card", 80), ("ach", 20)]),
    "text": _Table([("card", 70), ("wallet", 10), ("ach", 20)]),
    "autopay": _Table([("ach", 60), ("card", 40)]),
    "scheduled": _Table([("ach", 50), ("card", 50)]),
    "agent": _Table([("card", 50), ("cash", 30), ("ach", 20)]),
    "other": _Table([("other", 50), ("card", 50)]),
}
BASE_FAIL = {"card": 0.055, "wallet": 0.03, "ach": 0.02, "cash": 0.0, "other": 0.04}
CARD_DECLINES = _Table([
    ("insufficient_funds", 34), ("do_not_honor", 24), ("card_expired", 12),
    ("invalid_card_number", 8), ("incorrect_cvc", 8), ("avs_mismatch", 7),
    ("suspected_fraud", 4), ("processing_error", 3),
])
ACH_FAILURES = _Table([("invalid_routing_number", 5), ("account_validation_failed", 3), ("processing_error", 2)])
ACH_RETURNS = _Table([
    ("R01", 50), ("R02", 14), ("R03", 10), ("R04", 8), ("R08", 6), ("R10", 6), ("R16", 3), ("R29", 3),
])
REFUND_CODES = _Table([("requested_by_customer", 7), ("duplicate", 3)])
CHARGEBACK_CODES = _Table([("fraudulent", 6), ("unrecognized", 4)])
# Reversal odds among payments that went through (cumulative thresholds).
ACH_RETURN_P, ACH_PENDING_P = 0.006, 0.036
CARD_REFUND_P, CARD_VOID_P, CARD_CHARGEBACK_P = 0.003, 0.005, 0.0055

AMOUNT_MU = math.log(9_000)  # median about $90
AMOUNT_SIGMA = 0.55  # ~95 % between $30 and $260, ~99.7 % between $17 and $470
HOUR_MS = 3_600_000


# ---- profile ---------------------------------------------------------------------
@dataclass
class BillerProfile:
    """How a simulated biller's payers pay.

    per_day: average payments a day across channels (the weekly mean, after go-live).
    channel_mix: channel -> share of the volume (normalised).
    golive: before this local date the add-on channel has no payments.
    tz: the biller's time zone (local days, daily rhythm).
    addon_channel: the add-on's channel; None means the add-on is every channel.
    decline_rate: overrides the realistic per-method failure rates.
    duplicate_rate: share of payments followed by a genuine double submission.
    overrides: local date -> scenario, any of
        factor (volume multiplier, all channels), addon_factor (add-on channel only;
        0.0 = no add-on payments that day), decline_rate / addon_decline_rate,
        outsized_cents (one approved payment of that amount on the add-on channel),
        duplicates (that many extra duplicate pairs on the add-on channel),
        returns (that many extra ACH returns on the add-on channel).
    """

    per_day: float = 400.0
    channel_mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    golive: Optional[date] = None
    tz: str = "America/New_York"
    addon_channel: Optional[str] = None
    decline_rate: Optional[float] = None
    duplicate_rate: float = 0.002
    overrides: dict[date, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def for_projection(
        cls,
        projected: float,
        *,
        addon_channel: Optional[str],
        golive: Optional[date] = None,
        tz: str = "America/New_York",
        channel_mix: Optional[dict[str, float]] = None,
        overrides: Optional[dict[date, dict[str, float]]] = None,
    ) -> "BillerProfile":
        """A profile whose add-on channel averages `projected` payments a day after go-live
        (per_day is scaled up by the add-on channel's share of the mix)."""
        mix = dict(channel_mix or DEFAULT_MIX)
        if addon_channel is not None and mix.get(addon_channel, 0) <= 0:
            mix[addon_channel] = 0.1
        share = 1.0 if addon_channel is None else mix[addon_channel] / sum(mix.values())
        return cls(
            per_day=projected / share, channel_mix=mix, golive=golive, tz=tz,
            addon_channel=addon_channel, overrides=dict(overrides or {}),
        )

    def __post_init__(self) -> None:
        if not self.per_day >= 0:
            raise ValueError("per_day must be >= 0")
        if not self.channel_mix or any(not (w >= 0) for w in self.channel_mix.values()):
            raise ValueError("channel_mix must map channels to non-negative shares")
        if sum(self.channel_mix.values()) <= 0:
            raise ValueError("channel_mix shares must not all be zero")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.tz!r}") from None
        for d, o in self.overrides.items():
            if not isinstance(d, date):
                raise ValueError(f"override keys must be dates, not {d!r}")
            bad = set(o) - OVERRIDE_KEYS
            if bad:
                raise ValueError(f"unknown override {sorted(bad)} on {d}; known: {sorted(OVERRIDE_KEYS)}")


def profile_for(biller_id: str) -> BillerProfile:
    """The deterministic profile of a biller nobody configured (from a hash of its id)."""
    r = Random(int.from_bytes(hashlib.blake2b(biller_id.encode(), digest_size=16).digest(), "big"))
    per_day = float(round(math.exp(r.uniform(math.log(80), math.log(3000)))))
    addon = r.choice(["ivr", "text", "autopay", "web", "mobile"])
    mix = {c: w * r.uniform(0.6, 1.4) for c, w in DEFAULT_MIX.items()}
    mix[addon] = max(mix[addon], 0.08)
    return BillerProfile(per_day=per_day, channel_mix=mix, tz=r.choice(US_ZONES), addon_channel=addon)


# ---- time formatting ---------------------------------------------------------------
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_STRINGS: dict[int, str] = {}


def _iso(ms: int) -> str:
    """Epoch milliseconds as RFC 3339 UTC with milliseconds, e.g. 2026-03-08T14:03:12.345Z."""
    d, r = divmod(ms, DAY_MS)
    ds = _DAY_STRINGS.get(d)
    if ds is None:
        ds = date.fromordinal(_EPOCH_ORDINAL + d).isoformat()
        if len(_DAY_STRINGS) < 100_000:
            _DAY_STRINGS[d] = ds
    h, r = divmod(r, HOUR_MS)
    m, r = divmod(r, 60_000)
    s, f = divmod(r, 1000)
    return f"{ds}T{h:02d}:{m:02d}:{s:02d}.{f:03d}Z"


def _to_ms_ceil(dt: datetime) -> int:
    """An aware datetime as epoch ms, rounded up (payment times are whole ms)."""
    us = (dt - _EPOCH) // timedelta(microseconds=1)
    return -(-us // 1000)


def _poisson(rng: Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))


# Amounts are lognormal, drawn from quantile tables: one uniform draw instead
# of a Gaussian and an exp. `_amount` interpolates 1,025 quantiles; the hot
# loop indexes 16,384 precomputed ones (_AMOUNTS). The tails are cut near
# +-3.3 sigma ($15-$550); outsized payments come from scenarios.
_AMOUNT_STEPS = 1024
_AMOUNT_Q = tuple(
    math.exp(AMOUNT_MU + AMOUNT_SIGMA * NormalDist().inv_cdf((i + 0.5) / (_AMOUNT_STEPS + 1)))
    for i in range(_AMOUNT_STEPS + 1)
)


def _amount(u: float) -> int:
    """A lognormal amount in cents (at least $1) from a uniform draw u in [0, 1)."""
    x = u * _AMOUNT_STEPS
    i = int(x)
    lo = _AMOUNT_Q[i]
    return max(100, int(lo + (_AMOUNT_Q[i + 1] - lo) * (x - i)))


# ---- per-biller generation ---------------------------------------------------------
class SimulatorError(Exception):
    """An API error the simulator answers with (status, code, message)."""

    def __init__(self, status: int, code: str, message: str, retry_after: Optional[int] = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


# A payment while its slot is being generated (no id or created_at yet):
# (created ms, updated ms, amount, fee, status, status_code, channel, method, account_masked, payer_key)
_Part = tuple[int, int, int, int, str, Optional[str], str, str, Optional[str], str]
# A payment's values in this order (biller_id and currency are the same for all):
# (id, created_at, updated_at, amount_cents, fee_cents, status, status_code,
#  channel, method, account_masked, payer_key)
_Vals = tuple[str, str, str, int, int, str, Optional[str], str, str, Optional[str], str]
# A generated payment: (created ms, updated ms, values).
_Row = tuple[int, int, _Vals]


@dataclass
class _Day:
    """What a local day needs: per-channel volume and failure rates, planned extras."""

    local_date: date
    lam: tuple[float, ...]  # expected payments that day, per channel (biller channel order)
    fail: tuple[Optional[float], ...]  # failure-rate override per channel, None = realistic
    extras: dict[int, list[_Part]]  # slot -> payments planned at day level


class _Biller:
    def __init__(self, biller_id: str, profile: BillerProfile, seed: int) -> None:
        self.id = biller_id
        self.id_json = json.dumps(biller_id)
        self.profile = profile
        digest = hashlib.blake2b(f"{seed}|{biller_id}".encode(), digest_size=8).digest()
        self.key = int.from_bytes(digest, "big")
        self.tag = digest[:4].hex()
        self.zone = ZoneInfo(profile.tz)
        total = sum(profile.channel_mix.values())
        # Unknown channel names in a mix are kept: the simulator serves them as given.
        self.channels = tuple(c for c, w in profile.channel_mix.items() if w > 0)
        self.shares = tuple(profile.channel_mix[c] / total for c in self.channels)
        self.curves = tuple(CURVES.get(c, HUMAN_CURVE) for c in self.channels)
        self.methods = tuple(METHODS.get(c, METHODS["other"]) for c in self.channels)
        self.channel_json = {c: json.dumps(c) for c in (*self.channels, profile.addon_channel or "web")}
        self.addon_idx = frozenset(
            i for i, c in enumerate(self.channels)
            if profile.addon_channel is None or c == profile.addon_channel
        )
        self.payer_pool = max(100, int(profile.per_day * 30))  # payers pay about monthly
        peak = max(sum(s * cv[q] for s, cv in zip(self.shares, self.curves)) for q in range(96))
        busiest = profile.per_day * max(WEEKLY) * 1.3 * peak  # per day at the peak quarter's rate
        self.slot_ms = SLOT_CHOICES_MS[-1]
        for ms in SLOT_CHOICES_MS:
            if busiest * ms / DAY_MS <= TARGET_PER_SLOT:
                self.slot_ms = ms
                break
        self._days: dict[date, _Day] = {}
        self._quarters: dict[int, tuple[_Day, float, tuple[float, ...]]] = {}

    # -- payers --
    def payer(self, n: int) -> tuple[str, int]:
        """(payer_key, 48-bit hash) of payer number n; the key is opaque and unique per biller."""
        h = (n * _PAYER_MULT + self.key) & _MASK48
        return f"pk_{h:012x}", h

    # -- days --
    def day(self, d: date) -> _Day:
        info = self._days.get(d)
        if info is None:
            if len(self._days) > 1024:
                self._days.clear()
            info = self._days[d] = self._plan_day(d)
        return info

    def _plan_day(self, d: date) -> _Day:
        p = self.profile
        o = p.overrides.get(d, {})
        rng = Random((self.key << 32) ^ (d.toordinal() * 0x5851F42D) ^ 0xDA1)
        level = p.per_day * WEEKLY[d.weekday()] * rng.lognormvariate(0.0, 0.08) * float(o.get("factor", 1.0))
        before_golive = p.golive is not None and d < p.golive
        addon_factor = float(o.get("addon_factor", 1.0))
        lam, fail = [], []
        for i, share in enumerate(self.shares):
            x = level * share
            f = o.get("decline_rate", p.decline_rate)
            if i in self.addon_idx:
                x = 0.0 if before_golive else x * addon_factor
                f = o.get("addon_decline_rate", f)
            lam.append(x)
            fail.append(None if f is None else float(f))
        info = _Day(d, tuple(lam), tuple(fail), {})
        self._plan_extras(info, o, rng)
        return info

    def _local_ms(self, d: date, minutes: float) -> int:
        """UTC ms of local time `minutes` after local midnight of d (daytime only: no DST gap)."""
        local = datetime.combine(d, dtime(0), tzinfo=self.zone) + timedelta(minutes=minutes)
        return _to_ms_ceil(local)

    def _plan_extras(self, info: _Day, o: dict[str, float], rng: Random) -> None:
        """Payments that involve more than one slot or a scenario: pairs, outsized, returns."""
        p = self.profile
        addon = p.addon_channel or "web"
        planned: list[_Part] = []

        def payment(t: int, upd: int, amount: int, status: str, code: Optional[str], channel: str, method: str) -> None:
            key, h = self.payer(int(rng.random() * self.payer_pool))
            fee, masked = _fee_and_mask(amount, channel, method, h)
            planned.append((t, upd, amount, fee, status, code, channel, method, masked, key))

        def pair(channel: str) -> None:
            t = self._local_ms(info.local_date, rng.uniform(7 * 60, 22 * 60))
            method = METHODS.get(channel, METHODS["other"]).pick(rng.random())
            amount = _amount(rng.random())
            gap = int(rng.uniform(30_000, 300_000))  # the second submission 30 s to 5 min later
            key, h = self.payer(int(rng.random() * self.payer_pool))
            fee, masked = _fee_and_mask(amount, channel, method, h)
            for when in (t, t + gap):
                planned.append((when, when, amount, fee, "approved", None, channel, method, masked, key))

        # Genuine double submissions, spread like the day's volume across channels.
        day_total = sum(info.lam)
        if day_total > 0:
            chooser = _Table([(c, x) for c, x in zip(self.channels, info.lam)])
            for _ in range(_poisson(rng, day_total * p.duplicate_rate)):
                pair(chooser.pick(rng.random()))
        for _ in range(int(o.get("duplicates", 0))):
            pair(addon)
        if "outsized_cents" in o:
            t = self._local_ms(info.local_date, rng.uniform(10 * 60, 18 * 60))
            payment(t, t, int(o["outsized_cents"]), "approved", None, addon, "card")
        for k in range(int(o.get("returns", 0))):
            t = self._local_ms(info.local_date, rng.uniform(8 * 60, 20 * 60))
            code = ACH_RETURNS.pick(rng.random()) if k % 2 else "R01"
            upd = t + int(rng.uniform(2, 5) * DAY_MS)
            payment(t, upd, _amount(rng.random()), "returned", code, addon, "ach")
        for part in planned:
            info.extras.setdefault(part[0] // self.slot_ms, []).append(part)

    # -- slots --
    def quarter(self, q: int) -> tuple[_Day, float, tuple[float, ...]]:
        """(day, expected payments per ms, cumulative channel weights) for UTC quarter q."""
        hit = self._quarters.get(q)
        if hit is None:
            if len(self._quarters) > 8192:
                self._quarters.clear()
            local = datetime.fromtimestamp(q * (QUARTER_MS // 1000), self.zone)
            info = self.day(local.date())
            qi = local.hour * 4 + local.minute // 15
            rates = [lam * cv[qi] for lam, cv in zip(info.lam, self.curves)]
            total = sum(rates)
            cum, acc = [], 0.0
            for r in rates:
                acc += r / total if total > 0 else 0.0
                cum.append(acc)
            if cum:
                cum[-1] = 1.0
            hit = self._quarters[q] = (info, total / DAY_MS, tuple(cum))
        return hit

    def slot(self, s: int) -> list[_Row]:
        """The payments of slot s in (created_at, id) order.

        The hot path of the simulator (every payment served passes here once
        per request), hence the local-variable style and the lookup tables.
        """
        sm = self.slot_ms
        start = s * sm
        rng = Random((self.key << 40) ^ (s & 0xFFFFFFFFFF))
        rnd = rng.random
        # Per local quarter hour of the slot (one, or up to four for hour-long
        # slots): its day and channel weights, and its payments' times.
        span = min(sm, QUARTER_MS)
        quarters: list[tuple[_Day, tuple[float, ...]]] = []
        entries: list[tuple[int, int, Optional[_Part]]] = []
        for k in range(max(1, sm // QUARTER_MS)):
            info, per_ms, cum = self.quarter(start // QUARTER_MS + k)
            quarters.append((info, cum))
            q_start = start + k * QUARTER_MS
            entries += [(q_start + int(rnd() * span), k, None) for _ in range(_poisson(rng, per_ms * span))]
        # Day-level extras (already complete) are merged in at their times,
        # once per local day the slot touches (its quarters are consecutive).
        seen_day: Optional[date] = None
        for info, _ in quarters:
            if info.local_date != seen_day:
                seen_day = info.local_date
                entries += [(p[0], -1, p) for p in info.extras.get(s, ())]
        if not entries:
            return []
        entries.sort(key=_by_time)  # stable: on equal times, generated before planned
        channels, tables, pool, key = self.channels, self.methods, self.payer_pool, self.key
        amounts, masks, mmss, millis = _AMOUNTS, _MASKS, _MMSS, _MILLIS
        last = len(channels) - 1
        # A slot never crosses an hour: date and hour are formatted once.
        hour_start = start - start % HOUR_MS
        prefix = _iso(hour_start)[:14]  # "YYYY-MM-DDTHH:"
        id_prefix = f"pay_{self.tag}_"
        rows: list[_Row] = []
        for j, (t, k, planned) in enumerate(entries):
            if planned is None:
                info, cum = quarters[k]
                ci = bisect(cum, rnd())
                if ci > last:  # pragma: no cover - float edge
                    ci = last
                channel = channels[ci]
                table = tables[ci]
                method = table.values[bisect(table.cum, rnd())]
                amount = amounts[int(rnd() * _AMOUNT_TABLE)]
                if rnd() < 0.25:  # many people pay round dollar amounts
                    amount = amount // 100 * 100
                h = (int(rnd() * pool) * _PAYER_MULT + key) & _MASK48
                fail = info.fail[ci]
                u = rnd()
                if fail is None:
                    pfail, threshold = _FAIL_THRESHOLDS.get(method, _OTHER_THRESHOLD)
                else:
                    pfail, threshold = fail, fail + (1.0 - fail) * _RARE.get(method, 0.0)
                if u < threshold:
                    status, code, upd = _status(rng, method, pfail, t, u)
                else:
                    status, code, upd = "approved", None, t
                if method == "card" or method == "wallet":
                    fee, masked = (195 if amount <= 20_000 else 295), masks[(h >> 20) % 10000]
                elif method == "ach":
                    fee, masked = (0 if channel in _BATCH else 95), masks[(h >> 34) % 10000]
                else:
                    fee, masked = 0, None
                payer = f"pk_{h:012x}"
            else:
                _, upd, amount, fee, status, code, channel, method, masked, payer = planned
            # Ids follow (created_at, generation order): ties on created_at are ordered by id.
            r = t - hour_start
            created = prefix + mmss[r // 1000] + millis[r % 1000]
            rows.append((t, upd, (
                f"{id_prefix}{t}_{j:05d}", created, created if upd == t else _iso(upd),
                amount, fee, status, code, channel, method, masked, payer,
            )))
        return rows

    # -- output --
    def as_dict(self, v: _Vals) -> dict[str, Any]:
        return {
            "id": v[0], "biller_id": self.id, "created_at": v[1], "updated_at": v[2],
            "amount_cents": v[3], "fee_cents": v[4], "currency": "USD", "status": v[5],
            "status_code": v[6], "channel": v[7], "method": v[8], "account_masked": v[9],
            "payer_key": v[10],
        }

    def as_json(self, v: _Vals) -> str:
        """The same object as `as_dict`, as JSON text, without building the dict.

        Every string but biller_id and channel comes from this module's fixed
        alphabets (hex, digits, table values), so only those two need escaping,
        and they are escaped once per biller.
        """
        code = "null" if v[6] is None else f'"{v[6]}"'
        masked = "null" if v[9] is None else f'"{v[9]}"'
        channel = self.channel_json.get(v[7]) or json.dumps(v[7])
        return (
            f'{{"id":"{v[0]}","biller_id":{self.id_json},"created_at":"{v[1]}","updated_at":"{v[2]}",'
            f'"amount_cents":{v[3]},"fee_cents":{v[4]},"currency":"USD","status":"{v[5]}",'
            f'"status_code":{code},"channel":{channel},"method":"{v[8]}","account_masked":{masked},'
            f'"payer_key":"{v[10]}"}}'
        )


# Lookup tables that keep string formatting out of the hot loop.
_MASKS = tuple(f"****{i:04d}" for i in range(10_000))
_MMSS = tuple(f"{s // 60:02d}:{s % 60:02d}." for s in range(3600))  # second of the hour -> "MM:SS."
_MILLIS = tuple(f"{i:03d}Z" for i in range(1000))
_AMOUNT_TABLE = 16_384
_AMOUNTS = tuple(_amount((i + 0.5) / _AMOUNT_TABLE) for i in range(_AMOUNT_TABLE))  # lognormal quantiles
_PAYER_MULT = 0x9E3779B97F4A7C15  # odd: n -> n * MULT + key is a bijection mod 2**48
_MASK48 = 0xFFFFFFFFFFFF
_BATCH = frozenset({"autopay", "scheduled"})
# Per method, the share of payments that went through and end up other than approved.
_RARE = {"ach": ACH_PENDING_P, "card": CARD_CHARGEBACK_P, "wallet": CARD_CHARGEBACK_P}
_by_time = itemgetter(0)
# Per method with its realistic failure rate: (failure rate, threshold below which
# the single status draw means anything but a plain approval).
_FAIL_THRESHOLDS = {m: (f, f + (1.0 - f) * _RARE.get(m, 0.0)) for m, f in BASE_FAIL.items()}
_OTHER_THRESHOLD = (0.04, 0.04)


def _fee_and_mask(amount: int, channel: str, method: str, h: int) -> tuple[int, Optional[str]]:
    """Convenience fee and masked account of a payment (as the hot loop computes them)."""
    if method == "card" or method == "wallet":
        return (195 if amount <= 20_000 else 295), _MASKS[(h >> 20) % 10000]
    if method == "ach":
        return (0 if channel in _BATCH else 95), _MASKS[(h >> 34) % 10000]
    return 0, None


def _status(rng: Random, method: str, pfail: float, t: int, u: float) -> tuple[str, Optional[str], int]:
    """(status, status_code, updated ms) of a payment made at t that is not plainly approved;
    u is the uniform draw that decided so."""
    if u < pfail:
        if method == "card" or method == "wallet":
            return "declined", CARD_DECLINES.pick(rng.random()), t
        if method == "ach":
            return "failed", ACH_FAILURES.pick(rng.random()), t
        return "failed", "processing_error", t
    v = (u - pfail) / (1.0 - pfail)  # uniform on [0, 1) again among those that went through
    if method == "ach":
        if v < ACH_RETURN_P:
            return "returned", ACH_RETURNS.pick(rng.random()), t + int(rng.uniform(2, 5) * DAY_MS)
        if v < ACH_PENDING_P:
            return "pending", None, t
    elif method == "card" or method == "wallet":
        if v < CARD_REFUND_P:
            return "refunded", REFUND_CODES.pick(rng.random()), t + int(rng.uniform(1, 10) * DAY_MS)
        if v < CARD_VOID_P:
            return "voided", "voided", t + int(rng.uniform(1, 6) * HOUR_MS)
        if v < CARD_CHARGEBACK_P:
            return "chargeback", CHARGEBACK_CODES.pick(rng.random()), t + int(rng.uniform(15, 60) * DAY_MS)
    return "approved", None, t


# ---- cursors ---------------------------------------------------------------------
def _encode_cursor(biller_id: str, slot: int, j: int) -> str:
    payload = f"{slot}.{j}"
    crc = zlib.crc32(f"{biller_id}|{payload}".encode()) & 0xFFFFFFFF
    return base64.urlsafe_b64encode(f"{payload}.{crc:08x}".encode()).decode().rstrip("=")


def _decode_cursor(biller_id: str, cursor: str) -> tuple[int, int]:
    bad = SimulatorError(400, "invalid_cursor", "starting_after is not a next_cursor this API returned for this biller")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        slot_s, j_s, crc_s = raw.split(".")
        slot, j = int(slot_s), int(j_s)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if j < 0 or f"{zlib.crc32(f'{biller_id}|{slot_s}.{j_s}'.encode()) & 0xFFFFFFFF:08x}" != crc_s:
        raise bad
    return slot, j


# ---- query parsing -----------------------------------------------------------------
_OFFSET_SPACE = re.compile(r" (\d\d:?\d\d)$")


def parse_time(name: str, value: Optional[str]) -> datetime:
    """An RFC 3339 query parameter as an aware datetime, or a 400 naming the parameter."""
    example = "e.g. 2026-03-08T05:00:00Z"
    if value is None or value == "":
        raise SimulatorError(400, "invalid_request", f"{name} is required (RFC 3339, {example})")
    # An unencoded '+' in a query string arrives as a space.
    v = _OFFSET_SPACE.sub(r"+\1", value.strip())
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise SimulatorError(400, "invalid_request", f"{name} is not an RFC 3339 date-time: {value!r} ({example})") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise SimulatorError(400, "invalid_request", f"{name} needs a UTC offset or Z: {value!r} ({example})")
    return dt


def parse_limit(value: Optional[str]) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 1 <= n <= MAX_LIMIT:
        raise SimulatorError(400, "invalid_request", f"limit must be an integer from 1 to {MAX_LIMIT}, got {value!r}")
    return n


# ---- the simulator -----------------------------------------------------------------
class Simulator:
    """The simulated Biller Portal: a deterministic data source and its HTTP face.

    seed: changes every biller's data. strict: unknown billers are 404 (else
    they get `profile_for(id)`). token: when set, requests need
    `Authorization: Bearer <token>`. clock: when given (a function returning an
    aware datetime), payments created after "now" do not exist yet and a
    reversal whose updated_at is after now is still shown approved; without
    it every query returns the final state, identical every time.
    """

    def __init__(
        self,
        seed: int = 0,
        strict: bool = False,
        token: Optional[str] = None,
        *,
        clock: Optional[Callable[[], datetime]] = None,
    ) -> None:
        self.seed = seed
        self.strict = strict
        self.token = token
        self.clock = clock
        self._billers: dict[str, _Biller] = {}
        self._auto: dict[str, _Biller] = {}  # billers nobody configured, bounded cache
        self._lock = threading.Lock()
        self._faults: deque[tuple[int, Optional[int]]] = deque()
        self._down = False
        self.request_count = 0  # HTTP requests to the payments endpoint
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None
        self._sock: Optional[socket.socket] = None
        self.base_url: Optional[str] = None

    # -- configuration --
    def set_biller(self, biller_id: str, profile: BillerProfile) -> None:
        b = _Biller(biller_id, profile, self.seed)
        with self._lock:
            self._billers[biller_id] = b
            self._auto.pop(biller_id, None)

    def profile(self, biller_id: str) -> BillerProfile:
        return self._biller(biller_id).profile

    def fail_next(self, status: int, n: int = 1, retry_after: Optional[int] = None) -> None:
        """The next n payments requests answer `status` (with Retry-After if given)."""
        with self._lock:
            self._faults.extend([(status, retry_after)] * n)

    def clear_faults(self) -> None:
        """Forget pending fail_next faults and come back up."""
        with self._lock:
            self._faults.clear()
        self._down = False

    def set_down(self, down: bool = True) -> None:
        """While down, every payments request answers 503."""
        self._down = down

    def _biller(self, biller_id: str) -> _Biller:
        b = self._billers.get(biller_id)
        if b is not None:
            return b
        if self.strict:
            raise SimulatorError(404, "not_found", f"no such biller: {biller_id}")
        b = self._auto.get(biller_id)
        if b is None:
            b = _Biller(biller_id, profile_for(biller_id), self.seed)
            with self._lock:
                if len(self._auto) >= 4096:
                    self._auto.clear()
                self._auto[biller_id] = b
        return b

    # -- data --
    def page(
        self,
        biller_id: str,
        created_gte: datetime,
        created_lt: datetime,
        channels: Optional[list[str]] = None,
        limit: int = DEFAULT_LIMIT,
        starting_after: Optional[str] = None,
    ) -> dict[str, Any]:
        """One page, exactly as the API returns it: {"data", "has_more", "next_cursor"}."""
        b, vals, cursor = self._scan(biller_id, created_gte, created_lt, channels, limit, starting_after)
        return {"data": [b.as_dict(v) for v in vals], "has_more": cursor is not None, "next_cursor": cursor}

    def page_json(
        self,
        biller_id: str,
        created_gte: datetime,
        created_lt: datetime,
        channels: Optional[list[str]] = None,
        limit: int = DEFAULT_LIMIT,
        starting_after: Optional[str] = None,
    ) -> str:
        """The same page as JSON text, rendered straight from the generated values."""
        b, vals, cursor = self._scan(biller_id, created_gte, created_lt, channels, limit, starting_after)
        return (
            '{"data":[' + ",".join([b.as_json(v) for v in vals]) + '],"has_more":'
            + ("true" if cursor is not None else "false") + ',"next_cursor":' + json.dumps(cursor) + "}"
        )

    def _scan(
        self,
        biller_id: str,
        created_gte: datetime,
        created_lt: datetime,
        channels: Optional[list[str]],
        limit: int,
        starting_after: Optional[str],
    ) -> tuple[_Biller, list[_Vals], Optional[str]]:
        """(biller, the page's payments, next cursor or None when there is no more)."""
        b = self._biller(biller_id)
        if not 1 <= limit <= MAX_LIMIT:
            raise SimulatorError(400, "invalid_request", f"limit must be an integer from 1 to {MAX_LIMIT}")
        for name, dt in (("created_gte", created_gte), ("created_lt", created_lt)):
            if dt.tzinfo is None or dt.utcoffset() is None:
                raise SimulatorError(400, "invalid_request", f"{name} needs a UTC offset or Z")
        gte, lt = _to_ms_ceil(created_gte), _to_ms_ceil(created_lt)
        if lt <= gte:
            raise SimulatorError(400, "invalid_request", "created_lt must be later than created_gte")
        wanted = frozenset(channels) if channels else None
        sm = b.slot_ms
        slot, j = gte // sm, 0
        if starting_after:
            cs, cj = _decode_cursor(biller_id, starting_after)
            if (cs, cj) > (slot, j):
                slot, j = cs, cj
        now = _to_ms_ceil(self.clock()) if self.clock else None
        end = lt if now is None else min(lt, now)
        last_slot = (end - 1) // sm
        out: list[_Vals] = []
        scanned_slots = scanned_rows = 0
        while slot <= last_slot:
            rows = b.slot(slot)
            n = len(rows)
            while j < n:
                t, upd, v = rows[j]
                if t >= end:
                    return b, out, None
                if t >= gte and (wanted is None or v[7] in wanted):
                    if len(out) == limit:  # one more exists: the page is full and has_more
                        return b, out, _encode_cursor(biller_id, slot, j)
                    if now is not None and upd > now and v[5] != "approved":
                        # Not reversed yet as of now.
                        v = (v[0], v[1], v[1], v[3], v[4], "approved", None, v[7], v[8], v[9], v[10])
                    out.append(v)
                j += 1
            slot, j = slot + 1, 0
            scanned_slots += 1
            scanned_rows += n
            if (scanned_slots >= MAX_SCAN_SLOTS or scanned_rows >= MAX_SCAN_ROWS) and slot <= last_slot:
                return b, out, _encode_cursor(biller_id, slot, 0)
        return b, out, None

    def iter_payments(
        self,
        biller_id: str,
        created_gte: datetime,
        created_lt: datetime,
        channels: Optional[list[str]] = None,
        page_size: int = MAX_LIMIT,
    ) -> Iterator[dict[str, Any]]:
        """The same payments as the API, in process (no HTTP); handy for backtests and tests."""
        cursor: Optional[str] = None
        while True:
            body = self.page(biller_id, created_gte, created_lt, channels, page_size, cursor)
            yield from body["data"]
            if not body["has_more"]:
                return
            cursor = body["next_cursor"]

    # -- HTTP --
    def asgi_app(self) -> "Starlette":
        from starlette.applications import Starlette
        from starlette.exceptions import HTTPException
        from starlette.routing import Route

        async def not_found(request: "Request", exc: Exception) -> "Response":
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            return _error_response(status, "not_found" if status == 404 else "error", str(getattr(exc, "detail", exc)))

        return Starlette(
            routes=[Route("/v1/billers/{biller_id}/payments", self._handle, methods=["GET"])],
            exception_handlers={HTTPException: not_found},
        )

    async def _handle(self, request: "Request") -> "Response":
        from starlette.responses import Response

        with self._lock:
            self.request_count += 1
            fault = self._faults.popleft() if self._faults else None
        try:
            if self._down:
                raise SimulatorError(503, "unavailable", "the biller portal is down for maintenance")
            if fault is not None:
                status, retry_after = fault
                raise SimulatorError(status, _FAULT_CODES.get(status, "error"), "injected fault", retry_after)
            if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
                raise SimulatorError(401, "unauthorized", "missing or invalid bearer token")
            q = request.query_params
            gte = parse_time("created_gte", q.get("created_gte"))
            lt = parse_time("created_lt", q.get("created_lt"))
            limit = parse_limit(q.get("limit"))
            body = self.page_json(
                request.path_params["biller_id"], gte, lt,
                channels=q.getlist("channel") or None, limit=limit,
                starting_after=q.get("starting_after") or None,
            )
        except SimulatorError as e:
            return _error_response(e.status, e.code, e.message, e.retry_after)
        return Response(body, media_type="application/json")

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: a free port) in a background thread; returns the base URL
        once the server accepts connections."""
        import uvicorn

        if self._thread is not None:
            raise RuntimeError("simulator already started")
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted
        # connections only when the socket says it is TCP; without it, Nagle
        # plus delayed ACKs add ~40 ms to every small response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.asgi_app(), log_level="warning", access_log=False, lifespan="off", http="h11",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="payments-simulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10.0
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError("the payments simulator did not start")
            time.sleep(0.01)
        self._server, self._thread, self._sock = server, thread, sock
        self.base_url = f"http://{host}:{port}"
        log.info("payments simulator listening on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10.0)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None
        self.base_url = None

    def __enter__(self) -> "Simulator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_FAULT_CODES = {
    400: "invalid_request", 401: "unauthorized", 404: "not_found", 408: "timeout",
    429: "rate_limited", 500: "internal_error", 502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout",
}


def _error_response(status: int, code: str, message: str, retry_after: Optional[int] = None) -> "Response":
    from starlette.responses import JSONResponse

    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


# ---- command line ------------------------------------------------------------------
def main(argv: Optional[list[str]] = None) -> None:
    """`python -m bot.payments.simulator [--port 8787] [--seed 0] [--token T] [--strict]`"""
    ap = argparse.ArgumentParser(description="Serve the simulated Biller Portal payments API.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8787)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--token", default=None, help="require this bearer token")
    ap.add_argument("--strict", action="store_true", help="unknown billers are 404")
    args = ap.parse_args(argv)
    sim = Simulator(seed=args.seed, strict=args.strict, token=args.token)
    url = sim.start(args.host, args.port)
    print(f"payments simulator on {url}  (GET {url}/v1/billers/<biller_id>/payments); Ctrl+C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
