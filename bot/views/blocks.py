"""Block Kit primitives every view builds on: the value encoding of buttons
and modal metadata, text objects, sections, buttons, inputs and modals.

Button values and modal metadata are small JSON objects (never strings split
on a separator): `{"p": project_id, "s": step, "n": item_number}`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Optional

from bot import fmt
from bot.fmt import LIVE_CLOSE, LIVE_OPEN

Block = dict[str, Any]


# ---- escaping: the one place text becomes Slack markup ----------------------
# Views write text as they mean it (an item, a reason, a biller's words, with
# the bot's own mentions from fmt.user / fmt.channel / fmt.link); `render`
# escapes `&`, `<` and `>` everywhere and turns only the bot's own tokens back
# into live markup, as Slack asks: https://api.slack.com/reference/surfaces/formatting#escaping
# Every text object is made by `mrkdwn` / `plain` below, which render; the
# message's fallback `text` (and anything that did not come through these
# primitives) is rendered by bot.gateway on its way out, so a new view cannot
# forget it.
_TOKEN = re.compile(f"{LIVE_OPEN}([^{LIVE_OPEN}{LIVE_CLOSE}]*){LIVE_CLOSE}")
_LIVE_MENTION = re.compile(r"[@#][UWCG][A-Z0-9]{1,20}")
_LIVE_LINK = re.compile(r"(https?://[^\s|<>]+)\|(.*)", re.S)
_MRKDWN_LIMIT = 3000


def escape(text: str) -> str:
    """Typed text shown, never obeyed: Slack's three control characters escaped."""
    return (text.replace(LIVE_OPEN, "").replace(LIVE_CLOSE, "")
            .replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _live(token: str) -> str:
    if _LIVE_MENTION.fullmatch(token):
        return f"<{token}>"
    m = _LIVE_LINK.fullmatch(token)
    if m:
        return f"<{m.group(1).replace('&', '&amp;')}|{escape(m.group(2)).replace('|', '¦')}>"
    return escape(token)


def render(text: str) -> str:
    """mrkdwn (and a message's fallback text): all escaped but the bot's own tokens."""
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(_live(m.group(1)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def render_plain(text: str) -> str:
    """plain_text shows everything literally: a bot token reads as its words."""
    def words(m: re.Match) -> str:
        tok = m.group(1)
        link = _LIVE_LINK.fullmatch(tok)
        return link.group(2) if link else tok
    return _TOKEN.sub(words, text).replace(LIVE_OPEN, "").replace(LIVE_CLOSE, "")


def _render_fit(text: str, limit: int) -> str:
    r = render(text)
    while len(r) > limit and text:  # escaping lengthens text: clip the source until it fits
        text = fmt.clip(text, max(1, len(text) - (len(r) - limit) - 1))
        r = render(text)
    return r


def _raw(text: str) -> bool:
    return LIVE_OPEN in text or LIVE_CLOSE in text


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(x) for x in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    out = {}
    for k, v in node.items():
        # A text object made by mrkdwn()/plain() is already rendered (it holds no
        # token characters); one made by hand is rendered here.
        if k == "text" and isinstance(v, str) and kind == "mrkdwn" and _raw(v):
            out[k] = _render_fit(v, _MRKDWN_LIMIT)
        elif k == "text" and isinstance(v, str) and kind == "plain_text" and _raw(v):
            out[k] = render_plain(v)
        elif k in ("value", "private_metadata", "initial_value", "url", "action_id", "block_id"):
            out[k] = v
        else:
            out[k] = _walk(v)
    return out


def text_size(blocks: list[Block]) -> int:
    """Characters of text across blocks, as Slack counts them for msg_blocks_too_long."""
    total, stack = 0, list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    total += len(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return total


def render_payload(payload: dict) -> dict:
    """A copy of an outgoing payload (a message, a view, an ack, a response)
    with its fallback `text` rendered, and any text object that did not come
    through mrkdwn()/plain() (blocks given as a JSON string too), and modal errors."""
    out = copy.copy(payload)
    if isinstance(out.get("text"), str):
        out["text"] = _render_fit(out["text"], 40000)
    for key in ("blocks", "view", "attachments"):
        v = out.get(key)
        if isinstance(v, str) and v[:1] in "[{":
            try:
                out[key] = json.dumps(_walk(json.loads(v)), separators=(",", ":"))
            except ValueError:
                pass
        elif isinstance(v, (list, dict)):
            out[key] = _walk(v)
    if isinstance(out.get("errors"), dict):
        out["errors"] = {k: render_plain(str(v)) for k, v in out["errors"].items()}
    return out


def value(**kw) -> str:
    return json.dumps({k: v for k, v in kw.items() if v is not None}, separators=(",", ":"))


def parse_value(raw: Optional[str]) -> dict:
    try:
        v = json.loads(raw or "{}")
        return v if isinstance(v, dict) else {}
    except json.JSONDecodeError:
        return {}


def mrkdwn(text: str) -> dict:
    """A mrkdwn text object: what people typed is escaped, the bot's own mentions are live."""
    return {"type": "mrkdwn", "text": _render_fit(text, _MRKDWN_LIMIT)}


def plain(text: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": fmt.clip(render_plain(text), limit), "emoji": True}


def section(text: str, accessory: Optional[dict] = None, block_id: Optional[str] = None) -> Block:
    b: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        b["accessory"] = accessory
    if block_id:
        b["block_id"] = block_id
    return b


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def button(text: str, action_id: str, val: str, style: Optional[str] = None,
           confirm: Optional[dict] = None) -> dict:
    b = {"type": "button", "text": plain(text), "action_id": action_id, "value": val}
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def divider() -> Block:
    return {"type": "divider"}


def input_block(block_id: str, label: str, element: dict, optional: bool = False, hint: Optional[str] = None) -> Block:
    b: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
                "optional": optional}
    if hint:
        b["hint"] = plain(hint, 2000)
    return b


def text_element(action_id: str, initial: Optional[str] = None, multiline: bool = False,
                max_length: Optional[int] = None, placeholder: Optional[str] = None) -> dict:
    e: dict = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        e["initial_value"] = str(initial)
    if max_length:
        e["max_length"] = max_length
    if placeholder:
        e["placeholder"] = plain(placeholder, 150)
    return e


def modal(callback_id: str, title_text: str, blocks: list[Block], meta: dict,
          submit: Optional[str] = "Save") -> dict:
    v = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title_text, 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
        "private_metadata": json.dumps(meta, separators=(",", ":")),
    }
    if submit:
        v["submit"] = plain(submit, 24)
    return v


def text_field(block_id: str, label: str, initial: Optional[str] = None, *, multiline: bool = False,
               max_length: Optional[int] = None, hint: Optional[str] = None, optional: bool = False) -> Block:
    """An input block holding one plain-text input whose action id is its block id."""
    el = text_element(block_id, fmt.clip(initial, max_length) if (initial and max_length) else initial,
                      multiline=multiline, max_length=max_length)
    return input_block(block_id, label, el, optional=optional, hint=hint)
