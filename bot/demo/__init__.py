"""`addon-bot demo`: the real bot against a local Slack workspace in the browser.

- :mod:`bot.demo.run`: starts everything (:class:`DemoStack`) and ``cmd_demo``
- :mod:`bot.demo.cast`: the personas and channels
- :mod:`bot.demo.seed`: three projects seeded through the bot, as people would
- :mod:`bot.demo.page`: the page's routes; :mod:`bot.demo.snapshot` the state it shows;
  :mod:`bot.demo.compose` the message box; :mod:`bot.demo.feed` live updates
- :mod:`bot.demo.features`: which optional parts (monitoring, Client Services) this build has
- ``static/``: the page (vanilla JS, no build step, nothing from the network)
"""

from __future__ import annotations


def cmd_demo(settings, args) -> int:
    from bot.demo.run import cmd_demo as run

    return run(settings, args)
