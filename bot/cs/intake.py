"""The Client Services case intake, as an httpx client (interfaces.md).

`POST {CS_CASES_URL}` with `Authorization: Bearer {CS_CASES_TOKEN}`, an
`Idempotency-Key` that is the same on every retry of one case, and a JSON body.
It answers `201 {"id", "url"}`; a retry with a key it knows answers `200` with
the same body. 4xx other than 408/429 is final; anything else (5xx, 408, 429,
a timeout, a refused connection, an answer we cannot read) is worth a retry
with the same key, which can never make a second case.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Optional

import httpx

from bot.httputil import retry_after_seconds  # re-exported: callers import it from here

log = logging.getLogger("addon_bot.cs.intake")

CREATED, RETRY, FINAL = "created", "retry", "final"


@dataclass(frozen=True)
class CasePayload:
    """The JSON body, exactly the fields of the interfaces page."""

    project_id: int
    biller_id: str
    addon: str
    subject: str
    description: str
    requested_by: str
    slack_permalink: Optional[str]

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Created:
    id: str
    url: Optional[str]
    replayed: bool  # 200: the intake already had this key


class IntakeError(Exception):
    """The intake did not create the case. `final` says whether a retry could help."""

    def __init__(self, reason: str, *, final: bool, status: Optional[int] = None,
                 retry_after: Optional[float] = None):
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.status = status
        self.retry_after = retry_after
        self.timed_out = False  # True: the intake did not answer in time (not retried at once)


def classify(status: int) -> str:
    """What an HTTP status means for a case: created, retry, or final."""
    if status in (200, 201):
        return CREATED
    if status in (408, 429) or status >= 500:
        return RETRY
    if 400 <= status < 500:
        return FINAL
    if 300 <= status < 400:
        return FINAL  # a redirect means CS_CASES_URL is wrong; retrying cannot help
    return RETRY  # 1xx or another 2xx: not the contract's answer; the key makes a retry safe


def _explain(resp: httpx.Response) -> str:
    """A short reason from an error answer: its JSON error/message/detail, or its text."""
    try:
        body = resp.json()
    except (json.JSONDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        for k in ("error", "message", "detail", "title"):
            if isinstance(body.get(k), str) and body[k].strip():
                return body[k].strip()[:200]
    text = (resp.text or "").strip()
    return text[:200] if text else (resp.reason_phrase or "no reason given")


class IntakeClient:
    """One per process; httpx.Client is safe to share between threads."""

    def __init__(self, url: str, token: Optional[str], *, timeout: float = 10.0,
                 transport: Optional[httpx.BaseTransport] = None):
        self.url = url
        headers = {"Accept": "application/json", "User-Agent": "addon-bot"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                                  transport=transport, follow_redirects=False)
        self.timeout = timeout

    def close(self) -> None:
        self._http.close()

    def create(self, idempotency_key: str, payload: CasePayload) -> Created:
        """Create the case, or raise IntakeError saying whether to retry."""
        try:
            resp = self._http.post(self.url, json=payload.as_json(),
                                   headers={"Idempotency-Key": idempotency_key})
        except httpx.TimeoutException:
            err = IntakeError(f"the intake did not answer within {self.timeout:g}s", final=False)
            err.timed_out = True
            raise err from None
        except httpx.TransportError as e:
            raise IntakeError(f"could not reach the intake ({type(e).__name__}: {str(e)[:120]})",
                              final=False) from None
        kind = classify(resp.status_code)
        if kind == FINAL:
            raise IntakeError(f"the intake refused the case ({resp.status_code}): {_explain(resp)}",
                              final=True, status=resp.status_code)
        if kind == RETRY:
            raise IntakeError(f"the intake answered {resp.status_code}: {_explain(resp)}", final=False,
                              status=resp.status_code,
                              retry_after=retry_after_seconds(resp.headers.get("Retry-After")))
        try:
            body = resp.json()
        except (json.JSONDecodeError, ValueError):
            body = None
        case_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(case_id, (str, int)) or str(case_id).strip() == "":
            # Created, but we cannot read its id: asking again with the same key
            # returns the same case, so this is a retry, never a second case.
            raise IntakeError(f"the intake answered {resp.status_code} without a case id", final=False,
                              status=resp.status_code)
        case_id = str(case_id).strip()
        if len(case_id) > 128:  # the column holds 128; the case exists, so keep it, clipped
            log.warning("intake case id longer than 128 characters, stored clipped: %s", case_id)
            case_id = case_id[:127] + "…"
        url = body.get("url")
        url = url if isinstance(url, str) and 0 < len(url) <= 500 else None  # the column holds 500
        return Created(id=case_id, url=url, replayed=resp.status_code == 200)
