"""Socket Mode: Slack's WebSocket link to the app, instead of HTTP requests to it.

What Slack does, and this module emulates
(https://docs.slack.dev/apis/events-api/using-socket-mode/):

- The app calls ``apps.connections.open`` with its app-level token (``xapp-…``, scope
  ``connections:write``) and gets a one-time ``wss://`` URL
  (https://docs.slack.dev/reference/methods/apps.connections.open/); here it is
  ``ws://127.0.0.1:PORT/link/?ticket=…`` on the workspace's own port. A ticket is good
  for one connection.
- On connect Slack sends ``{"type": "hello", "num_connections": N, "debug_info": {…},
  "connection_info": {"app_id": …}}``.
- Each delivery is an envelope ``{"envelope_id", "type": "events_api" |
  "slash_commands" | "interactive", "payload", "accepts_response_payload"}`` (events
  also carry ``retry_attempt`` and ``retry_reason``). The app acknowledges it by sending
  ``{"envelope_id": …}`` back, with a ``payload`` where the envelope accepts one (a
  slash command's message, a view submission's ``response_action``), within 3 seconds.
  An event not acknowledged in time is sent again in a new envelope, with
  ``retry_attempt`` one higher, ``retry_reason: "timeout"`` and the same ``event_id``
  in its payload (the retry loop is the driver's, :mod:`.events`;
  https://docs.slack.dev/apis/events-api/#retries). Slash commands and interactions
  are not sent again: the person sees that the app did not answer.
- An app may hold several connections at once (up to 10); Slack spreads envelopes
  across them, so any one connection sees only some.
- Slack refreshes connections: it sends ``{"type": "disconnect", "reason":
  "refresh_requested"}`` (or ``"warning"``, shortly before it closes a connection) and
  then closes that connection; the app opens a new one with a new URL. Envelopes go to
  the connections not being closed.

:class:`SocketModeHub` holds the tickets, the open connections and the envelopes
waiting for their ack. The WebSocket endpoint (a Starlette route beside the Web API,
served by uvicorn with the ``websockets`` package) runs in the server's event loop; the
driver calls :meth:`SocketModeHub.deliver` from its own thread and waits for the ack.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from .core import WorkspaceCore
from .model import JSON, Problem

#: Slack allows an app this many open Socket Mode connections at once
#: (https://docs.slack.dev/apis/events-api/using-socket-mode/).
MAX_CONNECTIONS = 10
#: Interactive payloads whose ack may carry a response (a view submission's
#: response_action, an options request's options); a slash command's ack may carry its message.
_INTERACTIVE_WITH_PAYLOAD = {"view_submission", "block_suggestion"}


class NoConnection(Exception):
    """The app has no Socket Mode connection open: Slack cannot deliver to it."""


@dataclass
class Connection:
    """One open WebSocket, as Slack sees it."""

    id: int
    socket: WebSocket
    loop: asyncio.AbstractEventLoop
    opened_at: float
    draining: bool = False  # told to disconnect: gets no new envelopes
    closed: bool = False
    received: list[str] = field(default_factory=list)  # envelope ids sent on it


@dataclass
class _Pending:
    envelope: JSON
    connection: int
    done: threading.Event = field(default_factory=threading.Event)
    ack: JSON | None = None


@dataclass(frozen=True)
class Ack:
    """What came back for one envelope: ``payload`` is None for a bare ack."""

    envelope: JSON
    connection: int
    acked: bool
    payload: JSON | None
    elapsed: float


class SocketModeHub:
    """Tickets, open connections and envelopes awaiting their ack."""

    def __init__(self, workspace: WorkspaceCore, *, public_url: Callable[[], str], app_id: str,
                 max_connections: int = MAX_CONNECTIONS, close_grace: float = 2.0) -> None:
        """``close_grace``: seconds between a ``disconnect`` message and Slack closing the
        connection (the app is expected to have opened its next one by then)."""
        self.ws = workspace
        self.public_url = public_url
        self.app_id = app_id
        self.max_connections = max_connections
        self.close_grace = close_grace
        self._cv = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: dict[int, Connection] = {}
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._turn = itertools.count()
        self.opened = 0  # connections ever accepted
        self.late_acks: list[JSON] = []  # acks for envelopes no longer waited for, or unknown
        self._lose_acks = 0

    # ------------------------------------------------------------------ apps.connections.open

    def issue_url(self) -> str:
        """A new one-time WebSocket URL (the answer of apps.connections.open)."""
        ticket = secrets.token_urlsafe(16)
        with self._cv:
            self._tickets.add(ticket)
        base = self.public_url().rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return f"{base}/link/?ticket={ticket}"

    # ------------------------------------------------------------------ the WebSocket endpoint

    async def endpoint(self, socket: WebSocket) -> None:
        ticket = socket.query_params.get("ticket", "")
        with self._cv:
            known = ticket in self._tickets
            self._tickets.discard(ticket)
            full = len(self._open()) >= self.max_connections
        if not known or full:
            code = "invalid_ticket" if not known else "too_many_connections"
            detail = ("the ticket is unknown or was used already: call apps.connections.open for a new URL",) \
                if not known else (f"an app may hold {self.max_connections} Socket Mode connections at once",)
            self.ws.record_error(Problem("socket_mode", code, detail, {"ticket": ticket}))
            await socket.close(code=1008)  # before accept: the handshake is refused (HTTP 403)
            return
        await socket.accept()
        with self._cv:
            conn = Connection(next(self._ids), socket, asyncio.get_running_loop(), time.monotonic())
            self._connections[conn.id] = conn
            self.opened += 1
            count = len(self._open())
            self._cv.notify_all()
        await socket.send_text(json.dumps({
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "localslack", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }))
        try:
            while True:
                message = await socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", errors="replace")
                if text is not None:
                    self._on_text(conn, text)
        except WebSocketDisconnect:
            pass
        finally:
            with self._cv:
                conn.closed = True
                self._connections.pop(conn.id, None)
                self._cv.notify_all()

    def _on_text(self, conn: Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not isinstance(envelope_id, str):
            self.ws.record_error(Problem("socket_mode", "invalid_message",
                                         ("an app sends only acks: {\"envelope_id\": …, \"payload\"?: …}",),
                                         {"text": text[:300]}))
            return
        payload = message.get("payload")
        with self._cv:
            if self._lose_acks > 0:
                self._lose_acks -= 1
                return
            pending = self._pending.get(envelope_id)
            if pending is None or pending.done.is_set():
                self.late_acks.append(message)
                return
            accepts = pending.envelope["accepts_response_payload"]
            pending.ack = payload if isinstance(payload, dict) and accepts else {}
            pending.done.set()
        if isinstance(payload, dict) and payload and not accepts:
            self.ws.record_warning(Problem("socket_mode", "payload_ignored",
                                           (f"{pending.envelope['type']} envelopes take no response payload",),
                                           dict(message)))

    # ------------------------------------------------------------------ delivering

    def _open(self) -> list[Connection]:
        return [c for c in self._connections.values() if not c.closed]

    def connections(self) -> list[Connection]:
        """The open connections, oldest first."""
        with self._cv:
            return sorted(self._open(), key=lambda c: c.id)

    def wait_for_connections(self, n: int = 1, timeout: float = 10.0, *, opened: int | None = None) -> None:
        """Wait until ``n`` connections are open (and ``opened`` were ever accepted)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while len([c for c in self._open() if not c.draining]) < n or (opened is not None and self.opened < opened):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{n} Socket Mode connection(s) not open within {timeout}s "
                                       f"({len(self._open())} open, {self.opened} ever)")
                self._cv.wait(left)

    def _pick(self) -> Connection:
        with self._cv:
            live = [c for c in sorted(self._open(), key=lambda c: c.id) if not c.draining]
            candidates = live or sorted(self._open(), key=lambda c: c.id)
            if not candidates:
                raise NoConnection("no Socket Mode connection is open")
            return candidates[next(self._turn) % len(candidates)]

    @staticmethod
    def envelope_type(kind: str, payload: JSON) -> tuple[str, bool]:
        """(envelope type, accepts_response_payload) for a driver delivery kind."""
        if kind == "slash_command":
            return "slash_commands", True
        if kind.startswith("event_callback"):
            return "events_api", False
        return "interactive", payload.get("type") in _INTERACTIVE_WITH_PAYLOAD

    def deliver(self, kind: str, payload: JSON, *, deadline: float, retry_attempt: int = 0,
                retry_reason: str = "") -> Ack:
        """Send ``payload`` in a new envelope on one connection and wait up to ``deadline``
        seconds for its ack. Raises :class:`NoConnection` when none is open."""
        etype, accepts = self.envelope_type(kind, payload)
        envelope: JSON = {"envelope_id": str(uuid.uuid4()), "payload": payload, "type": etype,
                          "accepts_response_payload": accepts}
        if etype == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        text = json.dumps(envelope)
        while True:
            conn = self._pick()
            pending = _Pending(envelope, conn.id)
            with self._cv:
                self._pending[envelope["envelope_id"]] = pending
            start = time.perf_counter()
            try:
                asyncio.run_coroutine_threadsafe(conn.socket.send_text(text), conn.loop).result(timeout=deadline)
            except Exception:  # noqa: BLE001 - the connection went away under us: try another
                with self._cv:
                    self._pending.pop(envelope["envelope_id"], None)
                    conn.closed = True
                continue
            conn.received.append(envelope["envelope_id"])
            break
        acked = pending.done.wait(deadline)
        elapsed = time.perf_counter() - start
        with self._cv:
            pending.done.set()  # a later ack is late: recorded in late_acks, never applied
            self._pending.pop(envelope["envelope_id"], None)
        return Ack(envelope, conn.id, acked, pending.ack if acked else None, elapsed)

    # ------------------------------------------------------------------ what Slack does to connections

    def disconnect(self, reason: str = "refresh_requested", *, close_after: float | None = None) -> int:
        """Tell every open connection to go (``refresh_requested`` or ``warning``), and close
        each ``close_after`` seconds later (default ``close_grace``). Returns how many."""
        grace = self.close_grace if close_after is None else close_after
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "localslack"}})
        with self._cv:
            targets = [c for c in self._open() if not c.draining]
            for c in targets:
                c.draining = True
        for c in targets:
            async def tell_then_close(conn: Connection = c) -> None:
                try:
                    await conn.socket.send_text(message)
                    await asyncio.sleep(grace)
                    if not conn.closed:
                        await conn.socket.close(code=1001)
                except Exception:  # noqa: BLE001 - already gone
                    pass
            asyncio.run_coroutine_threadsafe(tell_then_close(), c.loop)
        return len(targets)

    def close_all(self, code: int = 1001) -> None:
        """Close every connection at once (as when Slack's side of the link fails)."""
        for c in self.connections():
            try:
                asyncio.run_coroutine_threadsafe(c.socket.close(code=code), c.loop).result(timeout=2)
            except Exception:  # noqa: BLE001 - already gone
                pass

    def lose_acks(self, n: int = 1) -> None:
        """The next ``n`` acks are lost on the way to Slack (as on a flaky link)."""
        with self._cv:
            self._lose_acks += n
