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

The code: `sim_profile` (BillerProfile, profile_for, rhythms and
distributions), `sim_generate` (the per-biller, per-slot generator),
`sim_http` (API errors, cursors, query parsing, the ASGI app and server
thread) and this module (Simulator, which pages through the generated slots,
and the command line). Every public name of those modules is importable from
here too.

Run it alone: `python -m bot.payments.simulator --port 8787 [--token T] [--seed N] [--strict]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import threading
import time
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from .sim_generate import SLOT_CHOICES_MS, TARGET_PER_SLOT, _Biller, _to_ms_ceil, _Vals
from .sim_http import (
    _FAULT_CODES, DEFAULT_LIMIT, MAX_LIMIT, SimulatorError, _decode_cursor, _encode_cursor, _error_response,
    make_app, parse_limit, parse_time, serve_in_thread,
)
from .sim_profile import (  # the public names below are re-exported (see __all__)
    ACH_FAILURES, ACH_PENDING_P, ACH_RETURN_P, ACH_RETURNS, AMOUNT_MU, AMOUNT_SIGMA, BASE_FAIL, BATCH_CURVE,
    CARD_CHARGEBACK_P, CARD_DECLINES, CARD_REFUND_P, CARD_VOID_P, CHANNELS, CHARGEBACK_CODES, CURVES, DAY_MS,
    DEFAULT_MIX, HOUR_MS, HUMAN_CURVE, METHODS, OVERRIDE_KEYS, QUARTER_MS, REFUND_CODES, US_ZONES, WEEKLY,
    BillerProfile, profile_for,
)

if TYPE_CHECKING:  # imported lazily at run time: the bot need not load a web stack to import us
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "ACH_FAILURES", "ACH_PENDING_P", "ACH_RETURNS", "ACH_RETURN_P", "AMOUNT_MU", "AMOUNT_SIGMA",
    "BASE_FAIL", "BATCH_CURVE", "CARD_CHARGEBACK_P", "CARD_DECLINES", "CARD_REFUND_P", "CARD_VOID_P",
    "CHANNELS", "CHARGEBACK_CODES", "CURVES", "DAY_MS", "DEFAULT_LIMIT", "DEFAULT_MIX", "HOUR_MS",
    "HUMAN_CURVE", "MAX_LIMIT", "MAX_SCAN_ROWS", "MAX_SCAN_SLOTS", "METHODS", "OVERRIDE_KEYS",
    "QUARTER_MS", "REFUND_CODES", "SLOT_CHOICES_MS", "TARGET_PER_SLOT", "US_ZONES", "WEEKLY",
    "BillerProfile", "Simulator", "SimulatorError", "main", "parse_limit", "parse_time", "profile_for",
]

log = logging.getLogger(__name__)

# Work bounds per request: a sparse channel filter over a long window returns
# a short (even empty) page with has_more=true rather than scanning for ever.
MAX_SCAN_SLOTS = 200_000
MAX_SCAN_ROWS = 100_000


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
        return make_app(self._handle)

    async def _handle(self, request: "Request") -> "Response":
        from starlette.responses import Response  # here, not at the top: only serving needs the web stack

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
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        server, thread, sock = serve_in_thread(self.asgi_app(), host, port)
        port = sock.getsockname()[1]
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
