"""`/addon edit golive=…` re-plans monitoring: summaries already posted stay,
edited in place to say they are from the old plan."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.slack.test_slack_workflow import wait_ephemeral
from tests.support.harness import PROJ, SPEC
from tests.support.monitoring_support import project, register, summaries, text_of, tick

AT_D2_0900 = datetime(2026, 11, 3, 15, 0, tzinfo=timezone.utc)


def test_a_new_golive_marks_posted_summaries_as_from_the_old_plan(mbot, slack):
    register(slack)
    tick(mbot, AT_D2_0900)
    slack.wait_for(lambda: summaries(slack))
    ts = summaries(slack)[0]["ts"]
    assert "old plan" not in text_of(summaries(slack)[0])
    slack.command(SPEC, PROJ, "edit golive=2026-11-03")
    assert "golive: 2026-11-02 → 2026-11-03" in wait_ephemeral(slack, "Changed")
    slack.wait_for(lambda: "From the old plan: go-live was 2026-11-02; it is now 2026-11-03"
                   in text_of(slack.message(PROJ, ts)))
    assert len(summaries(slack)) == 1 and str(project(mbot).golive) == "2026-11-03"
    # Editing again replaces the mark rather than stacking a second one.
    slack.command(SPEC, PROJ, "edit golive=2026-11-04")
    slack.wait_for(lambda: "it is now 2026-11-04" in text_of(slack.message(PROJ, ts)))
    msg = slack.message(PROJ, ts)
    assert msg["text"].count("From the old plan") == 1
    assert [b.get("block_id") for b in msg["blocks"]].count("old_plan") == 1
