"""The App Home tab, per role (bot.views.home)."""

from __future__ import annotations

import re

from bot.handlers.common import guard
from bot.views.home import home_view


def register(app, deps) -> None:
    @app.action(re.compile(r"^home_open_\d+$"))
    def open_link(ack):
        ack()  # a link button: Slack opens the channel; nothing to do here

    @app.event("app_home_opened")
    @guard
    def home(event, client, context):
        if event.get("tab") not in (None, "home"):
            return
        actor = context.get("actor")
        if actor is None or actor.external:
            mine, team, done = [], [], []
        else:
            mine, team, done = deps.service.home(actor.user_id)
        client.views_publish(user_id=event["user"], view=home_view(event["user"], mine, team, done, deps.clock()))
