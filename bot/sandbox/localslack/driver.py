"""Slack's side of the conversation: what people do, delivered to the bot as Slack does.

Every request goes to ``bot_url`` signed exactly as Slack signs (``v0=`` HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret). Slash commands are form-encoded,
interactivity is a form with one ``payload`` field holding JSON, events are JSON.
With ``socket_mode`` on, each goes instead as a Socket Mode envelope on one of the
app's WebSocket connections (:mod:`.socketmode`), and its ack stands for the answer.

Each delivery is recorded (``Workspace.deliveries``) with the bot's status and response
time. A non-200 answer is recorded as a ``dispatch_failed`` error and an answer slower
than Slack's 3 seconds as ``operation_timeout`` -- in that case Slack ignores what the
bot answered, and so does the driver.

Layers: :mod:`.delivery` (signing, transport, shared payload pieces),
:mod:`.interactions` (commands, shortcuts, clicks, modals) and :mod:`.events` (Events
API deliveries); :class:`Driver` combines them.
"""

from __future__ import annotations

# The ``X as X`` imports are re-exports: importable from here, as before the split.
from .delivery import DEFAULT_SUBSCRIPTIONS
from .delivery import FORM as FORM
from .delivery import SLACK_USER_AGENT as SLACK_USER_AGENT
from .events import EventsMixin
from .interactions import InteractionsMixin
from .state import JSON as JSON
from .state import ViewValidationError


class Driver(InteractionsMixin, EventsMixin):
    """Acts as Slack towards the bot (the HTTP app at ``bot_url``)."""


__all__ = ["DEFAULT_SUBSCRIPTIONS", "Driver", "ViewValidationError"]
