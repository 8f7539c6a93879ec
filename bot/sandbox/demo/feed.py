"""Live updates for the page: a version number that moves on every change of
the workspace, and a long poll that waits for it to move.

The workspace calls its listeners on whatever thread made the change, under
its lock; the listener only bumps a counter and schedules a wake-up on the
page server's event loop, so it never blocks.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Optional

from bot.sandbox.localslack import Workspace

POLL_SECONDS = 20.0  # a long poll answers at the latest after this, changed or not
SETTLE_SECONDS = 0.05  # changes come in bursts (a click edits, posts, answers): wait for the rest


class ChangeFeed:
    def __init__(self, ws: Workspace) -> None:
        self._lock = threading.Lock()
        self._version = 1
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._event: Optional[asyncio.Event] = None
        self.closed = False
        self._unsubscribe = ws.subscribe(self._changed)

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def bump(self) -> None:
        """Something the page shows changed outside the workspace (e.g. the daily job ran)."""
        self._changed("demo", {})

    def close(self) -> None:
        """Stop following the workspace and answer every waiting long poll now."""
        self._unsubscribe()
        self.closed = True
        self._changed("closed", {})

    def _changed(self, kind: str, info: dict) -> None:
        with self._lock:
            self._version += 1
            loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # the loop is shutting down
                pass

    def _wake(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, since: int, timeout: float = POLL_SECONDS) -> int:
        """Return the version once it is greater than ``since`` (or after ``timeout``)."""
        with self._lock:
            self._loop = asyncio.get_running_loop()
        deadline = self._loop.time() + timeout
        while self.version <= since and not self.closed:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                break
            if self._event is None:
                self._event = asyncio.Event()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except asyncio.TimeoutError:
                break
        else:
            await asyncio.sleep(SETTLE_SECONDS)
        return self.version
