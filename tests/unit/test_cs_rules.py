"""Client Services rules, pure: who may open a case or send the handoff, what a
case must say, where a handoff may go, how a biller's mention is answered."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cs import rules
from bot.views import cs as csv
from bot.cs.content import load_handoff
from bot.errors import Conflict, NotAllowed, NotFound, ProjectLocked, Unavailable
from bot.workflow import Actor, ItemView, ProjectSnapshot

SPEC = Actor("U0SPEC", "T0INT", False)
COLL = Actor("U0COLL", "T0INT", False)
BILLER = Actor("U0BILLER", "T0EXT", True)
P = ProjectSnapshot(
    id=1, biller_id="CITY-42", addon="Pay by phone", channel_id="C0PROJ", manager_id="U0MGR",
    specialist_ids=("U0SPEC",), golive=date(2026, 11, 2), projected_per_day=40, tz="America/Chicago",
    status="open", locked=False, version=3, shared_channel_id="C0SHARED",
    items=(ItemView(1, 1, "open one", "open"), ItemView(2, 2, "fixed", "remedied", note="re-recorded"),
           ItemView(3, 3, "big", "escalated", case_external_id="CS-1001")),
)


def test_cases_need_an_intake_or_a_channel():
    rules.ensure_cases_configured("https://x", None)
    rules.ensure_cases_configured(None, "C0CS")
    with pytest.raises(Unavailable, match="CS_CASES_URL.*CS_CHANNEL.*Nothing was changed"):
        rules.ensure_cases_configured(None, None)


def test_who_may_open_a_case_and_for_what():
    assert rules.ensure_can_open_case(P, SPEC, 1).number == 1
    assert rules.ensure_can_open_case(P, SPEC, None) is None
    with pytest.raises(NotAllowed, match="delivery team"):
        rules.ensure_can_open_case(P, BILLER, 1)
    with pytest.raises(NotAllowed, match="specialist"):
        rules.ensure_can_open_case(P, COLL, 1)
    with pytest.raises(ProjectLocked):
        rules.ensure_can_open_case(replace(P, locked=True), SPEC, 1)
    with pytest.raises(NotFound, match="no item #9"):
        rules.ensure_can_open_case(P, SPEC, 9)
    with pytest.raises(Conflict, match="already remedied"):
        rules.ensure_can_open_case(P, SPEC, 2)
    with pytest.raises(Conflict, match="already escalated.*CS-1001"):
        rules.ensure_can_open_case(P, SPEC, 3)


def test_case_fields():
    assert rules.case_field_errors("Split payments", "Payers want two cards") == {}
    errs = rules.case_field_errors("  ", "")
    assert set(errs) == {"subject", "description"}
    assert "one line" in rules.case_field_errors("a\nb", "d")["subject"]
    assert "at most 250" in rules.case_field_errors("s" * 251, "d")["subject"]
    assert "at most 3,000" in rules.case_field_errors("s", "d" * 3001)["description"]


# Text as typed: control characters other than tab and newline are refused on their own (below).
_TYPED = st.characters(blacklist_categories=("Cs",),
                       blacklist_characters="".join(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)))


@given(st.text(_TYPED, max_size=300), st.text(_TYPED, max_size=3100))
def test_case_fields_accept_exactly_what_fits(subject, description):
    errs = rules.case_field_errors(subject, description)
    s, d = subject.strip(), description.strip()
    assert ("subject" in errs) == (not s or len(s) > 250 or "\n" in s)
    assert ("description" in errs) == (not d or len(d) > 3000)


def test_case_fields_refuse_nul_and_control_characters():
    assert "control character" in rules.case_field_errors("a\x00b", "d")["subject"]
    assert "control character" in rules.case_field_errors("s", "line\x1b[31m")["description"]
    assert rules.case_field_errors("s", "tab\tand\nnewline") == {}


def test_handoff_needs_a_shared_channel():
    assert rules.ensure_can_send_handoff(P, SPEC) == "C0SHARED"
    with pytest.raises(rules.NoSharedChannel, match="Set shared channel"):
        rules.ensure_can_send_handoff(replace(P, shared_channel_id=None), SPEC)
    with pytest.raises(NotAllowed):
        rules.ensure_can_send_handoff(P, BILLER)


def test_shared_channel_choice():
    shared = {"is_ext_shared": True}
    assert rules.shared_channel_problem(P, "C0NEW", shared, False) is None
    assert rules.shared_channel_problem(P, "C0NEW", {"is_pending_ext_shared": True}, False) is None
    assert "not shared" in rules.shared_channel_problem(P, "C0NEW", {"is_ext_shared": False}, False)
    assert "internal channel" in rules.shared_channel_problem(P, "C0PROJ", shared, False)
    assert "another project" in rules.shared_channel_problem(P, "C0NEW", shared, True)
    assert "Invite @addon-bot" in rules.shared_channel_problem(P, "C0NEW", None, False)
    assert "Pick" in rules.shared_channel_problem(P, None, None, False)


def test_mention_plans():
    done = replace(P, locked=True, status="complete")
    assert rules.plan_mention(BILLER, [P]).kind == rules.PING
    assert rules.plan_mention(BILLER, [done]).kind == rules.AVENUES
    assert rules.plan_mention(BILLER, [done, P]) == rules.MentionPlan(rules.PING, P)  # an open project wins
    assert rules.plan_mention(BILLER, []) == rules.MentionPlan(rules.AVENUES, None)
    assert rules.plan_mention(SPEC, [P]).kind == rules.HELP
    assert rules.plan_mention(None, [P]).kind == rules.PING  # unknown people are treated as outsiders


def test_handoff_message_is_avenues_only():
    av = load_handoff(None).default
    secretive = replace(P, items=(ItemView(1, 1, "SECRET", "open", note="NOTE"),), open_alerts=3,
                        pending_cases=1, handoff_sent_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    text, blocks = csv.handoff_message(secretive, av, 5)
    everything = text + str(blocks)
    for word in ("SECRET", "NOTE", "40", "C0PROJ", "U0SPEC", "U0MGR", "alert", "version"):
        assert word not in everything, word
    for avenue in (av.phone, av.email, av.portal, av.hours, *av.covers):
        assert avenue in everything


def test_mention_words_drop_the_bot():
    assert csv.mention_words("<@U0BOT> hi  there <@U0OTHER>", "U0BOT") == "hi there <@U0OTHER>"


def test_a_missing_item_is_refused_with_the_open_items_listed():
    with pytest.raises(NotFound) as e:
        rules.ensure_can_open_case(P, SPEC, 9)
    assert "no case was opened" in str(e.value) and "Its open items: #1 open one." in str(e.value)
    assert "#2" not in str(e.value) and "`/addon case TEXT`" in str(e.value)


def test_after_completion_the_refusal_says_what_can_still_be_done():
    with pytest.raises(ProjectLocked, match="Client Services directly"):
        rules.ensure_can_open_case(replace(P, locked=True), SPEC, 1)


def test_placeholder_contacts_are_named_and_real_ones_are_not():
    from types import SimpleNamespace as NS

    fake = NS(phone="1-800-555-0199", email="clientservices@example.com", portal="https://support.example.com")
    assert rules.placeholder_contacts(fake) == ["phone 1-800-555-0199", "email clientservices@example.com",
                                                "portal https://support.example.com"]
    real = NS(phone="1-888-424-2424", email="cs@acmepayments.com", portal="https://help.acmepayments.com/cs")
    assert rules.placeholder_contacts(real) == []
    assert rules.placeholder_contacts(NS(phone="1-800-555-1234", email="a@example.community",
                                         portal="https://x.test/help")) == ["portal https://x.test/help"]
