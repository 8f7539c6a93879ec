"""What every listener shares: the one place errors become words, and reading
what Slack sent (the actor, the project, a button's value, a modal's inputs)."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any, Optional

from slack_sdk.errors import SlackApiError

from bot.errors import BadInput, DomainError, NotAllowed, NotFound
from bot.reply import tell
from bot.views.blocks import parse_value
from bot.workflow import Actor

log = logging.getLogger("addon_bot.handlers")

NO_PROJECT = (
    "This channel has no post-live project yet. Register it with "
    "`/addon new biller=ID addon=NAME golive=YYYY-MM-DD projected=N manager=@user`."
)


def guard(fn):
    """Run a listener; turn a DomainError into an ephemeral answer, log the rest.

    Every listener acks first; if one failed before acking, ack here so Slack
    is never left waiting. Bolt passes only the arguments the wrapped function
    names, so a guarded listener must name `client` and `context` (and
    `respond` where Slack gives a response_url) for the answer to reach anyone.
    """

    @functools.wraps(fn)
    def wrapper(**kw):
        try:
            return fn(**kw)
        except DomainError as e:
            _ack_quietly(kw)
            tell(kw, e.text())
        except SlackApiError as e:
            _ack_quietly(kw)
            err = e.response.get("error") if e.response is not None else "unknown"
            log.warning("Slack refused a call in %s: %s", fn.__name__, err)
            if err in ("not_in_channel", "channel_not_found"):
                tell(kw, "I can't post in this channel. Invite me with `/invite @addon-bot`, then try again.")
            else:
                tell(kw, f"Slack refused the update (`{err}`). Nothing was lost; try again in a moment.")
        except Exception:  # noqa: BLE001 - logged with context, and the user is told
            _ack_quietly(kw)
            ref = uuid.uuid4().hex[:8]
            body = kw.get("body") or {}
            log.exception("listener %s failed (ref %s) for user %s in %s", fn.__name__, ref,
                          (kw.get("context") or {}).get("actor"), (kw.get("context") or {}).get("channel_id"))
            tell(kw, f"Something went wrong on our side (ref `{ref}`); it has been logged. "
                     "Nothing was changed unless a message says so.")
            del body

    return wrapper


def _ack_quietly(kw: dict) -> None:
    ack = kw.get("ack")
    if ack is not None:
        try:
            ack()
        except Exception:  # noqa: BLE001 - already acknowledged
            pass


def actor_of(context) -> Actor:
    actor = context.get("actor")
    if actor is None:
        raise NotAllowed("I could not tell who you are; try again.")
    return actor


def project_id_of(context) -> int:
    pid = context.get("project_id")
    if pid is None:
        raise NotFound(NO_PROJECT)
    return pid


def audit_surface(body: dict) -> str:
    t = body.get("type")
    if body.get("command"):
        return "command"
    return {"block_actions": "button", "view_submission": "modal", "event_callback": "event"}.get(t, "slack")


ID_KEYS = ("p", "n", "h")  # project, item number, handoff: positive integers, never coerced
ITEM_VERBS = ("resolve", "case")  # "a" is an alert id, or what the item menu does
MALFORMED = "That button or form carries an id I did not make, so I did nothing. Open it again from its message."


def strict_ids(v: dict) -> dict:
    """`v` as decoded, if each id in it is a positive integer (not a bool, a string or a list)."""
    for k in ID_KEYS:
        if v.get(k) is not None and not (type(v[k]) is int and 0 < v[k] < 2**31):
            raise BadInput(MALFORMED)
    a = v.get("a")
    if a is not None and not ((type(a) is int and 0 < a < 2**31) or a in ITEM_VERBS):
        raise BadInput(MALFORMED)
    return v


def view_meta(body: dict) -> dict:
    """A modal's private_metadata: a small JSON object ({} if absent or bad); wrong-typed ids refused."""
    view = body.get("view")
    return strict_ids(parse_value(view.get("private_metadata") if isinstance(view, dict) else None))


def clicked(body: dict) -> tuple[dict, dict]:
    """(the first action of a block_actions payload, its decoded value or selected option)."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    opt = action.get("selected_option")
    raw = action.get("value") or (opt.get("value") if isinstance(opt, dict) else None)
    return action, strict_ids(parse_value(raw if isinstance(raw, str) else None))


def state_values(view: dict) -> dict[str, dict[str, Any]]:
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def input_value(values: dict, block_id: str, action_id: Optional[str] = None) -> Any:
    """The submitted value of one input, whatever its element type."""
    block = values.get(block_id)
    block = block if isinstance(block, dict) else {}
    el = block.get(action_id or block_id) or (next(iter(block.values())) if block else {})
    if not isinstance(el, dict):
        return None
    t = el.get("type")
    if t == "plain_text_input":
        v = el.get("value")
        return v.strip() if isinstance(v, str) else v
    if t == "datepicker":
        return el.get("selected_date")
    if t == "users_select":
        return el.get("selected_user")
    if t == "multi_users_select":
        return el.get("selected_users") or []
    if t == "conversations_select":
        return el.get("selected_conversation")
    if t == "channels_select":
        return el.get("selected_channel")
    if t in ("static_select", "radio_buttons"):
        return (el.get("selected_option") or {}).get("value")
    if t == "checkboxes":
        return [o.get("value") for o in el.get("selected_options") or []]
    return el.get("value")
