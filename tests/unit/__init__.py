"""Pure, fast tests: no database, no server, no local Slack workspace (`python -m pytest tests/unit`)."""
