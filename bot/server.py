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
    """uvicorn on a loopback socket in a background thread (tests, the demo)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import socket

        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                    lifespan="off"))
        self.thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ThreadedServer":
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True, name=f"http-{self.port}")
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"HTTP server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.sock.close()
