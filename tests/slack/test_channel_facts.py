"""Channel facts (bot.channels): whether a channel is shared with another organisation is
asked of Slack once (conversations.info, Tier 3) and kept true by channel_shared,
channel_unshared and member_joined_channel, which the local workspace delivers as Slack does
(https://docs.slack.dev/reference/events/channel_shared and .../channel_unshared); an old or
unknown fact is asked again; Slack Connect safety holds throughout."""

from __future__ import annotations

from datetime import timedelta

from bot.channels import RECHECK_AGE, ChannelFacts
from storage import channels as store
from storage import repo
from storage.models import utcnow
from tests.support.cs_helpers import checklist, ephemeral_texts, register
from tests.support.harness import BILLER, PROJ, SPEC

SHARED_REFUSAL = "shared with another organisation"


def info_calls(slack, channel=PROJ) -> int:
    return sum(1 for a in slack.calls_to("conversations.info") if a.get("channel") == channel)


def refusals(slack, user=SPEC) -> int:
    return sum(1 for t in ephemeral_texts(slack, PROJ, user) if SHARED_REFUSAL in t)


def status(slack, user=SPEC) -> str:
    """`/addon status`: "posted" (a new checklist) or "refused" (the channel is shared)."""
    n, before = refusals(slack, user), (checklist(slack) or {}).get("ts")
    slack.advance_clock(2)  # a person's pace: Slack allows about a post a second in a channel
    slack.command(user, PROJ, "status")
    slack.wait_for(lambda: refusals(slack, user) > n or (checklist(slack) or {}).get("ts") != before)
    return "refused" if refusals(slack, user) > n else "posted"


def fact(bot, channel=PROJ):
    with bot.deps.session_factory() as s:
        row = store.fact(s, channel)
        return None if row is None else row.ext_shared


def test_a_channel_is_asked_about_once_not_before_every_post(bot, slack):
    register(slack, bot)
    asked = info_calls(slack)
    assert asked == 1 and fact(bot) is False
    for _ in range(3):
        assert status(slack) == "posted"
    assert info_calls(slack) == asked


def test_a_channel_shared_later_is_known_from_the_event_before_the_next_post(bot, slack):
    register(slack, bot)
    asked = info_calls(slack)
    slack.set_ext_shared(PROJ, True)  # Slack tells the bot: channel_shared
    assert [d.kind for d in slack.deliveries][-1] == "event_callback:channel_shared"
    assert fact(bot) is True
    n = len(slack.messages(PROJ))
    assert status(slack) == "refused"
    assert info_calls(slack) == asked  # refused from the fact, without asking Slack
    assert len(slack.messages(PROJ)) == n

    slack.set_ext_shared(PROJ, False)  # channel_unshared, is_ext_shared false
    assert fact(bot) is False
    assert status(slack) == "posted"


def test_a_person_of_another_organisation_joining_means_shared(bot, slack):
    register(slack, bot)
    slack.ws.channel(PROJ).is_ext_shared = True  # shared without the event reaching us...
    slack.add_member(PROJ, BILLER)  # ...but the biller's join does
    assert fact(bot) is True
    assert status(slack) == "refused"


def test_the_bot_joining_a_channel_forgets_what_it_knew_and_asks(bot, slack):
    register(slack, bot)
    slack.remove_member(PROJ, slack.bot_user_id)
    slack.add_member(PROJ, slack.bot_user_id)
    assert fact(bot) is None  # unknown: asked at the next use
    asked = info_calls(slack)
    assert status(slack) == "posted"
    assert info_calls(slack) == asked + 1 and fact(bot) is False


def test_an_old_fact_is_asked_again_and_slack_connect_safety_holds(bot, slack):
    register(slack, bot)
    slack.ws.channel(PROJ).is_ext_shared = True  # shared, and the event lost
    real = bot.deps.clock
    bot.deps.clock = lambda: real() + timedelta(hours=25)
    try:
        asked = info_calls(slack)
        assert status(slack) == "refused"
        assert info_calls(slack) == asked + 1 and fact(bot) is True
    finally:
        bot.deps.clock = real


def test_the_tick_rechecks_old_facts_a_few_at_a_time(bot, slack):
    register(slack, bot)
    facts = bot.deps.client.channel_facts
    old = utcnow() - RECHECK_AGE - timedelta(minutes=1)
    with repo.transaction(bot.deps.session_factory) as s:
        store.forget(s, PROJ)
        store.record(s, PROJ, ext_shared=False, archived=False, now=old)
    slack.ws.channel(PROJ).is_ext_shared = True  # became shared; no event
    assert facts.recheck(bot.deps.client, utcnow()) == 1
    assert fact(bot) is True
    assert facts.recheck(bot.deps.client, utcnow()) == 0  # fresh now: nothing to ask


def test_an_answer_asked_before_an_event_does_not_overwrite_it(sessions):
    facts = ChannelFacts(sessions, utcnow)

    class Client:
        def conversations_info(self, channel):
            facts.shared(channel, True)  # channel_shared arrives while Slack answers the earlier question
            return {"channel": {"id": channel, "is_ext_shared": False}}

    assert facts.is_shared(Client(), "C1") is True
    with sessions() as s:
        assert store.fact(s, "C1").ext_shared is True
