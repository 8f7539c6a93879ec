"""Channel events that keep the channel facts true (bot.channels): `channel_shared`,
`channel_unshared`, `member_joined_channel`; and the facts' periodic re-check.

The facts are applied in a middleware, before Bolt acknowledges the event (Bolt
acknowledges events before it runs their listeners), so that the next post,
from any instance, already sees a channel that became shared. The listeners
themselves have nothing left to do.
"""

from __future__ import annotations

import logging
from typing import Callable

from bot.gateway import rate_limit_retry

log = logging.getLogger("addon_bot.channels")

KINDS = ("channel_shared", "channel_unshared", "member_joined_channel")


def register(app, deps) -> None:
    facts = deps.client.channel_facts

    @app.middleware
    def channel_facts_first(body: dict, next: Callable):  # noqa: A002
        ev = body.get("event") if body.get("type") == "event_callback" else None
        if facts is not None and isinstance(ev, dict) and ev.get("type") in KINDS:
            try:
                home_team, _, bot_user = deps.directory.home()
            except Exception as e:  # noqa: BLE001 - without our own ids the join rule treats every join as unknown
                log.warning("auth.test failed: %s", e)
                home_team, bot_user = None, None
            try:
                facts.on_event(ev, home_team, bot_user)
            except Exception:  # noqa: BLE001 - the fact stays as it was; the re-check corrects it
                log.exception("channel event %s for %s not applied", ev.get("type"), ev.get("channel"))
        return next()

    for kind in KINDS:
        app.event(kind)(_applied)

    if facts is not None:
        background = deps.client.copy_for(retry_handlers=[rate_limit_retry(deps.client, 1)], background=True)
        deps.ticks.append(lambda now: facts.recheck(background, now))


def _applied(event) -> None:
    """Applied by channel_facts_first before the acknowledgement."""
    return None
