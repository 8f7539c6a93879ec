"""What a failed Web API call says: Slack's error, whether another attempt may
succeed, and whether the call may have taken effect although it failed (its
answer was lost). Pure: used by the outbox (bot.notify) and the case desk."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

# Slack answers that refuse nothing for good: the same call may succeed later.
_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                        "request_timeout"})
# Of those, the ones Slack may give after it acted: chat.postMessage's internal_error "It's possible
# some aspect of the operation succeeded before the error was raised"
# (https://docs.slack.dev/reference/methods/chat.postMessage#errors).
_MAYBE_DONE = frozenset({"internal_error", "fatal_error", "request_timeout"})


def answer_of(e: SlackApiError) -> tuple[int, str]:
    """(HTTP status, Slack's error) of a failed call; a 5xx without Slack's JSON is `http_5xx`."""
    r = e.response
    status = int(getattr(r, "status_code", 0) or 0)
    error = r.get("error") if hasattr(r, "get") else None
    if status >= 500 and (not error or " " in str(error)):
        error = f"http_{status}"
    return status, str(error or "unknown")


def transient(status: int, error: str) -> bool:
    """Another attempt may succeed: a 429, a 5xx, or one of Slack's transient errors."""
    return status == 429 or status >= 500 or error in _TRANSIENT


def lost_answer(status: int, error: str) -> bool:
    """The call may have taken effect although it failed (a 5xx, or Slack saying it may have)."""
    return status >= 500 or error in _MAYBE_DONE
