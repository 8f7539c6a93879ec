"""What the bot knows of Slack channels: whether one is internal to this
organisation or shared with another (Slack Connect)."""

from __future__ import annotations

from typing import Optional

from slack_sdk.errors import SlackApiError

from bot import fmt
from bot.errors import BadInput, NotAllowed


def ensure_internal_channel(client, channel_id: str) -> Optional[dict]:
    """Internal content never goes to a channel shared with another organisation.
    Checked at send time: a channel can become shared after registration. Returns
    what conversations.info said of it (None for a DM)."""
    if channel_id.startswith("D"):
        return None
    info = client.conversations_info(channel=channel_id)["channel"]
    if info.get("is_ext_shared") or info.get("is_pending_ext_shared"):
        raise NotAllowed(
            f"{fmt.channel(channel_id)} is shared with another organisation (Slack Connect), so internal "
            "project details are not posted there. Keep the project in a channel only your "
            "organisation is in: if this channel was shared by mistake, stop sharing it."
        )
    return info


def ensure_shared_channel(client, channel_id: str) -> None:
    """The biller's channel must be shared with their organisation (Slack Connect): an internal
    channel would send the handoff to no one outside, and let internal readers think it was."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as e:
        raise BadInput(f"I cannot see {fmt.channel(channel_id)} (`{e.response.get('error')}`): invite me there first, "
                       "or name the biller's shared channel.") from None
    if not (info.get("is_ext_shared") or info.get("is_pending_ext_shared")):
        raise BadInput(f"{fmt.channel(channel_id)} is not shared with another organisation. `shared=` is the Slack "
                       "Connect channel you share with the biller.")
