"""What the bot knows of Slack channels: whether one is internal to this
organisation or shared with another (Slack Connect)."""

from __future__ import annotations

from bot import fmt

from bot.errors import NotAllowed


def ensure_internal_channel(client, channel_id: str) -> None:
    """Internal content never goes to a channel shared with another organisation.
    Checked at send time: a channel can become shared after registration."""
    if channel_id.startswith("D"):
        return
    info = client.conversations_info(channel=channel_id)["channel"]
    if info.get("is_ext_shared") or info.get("is_pending_ext_shared"):
        raise NotAllowed(
            f"{fmt.channel(channel_id)} is shared with another organisation (Slack Connect), so internal "
            "project details are not posted there. Keep the project in a channel only your "
            "organisation is in: if this channel was shared by mistake, stop sharing it."
        )
