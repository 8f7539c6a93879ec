"""Helpers of the monitoring tests: the loopback payments simulator's biller
profile and clock, the bot wired to it, and a controlled clock for the
scheduler's tick. The `sim` and `mbot` fixtures are in tests/slack/conftest.py."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from bot.payments import BillerProfile, PaymentsClient
from storage import repo
from tests.support.harness import MGR, NEW_CMD, PROJ, SPEC, BotHarness

MGRS = "C0MGRS"  # MANAGERS_CHANNEL
BILLER = "CITY-42"
TZ = "America/Chicago"
GOLIVE = date(2026, 11, 2)  # NEW_CMD's go-live


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


class SimClock:
    """The simulator's "now": payments after it do not exist yet, reversals
    whose updated_at is after it still show as approved."""

    def __init__(self):
        self.now: Optional[datetime] = None

    def __call__(self) -> datetime:
        return self.now or datetime.now(timezone.utc)


def profile(**overrides) -> BillerProfile:
    kw = dict(per_day=450, golive=GOLIVE, tz=TZ, addon_channel="ivr")  # ~40 IVR payments a day
    kw.update(overrides)
    return BillerProfile(**kw)


def fast_client(url: str) -> PaymentsClient:
    """No waiting between retries: an outage is reported at once."""
    return PaymentsClient(url, sleep=lambda _s: None, max_attempts=2)


def start_bot(db_url, slack, sim, **env) -> BotHarness:
    env.setdefault("PAYMENTS_API_URL", sim.base_url)
    env.setdefault("MANAGERS_CHANNEL", MGRS)
    if slack.ws.find_channel(MGRS) is None:
        slack.add_channel(MGRS, "delivery-managers", members=[MGR])
    h = BotHarness(db_url, slack, **env).start()
    h.deps.monitor.source = fast_client(sim.base_url)
    return h


def tick(bot, when: datetime) -> None:
    """One scheduler tick at `when` (the handlers see the same clock)."""
    bot.deps.clock = lambda: when
    bot.deps.monitor.tick(when)


def register(slack, cmd: str = NEW_CMD, channel: str = PROJ) -> None:
    slack.command(SPEC, channel, cmd)
    slack.wait_for(lambda: any("Post-live checklist" in (m.get("text") or "") for m in slack.messages(channel)))


def project(bot, channel: str = PROJ):
    with bot.deps.session_factory() as s:
        return repo.project_in_channel(s, channel)


def text_of(msg) -> str:
    out = [msg.get("text") or ""]
    for b in msg.get("blocks") or []:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for e in b.get("elements") or []:
            if isinstance(e.get("text"), str):
                out.append(e["text"])
    return "\n".join(out)


def summaries(slack, channel: str = PROJ) -> list[dict]:
    return [m for m in slack.messages(channel) if (m.get("text") or "").startswith("Payments summary")]


def summary_of(slack, d: date, channel: str = PROJ) -> list[dict]:
    return [m for m in summaries(slack, channel) if f", {d.isoformat()} (day" in m["text"]]


def dms(slack, user: str = MGR) -> list[dict]:
    return slack.messages(slack.dm_channel(user))


def alerts_in(msgs, check: str) -> list[dict]:
    return [m for m in msgs if any(f"check: {check} ·" in t for t in _contexts(m))]


def _contexts(msg) -> list[str]:
    return [e.get("text", "") for b in msg.get("blocks") or [] if b.get("type") == "context"
            for e in b.get("elements") or []]


def contexts(msg) -> list[str]:
    return _contexts(msg)


def no_refusals(slack) -> None:
    assert slack.errors == [], slack.errors
    assert slack.warnings == [], slack.warnings


def catch_ups(slack, channel: str = PROJ) -> list[dict]:
    """Catch-up messages: more than three missed days at once, a line (block `day_YYYY-MM-DD`) per day."""
    return [m for m in slack.messages(channel) if (m.get("text") or "").startswith("Payments catch-up")]


def catch_up_days(msg) -> list[str]:
    return [b["block_id"][4:] for b in msg.get("blocks") or []
            if b.get("type") == "section" and str(b.get("block_id", "")).startswith("day_")]


def shown_days(slack, channel: str = PROJ) -> list[str]:
    """Every local date shown in the channel, once per message that shows it: a day's own
    summary, or its line in a catch-up (in the order the messages were posted)."""
    out = []
    for m in slack.messages(channel):
        text = m.get("text") or ""
        if text.startswith("Payments summary"):
            out.append(text.split(", ")[1][:10])
        elif text.startswith("Payments catch-up"):
            out.extend(catch_up_days(m))
    return out
