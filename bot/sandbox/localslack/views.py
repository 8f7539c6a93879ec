"""Modals, App Home views and the tokens that come with interactions.

A trigger_id (needed for views.open/views.push) is short-lived and single-use; a
response_url allows five uses within 30 minutes. Modals stack up to three deep.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping

from . import elements
from .core import WorkspaceCore
from .model import (
    JSON,
    MAX_VIEW_STACK,
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL_SECONDS,
    TRIGGER_TTL_SECONDS,
    ResponseUrl,
    SlackError,
    Trigger,
    View,
)


class ViewsMixin(WorkspaceCore):
    """Triggers, modal stacks and App Home views, and response_urls."""

    # ------------------------------------------------------------------ triggers

    def issue_trigger(self, user_id: str) -> str:
        with self._lock:
            trigger_id = (
                f"{int(self.now())}{next(self._ids):04d}.{secrets.randbelow(10**12):012d}.{secrets.token_hex(16)}"
            )
            self._triggers[trigger_id] = Trigger(trigger_id, user_id, self.now())
            return trigger_id

    def exchange_trigger(self, trigger_id: str | None) -> str:
        """Use a trigger_id for views.open/views.push; returns the user it was issued to."""
        with self._lock:
            trigger = self._triggers.get(trigger_id or "")
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger.exchanged:
                raise SlackError("exchanged_trigger_id")
            if self.now() - trigger.issued_at > TRIGGER_TTL_SECONDS:
                raise SlackError("expired_trigger_id")
            trigger.exchanged = True
            return trigger.user_id

    # ------------------------------------------------------------------ views

    def _new_hash(self) -> str:
        return f"{int(self.now())}.{secrets.token_hex(4)}"

    def _make_view(self, user_id: str, definition: JSON, kind: str) -> View:
        normalised = copy.deepcopy(definition)
        normalised["blocks"] = elements.normalise_blocks(definition.get("blocks"))
        for key in ("title", "submit", "close"):
            if isinstance(normalised.get(key), dict):
                normalised[key].setdefault("emoji", True)
        return View(
            id=self.new_id("V"),
            type=kind,
            user_id=user_id,
            team_id=self.internal_team.id,
            app_id=self.app_id,
            bot_id=self.bot_id,
            definition=normalised,
            hash=self._new_hash(),
        )

    def _check_external_id(self, definition: JSON, except_view: str | None = None) -> None:
        external_id = definition.get("external_id")
        if not external_id:
            return
        for view in self._views.values():
            if view.open and view.id != except_view and view.definition.get("external_id") == external_id:
                raise SlackError("duplicate_external_id")

    def view(self, view_id: str) -> View:
        with self._lock:
            view = self._views.get(view_id)
            if view is None or not view.open:
                raise SlackError("not_found")
            return view

    def modal_stack(self, user_id: str) -> list[View]:
        with self._lock:
            return [self._views[v] for v in self._stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> View | None:
        with self._lock:
            view_id = self._homes.get(user_id)
            return self._views[view_id] if view_id else None

    def open_modal(self, user_id: str, definition: JSON) -> View:
        """A new root modal for ``user_id``; an open stack is replaced."""
        with self._lock:
            self._check_external_id(definition)
            for old in self._stacks.pop(user_id, []):
                self._views[old].open = False
            view = self._make_view(user_id, definition, "modal")
            view.root_view_id = view.id
            self._views[view.id] = view
            self._stacks[user_id] = [view.id]
            self._changed("view_opened", user_id=user_id, view_id=view.id)
            return view

    def push_modal(self, user_id: str, definition: JSON) -> View:
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if not stack:
                raise SlackError("not_found")
            if len(stack) >= MAX_VIEW_STACK:
                raise SlackError("push_limit_reached")
            self._check_external_id(definition)
            view = self._make_view(user_id, definition, "modal")
            view.root_view_id = stack[0]
            view.previous_view_id = stack[-1]
            self._views[view.id] = view
            stack.append(view.id)
            self._changed("view_pushed", user_id=user_id, view_id=view.id)
            return view

    def update_view(
        self,
        definition: JSON,
        *,
        view_id: str | None = None,
        external_id: str | None = None,
        hash: str | None = None,
    ) -> View:
        """Replace a view's content; what people entered survives where block_id/action_id do."""
        with self._lock:
            found: View | None
            if view_id:
                found = self.view(view_id)
            else:
                found = next(
                    (v for v in self._views.values() if v.open and v.definition.get("external_id") == external_id),
                    None,
                )
            if found is None:
                raise SlackError("not_found")
            view = found
            if hash is not None and hash != view.hash:
                raise SlackError("hash_conflict")
            if definition.get("type") != view.type:
                raise SlackError("invalid_arguments", [f"[ERROR] cannot change a {view.type} view's type"])
            self._check_external_id(definition, except_view=view.id)
            fresh = self._make_view(view.user_id, definition, view.type)
            view.definition = fresh.definition
            view.hash = fresh.hash
            view.errors = {}
            present = {
                (str(b.get("block_id")), str(e.get("action_id"))) for b, e in elements.iter_elements(view.blocks)
            }
            view.state_values = {
                bid: kept
                for bid, actions in view.state_values.items()
                if (kept := {aid: v for aid, v in actions.items() if (bid, aid) in present})
            }
            self._changed("view_updated", user_id=view.user_id, view_id=view.id)
            return view

    def publish_home(self, user_id: str, definition: JSON, *, hash: str | None = None) -> View:
        with self._lock:
            self.user(user_id)
            current = self.home_view(user_id)
            if current is not None:
                if hash is not None and hash != current.hash:
                    raise SlackError("hash_conflict")
                return self.update_view(definition, view_id=current.id)
            view = self._make_view(user_id, definition, "home")
            self._views[view.id] = view
            self._homes[user_id] = view.id
            self._changed("home_published", user_id=user_id, view_id=view.id)
            return view

    def set_view_state(self, view_id: str, values: Mapping[str, Mapping[str, JSON]]) -> None:
        """Record what a person entered (``state.values`` shape)."""
        with self._lock:
            view = self.view(view_id)
            for bid, actions in values.items():
                view.state_values.setdefault(bid, {}).update(copy.deepcopy(dict(actions)))
            self._changed("view_state", user_id=view.user_id, view_id=view_id)

    def set_view_errors(self, view_id: str, errors: Mapping[str, str]) -> None:
        with self._lock:
            view = self.view(view_id)
            view.errors = dict(errors)
            self._changed("view_errors", user_id=view.user_id, view_id=view_id)

    def close_modal(self, user_id: str, view_id: str, *, clear: bool = False) -> list[View]:
        """Close ``view_id`` (top of the stack) or, with ``clear``, the whole stack."""
        with self._lock:
            stack = self._stacks.get(user_id, [])
            if view_id not in stack:
                raise SlackError("not_found")
            closing = stack[:] if clear else stack[stack.index(view_id) :]
            for vid in closing:
                self._views[vid].open = False
                stack.remove(vid)
            if not stack:
                self._stacks.pop(user_id, None)
            self._changed("view_closed", user_id=user_id, view_id=view_id)
            return [self._views[v] for v in closing]

    # ------------------------------------------------------------------ response_url

    def issue_response_url(
        self,
        *,
        source: str,
        channel_id: str,
        user_id: str,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        thread_ts: str | None = None,
    ) -> str:
        """A new response_url token (the HTTP layer turns it into a URL)."""
        with self._lock:
            token = f"{self.internal_team.id}/{next(self._ids)}/{secrets.token_urlsafe(18)}"
            self._response_urls[token] = ResponseUrl(
                token=token,
                source=source,
                channel_id=channel_id,
                user_id=user_id,
                issued_at=self.now(),
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
                thread_ts=thread_ts,
            )
            return token

    def use_response_url(self, token: str) -> ResponseUrl:
        """Count one use; Slack allows 5 uses within 30 minutes."""
        with self._lock:
            ru = self._response_urls.get(token)
            if ru is None:
                raise SlackError("invalid_url")
            if self.now() - ru.issued_at > RESPONSE_URL_TTL_SECONDS:
                raise SlackError("expired_url")
            if ru.uses >= RESPONSE_URL_MAX_USES:
                raise SlackError("used_url")
            ru.uses += 1
            return ru
