"""Builds the Bolt app: one per process, made by a function, no globals.

The middleware (bot.middleware) resolves who is acting and which project the
request is about, once; the listeners (bot.handlers) read it from the context.
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot import middleware
from bot.deps import Deps
from bot.handlers import register_listeners
from storage.db import migrations_problem, ping

log = logging.getLogger("addon_bot")


def build_app(deps: Deps, *, token_verification: bool = True) -> App:
    s = deps.settings
    app = App(
        signing_secret=s.SLACK_SIGNING_SECRET or "socket-mode-unused",
        client=deps.client,
        token_verification_enabled=token_verification,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    middleware.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict, logger: logging.Logger):
        # Listener errors are answered by bot.handlers.common.guard; what reaches
        # here escaped it, so log it with the request's context.
        logger.error("unhandled error for %s: %r", body.get("type") or body.get("command"), error,
                     exc_info=error)

    register_listeners(app, deps)
    return app


def healthz(deps: Deps) -> tuple[int, dict]:
    """Readiness: the database answers and its migrations are the code's."""
    problem = ping(deps.session_factory)
    if problem is not None:
        return 503, {"ok": False, "database": problem[:200]}
    behind = migrations_problem(deps.session_factory.engine)
    if behind is not None:
        return 503, {"ok": False, "database": "ok", "migrations": behind}
    return 200, {"ok": True, "database": "ok"}
