"""Faulty payments servers: a cursor that never ends, the same data under new cursors, a server
that drips one byte a second, an oversized page. Each read ends within its bounds, memory stays
flat, and the day is recorded as unavailable (source_unavailable) with the reason."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from bot.monitoring.judge import Target, fetch_day
from bot.payments.aggregate import DUPLICATE_WINDOW_MAX, DuplicateWindow
from bot.payments.client import PaymentsClient, PaymentsUnavailable

T0 = datetime(2026, 11, 5, 12, tzinfo=timezone.utc)


def _payment(i: int) -> dict:
    return {"id": f"pay_{i}", "created_at": "2026-11-05T12:00:00Z", "amount_cents": 1000, "currency": "USD",
            "channel": "ivr", "status": "succeeded", "payer_key": "same-payer"}


class Faulty(BaseHTTPRequestHandler):
    mode = "endless"
    requests = 0

    def log_message(self, *a):  # quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).requests += 1
        q = parse_qs(urlparse(self.path).query)
        limit = int(q.get("limit", ["500"])[0])
        n = type(self).requests
        if self.mode == "drip":
            body = json.dumps({"data": [], "has_more": False}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1.0)
            except OSError:
                pass
            return
        if self.mode == "huge":
            data = [_payment(i) for i in range(limit * 20)]
        else:  # endless, and "the same data under new cursors"
            data = [_payment(i) for i in range(limit)]
        body = json.dumps({"data": data, "has_more": True, "next_cursor": f"c{n}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def faulty():
    Faulty.requests = 0
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Faulty)
    srv.daemon_threads = True
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield srv, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _read(client) -> int:
    return sum(1 for _ in client.iter_payments("B1", T0, T0 + timedelta(days=1), page_size=50))


def test_a_cursor_that_always_changes_stops_at_the_page_bound(faulty):
    _, url = faulty
    Faulty.mode = "endless"
    with PaymentsClient(url, max_pages=40) as c:
        with pytest.raises(PaymentsUnavailable, match="40 pages"):
            _read(c)
    assert Faulty.requests == 40


def test_the_read_has_an_overall_deadline(faulty):
    _, url = faulty
    Faulty.mode = "endless"
    t = time.monotonic()
    with PaymentsClient(url, read_deadline=1.0) as c:
        with pytest.raises(PaymentsUnavailable, match="deadline"):
            _read(c)
    assert time.monotonic() - t < 5


def test_a_server_that_drips_is_cut_off_at_the_deadline(faulty):
    _, url = faulty
    Faulty.mode = "drip"
    t = time.monotonic()
    with PaymentsClient(url, read_deadline=2.5, timeout=2.0, max_attempts=1) as c:
        with pytest.raises(PaymentsUnavailable, match="deadline"):
            _read(c)
    assert time.monotonic() - t < 6  # not 30 s (one byte a second)


def test_a_page_larger_than_asked_is_refused(faulty):
    _, url = faulty
    Faulty.mode = "huge"
    with PaymentsClient(url) as c:
        with pytest.raises(PaymentsUnavailable, match="limit asked was 50"):
            _read(c)


def test_the_day_is_recorded_unavailable_with_the_reason(faulty):
    _, url = faulty
    Faulty.mode = "endless"
    t = Target(1, "B1", "America/Chicago", "ivr", date(2026, 11, 2), 40.0)
    with PaymentsClient(url, max_pages=10) as c:
        day = fetch_day(c, t, date(2026, 11, 5))
    assert day.source_ok is False and "10 pages" in day.source_error


def test_the_same_data_under_new_cursors_keeps_memory_flat(faulty):
    _, url = faulty
    Faulty.mode = "endless"
    t = Target(1, "B1", "America/Chicago", None, date(2026, 11, 2), 40.0)
    tracemalloc.start()
    with PaymentsClient(url, max_pages=150) as c:  # 75,000 identical payments
        day = fetch_day(c, t, date(2026, 11, 5))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert day.source_ok is False
    assert peak < 64 << 20, peak


def test_the_duplicate_window_is_bounded_when_timestamps_repeat():
    w = DuplicateWindow()
    for i in range(DUPLICATE_WINDOW_MAX * 3):
        w.seen(1000.0 + (i % 7) * 1e-3, (f"payer{i}", 100))
    assert len(w) <= DUPLICATE_WINDOW_MAX and w.evicted > 0
    w2 = DuplicateWindow()
    for _ in range(50_000):
        assert w2.seen(5.0, ("p", 1)) in (True, False)
    assert len(w2) == 1  # the same key at the same instant is held once
