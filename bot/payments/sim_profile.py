"""What a simulated biller looks like: its profile, daily and weekly rhythms,
and the distributions its payments are drawn from (channels, methods,
failures and reversals, amounts). Pure data and pure functions; the
per-slot generator (`sim_generate`) draws from them.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from random import Random
from statistics import NormalDist
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
QUARTER_MS = 900_000

CHANNELS = ("web", "mobile", "ivr", "text", "autopay", "scheduled", "agent", "other")
DEFAULT_MIX: dict[str, float] = {
    "web": 0.34, "mobile": 0.20, "autopay": 0.18, "ivr": 0.09,
    "text": 0.06, "scheduled": 0.07, "agent": 0.05, "other": 0.01,
}
OVERRIDE_KEYS = frozenset(
    {"factor", "addon_factor", "decline_rate", "addon_decline_rate", "outsized_cents", "duplicates", "returns",
     "outage_from"}
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


# ---- random draws ------------------------------------------------------------------
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
# loop indexes 16,384 precomputed ones (sim_generate._AMOUNTS). The tails are cut near
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


# ---- statuses ----------------------------------------------------------------------
# Per method, the share of payments that went through and end up other than approved.
_RARE = {"ach": ACH_PENDING_P, "card": CARD_CHARGEBACK_P, "wallet": CARD_CHARGEBACK_P}
# Per method with its realistic failure rate: (failure rate, threshold below which
# the single status draw means anything but a plain approval).
_FAIL_THRESHOLDS = {m: (f, f + (1.0 - f) * _RARE.get(m, 0.0)) for m, f in BASE_FAIL.items()}
_OTHER_THRESHOLD = (0.04, 0.04)


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
        0.0 = no add-on payments that day), outage_from (local hour, e.g. 10.5: the add-on
        channel has no payments from the quarter hour holding it to the end of the day,
        an outage starting mid-day), decline_rate / addon_decline_rate,
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
