"""HTTP mode: Bolt behind Starlette/uvicorn. `POST /slack/events`, `GET /healthz`.

Bolt's sync dispatch runs in a worker thread so one slow request never holds
the event loop; Bolt verifies every request's signature and timestamp.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.request import BoltRequest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def asgi_app(bolt: App, health) -> Starlette:
    async def events(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        req = BoltRequest(body=body, query=request.url.query, headers=dict(request.headers))
        resp = await run_in_threadpool(bolt.dispatch, req)
        return Response(
            content=resp.body,
            status_code=resp.status,
            headers={k: v[0] for k, v in resp.headers.items() if v},
        )

    async def healthz(_: Request) -> Response:
        status, payload = await run_in_threadpool(health)
        return JSONResponse(payload, status_code=status)

    return Starlette(routes=[
        Route("/slack/events", events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ])



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
