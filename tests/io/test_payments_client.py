"""PaymentsClient against the simulator (loopback HTTP) and scripted transports."""

from __future__ import annotations

import json
import math
import random
import socket
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import httpx
import pytest

from bot.payments import (
    BillerNotFound,
    BillerProfile,
    DayAggregator,
    PaymentsAuthError,
    PaymentsBadRequest,
    PaymentsClient,
    PaymentsError,
    PaymentsUnavailable,
    Simulator,
    day_window,
)

UTC = timezone.utc
TOKEN = "sekret"
DAY = date(2026, 3, 11)
START, END = day_window(DAY, "America/New_York")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    s = Simulator(seed=11, strict=True, token=TOKEN)
    s.set_biller("busy", BillerProfile(per_day=2_000, addon_channel="ivr"))
    s.set_biller("small", BillerProfile(per_day=40, addon_channel="text"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _clean(sim: Simulator) -> Iterator[None]:
    sim.clear_faults()
    yield
    sim.clear_faults()


class Sleeps(list[float]):
    """A fake sleep that records the seconds it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(sim: Simulator, **kw: Any) -> PaymentsClient:
    kw.setdefault("sleep", Sleeps())
    return PaymentsClient(sim.base_url or "", kw.pop("token", TOKEN), **kw)


def scripted(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> PaymentsClient:
    kw.setdefault("sleep", Sleeps())
    return PaymentsClient("http://portal.test", "t", transport=httpx.MockTransport(handler), **kw)


def page(data: list[dict[str, Any]], cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "has_more": cursor is not None, "next_cursor": cursor})


# ---- against the simulator -------------------------------------------------------------
def test_pagination_over_many_pages_exact(sim: Simulator) -> None:
    expected = [p["id"] for p in sim.iter_payments("busy", START, END)]
    assert len(expected) > 1_000
    with client_for(sim) as c:
        got = [p["id"] for p in c.iter_payments("busy", START, END, page_size=37)]
        assert got == expected  # same payments, same order, none twice
        assert c.page_count == math.ceil(len(expected) / 37)
        assert c.request_count == c.page_count and c.retry_count == 0
    assert len(set(got)) == len(got)


def test_payments_are_ordered_and_inside_the_window(sim: Simulator) -> None:
    with client_for(sim) as c:
        ps = list(c.iter_payments("busy", START, END))
    keys = [(p["created_at"], p["id"]) for p in ps]
    assert keys == sorted(keys)
    assert ps[0]["created_at"] >= "2026-03-11T04:00:00.000Z"
    assert ps[-1]["created_at"] < "2026-03-12T04:00:00.000Z"


def test_channel_filter(sim: Simulator) -> None:
    with client_for(sim) as c:
        ivr = list(c.iter_payments("busy", START, END, channels=["ivr"], page_size=50))
        both = list(c.iter_payments("busy", START, END, channels=["ivr", "text"]))
        everything = list(c.iter_payments("busy", START, END))
    assert ivr and {p["channel"] for p in ivr} == {"ivr"}
    assert [p["id"] for p in ivr] == [p["id"] for p in everything if p["channel"] == "ivr"]
    assert [p["id"] for p in both] == [p["id"] for p in everything if p["channel"] in ("ivr", "text")]


def test_429_honours_retry_after(sim: Simulator) -> None:
    sim.fail_next(429, retry_after=7)
    sleeps = Sleeps()
    with client_for(sim, sleep=sleeps) as c:
        n = sum(1 for _ in c.iter_payments("small", START, END))
        assert c.request_count == c.page_count + 1
    assert n > 0 and sleeps == [7.0]


def test_429_retry_after_is_capped(sim: Simulator) -> None:
    sim.fail_next(429, retry_after=3_600)
    sleeps = Sleeps()
    with client_for(sim, sleep=sleeps, retry_after_max=20.0) as c:
        list(c.iter_payments("small", START, END))
    assert sleeps == [20.0]


def test_503_then_success(sim: Simulator) -> None:
    expected = [p["id"] for p in sim.iter_payments("small", START, END)]
    sim.fail_next(503, n=2)
    sleeps = Sleeps()
    with client_for(sim, sleep=sleeps, backoff_base=0.5, rng=random.Random(3)) as c:
        got = [p["id"] for p in c.iter_payments("small", START, END)]
        assert c.retry_count == 2 and c.request_count == c.page_count + 2
    assert got == expected
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter under 0.5 * 2**k


def test_failure_in_the_middle_of_pagination_is_retried(sim: Simulator) -> None:
    expected = [p["id"] for p in sim.iter_payments("busy", START, END)]
    with client_for(sim) as c:
        it = c.iter_payments("busy", START, END, page_size=100)
        got = [next(it)["id"] for _ in range(150)]  # into the second page
        sim.fail_next(500)
        sim.fail_next(429, retry_after=1)
        got += [p["id"] for p in it]
        assert c.retry_count == 2
    assert got == expected


def test_401_is_final_without_retry(sim: Simulator) -> None:
    sleeps = Sleeps()
    before = sim.request_count
    with client_for(sim, token="wrong", sleep=sleeps) as c:
        with pytest.raises(PaymentsAuthError) as ei:
            list(c.iter_payments("small", START, END))
    assert ei.value.final and ei.value.status == 401
    assert "401" in ei.value.reason
    assert sleeps == [] and sim.request_count == before + 1


def test_missing_token_is_401(sim: Simulator) -> None:
    with PaymentsClient(sim.base_url or "", None, sleep=Sleeps()) as c:
        with pytest.raises(PaymentsAuthError):
            list(c.iter_payments("small", START, END))


def test_404_unknown_biller_is_final(sim: Simulator) -> None:
    sleeps = Sleeps()
    with client_for(sim, sleep=sleeps) as c:
        with pytest.raises(BillerNotFound) as ei:
            list(c.iter_payments("nobody/../x", START, END))
    assert ei.value.final and ei.value.status == 404 and sleeps == []
    assert "nobody/../x" in ei.value.reason


def test_retries_exhausted_is_unavailable(sim: Simulator) -> None:
    sim.set_down(True)
    sleeps = Sleeps()
    before = sim.request_count
    with client_for(sim, sleep=sleeps, max_attempts=4, backoff_base=1.0, backoff_max=3.0) as c:
        with pytest.raises(PaymentsUnavailable) as ei:
            list(c.iter_payments("small", START, END))
    e = ei.value
    assert not e.final and e.status == 503 and isinstance(e, PaymentsError)
    assert "4 attempts" in e.reason and "503" in e.reason
    assert sim.request_count == before + 4
    assert len(sleeps) == 3 and all(0 <= s <= 3.0 for s in sleeps)


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    with PaymentsClient(f"http://127.0.0.1:{port}", "t", sleep=sleeps, max_attempts=3) as c:
        with pytest.raises(PaymentsUnavailable) as ei:
            list(c.iter_payments("b", START, END))
        assert c.request_count == 3
    assert "connection failed" in ei.value.reason and len(sleeps) == 2


def test_unknown_fields_status_channel_method_counted_as_other(sim: Simulator) -> None:
    odd = {
        "id": "p1", "biller_id": "b", "created_at": "2026-03-11T12:00:00Z", "amount_cents": 1234,
        "currency": "USD", "status": "on_hold", "channel": "smart_speaker", "method": "crypto",
        "brand_new_field": {"nested": [1, 2]},
    }
    normal = dict(odd, id="p2", status="approved", channel="ivr", method="card")
    c = scripted(lambda r: page([odd, normal]))
    addon, total, by_channel = DayAggregator("ivr").add_all(c.iter_payments("b", START, END)).result()
    assert total.attempts == 2 and total.other == 1 and total.approved == 1
    assert total.methods == {"other": 1, "card": 1}
    assert by_channel == {"other": 1, "ivr": 1}
    assert addon.attempts == 1


# ---- scripted transports ---------------------------------------------------------------
def test_request_shape_times_channels_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        return page([])

    c = scripted(handler)
    gte = datetime(2026, 3, 8, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    lt = datetime(2026, 3, 9, 4, 0, 0, 250_000, tzinfo=UTC)
    assert list(c.iter_payments("acme water/1", gte, lt, channels=["ivr", "text"], page_size=200)) == []
    (r,) = seen
    assert r.url.raw_path.split(b"?")[0] == b"/v1/billers/acme%20water%2F1/payments"
    assert r.url.params["created_gte"] == "2026-03-08T05:00:00Z"
    assert r.url.params["created_lt"] == "2026-03-09T04:00:00.25Z"
    assert r.url.params.get_list("channel") == ["ivr", "text"]
    assert r.url.params["limit"] == "200" and "starting_after" not in r.url.params
    assert r.headers["authorization"] == "Bearer t"


def test_scripted_pagination_passes_cursors() -> None:
    pages = {None: (["a", "b"], "c1"), "c1": (["c", "d"], "c2"), "c2": (["e"], None)}
    cursors: list[str | None] = []

    def handler(r: httpx.Request) -> httpx.Response:
        cur = r.url.params.get("starting_after")
        cursors.append(cur)
        ids, nxt = pages[cur]
        return page([{"id": i} for i in ids], nxt)

    c = scripted(handler)
    assert [p["id"] for p in c.iter_payments("b", START, END)] == ["a", "b", "c", "d", "e"]
    assert cursors == [None, "c1", "c2"] and c.page_count == 3 and c.request_count == 3


def test_streaming_fetches_a_page_only_when_needed() -> None:
    calls: list[str | None] = []

    def handler(r: httpx.Request) -> httpx.Response:
        cur = r.url.params.get("starting_after")
        calls.append(cur)
        n = int(cur or 0)
        return page([{"id": f"{n}-{i}"} for i in range(3)], str(n + 1) if n < 5 else None)

    c = scripted(handler)
    it = c.iter_payments("b", START, END)
    assert calls == []  # nothing before the first item is asked for
    next(it)
    assert calls == [None]
    for _ in range(2):
        next(it)
    assert calls == [None]  # the first page is not yet used up
    next(it)
    assert calls == [None, "1"]
    assert sum(1 for _ in it) == 18 - 4


def test_timeouts_and_408_are_retried() -> None:
    script: list[httpx.Response | Exception] = [
        httpx.ReadTimeout("slow"), httpx.Response(408), httpx.ConnectError("reset"), page([{"id": "x"}]),
    ]

    def handler(r: httpx.Request) -> httpx.Response:
        step = script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    sleeps = Sleeps()
    c = scripted(handler, sleep=sleeps)
    assert [p["id"] for p in c.iter_payments("b", START, END)] == ["x"]
    assert len(sleeps) == 3 and c.request_count == 4


def test_timeout_every_time_is_unavailable() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    c = scripted(handler, max_attempts=2)
    with pytest.raises(PaymentsUnavailable, match="timed out"):
        list(c.iter_payments("b", START, END))


def test_400_is_final_with_the_message() -> None:
    body = {"error": {"code": "invalid_request", "message": "limit must be an integer from 1 to 500"}}
    sleeps = Sleeps()
    c = scripted(lambda r: httpx.Response(400, json=body), sleep=sleeps)
    with pytest.raises(PaymentsBadRequest) as ei:
        list(c.iter_payments("b", START, END))
    assert ei.value.final and ei.value.code == "invalid_request"
    assert "limit must be" in ei.value.reason and sleeps == []


def test_other_4xx_is_final_plain_error() -> None:
    c = scripted(lambda r: httpx.Response(403, text="<html>forbidden</html>"))
    with pytest.raises(PaymentsError) as ei:
        list(c.iter_payments("b", START, END))
    assert type(ei.value) is PaymentsError and ei.value.final and ei.value.status == 403


def test_retry_after_http_date_and_missing() -> None:
    script: list[httpx.Response] = [
        httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # in the past: 0
        httpx.Response(429),  # no header: exponential backoff
        page([]),
    ]
    sleeps = Sleeps()
    c = scripted(lambda r: script.pop(0), sleep=sleeps, backoff_base=2.0, rng=random.Random(1))
    assert list(c.iter_payments("b", START, END)) == []
    assert sleeps[0] == 0.0 and 0 <= sleeps[1] <= 4.0


def test_backoff_is_capped() -> None:
    sleeps = Sleeps()
    c = scripted(lambda r: httpx.Response(502), sleep=sleeps, max_attempts=8, backoff_base=10, backoff_max=15)
    with pytest.raises(PaymentsUnavailable, match="502"):
        list(c.iter_payments("b", START, END))
    assert len(sleeps) == 7 and max(sleeps) <= 15


def test_malformed_body_and_broken_pagination() -> None:
    c = scripted(lambda r: httpx.Response(200, text="{not json"), max_attempts=2)
    with pytest.raises(PaymentsUnavailable, match="malformed"):
        list(c.iter_payments("b", START, END))
    c = scripted(lambda r: httpx.Response(200, json={"data": [], "has_more": True, "next_cursor": None}))
    with pytest.raises(PaymentsUnavailable, match="next_cursor"):
        list(c.iter_payments("b", START, END))
    c = scripted(lambda r: page([{"id": "same"}], "again"))
    with pytest.raises(PaymentsUnavailable, match="did not advance"):
        list(c.iter_payments("b", START, END))


def test_arguments_are_checked() -> None:
    c = scripted(lambda r: page([]))
    with pytest.raises(ValueError, match="naive"):
        c.iter_payments("b", datetime(2026, 3, 8), END)
    with pytest.raises(ValueError, match="page_size"):
        c.iter_payments("b", START, END, page_size=501)
    with pytest.raises(ValueError):
        PaymentsClient("http://x", max_attempts=0)


def test_bad_base_url_is_final() -> None:
    c = PaymentsClient("ftp://portal.test", "t", sleep=Sleeps())
    with pytest.raises(PaymentsError) as ei:
        list(c.iter_payments("b", START, END))
    assert ei.value.final


def test_context_manager_closes() -> None:
    with scripted(lambda r: page([])) as c:
        pass
    assert c._http.is_closed


def test_error_body_is_parsed_into_reason() -> None:
    body = json.dumps({"error": {"code": "unauthorized", "message": "token expired"}})
    c = scripted(lambda r: httpx.Response(401, content=body, headers={"content-type": "application/json"}))
    with pytest.raises(PaymentsAuthError, match="token expired") as ei:
        list(c.iter_payments("b", START, END))
    assert ei.value.code == "unauthorized" and str(ei.value) == ei.value.reason
