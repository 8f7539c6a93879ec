"""The lazy payment generator of the simulated Biller Portal: one `_Biller` per
biller turns (seed, biller id, profile) into the payments of any time slot,
on demand, with nothing stored but small caches (see `simulator` for how the
data are laid out).
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta, timezone
from operator import itemgetter
from random import Random
from typing import Any, Optional
from zoneinfo import ZoneInfo

from .sim_profile import (
    _FAIL_THRESHOLDS,
    _OTHER_THRESHOLD,
    _RARE,
    ACH_RETURNS,
    CURVES,
    DAY_MS,
    HOUR_MS,
    HUMAN_CURVE,
    METHODS,
    QUARTER_MS,
    WEEKLY,
    BillerProfile,
    _amount,
    _poisson,
    _status,
    _Table,
)

# Slot lengths a biller may use. Each divides an hour and is a multiple or a
# divisor of a quarter hour, so a slot never straddles an hour, and a slot
# up to a quarter long never straddles a local quarter or day (in zones whose
# offsets are whole quarters). Longer slots for quiet billers amortise the
# per-slot cost (seeding a Random is ~4 us).
SLOT_CHOICES_MS = (3_600_000, 1_800_000, 900_000, 300_000, 60_000, 15_000, 5_000, 1_000)
TARGET_PER_SLOT = 64  # the busiest expected slot holds at most about this many payments


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


# ---- per-biller generation ---------------------------------------------------------
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
    outage_q: int = 96  # local quarter hour from which the add-on channel is down (96: never)


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
        outage = o.get("outage_from")
        info = _Day(d, tuple(lam), tuple(fail), {}, 96 if outage is None else max(0, min(96, int(float(outage) * 4))))
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
        cut = self._local_ms(info.local_date, info.outage_q * 15) if info.outage_q < 96 else None
        for part in planned:
            if cut is not None and part[0] >= cut and part[6] == addon:
                continue  # the add-on is down from then on
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
            rates = [0.0 if qi >= info.outage_q and i in self.addon_idx else lam * cv[qi]
                     for i, (lam, cv) in enumerate(zip(info.lam, self.curves))]
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
_by_time = itemgetter(0)


def _fee_and_mask(amount: int, channel: str, method: str, h: int) -> tuple[int, Optional[str]]:
    """Convenience fee and masked account of a payment (as the hot loop computes them)."""
    if method == "card" or method == "wallet":
        return (195 if amount <= 20_000 else 295), _MASKS[(h >> 20) % 10000]
    if method == "ach":
        return (0 if channel in _BATCH else 95), _MASKS[(h >> 34) % 10000]
    return 0, None
