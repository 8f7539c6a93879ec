"""One live checklist per project: a new `/addon status` turns the previous copy
into a one-line pointer without buttons, and a click on a stale copy changes
nothing and is answered with the current state."""

from __future__ import annotations

from tests.slack.test_slack_workflow import block_text, checklist, ephemeral_texts, project_row, register, step_state
from tests.support.harness import COLL, PROJ, SPEC


def _buttons(msg) -> list[str]:
    return [e.get("action_id") for b in msg.get("blocks") or [] for e in
            (b.get("elements") or []) + ([b["accessory"]] if b.get("accessory") else []) if e.get("action_id")]


def test_a_new_status_turns_the_old_copy_into_a_pointer(bot, slack):
    first = register(slack)
    assert _buttons(first)
    slack.command(COLL, PROJ, "status")
    slack.wait_for(lambda: checklist(slack)["ts"] != first["ts"])
    current = checklist(slack)
    slack.wait_for(lambda: "no longer kept up to date" in block_text(slack.message(PROJ, first["ts"])))
    old = slack.message(PROJ, first["ts"])
    assert _buttons(old) == [] and len(old["blocks"]) == 1
    assert current["ts"].replace(".", "") in block_text(old)  # the pointer links to the current copy
    assert _buttons(current)


def test_a_click_on_a_stale_copy_changes_nothing_and_shows_the_current_state(bot, slack):
    first = register(slack)
    slack.command(SPEC, PROJ, "done monitor payers confirmed by phone")  # no summary yet: a reason
    slack.wait_for(lambda: step_state(bot, "monitor") == "done")
    slack.wait_for(lambda: "step_undo" in str(slack.message(PROJ, first["ts"])["blocks"]))  # redrawn
    # Another copy became the current one while this one kept its buttons (another instance posted it,
    # or retiring this copy failed).
    pid = project_row(bot).id
    other = bot.deps.client.chat_postMessage(channel=PROJ, text="Post-live checklist (newer copy)")["ts"]
    bot.deps.service.remember_checklist(pid, other)
    slack.click(SPEC, PROJ, first["ts"], "step_undo")
    slack.wait_for(lambda: any("out of date, so nothing was changed" in t for t in ephemeral_texts(slack)))
    assert step_state(bot, "monitor") == "done"
    [answer] = [e for e in slack.ephemerals(PROJ, SPEC) if "out of date" in (e.get("text") or "")]
    assert "Done by <@U0SPEC>" in block_text(answer)  # the current state, not the copy's
    slack.wait_for(lambda: _buttons(slack.message(PROJ, first["ts"])) == [])


def test_the_checklist_is_edited_only_when_what_it_shows_changed(bot, slack):
    from bot.checklist import refresh_checklist

    register(slack)
    pid = project_row(bot).id
    updates = len(slack.calls_to("chat.update"))
    for _ in range(3):  # redrawn with nothing changed: no chat.update (Tier 3) at all
        refresh_checklist(bot.deps, pid)
    assert len(slack.calls_to("chat.update")) == updates
    shown = bot.deps.service.checklist_shown(pid)
    slack.command(SPEC, PROJ, "item Fee shown twice")  # what it shows changes: one edit
    slack.wait_for(lambda: "Fee shown twice" in block_text(checklist(slack)))
    slack.wait_for(lambda: bot.deps.service.checklist_shown(pid) != shown)  # the edit is recorded
    edits = len(slack.calls_to("chat.update"))
    assert edits == updates + 1
    refresh_checklist(bot.deps, pid)
    assert len(slack.calls_to("chat.update")) == edits
