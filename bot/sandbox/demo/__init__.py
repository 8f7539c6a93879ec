"""`addon-bot demo`: the real bot against a local Slack workspace in the browser.

- :mod:`bot.sandbox.demo.run`: starts everything (:class:`DemoStack`) and ``cmd_demo``
- :mod:`bot.sandbox.demo.cast`: the personas and channels
- :mod:`bot.sandbox.demo.seed`: three projects seeded through the bot, as people would
- :mod:`bot.sandbox.demo.page`: the page's routes; :mod:`bot.sandbox.demo.snapshot` the state it shows;
  :mod:`bot.sandbox.demo.compose` the message box; :mod:`bot.sandbox.demo.feed` live updates
- :mod:`bot.sandbox.demo.features`: which optional parts (monitoring, Client Services) this build has
- ``static/``: the page (vanilla JS, no build step, nothing from the network)
"""

from __future__ import annotations


def cmd_demo(settings, args) -> int:
    from bot.sandbox.demo.run import cmd_demo as run  # the web stack loads when the demo starts, not on import

    return run(settings, args)
