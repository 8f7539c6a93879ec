"""Run an ASGI app with uvicorn on a free loopback port in a background thread.

One implementation serves the whole project: bot.server.ThreadedServer.
"""

from __future__ import annotations

from typing import Any

from bot.server import ThreadedServer


class BackgroundServer(ThreadedServer):
    """ThreadedServer whose ``start()`` returns the URL (``http://127.0.0.1:PORT``)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "localslack") -> None:
        super().__init__(app, host, port, name=name)

    def start(self, timeout: float = 10.0) -> str:  # type: ignore[override]
        super().start(timeout)
        return self.url
