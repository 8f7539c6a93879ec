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


def cmd_demo(settings: Settings, args) -> int:
    """`addon-bot demo`: everything on embedded defaults, with a local workspace in the browser."""
    from bot.demo import cmd_demo as demo

    return demo(settings, args)


def cmd_run_daily(settings: Settings, args) -> int:
    """`addon-bot run-daily [--date D] [--project P]`: one pass of the daily summaries, then exit."""
    from bot.monitoring_cli import run_daily

    return run_daily(settings, args)


def cmd_backtest(settings: Settings, args) -> int:
    """`addon-bot backtest --project P --from D --to D [--json]`: replays the checks; posts nothing."""
    from bot.monitoring_cli import backtest

    return backtest(settings, args)


def _parts() -> list:
    """The parts that wire themselves into the core: monitoring, Client Services."""
    from bot.cs_wiring import attach as attach_cs
    from bot.monitoring_wiring import attach as attach_monitoring

    return [attach_monitoring, attach_cs]


