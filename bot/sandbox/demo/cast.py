"""The people and channels of the demo workspace.

Four personas a newcomer can switch between (the specialist, the manager, a
colleague, and the biller from the other organisation), the internal project
channels, the Slack Connect channel shared with the biller, and the Client
Services channel. The ids are fixed so that links and tests are stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.localslack import EXTERNAL_TEAM_ID, INTERNAL_TEAM_ID, LocalSlack

BOT_NAME = "addon-bot"
INTERNAL_ORG = "Acme Payments"
EXTERNAL_ORG = "City 42 Utilities"

# What manifest.yml subscribes the bot to (settings.event_subscriptions.bot_events):
# the demo delivers exactly what Slack would deliver to the real app.
SUBSCRIPTIONS = frozenset({"app_home_opened", "app_mention", "reaction_added", "channel_shared",
                           "channel_unshared", "member_joined_channel"})


@dataclass(frozen=True)
class Persona:
    user_id: str
    name: str  # the Slack handle, typed as @name
    real_name: str
    role: str  # what the switcher shows
    external: bool = False
    tz: str = "America/Chicago"


SPECIALIST = Persona("U0SPEC", "sam", "Sam Rivera", "Implementation specialist")
MANAGER = Persona("U0MGR", "maria", "Maria Chen", "Delivery team manager")
COLLEAGUE = Persona("U0COLL", "colin", "Colin Park", "Colleague, not on the projects")
BILLER = Persona("U0BILLER", "bill", "Bill Jones", f"Biller at {EXTERNAL_ORG}", external=True)
PERSONAS: tuple[Persona, ...] = (SPECIALIST, MANAGER, COLLEAGUE, BILLER)


@dataclass(frozen=True)
class ChannelSpec:
    id: str
    name: str
    members: tuple[str, ...]
    purpose: str
    external: bool = False


_TEAM = (SPECIALIST.user_id, MANAGER.user_id, COLLEAGUE.user_id)

RIVERTON = ChannelSpec("C0RIVER", "riverton-text-to-pay", _TEAM, "Riverton Water: Text to pay, just live")
MAPLE = ChannelSpec("C0MAPLE", "maple-gas-autopay", _TEAM, "Maple Gas: AutoPay, post-live work under way")
CITY = ChannelSpec("C0CITY", "city-42-pay-by-phone", _TEAM, "City 42: Pay by phone, ready to hand over")
OAK = ChannelSpec("C0OAK", "oak-county-pay-by-text", _TEAM, "Oak County: Pay by text, not registered yet")
SHARED = ChannelSpec(
    "C0CITYEXT", "city-42-ext", (SPECIALIST.user_id, MANAGER.user_id, BILLER.user_id),
    f"Shared with {EXTERNAL_ORG} (Slack Connect)", external=True,
)
CLIENT_SERVICES = ChannelSpec("C0CS", "client-services", _TEAM, "Client Services cases")
CHANNELS: tuple[ChannelSpec, ...] = (RIVERTON, MAPLE, CITY, OAK, SHARED, CLIENT_SERVICES)


RATE_SCALE = 50.0  # the demo's workspace allows 50 times Slack's rates; the bot paces itself alike


def build_workspace(signing_secret: str, bot_token: str) -> LocalSlack:
    """A LocalSlack workspace holding the cast (not started)."""
    slack = LocalSlack(signing_secret=signing_secret, bot_token=bot_token, bot_name=BOT_NAME,
                       subscriptions=SUBSCRIPTIONS,
                       # Strict as Slack (scopes, sizes), with rates relaxed so the demo seeds in seconds.
                       rate_scale=RATE_SCALE)
    slack.ws.internal_team.name = INTERNAL_ORG
    slack.ws.external_team.name = EXTERNAL_ORG
    for p in PERSONAS:
        slack.add_user(p.user_id, p.name, team_id=EXTERNAL_TEAM_ID if p.external else INTERNAL_TEAM_ID,
                       tz=p.tz, real_name=p.real_name)
    for c in CHANNELS:
        slack.add_channel(c.id, c.name, ext_shared=c.external, members=c.members)
    return slack


def persona(user_id: str) -> Persona:
    for p in PERSONAS:
        if p.user_id == user_id:
            return p
    raise KeyError(user_id)
