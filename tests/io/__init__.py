"""Tests doing real I/O other than Slack: loopback HTTP servers (payments simulator,
case intake) and subprocesses of the CLI."""
