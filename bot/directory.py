"""Who users are (team, enterprise), from users.info, cached; and who we are."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Iterable, Optional

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import fmt
from bot.errors import BadInput
from bot.workflow import is_external

log = logging.getLogger("addon_bot")


class Directory:
    """Who users are (team, enterprise), from users.info, cached; and who we are."""

    def __init__(self, client: WebClient, ttl: float = 600.0):
        self.client = client
        self.ttl = ttl
        self._users: dict[str, tuple[float, Optional[str], Optional[str]]] = {}
        self._lock = threading.Lock()
        self._home: Optional[tuple[str, Optional[str], str]] = None
        self._tzs: dict[str, tuple[float, Optional[str]]] = {}

    def home(self) -> tuple[str, Optional[str], str]:
        """(installing team id, enterprise id or None, bot user id), from auth.test once."""
        if self._home is None:
            r = self.client.auth_test()
            self._home = (r["team_id"], r.get("enterprise_id"), r["user_id"])
        return self._home

    def user_tz(self, user_id: str) -> Optional[str]:
        """The user's Slack time zone (users.info `tz`), cached; None when unknown."""
        now = time.monotonic()
        with self._lock:
            hit = self._tzs.get(user_id)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        try:
            tz = self.client.users_info(user=user_id)["user"].get("tz") or None
        except SlackApiError as e:
            log.warning("users.info failed for %s: %s", user_id, e.response.get("error"))
            return None
        with self._lock:
            self._tzs[user_id] = (now, tz)
        return tz

    def user_org(self, user_id: str, hint_team: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(user_id)
        if hit and now - hit[0] < self.ttl:
            return hit[1], hit[2]
        try:
            # In the 3-second path: a 429 is not waited out (bot.gateway), it fails here at once.
            u = self.client.users_info(user=user_id)["user"]
            team = u.get("team_id") or hint_team
            ent = (u.get("enterprise_user") or {}).get("enterprise_id")
        except SlackApiError as e:
            log.warning("users.info failed for %s: %s", user_id, e.response.get("error"))
            if hit:  # what we knew a while ago beats a guess: a person's organisation rarely changes
                return hit[1], hit[2]
            if hint_team is None:
                return None, None  # unknown: not cached; the caller must not guess
            team, ent = hint_team, None
        with self._lock:
            self._users[user_id] = (now, team, ent)
        return team, ent

    def is_member(self, user_id: str) -> bool:
        """True when `user_id` is a person of this organisation (users.info; unknown: False)."""
        if not isinstance(user_id, str) or not user_id:
            return False
        home_team, home_ent, _ = self.home()
        team, ent = self.user_org(user_id)
        return not is_external(team, ent, home_team, home_ent)


_BY_CLIENT: "weakref.WeakKeyDictionary[object, Directory]" = weakref.WeakKeyDictionary()
_BY_CLIENT_LOCK = threading.Lock()


def for_client(client) -> Directory:
    """The Directory of this Web API client (one per client, cached), for paths that hold only a client."""
    with _BY_CLIENT_LOCK:
        d = _BY_CLIENT.get(client)
        if d is None:
            d = _BY_CLIENT[client] = Directory(client)
        return d


def ensure_members(directory: Directory, people: Iterable[tuple[str, Optional[str]]]) -> None:
    """Refuse (BadInput) a manager or specialist who is not of this organisation (a Slack Connect guest)."""
    for role, uid in people:
        if uid and not directory.is_member(uid):
            raise BadInput(f"{fmt.user(uid)} is not a member of this organisation (a Slack Connect guest, or unknown "
                           f"to Slack), so cannot be the project's {role}: internal alerts and notes go to "
                           "the manager and specialists. Name someone from your own workspace.")
