"""Wiring one running bot: database, app, optional scheduler, HTTP server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from slack_bolt import App

from bot.app import Deps, build_app, healthz, make_deps
from bot.settings import Settings
from storage.db import make_engine, upgrade

log = logging.getLogger("addon_bot")


@dataclass
class Runtime:
    settings: Settings
    deps: Deps
    app: App
    stoppers: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, *, scheduler: bool = True, engine=None,
              token_verification: bool = True) -> "Runtime":
        engine = engine or make_engine(settings.DATABASE_URL)
        upgrade(engine)  # serve applies migrations on start
        deps = make_deps(settings, engine)
        rt = cls(settings, deps, app=None)  # type: ignore[arg-type]
        for attach in _parts():
            attach(rt)
        rt.app = build_app(deps, token_verification=token_verification)
        if scheduler and deps.extras.get("tick"):
            from bot.scheduler import Ticker

            ticker = Ticker(deps.extras["tick"], clock=deps.clock)
            ticker.start()
            rt.stoppers.append(ticker.stop)
        return rt

    def asgi(self):
        from bot.server import asgi_app

        return asgi_app(self.app, lambda: healthz(self.deps))

    def serve_http(self, host: str, port: int) -> None:
        import uvicorn

        log.info("serving Slack events on http://%s:%d/slack/events", host, port)
        uvicorn.run(self.asgi(), host=host, port=port, log_level="info", access_log=False)

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            try:
                stop()
            except Exception:  # noqa: BLE001 - shutting down: log and go on
                log.exception("error while stopping")
        self.stoppers.clear()


def _parts() -> list:
    """Optional parts (monitoring, Client Services) that wire themselves in."""
    parts = []
    try:
        from bot.monitoring_wiring import attach as attach_monitoring

        parts.append(attach_monitoring)
    except ImportError:
        pass
    try:
        from bot.cs_wiring import attach as attach_cs

        parts.append(attach_cs)
    except ImportError:
        pass
    return parts


