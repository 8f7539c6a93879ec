"""Block Kit validation, as Slack applies it.

Validation returns Slack-style detail lines, e.g.
``"[ERROR] must be at most 3000 characters [json-pointer:/blocks/0/text/text]"``, which
the Web API layer wraps into ``invalid_blocks`` (messages) or ``invalid_arguments``
(views), the way Slack answers.

Normalisation (what Slack stores after accepting a payload) and the element helpers
the driver uses to build ``block_actions`` and ``view_submission`` payloads live in
:mod:`.elements`; they are re-exported here, so ``blockkit.normalise_blocks`` and
friends keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .elements import (
    NON_INTERACTIVE as _NON_INTERACTIVE,
    OptionError,
    action_payload,
    element_list,
    find_element,
    initial_state,
    is_empty,
    iter_elements,
    normalise_blocks,
    random_id,
    rich_text_block,
    state_value,
)

JSON = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

MESSAGE_BLOCK_TYPES = frozenset(
    {"actions", "context", "data_visualization", "divider", "file", "header", "image", "markdown", "rich_text",
     "section", "video"}
)
VIEW_BLOCK_TYPES = frozenset(
    {"actions", "context", "divider", "header", "image", "input", "rich_text", "section", "video"}
)
# Slack's chart block, by its documented limits
# (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block):
# a title of at most 50 characters, 1 to 6 series of at most 20 points, at most two charts a message.
CHART_TITLE_MAX = 50
CHART_SERIES_MAX = 6
CHART_POINTS_MAX = 20
CHARTS_PER_MESSAGE = 2
CHART_TYPES = frozenset({"line", "bar"})

_BLOCK_KEYS: dict[str, frozenset[str]] = {
    "section": frozenset({"type", "block_id", "text", "fields", "accessory", "expand"}),
    "divider": frozenset({"type", "block_id"}),
    "header": frozenset({"type", "block_id", "text"}),
    "data_visualization": frozenset({"type", "block_id", "title", "chart"}),
    "image": frozenset({"type", "block_id", "image_url", "slack_file", "alt_text", "title"}),
    "actions": frozenset({"type", "block_id", "elements"}),
    "context": frozenset({"type", "block_id", "elements"}),
    "input": frozenset({"type", "block_id", "label", "element", "dispatch_action", "hint", "optional"}),
    "rich_text": frozenset({"type", "block_id", "elements"}),
    "video": frozenset(
        {
            "type",
            "block_id",
            "alt_text",
            "author_name",
            "description",
            "provider_icon_url",
            "provider_name",
            "title",
            "title_url",
            "thumbnail_url",
            "video_url",
        }
    ),
    "file": frozenset({"type", "block_id", "external_id", "source"}),
    "markdown": frozenset({"type", "block_id", "text"}),
}

_SELECT_COMMON = frozenset({"type", "action_id", "confirm", "focus_on_load", "placeholder"})
_ELEMENT_KEYS: dict[str, frozenset[str]] = {
    "button": frozenset({"type", "text", "action_id", "url", "value", "style", "confirm", "accessibility_label"}),
    "static_select": _SELECT_COMMON | {"options", "option_groups", "initial_option"},
    "multi_static_select": _SELECT_COMMON | {"options", "option_groups", "initial_options", "max_selected_items"},
    "external_select": _SELECT_COMMON | {"initial_option", "min_query_length"},
    "multi_external_select": _SELECT_COMMON | {"initial_options", "min_query_length", "max_selected_items"},
    "users_select": _SELECT_COMMON | {"initial_user"},
    "multi_users_select": _SELECT_COMMON | {"initial_users", "max_selected_items"},
    "conversations_select": _SELECT_COMMON
    | {"initial_conversation", "default_to_current_conversation", "response_url_enabled", "filter"},
    "multi_conversations_select": _SELECT_COMMON
    | {"initial_conversations", "default_to_current_conversation", "max_selected_items", "filter"},
    "channels_select": _SELECT_COMMON | {"initial_channel", "response_url_enabled"},
    "multi_channels_select": _SELECT_COMMON | {"initial_channels", "max_selected_items"},
    "overflow": frozenset({"type", "action_id", "options", "confirm"}),
    "datepicker": _SELECT_COMMON | {"initial_date"},
    "timepicker": _SELECT_COMMON | {"initial_time", "timezone"},
    "datetimepicker": frozenset({"type", "action_id", "initial_date_time", "confirm", "focus_on_load"}),
    "checkboxes": frozenset({"type", "action_id", "options", "initial_options", "confirm", "focus_on_load"}),
    "radio_buttons": frozenset({"type", "action_id", "options", "initial_option", "confirm", "focus_on_load"}),
    "plain_text_input": frozenset(
        {
            "type",
            "action_id",
            "initial_value",
            "multiline",
            "min_length",
            "max_length",
            "dispatch_action_config",
            "focus_on_load",
            "placeholder",
        }
    ),
    "number_input": frozenset(
        {
            "type",
            "action_id",
            "is_decimal_allowed",
            "initial_value",
            "min_value",
            "max_value",
            "dispatch_action_config",
            "focus_on_load",
            "placeholder",
        }
    ),
    "email_text_input": frozenset(
        {"type", "action_id", "initial_value", "dispatch_action_config", "focus_on_load", "placeholder"}
    ),
    "url_text_input": frozenset(
        {"type", "action_id", "initial_value", "dispatch_action_config", "focus_on_load", "placeholder"}
    ),
    "rich_text_input": frozenset(
        {"type", "action_id", "initial_value", "dispatch_action_config", "focus_on_load", "placeholder"}
    ),
    "file_input": frozenset({"type", "action_id", "filetypes", "max_files"}),
    "image": frozenset({"type", "alt_text", "image_url", "slack_file"}),
    "workflow_button": frozenset({"type", "text", "workflow", "action_id", "style", "accessibility_label"}),
}

_SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
ACTIONS_ELEMENTS = _SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
}
ACCESSORY_ELEMENTS = _SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
}
INPUT_ELEMENTS = _SELECTS | {
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "timepicker",
    "url_text_input",
}

_VIEW_KEYS = {
    "modal": frozenset(
        {
            "type",
            "title",
            "blocks",
            "close",
            "submit",
            "private_metadata",
            "callback_id",
            "clear_on_close",
            "notify_on_close",
            "external_id",
        }
    ),
    "home": frozenset({"type", "blocks", "private_metadata", "callback_id", "external_id"}),
}

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}$")


@dataclass
class _Checker:
    """Collects Slack-style error lines while walking a payload."""

    errors: list[str] = field(default_factory=list)

    def error(self, pointer: str, message: str) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{pointer}]")

    def keys(self, obj: JSON, allowed: frozenset[str], pointer: str) -> None:
        for key in obj:
            if key not in allowed:
                self.error(pointer, f"invalid additional property: {key}")

    def string(self, value: Any, pointer: str, *, limit: int, required: bool = True, min_len: int = 0) -> None:
        if value is None:
            if required:
                self.error(pointer, "missing required field")
            return
        if not isinstance(value, str):
            self.error(pointer, f"expected: string, got: {type(value).__name__}")
        elif len(value) > limit:
            self.error(pointer, f"must be at most {limit} characters")
        elif len(value) < min_len:
            self.error(pointer, f"must be more than {min_len - 1} characters")

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        limit: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        """A composition text object (plain_text or mrkdwn)."""
        if obj is None:
            if required:
                self.error(pointer, "missing required field")
            return
        if not isinstance(obj, dict):
            self.error(pointer, "expected: object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
            self.error(pointer + "/type", f"must be {'plain_text' if plain_only else 'plain_text or mrkdwn'}")
            return
        self.keys(obj, frozenset({"type", "text", "emoji" if kind == "plain_text" else "verbatim"}), pointer)
        self.string(obj.get("text"), pointer + "/text", limit=limit, min_len=1)

    def items(self, value: Any, pointer: str, *, limit: int, min_items: int = 1) -> list[Any]:
        if not isinstance(value, list):
            self.error(pointer, "expected: array")
            return []
        if len(value) > limit:
            self.error(pointer, f"no more than {limit} items allowed")
        elif len(value) < min_items:
            self.error(pointer, f"must provide at least {min_items} items")
        return value


def _check_confirm(c: _Checker, obj: Any, pointer: str) -> None:
    if not isinstance(obj, dict):
        c.error(pointer, "expected: object")
        return
    c.keys(obj, frozenset({"title", "text", "confirm", "deny", "style"}), pointer)
    c.text(obj.get("title"), pointer + "/title", limit=100, plain_only=True)
    c.text(obj.get("text"), pointer + "/text", limit=300)
    c.text(obj.get("confirm"), pointer + "/confirm", limit=30, plain_only=True)
    c.text(obj.get("deny"), pointer + "/deny", limit=30, plain_only=True)


def _check_options(c: _Checker, value: Any, pointer: str, *, limit: int, mrkdwn: bool, urls: bool) -> None:
    for i, opt in enumerate(c.items(value, pointer, limit=limit)):
        p = f"{pointer}/{i}"
        if not isinstance(opt, dict):
            c.error(p, "expected: object")
            continue
        allowed = {"text", "value", "description"} | ({"url"} if urls else set())
        c.keys(opt, frozenset(allowed), p)
        c.text(opt.get("text"), p + "/text", limit=75, plain_only=not mrkdwn)
        c.string(opt.get("value"), p + "/value", limit=150, min_len=1)
        c.text(opt.get("description"), p + "/description", limit=75, plain_only=not mrkdwn, required=False)
        if urls:
            c.string(opt.get("url"), p + "/url", limit=3000, required=False)


def _check_element(c: _Checker, el: Any, pointer: str, allowed_types: frozenset[str]) -> None:
    if not isinstance(el, dict):
        c.error(pointer, "expected: object")
        return
    kind = el.get("type")
    if kind not in _ELEMENT_KEYS:
        c.error(pointer, "failed to match all allowed schemas")
        c.error(pointer + "/type", f"unsupported type: {kind}")
        return
    if kind not in allowed_types:
        c.error(pointer + "/type", f"element type {kind} is not allowed here")
        return
    c.keys(el, _ELEMENT_KEYS[kind], pointer)
    if kind not in _NON_INTERACTIVE:
        c.string(el.get("action_id"), pointer + "/action_id", limit=255, required=False, min_len=1)
    if "confirm" in el:
        _check_confirm(c, el["confirm"], pointer + "/confirm")
    if "placeholder" in el:
        c.text(el["placeholder"], pointer + "/placeholder", limit=150, plain_only=True)
    if kind in ("button", "workflow_button"):
        c.text(el.get("text"), pointer + "/text", limit=75, plain_only=True)
        c.string(el.get("value"), pointer + "/value", limit=2000, required=False)
        c.string(el.get("url"), pointer + "/url", limit=3000, required=False)
        c.string(el.get("accessibility_label"), pointer + "/accessibility_label", limit=75, required=False)
        if "style" in el and el["style"] not in ("primary", "danger"):
            c.error(pointer + "/style", "must be one of primary, danger")
    elif kind in ("static_select", "multi_static_select"):
        has_options, has_groups = "options" in el, "option_groups" in el
        if has_options == has_groups:
            c.error(pointer, "must provide exactly one of options or option_groups")
        if has_options:
            _check_options(c, el["options"], pointer + "/options", limit=100, mrkdwn=False, urls=False)
        if has_groups:
            for i, group in enumerate(c.items(el["option_groups"], pointer + "/option_groups", limit=100)):
                gp = f"{pointer}/option_groups/{i}"
                if not isinstance(group, dict):
                    c.error(gp, "expected: object")
                    continue
                c.keys(group, frozenset({"label", "options"}), gp)
                c.text(group.get("label"), gp + "/label", limit=75, plain_only=True)
                _check_options(c, group.get("options"), gp + "/options", limit=100, mrkdwn=False, urls=False)
    elif kind == "overflow":
        _check_options(c, el.get("options"), pointer + "/options", limit=5, mrkdwn=False, urls=True)
    elif kind in ("checkboxes", "radio_buttons"):
        _check_options(c, el.get("options"), pointer + "/options", limit=10, mrkdwn=True, urls=False)
    elif kind == "datepicker" and "initial_date" in el:
        if not (isinstance(el["initial_date"], str) and _DATE_RE.match(el["initial_date"])):
            c.error(pointer + "/initial_date", "must be a date in the format YYYY-MM-DD")
    elif kind == "timepicker" and "initial_time" in el:
        if not (isinstance(el["initial_time"], str) and _TIME_RE.match(el["initial_time"])):
            c.error(pointer + "/initial_time", "must be a time in the format HH:mm")
    elif kind == "plain_text_input":
        c.string(el.get("initial_value"), pointer + "/initial_value", limit=3000, required=False)
        for key in ("min_length", "max_length"):
            if key in el and not (isinstance(el[key], int) and 0 <= el[key] <= 3000):
                c.error(f"{pointer}/{key}", "must be an integer between 0 and 3000")
    elif kind == "image":
        c.string(el.get("alt_text"), pointer + "/alt_text", limit=2000, min_len=1)
        if "image_url" not in el and "slack_file" not in el:
            c.error(pointer, "must provide either image_url or slack_file")


def _check_chart(c: _Checker, block: JSON, pointer: str) -> None:
    """Slack's chart block, as https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block
    documents it: `title` a string of at most 50 characters; a line or bar `chart` with 1 to 6
    `series` of `name` and `data` points (`label`, `value`) and an `axis_config` whose `categories`
    hold every point's label."""
    c.string(block.get("title"), pointer + "/title", limit=CHART_TITLE_MAX, min_len=1)
    chart = block.get("chart")
    if not isinstance(chart, dict):
        c.error(pointer + "/chart", "missing required field" if chart is None else "expected: object")
        return
    cp = pointer + "/chart"
    c.keys(chart, frozenset({"type", "series", "axis_config"}), cp)
    if chart.get("type") not in CHART_TYPES:
        c.error(cp + "/type", "must be one of " + ", ".join(sorted(CHART_TYPES)))
    axis = chart.get("axis_config")
    categories: list = []
    if not isinstance(axis, dict):
        c.error(cp + "/axis_config", "missing required field" if axis is None else "expected: object")
    else:
        c.keys(axis, frozenset({"categories", "x_label", "y_label"}), cp + "/axis_config")
        for key in ("x_label", "y_label"):
            c.string(axis.get(key), f"{cp}/axis_config/{key}", limit=50, required=False)
        categories = c.items(axis.get("categories"), cp + "/axis_config/categories", limit=CHART_POINTS_MAX)
        for i, x in enumerate(categories):
            c.string(x, f"{cp}/axis_config/categories/{i}", limit=50, min_len=1)
    series = c.items(chart.get("series"), cp + "/series", limit=CHART_SERIES_MAX)
    names = set()
    for i, one in enumerate(series):
        sp = f"{cp}/series/{i}"
        if not isinstance(one, dict):
            c.error(sp, "expected: object")
            continue
        c.keys(one, frozenset({"name", "data"}), sp)
        c.string(one.get("name"), sp + "/name", limit=50, min_len=1)
        name = one.get("name")
        if isinstance(name, str):
            if name in names:
                c.error(sp + "/name", "series names must be unique")
            names.add(name)
        for j, pt in enumerate(c.items(one.get("data"), sp + "/data", limit=CHART_POINTS_MAX)):
            pp = f"{sp}/data/{j}"
            if not isinstance(pt, dict):
                c.error(pp, "expected: object")
                continue
            c.keys(pt, frozenset({"label", "value"}), pp)
            c.string(pt.get("label"), pp + "/label", limit=50, min_len=1)
            label = pt.get("label")
            if isinstance(axis, dict) and isinstance(label, str) and label not in categories:
                c.error(pp + "/label", "must be one of the axis_config categories")
            y = pt.get("value")
            if isinstance(y, bool) or not isinstance(y, (int, float)) or y != y or y in (float("inf"), float("-inf")):
                c.error(pp + "/value", "expected: number")


def _check_block(c: _Checker, block: Any, pointer: str, surface: str) -> None:
    if not isinstance(block, dict):
        c.error(pointer, "expected: object")
        return
    kind = block.get("type")
    allowed = MESSAGE_BLOCK_TYPES if surface == "message" else VIEW_BLOCK_TYPES
    if kind not in _BLOCK_KEYS or kind not in allowed:
        c.error(pointer, "failed to match all allowed schemas")
        if kind == "input" and surface == "message":
            c.error(pointer + "/type", "input blocks are not supported in messages")
        else:
            c.error(pointer + "/type", f"unsupported type: {kind}")
        return
    c.keys(block, _BLOCK_KEYS[kind], pointer)
    c.string(block.get("block_id"), pointer + "/block_id", limit=255, required=False, min_len=1)

    if kind == "section":
        if "text" not in block and "fields" not in block:
            c.error(pointer, "must provide either text or fields")
        c.text(block.get("text"), pointer + "/text", limit=3000, required=False)
        if "fields" in block:
            for i, f in enumerate(c.items(block["fields"], pointer + "/fields", limit=10)):
                c.text(f, f"{pointer}/fields/{i}", limit=2000)
        if "accessory" in block:
            _check_element(c, block["accessory"], pointer + "/accessory", ACCESSORY_ELEMENTS)
    elif kind == "header":
        c.text(block.get("text"), pointer + "/text", limit=150, plain_only=True)
    elif kind == "data_visualization":
        _check_chart(c, block, pointer)
    elif kind == "image":
        c.string(block.get("alt_text"), pointer + "/alt_text", limit=2000, min_len=1)
        c.string(block.get("image_url"), pointer + "/image_url", limit=3000, required="slack_file" not in block)
        c.text(block.get("title"), pointer + "/title", limit=2000, plain_only=True, required=False)
    elif kind == "actions":
        elements = c.items(block.get("elements"), pointer + "/elements", limit=25)
        for i, el in enumerate(elements):
            _check_element(c, el, f"{pointer}/elements/{i}", ACTIONS_ELEMENTS)
        seen: set[str] = set()
        for i, el in enumerate(elements):
            aid = el.get("action_id") if isinstance(el, dict) else None
            if isinstance(aid, str):
                if aid in seen:
                    c.error(f"{pointer}/elements/{i}/action_id", f"duplicate action_id: {aid}")
                seen.add(aid)
    elif kind == "context":
        for i, el in enumerate(c.items(block.get("elements"), pointer + "/elements", limit=10)):
            p = f"{pointer}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                _check_element(c, el, p, frozenset({"image"}))
            else:
                c.text(el, p, limit=3000)
    elif kind == "input":
        c.text(block.get("label"), pointer + "/label", limit=2000, plain_only=True)
        c.text(block.get("hint"), pointer + "/hint", limit=2000, plain_only=True, required=False)
        if "element" not in block:
            c.error(pointer, "missing required field: element")
        else:
            _check_element(c, block["element"], pointer + "/element", INPUT_ELEMENTS)
    elif kind == "markdown":
        c.string(block.get("text"), pointer + "/text", limit=12000, min_len=1)
    elif kind == "rich_text":
        c.items(block.get("elements"), pointer + "/elements", limit=10_000)


def _check_blocks(c: _Checker, blocks: Any, pointer: str, surface: str) -> None:
    limit = MAX_MESSAGE_BLOCKS if surface == "message" else MAX_VIEW_BLOCKS
    items = c.items(blocks, pointer, limit=limit, min_items=0)
    seen: set[str] = set()
    charts = [i for i, b in enumerate(items) if isinstance(b, dict) and b.get("type") == "data_visualization"]
    if len(charts) > CHARTS_PER_MESSAGE:
        c.error(f"{pointer}/{charts[CHARTS_PER_MESSAGE]}",
                f"no more than {CHARTS_PER_MESSAGE} data_visualization blocks allowed in a message")
    for i, block in enumerate(items):
        _check_block(c, block, f"{pointer}/{i}", surface)
        bid = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(bid, str):
            if bid in seen:
                c.error(f"{pointer}/{i}/block_id", f"duplicate block_id: {bid}")
            seen.add(bid)


def validate_message_blocks(blocks: Any) -> list[str]:
    """Errors for a message's ``blocks`` (chat.postMessage, responses, ...); [] if valid."""
    c = _Checker()
    _check_blocks(c, blocks, "/blocks", "message")
    return c.errors


def validate_view(view: Any) -> list[str]:
    """Errors for a modal or App Home view payload; [] if valid."""
    c = _Checker()
    if not isinstance(view, dict):
        c.error("/view", "expected: object")
        return c.errors
    kind = view.get("type")
    if kind not in _VIEW_KEYS:
        c.error("/view/type", "must be one of modal, home")
        return c.errors
    c.keys(view, _VIEW_KEYS[kind], "/view")
    if "blocks" not in view:
        c.error("/view", "missing required field: blocks")
    else:
        _check_blocks(c, view["blocks"], "/view/blocks", kind)
    c.string(view.get("private_metadata"), "/view/private_metadata", limit=3000, required=False)
    c.string(view.get("callback_id"), "/view/callback_id", limit=255, required=False)
    c.string(view.get("external_id"), "/view/external_id", limit=255, required=False)
    if kind == "modal":
        c.text(view.get("title"), "/view/title", limit=24, plain_only=True)
        c.text(view.get("submit"), "/view/submit", limit=24, plain_only=True, required=False)
        c.text(view.get("close"), "/view/close", limit=24, plain_only=True, required=False)
        raw_blocks = view.get("blocks")
        blocks: list[Any] = raw_blocks if isinstance(raw_blocks, list) else []
        if "submit" not in view and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks):
            c.error("/view", "must provide a submit button when the view has input blocks")
    return c.errors


__all__ = [
    "ACCESSORY_ELEMENTS",
    "ACTIONS_ELEMENTS",
    "INPUT_ELEMENTS",
    "JSON",
    "MAX_MESSAGE_BLOCKS",
    "MAX_VIEW_BLOCKS",
    "MESSAGE_BLOCK_TYPES",
    "VIEW_BLOCK_TYPES",
    "OptionError",
    "action_payload",
    "element_list",
    "find_element",
    "initial_state",
    "is_empty",
    "iter_elements",
    "normalise_blocks",
    "random_id",
    "rich_text_block",
    "state_value",
    "validate_message_blocks",
    "validate_view",
]
