"""What every listener shares: the one place errors become words, posting with
the Slack Connect guard, and keeping the checklist message current."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any, Optional

from slack_sdk.errors import SlackApiError

from bot import views
from bot.errors import DomainError, NotAllowed, NotFound
from bot.workflow import Actor, ProjectSnapshot

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


def tell(kw: dict, text: str) -> None:
    """Answer only the person who acted: ephemeral where possible, else a DM."""
    body = kw.get("body") or {}
    respond = kw.get("respond")
    client = kw.get("client")
    ctx = kw.get("context") or {}
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        actor: Optional[Actor] = ctx.get("actor")
        user = actor.user_id if actor else None
        channel = ctx.get("channel_id")
        if client is not None and user and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        if client is not None and user:
            dm = client.conversations_open(users=user)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text)
    except SlackApiError as e:
        log.error("could not tell the user %r: %s", text[:80], e.response.get("error"))


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


# ---- posting internal content ---------------------------------------------------
def ensure_internal_channel(client, channel_id: str) -> None:
    """Internal content never goes to a channel shared with another organisation.
    Checked at send time: a channel can become shared after registration."""
    if channel_id.startswith("D"):
        return
    info = client.conversations_info(channel=channel_id)["channel"]
    if info.get("is_ext_shared") or info.get("is_pending_ext_shared"):
        raise NotAllowed(
            f"<#{channel_id}> is shared with another organisation (Slack Connect), so internal "
            "project details are not posted there. Keep the project in a channel only your "
            "organisation is in: if this channel was shared by mistake, stop sharing it."
        )


def summary_line(deps, project_id: int) -> Optional[str]:
    fn = deps.extras.get("summary_line")
    return fn(project_id) if fn else None


def show_checklist(deps, snap: ProjectSnapshot, *, new_message: bool = False,
                   ts: Optional[str] = None) -> Optional[str]:
    """Post the checklist in the project channel, or edit it in place."""
    client = deps.client
    blocks = views.checklist_blocks(snap, summary_line(deps, snap.id))
    text = views.checklist_text(snap)
    target = ts or (None if new_message else deps.service.checklist_ts(snap.id))
    ensure_internal_channel(client, snap.channel_id)
    if target:
        try:
            client.chat_update(channel=snap.channel_id, ts=target, text=text, blocks=blocks)
            return target
        except SlackApiError as e:
            if e.response.get("error") not in ("message_not_found", "cant_update_message"):
                raise
    r = client.chat_postMessage(channel=snap.channel_id, text=text, blocks=blocks)
    deps.service.remember_checklist(snap.id, r["ts"])
    return r["ts"]


def audit_surface(body: dict) -> str:
    t = body.get("type")
    if body.get("command"):
        return "command"
    return {"block_actions": "button", "view_submission": "modal", "event_callback": "event"}.get(t, "slack")


def view_meta(body: dict) -> dict:
    """A modal's private_metadata: a small JSON object ({} if absent or bad)."""
    return views.parse_value((body.get("view") or {}).get("private_metadata"))


def state_values(view: dict) -> dict[str, dict[str, Any]]:
    return ((view or {}).get("state") or {}).get("values") or {}


def input_value(values: dict, block_id: str, action_id: Optional[str] = None) -> Any:
    """The submitted value of one input, whatever its element type."""
    block = values.get(block_id) or {}
    el = block.get(action_id or block_id) or (next(iter(block.values())) if block else {})
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
