"""The App Home tab, per role (bot.views.home)."""

from __future__ import annotations

import re

from bot import views
from bot.handlers.common import actor_of, guard
from bot.views.home import home_view
from bot.views.ids import A_HOME_REGISTER
from bot.workflow import ensure_can_register


def register(app, deps) -> None:
    @app.action(re.compile(r"^home_open_\d+$"))
    def open_link(ack):
        ack()  # a link button: Slack opens the channel; nothing to do here

    @app.action(A_HOME_REGISTER)
    @guard
    def register_from_home(ack, body, client, context):
        ack()
        actor = actor_of(context)
        ensure_can_register(actor)
        client.views_open(trigger_id=body["trigger_id"],
                          view=views.register_modal(None, {}, deps.settings.DEFAULT_TIMEZONE, actor.user_id))

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
        client.views_publish(user_id=event["user"], view=home_view(
            event["user"], mine, team, done, deps.clock(), can_register=actor is not None and not actor.external))
