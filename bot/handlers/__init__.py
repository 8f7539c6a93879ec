"""Listener modules; each has register(app, deps). Nothing registers at import.

- commands: `/addon` (the table of every subcommand and its handler)
- actions:  the checklist's buttons and menus
- modals:   the workflow's modal submissions
- alerts:   alert buttons, the dismiss modal, reactions, `/addon summary`
- cs:       Client Services: cases, the handoff, the shared-channel picker
- nudges:   a reminder's buttons (act, snooze, stop) and the modal behind "act"
- mentions: app_mention, a biller's above all
- home:     the App Home
- events:   what nobody answers
- channels: channel_shared, channel_unshared, member_joined_channel: the channel facts
"""

from __future__ import annotations

from bot.handlers import actions, alerts, channels, commands, cs, events, home, mentions, modals, nudges


def register_listeners(app, deps) -> None:
    for module in (channels, commands, actions, modals, home, events, alerts, mentions, cs, nudges):
        module.register(app, deps)
