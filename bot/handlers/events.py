"""Events nobody answers: plain messages in channels the bot is in. Mentions
are bot.handlers.mentions', reactions bot.handlers.alerts'."""

from __future__ import annotations


def register(app, deps) -> None:
    @app.event("message")
    def message(event):
        return None
