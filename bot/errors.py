"""Domain errors. One error handler (bot/app.py) turns them into words for the user."""

from __future__ import annotations

from typing import Optional


class DomainError(Exception):
    """An expected refusal: shown to the user, nothing changed."""

    def __init__(self, message: str, usage: Optional[str] = None):
        # str(error) (logs, tests) reads the bot's own mentions as Slack writes
        # them; `message` keeps them as tokens for bot.views.blocks.render.
        super().__init__(message.replace("\ue000", "<").replace("\ue001", ">"))
        self.message = message
        self.usage = usage

    def text(self) -> str:
        if self.usage:
            return f"{self.message}\nUsage: `{self.usage}`"
        return self.message


class BadInput(DomainError):
    """The text or form was wrong; `usage` shows the right form."""


class NotAllowed(DomainError):
    """This person may not do this."""


class ProjectLocked(DomainError):
    """The project is complete and archived; nothing can change."""

    def __init__(self, message: str = ("This project is complete and archived; it can no longer be changed. "
                                       "What can still be done: `/addon report` shows its closing report, and an "
                                       "issue found after completion goes to Client Services directly, through "
                                       "the phone, email or portal in the handoff message.")):
        super().__init__(message)


class NotFound(DomainError):
    """No such project, item or step."""


class Conflict(DomainError):
    """Someone else changed it first, or it is not in a state that allows this."""


class Unavailable(DomainError):
    """A part the command needs is not available (yet, or right now)."""
