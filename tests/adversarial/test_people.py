"""People of another organisation: never manager or specialist, never sent internal content,
whatever the database says; the shared channel must be shared."""

from __future__ import annotations

from sqlmodel import select

from bot.notify import enqueue
from bot.reply import dm
from storage import repo
from storage.models import Post
from tests.slack.test_slack_workflow import ack_text, checklist, ephemeral_texts, project_row
from tests.support.harness import BILLER, MGR, NEW_CMD, OTHER, PROJ, SHARED, SPEC


def _refused(slack, bot, cmd: str, fragment: str) -> None:
    r = slack.command(SPEC, PROJ, cmd)
    assert r.status_code == 200
    slack.wait_for(lambda: any(fragment in t for t in ephemeral_texts(slack) + [ack_text(r)]))
    assert project_row(bot) is None


def test_a_slack_connect_guest_cannot_be_manager_or_specialist(bot, slack):
    _refused(slack, bot, NEW_CMD.replace(f"manager=<@{MGR}|maria>", f"manager=<@{BILLER}|bill>"),
             "not a member of this organisation")
    _refused(slack, bot, NEW_CMD.replace(f"specialist=<@{SPEC}|sam>", f"specialist=<@{BILLER}|bill>"),
             "not a member of this organisation")


def test_an_internal_channel_is_not_the_shared_channel(bot, slack):
    _refused(slack, bot, NEW_CMD.replace(f"shared=<#{SHARED}|city-42-ext>", f"shared=<#{OTHER}|random>"),
             "is not shared with another organisation")


def test_the_outbox_and_dms_never_reach_a_guest_whatever_the_database_says(bot, slack):
    slack.command(SPEC, PROJ, NEW_CMD)
    slack.wait_for(lambda: checklist(slack) is not None)
    pid = project_row(bot).id
    with repo.transaction(bot.deps.session_factory) as s:  # the database names the guest as manager
        p = repo.get_project(s, pid)
        p.manager_id = BILLER
        repo.save(s, p)
        enqueue(s, key="alert:test", kind="alert_dm", channel=BILLER, text="internal alert", project_id=pid)
    bot.deps.notifier.drain()
    opened = [c for c in slack.calls_to("conversations.open") if BILLER in str(c.get("users"))]
    assert opened == []
    with bot.deps.session_factory() as s:
        row = s.exec(select(Post).where(Post.idempotency_key == "alert:test")).one()
    assert row.state != "sent" and "outside_the_organisation" in (row.last_error or "")
    assert dm(bot.deps.client, BILLER, "internal note") is False
    assert dm(bot.deps.client, MGR, "internal note") is True
