"""Messages that fit: nothing a person typed is packed into a button value
(at most 2,000 characters, https://api.slack.com/reference/block-kit/block-elements#button),
and the checklist stays under Slack's total size (msg_blocks_too_long) with its buttons."""

from __future__ import annotations

import json

from tests.slack.test_monitoring_alerts import alerted  # noqa: F401 - the fixture
from tests.support.cs_helpers import block_text, checklist, register as cs_register
from tests.support.harness import PROJ, SPEC


def test_a_long_note_awaiting_confirmation_is_kept_not_packed_into_the_button(alerted, slack):  # noqa: F811
    note = "payers look fine & <b>steady</b> " * 60  # about 2,000 characters
    note = note[:1990].strip()
    slack.command(SPEC, PROJ, f"done monitor {note}")
    slack.wait_for(lambda: any(e.get("blocks") for e in slack.ephemerals(PROJ, SPEC)))
    eph = [e for e in slack.ephemerals(PROJ, SPEC) if e.get("blocks")][-1]
    button = eph["blocks"][-1]["elements"][0]
    assert len(button["value"]) < 100 and "payers" not in button["value"]
    slack.click(SPEC, PROJ, eph["ts"], button["action_id"])
    pid = alerted.deps.service.project_in_channel(PROJ).id
    slack.wait_for(lambda: alerted.deps.service.snapshot(pid).step("monitor").state == "done")
    assert alerted.deps.service.snapshot(pid).step("monitor").note == note
    assert slack.errors == []


def test_a_checklist_of_long_items_keeps_its_buttons_under_slacks_size(bot, slack):
    pid = cs_register(slack, bot)
    for i in range(15):
        slack.command(SPEC, PROJ, f"item {i} " + "the receipt & the fee table <disagree> " * 48)
        slack.advance_clock(2)  # people type slower than a loop: stay within Slack's rates
    slack.wait_for(lambda: len(bot.deps.service.snapshot(pid).items) == 15)
    slack.command(SPEC, PROJ, "status")
    slack.wait_for(lambda: "#15" in block_text(checklist(slack)))
    msg = checklist(slack)
    kinds = [b["type"] for b in msg["blocks"]]
    assert "actions" in kinds or any(b.get("accessory") for b in msg["blocks"])  # still has its buttons
    assert len(json.dumps(msg["blocks"])) < 40000
    assert not [p for p in slack.errors if p.code == "msg_blocks_too_long"]
