"""Events other parts add listeners for (mentions, reactions); ignore the rest quietly."""

from __future__ import annotations


def register(app, deps) -> None:
    if "events" in deps.extras.get("handled", ()):
        return

    @app.event("app_mention")
    def mention(event, say, context):
        actor = context.get("actor")
        if actor is not None and not actor.external:
            say(text="Use `/addon help` to see what I can do.", thread_ts=event.get("ts"))

    @app.event("reaction_added")
    def reaction(event):
        return None

    @app.event("message")
    def message(event):
        return None
