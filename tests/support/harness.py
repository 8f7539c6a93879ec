"""The bot, unmodified, over HTTP on loopback, against the local Slack workspace.

    slack = LocalSlack(...); slack.start()
    bot = BotHarness(db_url, slack).start()
    slack.command(SPEC, PROJ, "status")      # signed exactly as Slack signs
    slack.wait_for(lambda: ...)
"""

from __future__ import annotations

import os
from typing import Optional

from bot.runtime import Runtime
from bot.server import ThreadedServer
from bot.settings import load_settings

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"

# The cast of every Slack-facing test.
SPEC, MGR, COLL, ADMIN, BILLER = "U0SPEC", "U0MGR", "U0COLL", "U0ADMIN", "U0BILLER"
PROJ, SHARED, CS, OTHER = "C0PROJ", "C0SHARED", "C0CS", "C0OTHER"
INTERNAL_TEAM, EXTERNAL_TEAM = "T0INTERNAL", "T0EXTERNAL"

NEW_CMD = ("new biller=CITY-42 addon=\"Pay by phone\" golive=2026-11-02 projected=40 "
           f"manager=<@{MGR}|maria> channel=ivr shared=<#{SHARED}|city-42-ext> "
           f"specialist=<@{SPEC}|sam> tz=America/Chicago")


def make_workspace():
    from bot.sandbox.localslack import LocalSlack

    ws = LocalSlack(signing_secret=SECRET, bot_token=TOKEN)
    ws.add_user(SPEC, "sam", team_id=INTERNAL_TEAM)
    ws.add_user(MGR, "maria", team_id=INTERNAL_TEAM)
    ws.add_user(COLL, "colin", team_id=INTERNAL_TEAM)
    ws.add_user(ADMIN, "ada", team_id=INTERNAL_TEAM)
    ws.add_user(BILLER, "bill", team_id=EXTERNAL_TEAM)
    ws.add_channel(PROJ, "city-42-addon", members=[SPEC, MGR, COLL, ADMIN])
    ws.add_channel(SHARED, "city-42-ext", ext_shared=True, members=[SPEC, MGR, BILLER])
    ws.add_channel(CS, "client-services", members=[SPEC, MGR])
    ws.add_channel(OTHER, "random", members=[SPEC, MGR, COLL])
    return ws


class BotHarness:
    def __init__(self, db_url: str, slack, **settings):
        self.db_url = db_url
        self.slack = slack
        self.settings_overrides = settings
        self.runtime: Optional[Runtime] = None
        self.server: Optional[ThreadedServer] = None

    def start(self, scheduler: bool = False) -> "BotHarness":
        self.runtime = Runtime.start(self._settings(), scheduler=scheduler)
        self.server = ThreadedServer(self.runtime.asgi()).start()
        self.slack.bot_url = f"{self.server.url}/slack/events"
        return self

    def _settings(self):
        api_url = self.slack.api_url
        env = dict(
            SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
            DATABASE_URL=self.db_url, ADMIN_USERS=ADMIN, CS_CHANNEL=CS,
        )
        env.update(self.settings_overrides)
        old = {k: os.environ.get(k) for k in env}
        try:
            os.environ.update({k: str(v) for k, v in env.items() if v is not None})
            settings = load_settings(_env_file=None)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return settings

    @property
    def deps(self):
        return self.runtime.deps

    def stop(self) -> None:
        if self.server:
            self.server.stop()
        if self.runtime:
            self.runtime.stop()
            self.runtime.deps.session_factory.engine.dispose()


class SocketBotHarness(BotHarness):
    """The bot, unmodified, over Socket Mode: its SocketModeHandler opens the link with
    apps.connections.open on the workspace (SLACK_API_URL) and the app-level token, and the
    workspace delivers every command, click and event over that WebSocket."""

    link = None

    def start(self, scheduler: bool = False) -> "SocketBotHarness":
        self.settings_overrides.setdefault("SLACK_APP_TOKEN", self.slack.app_token)
        self.runtime = Runtime.start(self._settings(), scheduler=scheduler)
        self.slack.socket_mode = True
        opened = self.slack.socket.opened
        # The client checks its link every ping_interval (Bolt's default 10 s): 1 s here, so a
        # dropped link is found and reopened within a test's patience.
        self.link = self.runtime.socket_link(ping_interval=1)
        self.link.connect()
        self.slack.socket.wait_for_connections(opened=opened + 1)
        return self

    def stop(self) -> None:
        if self.link is not None:
            self.link.close()
        super().stop()
