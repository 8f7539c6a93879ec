"""Text people typed is shown, never obeyed: every free-text field sent
through every surface that shows it, then everything the bot sent is
searched for a live mention, a special mention or a foreign link.
https://api.slack.com/reference/surfaces/formatting#escaping"""

from __future__ import annotations

import re


from bot.cs.content import load_handoff
from tests.support.cs_helpers import add_item, block_text, checklist, confirm_placeholders, open_modal, wait_ephemeral
from tests.support.harness import BILLER, COLL, CS, MGR, PROJ, SHARED, SPEC

# Typed in a slash command: the local workspace encodes it as Slack does
# (should_escape: @channel -> <!channel>, @colin -> <@U0COLL|colin>, &<> escaped).
TYPED = "@channel @here @colin <!everyone> <https://evil.example/login|Open the Biller Portal> AT&T <b>x</b>"
# Typed in a modal's plain-text input: delivered as typed.
RAW = "<!channel> <@U0COLL> <https://evil.example/login|Open the Biller Portal> AT&T <b>x</b>"
ADDON_NEW = ("new biller=CITY-42 addon=\"Pay @here <b>&\" golive=2026-11-02 projected=40 "
             f"manager=<@{MGR}|maria> channel=ivr shared=<#{SHARED}|city-42-ext> "
             f"specialist=<@{SPEC}|sam> tz=America/Chicago")
_NOT_SHOWN = {"value", "private_metadata", "action_id", "block_id", "callback_id", "ts", "thread_ts",
              "channel", "user", "trigger_id", "view_id", "external_id", "hash", "id", "users",
              "initial_value"}  # an input's text, shown literally in the box


def _strings(node, out):
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            return out  # shown literally, never parsed for mentions or links
        for k, v in node.items():
            if k not in _NOT_SHOWN:
                _strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _strings(v, out)
    elif isinstance(node, str):
        out.append(node)
    return out


def shown(slack) -> list[str]:
    """Every text the bot sent to be read: Web API calls, acks and responses (as shown)."""
    out: list[str] = []
    for method, args in slack.calls:
        if method.startswith(("chat.", "views.")):
            _strings(args, out)
    for channel in (PROJ, SHARED, CS, slack.dm_channel(MGR), slack.dm_channel(SPEC)):
        for m in slack.messages(channel):
            if m.get("user") == slack.bot_user_id or m.get("bot_id"):
                _strings(m, out)
        for e in slack.ephemerals(channel):
            _strings(e, out)
    for user in (SPEC, MGR):
        for v in slack.views(user):
            _strings(v, out)
    return out


def assert_nothing_live(slack):
    # The workspace's permalinks, and the Client Services portal the operator configured
    # (CS_HANDOFF_FILE, here the built-in one): links the bot itself made, never typed ones.
    portal = re.escape(load_handoff(None).for_biller(None).portal)
    own = re.compile(rf"https://[a-z0-9-]+\.slack\.com/archives/|{portal}$")
    texts = shown(slack)
    assert texts
    for t in texts:
        assert "\ue000" not in t and "\ue001" not in t, t
        assert "<!" not in t, t  # no @channel / @here / @everyone
        assert f"<@{COLL}" not in t, t  # nobody the bot did not mean to mention
        for link in re.findall(r"<(https?://[^|>]+)", t):
            assert own.match(link), t  # only the workspace's own permalinks


def test_typed_text_is_shown_never_obeyed_on_every_surface(bot, slack):
    slack.command(SPEC, PROJ, ADDON_NEW)
    slack.wait_for(lambda: checklist(slack) is not None)
    pid = bot.deps.service.project_in_channel(PROJ).id
    add_item(slack, TYPED)
    slack.command(SPEC, PROJ, f"done monitor {TYPED}")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("monitor").state == "done")
    # A Client Services case whose subject was typed in the modal (announced in the CS channel).
    slack.command(SPEC, PROJ, "case 1")
    view = open_modal(slack, SPEC, "cs_open_case")
    slack.submit_view(SPEC, view["id"], {"subject": {"subject": RAW[:150]}})
    slack.wait_for(lambda: any("New Client Services case" in block_text(m) for m in slack.messages(CS)))
    # Step 2's reason (its item went to Client Services).
    slack.command(SPEC, PROJ, f"skip address {TYPED}")
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).step("address").state != "open")
    # The biller's words, quoted to the specialist in the internal channel.
    slack.mention(BILLER, SHARED, f"help {RAW}")
    slack.wait_for(lambda: any("mentioned me" in block_text(m) for m in slack.messages(PROJ)))
    # The handoff, with the add-on's name, in the shared channel.
    slack.command(SPEC, PROJ, "handoff")
    hv = open_modal(slack, SPEC, "cs_send_handoff")
    slack.submit_view(SPEC, hv["id"], confirm_placeholders(hv))
    slack.wait_for(lambda: bot.deps.service.snapshot(pid).handoff_sent_at is not None)
    wait_ephemeral(slack, "Recorded item #")

    assert_nothing_live(slack)
    # What was typed is there to read, as the person wrote it.
    board = block_text(checklist(slack))
    assert "@channel @here @colin" in board and "AT&amp;T &lt;b&gt;x&lt;/b&gt;" in board
    assert "Pay @here &lt;b&gt;&amp;" in board
    ping = [block_text(m) for m in slack.messages(PROJ) if "mentioned me" in block_text(m)][-1]
    assert "help @channel @U0COLL Open the Biller Portal (https://evil.example/login) AT&amp;T" in ping
    assert f"<@{SPEC}>" in ping and f"<#{SHARED}>" in ping  # the bot's own mentions stay live
    case = [block_text(m) for m in slack.messages(CS) if "New Client Services case" in block_text(m)][-1]
    assert "&lt;!channel&gt;" in case and f"<@{SPEC}>" in case
    handoff = [block_text(m) for m in slack.messages(SHARED) if "support for" in block_text(m)]
    assert handoff and "Pay @here &lt;b&gt;&amp;" in handoff[-1]


def test_the_workspace_encodes_command_text_as_slack_does(slack):
    # https://api.slack.com/interactivity/slash-commands ("should_escape") and
    # https://api.slack.com/reference/surfaces/formatting#escaping
    got = slack._encode_typed("@channel hi @colin in #random & <b> https://x.example/a?b=1&c=2 <@U0MGR>")
    assert got == ("<!channel> hi <@U0COLL|colin> in <#C0OTHER|random> &amp; &lt;b&gt; "
                   "<https://x.example/a?b=1&amp;c=2> <@U0MGR|maria>")
    slack.should_escape = False
    assert slack._encode_typed("@here @colin & #random") == "<!here> @colin &amp; #random"
