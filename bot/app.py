"""Builds the Bolt app: one per process, made by a function, no globals.

Middleware resolves, once per request, who is acting (an Actor: internal or
external, admin or not) and which project the request is about; handlers read
`context["actor"]` and `context["project_id"]` and never re-derive them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.service import Service
from bot.workflow import Actor, is_external
from storage import repo

log = logging.getLogger("addon_bot")


class Directory:
    """Who users are (team, enterprise), from users.info, cached; and who we are."""

    def __init__(self, client: WebClient, ttl: float = 600.0):
        self.client = client
        self.ttl = ttl
        self._users: dict[str, tuple[float, Optional[str], Optional[str]]] = {}
        self._lock = threading.Lock()
        self._home: Optional[tuple[str, Optional[str], str]] = None

    def home(self) -> tuple[str, Optional[str], str]:
        """(installing team id, enterprise id or None, bot user id), from auth.test once."""
        if self._home is None:
            r = self.client.auth_test()
            self._home = (r["team_id"], r.get("enterprise_id"), r["user_id"])
        return self._home

    def user_org(self, user_id: str, hint_team: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(user_id)
        if hit and now - hit[0] < self.ttl:
            return hit[1], hit[2]
        try:
            u = self.client.users_info(user=user_id)["user"]
            team = u.get("team_id") or hint_team
            ent = (u.get("enterprise_user") or {}).get("enterprise_id")
        except SlackApiError as e:
            log.warning("users.info failed for %s: %s", user_id, e.response.get("error"))
            team, ent = hint_team, None
            if hint_team is None:
                return None, None  # unknown: treated as external, not cached
        with self._lock:
            self._users[user_id] = (now, team, ent)
        return team, ent


@dataclass
class Deps:
    settings: Settings
    service: Service
    session_factory: Callable
    client: WebClient
    directory: Directory
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    # Filled by the monitoring and Client Services parts when present.
    extras: dict[str, Any] = field(default_factory=dict)


def _user_of(body: dict) -> tuple[Optional[str], Optional[str]]:
    """(user id, team id the payload gives for that user, if any)."""
    if "user_id" in body:  # slash command
        return body["user_id"], None
    u = body.get("user")
    if isinstance(u, dict):
        return u.get("id"), u.get("team_id")
    ev = body.get("event") or {}
    if ev.get("type") in ("reaction_added", "reaction_removed", "app_mention", "app_home_opened", "message"):
        return ev.get("user"), ev.get("user_team")
    return None, None


def _project_hint(body: dict) -> tuple[Optional[int], Optional[str]]:
    """(project id from a button value or modal metadata, channel id)."""
    from bot.views import parse_value

    pid = None
    for a in body.get("actions") or []:
        raw = a.get("value") or (a.get("selected_option") or {}).get("value")
        v = parse_value(raw)
        if isinstance(v.get("p"), int):
            pid = v["p"]
            break
    if pid is None:
        meta = parse_value((body.get("view") or {}).get("private_metadata"))
        if isinstance(meta.get("p"), int):
            pid = meta["p"]
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or (body.get("event") or {}).get("channel")
        or ((body.get("event") or {}).get("item") or {}).get("channel")
    )
    return pid, channel


def build_app(deps: Deps, *, token_verification: bool = True) -> App:
    s = deps.settings
    app = App(
        signing_secret=s.SLACK_SIGNING_SECRET or "socket-mode-unused",
        client=deps.client,
        token_verification_enabled=token_verification,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    def resolve_context(body: dict, context: BoltContext, next: Callable):  # noqa: A002
        user_id, hint_team = _user_of(body)
        if user_id:
            home_team, home_ent, _ = deps.directory.home()
            team, ent = deps.directory.user_org(user_id, hint_team)
            context["actor"] = Actor(
                user_id=user_id,
                team_id=team,
                external=is_external(team, ent, home_team, home_ent),
                admin=user_id in s.admin_users,
            )
        pid, channel = _project_hint(body)
        if pid is None and channel:
            p = deps.service.project_in_channel(channel)
            pid = p.id if p else None
        context["project_id"] = pid
        context["channel_id"] = channel
        next()

    @app.error
    def on_error(error: Exception, body: dict, logger: logging.Logger):
        # Listener errors are answered by bot.handlers.common.guard; what reaches
        # here escaped it, so log it with the request's context.
        logger.error("unhandled error for %s: %r", body.get("type") or body.get("command"), error,
                     exc_info=error)

    from bot.handlers import register_listeners

    register_listeners(app, deps)
    return app


def make_deps(settings: Settings, engine=None) -> Deps:
    from storage.db import SessionFactory, make_engine

    engine = engine or make_engine(settings.DATABASE_URL)
    sf = SessionFactory(engine)
    client = WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=10)
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    client.retry_handlers.extend([ConnectionErrorRetryHandler(max_retry_count=2),
                                  RateLimitErrorRetryHandler(max_retry_count=3)])
    return Deps(
        settings=settings,
        service=Service(sf, default_tz=settings.DEFAULT_TIMEZONE),
        session_factory=sf,
        client=client,
        directory=Directory(client),
    )


def healthz(deps: Deps) -> tuple[int, dict]:
    from sqlalchemy import text

    try:
        with deps.session_factory() as s:
            s.execute(text("SELECT 1"))
        return 200, {"ok": True, "database": "ok"}
    except Exception as e:  # noqa: BLE001 - a health check reports, never raises
        return 503, {"ok": False, "database": str(e)[:200]}


__all__ = ["Deps", "Directory", "build_app", "make_deps", "healthz", "repo"]
