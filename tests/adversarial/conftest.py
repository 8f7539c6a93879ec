"""The adversarial suite reuses the Slack-driven fixtures (the local workspace, the bot on it)."""

from tests.slack.conftest import bot, mbot, sim, slack  # noqa: F401 - fixtures
