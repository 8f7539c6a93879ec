"""Settings from the environment (and a `.env` file), per the interfaces page.

A missing or malformed setting stops start-up with one line naming the
variable and what it expected (`SettingsError`); nothing starts half-configured.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """One line: the variable and what it expected."""


SIMULATED = "simulated"  # PAYMENTS_API_URL / SCHEDULE_API_URL: the built-in simulated source
PAYMENTS_REQUIRED = (
    "PAYMENTS_API_URL: required: set it to the Biller Portal's payments API (https://…), "
    "or to `simulated` for generated demo data"
)
_CHANNEL_RE = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    SLACK_BOT_TOKEN: Optional[str] = None
    SLACK_SIGNING_SECRET: Optional[str] = None
    SLACK_APP_TOKEN: Optional[str] = None
    SLACK_API_URL: str = "https://slack.com/api/"
    DATABASE_URL: str = "sqlite:///./addon-bot.db"
    PAYMENTS_API_URL: Optional[str] = None
    PAYMENTS_API_TOKEN: Optional[str] = None
    CS_CASES_URL: Optional[str] = None
    SCHEDULE_API_URL: Optional[str] = None  # unset: no schedule source; `simulated`: the built-in one
    SCHEDULE_API_TOKEN: Optional[str] = None
    SCHEDULE_PERCENT_COLUMN: str = "% Complete"
    SCHEDULE_STATUS_FIELD: str = "Status"
    SCHEDULE_COMPLETE_VALUE: str = "Complete"
    CS_CASES_TOKEN: Optional[str] = None
    CS_CHANNEL: Optional[str] = None
    MANAGERS_CHANNEL: Optional[str] = None
    SUMMARY_TIME: str = "09:00"
    DEFAULT_TIMEZONE: str = "America/New_York"
    # Public holidays for projects that name no calendar= (ISO country code, optionally -SUBDIVISION).
    DEFAULT_CALENDAR: str = "US"
    DIGEST_TIME: str = "Mon 08:00"  # weekday and local time of the weekly digest, in each manager's zone
    # Nudges (bot/nudges): after how long each kind of reminder is due, and when the manager is told too.
    NUDGE_HANDOFF_DAYS: int = 3  # business days a sent handoff may wait for the biller's acknowledgement
    NUDGE_ITEM_DAYS: int = 5  # business days a post go-live item may stay open
    NUDGE_QUIET_DAYS: int = 14  # days of summaries without alerts after which Monitor may be done
    NUDGE_STALL_DAYS: int = 10  # business days without any change by a person
    NUDGE_ESCALATE_AFTER: int = 3  # days past a reminder's threshold after which the manager is told too
    NUDGE_HOURS: str = "09:00-17:00"  # working hours, in each project's time zone, on its business days
    CS_HANDOFF_FILE: Optional[Path] = None
    # The Biller Portal's search as a URL template ({biller_id}, optionally {date}); unset: alerts say the way there.
    BILLER_PORTAL_URL: Optional[str] = None
    # Comma-separated Slack user ids who may change any project.
    ADMIN_USERS: str = ""
    # Check thresholds: JSON object {"check_id.name": value}, see bot/checks.
    CHECK_THRESHOLDS: str = "{}"
    LOG_LEVEL: str = Field(default="INFO")

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token(cls, v):
        if v is not None and not v.startswith("xoxb-"):
            raise ValueError("expected a bot token starting with xoxb-")
        return v

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token(cls, v):
        if v is not None and v != "" and not v.startswith("xapp-"):
            raise ValueError("expected an app-level token starting with xapp-")
        return v or None

    @field_validator("SLACK_API_URL", "CS_CASES_URL")
    @classmethod
    def _url(cls, v):
        if v is None or v == "":
            return None if v == "" else v
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("expected an http:// or https:// URL")
        return v

    @field_validator("BILLER_PORTAL_URL")
    @classmethod
    def _portal(cls, v):
        if v is None or v.strip() == "":
            return None
        v = v.strip()
        if not re.match(r"^https?://[^\s/|<>]+[^\s|<>]*$", v):
            raise ValueError("expected an http:// or https:// URL template such as "
                             "https://portal.example/search?biller={biller_id}")
        names = set(re.findall(r"\{([^{}]*)\}", v))
        if "biller_id" not in names or names - {"biller_id", "date"}:
            raise ValueError("expected a URL template naming {biller_id} (and optionally {date}), "
                             "such as https://portal.example/search?biller={biller_id}")
        return v

    @field_validator("PAYMENTS_API_URL", "SCHEDULE_API_URL")
    @classmethod
    def _url_or_simulated(cls, v):
        if v is None or v.strip() == "":
            return None
        v = v.strip()
        if v == SIMULATED:
            return v
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"expected an http:// or https:// URL, or `{SIMULATED}`")
        return v

    @field_validator("SCHEDULE_PERCENT_COLUMN", "SCHEDULE_STATUS_FIELD", "SCHEDULE_COMPLETE_VALUE")
    @classmethod
    def _nonempty(cls, v):
        if not v.strip():
            raise ValueError("expected a column, field or value name, not an empty one")
        return v.strip()

    @field_validator("DATABASE_URL")
    @classmethod
    def _db(cls, v):
        if not (v.startswith("sqlite://") or v.startswith("postgresql")):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        if v.startswith("postgresql://") or v.startswith("postgres://"):
            v = "postgresql+psycopg://" + v.split("://", 1)[1]
        return v

    @field_validator("CS_CHANNEL", "MANAGERS_CHANNEL")
    @classmethod
    def _channel(cls, v):
        if v in (None, ""):
            return None
        if not _CHANNEL_RE.match(v):
            raise ValueError("expected a Slack channel id such as C0123ABCD")
        return v

    @field_validator("SUMMARY_TIME")
    @classmethod
    def _time(cls, v):
        m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", v.strip())
        if not m:
            raise ValueError("expected a local time HH:MM, such as 09:00")
        return f"{int(m.group(1)):02d}:{m.group(2)}"

    @field_validator("DIGEST_TIME")
    @classmethod
    def _digest_time(cls, v):
        m = re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+([01]?\d|2[0-3]):([0-5]\d)", v.strip(), re.I)
        if not m:
            raise ValueError("expected a weekday and a local time, such as Mon 08:00")
        return f"{m.group(1).capitalize()} {int(m.group(2)):02d}:{m.group(3)}"

    @field_validator("NUDGE_HANDOFF_DAYS", "NUDGE_ITEM_DAYS", "NUDGE_QUIET_DAYS", "NUDGE_STALL_DAYS",
                     mode="before")
    @classmethod
    def _nudge_days(cls, v):
        return _whole_days(v, 1)

    @field_validator("NUDGE_ESCALATE_AFTER", mode="before")
    @classmethod
    def _escalate_days(cls, v):
        return _whole_days(v, 0)

    @field_validator("NUDGE_HOURS")
    @classmethod
    def _nudge_hours(cls, v):
        from bot.nudges.rules import parse_hours  # settings load before the nudges are needed

        start, end = parse_hours(v)
        return f"{start:%H:%M}-{end:%H:%M}"

    @field_validator("DEFAULT_TIMEZONE")
    @classmethod
    def _tz(cls, v):
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as America/New_York")
        return v

    @field_validator("DEFAULT_CALENDAR")
    @classmethod
    def _calendar(cls, v):
        from bot.checks.calendar_days import parse_calendar  # settings load before the checks are needed

        return parse_calendar(v)

    @field_validator("CS_HANDOFF_FILE")
    @classmethod
    def _handoff(cls, v):
        if v is not None and not Path(v).is_file():
            raise ValueError("expected the path of a readable YAML file")
        return v

    @field_validator("ADMIN_USERS")
    @classmethod
    def _admins(cls, v):
        ids = [x.strip() for x in v.split(",") if x.strip()]
        for x in ids:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", x):
                raise ValueError("expected comma-separated Slack user ids such as U0123ABCD")
        return ",".join(ids)

    @field_validator("CHECK_THRESHOLDS")
    @classmethod
    def _thresholds(cls, v):
        import json

        try:
            d = json.loads(v or "{}")
        except json.JSONDecodeError:
            raise ValueError('expected a JSON object such as {"failure_rate.max_rate": 0.3}')
        if not isinstance(d, dict) or not all(isinstance(x, (int, float)) for x in d.values()):
            raise ValueError('expected a JSON object of numbers such as {"failure_rate.max_rate": 0.3}')
        return v

    # ---- derived -----------------------------------------------------------
    @property
    def summary_time(self) -> time:
        h, m = self.SUMMARY_TIME.split(":")
        return time(int(h), int(m))

    @property
    def nudge_hours(self) -> tuple[time, time]:
        a, b = self.NUDGE_HOURS.split("-")
        return time.fromisoformat(a), time.fromisoformat(b)

    @property
    def payments_simulated(self) -> bool:
        """Numbers come from the built-in simulator (`simulated`, or unset where allowed)."""
        return self.PAYMENTS_API_URL in (None, SIMULATED)

    @property
    def admin_users(self) -> frozenset[str]:
        return frozenset(x for x in self.ADMIN_USERS.split(",") if x)

    @property
    def check_thresholds(self) -> dict[str, float]:
        import json

        return json.loads(self.CHECK_THRESHOLDS or "{}")


def _whole_days(v, least: int) -> int:
    """A setting in days: a whole number of at least `least`, up to a year."""
    text = str(v).strip() if v is not None else ""
    if not re.fullmatch(r"\d{1,3}", text) or not least <= int(text) <= 365:
        raise ValueError(f"expected a whole number of days from {least} to 365, such as 5; got `{v}`")
    return int(text)


def load_settings(**overrides) -> Settings:
    """Read settings; raise SettingsError with one line on the first problem."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        err = e.errors()[0]
        name = err["loc"][0] if err.get("loc") else "setting"
        msg = err.get("msg", "invalid value")
        msg = msg.removeprefix("Value error, ")
        raise SettingsError(f"{name}: {msg}") from None


def require(settings: Settings, *names: str, why: str) -> None:
    """Stop with one line when a setting that this mode needs is absent."""
    for n in names:
        if not getattr(settings, n):
            raise SettingsError(f"{n}: required {why}")


def require_payments_source(settings: Settings) -> None:
    """serve, run-daily and backtest: never post generated numbers by accident."""
    if not settings.PAYMENTS_API_URL:
        raise SettingsError(PAYMENTS_REQUIRED)
