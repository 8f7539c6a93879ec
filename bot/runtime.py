"""Wiring one running bot: database, parts, app, optional scheduler, HTTP server or Socket Mode link."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from bot.app import build_app, healthz
from bot.cs import wiring as cs_wiring
from bot.deps import Deps, make_deps
from bot.monitoring import wiring as monitoring_wiring
from bot.nudges import wiring as nudges_wiring
from bot.schedule import wiring as schedule_wiring
from bot.metrics import Metrics
from bot.scheduler import Ticker
from bot.server import ThreadedServer, asgi_app, ops_app
from bot.socket_mode import SocketLink, readiness
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
        for attach in (monitoring_wiring.attach, nudges_wiring.attach, cs_wiring.attach, schedule_wiring.attach):
            stoppers.extend(attach(deps))
        rt = cls(settings, deps, build_app(deps, token_verification=token_verification), stoppers)
        if scheduler and deps.ticks:
            ticker = Ticker(deps.ticks, clock=deps.clock)
            ticker.start()
            rt.stoppers.append(ticker.stop)
        return rt

    def metrics(self) -> Metrics:
        sessions = self.deps.session_factory
        return Metrics(gauges=lambda: edge.operator_gauges(sessions), ratelimited=self.deps.client.pacer.counts)

    def asgi(self):
        sessions = self.deps.session_factory
        return asgi_app(self.app, lambda: healthz(self.deps), signing_secret=self.settings.SLACK_SIGNING_SECRET,
                        first_sight=lambda sig: edge.first_sight(sessions, sig), metrics=self.metrics())

    def socket_link(self, metrics: Metrics | None = None, *, ping_interval: float = 10) -> SocketLink:
        """The Socket Mode link (not yet connected), opened on SLACK_API_URL with SLACK_APP_TOKEN."""
        if not self.settings.SLACK_APP_TOKEN:
            raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
        return SocketLink(self.app, self.settings.SLACK_APP_TOKEN, metrics or self.metrics(),
                          ping_interval=ping_interval)

    def ops_server(self, link: SocketLink, metrics: Metrics, host: str, port: int) -> ThreadedServer:
        """Socket Mode's /healthz and /metrics on their own port (readiness includes the link)."""
        return ThreadedServer(ops_app(readiness(lambda: healthz(self.deps), link), metrics), host, port, name="ops")

    def serve_socket(self, host: str, metrics_port: int | None) -> None:
        """Socket Mode until SIGINT or SIGTERM: the link, and /healthz, /metrics on `metrics_port`."""
        metrics = self.metrics()
        link = self.socket_link(metrics)
        stop = threading.Event()
        main = threading.current_thread() is threading.main_thread()  # signals reach the main thread only
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if main else None
        ops = None
        try:
            if metrics_port is not None:
                ops = self.ops_server(link, metrics, host, metrics_port).start()
                log.info("serving /healthz and /metrics on http://%s:%d", host, ops.port)
            link.connect()
            if link.wait_connected(5):
                log.info("Socket Mode: connected (apps.connections.open on %s)", self.settings.SLACK_API_URL)
            else:
                log.warning("Socket Mode: not connected yet; the client tries again every 10 s")
            while not stop.wait(1.0):
                pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
            link.close()
            if ops is not None:
                ops.stop()

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
