"""The sandbox: a local Slack workspace (`localslack`) and `addon-bot demo`.

Tests and the demo use it; no product module imports it (tests/unit/test_layout.py
checks). `bot.cli` dispatches `addon-bot demo` here.
"""
