"""Tests that need the database only (SQLite, and PostgreSQL when reachable)."""
