"""The payments source: the client of payments-api.yaml, the streaming
aggregation into DaySummary numbers, and the simulated Biller Portal."""

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
from .simulator import BillerProfile, Simulator, SimulatorError, profile_for

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
