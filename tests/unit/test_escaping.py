"""The one renderer (bot.views.blocks): typed text escaped, the bot's own tokens live.
https://api.slack.com/reference/surfaces/formatting#escaping"""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

from bot import fmt
from bot.views.blocks import mrkdwn, plain, render, render_payload, section


def test_typed_markup_is_escaped_and_own_mentions_stay_live():
    text = f"{fmt.user('U0SPEC')} in {fmt.channel('C0PROJ')}: <!channel> <@U0X> <https://evil.example|Portal> A&B"
    assert render(text) == ("<@U0SPEC> in <#C0PROJ>: &lt;!channel&gt; &lt;@U0X&gt; "
                            "&lt;https://evil.example|Portal&gt; A&amp;B")


def test_a_forged_token_is_not_made_live():
    # Token characters inside typed text are dropped, and a token that is not a mention/link is text.
    assert render("\ue000!channel\ue001") == "!channel"
    assert render(fmt.live("!here")) == "!here"
    assert render(fmt.link("javascript:alert(1)", "x")) == "javascript:alert(1)|x"
    assert render(fmt.link("https://intake.example/c/1?a=1&b=2", "<b>CS-1</b>")) == \
        "<https://intake.example/c/1?a=1&amp;b=2|&lt;b&gt;CS-1&lt;/b&gt;>"


@given(st.text())
def test_nothing_typed_renders_into_markup(s):
    out = render(s)
    assert "<" not in out and ">" not in out and "\ue000" not in out


def test_text_objects_and_payloads_are_rendered_once():
    assert mrkdwn("a<b")["text"] == "a&lt;b"
    assert plain(f"by {fmt.user('U1')} <x>")["text"] == "by @U1 <x>"
    blocks = [section(f"{fmt.user('U1')} & co")]
    sent = render_payload({"text": f"<!here> {fmt.user('U1')}", "blocks": blocks})
    assert sent["text"] == "&lt;!here&gt; <@U1>" and sent["blocks"][0]["text"]["text"] == "<@U1> &amp; co"
    # A text object made by hand (not through the primitives) is rendered on the way out.
    raw = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{fmt.user('U2')} <!channel>"}}]
    assert render_payload({"blocks": json.dumps(raw)})["blocks"] == json.dumps(
        [{"type": "section", "text": {"type": "mrkdwn", "text": "<@U2> &lt;!channel&gt;"}}], separators=(",", ":"))


def test_escaping_keeps_within_the_3000_character_limit():
    assert len(mrkdwn("<" * 5000)["text"]) <= 3000


def test_typed_decodes_what_slack_delivers():
    assert fmt.typed("<!channel> &amp; <@U1|ann> <#C1|gen> <https://e.example|Go> &lt;b&gt;") == \
        "@channel & @ann #gen Go (https://e.example) <b>"
