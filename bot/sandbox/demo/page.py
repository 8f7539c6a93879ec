"""The local workspace in the browser: a small Starlette app on loopback.

    GET  /                the page (static/index.html; vanilla JS, no build step)
    GET  /static/…        its scripts and styles (package data)
    GET  /api/state       ?user=U…&since=N: the persona's state once the version passes N (long poll)
    POST /api/act         what a person does: type in the message box, click, submit or close a
                          modal, react, open the App Home; delivered to the bot by LocalSlack's driver
    POST /api/daily       {"date": "YYYY-MM-DD"}: run the daily job for that local date
    GET  /healthz

Every action goes to the bot exactly as Slack sends it (signed HTTP to
/slack/events), so the page exercises the same code paths as production.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.sandbox.demo import cast, compose, features, snapshot
from bot.sandbox.localslack import LocalSlackError, ViewValidationError

if TYPE_CHECKING:
    from bot.sandbox.demo.run import DemoStack

log = logging.getLogger("addon_bot.demo")

STATIC = Path(__file__).parent / "static"


class BadRequest(Exception):
    pass


def _persona(user_id: Any) -> cast.Persona:
    try:
        return cast.persona(str(user_id))
    except KeyError:
        raise BadRequest(f"no persona {user_id!r}") from None


def _str(body: dict, key: str, required: bool = True) -> Any:
    v = body.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, str) or not v:
        raise BadRequest(f"{key} is required")
    return v


def perform(stack: DemoStack, body: dict) -> dict:
    """Carry out one person's action with LocalSlack's driver; the answer for the page."""
    slack = stack.slack
    user = _persona(body.get("user")).user_id
    kind = body.get("kind")
    if kind == "compose":
        channel, thread_ts = _str(body, "channel"), _str(body, "thread_ts", required=False)
        target = slack.ws.find_channel(channel)
        if target is not None and target.is_im:  # manifest: messages_tab_read_only_enabled
            return {"ok": False, "error": "Sending messages to this app has been turned off."}
        p = compose.plan(slack.ws, str(body.get("text") or ""))
        if p.kind == "refused":
            return {"ok": False, "error": p.reason}
        if p.kind == "command":
            if thread_ts:
                return {"ok": False, "error": "Slash commands cannot be used in a thread reply here; "
                                              "use the channel's message box."}
            r = slack.command(user, channel, p.text, command=p.command or "/addon")
            return {"ok": True, "status": r.status_code, "sent": f"{p.command} {p.text}".strip()}
        if p.kind == "mention":
            slack.mention(user, channel, p.text, thread_ts=thread_ts)
        else:
            slack.post_as_user(user, channel, p.text, thread_ts=thread_ts)
        return {"ok": True, "sent": p.text}
    if kind == "click":
        r = slack.click(user, body.get("channel"), body.get("ts"), _str(body, "action_id"),
                        selected=body.get("selected"), view_id=body.get("view_id"),
                        block_id=body.get("block_id"))
        return {"ok": True, "status": r.status_code}
    if kind == "submit":
        try:
            r = slack.submit_view(user, _str(body, "view_id"), body.get("values") or {})
        except ViewValidationError as e:  # Slack's client refuses to send it
            return {"ok": False, "field_errors": e.errors, "error": "Some fields need your attention."}
        return {"ok": True, "status": r.status_code}
    if kind == "close":
        slack.close_view(user, _str(body, "view_id"))
        return {"ok": True}
    if kind == "react":
        channel, ts, name = _str(body, "channel"), _str(body, "ts"), _str(body, "name").strip(":")
        if user in slack.reactions(channel, ts).get(name, []):
            slack.unreact(user, channel, ts, name)
            return {"ok": True, "removed": name}
        slack.react(user, channel, ts, name)
        return {"ok": True, "added": name}
    if kind == "open_home":
        if cast.persona(user).external:
            return {"ok": False, "error": "This app is not installed in your organisation."}
        slack.open_home(user)
        return {"ok": True}
    raise BadRequest(f"unknown action {kind!r}")


def run_daily(stack: DemoStack, raw: Any) -> tuple[int, dict]:
    mon = stack.monitoring()
    if mon is None:
        return 409, {"ok": False, "error": features.MONITORING_MISSING}
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        return 400, {"ok": False, "error": f"not a date YYYY-MM-DD: {raw!r}"}
    try:
        lines = mon.run(day)
    except Exception as e:  # noqa: BLE001 - shown to the person who pressed the button, and logged
        log.exception("the daily job for %s failed", day)
        return 500, {"ok": False, "error": f"the daily job for {day} failed: {type(e).__name__}: {e}"}
    finally:
        stack.feed.bump()
    return 200, {"ok": True, "date": day.isoformat(), "projects": lines}


def build(stack: DemoStack) -> Starlette:
    """The page's app; it reads the stack's parts (workspace, feed, bot) when requests come."""

    async def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def state(request: Request) -> Response:
        try:
            user = _persona(request.query_params.get("user", cast.SPECIALIST.user_id)).user_id
            since = int(request.query_params.get("since", "0"))
        except (BadRequest, ValueError) as e:
            return JSONResponse({"ok": False, "error": str(e)}, status_code=400)
        version = await stack.feed.wait(since)
        if stack.feed.closed or stack.runtime is None:
            return JSONResponse({"ok": False, "error": "the demo is stopping"}, status_code=503)

        def build_state() -> dict:
            return snapshot.state(stack.slack, user, version=version, features=features.summary(stack.deps),
                                  daily=stack.daily_info())

        return JSONResponse(await run_in_threadpool(build_state), headers={"Cache-Control": "no-store"})

    async def act(request: Request) -> Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise BadRequest("expected a JSON object")
            answer = await run_in_threadpool(perform, stack, body)
        except (BadRequest, ValueError) as e:
            return JSONResponse({"ok": False, "error": str(e)}, status_code=400)
        except LocalSlackError as e:  # something Slack's client would not let a person do
            return JSONResponse({"ok": False, "error": str(e)}, status_code=409)
        except httpx.HTTPError as e:  # recorded by LocalSlack as a failed delivery too
            log.warning("delivery to the bot failed: %s", e)
            return JSONResponse({"ok": False, "error": f"the bot did not answer: {e}"}, status_code=502)
        return JSONResponse(answer)

    async def daily(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        status, answer = await run_in_threadpool(run_daily, stack, (body or {}).get("date"))
        return JSONResponse(answer, status_code=status)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True, "version": stack.feed.version})

    return Starlette(routes=[
        Route("/", index, methods=["GET"]),
        Route("/api/state", state, methods=["GET"]),
        Route("/api/act", act, methods=["POST"]),
        Route("/api/daily", daily, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ])
