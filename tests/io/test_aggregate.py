"""DayAggregator, day_window and summarize_day: exact numbers, DST days, properties."""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.payments import (
    BillerProfile,
    DayAggregator,
    PaymentsClient,
    PaymentsUnavailable,
    Simulator,
    day_window,
    summarize_day,
)
from bot.payments.aggregate import MedianSketch
from bot.summary import KNOWN_CHANNELS, KNOWN_STATUSES, ChannelStats, DaySummary

UTC = timezone.utc
BASE = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


def pay(
    minute: float,
    status: str,
    amount: Any,
    channel: str = "ivr",
    method: str = "card",
    code: Optional[str] = None,
    payer: Optional[str] = None,
    **extra: Any,
) -> dict[str, Any]:
    t = BASE + timedelta(minutes=minute)
    return {
        "id": f"p{minute}",
        "biller_id": "b",
        "created_at": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "updated_at": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "amount_cents": amount,
        "fee_cents": 0,
        "currency": "USD",
        "status": status,
        "status_code": code,
        "channel": channel,
        "method": method,
        "account_masked": "****1234",
        "payer_key": payer,
        **extra,
    }


# A day worked out by hand (see the expected numbers in the tests below).
DAY = [
    pay(0, "approved", 10_000, payer="A"),                              # 1 ivr
    pay(5, "approved", 10_000, payer="A"),                              # 2 ivr, duplicate of 1
    pay(6, "declined", 5_000, "web", code="insufficient_funds", payer="B"),  # 3
    pay(7, "approved", 5_000, "web", payer="B"),                        # 4 retry after decline: no dup
    pay(8, "failed", 2_500, "ivr", "ach"),                              # 5 no status_code
    pay(9, "returned", 7_000, "ivr", "ach", code="R01", payer="C"),     # 6
    pay(10, "refunded", 3_000, "web", code="requested_by_customer"),    # 7
    pay(11, "pending", 4_000, "ivr", "ach", payer="D"),                 # 8
    pay(12, "teleported", 1_000, "fax", "crypto", surcharge={"x": 1}),  # 9 all unknown
    pay(20, "approved", 10_000, payer="A"),                             # 10 15 min after 2: no dup
    pay(21, "chargeback", 20_000, "mobile", "wallet", code="fraudulent"),  # 11
    pay(22, "voided", 1_500, "web", code="voided"),                     # 12
    pay(23, "approved", 250_000, payer="E", loyalty_points=12),         # 13 the largest
]


def test_exact_numbers_total_and_addon() -> None:
    agg = DayAggregator("ivr")
    for p in DAY:
        agg.add(p)
    addon, total, by_channel = agg.result()

    assert total == ChannelStats(
        attempts=13, approved=5, pending=1, failed=2, reversed=4, returned=1, other=1,
        approved_cents=285_000, reversed_cents=31_500, max_cents=250_000, median_cents=5_000,
        duplicates=1,
        methods={"card": 8, "ach": 3, "wallet": 1, "other": 1},
        decline_reasons={"insufficient_funds": 1, "unknown": 1},
        return_codes={"R01": 1, "requested_by_customer": 1, "fraudulent": 1, "voided": 1},
    )
    assert by_channel == {"ivr": 7, "web": 4, "other": 1, "mobile": 1}
    assert addon == ChannelStats(
        attempts=7, approved=4, pending=1, failed=1, reversed=1, returned=1, other=0,
        approved_cents=280_000, reversed_cents=7_000, max_cents=250_000, median_cents=10_000,
        duplicates=1,
        methods={"card": 4, "ach": 3},
        decline_reasons={"unknown": 1},
        return_codes={"R01": 1},
    )
    assert addon.success_rate == pytest.approx(5 / 6)
    assert total.success_rate == pytest.approx(9 / 11)
    assert total.average_cents == 57_000


def test_no_addon_channel_means_all_channels() -> None:
    addon, total, _ = DayAggregator(None).add_all(DAY).result()
    assert addon == total
    addon.methods["card"] += 1  # independent copies
    assert total.methods["card"] == 8


def test_addon_channel_with_no_payments() -> None:
    addon, total, by_channel = DayAggregator("text").add_all(DAY).result()
    assert addon == ChannelStats()
    assert addon.success_rate is None and addon.average_cents is None
    assert total.attempts == 13 and "text" not in by_channel


def test_empty_day() -> None:
    addon, total, by_channel = DayAggregator("ivr").result()
    assert addon == total == ChannelStats() and by_channel == {}


@pytest.mark.parametrize(
    "gap_s, same_amount, expected",
    [(599, True, 1), (600, True, 1), (601, True, 0), (60, False, 0)],
)
def test_duplicate_window(gap_s: int, same_amount: bool, expected: int) -> None:
    a = pay(0, "approved", 4_200, payer="P")
    b = pay(gap_s / 60, "approved", 4_200 if same_amount else 4_201, payer="P")
    _, total, _ = DayAggregator(None).add_all([a, b]).result()
    assert total.duplicates == expected


def test_duplicates_need_a_payer_and_a_successful_first_payment() -> None:
    no_payer = [pay(0, "approved", 100), pay(1, "approved", 100)]
    assert DayAggregator(None).add_all(no_payer).result()[1].duplicates == 0
    declined_twice = [pay(0, "declined", 100, payer="Q"), pay(1, "declined", 100, payer="Q")]
    assert DayAggregator(None).add_all(declined_twice).result()[1].duplicates == 0
    triple = [pay(m, "approved", 100, payer="Q") for m in (0, 4, 8, 12)]  # chain, each within 10 min
    assert DayAggregator(None).add_all(triple).result()[1].duplicates == 3


def test_duplicate_window_memory_is_bounded_by_rate_not_day() -> None:
    """100,000 payments over a day; the window holds about 10 minutes' worth."""
    rng = random.Random(1)
    agg = DayAggregator("ivr")
    n = 100_000
    step = 86_400 / n
    start = datetime(2026, 3, 11, tzinfo=UTC).timestamp()
    for i in range(n):
        t = datetime.fromtimestamp(start + i * step, UTC)
        agg.add({
            "created_at": t.isoformat().replace("+00:00", "Z"),
            "status": "approved",
            "channel": rng.choice(["ivr", "web"]),
            "method": "card",
            "amount_cents": int(rng.lognormvariate(9, 0.6)),
            "payer_key": f"pk{rng.randrange(50_000)}",
        })
    fp = agg.footprint()
    per_window = n * 600 / 86_400  # payments in 10 minutes
    assert fp["duplicate_window"] <= 2 * per_window + 10  # both slices, never the whole day
    assert fp["histogram_buckets"] < 2_000
    addon, total, _ = agg.result()
    assert total.attempts == n and 0 < addon.attempts < n


def test_median_exact_when_small_and_close_when_large() -> None:
    s = MedianSketch()
    for v in (300, 100, 200, 400):
        s.add(v)
    assert s.median() == 250
    rng = random.Random(7)
    values = [int(rng.lognormvariate(9, 0.7)) for _ in range(20_001)]
    big = MedianSketch()
    for v in values:
        big.add(v)
    exact = statistics.median(values)
    assert abs(big.median() - exact) / exact < 0.01
    zeros = MedianSketch(exact_max=2)
    for v in (0, 0, 0, 5):
        zeros.add(v)
    assert zeros.median() == 0


def test_unknown_values_are_other_and_never_fail() -> None:
    odd: list[Any] = [
        {"status": None, "channel": 7, "method": [], "amount_cents": "12"},
        {"status": "APPROVED", "channel": " IVR ", "method": "Card", "amount_cents": 500.0},
        {"status": "approved", "amount_cents": -5, "payer_key": "x", "created_at": "yesterday"},
        {"status": "returned", "status_code": 12, "amount_cents": True},
        None,
        "not a payment",
    ]
    addon, total, by_channel = DayAggregator("ivr").add_all(odd).result()
    assert total.attempts == 6
    assert total.other == 3  # None, and the two non-dicts
    assert total.approved == 2 and total.approved_cents == 500
    assert total.reversed == 1 and total.return_codes == {"12": 1}
    assert by_channel == {"other": 5, "ivr": 1}
    assert addon.attempts == 1 and addon.methods == {"card": 1}
    assert total.max_cents == 500


def test_status_codes_are_capped() -> None:
    flood = [pay(i / 100, "declined", 100, code=f"code{i}") for i in range(500)]
    _, total, _ = DayAggregator(None).add_all(flood).result()
    assert len(total.decline_reasons) <= 65
    assert sum(total.decline_reasons.values()) == 500


# ---- day windows --------------------------------------------------------------------
def test_day_window_ordinary_and_dst_days() -> None:
    ny = "America/New_York"
    s, e = day_window(date(2026, 3, 11), ny)
    assert (s, e) == (datetime(2026, 3, 11, 4, tzinfo=UTC), datetime(2026, 3, 12, 4, tzinfo=UTC))
    s, e = day_window(date(2026, 3, 8), ny)  # spring forward: 23 hours
    assert s == datetime(2026, 3, 8, 5, tzinfo=UTC) and e - s == timedelta(hours=23)
    s, e = day_window(date(2026, 11, 1), ny)  # fall back: 25 hours
    assert s == datetime(2026, 11, 1, 4, tzinfo=UTC) and e == datetime(2026, 11, 2, 5, tzinfo=UTC)
    assert e - s == timedelta(hours=25)
    s_oct, e_oct = day_window(date(2026, 10, 31), ny)
    assert e_oct == s  # consecutive days tile time
    at_0430 = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT, local Nov 1
    at_0330 = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 23:30 EDT, local Oct 31
    assert s <= at_0430 < e and not (s <= at_0330 < e)
    assert s_oct <= at_0330 < e_oct
    s, e = day_window(date(2026, 3, 8), "UTC")
    assert e - s == timedelta(hours=24) and s.tzinfo is not None


def test_day_window_zone_skipping_midnight() -> None:
    # Santiago springs forward at local midnight: 2026-09-06 00:00 does not exist.
    s, e = day_window(date(2026, 9, 6), "America/Santiago")
    assert e - s == timedelta(hours=23)


# ---- summarize_day --------------------------------------------------------------------
def test_summarize_day_through_http_matches_in_process() -> None:
    sim = Simulator(seed=5, token="tok")
    sim.set_biller("town", BillerProfile(per_day=300, addon_channel="ivr"))
    url = sim.start()
    try:
        with PaymentsClient(url, "tok") as client:
            via_http = summarize_day(
                client, project_id=1, biller_id="town", local_date=date(2026, 11, 1),
                tz="America/New_York", addon_channel="ivr",
            )
    finally:
        sim.stop()
    in_process = summarize_day(
        sim, project_id=1, biller_id="town", local_date=date(2026, 11, 1),
        tz="America/New_York", addon_channel="ivr",
    )
    assert via_http == in_process
    assert via_http.window_start == "2026-11-01T04:00:00Z"
    assert via_http.window_end == "2026-11-02T05:00:00Z"
    assert via_http.total.attempts == sum(via_http.by_channel.values()) > 100
    assert via_http.addon.attempts == via_http.by_channel["ivr"]
    assert DaySummary.from_dict(via_http.to_dict()) == via_http


def test_summarize_day_asks_for_the_local_day_once() -> None:
    seen: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        return httpx.Response(200, json={"data": DAY, "has_more": False, "next_cursor": None})

    client = PaymentsClient("http://portal", "t", transport=httpx.MockTransport(handler))
    s = summarize_day(
        client, project_id=9, biller_id="b", local_date=date(2026, 3, 8),
        tz="America/New_York", addon_channel="ivr",
    )
    assert len(seen) == 1
    assert seen[0]["created_gte"] == "2026-03-08T05:00:00Z"
    assert seen[0]["created_lt"] == "2026-03-09T04:00:00Z"
    assert "channel" not in seen[0]
    assert (s.window_start, s.window_end) == ("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z")
    assert s.total.attempts == 13 and s.addon.attempts == 7 and s.source_ok


def test_summarize_day_lets_payments_errors_propagate() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(503, json={"error": {"code": "down", "message": "x"}}))
    client = PaymentsClient("http://portal", transport=transport, sleep=lambda s: None, max_attempts=2)
    with pytest.raises(PaymentsUnavailable):
        summarize_day(
            client, project_id=1, biller_id="b", local_date=date(2026, 3, 8),
            tz="UTC", addon_channel=None,
        )


# ---- properties -----------------------------------------------------------------------
_status = st.one_of(
    st.sampled_from(sorted(KNOWN_STATUSES) + ["Approved", "weird", ""]), st.text(max_size=5), st.none(), st.integers()
)
_channel = st.one_of(st.sampled_from(sorted(KNOWN_CHANNELS) + ["fax", "IVR"]), st.text(max_size=4), st.none())
_method = st.one_of(st.sampled_from(["card", "ach", "wallet", "cash", "other", "crypto"]), st.none(), st.integers())
_amount = st.one_of(
    st.integers(min_value=-5, max_value=10**13), st.none(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3)
)
_created = st.one_of(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.isoformat() + "Z"
    ),
    st.text(max_size=8),
    st.none(),
)
_payment = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "status": _status,
            "channel": _channel,
            "method": _method,
            "amount_cents": _amount,
            "status_code": st.one_of(st.none(), st.text(max_size=80), st.integers()),
            "payer_key": st.one_of(st.none(), st.sampled_from(["a", "b", "c"]), st.integers()),
            "created_at": _created,
            "extra": st.integers(),
        },
    ),
    st.none(),
    st.integers(),
)


def _adds_up(s: ChannelStats) -> None:
    assert s.attempts == s.approved + s.pending + s.failed + s.reversed + s.other
    assert sum(s.methods.values()) == s.attempts
    assert sum(s.decline_reasons.values()) == s.failed
    assert sum(s.return_codes.values()) == s.reversed
    assert 0 <= s.returned <= s.reversed
    assert 0 <= s.duplicates < max(1, s.attempts)
    assert 0 <= s.median_cents <= max(1, s.max_cents * 1.01)
    assert s.approved_cents >= 0 and s.reversed_cents >= 0


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_payment, max_size=60), st.sampled_from([None, "ivr", "web", "other", "text"]))
def test_aggregation_never_crashes_and_adds_up(payments: list[Any], addon_channel: Optional[str]) -> None:
    addon, total, by_channel = DayAggregator(addon_channel).add_all(payments).result()
    assert total.attempts == len(payments)
    assert sum(by_channel.values()) == total.attempts
    assert set(by_channel) <= KNOWN_CHANNELS
    _adds_up(total)
    _adds_up(addon)
    if addon_channel is None:
        assert addon == total
    else:
        assert addon.attempts == by_channel.get(addon_channel, 0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=86_399),
            st.sampled_from(sorted(KNOWN_STATUSES)),
            st.integers(min_value=0, max_value=3),
            st.sampled_from([1_000, 2_500]),
        ),
        max_size=80,
    )
)
def test_duplicates_match_a_brute_force_count(rows: list[tuple[int, str, int, int]]) -> None:
    """Ordered input: a payment is a duplicate iff a non-failed payment with the same
    payer and amount came at most 10 minutes before it (and it is not failed)."""
    rows.sort(key=lambda r: r[0])
    start = datetime(2026, 3, 11, tzinfo=UTC)
    payments = [
        {
            "created_at": (start + timedelta(seconds=t)).isoformat().replace("+00:00", "Z"),
            "status": status,
            "payer_key": f"p{payer}",
            "amount_cents": amount,
        }
        for t, status, payer, amount in rows
    ]
    failed = {"declined", "failed"}
    expected = 0
    for i, (t, status, payer, amount) in enumerate(rows):
        if status in failed:
            continue
        if any(
            t - t2 <= 600 and (p2, a2) == (payer, amount) and s2 not in failed
            for t2, s2, p2, a2 in rows[:i]
        ):
            expected += 1
    assert DayAggregator(None).add_all(payments).result()[1].duplicates == expected
