"""HTTP mode: Bolt behind Starlette/uvicorn. `POST /slack/events`, `GET /healthz`, `GET /metrics`
(the last two also alone, for Socket Mode: `ops_app`).

The edge refuses what is not Slack's before anything is parsed: a body over
1 MiB is refused from its Content-Length (or as soon as the stream passes the
cap), the signature and timestamp are verified on the raw bytes
(https://api.slack.com/authentication/verifying-requests-from-slack), a
signature already accepted is a replay and runs nothing, and a payload of the
wrong shape is a 400. Each refusal is one log line without the body, and a
flood of them is summarised (one line a second per reason). Bad input never
gets a 500. Bolt's sync dispatch then runs in a worker thread so one slow
request never holds the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from slack_bolt import App
from slack_bolt.request import BoltRequest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import CONTENT_TYPE, Metrics, surface_of
from bot.slack_payload import MAX_BODY, BadRequest, decode, verify

log = logging.getLogger("addon_bot.server")


class RefusalLog:
    """One line per refusal, at most one a second per reason; the rest are counted into the next line."""

    def __init__(self, every: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.every, self.clock = every, clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()
        self.counts: dict[int, int] = {}

    def refused(self, status: int, reason: str, peer: str) -> None:
        key = f"{status} {reason}"
        with self._lock:
            self.counts[status] = self.counts.get(status, 0) + 1
            now = self.clock()
            if now - self._last.get(key, -1e18) < self.every:
                self._held[key] = self._held.get(key, 0) + 1
                return
            held = self._held.pop(key, 0)
            self._last[key] = now
        more = f" (and {held} more like it)" if held else ""
        log.warning("refused a request to /slack/events from %s: %s %s%s", peer, status, reason, more)


async def read_capped(request: Request, cap: int = MAX_BODY) -> bytes:
    """The raw body, refused (413) before reading when it says it is too big, or once it is."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise BadRequest(400, "Content-Length is not a number")
        if int(declared) > cap:
            raise BadRequest(413, f"body of {int(declared)} bytes is over the {cap}-byte cap")
    buf = bytearray()
    try:
        async for chunk in request.stream():
            buf += chunk
            if len(buf) > cap:
                raise BadRequest(413, f"body is over the {cap}-byte cap")
    except ClientDisconnect:
        raise BadRequest(400, "client went away mid-body") from None
    return bytes(buf)


def asgi_app(bolt: App, health, *, signing_secret: str,
             first_sight: Optional[Callable[[str], bool]] = None,
             refusals: Optional[RefusalLog] = None, metrics: Optional[Metrics] = None) -> Starlette:
    """`health()` is readiness, (status, payload); `first_sight(signature)`: True the first time a
    signature is seen (storage.edge); `metrics` is what GET /metrics renders."""
    if not signing_secret:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
    secret = signing_secret
    refusals = refusals or RefusalLog()
    metrics = metrics or Metrics()

    def refuse(request: Request, e: BadRequest, surface: str) -> Response:
        refusals.refused(e.status, e.reason, request.client.host if request.client else "?")
        metrics.request(surface, str(e.status))
        return JSONResponse({"ok": False, "error": e.reason}, status_code=e.status)

    async def events(request: Request) -> Response:
        t0 = time.monotonic()
        surface = "unverified"
        try:
            raw = await read_capped(request)
            h = request.headers
            signature = h.get("x-slack-signature")
            verify(secret, raw, h.get("x-slack-request-timestamp"), signature)
            surface = "undecoded"
            text, body = decode(raw, h.get("content-type"))
            surface = surface_of(body)
            if first_sight is not None:
                try:
                    fresh = await run_in_threadpool(first_sight, signature)
                except Exception:  # noqa: BLE001 - the database is down: Slack will retry
                    log.exception("could not check a request for replay")
                    return JSONResponse({"ok": False, "error": "try again"}, status_code=503)
                if not fresh:
                    raise BadRequest(409, "replayed request (signature already accepted)")
            try:
                req = BoltRequest(body=text, query=request.url.query, headers=dict(h))
            except Exception:  # noqa: BLE001 - a shape Bolt cannot read
                raise BadRequest(400, "payload Bolt cannot read") from None
        except BadRequest as e:
            if e.status == 409:  # a replay: answered as done so it is not sent again, and run never
                refusals.refused(409, e.reason, request.client.host if request.client else "?")
                metrics.request(surface, "replay")
                return Response(status_code=200)
            return refuse(request, e, surface)
        resp = await run_in_threadpool(bolt.dispatch, req)
        metrics.request(surface, "ok" if resp.status == 200 else str(resp.status), time.monotonic() - t0)
        return Response(
            content=resp.body,
            status_code=resp.status,
            headers={k: v[0] for k, v in resp.headers.items() if v},
        )

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"]), *ops_routes(health, metrics)])


def ops_routes(health, metrics: Metrics) -> list[Route]:
    """`GET /healthz` (readiness; also `/healthz/ready`), `/healthz/live` and `/metrics`:
    beside /slack/events in HTTP mode, on their own port in Socket Mode (`ops_app`)."""

    async def healthz(_: Request) -> Response:
        """Readiness: the database answers and is at the code's migration head (503 otherwise)."""
        status, payload = await run_in_threadpool(health)
        return JSONResponse(payload, status_code=status)

    async def ready(_: Request) -> Response:
        """Readiness, saying what was checked."""
        status, payload = await run_in_threadpool(health)
        if status == 200:
            payload = {**payload, "migrations": "ok"}
        return JSONResponse(payload, status_code=status)

    async def live(_: Request) -> Response:
        """Liveness: the process serves HTTP (restart it when this fails; not when readiness does)."""
        return JSONResponse({"ok": True, "live": True})

    async def metrics_page(_: Request) -> Response:
        return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/healthz/ready", ready, methods=["GET"]),
        Route("/healthz/live", live, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


def ops_app(health, metrics: Metrics) -> Starlette:
    """Socket Mode's HTTP side: health and metrics only (Slack reaches the bot over its WebSocket)."""
    return Starlette(routes=ops_routes(health, metrics))


class ThreadedServer:
    """An ASGI app under uvicorn on a loopback socket, in a background thread
    (tests, the demo, the local workspace).

    The socket is bound here, before uvicorn starts (port 0: the OS picks a
    free one), so the port is known and held from construction on and a port
    in use fails at once. `start()` returns once the server accepts connections.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, name: str = "http"):
        import socket

        import uvicorn

        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError:
            self.sock.close()
            raise
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = uvicorn.Server(uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2,
        ))
        self.thread = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """`http://HOST:PORT`, no trailing slash."""
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # noqa: BLE001 - surfaced by start()
            self._error = exc

    def start(self, timeout: float = 10.0) -> "ThreadedServer":
        import threading
        import time

        if self.thread is not None:
            raise RuntimeError(f"{self.name} server already started")
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"{self.name}:{self.port}")
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self._error is not None or not self.thread.is_alive():
                raise RuntimeError(f"{self.name} server on port {self.port} failed to start") from self._error
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} server on port {self.port} did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout)
            if self.thread.is_alive():
                self.server.force_exit = True
                self.thread.join(timeout)
            self.thread = None
        self.sock.close()
