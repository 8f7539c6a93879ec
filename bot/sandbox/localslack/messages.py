"""Channel messages, ephemeral messages and reactions of the workspace."""

from __future__ import annotations

import copy
import uuid

from . import elements
from .core import WorkspaceCore
from .model import JSON, Ephemeral, Message, SlackError


class MessagesMixin(WorkspaceCore):
    """Messages (threads, edits, tombstones), ephemerals and reactions."""

    # ------------------------------------------------------------------ messages

    def post_message(
        self,
        channel_id: str,
        *,
        user_id: str,
        text: str,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        metadata: JSON | None = None,
    ) -> Message:
        """Store a message from ``user_id`` (the bot or a person) and return it.

        ``blocks`` must already be valid; they are stored in normalised form.
        A ``thread_ts`` naming a reply is moved to that reply's parent, as Slack does.
        """
        with self._lock:
            channel = self.channel(channel_id)
            author = self.user(user_id)
            parent: Message | None = None
            if thread_ts is not None:
                parent = self._messages[channel.id].get(thread_ts)
                if parent is None:
                    raise SlackError("thread_not_found")
                if parent.is_reply:
                    parent = self._messages[channel.id][str(parent.thread_ts)]
            is_bot = user_id == self.bot_user_id
            message = Message(
                channel=channel.id,
                ts=self.next_ts(),
                user=user_id,
                team=author.team_id,
                text=text,
                blocks=elements.normalise_blocks(blocks),
                attachments=copy.deepcopy(attachments or []),
                bot_id=self.bot_id if is_bot else None,
                app_id=self.app_id if is_bot else None,
                bot_profile=copy.deepcopy(self.bot_profile) if is_bot else None,
                client_msg_id=None if is_bot else str(uuid.uuid4()),
                metadata=copy.deepcopy(metadata),
                reply_broadcast=reply_broadcast,
            )
            if parent is not None:
                message.thread_ts = parent.ts
                message.parent_user_id = parent.user
                parent.thread_ts = parent.ts
                parent.replies.append((message.ts, user_id))
            self._messages[channel.id][message.ts] = message
            self._changed("message", channel_id=channel.id, ts=message.ts)
            return message

    def message(self, channel_id: str, ts: str) -> Message:
        """The message, or SlackError(message_not_found)."""
        with self._lock:
            message = self._messages.get(channel_id, {}).get(ts)
            if message is None:
                raise SlackError("message_not_found")
            return message

    def messages(self, channel_id: str) -> list[Message]:
        """All messages of a channel, replies included, oldest first."""
        with self._lock:
            self.channel(channel_id)
            return sorted(self._messages[channel_id].values(), key=lambda m: _ts_key(m.ts))

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """A thread's parent followed by its replies."""
        with self._lock:
            parent = self.message(channel_id, ts)
            root = self.message(channel_id, str(parent.thread_ts)) if parent.is_reply else parent
            return [root] + [self._messages[channel_id][r] for r, _ in root.replies]

    def update_message(
        self,
        channel_id: str,
        ts: str,
        *,
        by_user: str,
        text: str | None = None,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        mark_edited: bool = True,
    ) -> Message:
        """Replace text/blocks/attachments; a ``None`` argument keeps what was there."""
        with self._lock:
            message = self.message(channel_id, ts)
            if message.subtype == "tombstone":
                raise SlackError("message_not_found")
            if message.user != by_user:
                raise SlackError("cant_update_message")
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = elements.normalise_blocks(blocks)
            if attachments is not None:
                message.attachments = copy.deepcopy(attachments)
            if mark_edited:
                message.edited = {"user": by_user, "ts": self.next_ts()}
            self._changed("message_changed", channel_id=channel_id, ts=ts)
            return message

    def delete_message(self, channel_id: str, ts: str, *, by_user: str | None) -> None:
        """Delete a message (``by_user=None``: Slack itself, e.g. delete_original).

        A parent with replies stays as a ``tombstone``, as in Slack.
        """
        with self._lock:
            message = self.message(channel_id, ts)
            if by_user is not None and message.user != by_user:
                raise SlackError("cant_delete_message")
            store = self._messages[channel_id]
            if message.replies:
                message.subtype = "tombstone"
                message.text = "This message was deleted."
                message.blocks, message.attachments, message.reactions = [], [], {}
            else:
                del store[ts]
                if message.is_reply:
                    parent = store.get(str(message.thread_ts))
                    if parent is not None:
                        parent.replies = [(r, u) for r, u in parent.replies if r != ts]
                        if not parent.replies and parent.subtype == "tombstone":
                            del store[parent.ts]
            self._changed("message_deleted", channel_id=channel_id, ts=ts)

    # ------------------------------------------------------------------ ephemeral messages

    def post_ephemeral(
        self,
        channel_id: str,
        recipient: str,
        *,
        text: str,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
    ) -> Ephemeral:
        with self._lock:
            channel = self.channel(channel_id)
            self.user(recipient)
            eph = Ephemeral(
                channel=channel.id,
                ts=self.next_ts(),
                recipient=recipient,
                user=self.bot_user_id,
                text=text,
                blocks=elements.normalise_blocks(blocks),
                attachments=copy.deepcopy(attachments or []),
                bot_id=self.bot_id,
                app_id=self.app_id,
                thread_ts=thread_ts,
            )
            self._ephemerals.setdefault(channel.id, []).append(eph)
            self._changed("ephemeral", channel_id=channel.id, ts=eph.ts, user_id=recipient)
            return eph

    def ephemeral(self, channel_id: str, ts: str, recipient: str | None = None) -> Ephemeral:
        with self._lock:
            for eph in self._ephemerals.get(channel_id, []):
                if eph.ts == ts and (recipient is None or eph.recipient == recipient):
                    return eph
            raise SlackError("message_not_found")

    def ephemerals(self, channel_id: str, recipient: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return [e for e in self._ephemerals.get(channel_id, []) if recipient is None or e.recipient == recipient]

    def replace_ephemeral(
        self, channel_id: str, ts: str, *, text: str, blocks: list[JSON] | None, attachments: list[JSON] | None
    ) -> Ephemeral:
        with self._lock:
            eph = self.ephemeral(channel_id, ts)
            eph.text = text
            eph.blocks = elements.normalise_blocks(blocks)
            eph.attachments = copy.deepcopy(attachments or [])
            self._changed("ephemeral_changed", channel_id=channel_id, ts=ts, user_id=eph.recipient)
            return eph

    def delete_ephemeral(self, channel_id: str, ts: str) -> None:
        with self._lock:
            eph = self.ephemeral(channel_id, ts)
            self._ephemerals[channel_id].remove(eph)
            self._changed("ephemeral_deleted", channel_id=channel_id, ts=ts, user_id=eph.recipient)

    # ------------------------------------------------------------------ reactions

    def add_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> Message:
        with self._lock:
            message = self.message(channel_id, ts)
            users = message.reactions.setdefault(name, [])
            if user_id in users:
                raise SlackError("already_reacted")
            users.append(user_id)
            self._changed("reaction_added", channel_id=channel_id, ts=ts, user_id=user_id, name=name)
            return message

    def remove_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> Message:
        with self._lock:
            message = self.message(channel_id, ts)
            users = message.reactions.get(name, [])
            if user_id not in users:
                raise SlackError("no_reaction")
            users.remove(user_id)
            if not users:
                del message.reactions[name]
            self._changed("reaction_removed", channel_id=channel_id, ts=ts, user_id=user_id, name=name)
            return message


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
