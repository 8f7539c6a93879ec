"""How Slack encodes what a person typed before a slash command delivers it.

Slack escapes its three control characters in every text it sends
(https://api.slack.com/reference/surfaces/formatting#escaping), writes the
special mentions as `<!channel>`, `<!here>` and `<!everyone>`, and, for a
command declared with `should_escape: true` in the manifest, turns `@name`
into `<@U123|name>`, `#name` into `<#C123|name>` and links into `<https://…>`
(https://api.slack.com/interactivity/slash-commands#creating_commands, "Escape
channels, users, and links sent to your app"). With `should_escape: false`
users and channels stay plain words, but `&`, `<`, `>` and the specials are
still encoded.

An already-encoded `<@U…>` / `<#C…>` in the typed text stands for a person
or channel picked from Slack's autocomplete: it is delivered as a mention
(with the name Slack adds), not escaped.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

_PICKED = re.compile(r"<([@#])([UWCG][A-Z0-9]+)(?:\|[^<>]*)?>")
_SPECIAL = re.compile(r"(?<![\w@])@(channel|here|everyone)\b")
_USER = re.compile(r"(?<![\w<@])@([a-z0-9][a-z0-9._-]*)", re.I)
_CHANNEL = re.compile(r"(?<![\w<#&])#([a-z0-9][a-z0-9_-]*)", re.I)
_LINK = re.compile(r"(?<![<|\w])(https?://[^\s<>|]+)")

_HOLD_OPEN, _HOLD_CLOSE = "\x00", "\x01"  # keeps encoded pieces out of the escaping


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def encode_command_text(text: str, *, should_escape: bool,
                        user_named: Callable[[str], Optional[str]],
                        channel_named: Callable[[str], Optional[str]],
                        name_of: Callable[[str, str], Optional[str]]) -> str:
    """`text` as Slack delivers it in a slash command's `text` field.

    user_named(name) / channel_named(name) give the id for a name (or None);
    name_of(kind, id) gives the name Slack adds to a picked mention.
    """
    held: list[str] = []

    def hold(piece: str) -> str:
        held.append(piece)
        return f"{_HOLD_OPEN}{len(held) - 1}{_HOLD_CLOSE}"

    def picked(m: re.Match) -> str:
        kind, ident = m.group(1), m.group(2)
        if not should_escape:
            return hold(f"{kind}{name_of(kind, ident) or ident}")
        name = name_of(kind, ident)
        return hold(f"<{kind}{ident}|{name}>" if name else f"<{kind}{ident}>")

    out = _PICKED.sub(picked, text)
    out = _SPECIAL.sub(lambda m: hold(f"<!{m.group(1)}>"), out)
    if should_escape:
        def user(m: re.Match) -> str:
            uid = user_named(m.group(1))
            return hold(f"<@{uid}|{m.group(1)}>") if uid else m.group(0)

        def channel(m: re.Match) -> str:
            cid = channel_named(m.group(1))
            return hold(f"<#{cid}|{m.group(1)}>") if cid else m.group(0)

        out = _USER.sub(user, out)
        out = _CHANNEL.sub(channel, out)
        out = _LINK.sub(lambda m: hold(f"<{escape(m.group(1))}>"), out)
    out = escape(out)
    return re.sub(f"{_HOLD_OPEN}(\\d+){_HOLD_CLOSE}", lambda m: held[int(m.group(1))], out)
