"""Seeding the demo through the bot itself, as people would: slash commands,
clicks and modal submissions delivered by LocalSlack's driver. Nothing here
writes the database.

Three projects at different points of the post-live phase, and one channel
left for the newcomer to register:

- Riverton Water, Text to pay: live since yesterday; the daily job has run
  and an anomaly waits for the manager (when this build has monitoring).
- Maple Gas, AutoPay: monitoring done, item #1 open, item #2 escalated to a
  Client Services case (when this build has Client Services).
- City 42, Pay by phone: monitoring done, its one item remedied, step 2 done;
  the handoff to the biller's shared channel is next.
- #oak-county-pay-by-text: the manager asks for it to be registered.

Each part returns one line for the start-up report; a part that needs a
feature this build lacks says so instead of faking it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from bot.sandbox.demo import cast, features
from bot.sandbox.localslack import LocalSlack

log = logging.getLogger("addon_bot.demo.seed")

WAIT = 10.0  # seconds for the bot's work after its acknowledgement
ACK = "alert_ack"  # the alert's Acknowledge button (bot.views.monitoring.A_ALERT_ACK)
SPEC, MGR = cast.SPECIALIST, cast.MANAGER


class SeedError(Exception):
    pass


@dataclass(frozen=True)
class ProjectSeed:
    channel: cast.ChannelSpec
    biller: str
    addon: str
    pay_channel: str
    projected: int
    tz: str
    live_days: int  # days since go-live
    shared: Optional[cast.ChannelSpec] = None
    sheet: Optional[int] = None  # its sheet in the simulated schedule (bot.schedule.simulator.DEMO_SHEETS)

    def golive(self) -> date:
        return self.today() - timedelta(days=self.live_days)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.tz)).date()

    def new_command(self) -> str:
        cmd = (f'new biller={self.biller} addon="{self.addon}" golive={self.golive().isoformat()} '
               f"projected={self.projected} manager=<@{MGR.user_id}|{MGR.name}> channel={self.pay_channel} "
               f"specialist=<@{SPEC.user_id}|{SPEC.name}> tz={self.tz}")
        if self.shared:
            cmd += f" shared=<#{self.shared.id}|{self.shared.name}>"
        if self.sheet:
            cmd += f" schedule={self.sheet}"
        return cmd


# Small billers: the simulated portal serves every channel's payments, which the daily job reads.
RIVERTON = ProjectSeed(cast.RIVERTON, "RIVERTON-WATER", "Text to pay", "text", 40, "America/Denver", 1,
                       sheet=4203)
MAPLE = ProjectSeed(cast.MAPLE, "MAPLE-GAS", "AutoPay", "autopay", 90, "America/New_York", 5, sheet=4202)
# City 42's sheet has two items below 100%: completing is refused until they are brought to 100%.
CITY = ProjectSeed(cast.CITY, "CITY-42", "Pay by phone", "ivr", 30, "America/Chicago", 8, shared=cast.SHARED,
                   sheet=4201)
PROJECTS = (RIVERTON, MAPLE, CITY)


class Seeder:
    """Acts as the specialist (or anyone) in the demo workspace and waits for the bot."""

    def __init__(self, slack: LocalSlack, deps: Any) -> None:
        self.slack = slack
        self.deps = deps

    def wait(self, predicate: Callable[[], Any], what: str) -> Any:
        try:
            return self.slack.wait_for(predicate, timeout=WAIT)
        except TimeoutError:
            raise SeedError(f"the bot did not {what}") from None

    def command(self, channel: str, text: str, expect: str, user: str = SPEC.user_id) -> str:
        """`/addon text` in channel; the bot's answer to ``user`` must contain ``expect``."""
        before = len(self.slack.ephemerals(channel, user))
        r = self.slack.command(user, channel, text)
        if r.status_code != 200:
            raise SeedError(f"/addon {text.split()[0]}: HTTP {r.status_code}")
        answer = self.wait(lambda: self.slack.ephemerals(channel, user)[before:], f"answer /addon {text[:30]}")
        said = answer[-1].get("text") or ""
        if expect not in said:
            raise SeedError(f"/addon {text[:40]} was answered {said[:160]!r}")
        return said

    def checklist(self, channel: str) -> dict:
        def find():
            msgs = [m for m in self.slack.messages(channel) if any(
                b.get("type") == "header" and "Post-live" in b["text"]["text"] for b in m.get("blocks") or [])]
            return msgs[-1] if msgs else None

        return self.wait(find, "post the checklist")

    def modal(self, callback_id: str, user: str = SPEC.user_id) -> dict:
        return self.wait(lambda: next((v for v in reversed(self.slack.views(user))
                                       if v["callback_id"] == callback_id), None), f"open the {callback_id} modal")

    def submit(self, view: dict, values: dict, user: str = SPEC.user_id) -> None:
        r = self.slack.submit_view(user, view["id"], values)
        if r.status_code != 200:
            raise SeedError(f"submitting {view['callback_id']}: HTTP {r.status_code}")
        self.wait(lambda: all(v["id"] != view["id"] for v in self.slack.views(user)),
                  f"close the {view['callback_id']} modal")

    def item_menu(self, channel: str, number: int, action: str) -> None:
        """Pick an entry of item #number's menu on the checklist, as a person does."""
        msg = self.checklist(channel)
        block = next((b for b in msg.get("blocks") or [] if b.get("block_id") == f"item_{number}"), None)
        menu = (block or {}).get("accessory") or {}
        option = next((o for o in menu.get("options") or []
                       if json.loads(o["value"]).get("a") == action), None)
        if option is None:
            raise SeedError(f"item #{number} has no {action!r} entry in its menu")
        self.slack.click(SPEC.user_id, channel, msg["ts"], menu["action_id"], block_id=f"item_{number}",
                         selected=option["value"])

    def register(self, p: ProjectSeed) -> None:
        self.command(p.channel.id, p.new_command(), "Registered project")
        self.checklist(p.channel.id)


# ---- monitoring: the daily job and its anomalies -------------------------------------------
def set_scenarios(mon: features.Monitoring) -> None:
    """Simulated payments that match each projection; Riverton's first day brings no add-on payments."""
    for p in PROJECTS:
        yesterday = p.today() - timedelta(days=1)
        overrides = {yesterday: {"addon_factor": 0.0}} if p is RIVERTON else {}
        mon.scenario(p.biller, projected=p.projected, addon_channel=p.pay_channel, golive=p.golive(),
                     tz=p.tz, overrides=overrides)


def _alerts_for_manager(s: Seeder) -> list[dict]:
    """The alert messages in the manager's DM with the bot that still have an Acknowledge button."""
    dm = s.slack.dm_channel(MGR.user_id)
    return [m for m in s.slack.messages(dm)
            if any(e.get("action_id") == ACK for b in m.get("blocks") or [] for e in b.get("elements") or [])]


def monitoring_history(s: Seeder, mon: features.Monitoring) -> str:
    """The daily job as if the bot had been running since the go-lives: the scheduler's
    catch-up, then yesterday (whatever the time of day). The manager has acknowledged
    the alerts of the two older projects; Riverton's waits for them."""
    mon.tick()
    mon.run(RIVERTON.today() - timedelta(days=1))
    dm = s.slack.dm_channel(MGR.user_id)
    older = [m for m in _alerts_for_manager(s) if RIVERTON.biller not in json.dumps(m.get("blocks"))]
    for m in older:
        s.slack.click(MGR.user_id, dm, m["ts"], ACK)
    s.wait(lambda: all(RIVERTON.biller in json.dumps(m.get("blocks")) for m in _alerts_for_manager(s)),
           "record the manager's acknowledgements")
    acknowledged = len(older)
    waiting = _alerts_for_manager(s)
    line = "daily job run: summaries posted in each project channel"
    if acknowledged:
        line += f"; {acknowledged} earlier alert(s) acknowledged by the manager"
    if not waiting:
        raise SeedError(line + "; but no anomaly alert was raised for Riverton")
    return line + f"; {len(waiting)} Riverton alert(s) wait for the manager in the addon-bot app's Messages"


# ---- the three projects --------------------------------------------------------------------
def fresh_live(mon: Optional[features.Monitoring]) -> str:
    if mon is None:
        return (f"#{RIVERTON.channel.name}: registered, live since {RIVERTON.golive()}. The anomaly for the "
                "manager needs monitoring, which this build does not have.")
    return f"#{RIVERTON.channel.name}: registered, live since {RIVERTON.golive()}"


def midway(s: Seeder, cs: bool) -> str:
    c = MAPLE.channel.id
    s.command(c, "done monitor Payments at projection since go-live; AutoPay enrolments growing", "is done")
    s.command(c, "item Receipt emails still show the old Maple Gas logo", "Recorded item #1")
    s.command(c, "item Biller asks for AutoPay on commercial accounts, which the contract excludes",
              "Recorded item #2")
    if not cs:
        return f"#{MAPLE.channel.name}: monitoring done, items #1 and #2 open. {features.CS_MISSING}"
    s.slack.command(SPEC.user_id, c, "case 2")
    view = s.modal("cs_open_case")
    s.submit(view, {})  # the subject and description the bot prefilled from item #2
    s.wait(lambda: s.slack.messages(cast.CLIENT_SERVICES.id), "announce the case in #client-services")
    return f"#{MAPLE.channel.name}: monitoring done, item #1 open, item #2 escalated to a Client Services case"


def ready_for_handoff(s: Seeder) -> str:
    c = CITY.channel.id
    s.command(c, "done monitor Payments at or above projection since go-live", "is done")
    s.command(c, "item IVR prompt reads the convenience fee twice", "Recorded item #1")
    s.item_menu(c, 1, "resolve")
    s.submit(s.modal("resolve_item"), {"note": {"note": "Prompt re-recorded by the IVR vendor"}})
    s.command(c, "done address The one post go-live item is remedied", "is done")
    return f"#{CITY.channel.name}: steps 1 and 2 done; the handoff to #{cast.SHARED.name} is next"


def conversation(slack: LocalSlack) -> None:
    """What people said before you arrived (plain messages; the bot is not involved)."""
    slack.post_as_user(MGR.user_id, cast.OAK.id, (
        f"<@{SPEC.user_id}> Oak County went live with pay by text today. Can you register it here? "
        "Biller id OAK-COUNTY, projection 60 payments a day."))
    slack.post_as_user(cast.BILLER.user_id, cast.SHARED.id,
                       "Hi team! Phone payments are going well on our side. Who do we call once you hand over?")


def forget_ephemerals(slack: LocalSlack) -> None:
    """Ephemeral messages live only in the client that saw them: the seeding's answers to
    the specialist are gone when you open the workspace, as after reloading Slack."""
    ws = slack.ws
    with ws.changed:
        channel_ids = list(ws.channels)
    for cid in channel_ids:
        for eph in ws.ephemerals(cid):
            ws.delete_ephemeral(cid, eph.ts)


def seed(slack: LocalSlack, deps: Any, mon: Optional[features.Monitoring]) -> list[str]:
    """Seed everything this build supports; one report line per part. A part that fails
    is reported and the demo starts anyway."""
    s = Seeder(slack, deps)
    lines: list[str] = []

    def attempt(part: Callable[[], Optional[str]]) -> bool:
        try:
            line = part()
        except SeedError as e:
            log.error("seeding stopped: %s", e)
            lines.append(f"seeding stopped: {e}")
            return False
        except Exception as e:  # noqa: BLE001 - the demo still starts; the console says why
            log.exception("seeding failed")
            lines.append(f"seeding failed: {type(e).__name__}: {e}")
            return False
        if line:
            lines.append(line)
        return True

    conversation(slack)
    if mon is not None:
        set_scenarios(mon)
    registered = [attempt(lambda p=p: s.register(p)) for p in PROJECTS]
    if all(registered):
        attempt(lambda: fresh_live(mon))
        if mon is not None:
            attempt(lambda: monitoring_history(s, mon))
        attempt(lambda: midway(s, features.client_services(deps)))
        attempt(lambda: ready_for_handoff(s))
    lines.append(f"#{cast.OAK.name}: waiting for you to register it with /addon new …")
    forget_ephemerals(slack)
    return lines
