"""A loopback Client Services case intake (interfaces.md), for tests.

Honours the contract: Bearer token, Idempotency-Key, 201 {id, url} for a new
key, 200 with the same body for a known one (422 if the known key comes with a
different body). Scripted failures: `fail(n, "503")` answers the next n
requests 503; `fail(n, "hang")` creates the case and then answers only after
`hang_seconds` (past the client's timeout), as a slow intake does; `fail(n,
"422")` refuses them for good. Every request is recorded.

    intake = IntakeServer(token="cs-token").start()
    ... CS_CASES_URL=intake.url ...
    intake.stop(); intake.start()   # down and up again on the same address
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.server import ThreadedServer

FIELDS = ("project_id", "biller_id", "addon", "subject", "description", "requested_by", "slack_permalink")


@dataclass
class Recorded:
    key: Optional[str]
    authorization: Optional[str]
    body: Any
    status: int = 0


@dataclass
class IntakeServer:
    token: str = "cs-token"
    hang_seconds: float = 2.0
    requests: list[Recorded] = field(default_factory=list)
    cases: dict[str, dict] = field(default_factory=dict)  # key -> {"id", "url", "body"}

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[str] = []
        self._server: Optional[ThreadedServer] = None
        self._port = 0

    # ---- scripting ---------------------------------------------------------------
    def fail(self, n: int, mode: str = "503") -> "IntakeServer":
        assert mode in ("503", "hang", "422", "429")
        with self._lock:
            self._script.extend([mode] * n)
        return self

    def created(self) -> list[dict]:
        with self._lock:
            return list(self.cases.values())

    def keys_sent(self) -> list[Optional[str]]:
        with self._lock:
            return [r.key for r in self.requests]

    # ---- the endpoint -------------------------------------------------------------
    async def _cases(self, request: Request):
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        rec = Recorded(request.headers.get("idempotency-key"), request.headers.get("authorization"), body)
        with self._lock:
            self.requests.append(rec)
            mode = self._script.pop(0) if self._script else None

        def answer(status: int, payload: dict, headers: Optional[dict] = None):
            rec.status = status
            return JSONResponse(payload, status_code=status, headers=headers)

        if rec.authorization != f"Bearer {self.token}":
            return answer(401, {"error": "bad or missing bearer token"})
        if not rec.key:
            return answer(400, {"error": "Idempotency-Key header is required"})
        if not isinstance(body, dict) or any(f not in body for f in FIELDS):
            return answer(422, {"error": f"body must have {', '.join(FIELDS)}"})
        if mode == "503":
            return answer(503, {"error": "intake is restarting"})
        if mode == "429":
            return answer(429, {"error": "slow down"}, {"Retry-After": "1"})
        if mode == "422":
            return answer(422, {"error": f"biller {body['biller_id']} is not a Client Services customer"})
        with self._lock:
            known = self.cases.get(rec.key)
            if known is None:
                n = 1000 + len(self.cases) + 1
                known = {"id": f"CS-{n}", "url": f"https://cs.example.test/cases/CS-{n}", "body": body}
                self.cases[rec.key] = known
                status = 201
            elif known["body"] != body:
                return answer(422, {"error": "Idempotency-Key reused with a different body"})
            else:
                status = 200
        if mode == "hang":
            await asyncio.sleep(self.hang_seconds)
        return answer(status, {"id": known["id"], "url": known["url"]})

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> "IntakeServer":
        app = Starlette(routes=[Route("/cases", self._cases, methods=["POST"])])
        self._server = ThreadedServer(app, port=self._port).start()
        self._port = self._server.port
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/cases"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
