"""Block Kit normalisation and element helpers, as Slack applies them.

Normalisation mirrors what Slack stores after accepting a payload: every block gets a
``block_id`` and every interactive element an ``action_id`` (random ones when the app
gave none), and ``plain_text`` objects get ``"emoji": true``.

The element helpers are used by the driver to build ``block_actions`` and
``view_submission`` payloads from a stored message or view. Validation is in
:mod:`.blockkit`, which re-exports everything here.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
from collections.abc import Iterator
from datetime import date
from datetime import time as dtime
from typing import Any

JSON = dict[str, Any]

# Elements that never carry an action_id (and are not interactive).
NON_INTERACTIVE = frozenset({"image"})

_ID_ALPHABET = string.ascii_letters + string.digits


def random_id(length: int = 5) -> str:
    """A Slack-looking generated block_id/action_id, e.g. ``"aB3xZ"``."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


# --------------------------------------------------------------------------- normalisation


def _normalise_text(obj: Any) -> None:
    if isinstance(obj, dict) and obj.get("type") == "plain_text" and "emoji" not in obj:
        obj["emoji"] = True


def _normalise_element(el: Any) -> None:
    if not isinstance(el, dict):
        return
    if el.get("type") not in NON_INTERACTIVE and "action_id" not in el:
        el["action_id"] = random_id(4)
    for key in ("text", "placeholder"):
        _normalise_text(el.get(key))
    options = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        if isinstance(group, dict):
            _normalise_text(group.get("label"))
            options.extend(group.get("options") or [])
    for opt in options + list(el.get("initial_options") or []) + [el.get("initial_option")]:
        if isinstance(opt, dict):
            _normalise_text(opt.get("text"))
            _normalise_text(opt.get("description"))
    confirm = el.get("confirm")
    if isinstance(confirm, dict):
        for key in ("title", "text", "confirm", "deny"):
            _normalise_text(confirm.get(key))


def normalise_blocks(blocks: list[Any] | None) -> list[Any]:
    """A deep copy of valid ``blocks`` with Slack's stored-form defaults filled in."""
    out = copy.deepcopy(blocks or [])
    for block in out:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", random_id(5))
        for key in ("text", "label", "hint", "title"):
            _normalise_text(block.get(key))
        for f in block.get("fields") or []:
            _normalise_text(f)
        for el in element_list(block):
            _normalise_element(el)
        if block.get("type") == "context":
            for el in block.get("elements") or []:
                _normalise_text(el)
    return out


# --------------------------------------------------------------------------- elements & state


def element_list(block: JSON) -> list[JSON]:
    """The interactive elements of one block, in order."""
    kind = block.get("type")
    if kind == "actions":
        return [e for e in block.get("elements") or [] if isinstance(e, dict)]
    if kind == "section" and isinstance(block.get("accessory"), dict):
        return [block["accessory"]] if block["accessory"].get("type") not in NON_INTERACTIVE else []
    if kind == "input" and isinstance(block.get("element"), dict):
        return [block["element"]]
    return []


def iter_elements(blocks: list[Any]) -> Iterator[tuple[JSON, JSON]]:
    """(block, element) for every interactive element of a surface."""
    for block in blocks:
        if isinstance(block, dict):
            for el in element_list(block):
                yield block, el


def find_element(blocks: list[Any], action_id: str, block_id: str | None = None) -> tuple[JSON, JSON] | None:
    for block, el in iter_elements(blocks):
        if el.get("action_id") == action_id and (block_id is None or block.get("block_id") == block_id):
            return block, el
    return None


def _all_options(el: JSON) -> list[JSON]:
    options = [o for o in el.get("options") or [] if isinstance(o, dict)]
    for group in el.get("option_groups") or []:
        options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


class OptionError(ValueError):
    """A value that the element cannot take (e.g. an option not in its list)."""


def _option(el: JSON, value: Any) -> JSON:
    if isinstance(value, dict):
        return value
    for opt in _all_options(el):
        if opt.get("value") == value:
            return copy.deepcopy(opt)
    if el.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}
    raise OptionError(f"{value!r} is not an option of {el.get('type')} {el.get('action_id')!r}")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def state_value(el: JSON, value: Any) -> JSON:
    """Slack's ``state.values[block_id][action_id]`` object for ``el`` holding ``value``.

    ``value`` is what a person picked, in the simplest form: a string for text inputs,
    an option *value* (or list of them) for selects/checkboxes/radios, an ID for
    user/conversation pickers, ``"YYYY-MM-DD"`` for a datepicker. ``None`` means empty.
    """
    kind = el.get("type")
    out: JSON = {"type": kind}
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        out["value"] = None if value is None else str(value)
    elif kind == "rich_text_input":
        if value is None or isinstance(value, dict):
            out["rich_text_value"] = value
        else:
            out["rich_text_value"] = rich_text_block(str(value))
    elif kind in ("static_select", "external_select", "radio_buttons", "overflow"):
        out["selected_option"] = None if value is None else _option(el, value)
    elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        out["selected_options"] = [_option(el, v) for v in _as_list(value)]
    elif kind == "users_select":
        out["selected_user"] = value
    elif kind == "multi_users_select":
        out["selected_users"] = _as_list(value)
    elif kind == "conversations_select":
        out["selected_conversation"] = value
    elif kind == "multi_conversations_select":
        out["selected_conversations"] = _as_list(value)
    elif kind == "channels_select":
        out["selected_channel"] = value
    elif kind == "multi_channels_select":
        out["selected_channels"] = _as_list(value)
    elif kind == "datepicker":
        if value is not None:
            date.fromisoformat(str(value))  # raises on a malformed date
        out["selected_date"] = None if value is None else str(value)
    elif kind == "timepicker":
        if value is not None:
            dtime.fromisoformat(str(value))
        out["selected_time"] = None if value is None else str(value)
    elif kind == "datetimepicker":
        out["selected_date_time"] = None if value is None else int(value)
    elif kind == "file_input":
        out["files"] = _as_list(value)
    elif kind == "button":
        out["value"] = el.get("value") if value is None else value
    return out


def initial_state(el: JSON) -> JSON:
    """The state object of an element nobody touched (its ``initial_*`` value)."""
    kind = el.get("type")
    if kind in ("static_select", "external_select", "radio_buttons"):
        return {"type": kind, "selected_option": copy.deepcopy(el.get("initial_option"))}
    if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        return {"type": kind, "selected_options": copy.deepcopy(el.get("initial_options") or [])}
    initial_key = {
        "plain_text_input": "initial_value",
        "email_text_input": "initial_value",
        "url_text_input": "initial_value",
        "number_input": "initial_value",
        "rich_text_input": "initial_value",
        "users_select": "initial_user",
        "multi_users_select": "initial_users",
        "conversations_select": "initial_conversation",
        "multi_conversations_select": "initial_conversations",
        "channels_select": "initial_channel",
        "multi_channels_select": "initial_channels",
        "datepicker": "initial_date",
        "timepicker": "initial_time",
        "datetimepicker": "initial_date_time",
    }.get(str(kind))
    if initial_key is None:
        return {"type": kind}
    initial = copy.deepcopy(el.get(initial_key))
    if kind == "rich_text_input":
        return {"type": kind, "rich_text_value": initial}
    return state_value(el, initial)


def is_empty(state: JSON) -> bool:
    """True when an input's state holds nothing (what Slack's "required" check sees)."""
    for key, value in state.items():
        if key == "type":
            continue
        if value not in (None, "", [], {}):
            return False
    return True


def action_payload(block: JSON, el: JSON, state: JSON, action_ts: str) -> JSON:
    """One entry of a ``block_actions`` payload's ``actions`` array."""
    out: JSON = {"type": el.get("type"), "action_id": el.get("action_id"), "block_id": block.get("block_id")}
    if el.get("type") == "button":
        out["text"] = copy.deepcopy(el.get("text"))
        if state.get("value") is not None:
            out["value"] = state["value"]
        for key in ("style", "url"):
            if key in el:
                out[key] = el[key]
    else:
        out.update({k: v for k, v in state.items() if k != "type"})
        if "placeholder" in el:
            out["placeholder"] = copy.deepcopy(el["placeholder"])
    out["action_ts"] = action_ts
    return out


def rich_text_block(text: str) -> JSON:
    """The rich_text block a Slack client attaches to a typed message.

    ``<@U123>`` mentions become user elements, ``<#C123>`` channel elements, the rest text.
    """
    elements: list[JSON] = []
    pos = 0
    for m in re.finditer(r"<([@#])([A-Z0-9]+)(?:\|[^>]*)?>", text):
        if m.start() > pos:
            elements.append({"type": "text", "text": text[pos : m.start()]})
        if m.group(1) == "@":
            elements.append({"type": "user", "user_id": m.group(2)})
        else:
            elements.append({"type": "channel", "channel_id": m.group(2)})
        pos = m.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    return {
        "type": "rich_text",
        "block_id": random_id(5),
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }
