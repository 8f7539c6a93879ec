"""What people do in Slack's UI: slash commands, shortcuts, clicks, modal submit/close.

Each builds the payload Slack sends (form-encoded for commands, a ``payload`` JSON
field for interactivity) and applies the bot's ack as Slack would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from . import blockkit
from .delivery import FORM, DeliveryCore
from .encoding import encode_command_text
from .state import (
    JSON,
    LocalSlackError,
    Problem,
    ResponseUrl,
    SlackError,
    User,
    View,
    ViewValidationError,
)


class InteractionsMixin(DeliveryCore):
    """Slash commands, shortcuts, block actions and modals, delivered to the bot."""

    # manifest.yml declares /addon with `should_escape: true`.
    should_escape = True

    def _encode_typed(self, text: str) -> str:
        users = self.ws.users.values()
        channels = [c for c in self.ws.channels.values() if not c.is_im]

        def user_named(name: str):
            return next((u.id for u in users if u.name.lower() == name.lower() and not u.deleted), None)

        def channel_named(name: str):
            return next((c.id for c in channels if c.name.lower() == name.lower()), None)

        def name_of(kind: str, ident: str):
            if kind == "@":
                u = self.ws.users.get(ident)
                return u.name if u else None
            c = self.ws.find_channel(ident)
            return c.name if c and not c.is_im else None

        return encode_command_text(text, should_escape=self.should_escape, user_named=user_named,
                                   channel_named=channel_named, name_of=name_of)

    # ------------------------------------------------------------------ slash commands & shortcuts

    def command(self, user_id: str, channel_id: str, text: str = "", command: str = "/addon") -> httpx.Response:
        """``user_id`` types ``{command} {text}`` in ``channel_id``.

        An ack with a body is shown as Slack shows it: ephemeral to the user, or in the
        channel with ``response_type: in_channel``.
        """
        user = self._user(user_id)
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        ru_token = self.ws.issue_response_url(source="command", channel_id=channel.id, user_id=user.id)
        team = self.ws.teams[user.team_id]
        fields = {
            "token": self.verification_token,
            "team_id": team.id,
            "team_domain": team.domain,
            "channel_id": channel.id,
            "channel_name": channel.payload_name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": self._encode_typed(text),
            "api_app_id": self.ws.app_id,
            "is_enterprise_install": "false",
            "response_url": self.api.response_url(ru_token),
            "trigger_id": self.ws.issue_trigger(user.id),
        }
        resp, in_time = self._deliver("slash_command", urlencode(fields), FORM, dict(fields))
        if in_time:
            ru = ResponseUrl(ru_token, "command", channel.id, user.id, self.ws.now())
            self._apply_message_ack(resp, ru, "slash_command")
        return resp

    def shortcut(self, user_id: str, callback_id: str) -> httpx.Response:
        """A global shortcut (lightning menu)."""
        user = self._user(user_id)
        payload = self._base_interaction("shortcut", user)
        payload.update(
            {"callback_id": callback_id, "trigger_id": self.ws.issue_trigger(user.id), "action_ts": self.ws.next_ts()}
        )
        return self._interactive("shortcut", payload)[0]

    def message_shortcut(self, user_id: str, channel_id: str, message_ts: str, callback_id: str) -> httpx.Response:
        """A message shortcut ("More actions" on a message)."""
        user = self._user(user_id)
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        message = self.ws.message(channel.id, message_ts)
        payload = self._base_interaction("message_action", user)
        payload.update(
            {
                "callback_id": callback_id,
                "trigger_id": self.ws.issue_trigger(user.id),
                "action_ts": self.ws.next_ts(),
                "message_ts": message.ts,
                "message": message.to_slack(),
                "channel": {"id": channel.id, "name": channel.payload_name},
                "response_url": self._response_url(
                    source="message", channel_id=channel.id, user_id=user.id, message_ts=message.ts
                ),
            }
        )
        return self._interactive("message_action", payload)[0]

    # ------------------------------------------------------------------ block actions

    def click(
        self,
        user_id: str,
        channel_id: str | None = None,
        message_ts: str | None = None,
        action_id: str | None = None,
        value: Any = None,
        selected: Any = None,
        *,
        view_id: str | None = None,
        block_id: str | None = None,
    ) -> httpx.Response:
        """``user_id`` uses the element ``action_id`` of a message (``channel_id`` +
        ``message_ts``, ephemeral messages included) or of a view (``view_id``: a modal
        or App Home).

        Buttons send their own ``value`` unless ``value`` is given. For selects,
        checkboxes, pickers, ``selected`` (or ``value``) is what the person picks: an
        option value (or list of them), a user/conversation ID, a date ``YYYY-MM-DD``.
        """
        if not action_id:
            raise LocalSlackError("click() needs an action_id")
        user = self._user(user_id)
        action_ts = self.ws.next_ts()
        payload: JSON
        if view_id is not None:
            view = self._own_view(user, view_id)
            block, element, state = self._pick(view.blocks, action_id, block_id, value, selected)
            if element.get("type") not in ("button", "overflow", "workflow_button"):
                self.ws.set_view_state(view.id, {str(block["block_id"]): {action_id: state}})
            payload = self._base_interaction("block_actions", user)
            payload.update(
                {
                    "container": {"type": "view", "view_id": view.id},
                    "trigger_id": self.ws.issue_trigger(user.id),
                    "view": self.ws.view(view.id).to_slack(full_state=True),
                    "actions": [blockkit.action_payload(block, element, state, action_ts)],
                }
            )
            return self._interactive("block_actions", payload)[0]

        if channel_id is None or message_ts is None:
            raise LocalSlackError("click() needs channel_id and message_ts, or view_id")
        channel = self._channel(channel_id)
        self._require_member(user, channel)
        message: JSON | None
        try:
            stored = self.ws.message(channel.id, message_ts)
            blocks, message, is_ephemeral, thread_ts = stored.blocks, stored.to_slack(), False, stored.thread_ts
        except SlackError:
            try:
                eph = self.ws.ephemeral(channel.id, message_ts, recipient=user.id)
            except SlackError:
                raise LocalSlackError(f"{user.id} sees no message {message_ts} in {channel.id}") from None
            blocks, message, is_ephemeral, thread_ts = eph.blocks, None, True, eph.thread_ts
        block, element, state = self._pick(blocks, action_id, block_id, value, selected)
        values = self._message_state(blocks)
        if element.get("type") not in ("button", "overflow", "workflow_button"):
            values.setdefault(str(block["block_id"]), {})[action_id] = state
        payload = self._base_interaction("block_actions", user)
        payload.update(
            {
                "container": {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel.id,
                    "is_ephemeral": is_ephemeral,
                    **({"thread_ts": thread_ts} if thread_ts else {}),
                },
                "trigger_id": self.ws.issue_trigger(user.id),
                "channel": {"id": channel.id, "name": channel.payload_name},
                # Slack does not include an ephemeral message in the payload.
                **({"message": message} if message is not None else {}),
                "state": {"values": values},
                "response_url": self._response_url(
                    source="message",
                    channel_id=channel.id,
                    user_id=user.id,
                    message_ts=message_ts,
                    is_ephemeral=is_ephemeral,
                    thread_ts=thread_ts,
                ),
                "actions": [blockkit.action_payload(block, element, state, action_ts)],
            }
        )
        return self._interactive("block_actions", payload)[0]

    def _pick(
        self, blocks: list[JSON], action_id: str, block_id: str | None, value: Any, selected: Any
    ) -> tuple[JSON, JSON, JSON]:
        found = blockkit.find_element(blocks, action_id, block_id)
        if found is None:
            available = [el.get("action_id") for _, el in blockkit.iter_elements(blocks)]
            raise LocalSlackError(f"no element with action_id {action_id!r}; there are {available}")
        block, element = found
        try:
            if element.get("type") == "button":
                state = blockkit.state_value(element, value)
            else:
                state = blockkit.state_value(element, selected if selected is not None else value)
        except ValueError as exc:
            raise LocalSlackError(str(exc)) from None
        return block, element, state

    def _message_state(self, blocks: list[JSON]) -> dict[str, dict[str, JSON]]:
        values: dict[str, dict[str, JSON]] = {}
        for block, el in blockkit.iter_elements(blocks):
            if el.get("type") not in ("button", "overflow", "workflow_button"):
                values.setdefault(str(block["block_id"]), {})[str(el["action_id"])] = blockkit.initial_state(el)
        return values

    # ------------------------------------------------------------------ modals

    def _own_view(self, user: User, view_id: str) -> View:
        try:
            view = self.ws.view(view_id)
        except SlackError:
            raise LocalSlackError(f"no open view {view_id!r}") from None
        if view.user_id != user.id:
            raise LocalSlackError(f"view {view_id} belongs to {view.user_id}, not {user.id}")
        return view

    def _top_modal(self, user: User, view_id: str) -> View:
        view = self._own_view(user, view_id)
        stack = self.ws.modal_stack(user.id)
        if view.type != "modal" or not stack or stack[-1].id != view.id:
            raise LocalSlackError(f"view {view_id} is not the modal {user.id} has in front of them")
        return view

    def submit_view(
        self, user_id: str, view_id: str, values: Mapping[str, Mapping[str, Any]] | None = None
    ) -> httpx.Response:
        """``user_id`` fills in ``values`` (``{block_id: {action_id: value}}``) and presses Submit.

        Values are converted to Slack's ``state.values`` shapes by the element type in
        the stored view; untouched inputs keep their initial values. Raises
        :class:`ViewValidationError` where Slack's client would refuse to submit (a
        required input left empty, a text shorter than ``min_length``...).

        The bot's ack is applied: empty closes the modal; ``response_action`` ``errors``
        keeps it open with the errors (see ``LocalSlack.view_errors``), ``update``
        replaces it, ``push`` pushes a new one, ``clear`` closes the whole stack.
        """
        user = self._user(user_id)
        view = self._top_modal(user, view_id)
        if not view.definition.get("submit"):
            raise LocalSlackError(f"view {view_id} has no submit button")
        entered: dict[str, dict[str, JSON]] = {}
        for bid, actions in (values or {}).items():
            for aid, raw in actions.items():
                found = blockkit.find_element(view.blocks, aid, bid)
                if found is None:
                    raise LocalSlackError(f"view {view_id} has no element {bid}/{aid}")
                try:
                    entered.setdefault(bid, {})[aid] = blockkit.state_value(found[1], raw)
                except ValueError as exc:
                    raise LocalSlackError(str(exc)) from None
        self.ws.set_view_state(view.id, entered)
        self.ws.set_view_errors(view.id, {})  # a new submission clears the errors shown before
        view = self.ws.view(view.id)
        problems = _client_side_errors(view)
        if problems:
            raise ViewValidationError(problems)
        payload = self._base_interaction("view_submission", user)
        payload.update(
            {
                "trigger_id": self.ws.issue_trigger(user.id),
                "view": view.to_slack(full_state=True),
                "response_urls": self._view_response_urls(view, user),
            }
        )
        resp, in_time = self._interactive("view_submission", payload)
        if in_time:
            self._apply_view_ack(view, user, resp)
        return resp

    def _view_response_urls(self, view: View, user: User) -> list[JSON]:
        """response_urls for conversation pickers with ``response_url_enabled``."""
        urls: list[JSON] = []
        state = view.full_state()
        for block, el in blockkit.iter_elements(view.blocks):
            if block.get("type") != "input" or not el.get("response_url_enabled"):
                continue
            picked = state.get(str(block["block_id"]), {}).get(str(el["action_id"]), {})
            channel_id = picked.get("selected_conversation") or picked.get("selected_channel")
            if channel_id:
                urls.append(
                    {
                        "block_id": block["block_id"],
                        "action_id": el["action_id"],
                        "channel_id": channel_id,
                        "response_url": self._response_url(source="command", channel_id=channel_id, user_id=user.id),
                    }
                )
        return urls

    def _apply_view_ack(self, view: View, user: User, resp: httpx.Response) -> None:
        text = resp.text.strip()
        if not text:
            self.ws.close_modal(user.id, view.id)
            return
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._bad_view_ack(text, "the ack body is not a JSON object")
            return
        action = data.get("response_action")
        if action is None:
            self.ws.close_modal(user.id, view.id)
        elif action == "errors":
            errors = data.get("errors")
            inputs = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
            if not isinstance(errors, dict) or not errors:
                self._bad_view_ack(data, "errors must be a non-empty object of block_id: message")
            elif unknown := [k for k in errors if k not in inputs]:
                self._bad_view_ack(data, f"errors name blocks that are not input blocks of the view: {unknown}")
            elif bad := [k for k, v in errors.items() if not isinstance(v, str) or not v]:
                self._bad_view_ack(data, f"error messages must be non-empty strings: {bad}")
            else:
                self.ws.set_view_errors(view.id, errors)
        elif action in ("update", "push"):
            new = data.get("view")
            problems = blockkit.validate_view(new)
            if not problems and isinstance(new, dict) and new.get("type") != "modal":
                problems = ["[ERROR] must be modal [json-pointer:/view/type]"]
            if problems:
                self._bad_view_ack(data, *problems)
                return
            assert isinstance(new, dict)
            try:
                if action == "update":
                    self.ws.update_view(new, view_id=view.id)
                else:
                    self.ws.push_modal(user.id, new)
            except SlackError as exc:
                self._bad_view_ack(data, exc.error, *exc.messages)
        elif action == "clear":
            self.ws.close_modal(user.id, view.id, clear=True)
        else:
            self._bad_view_ack(data, f"unknown response_action {action!r}")

    def _bad_view_ack(self, body: Any, *detail: str) -> None:
        # Slack shows "We had some trouble connecting" in the modal; the app gets nothing.
        params = body if isinstance(body, dict) else {"body": body}
        self.ws.record_error(Problem("view_submission", "invalid_response_action", detail, params))

    def close_view(self, user_id: str, view_id: str) -> httpx.Response | None:
        """``user_id`` closes the modal (Cancel / X). Returns the bot's answer to
        ``view_closed`` if the view asked for ``notify_on_close``, else None."""
        user = self._user(user_id)
        view = self._top_modal(user, view_id)
        clear = bool(view.definition.get("clear_on_close"))
        closed = self.ws.close_modal(user.id, view.id, clear=clear)
        if not view.definition.get("notify_on_close"):
            return None
        payload = self._base_interaction("view_closed", user)
        payload.update({"view": closed[-1].to_slack(full_state=True), "is_cleared": clear})
        return self._interactive("view_closed", payload)[0]


def _client_side_errors(view: View) -> dict[str, str]:
    """What Slack's client refuses before sending a view_submission."""
    errors: dict[str, str] = {}
    state = view.full_state()
    for block in view.blocks:
        if block.get("type") != "input":
            continue
        el = block.get("element") or {}
        bid, aid = str(block.get("block_id")), str(el.get("action_id"))
        value = state.get(bid, {}).get(aid, {"type": el.get("type")})
        if blockkit.is_empty(value):
            if not block.get("optional"):
                errors[bid] = "Please complete this required field."
            continue
        kind = el.get("type")
        text = value.get("value")
        if kind == "plain_text_input" and isinstance(text, str):
            if "min_length" in el and len(text) < el["min_length"]:
                errors[bid] = f"Please use at least {el['min_length']} characters."
            elif "max_length" in el and len(text) > el["max_length"]:
                errors[bid] = f"Please use no more than {el['max_length']} characters."
        elif kind == "number_input" and isinstance(text, str):
            try:
                number = float(text) if el.get("is_decimal_allowed") else int(text)
            except ValueError:
                errors[bid] = "Please enter a valid number."
                continue
            if "min_value" in el and number < float(el["min_value"]):
                errors[bid] = f"Please enter a number of at least {el['min_value']}."
            elif "max_value" in el and number > float(el["max_value"]):
                errors[bid] = f"Please enter a number no greater than {el['max_value']}."
        elif kind == "email_text_input" and isinstance(text, str) and "@" not in text:
            errors[bid] = "Please enter a valid email address."
        elif kind == "url_text_input" and isinstance(text, str) and not text.startswith(("http://", "https://")):
            errors[bid] = "Please enter a valid URL."
    return errors
