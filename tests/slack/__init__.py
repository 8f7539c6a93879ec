"""Tests driving the bot through the local Slack workspace."""
