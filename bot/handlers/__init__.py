"""Listener modules; each has register(app, deps). Nothing registers at import."""

from __future__ import annotations


def register_listeners(app, deps) -> None:
    from bot.handlers import actions, commands, events, home, modals

    for module in (commands, actions, modals, home, events):
        module.register(app, deps)
    for register in deps.extras.get("listeners", ()):
        register(app, deps)
