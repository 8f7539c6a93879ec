"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable).

Fixtures used by one folder only live in that folder's conftest.py (the local
Slack workspace and the bot: tests/slack/conftest.py); plain helpers in tests/support/.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text

from storage.db import SessionFactory, make_engine, upgrade

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_reason() -> str | None:
    """Asked by pg_url (once a session), not at import: tests/unit never connects."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=2):
            return None
    except Exception as e:  # noqa: BLE001 - any failure means: skip with the reason
        return f"no PostgreSQL server reachable at {PG_ADMIN_URL} ({type(e).__name__}: {str(e).strip()[:120]})"


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    reason = _pg_reason()
    if reason:
        if os.environ.get("CI") and os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"addon_bot_test_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TABLES = "channel_fact, nudge_hold, seen_request, slack_event, typed_text, audit, post, alert, daily_summary, handoff, cs_case, item, step_state, project"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A migrated, empty database: a new SQLite file, or the session's PostgreSQL emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/addon.db"
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url
        return
    url = request.getfixturevalue("pg_url")
    eng = make_engine(url)
    with eng.begin() as c:
        # The TRUNCATE triggers refuse this while a project is locked (and always on the audit
        # trail); the tests' owner empties the database with triggers off, as a restore would.
        c.execute(text("SET LOCAL session_replication_role = replica"))
        c.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    eng.dispose()
    yield url


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine):
    return SessionFactory(engine)


# ---- the Slack-driven fixtures (tests/slack, tests/adversarial) ----------------------------------
# Their helpers are imported in the fixtures: tests/unit collects without loading the bot.
@pytest.fixture
def slack():
    """The local Slack workspace, with the cast of tests/support/harness.py."""
    from tests.support.harness import make_workspace

    ws = make_workspace()
    ws.start()
    yield ws
    ws.stop()


@pytest.fixture
def bot(db_url, slack):
    """The bot, unmodified, over HTTP on loopback, against the local workspace."""
    from tests.support.harness import BotHarness

    h = BotHarness(db_url, slack).start()
    yield h
    h.stop()


@pytest.fixture
def sim():
    """A loopback payments simulator with the CITY-42 biller of the monitoring tests."""
    from bot.payments import Simulator
    from tests.support.monitoring_support import BILLER, SimClock, profile

    clock = SimClock()
    s = Simulator(seed=7, clock=clock)
    s.set_biller(BILLER, profile())
    s.start()
    s.clock_ = clock
    yield s
    s.stop()


@pytest.fixture
def mbot(db_url, slack, sim):
    """The bot wired to the simulator (and a managers channel)."""
    from tests.support.monitoring_support import start_bot

    h = start_bot(db_url, slack, sim)
    yield h
    h.stop()


@pytest.fixture
def cli_env(monkeypatch, mbot, slack, sim, db_url):
    """The environment `addon-bot run-daily` and friends read, pointing at the workspace and simulator."""
    from tests.support.harness import ADMIN, TOKEN

    for k, v in dict(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack.api_url, DATABASE_URL=db_url,
                     PAYMENTS_API_URL=sim.base_url, ADMIN_USERS=ADMIN, LOG_LEVEL="WARNING").items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("MANAGERS_CHANNEL", raising=False)
    return mbot
