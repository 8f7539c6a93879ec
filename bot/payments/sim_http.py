"""The HTTP face of the simulated Biller Portal (`payments-api.yaml`): the API's
errors, page cursors, query parsing, error responses, the ASGI app and the
uvicorn server thread.

The web stack (starlette, uvicorn) is imported only when serving, so the bot
can import the simulator without loading it.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
import zlib
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

if TYPE_CHECKING:  # imported lazily at run time: the bot need not load a web stack to import us
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class SimulatorError(Exception):
    """An API error the simulator answers with (status, code, message)."""

    def __init__(self, status: int, code: str, message: str, retry_after: Optional[int] = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


# ---- cursors ---------------------------------------------------------------------
def _encode_cursor(biller_id: str, slot: int, j: int) -> str:
    payload = f"{slot}.{j}"
    crc = zlib.crc32(f"{biller_id}|{payload}".encode()) & 0xFFFFFFFF
    return base64.urlsafe_b64encode(f"{payload}.{crc:08x}".encode()).decode().rstrip("=")


def _decode_cursor(biller_id: str, cursor: str) -> tuple[int, int]:
    bad = SimulatorError(400, "invalid_cursor", "starting_after is not a next_cursor this API returned for this biller")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        slot_s, j_s, crc_s = raw.split(".")
        slot, j = int(slot_s), int(j_s)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if j < 0 or f"{zlib.crc32(f'{biller_id}|{slot_s}.{j_s}'.encode()) & 0xFFFFFFFF:08x}" != crc_s:
        raise bad
    return slot, j


# ---- query parsing -----------------------------------------------------------------
_OFFSET_SPACE = re.compile(r" (\d\d:?\d\d)$")


def parse_time(name: str, value: Optional[str]) -> datetime:
    """An RFC 3339 query parameter as an aware datetime, or a 400 naming the parameter."""
    example = "e.g. 2026-03-08T05:00:00Z"
    if value is None or value == "":
        raise SimulatorError(400, "invalid_request", f"{name} is required (RFC 3339, {example})")
    # An unencoded '+' in a query string arrives as a space.
    v = _OFFSET_SPACE.sub(r"+\1", value.strip())
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise SimulatorError(400, "invalid_request", f"{name} is not an RFC 3339 date-time: {value!r} ({example})") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise SimulatorError(400, "invalid_request", f"{name} needs a UTC offset or Z: {value!r} ({example})")
    return dt


def parse_limit(value: Optional[str]) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 1 <= n <= MAX_LIMIT:
        raise SimulatorError(400, "invalid_request", f"limit must be an integer from 1 to {MAX_LIMIT}, got {value!r}")
    return n


# ---- serving -----------------------------------------------------------------------
_FAULT_CODES = {
    400: "invalid_request", 401: "unauthorized", 404: "not_found", 408: "timeout",
    429: "rate_limited", 500: "internal_error", 502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout",
}


def _error_response(status: int, code: str, message: str, retry_after: Optional[int] = None) -> "Response":
    from starlette.responses import JSONResponse  # here, not at the top: only serving needs the web stack

    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def make_app(handle: Callable[["Request"], Awaitable["Response"]]) -> "Starlette":
    """The ASGI app: `handle` answers GET /v1/billers/{biller_id}/payments; any other
    path or method gets the API's error body."""
    # Imported here, not at the top: only serving needs the web stack.
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    async def not_found(request: "Request", exc: Exception) -> "Response":
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return _error_response(status, "not_found" if status == 404 else "error", str(getattr(exc, "detail", exc)))

    return Starlette(
        routes=[Route("/v1/billers/{biller_id}/payments", handle, methods=["GET"])],
        exception_handlers={HTTPException: not_found},
    )


def serve_in_thread(app: "Starlette", host: str, port: int) -> tuple[Any, threading.Thread, socket.socket]:
    """Serve `app` on host:port (0: a free port) in a daemon thread; returns
    (uvicorn server, thread, listening socket) once the server accepts connections."""
    import uvicorn  # here, not at the top: only serving needs the web stack

    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted
    # connections only when the socket says it is TCP; without it, Nagle
    # plus delayed ACKs add ~40 ms to every small response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="payments-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the payments simulator did not start")
        time.sleep(0.01)
    return server, thread, sock
