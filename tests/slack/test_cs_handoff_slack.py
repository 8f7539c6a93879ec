"""The handoff to Client Services (step 3), driven as Slack drives the bot:
previewed, sent to the shared channel with the avenues and nothing internal,
acknowledged by the biller."""

from __future__ import annotations

import json


from tests.support.cs_helpers import (
    confirm_placeholders,
    block_text,
    checklist,
    ephemeral_texts,
    no_refusals,
    open_modal,
    register,
    add_item,
    wait_ephemeral,
)
from tests.support.harness import BILLER, BotHarness, CS, MGR, OTHER, PROJ, SHARED, SPEC

AVENUES = ("1-800-555-0199", "clientservices@example.com", "https://support.example.com",
           "Monday to Friday", "Questions about payments, refunds, returns and deposits")


def handoff_messages(slack):
    return [m for m in slack.messages(SHARED) if "support for" in block_text(m)]


def send_handoff(slack, bot, user=SPEC):
    before = len(handoff_messages(slack))
    slack.command(user, PROJ, "handoff")
    view = open_modal(slack, user, "cs_send_handoff")
    r = slack.submit_view(user, view["id"], confirm_placeholders(view))
    assert r.status_code == 200
    slack.wait_for(lambda: len(handoff_messages(slack)) > before)
    msg = handoff_messages(slack)[-1]
    pid = bot.deps.service.project_in_channel(PROJ).id
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).handoff_sent_at is not None)
    return view, msg


def test_handoff_has_the_avenues_and_nothing_internal(bot, slack):
    pid = register(slack, bot)
    # Internal things that must never reach the biller.
    add_item(slack, "SECRET-ITEM the fee table is wrong")
    slack.command(SPEC, PROJ, "done monitor NOTE-XYZ payers look fine")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("monitor").state == "done")
    slack.command(SPEC, PROJ, "case 1")
    view = open_modal(slack, SPEC, "cs_open_case")
    slack.submit_view(SPEC, view["id"], {"subject": {"subject": "CASE-SUBJECT fee table"}})
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).items[0].case_external_id)

    preview, msg = send_handoff(slack, bot)
    preview_text = block_text({"blocks": preview["blocks"]})
    assert "where the biller will see it" in preview_text and "CS_HANDOFF_FILE" in preview_text
    text = block_text(msg)
    for avenue in AVENUES:
        assert avenue in text, avenue
        assert avenue in preview_text
    assert "Pay by phone" in text and "Got it" in json.dumps(msg["blocks"])
    everything = json.dumps(slack.messages(SHARED))
    for internal in ("SECRET-ITEM", "NOTE-XYZ", "CASE-SUBJECT", "#1 (Slack)", "payments/day", "Projection",
                     "projected", "alert", "check:", "version", CS, PROJ, SPEC, MGR):
        assert internal not in everything, internal
    # Step 3 is done; the checklist says when it was sent and that it is not yet acknowledged.
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).handoff_sent_at is not None)
    assert bot.deps.service.snapshot(pid).step("handoff").state == "done"
    slack.wait_for(lambda: "not yet acknowledged by the biller" in block_text(checklist(slack)))
    assert "Handoff sent to" in wait_ephemeral(slack, "Handoff sent to")
    no_refusals(slack)


def test_biller_acknowledges_with_got_it(bot, slack):
    pid = register(slack, bot)
    _, msg = send_handoff(slack, bot)
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).handoff_sent_at is not None)
    # Someone from the delivery team pressing it records nothing.
    slack.click(SPEC, SHARED, msg["ts"], "cs_handoff_ack")
    assert "for the biller" in wait_ephemeral(slack, "for the biller", channel=SHARED)
    assert bot.deps.service.snapshot(pid).handoff_acknowledged_by is None
    slack.click(BILLER, SHARED, msg["ts"], "cs_handoff_ack")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).handoff_acknowledged_by == BILLER)
    assert "Thank you" in wait_ephemeral(slack, "Thank you", channel=SHARED, user=BILLER)
    edited = [m for m in slack.messages(SHARED) if m["ts"] == msg["ts"]][0]
    assert "confirmed they have these details" in block_text(edited)
    assert "cs_handoff_ack" not in json.dumps(edited["blocks"])  # the button is gone
    slack.wait_for(lambda: f"acknowledged by <@{BILLER}>" in block_text(checklist(slack)))
    no_refusals(slack)


def test_per_biller_override_from_cs_handoff_file(db_url, slack, tmp_path):
    f = tmp_path / "handoff.yaml"
    f.write_text(
        "default:\n"
        "  phone: 1-800-000-0000\n  email: cs@bank.test\n  portal: https://help.bank.test\n"
        "  hours: 24/7\n  covers: [Everything after go-live]\n"
        "billers:\n  CITY-42:\n    phone: 1-888-424-2424\n    hours: Weekdays 7-19 Central\n"
    )
    h = BotHarness(db_url, slack, CS_HANDOFF_FILE=str(f)).start()
    try:
        register(slack, h)
        preview, msg = send_handoff(slack, h)
        text = block_text(msg)
        assert "1-888-424-2424" in text and "Weekdays 7-19 Central" in text
        assert "cs@bank.test" in text and "1-800-000-0000" not in text
        assert "CS_HANDOFF_FILE" not in block_text({"blocks": preview["blocks"]})  # not the built-in
    finally:
        h.stop()


def test_no_shared_channel_refuses_with_how_to_set_one(bot, slack):
    slack.command(SPEC, PROJ, "new biller=TOWN-7 addon=Text golive=2026-11-02 projected=5 "
                              f"manager=<@{MGR}|maria>")
    slack.wait_for(lambda: checklist(slack) is not None)
    pid = bot.deps.service.project_in_channel(PROJ).id
    slack.command(SPEC, PROJ, "handoff")
    text = wait_ephemeral(slack, "no shared channel")
    assert "Set shared channel" in text
    assert bot.deps.service.snapshot(pid).step("handoff").state == "open"
    eph = [e for e in slack.ephemerals(PROJ, SPEC) if "no shared channel" in block_text(e)][-1]
    slack.click(SPEC, PROJ, eph["ts"], "cs_set_shared_open")
    view = open_modal(slack, SPEC, "cs_set_shared")
    # Not shared with another organisation, or the internal channel: refused in the modal.
    r = slack.submit_view(SPEC, view["id"], {"shared": {"shared": OTHER}})
    assert "not shared with another organisation" in r.json()["errors"]["shared"]
    r = slack.submit_view(SPEC, view["id"], {"shared": {"shared": PROJ}})
    assert "internal channel" in r.json()["errors"]["shared"]
    assert bot.deps.service.snapshot(pid).shared_channel_id is None
    # The Slack Connect channel: saved, and the modal turns into the preview.
    r = slack.submit_view(SPEC, view["id"], {"shared": {"shared": SHARED}})
    assert r.json()["response_action"] == "update"
    assert bot.deps.service.snapshot(pid).shared_channel_id == SHARED
    preview = open_modal(slack, SPEC, "cs_send_handoff")
    slack.submit_view(SPEC, preview["id"], confirm_placeholders(preview))
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("handoff").state == "done")
    no_refusals(slack)


def test_handoff_button_on_the_checklist(bot, slack):
    pid = register(slack, bot)
    msg = checklist(slack)
    slack.click(SPEC, PROJ, msg["ts"], "send_handoff")
    view = open_modal(slack, SPEC, "cs_send_handoff")
    slack.submit_view(SPEC, view["id"], confirm_placeholders(view))
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("handoff").state == "done")


def test_bot_not_in_the_shared_channel_is_reported_and_changes_nothing(bot, slack):
    pid = register(slack, bot)
    slack.remove_member(SHARED, slack.bot_user_id)
    slack.command(SPEC, PROJ, "handoff")
    view = open_modal(slack, SPEC, "cs_send_handoff")
    slack.submit_view(SPEC, view["id"], confirm_placeholders(view))
    text = wait_ephemeral(slack, "could not post the handoff")
    assert "Invite @addon-bot" in text and "step 3 is unchanged" in text
    snap = bot.deps.service.snapshot(pid)
    assert snap.step("handoff").state == "open" and snap.handoff_sent_at is None


def test_mark_handoff_done_by_hand_still_works(bot, slack):
    pid = register(slack, bot)
    slack.command(SPEC, PROJ, "done handoff told the biller by phone")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("handoff").state == "done")
    assert bot.deps.service.snapshot(pid).handoff_sent_at is None


def test_second_handoff_preview_warns_it_was_sent(bot, slack):
    register(slack, bot)
    send_handoff(slack, bot)
    slack.command(SPEC, PROJ, "handoff")
    view = open_modal(slack, SPEC, "cs_send_handoff")
    assert "Already sent on" in block_text({"blocks": view["blocks"]})
    assert not [t for t in ephemeral_texts(slack) if "Something went wrong" in t]


def test_placeholder_contacts_need_an_explicit_tick_naming_them(bot, slack):
    pid = register(slack, bot)
    slack.command(SPEC, PROJ, "handoff")
    view = open_modal(slack, SPEC, "cs_send_handoff")
    box = next(b for b in view["blocks"] if b.get("block_id") == "placeholders")
    assert "1-800-555-0199" in json.dumps(box) and "example.com" in json.dumps(box)
    r = slack.submit_view(SPEC, view["id"], {})
    err = r.json()["errors"]["placeholders"]
    assert "placeholder contacts" in err and "phone 1-800-555-0199" in err and "CS_HANDOFF_FILE" in err
    assert bot.deps.service.snapshot(pid).handoff_sent_at is None and handoff_messages(slack) == []
    slack.submit_view(SPEC, view["id"], confirm_placeholders(view))
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("handoff").state == "done")
