"""Which days a channel is expected to be open: public holidays and learned closures.

A project has a public-holiday calendar (`calendar=` on the project, else
`DEFAULT_CALENDAR`): an ISO country code, optionally with a subdivision
(`US`, `US-MA`, `CA-ON`), read from the `holidays` package, and its own closed
dates (`closed=12-24,12-31`: every year, or `2026-11-27` once). On top of it
the checks learn, from the context's own days, the weekdays on which the
channel is closed (ACH, AutoPay and counter channels close on weekends) and
the past dates on which every channel of the biller was closed (a closure the
calendar does not know, when the add-on has a channel of its own).

Kinds of day the checks distinguish (`DayCal.kind`):

    open     an ordinary day: judged, and part of every baseline
    closed   a weekday on which the channel has (essentially) never had payments,
             one of the biller's closed dates, a past date on which all channels
             were closed, or a public holiday on a channel that closes on weekends: never a
             zero day nor a low day; its factor in the weekly rhythm is 0
    holiday  a public holiday on a channel that stays open: payments are
             unusual (lower, or zero), so it is neither a zero day nor a low
             day, and it stays out of baselines and the weekly rhythm
    eve      the day before or after a public holiday (the Friday after
             Thanksgiving, Christmas Eve, 2 January): judged for zero runs,
             but not a "low" day for the soft checks, and out of baselines
    unseen   a Saturday or Sunday with no history yet (where channels that close,
             close): a zero there is judged softly, it neither starts nor breaks
             a zero run on its own, and it is not a low day
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Optional

import holidays

# A weekday is closed when the median of its seen days (holidays left out) is
# at most this share of the median open day; one outage on a weekday that is
# otherwise busy does not close it. A weekend day is learned closed from one
# such day, a weekday (Monday-Friday) from two: weekdays close only on holidays.
CLOSED_SHARE = 0.05
MIN_SEEN_WEEKDAY = 2
WEEKEND = (5, 6)


def parse_calendar(value: str) -> str:
    """The canonical calendar code ('US', 'US-MA'); ValueError with a plain reason otherwise."""
    code = (value or "").strip().upper().replace("_", "-")
    country, _, sub = code.partition("-")
    if not (len(country) == 2 and country.isalpha()) or (sub and not sub.replace("-", "").isalnum()):
        raise ValueError(f"a calendar is an ISO country code, optionally with a subdivision (US, US-MA, CA-ON); "
                         f"got `{value}`")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"no public-holiday calendar for country `{country}`; use an ISO code such as US, CA, GB")
    if sub and sub not in supported[country]:
        some = ", ".join(f"{country}-{s}" for s in supported[country][:6])
        raise ValueError(f"{country} has no subdivision `{sub}` in the holiday calendar"
                         + (f"; e.g. {some}" if some else "; use the country code alone"))
    return f"{country}-{sub}" if sub else country


MAX_CLOSED_DATES = 24


def parse_closed_dates(value: str) -> str:
    """Closed dates as given (`12-24, 12-31, 2026-11-27`: MM-DD every year, YYYY-MM-DD once), canonical:
    sorted, unique, comma-separated. ValueError with a plain reason otherwise."""
    items = [x.strip() for x in (value or "").replace(";", ",").split(",") if x.strip()]
    if not items:
        raise ValueError("give dates as MM-DD (every year) or YYYY-MM-DD (once), separated by commas")
    if len(items) > MAX_CLOSED_DATES:
        raise ValueError(f"at most {MAX_CLOSED_DATES} dates; got {len(items)}")
    out = set()
    for x in items:
        try:
            if len(x) == 5 and x[2] == "-":
                date.fromisoformat(f"2000-{x}")  # a leap year: 02-29 is a date some years
            elif len(x) == 10:
                date.fromisoformat(x)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"`{x}` is not a date as MM-DD or YYYY-MM-DD") from None
        out.add(x)
    return ",".join(sorted(out))


def closed_on(dates: frozenset[str], d: date) -> bool:
    """Whether d is one of the closed dates (canonical strings of parse_closed_dates)."""
    return bool(dates) and (d.isoformat() in dates or d.isoformat()[5:] in dates)


@lru_cache(maxsize=256)
def _holidays(code: str, year: int) -> frozenset[date]:
    if not code:
        return frozenset()
    country, _, sub = code.partition("-")
    try:
        return frozenset(holidays.country_holidays(country, subdiv=sub or None, years=year))
    except (NotImplementedError, KeyError, ValueError):
        return frozenset()


def is_holiday(code: str, d: date) -> bool:
    return d in _holidays(code, d.year)


def holiday_name(code: str, d: date) -> Optional[str]:
    """The holiday's name, for messages."""
    if not is_holiday(code, d):
        return None
    country, _, sub = code.partition("-")
    try:
        return holidays.country_holidays(country, subdiv=sub or None, years=d.year).get(d)
    except (NotImplementedError, KeyError, ValueError):
        return None


def _median(xs: list[float]) -> float:
    v = sorted(xs)
    m = len(v) // 2
    return float(v[m]) if len(v) % 2 else (v[m - 1] + v[m]) / 2.0


def closed_weekdays(code: str, series: Iterable[tuple[date, float]]) -> tuple[frozenset[int], tuple[int, ...]]:
    """Weekdays on which a count series is (essentially) closed, and how many days of each were seen.

    Holidays are left out: a closed Monday holiday says nothing about Mondays.
    """
    by_wd: list[list[float]] = [[] for _ in range(7)]
    for d, c in series:
        if not is_holiday(code, d):
            by_wd[d.weekday()].append(c)
    seen = tuple(len(v) for v in by_wd)
    meds = [_median(v) for v in by_wd if v]
    if not meds:
        return frozenset(), seen
    typical = max(meds)
    if typical <= 0:
        return frozenset(), seen  # nothing at all: an outage or a new channel, not a closure
    closed = frozenset(w for w in range(7) if len(by_wd[w]) >= (1 if w in WEEKEND else MIN_SEEN_WEEKDAY)
                       and _median(by_wd[w]) <= CLOSED_SHARE * typical)
    return closed, seen


@dataclass(frozen=True)
class DayCal:
    """The calendar as the checks see it for one judged day."""

    code: str
    closed: frozenset[int]  # weekdays the channel is closed
    seen: tuple[int, ...]  # days seen per weekday (the channel's own or the all-channel history)
    dates: frozenset[str] = frozenset()  # the biller's own closed dates ("12-24", "2026-11-27")
    learned: frozenset[date] = frozenset()  # past dates on which every channel was (essentially) closed

    @property
    def closes(self) -> bool:
        """A channel that closes on some weekdays also closes on public holidays."""
        return bool(self.closed)

    def kind(self, d: date) -> str:
        if d.weekday() in self.closed or d in self.learned or closed_on(self.dates, d):
            return "closed"
        if is_holiday(self.code, d):
            return "closed" if self.closes else "holiday"
        if self.seen[d.weekday()] == 0 and d.weekday() in WEEKEND:
            return "unseen"
        if is_holiday(self.code, d - timedelta(days=1)) or is_holiday(self.code, d + timedelta(days=1)):
            return "eve"
        return "open"

    def expected_closed(self, d: date) -> bool:
        return self.kind(d) == "closed"

    def soft_zero(self, d: date) -> bool:
        """A zero on d neither starts nor breaks a zero run (closed, holiday, unseen weekday)."""
        return self.kind(d) in ("closed", "holiday", "unseen")

    def ordinary(self, d: date) -> bool:
        """d may be a low day and may inform a baseline: an open day of a weekday seen before."""
        return self.kind(d) == "open"
