"""A thin asyncio ARI client: REST calls over httpx, events over one WebSocket, reconnecting
with backoff.

Why not asyncari (see README): it does not reconnect, its dispatcher holds the WebSocket
reader until each listener has taken the event (with a 0.5 s watchdog that logs errors under
load), and it leaves memory streams unclosed on disconnect. What konform needs of ARI is
small: a dozen REST calls and a stream of JSON events, which this module gives, typed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import WebSocketException

__all__ = ["AriClient", "AriError"]

logger = logging.getLogger(__name__)

Event = dict[str, Any]


class AriError(RuntimeError):
    """ARI answered a request with an error status."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"ARI {method} {path}: {status} {message}")
        self.status = status


class AriClient:
    """REST and events of one ARI application."""

    def __init__(self, url: str, username: str, password: str, app: str) -> None:
        self.url = url.rstrip("/")
        self.app = app
        self._auth = (username, password)
        self._http = httpx.AsyncClient(
            base_url=f"{self.url}/ari",
            auth=self._auth,
            timeout=10.0,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        """One REST call; params become the query string, ``body`` the JSON body."""
        clean = {k: _param(v) for k, v in params.items() if v is not None}
        response = await self._http.request(method, path, params=clean, json=body)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise AriError(method, path, response.status_code, str(message))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, **params)

    async def post(self, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        return await self.request("POST", path, body, **params)

    async def delete(self, path: str, **params: Any) -> Any:
        return await self.request("DELETE", path, **params)

    async def events(
        self, connected: asyncio.Event | None = None, max_backoff: float = 30.0
    ) -> AsyncIterator[Event]:
        """Events of the application forever; reconnects with jittered exponential backoff.

        ``connected`` is set each time the WebSocket is (re)established.
        """
        ws_url = self.url.replace("http://", "ws://").replace("https://", "wss://")
        query = urlencode({"app": self.app, "api_key": f"{self._auth[0]}:{self._auth[1]}"})
        delay = 0.5
        while True:
            try:
                async with ws_connect(f"{ws_url}/ari/events?{query}", max_size=None) as ws:
                    logger.info("ARI events connected for app %s", self.app)
                    delay = 0.5
                    if connected is not None:
                        connected.set()
                    async for message in ws:
                        try:
                            event = json.loads(message)
                        except ValueError:
                            logger.warning("ARI sent a non-JSON message: %.200s", message)
                            continue
                        if isinstance(event, dict):
                            yield event
            except (OSError, WebSocketException) as exc:
                logger.warning("ARI events lost (%s); reconnecting in %.1f s", exc, delay)
            if connected is not None:
                connected.clear()
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            delay = min(delay * 2, max_backoff)


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
