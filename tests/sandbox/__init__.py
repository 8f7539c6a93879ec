"""Tests of the local Slack workspace and of the demo itself."""
