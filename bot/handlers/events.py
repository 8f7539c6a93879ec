"""Events other parts add listeners for (mentions, reactions); ignore the rest quietly.

A part that answers an event itself names it in deps.extras["handled"]
("app_mention", "reaction_added"), or "events" for all of them; the
placeholders here are registered only for the events nobody else handles.
"""

from __future__ import annotations


def register(app, deps) -> None:
    handled = deps.extras.get("handled", ())
    if "events" in handled:
        return

    if "app_mention" not in handled:
        @app.event("app_mention")
        def mention(event, say, context):
            actor = context.get("actor")
            if actor is not None and not actor.external:
                say(text="Use `/addon help` to see what I can do.", thread_ts=event.get("ts"))

    if "reaction_added" not in handled:
        @app.event("reaction_added")
        def reaction(event):
            return None

    @app.event("message")
    def message(event):
        return None
