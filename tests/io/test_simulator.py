"""The simulated Biller Portal: determinism, rhythm, scenarios, filters, HTTP contract."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

import httpx
import pytest

from bot.payments import BillerProfile, DayAggregator, Simulator, SimulatorError, day_window, profile_for
from bot.summary import FAILED_STATUSES, KNOWN_CHANNELS, KNOWN_METHODS, KNOWN_STATUSES, REVERSAL_STATUSES

UTC = timezone.utc
NY = "America/New_York"
WED = date(2026, 3, 11)


def day(sim: Simulator, biller: str, d: date, tz: str = NY, **kw: Any) -> list[dict[str, Any]]:
    s, e = day_window(d, tz)
    return list(sim.iter_payments(biller, s, e, **kw))


def make(seed: int = 0, **profile: Any) -> Simulator:
    sim = Simulator(seed=seed)
    sim.set_biller("b", BillerProfile(**profile))
    return sim


# ---- determinism and paging -------------------------------------------------------------
def test_same_query_same_payments_and_seed_matters() -> None:
    a = day(make(3, per_day=500), "b", WED)
    b = day(make(3, per_day=500), "b", WED)
    c = day(make(4, per_day=500), "b", WED)
    assert a == b and len(a) > 300
    assert [p["id"] for p in a] != [p["id"] for p in c]


@pytest.mark.parametrize(
    "per_day, tz",
    [(100, NY), (800, NY), (3_000, "Asia/Kathmandu"), (50_000, NY), (300, "Asia/Kolkata")],
)  # hour, half-hour, 5-minute and 15-second slots; zones offset by :45 and :30
def test_page_size_and_window_splits_do_not_change_the_data(per_day: int, tz: str) -> None:
    sim = make(1, per_day=per_day, tz=tz, addon_channel="ivr", overrides={WED: {"duplicates": 3}})
    s, e = day_window(WED, tz)
    if per_day > 10_000:  # a busy biller: two daytime hours are plenty
        s, e = s + timedelta(hours=10), s + timedelta(hours=12)
    whole = list(sim.iter_payments("b", s, e, page_size=500))
    assert whole
    assert list(sim.iter_payments("b", s, e, page_size=7)) == whole
    mid = s + (e - s) * 0.55 + timedelta(milliseconds=5)
    assert list(sim.iter_payments("b", s, mid)) + list(sim.iter_payments("b", mid, e)) == whole
    keys = [(p["created_at"], p["id"]) for p in whole]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert s.strftime("%Y-%m-%dT%H:%M") <= whole[0]["created_at"] and whole[-1]["created_at"] < e.strftime("%Y-%m-%dT%H:%M")
    if per_day <= 10_000:  # the whole day, with the scenario's duplicate pairs
        _, total, _ = DayAggregator("ivr").add_all(whole).result()
        assert total.duplicates >= 3


def test_order_uniqueness_window_and_fields() -> None:
    sim = make(2, per_day=3_000, addon_channel="ivr")
    s, e = day_window(WED, NY)
    ps = list(sim.iter_payments("b", s, e))
    keys = [(p["created_at"], p["id"]) for p in ps]
    assert keys == sorted(keys) and len({p["id"] for p in ps}) == len(ps)
    lo, hi = s.strftime("%Y-%m-%dT%H:%M:%S"), e.strftime("%Y-%m-%dT%H:%M:%S")
    for p in ps:
        assert lo <= p["created_at"][:19] < hi and p["created_at"].endswith("Z")
        assert p["updated_at"] >= p["created_at"]
        assert p["status"] in KNOWN_STATUSES and p["channel"] in KNOWN_CHANNELS and p["method"] in KNOWN_METHODS
        assert p["amount_cents"] >= 100 and p["fee_cents"] >= 0 and p["currency"] == "USD"
        assert p["biller_id"] == "b" and p["payer_key"].startswith("pk_")
        if p["status"] in FAILED_STATUSES or p["status"] in REVERSAL_STATUSES:
            assert p["status_code"]
        if p["status"] in REVERSAL_STATUSES:
            assert p["updated_at"] > p["created_at"]
        datetime.fromisoformat(p["created_at"])


def test_pages_are_exact_no_empty_trailing_page() -> None:
    sim = make(0, per_day=400)
    s, e = day_window(WED, NY)
    n = len(list(sim.iter_payments("b", s, e)))
    cursor, pages, seen = None, 0, 0
    while True:
        body = sim.page("b", s, e, limit=50, starting_after=cursor)
        pages += 1
        seen += len(body["data"])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        assert len(body["data"]) == 50
        cursor = body["next_cursor"]
    assert seen == n and pages == -(-n // 50)


def test_channel_filter_matches_unfiltered() -> None:
    sim = make(5, per_day=1_000, addon_channel="text")
    everything = day(sim, "b", WED)
    for chans in (["text"], ["ivr", "autopay"], ["nonexistent"]):
        got = day(sim, "b", WED, channels=chans, page_size=33)
        assert got == [p for p in everything if p["channel"] in chans]


# ---- realism --------------------------------------------------------------------------
def test_realistic_shape_of_a_day() -> None:
    sim = make(7, per_day=5_000, addon_channel="ivr")
    ps = day(sim, "b", WED)
    assert 4_000 < len(ps) < 6_500
    amounts = [p["amount_cents"] for p in ps]
    assert 6_000 <= statistics.median(amounts) <= 13_000
    typical = sum(2_000 <= a <= 40_000 for a in amounts) / len(amounts)
    assert typical > 0.9
    statuses = Counter(p["status"] for p in ps)
    assert statuses["approved"] / len(ps) > 0.85
    declined = [p for p in ps if p["status"] in FAILED_STATUSES]
    assert 0.01 < len(declined) / len(ps) < 0.08
    reasons = Counter(p["status_code"] for p in declined)
    assert {"insufficient_funds", "do_not_honor"} <= set(reasons)
    channels = Counter(p["channel"] for p in ps)
    assert len(channels) >= 6 and 0.05 < channels["ivr"] / len(ps) < 0.14


def test_daytime_peak_in_local_time() -> None:
    from zoneinfo import ZoneInfo

    sim = make(8, per_day=4_000, addon_channel="ivr")
    ps = day(sim, "b", WED)
    local_hours = Counter(
        datetime.fromisoformat(p["created_at"]).astimezone(ZoneInfo(NY)).hour for p in ps if p["channel"] == "web"
    )
    night = sum(local_hours[h] for h in range(0, 6))
    day_ = sum(local_hours[h] for h in range(10, 16))
    assert day_ > 4 * night
    autopay = Counter(
        datetime.fromisoformat(p["created_at"]).astimezone(ZoneInfo(NY)).hour for p in ps if p["channel"] == "autopay"
    )
    assert sum(autopay[h] for h in range(1, 6)) > sum(autopay[h] for h in range(12, 17))


def test_weekends_are_quieter() -> None:
    sim = make(9, per_day=600)
    counts: dict[bool, list[int]] = {True: [], False: []}
    d = date(2026, 2, 2)  # a Monday
    for i in range(21):
        dd = d + timedelta(days=i)
        counts[dd.weekday() >= 5].append(len(day(sim, "b", dd)))
    assert statistics.mean(counts[True]) < 0.8 * statistics.mean(counts[False])


def test_ach_returns_arrive_days_later() -> None:
    sim = make(10, per_day=20_000, addon_channel="autopay")
    returns = [p for p in day(sim, "b", WED) if p["status"] == "returned"]
    assert returns
    for p in returns:
        assert p["method"] == "ach" and p["status_code"].startswith("R")
        lag = datetime.fromisoformat(p["updated_at"]) - datetime.fromisoformat(p["created_at"])
        assert timedelta(days=2) <= lag <= timedelta(days=5)


def test_dst_days_have_their_own_length() -> None:
    sim = make(11, per_day=2_000)
    short, normal = day(sim, "b", date(2026, 3, 8)), day(sim, "b", date(2026, 3, 15))
    s, e = day_window(date(2026, 3, 8), NY)
    assert all(s.strftime("%Y-%m-%dT%H") <= p["created_at"][:13] < e.strftime("%Y-%m-%dT%H") for p in short)
    assert short and normal


# ---- profile and scenarios ---------------------------------------------------------------
def test_nothing_on_the_addon_channel_before_golive() -> None:
    sim = make(12, per_day=1_000, addon_channel="ivr", golive=WED)
    before = Counter(p["channel"] for p in day(sim, "b", WED - timedelta(days=1)))
    after = Counter(p["channel"] for p in day(sim, "b", WED))
    assert before["ivr"] == 0 and sum(before.values()) > 500
    assert after["ivr"] > 40


@pytest.mark.parametrize(
    "override, check",
    [
        ({"addon_factor": 0.0}, lambda base, sc: sc.addon.attempts == 0 and sc.total.attempts > 0.8 * base.total.attempts),
        ({"factor": 3.0}, lambda base, sc: 2.6 < sc.total.attempts / base.total.attempts < 3.4),
        ({"decline_rate": 0.5}, lambda base, sc: 0.4 < (sc.total.failure_rate or 0) < 0.6 and (base.total.failure_rate or 0) < 0.1),
        ({"addon_decline_rate": 0.9}, lambda base, sc: (sc.addon.failure_rate or 0) > 0.8 and (sc.total.failure_rate or 0) < 0.3),
        ({"outsized_cents": 5_000_000}, lambda base, sc: sc.addon.max_cents == 5_000_000 and base.total.max_cents < 5_000_000),
        ({"duplicates": 5}, lambda base, sc: sc.addon.duplicates == 5 and base.total.duplicates == 0),
        ({"returns": 10}, lambda base, sc: sc.addon.returned == base.addon.returned + 10),
    ],
)
def test_scenario_overrides(override: dict[str, float], check: Any) -> None:
    def summary(overrides: dict[date, dict[str, float]]) -> Any:
        sim = make(13, per_day=1_500, addon_channel="ivr", duplicate_rate=0.0, overrides=overrides)
        agg = DayAggregator("ivr").add_all(day(sim, "b", WED))
        addon, total, _ = agg.result()
        return type("S", (), {"addon": addon, "total": total})

    base, scenario = summary({}), summary({WED: override})
    assert check(base, scenario)
    # other days are untouched
    sim_a = make(13, per_day=1_500, addon_channel="ivr", duplicate_rate=0.0, overrides={WED: override})
    sim_b = make(13, per_day=1_500, addon_channel="ivr", duplicate_rate=0.0)
    assert day(sim_a, "b", WED + timedelta(days=1)) == day(sim_b, "b", WED + timedelta(days=1))


def test_profile_for_a_projection() -> None:
    prof = BillerProfile.for_projection(120, addon_channel="text", golive=date(2026, 3, 1))
    sim = Simulator(seed=15)
    sim.set_biller("b", prof)
    counts = [Counter(p["channel"] for p in day(sim, "b", WED + timedelta(days=i)))["text"] for i in range(14)]
    assert 100 < statistics.mean(counts) < 140  # the add-on averages the projection
    assert BillerProfile.for_projection(50, addon_channel=None).per_day == 50
    assert BillerProfile.for_projection(50, addon_channel="fax").channel_mix["fax"] == 0.1


def test_genuine_duplicates_occur() -> None:
    sim = make(14, per_day=3_000, duplicate_rate=0.005)
    _, total, _ = DayAggregator(None).add_all(day(sim, "b", WED)).result()
    assert 3 <= total.duplicates <= 40


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="override"):
        BillerProfile(overrides={WED: {"facter": 2.0}})
    with pytest.raises(ValueError, match="time zone"):
        BillerProfile(tz="Mars/Olympus")
    with pytest.raises(ValueError):
        BillerProfile(channel_mix={"web": 0.0})


def test_unknown_billers_get_a_stable_profile_unless_strict() -> None:
    assert profile_for("acme-water") == profile_for("acme-water")
    assert profile_for("acme-water") != profile_for("springfield")
    a = day(Simulator(seed=1), "acme-water", WED)
    assert a == day(Simulator(seed=1), "acme-water", WED) and a
    with pytest.raises(SimulatorError) as ei:
        day(Simulator(strict=True), "acme-water", WED)
    assert ei.value.status == 404


def test_clock_hides_the_future() -> None:
    now = datetime(2026, 3, 11, 18, 0, tzinfo=UTC)
    sim = Simulator(seed=10, clock=lambda: now)
    sim.set_biller("b", BillerProfile(per_day=20_000))
    ps = day(sim, "b", WED)
    assert ps and max(p["created_at"] for p in ps) < "2026-03-11T18:00:00"
    assert not any(p["status"] == "returned" for p in ps)  # returns come days later
    full = make(10, per_day=20_000)
    past = day(full, "b", WED)
    assert any(p["status"] == "returned" for p in past)
    assert [p["id"] for p in ps] == [p["id"] for p in past if p["created_at"] < "2026-03-11T18:00:00"]


def test_a_huge_biller_serves_a_page_without_generating_the_day() -> None:
    sim = make(0, per_day=5_000_000)
    s, e = day_window(WED, NY)
    t = time.perf_counter()
    body = sim.page("b", s, e, limit=500)
    assert time.perf_counter() - t < 1.0
    assert len(body["data"]) == 500 and body["has_more"]
    nxt = sim.page("b", s, e, limit=500, starting_after=body["next_cursor"])
    assert nxt["data"][0]["created_at"] >= body["data"][-1]["created_at"]


# ---- HTTP -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Simulator, httpx.Client]]:
    sim = Simulator(seed=2, strict=True, token="tok")
    sim.set_biller("b", BillerProfile(per_day=300, addon_channel="ivr"))
    url = sim.start()
    with httpx.Client(base_url=url, headers={"Authorization": "Bearer tok"}) as http:
        yield sim, http
    sim.stop()


GOOD = {"created_gte": "2026-03-11T04:00:00Z", "created_lt": "2026-03-12T04:00:00Z"}


def test_http_serves_the_same_data(served: tuple[Simulator, httpx.Client]) -> None:
    sim, http = served
    r = http.get("/v1/billers/b/payments", params={**GOOD, "limit": 500})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    s, e = day_window(WED, NY)
    assert body["data"] == list(sim.iter_payments("b", s, e))
    assert body["has_more"] is False and body["next_cursor"] is None
    default = http.get("/v1/billers/b/payments", params=GOOD).json()
    assert len(default["data"]) == 100 and default["has_more"]


def test_http_json_escapes_what_needs_escaping() -> None:
    sim = Simulator(seed=4)
    odd = 'Town "of" Zürich\\ 7'
    sim.set_biller(odd, BillerProfile(per_day=200, channel_mix={"web": 1.0, 'weird "chan"': 0.5}))
    s, e = day_window(WED, NY)
    assert json.loads(sim.page_json(odd, s, e, limit=500)) == sim.page(odd, s, e, limit=500)
    assert {p["channel"] for p in sim.page(odd, s, e, limit=500)["data"]} == {"web", 'weird "chan"'}


def test_http_channel_may_repeat_and_offsets_parse(served: tuple[Simulator, httpx.Client]) -> None:
    _, http = served
    params = [
        ("created_gte", "2026-03-11T00:00:00-04:00"), ("created_lt", "2026-03-12T04:00:00+00:00"),
        ("channel", "ivr"), ("channel", "web"), ("limit", "500"),
    ]
    data = http.get("/v1/billers/b/payments", params=tuple(params)).json()["data"]
    assert data and {p["channel"] for p in data} <= {"ivr", "web"}
    # An unencoded '+' arrives as a space; it is still read as an offset.
    raw = "/v1/billers/b/payments?created_gte=2026-03-11T04:00:00+00:00&created_lt=2026-03-12T04:00:00Z&limit=500"
    assert len(http.get(raw).json()["data"]) == len(http.get("/v1/billers/b/payments", params={**GOOD, "limit": 500}).json()["data"])


@pytest.mark.parametrize(
    "params, words",
    [
        ({"created_lt": GOOD["created_lt"]}, "created_gte is required"),
        ({**GOOD, "created_gte": "yesterday"}, "created_gte is not an RFC 3339"),
        ({**GOOD, "created_lt": "2026-03-12T04:00:00"}, "created_lt needs a UTC offset"),
        ({**GOOD, "created_lt": GOOD["created_gte"]}, "created_lt must be later"),
        ({**GOOD, "limit": "0"}, "limit must be an integer from 1 to 500"),
        ({**GOOD, "limit": "501"}, "limit must be"),
        ({**GOOD, "limit": "ten"}, "limit must be"),
        ({**GOOD, "starting_after": "garbage!"}, "starting_after"),
    ],
)
def test_http_bad_queries_are_400(served: tuple[Simulator, httpx.Client], params: dict[str, str], words: str) -> None:
    _, http = served
    r = http.get("/v1/billers/b/payments", params=params)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] in ("invalid_request", "invalid_cursor") and words in err["message"]


def test_http_cursor_of_another_biller_is_refused(served: tuple[Simulator, httpx.Client]) -> None:
    sim, http = served
    sim.set_biller("other", BillerProfile(per_day=300))
    cursor = http.get("/v1/billers/b/payments", params=GOOD).json()["next_cursor"]
    r = http.get("/v1/billers/other/payments", params={**GOOD, "starting_after": cursor})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"


def test_http_auth_404_and_faults(served: tuple[Simulator, httpx.Client]) -> None:
    sim, http = served
    url = sim.base_url or ""
    assert httpx.get(f"{url}/v1/billers/b/payments", params=GOOD).status_code == 401
    r = httpx.get(f"{url}/v1/billers/b/payments", params=GOOD, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = http.get("/v1/billers/ghost/payments", params=GOOD)
    assert r.status_code == 404 and "ghost" in r.json()["error"]["message"]
    r = http.get("/v2/elsewhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    sim.fail_next(429, retry_after=7)
    sim.fail_next(500)
    r = http.get("/v1/billers/b/payments", params=GOOD)
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert http.get("/v1/billers/b/payments", params=GOOD).status_code == 500
    assert http.get("/v1/billers/b/payments", params=GOOD).status_code == 200
    sim.set_down(True)
    try:
        assert [http.get("/v1/billers/b/payments", params=GOOD).status_code for _ in range(3)] == [503] * 3
    finally:
        sim.set_down(False)
    assert http.get("/v1/billers/b/payments", params=GOOD).status_code == 200


def test_start_and_stop_cleanly() -> None:
    with Simulator() as sim:
        url = sim.base_url
        assert url and httpx.get(f"{url}/v1/billers/x/payments", params=GOOD).status_code == 200
    assert sim.base_url is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/billers/x/payments", params=GOOD)
