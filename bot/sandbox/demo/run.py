"""`addon-bot demo`: the bot, SQLite, the local Slack workspace and its page,
on embedded defaults, with no Slack account.

    page (Starlette, --port) ──driver: signed HTTP──▶ bot (/slack/events, free port)
          │                                                  │
          └──── LocalSlack state ◀── Slack Web API (free port) ◀──┘

The bot runs unmodified over HTTP: SLACK_API_URL points at LocalSlack's Web
API and both share a signing secret made for this run, so every request takes
the production code paths. The data folder is made afresh on every start.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

from bot.sandbox.demo import cast, features, page
from bot.sandbox.demo import seed as seeding
from bot.sandbox.demo.feed import ChangeFeed
from bot.payments.simulator import Simulator
from bot.notify import SIMULATED_NOTE
from bot.runtime import Runtime
from bot.server import ThreadedServer
from bot.settings import Settings

log = logging.getLogger("addon_bot.demo")

DATA_DIR = Path("addon-bot-demo")
MARKER = ".addon-bot-demo"  # only a folder holding this file is ever deleted
HOST = "127.0.0.1"


class DataDirError(Exception):
    pass


def fresh_data_dir(path: Path) -> Path:
    """Empty ``path`` (made by an earlier demo) or create it; refuse a folder the demo did not make."""
    path = path.resolve()
    if path.exists():
        if not path.is_dir() or (any(path.iterdir()) and not (path / MARKER).exists()):
            raise DataDirError(f"{path} exists and was not made by addon-bot demo; move it away or "
                               "run the demo from another folder")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("Made by `addon-bot demo`; emptied on every start.\n")
    return path


class DemoStack:
    """Everything the demo runs, started and stopped together (tests use it too)."""

    def __init__(self, settings: Settings, data_dir: Path = DATA_DIR, *, port: int = 0, host: str = HOST,
                 scheduler: bool = True, seed: bool = True) -> None:
        self.base_settings = settings
        self.data_dir = Path(data_dir)
        self.port, self.host = port, host
        self.scheduler, self.seed = scheduler, seed
        self.slack: Any = None
        self.simulator: Any = None
        self.runtime: Any = None
        self.feed: Optional[ChangeFeed] = None
        self.bot_server: Optional[ThreadedServer] = None
        self.page_server: Optional[ThreadedServer] = None
        self.seed_report: list[str] = []
        self.ready_seconds: Optional[float] = None

    @property
    def deps(self):
        return self.runtime.deps

    @property
    def url(self) -> str:
        assert self.page_server is not None
        return f"http://{self.host}:{self.page_server.port}/"

    def settings(self, api_url: str, secret: str, token: str, payments_url: str) -> Settings:
        """Embedded defaults: whatever the environment says about Slack, the database or the
        payments and Client Services endpoints does not apply to the demo. Payments come
        from the simulated Biller Portal the demo runs (so it can script the anomalies)."""
        return self.base_settings.model_copy(update=dict(
            SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=secret, SLACK_APP_TOKEN=None, SLACK_API_URL=api_url,
            DATABASE_URL=f"sqlite:///{self.data_dir.resolve() / 'addon-bot.db'}",
            PAYMENTS_API_URL=payments_url, PAYMENTS_API_TOKEN=None, CS_CASES_URL=None, CS_CASES_TOKEN=None,
            CS_CHANNEL=cast.CLIENT_SERVICES.id, MANAGERS_CHANNEL=None, CS_HANDOFF_FILE=None, ADMIN_USERS="",
            # The simulated schedule (bot.schedule.simulator), seeded with the demo projects' sheets.
            SCHEDULE_API_URL="simulated", SCHEDULE_API_TOKEN=None,
        ))

    def start(self) -> "DemoStack":
        started = time.perf_counter()
        # Bind the page's port first: a port in use stops the demo before anything else starts.
        self.page_server = ThreadedServer(page.build(self), host=self.host, port=self.port)
        try:
            fresh_data_dir(self.data_dir)
            secret, token = secrets.token_hex(16), "xoxb-demo-" + secrets.token_hex(8)
            self.slack = cast.build_workspace(secret, token)
            api_url = self.slack.start()
            self.simulator = Simulator(seed=0)
            payments_url = self.simulator.start(self.host)
            self.runtime = Runtime.start(self.settings(api_url, secret, token, payments_url),
                                         scheduler=self.scheduler)
            self.runtime.deps.client.pacer.set_scale(cast.RATE_SCALE)  # as relaxed as the workspace
            if self.runtime.deps.notifier is not None:  # the demo's numbers are generated: its messages say so
                self.runtime.deps.notifier.data_note = SIMULATED_NOTE
            self.bot_server = ThreadedServer(self.runtime.asgi(), host=self.host).start()
            self.slack.bot_url = f"{self.bot_server.url}/slack/events"
            for p in cast.PERSONAS:
                if not p.external:
                    self.slack.dm_channel(p.user_id)  # the app's Messages tab
            self.feed = ChangeFeed(self.slack.ws)
            self.page_server.start()
            if self.seed:
                self.seed_report = seeding.seed(self.slack, self.deps, self.monitoring())
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.perf_counter() - started
        return self

    def monitoring(self) -> Optional[features.Monitoring]:
        return features.monitoring(self.deps, self.simulator)

    def daily_info(self) -> dict:
        tz = ZoneInfo(self.base_settings.DEFAULT_TIMEZONE)
        yesterday = datetime.now(tz).date() - timedelta(days=1)
        available = self.monitoring() is not None
        return {"default_date": yesterday.isoformat(), "available": available,
                "note": None if available else features.MONITORING_MISSING}

    def stop(self) -> None:
        """Stop everything (the servers side by side: each takes a moment to wind down)."""
        if self.feed is not None:
            self.feed.close()  # answers the page's pending long polls, so its server stops at once
        threads = [threading.Thread(target=self._quietly, args=(step,), name=f"demo-stop-{i}")
                   for i, step in enumerate((self._stop_page, self._stop_bot, self._stop_slack))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    @staticmethod
    def _quietly(step) -> None:
        try:
            step()
        except Exception:  # noqa: BLE001 - shutting down: log and go on
            log.exception("error while stopping the demo")

    def _stop_page(self) -> None:
        if self.page_server is not None:
            self.page_server.stop()  # also frees a port bound but never served
            self.page_server = None

    def _stop_bot(self) -> None:
        if self.bot_server is not None:
            self.bot_server.stop()
            self.bot_server = None
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime.deps.session_factory.engine.dispose()
            self.runtime = None

    def _stop_slack(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.slack is not None:
            self.slack.stop()


def process_age() -> Optional[float]:
    """Seconds since this process started (Linux), so "ready in" counts the imports too."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def banner(stack: DemoStack, seconds: float) -> str:
    lines = [
        "",
        f"addon-bot demo: a local Slack workspace with the real bot, at {stack.url}",
        f"  data (fresh on every start): {stack.data_dir.resolve()}",
        "  people (switch in the page): " + ", ".join(f"{p.real_name} ({p.role})" for p in cast.PERSONAS),
    ]
    lines += [f"  - {line}" for line in stack.seed_report]
    lines += [f"  note: {n}" for n in features.summary(stack.deps)["notes"]]
    lines += [f"ready in {seconds:.1f}s. Open {stack.url} in a browser; Ctrl-C stops the demo.", ""]
    return "\n".join(lines)


def cmd_demo(settings: Settings, args) -> int:
    entered = time.perf_counter()
    for chatty in ("httpx", "apscheduler"):  # a line per request or tick drowns the bot's own log
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger(chatty).level))
    stack = DemoStack(settings, DATA_DIR, port=int(getattr(args, "port", 8080) or 0))
    try:
        stack.start()
    except OSError as e:
        print(f"addon-bot demo: cannot listen on {HOST}:{stack.port} ({e.strerror or e}); "
              "choose another port with --port N", file=sys.stderr)
        return 2
    except DataDirError as e:
        print(f"addon-bot demo: {e}", file=sys.stderr)
        return 2
    age = process_age()
    seconds = age if age is not None else time.perf_counter() - entered
    print(banner(stack, seconds), flush=True)

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("addon-bot demo: stopping…", flush=True)
        stack.stop()
    return 0
