"""Socket Mode: the same Bolt app, reached over Slack's WebSocket link instead of /slack/events.

slack_bolt's SocketModeHandler (slack_sdk's built-in client, no extra dependency) opens
its connection with `apps.connections.open` on the app's own Web API client, so on
`SLACK_API_URL` with the app-level token (`xapp-…`, scope connections:write), and
connects to the URL that answers (https://docs.slack.dev/apis/events-api/using-socket-mode/).
It acknowledges each envelope with what the listener acked (a slash command's message,
a view's response_action), opens a new connection when Slack sends `disconnect`
(refresh_requested, warning) or the link drops, and passes `retry_attempt` on as
`X-Slack-Retry-Num`, so the middleware's durable dedupe (storage/events.py) drops a
re-sent event as it drops an HTTP retry.

What this module adds: each envelope is counted in /metrics as an HTTP request is, and
readiness says whether the link is up.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import time
from typing import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.metrics import Metrics, surface_of

log = logging.getLogger("addon_bot.socket_mode")


# What Slack's refusal of apps.connections.open means for the operator.
_REFUSALS = {
    "invalid_auth": "SLACK_APP_TOKEN is not a valid app-level token of this app",
    "not_authed": "SLACK_APP_TOKEN is not a valid app-level token of this app",
    "not_allowed_token_type": "SLACK_APP_TOKEN must be an app-level token (xapp-…), not a bot or user token",
    "missing_scope": "the app-level token needs the connections:write scope",
}


class LinkRefused(Exception):
    """The link cannot be opened: one line saying why and what to change."""


class MeteredSocketModeHandler(SocketModeHandler):
    """Bolt's handler, counting each envelope by surface and outcome (bot.metrics)."""

    def __init__(self, app: App, app_token: str, metrics: Metrics, **kw) -> None:
        super().__init__(app, app_token, **kw)
        self.metrics = metrics

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start = time.monotonic()
        resp = run_bolt_app(self.app, req)
        send_response(client, req, resp, start)
        body = req.payload if isinstance(req.payload, dict) else {}
        self.metrics.request(surface_of(body), "ok" if resp.status == 200 else str(resp.status),
                             time.monotonic() - start)


class SocketLink:
    """One bot's Socket Mode connection: start, whether it is up, stop."""

    def __init__(self, app: App, app_token: str, metrics: Metrics, *, ping_interval: float = 10) -> None:
        """``ping_interval``: seconds between the client's pings; it also checks the link
        that often and reconnects when it is gone (Bolt's default, 10)."""
        self.handler = MeteredSocketModeHandler(app, app_token, metrics, ping_interval=ping_interval)

    def connect(self) -> None:
        """Open the first connection (apps.connections.open, then the WebSocket); raises
        LinkRefused when Slack refuses the token or cannot be reached. (A refused WebSocket
        is retried by the client every ping_interval.)"""
        try:
            self.handler.connect()
        except SlackApiError as e:
            error = e.response.get("error") if e.response is not None else None
            why = _REFUSALS.get(str(error), "see Slack's apps.connections.open errors")
            raise LinkRefused(f"Slack refused apps.connections.open: {error} ({why})") from None
        except OSError as e:  # urllib's URLError included: Slack's Web API is not reachable
            raise LinkRefused(f"could not reach Slack's Web API for apps.connections.open: {e}") from None

    def connected(self) -> bool:
        return self.handler.client.is_connected()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.connected():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        """Stop at once, as RFC 6455 closes: a close frame, Slack's close in reply, and the
        client's reader ends. (Closing the socket from here instead waits for the reader's
        lock, held for up to its 3-second receive timeout.)"""
        client = self.handler.client
        client.auto_reconnect_enabled = False
        if client.current_app_monitor.is_alive():  # it would ping a closing socket and log an error
            client.current_app_monitor.shutdown()
        session = client.current_session
        sock = getattr(session, "sock", None)
        if sock is not None:
            try:
                with session.sock_send_lock:
                    sock.send(_close_frame())
                deadline = time.monotonic() + 1.0
                while session.sock is not None and time.monotonic() < deadline:
                    time.sleep(0.01)
                if session.sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self.handler.close()
        except Exception:  # noqa: BLE001 - shutting down: log and go on
            log.exception("error while closing the Socket Mode connection")


def _close_frame(code: int = 1000) -> bytes:
    """A client's close frame (RFC 6455 5.5.1: FIN, opcode 8, masked status code)."""
    payload = struct.pack("!H", code)
    mask = os.urandom(4)
    return bytes([0x88, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def readiness(health: Callable[[], tuple[int, dict]], link: SocketLink) -> Callable[[], tuple[int, dict]]:
    """Readiness in Socket Mode: the database's, and the link is up (503 while it is not)."""

    def check() -> tuple[int, dict]:
        status, payload = health()
        up = link.connected()
        payload = {**payload, "socket_mode": "connected" if up else "disconnected"}
        if not up:
            return 503, {**payload, "ok": False}
        return status, payload

    return check
