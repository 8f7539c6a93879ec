"""The /addon parser: every form, every refusal, and no input crashes it."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import commands as c
from bot.errors import BadInput


def test_empty_and_help():
    assert isinstance(c.parse(""), c.Help)
    assert isinstance(c.parse("   "), c.Help)
    assert isinstance(c.parse("help"), c.Help)


def test_new_with_escaped_mentions():
    cmd = c.parse(
        'new biller=CITY-42 addon="Pay by phone" golive=2026-11-02 projected=40 '
        "manager=<@U0MGR|maria> channel=IVR shared=<#C0SHARED|acme-ext> "
        "specialist=<@U0SPEC|sam> tz=America/Chicago"
    )
    assert cmd == c.NewProject(
        biller="CITY-42", addon="Pay by phone", golive=date(2026, 11, 2), projected=40.0,
        manager="U0MGR", pay_channel="ivr", shared="C0SHARED", specialists=("U0SPEC",),
        tz="America/Chicago",
    )


def test_new_missing_fields_opens_form_with_prefill():
    cmd = c.parse("new biller=B1 projected=12.5")
    assert isinstance(cmd, c.NewProjectForm)
    assert cmd.prefill == {"biller": "B1", "projected": 12.5}
    assert cmd.missing == ("addon", "golive", "manager")


@pytest.mark.parametrize("text,fragment", [
    ("new biller=B1 addon=X golive=2026-13-01 projected=4 manager=<@U1>", "YYYY-MM-DD"),
    ("new biller=B1 addon=X golive=2026-11-01 projected=-4 manager=<@U1>", "above 0"),
    ("new biller=B1 addon=X golive=2026-11-01 projected=lots manager=<@U1>", "payments per day"),
    ("new biller=B1 addon=X golive=2026-11-01 projected=4 manager=@bob", "mention a person"),
    ("new biller=B1 addon=X golive=2026-11-01 projected=4 manager=<@U1> tz=Mars/Base", "time zone"),
    ("new biller=B1 addon=X golive=2026-11-01 projected=4 manager=<@U1> shared=general", "name a channel"),
    ("new biller=B1 colour=red", "not a field"),
    ("new biller=B1 biller=B2", "given twice"),
    ("new biller", "key=value"),
    ('new addon="unclosed', "quote"),
    ("new biller=bad/id addon=X golive=2026-11-01 projected=4 manager=<@U1>", "biller"),
    ("done", "which step"),
    ("done 7", "not a step"),
    ("undo", "which one step"),
    ("skip monitor because", "Only step 2"),
    ("skip address", "reason"),
    ("item", "what the item is"),
    ("case", "item number"),
    ("list some", "mine"),
    ("summary yesterday", "YYYY-MM-DD"),
    ("status now", "takes nothing"),
    ("frobnicate", "not an `/addon` command"),
])
def test_refusals_say_what_was_wrong(text, fragment):
    with pytest.raises(BadInput) as e:
        c.parse(text)
    assert fragment in e.value.text()


def test_refusals_show_the_right_form():
    with pytest.raises(BadInput) as e:
        c.parse("done 7")
    assert e.value.usage == c.USAGE["done"]
    assert "Usage: `/addon done" in e.value.text()


def test_steps_by_name_or_number():
    assert c.parse("done 1 all good") == c.Done("monitor", "all good")
    assert c.parse("done Address") == c.Done("address", None)
    assert c.parse("undo 3") == c.Undo("handoff")
    assert c.parse("skip 2 nothing left after go-live") == c.Skip("address", "nothing left after go-live")


def test_other_commands():
    assert c.parse("list") == c.ListProjects("mine")
    assert c.parse("list all") == c.ListProjects("all")
    assert c.parse("summary 2026-11-20") == c.Summary(date(2026, 11, 20))
    assert c.parse("item IVR reads the fee twice") == c.AddItem("IVR reads the fee twice")
    assert c.parse("case 3") == c.OpenCase(item_number=3)
    assert c.parse("case #12") == c.OpenCase(item_number=12)
    assert c.parse("case add Spanish prompts") == c.OpenCase(text="add Spanish prompts")
    assert isinstance(c.parse("HANDOFF"), c.Handoff)
    assert isinstance(c.parse("complete"), c.Complete)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_no_input_crashes_the_parser(text):
    try:
        c.parse(text)
    except BadInput as e:
        assert e.message


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(c.NEW_KEYS + ("x", "")), st.text(max_size=20)), max_size=10))
def test_no_new_form_crashes_the_parser(pairs):
    text = "new " + " ".join(f"{k}={v}" for k, v in pairs)
    try:
        out = c.parse(text)
    except BadInput:
        return
    assert isinstance(out, (c.NewProject, c.NewProjectForm))


# ---- the add-on's channel, edit, cancel, report ------------------------------------------
@pytest.mark.parametrize("addon,channel", [
    ("Pay by text", "text"), ("Text to pay", "text"), ("SMS payments", "text"), ("Pay by phone", "ivr"),
    ("IVR", "ivr"), ("AutoPay", "autopay"), ("Auto-pay enrolment", "autopay"), ("New portal", "web"),
    ("Online payments", "web"), ("Mobile app", "mobile"), ("Premium bundle", None),
    ("Phone and web", None),  # two channels named: ask
])
def test_the_channel_is_taken_from_the_addons_name_only_when_it_says_it(addon, channel):
    assert c.infer_pay_channel(addon) == channel


def test_new_without_a_channel_the_name_does_not_say_opens_the_form():
    cmd = c.parse('new biller=B1 addon="Premium bundle" golive=2026-11-02 projected=5 manager=<@U1|m>')
    assert isinstance(cmd, c.NewProjectForm) and cmd.needs_channel and cmd.missing == ()
    cmd = c.parse('new biller=B1 addon="Pay by text" golive=2026-11-02 projected=5 manager=<@U1|m> schedule=42')
    assert isinstance(cmd, c.NewProject) and cmd.pay_channel == "text" and cmd.schedule_sheet == 42


def test_edit_cancel_report():
    cmd = c.parse("edit golive=2026-11-05 manager=<@U2|x> schedule=7")
    assert isinstance(cmd, c.Edit)
    assert dict(cmd.changes) == {"golive": date(2026, 11, 5), "manager": "U2", "schedule_sheet": 7}
    for bad, why in (("edit", "Say which fields"), ("edit schedule=abc", "whole number"),
                     ("edit golive=2026-02-30", "does not exist"), ("cancel", "reason"), ("report now", "nothing")):
        with pytest.raises(BadInput) as e:
            c.parse(bad)
        assert why in e.value.message, bad
    assert c.parse("cancel wrong channel") == c.Cancel("wrong channel")
    assert isinstance(c.parse("report"), c.Report)
@pytest.mark.parametrize("text, says", [
    ("nwe", "Did you mean `new`?"),
    ("stauts", "Did you mean `status`?"),
    ("done moniter", "Did you mean `monitor`?"),
    ("undo handof", "Did you mean `handoff`?"),
    ("summary 2026-11-31", "`2026-11-31` does not exist: November has 30 days."),
    ("summary 2027-02-29", "2027 is not a leap year, so February has 28 days."),
    ("summary 2026-13-01", "there is no month 13"),
    ("summary 2026-11-00", "days start at 01"),
])
def test_errors_say_what_was_meant(text, says):
    with pytest.raises(BadInput) as e:
        c.parse(text)
    assert says in str(e.value)


def test_a_word_near_nothing_gets_help_not_a_guess():
    with pytest.raises(BadInput) as e:
        c.parse("xyzzy")
    assert "Did you mean" not in str(e.value) and "/addon help" in str(e.value)
    assert c.parse("summary 2028-02-29").day == date(2028, 2, 29)


def test_case_with_an_item_number_and_text_names_the_item():
    assert c.parse("case 9 | the IVR greeting is wrong") == c.OpenCase(item_number=9,
                                                                       text="the IVR greeting is wrong")
    assert c.parse("case #3") == c.OpenCase(item_number=3)
    assert c.parse("case the greeting is wrong") == c.OpenCase(text="the greeting is wrong")


def test_form_errors_are_in_words_without_command_syntax():
    from bot.suggest import in_words

    with pytest.raises(BadInput) as e:
        c.parse_projected("lots")
    words = in_words(e.value.message)
    assert words == "This is the sales projection in payments per day, a number above 0; you entered “lots”."
    assert "`" not in in_words("`tz=` must be a time zone like America/Chicago; got `Mars`.")


def test_the_register_form_picks_a_time_zone_from_a_list():
    from bot.sandbox.localslack.blockkit import validate_view
    from bot.views import register_modal

    view = register_modal("C1", {"tz": "America/Chicago"}, "America/New_York", "U1")
    tz = next(b for b in view["blocks"] if b["block_id"] == "tz")["element"]
    assert tz["type"] == "static_select" and tz["initial_option"]["value"] == "America/Chicago"
    assert validate_view(view) == []
    odd = register_modal("C1", {"tz": "Asia/Kathmandu"}, "America/New_York", "U1")
    tz = next(b for b in odd["blocks"] if b["block_id"] == "tz")["element"]
    assert "Asia/Kathmandu" in str(tz["option_groups"]) and tz["initial_option"]["value"] == "Asia/Kathmandu"
