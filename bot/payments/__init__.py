"""The payments source: the client of payments-api.yaml, the streaming
aggregation into DaySummary numbers, and the simulated Biller Portal.

The simulator's names are imported on first use (PEP 562), so importing the
client does not load the web stack, and `python -m bot.payments.simulator`
runs without the double-import warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .aggregate import DayAggregator, day_window, summarize_day
from .client import (
    BillerNotFound,
    PaymentsAuthError,
    PaymentsBadRequest,
    PaymentsClient,
    PaymentsError,
    PaymentsUnavailable,
    rfc3339,
)

if TYPE_CHECKING:
    from .simulator import BillerProfile, Simulator, SimulatorError, profile_for

_SIMULATOR_NAMES = frozenset({"BillerProfile", "Simulator", "SimulatorError", "profile_for"})


def __getattr__(name: str) -> Any:
    if name in _SIMULATOR_NAMES:
        from . import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BillerNotFound",
    "BillerProfile",
    "DayAggregator",
    "PaymentsAuthError",
    "PaymentsBadRequest",
    "PaymentsClient",
    "PaymentsError",
    "PaymentsUnavailable",
    "Simulator",
    "SimulatorError",
    "day_window",
    "profile_for",
    "rfc3339",
    "summarize_day",
]
