"""Nudges: reminders with snooze (rules: pure; desk: the tick and the buttons' use cases; wiring)."""
