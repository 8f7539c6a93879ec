"""The weekly post-live digest: at DIGEST_TIME (Mon 08:00) in each manager's own
Slack time zone, one DM per manager and week whatever runs again; `/addon digest`
shows it now, only to the person who asks; `addon-bot digest` queues nothing twice."""

from __future__ import annotations

from datetime import timedelta

from tests.support.harness import MGR, PROJ, SPEC
from tests.support.monitoring_support import dms, no_refusals, register, text_of, utc


def _digests(slack, user=MGR):
    return [m for m in dms(slack, user) if (m.get("text") or "").startswith("Post-live digest")]


def _run_ticks(bot, when):
    bot.deps.clock = lambda: when
    bot.deps.digest.tick(when)


def test_the_digest_reaches_each_manager_once_a_week_at_their_local_time(mbot, slack):
    slack.ws.user(MGR).tz = "Asia/Tokyo"  # UTC+9: Monday 08:00 there is Sunday 23:00 UTC
    register(slack)
    _run_ticks(mbot, utc(2026, 11, 15, 22, 59))
    assert _digests(slack) == []
    _run_ticks(mbot, utc(2026, 11, 15, 23, 0))
    [d] = _digests(slack)
    body = text_of(d)
    assert d["blocks"][0]["text"]["text"].startswith("Post-live digest · week of 2026-11-16")
    assert "*CITY-42*" in body and "Next: 1. Monitor service" in body
    assert any(b["type"] == "data_visualization" for b in d["blocks"])
    # Every later tick that week, and a manual run, send nothing more.
    for h in (1, 30, 100):
        _run_ticks(mbot, utc(2026, 11, 15, 23, 0) + timedelta(hours=h))
    assert [q for *_, q in mbot.deps.digest.run(utc(2026, 11, 18).date())] == [False]
    assert len(_digests(slack)) == 1
    # The next week has its own.
    _run_ticks(mbot, utc(2026, 11, 22, 23, 0))
    assert len(_digests(slack)) == 2
    no_refusals(slack)


def test_projects_needing_action_come_first(mbot, slack):
    register(slack)
    mbot.deps.clock = lambda: utc(2026, 12, 14, 9, 0)  # day 43 of post-live: past the 30-day target
    text, blocks = mbot.deps.digest.message_for(MGR)
    body = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert ":warning: *CITY-42*" in body and "day 43 of post-live (target 30)" in body
    assert "no step changed since go-live" in body


def test_slash_digest_shows_it_now_only_to_you(mbot, slack):
    register(slack)
    slack.command(SPEC, PROJ, "digest")
    slack.wait_for(lambda: any((e.get("text") or "").startswith("Post-live digest")
                               for e in slack.ephemerals(PROJ, SPEC)))
    assert _digests(slack) == [] and _digests(slack, SPEC) == []
    no_refusals(slack)
