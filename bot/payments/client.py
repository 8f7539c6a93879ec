"""httpx client of the Biller Portal payments search (`payments-api.yaml`).

`PaymentsClient.iter_payments` streams a window of a biller's payments page by
page (cursor pagination), holding at most one page at a time. Transient
failures (5xx, 408, connection errors, timeouts) are retried with exponential
backoff and full jitter, 429 waits its `Retry-After`; everything else becomes
one of the `PaymentsError` exceptions below, each with a short human `reason`
and a `final` flag (True: retrying later will not help, e.g. a bad token).
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Callable, Iterator, Optional
from urllib.parse import quote

import httpx

from bot.httputil import retry_after_seconds

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 500
# Bounds of one read (one biller's window), whatever the server sends: past any of them the read
# stops and the day is recorded as unavailable (source_unavailable) with the reason.
READ_DEADLINE = 300.0  # seconds for the whole read: every page, retry and wait
MAX_PAGES = 2_000  # 1,000,000 payments at the contract's 500 a page
MAX_PAGE_BYTES = 8 << 20  # one page's body; 500 payments are ~250 KiB


# ---- errors -----------------------------------------------------------------
class PaymentsError(Exception):
    """Any failure to read payments.

    `reason` is short human text (fit for an alert); `final` is True when
    retrying later will not help (bad token, unknown biller, bad request).
    `status` is the HTTP status when there was one; `code` the API's error code.
    """

    final: bool = False

    def __init__(
        self,
        reason: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        final: Optional[bool] = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code
        if final is not None:
            self.final = final

    def __str__(self) -> str:
        return self.reason


class PaymentsUnavailable(PaymentsError):
    """The source could not be read now (5xx, 429, connection, timeout), retries exhausted."""

    final = False


class PaymentsAuthError(PaymentsError):
    """401: the token was refused."""

    final = True


class BillerNotFound(PaymentsError):
    """404: no such biller."""

    final = True


class PaymentsBadRequest(PaymentsError):
    """400: the API refused the query."""

    final = True


# ---- helpers ----------------------------------------------------------------
def rfc3339(dt: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with `Z` (microseconds only when present)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: pass an aware datetime (UTC or a zone)")
    u = dt.astimezone(timezone.utc)
    s = u.strftime("%Y-%m-%dT%H:%M:%S")
    if u.microsecond:
        s += f".{u.microsecond:06d}".rstrip("0")
    return s + "Z"


def _error_body(body: bytes) -> tuple[Optional[str], Optional[str]]:
    """(code, message) from `{"error": {"code", "message"}}`, tolerating any other body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return None, (text[:200] or None)
    err = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(err, dict):
        code = err.get("code")
        msg = err.get("message")
        return (str(code) if code is not None else None, str(msg)[:200] if msg is not None else None)
    return None, None


def _describe(status: int) -> str:
    try:
        phrase = httpx.codes.get_reason_phrase(status)
    except Exception:  # pragma: no cover - defensive
        phrase = ""
    return f"{status} {phrase}".strip().lower()


# ---- client -----------------------------------------------------------------
class PaymentsClient:
    """Synchronous client of `GET /v1/billers/{biller_id}/payments`.

    `sleep` and `rng` are injectable so tests can observe waits without waiting.
    Counters: `request_count` (HTTP requests sent, retries included),
    `page_count` (pages successfully read), `retry_count` (waits before a retry).
    """

    def __init__(
        self,
        base_url: str,
        token: Optional[str] = None,
        *,
        timeout: float = 10.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_max: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: Optional[httpx.BaseTransport] = None,
        rng: Optional[random.Random] = None,
        read_deadline: float = READ_DEADLINE,
        max_pages: int = MAX_PAGES,
        max_page_bytes: int = MAX_PAGE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.read_deadline, self.max_pages, self.max_page_bytes = read_deadline, max_pages, max_page_bytes
        self._clock = clock
        headers = {"Accept": "application/json", "User-Agent": "addon-bot/0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )
        self.request_count = 0
        self.page_count = 0
        self.retry_count = 0

    # -- lifecycle --
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "PaymentsClient":
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    # -- public --
    def iter_payments(
        self,
        biller_id: str,
        created_gte: datetime,
        created_lt: datetime,
        channels: Optional[list[str]] = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield the biller's payments with created_gte <= created_at < created_lt.

        Ordered as the API orders them (created_at, then id). Pages are fetched
        lazily: the next request is sent only once the current page is consumed.
        Raises a `PaymentsError` subclass (possibly after some payments were
        yielded, if a later page fails).
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}")
        # Checked here, at the call, not on first iteration (rfc3339 refuses naive datetimes).
        base_params: list[tuple[str, str]] = [
            ("created_gte", rfc3339(created_gte)),
            ("created_lt", rfc3339(created_lt)),
            ("limit", str(page_size)),
        ]
        for ch in channels or ():
            base_params.append(("channel", ch))
        path = f"/v1/billers/{quote(biller_id, safe='')}/payments"
        return self._pages(biller_id, path, base_params)

    def _pages(
        self, biller_id: str, path: str, base_params: list[tuple[str, str]]
    ) -> Iterator[dict[str, Any]]:
        cursor: Optional[str] = None
        seen_cursors: set[str] = set()  # guards against a server that loops; at most max_pages strs
        limit = int(dict(base_params)["limit"])
        deadline = self._clock() + self.read_deadline
        pages = 0
        while True:
            if pages >= self.max_pages:
                raise PaymentsUnavailable(f"payments API pagination passed {self.max_pages:,} pages; read stopped",
                                          status=200)
            params = list(base_params)
            if cursor is not None:
                params.append(("starting_after", cursor))
            body = self._get_page(biller_id, path, params, deadline)
            data = body["data"]
            if len(data) > limit:
                raise PaymentsUnavailable(f"payments API sent a page of {len(data):,} items; the limit asked "
                                          f"was {limit}", status=200)
            has_more = body["has_more"]
            next_cursor = body.get("next_cursor")
            self.page_count += 1
            pages += 1
            del body  # only `data` (this page) stays alive while it is consumed
            yield from data
            del data  # and not while the next page is read
            if not has_more:
                return
            if not isinstance(next_cursor, str) or not next_cursor:
                raise PaymentsUnavailable(
                    "payments API said has_more but gave no next_cursor", status=200
                )
            if next_cursor in seen_cursors:
                raise PaymentsUnavailable("payments API pagination did not advance", status=200)
            seen_cursors.add(next_cursor)
            cursor = next_cursor

    # -- one page, with retries --
    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform(0, min(backoff_max, backoff_base * 2**(attempt-1)))."""
        cap = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return self._rng.uniform(0.0, cap)

    def _get_page(
        self, biller_id: str, path: str, params: list[tuple[str, str]], deadline: float = float("inf")
    ) -> dict[str, Any]:
        last_problem = "no attempt made"
        last_status: Optional[int] = None
        for attempt in range(1, self.max_attempts + 1):
            wait: Optional[float] = None
            self._check_deadline(deadline)
            self.request_count += 1
            try:
                status, headers, raw = self._fetch(path, params, deadline)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
                raise PaymentsError(f"bad payments API URL {self.base_url}: {e}", final=True) from e
            except httpx.TimeoutException as e:
                last_problem, last_status = f"timed out ({type(e).__name__})", None
            except httpx.TransportError as e:
                last_problem, last_status = f"connection failed ({type(e).__name__}: {e})", None
            else:
                if status == 200:
                    page = self._parse_page(raw)
                    if page is not None:
                        return page
                    last_problem, last_status = "malformed response body", 200
                elif status == 429:
                    last_problem, last_status = "rate limited (429)", 429
                    ra = retry_after_seconds(headers.get("Retry-After"))
                    if ra is not None:
                        wait = min(ra, self.retry_after_max)
                elif status == 408 or status >= 500:
                    _, msg = _error_body(raw)
                    last_problem = _describe(status) + (f": {msg}" if msg else "")
                    last_status = status
                else:
                    raise self._final_error(biller_id, status, raw)
            if attempt == self.max_attempts:
                break
            if wait is None:
                wait = self._backoff(attempt)
            if self._clock() + wait > deadline:
                raise PaymentsUnavailable(f"payments API read passed its {self.read_deadline:g}s deadline "
                                          f"(last: {last_problem})", status=last_status)
            self.retry_count += 1
            log.info(
                "payments API %s for biller %s (attempt %d/%d); retrying in %.2fs",
                last_problem, biller_id, attempt, self.max_attempts, wait,
            )
            self._sleep(wait)
        raise PaymentsUnavailable(
            f"payments API unavailable after {self.max_attempts} attempts: {last_problem}",
            status=last_status,
        )

    def _fetch(self, path: str, params: list[tuple[str, str]],
               deadline: float = float("inf")) -> tuple[int, httpx.Headers, bytes]:
        """One GET: (status, headers, body bytes).

        The body is read by streaming into our own buffer and the response is
        closed here, so no httpx.Response (which sits in a reference cycle with
        its stream and would keep each page's bytes until the cyclic GC runs)
        outlives the call: memory stays at one page.
        """
        request = self._http.build_request("GET", path, params=tuple(params))
        resp = self._http.send(request, stream=True)
        try:
            buf = bytearray()
            for chunk in resp.iter_bytes():  # a server that drips is cut off at the deadline
                buf += chunk
                if len(buf) > self.max_page_bytes:
                    raise PaymentsUnavailable(f"payments API page is over {self.max_page_bytes:,} bytes",
                                              status=resp.status_code)
                self._check_deadline(deadline)
            return resp.status_code, resp.headers, bytes(buf)
        finally:
            resp.close()

    def _check_deadline(self, deadline: float) -> None:
        if self._clock() > deadline:
            raise PaymentsUnavailable(f"payments API read passed its {self.read_deadline:g}s deadline",
                                      status=None)

    @staticmethod
    def _parse_page(raw: bytes) -> Optional[dict[str, Any]]:
        """The page body if it has the contract's shape, else None (treated as transient)."""
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("data"), list)
            or not isinstance(body.get("has_more"), bool)
        ):
            return None
        return body

    def _final_error(self, biller_id: str, status: int, raw: bytes) -> PaymentsError:
        code, msg = _error_body(raw)
        detail = f": {msg}" if msg else ""
        if status == 401:
            return PaymentsAuthError(f"payments API refused the token (401){detail}", status=401, code=code)
        if status == 404:
            return BillerNotFound(f"biller {biller_id} not found (404){detail}", status=404, code=code)
        if status == 400:
            return PaymentsBadRequest(f"payments API rejected the query (400){detail}", status=400, code=code)
        return PaymentsError(
            f"payments API answered {_describe(status)}{detail}", status=status, code=code, final=True
        )
