"""The message box: what Slack's client does with what a person types.

- `/addon …` is a slash command. The manifest declares it with
  `should_escape: true`, so `&`, `<`, `>` are escaped and `@name` / `#channel`
  arrive as `<@U123|name>` / `<#C123|name>`.
- Any other `/word` is refused by the client ("not a valid command").
- Anything else is a message; `@name` becomes `<@U123>`, `#channel` becomes
  `<#C123|channel>`, and a message that mentions the bot is delivered to it as
  `app_mention`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.sandbox.localslack import Workspace

COMMANDS = ("/addon",)
_MENTION = re.compile(r"(?<![\w<|])@([A-Za-z0-9][A-Za-z0-9._-]*)")
_CHANNEL = re.compile(r"(?<![\w<|&])#([a-z0-9][a-z0-9_-]*)")


@dataclass(frozen=True)
class Plan:
    kind: str  # "command" | "mention" | "message" | "refused"
    text: str = ""
    command: Optional[str] = None
    reason: Optional[str] = None


def escape(text: str) -> str:
    """Slack's escaping of message text (and of slash commands with should_escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _users_by_name(ws: Workspace) -> dict[str, str]:
    with ws.changed:
        return {u.name.lower(): u.id for u in ws.users.values() if not u.deleted}


def _channels_by_name(ws: Workspace) -> dict[str, str]:
    with ws.changed:
        return {c.name: c.id for c in ws.channels.values() if not (c.is_im or c.is_mpim)}


def link_names(ws: Workspace, text: str, *, with_names: bool) -> tuple[str, bool]:
    """(text with @name and #channel turned into Slack's references, whether the bot is mentioned)."""
    users, channels = _users_by_name(ws), _channels_by_name(ws)
    bot_names = {ws.bot_name.lower(), ws.bot_name.lower().removesuffix("-bot")}
    mentioned = False

    def user(m: re.Match) -> str:
        nonlocal mentioned
        name = m.group(1).rstrip(".-")
        rest = m.group(1)[len(name):]
        if name.lower() in bot_names:
            mentioned = True
            return f"<@{ws.bot_user_id}>{rest}"
        uid = users.get(name.lower())
        if uid is None:
            return m.group(0)
        return (f"<@{uid}|{name}>" if with_names else f"<@{uid}>") + rest

    def channel(m: re.Match) -> str:
        name = m.group(1).rstrip("-_")
        rest = m.group(1)[len(name):]
        cid = channels.get(name)
        return f"<#{cid}|{name}>{rest}" if cid else m.group(0)

    text = _MENTION.sub(user, text)
    text = _CHANNEL.sub(channel, text)
    return text, mentioned


def plan(ws: Workspace, typed: str) -> Plan:
    """What sending ``typed`` does."""
    typed = typed.strip()
    if not typed:
        return Plan("refused", reason="Type a message, or /addon help.")
    if typed.startswith("/"):
        word, _, rest = typed.partition(" ")
        if word not in COMMANDS:
            return Plan("refused", reason=(
                f"{word} is not a valid command. In Slack, all messages that start with the \"/\" "
                "character are interpreted as commands; this workspace has /addon."))
        text, _ = link_names(ws, escape(rest.strip()), with_names=True)
        return Plan("command", text=text, command=word)
    text, mentioned = link_names(ws, escape(typed), with_names=False)
    return Plan("mention" if mentioned else "message", text=text)
