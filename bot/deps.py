"""What every listener and part is handed: settings, the database, the Web API
client, the directory of users, the clock, and the parts wired into the bot.

Typed fields, no string-keyed locator: the parts (monitoring, Client
Services) fill theirs when bot.runtime wires them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Optional

from bot.channels import ChannelFacts
from bot.directory import Directory
from bot.gateway import Gateway, ReadRetry, rate_limit_retry
from bot.pacing import Pacer
from bot.scheduler import TickJob
from bot.service import Service
from bot.settings import Settings
from storage.db import SessionFactory, make_engine

if TYPE_CHECKING:  # types only: the parts import this module, not the other way round
    from bot.cs.cases import CaseDesk
    from bot.cs.handoff import HandoffDesk
    from bot.monitoring.alerts import AlertDesk
    from bot.monitoring.digest import DigestDesk
    from bot.monitoring.pipeline import Monitor
    from bot.notify import Notifier
    from bot.nudges.desk import NudgeDesk
    from bot.schedule.simulator import ScheduleSimulator
    from bot.schedule.source import ScheduleSource


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Deps:
    settings: Settings
    service: Service
    session_factory: SessionFactory
    client: Gateway
    directory: Directory
    clock: Callable[[], datetime] = utc_now
    # monitoring (bot.monitoring.wiring)
    monitor: Optional["Monitor"] = None
    notifier: Optional["Notifier"] = None
    alerts: Optional["AlertDesk"] = None
    digest: Optional["DigestDesk"] = None
    # reminders with snooze (bot.nudges.wiring)
    nudges: Optional["NudgeDesk"] = None
    # Client Services (bot.cs.wiring)
    cases: Optional["CaseDesk"] = None
    handoffs: Optional["HandoffDesk"] = None
    # the project schedule (bot.schedule.wiring); None: no schedule source, `complete` asks to confirm
    schedule: Optional["ScheduleSource"] = None
    schedule_simulator: Optional["ScheduleSimulator"] = None  # SCHEDULE_API_URL=simulated
    # what the scheduler's tick runs, every minute
    ticks: list[TickJob] = field(default_factory=list)


def make_deps(settings: Settings, engine=None) -> Deps:
    engine = engine or make_engine(settings.DATABASE_URL)
    sf = SessionFactory(engine)
    # One pacer for the process: every copy of the client spends the same budget per method.
    client = Gateway(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=10, pacer=Pacer())
    # Connection errors are retried for reads only (ReadRetry): a post whose answer was lost may be
    # in the channel already; posts that must survive that go through the outbox (bot.notify).
    client.retry_handlers = [ReadRetry(max_retry_count=2), rate_limit_retry(client, 3)]
    deps = Deps(
        settings=settings,
        service=Service(sf, default_tz=settings.DEFAULT_TIMEZONE),
        session_factory=sf,
        client=client,
        # users.info runs before the ack: it never waits out a 429 (bot.directory says what then).
        directory=Directory(client.copy_for(retry_handlers=[ReadRetry(max_retry_count=1)])),
    )
    # Whether channels are shared (Slack Connect), kept in the database; every copy of the client shares it.
    client.channel_facts = ChannelFacts(sf, lambda: deps.clock())
    return deps
