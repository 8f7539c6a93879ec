"""In-memory, thread-safe model of one Slack workspace as a single app sees it.

Nothing here knows about HTTP: the Web API (``webapi.py``), the delivery driver
(``driver.py``) and a future browser UI all act on a :class:`Workspace` through its
methods, which take its lock. Domain refusals are raised as :class:`SlackError` with
Slack's error code; misuse by the caller (a test naming a user that does not exist, a
click on a message with no such button) raises :class:`LocalSlackError`.

Every change notifies :attr:`Workspace.changed` (a ``threading.Condition``) and the
listeners registered with :meth:`Workspace.subscribe`, so tests can wait for the bot's
asynchronous effects and a UI can push updates.

The model is split by concern: :mod:`.model` (the records and errors), :mod:`.core`
(lock, clock, records, directory, waiting), :mod:`.messages` (messages, ephemerals,
reactions) and :mod:`.views` (triggers, modals, App Home, response_urls). Every name
below is importable from here, as before the split.
"""

from __future__ import annotations

from .messages import MessagesMixin
from .model import (
    EXTERNAL_TEAM_ID,
    INTERNAL_TEAM_ID,
    JSON,
    MAX_VIEW_STACK,
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL_SECONDS,
    TRIGGER_TTL_SECONDS,
    Channel,
    Delivery,
    Ephemeral,
    Listener,
    LocalSlackError,
    Message,
    Problem,
    ResponseUrl,
    SlackError,
    Team,
    Trigger,
    User,
    View,
    ViewValidationError,
)
from .views import ViewsMixin


class Workspace(MessagesMixin, ViewsMixin):
    """The whole workspace. All public methods are safe to call from any thread."""


__all__ = [
    "EXTERNAL_TEAM_ID",
    "INTERNAL_TEAM_ID",
    "JSON",
    "MAX_VIEW_STACK",
    "RESPONSE_URL_MAX_USES",
    "RESPONSE_URL_TTL_SECONDS",
    "TRIGGER_TTL_SECONDS",
    "Channel",
    "Delivery",
    "Ephemeral",
    "Listener",
    "LocalSlackError",
    "Message",
    "Problem",
    "ResponseUrl",
    "SlackError",
    "Team",
    "Trigger",
    "User",
    "View",
    "ViewValidationError",
    "Workspace",
]
