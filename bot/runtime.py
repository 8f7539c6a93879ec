"""Wiring one running bot: database, parts, app, optional scheduler, HTTP server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from bot.app import build_app, healthz
from bot.cs import wiring as cs_wiring
from bot.deps import Deps, make_deps
from bot.monitoring import wiring as monitoring_wiring
from bot.schedule import wiring as schedule_wiring
from bot.metrics import Metrics
from bot.scheduler import Ticker
from bot.server import asgi_app
from bot.settings import Settings
from storage import edge
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
        stoppers: list[Any] = []
        # The parts wire themselves into deps (typed fields, their tick jobs) and say what to stop.
        for attach in (monitoring_wiring.attach, cs_wiring.attach, schedule_wiring.attach):
            stoppers.extend(attach(deps))
        rt = cls(settings, deps, build_app(deps, token_verification=token_verification), stoppers)
        if scheduler and deps.ticks:
            ticker = Ticker(deps.ticks, clock=deps.clock)
            ticker.start()
            rt.stoppers.append(ticker.stop)
        return rt

    def asgi(self):
        sessions = self.deps.session_factory
        return asgi_app(self.app, lambda: healthz(self.deps), signing_secret=self.settings.SLACK_SIGNING_SECRET,
                        first_sight=lambda sig: edge.first_sight(sessions, sig),
                        metrics=Metrics(gauges=lambda: edge.operator_gauges(sessions),
                                        ratelimited=self.deps.client.pacer.counts))

    def serve_http(self, host: str, port: int) -> None:
        import uvicorn  # only `serve --mode http` needs the ASGI server: keeps other commands' start-up light

        log.info("serving Slack events on http://%s:%d/slack/events", host, port)
        uvicorn.run(self.asgi(), host=host, port=port, log_level="info", access_log=False)

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            try:
                stop()
            except Exception:  # noqa: BLE001 - shutting down: log and go on
                log.exception("error while stopping")
        self.stoppers.clear()
