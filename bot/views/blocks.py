"""Block Kit primitives every view builds on: the value encoding of buttons
and modal metadata, text objects, sections, buttons, inputs and modals.

Button values and modal metadata are small JSON objects (never strings split
on a separator): `{"p": project_id, "s": step, "n": item_number}`.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from bot import fmt

Block = dict[str, Any]


def value(**kw) -> str:
    return json.dumps({k: v for k, v in kw.items() if v is not None}, separators=(",", ":"))


def parse_value(raw: Optional[str]) -> dict:
    try:
        v = json.loads(raw or "{}")
        return v if isinstance(v, dict) else {}
    except json.JSONDecodeError:
        return {}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": fmt.clip(text, 3000)}


def plain(text: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": fmt.clip(text, limit), "emoji": True}


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
