"""httpx client of the project schedule API (`schedule-api.yaml`, the subset of
Smartsheet's API 2.0 the process needs).

- Bearer token on every request.
- 429 and 5xx (and connection errors, timeouts) are retried with exponential
  backoff and full jitter; a `Retry-After` header is honoured
  (bot.httputil.retry_after_seconds), capped so a request never hangs.
- A sheet is read page by page (`page`, `pageSize`) until `totalRowCount` rows
  are in hand.
- 401, 403, 404 become `ScheduleError`s with a short reason fit for a person.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import httpx

from bot.httputil import retry_after_seconds

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # the API's maximum pageSize


class ScheduleError(Exception):
    """A failure to read or change the schedule. `reason` is short human text."""

    final = True

    def __init__(self, reason: str, *, status: Optional[int] = None, code: Optional[int] = None):
        super().__init__(reason)
        self.reason, self.status, self.code = reason, status, code

    def __str__(self) -> str:
        return self.reason


class ScheduleUnavailable(ScheduleError):
    """429, 5xx or no answer, after the retries."""

    final = False


class ScheduleAuthError(ScheduleError):
    """401: SCHEDULE_API_TOKEN was refused."""


class ScheduleForbidden(ScheduleError):
    """403: the token may not do this (for a summary field: the field is locked)."""


class SheetNotFound(ScheduleError):
    """404: no such sheet (or not shared with the token's user)."""


@dataclass(frozen=True)
class Sheet:
    id: int
    name: str
    permalink: Optional[str]
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    total_row_count: int
    pages: int = 1


@dataclass(frozen=True)
class SummaryField:
    id: int
    title: str
    value: Any
    locked: bool = False


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)


def _api_message(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:200]
    if isinstance(body, dict):
        msg = body.get("message")
        code = body.get("errorCode")
        if msg:
            return f"{msg}" + (f" (errorCode {code})" if code is not None else "")
    return ""


class ScheduleClient:
    def __init__(self, base_url: str, token: Optional[str] = None, *, timeout: float = 10.0,
                 max_attempts: int = 4, backoff_base: float = 0.25, backoff_max: float = 4.0,
                 retry_after_max: float = 10.0, sleep: Callable[[float], None] = time.sleep,
                 transport: Optional[httpx.BaseTransport] = None, rng: Optional[random.Random] = None):
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max(1, max_attempts)
        self.backoff_base, self.backoff_max, self.retry_after_max = backoff_base, backoff_max, retry_after_max
        self._sleep = sleep
        self._rng = rng or random.Random()
        headers = {"Accept": "application/json", "User-Agent": "addon-bot/0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout),
                                  transport=transport)
        self.counters = Counters()

    def close(self) -> None:
        self._http.close()

    # ---- the one request loop ----------------------------------------------------
    def _request(self, method: str, path: str, what: str, **kw) -> Any:
        last = "no answer"
        for attempt in range(1, self.max_attempts + 1):
            self.counters.requests += 1
            wait: Optional[float] = None
            try:
                r = self._http.request(method, path, **kw)
            except httpx.TransportError as e:
                last = f"no answer ({type(e).__name__})"
            else:
                if r.status_code < 300:
                    try:
                        return r.json()
                    except ValueError:
                        raise ScheduleError(f"The schedule answered {what} with something that is not JSON.",
                                            status=r.status_code) from None
                msg = _api_message(r)
                if r.status_code == 401:
                    raise ScheduleAuthError(
                        "The schedule refused the bot's token (401): check SCHEDULE_API_TOKEN.", status=401)
                if r.status_code == 403:
                    raise ScheduleForbidden(f"The schedule refused {what} (403 forbidden: {msg or 'no reason'}).",
                                            status=403)
                if r.status_code == 404:
                    raise SheetNotFound(f"The schedule has no such sheet (404) for {what}.", status=404)
                if r.status_code != 429 and r.status_code < 500:
                    raise ScheduleError(f"The schedule refused {what} ({r.status_code}: {msg or 'no reason'}).",
                                        status=r.status_code)
                last = f"{r.status_code}" + (f" {msg}" if msg else "")
                wait = retry_after_seconds(r.headers.get("Retry-After"))
            if attempt == self.max_attempts:
                break
            if wait is None:
                wait = self._rng.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
            wait = min(wait, self.retry_after_max)
            self.counters.retries += 1
            self.counters.waits.append(wait)
            log.info("schedule %s %s: %s; retrying in %.2fs", method, path, last, wait)
            self._sleep(wait)
        raise ScheduleUnavailable(
            f"The schedule could not be reached for {what} after {self.max_attempts} attempts (last: {last}).")

    # ---- the API ---------------------------------------------------------------------
    def sheet(self, sheet_id: int, page_size: int = PAGE_SIZE) -> Sheet:
        """The sheet with all its rows, read page by page until totalRowCount."""
        what = f"sheet {sheet_id}"
        rows: list[dict] = []
        page, pages = 1, 0
        first: dict = {}
        while True:
            body = self._request("GET", f"/sheets/{sheet_id}", what,
                                 params={"page": page, "pageSize": page_size})
            pages += 1
            if page == 1:
                first = body
            got = body.get("rows") or []
            rows.extend(got)
            total = int(body.get("totalRowCount", len(rows)))
            if len(rows) >= total or not got:
                break
            page += 1
        return Sheet(id=int(first.get("id", sheet_id)), name=str(first.get("name") or sheet_id),
                     permalink=first.get("permalink"), columns=list(first.get("columns") or []),
                     rows=rows, total_row_count=max(total, len(rows)), pages=pages)

    def summary(self, sheet_id: int) -> list[SummaryField]:
        body = self._request("GET", f"/sheets/{sheet_id}/summary", f"the summary of sheet {sheet_id}")
        return [SummaryField(id=int(f["id"]), title=str(f.get("title") or ""), value=f.get("objectValue"),
                             locked=bool(f.get("locked")))
                for f in body.get("fields") or []]

    def set_summary_field(self, sheet_id: int, field_id: int, value: Any) -> None:
        self._request("PUT", f"/sheets/{sheet_id}/summary/fields", f"the summary of sheet {sheet_id}",
                      json=[{"id": field_id, "objectValue": value}])
