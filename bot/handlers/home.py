"""The App Home tab: the user's open projects and their progress."""

from __future__ import annotations

from bot import views
from bot.handlers.common import guard


def register(app, deps) -> None:
    @app.event("app_home_opened")
    @guard
    def home(event, client, context):
        if event.get("tab") not in (None, "home"):
            return
        actor = context.get("actor")
        if actor is None or actor.external:
            rows = []
        else:
            rows = deps.service.list_projects(actor.user_id)
        client.views_publish(user_id=event["user"], view=views.home_view(rows))
