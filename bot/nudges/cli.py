"""`addon-bot nudge` (bot.cli calls this): the reminders due now, as the scheduler's
tick would send them (each project's working hours on its business days); safe to
run twice: a reminder already queued this period is not queued again."""

from __future__ import annotations

import sys

from bot.runtime import Runtime
from bot.settings import SettingsError, require


def nudge(settings, args) -> int:
    try:
        require(settings, "SLACK_BOT_TOKEN", why="to send the reminders (the bot token, xoxb-…)")
    except SettingsError as e:
        print(f"addon-bot nudge: {e}", file=sys.stderr)
        return 2
    rt = Runtime.start(settings, scheduler=False, token_verification=False)
    try:
        now = rt.deps.clock()
        keys = rt.deps.nudges.tick(now)
        for key in keys:
            kind, project, period, user = key.split(":")[1:5]
            print(f"reminder ({kind}) about project {project} to {user}, period {period}")
        sent = rt.deps.notifier.drain(now, keys=keys) if keys else None
        print(f"nudge: {len(keys):,} new reminder(s)"
              + (f"; {sent.failed:,} failed and queued for retry" if sent and sent.failed else ""))
        return 1 if sent and sent.failed else 0
    finally:
        rt.stop()
