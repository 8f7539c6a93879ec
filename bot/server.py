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
