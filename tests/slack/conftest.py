"""Fixtures of the Slack-driven tests: the local Slack workspace, the bot on it,
and (for the monitoring tests) a loopback payments simulator with the bot wired to it."""

from __future__ import annotations

import pytest

from bot.payments import Simulator
from tests.support.harness import BotHarness, make_workspace
from tests.support.monitoring_support import BILLER, SimClock, profile, start_bot


@pytest.fixture
def slack():
    ws = make_workspace()
    ws.start()
    yield ws
    ws.stop()


@pytest.fixture
def bot(db_url, slack):
    h = BotHarness(db_url, slack).start()
    yield h
    h.stop()


@pytest.fixture
def sim():
    clock = SimClock()
    s = Simulator(seed=7, clock=clock)
    s.set_biller(BILLER, profile())
    s.start()
    s.clock_ = clock
    yield s
    s.stop()


@pytest.fixture
def mbot(db_url, slack, sim):
    h = start_bot(db_url, slack, sim)
    yield h
    h.stop()
