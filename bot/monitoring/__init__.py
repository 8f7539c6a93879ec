"""Payments monitoring: fetch a day, summarise it, judge it, post it.

- pipeline: Monitor, the one code path of the tick, run-daily, backtest and
            `/addon summary`: claim due days, judge them, record and post.
- judge:    fetch and judge one project's days (pure of the database; runs in
            worker processes for big batches).
- rules:    plain rules: which days are due, summary facts, alert states.
- alerts:   AlertDesk: what a manager does with an alert (buttons, reactions).
- posts:    what goes to the outbox for a day (summary, alerts, notes).
- wiring:   builds the part for a running bot.
- cli:      `addon-bot run-daily` and `addon-bot backtest`.

Its SQL is in storage.monitoring; its Block Kit in bot.views.monitoring.
"""
