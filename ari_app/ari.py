"""What konform needs of ARI: a dozen REST calls and a stream of JSON events.

:class:`Ari` is that need as a protocol: the dialer, its calls, the agent pool and the AMD tap
take any ``Ari``, so they run on the in-memory fake of the tests as on :class:`AriClient`, the
real client. AriClient sends REST over plain http through :class:`~ari_app.http.HttpPool`, a
small keep-alive client much cheaper per request than a general one (https falls back to
aiohttp), and reads the events from one WebSocket that reconnects with backoff. Why an own
client and not asyncari or httpx: see docs/decisions.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import aiohttp

from ari_app.http import HttpError, HttpPool
from konform import logs

__all__ = ["Ari", "AriClient", "AriError"]

logger = logging.getLogger(__name__)

Event = dict[str, Any]


class AriError(RuntimeError):
    """ARI answered a request with an error status (or could not be reached: status 0)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"ARI {method} {path}: {status} {message}")
        self.status = status


class Ari(Protocol):
    """The REST calls and the event stream of one ARI application."""

    @property
    def app(self) -> str:
        """The application's name (``app`` of originates, snoops, externalMedia)."""

    @property
    def url(self) -> str:
        """Base URL of ARI (its host is the PBX's, when ARI names no RTP address)."""

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        """One REST call: ``params`` as the query string, ``body`` as JSON; the answer's JSON
        (None if empty); an error status raises :class:`AriError`."""

    async def get(self, path: str, **params: Any) -> Any: ...

    async def post(self, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any: ...

    async def delete(self, path: str, **params: Any) -> Any: ...

    async def warm(self, count: int) -> int:
        """Open connections ahead of a burst of ``count`` requests; how many were opened."""

    def events(self, connected: asyncio.Event | None = None) -> AsyncIterator[Event]:
        """The application's events, forever; ``connected`` is set while they flow."""


class AriClient:
    """REST and events of one ARI application. Use as ``async with``."""

    def __init__(self, url: str, username: str, password: str, app: str) -> None:
        self.url = url.rstrip("/")
        self.app = app
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        # Basic auth in a header for REST and the WebSocket alike: never in a URL, which
        # aiohttp's errors (and so a warning line) would quote.
        self._headers = {"Authorization": f"Basic {token}"}
        logs.protect([(password, username)])
        self._session: aiohttp.ClientSession | None = None
        parts = urlsplit(self.url)
        self._base_path = parts.path.rstrip("/")
        self._rest: HttpPool | None = None
        if parts.scheme == "http" and parts.hostname:
            # Below Asterisk's HTTP session limit (http.conf sessionlimit, 100 by default):
            # past it, the PBX drops connections under a burst of originates.
            self._rest = HttpPool(parts.hostname, parts.port or 80, self._headers, size=64)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                connector=aiohttp.TCPConnector(limit=64),  # see the REST pool's size
                timeout=aiohttp.ClientTimeout(total=10),
            )
        return self._session

    async def close(self) -> None:
        if self._rest is not None:
            self._rest.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        """One REST call; params become the query string, ``body`` the JSON body."""
        query: list[tuple[str, str]] = []
        for key, value in params.items():
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    query.append((key, _param(item)))
        if self._rest is None:  # https: the general client
            return await self._request_aiohttp(method, path, body, query)
        target = f"{self._base_path}/ari{path}"
        if query:
            target += "?" + urlencode(query, quote_via=quote, safe="")
        payload = None if body is None else json.dumps(body).encode()
        try:
            status, data = await self._rest.request(method, target, payload)
        except HttpError as exc:
            raise AriError(method, path, 0, f"unreachable: {exc}") from None
        return _answer(method, path, status, data.decode("utf-8", errors="replace"))

    async def _request_aiohttp(
        self, method: str, path: str, body: dict[str, Any] | None, query: list[tuple[str, str]]
    ) -> Any:
        try:
            async with self.session.request(
                method, f"{self.url}/ari{path}", params=query, json=body
            ) as response:
                return _answer(method, path, response.status, await response.text())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AriError(method, path, 0, f"unreachable: {exc}") from None

    async def warm(self, count: int) -> int:
        """Open REST connections ahead of a burst of ``count`` requests (see HttpPool.warm);
        how many were opened."""
        if self._rest is None:
            return 0
        return await self._rest.warm(count, f"{self._base_path}/ari/asterisk/ping")

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
        params = {"app": self.app}
        delay = 0.5
        while True:
            try:
                async with self.session.ws_connect(
                    f"{ws_url}/ari/events",
                    params=params,
                    heartbeat=30,
                    timeout=aiohttp.ClientWSTimeout(ws_close=5),
                ) as ws:
                    logger.info("ARI events connected for app %s", self.app)
                    delay = 0.5
                    if connected is not None:
                        connected.set()
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            continue
                        try:
                            event = json.loads(message.data)
                        except ValueError:
                            logger.warning("ARI sent a non-JSON message: %.200s", message.data)
                            continue
                        if isinstance(event, dict):
                            yield event
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                logger.warning("ARI events lost (%s); reconnecting in %.1f s", exc, delay)
            if connected is not None:
                connected.clear()
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            delay = min(delay * 2, max_backoff)


def _answer(method: str, path: str, status: int, text: str) -> Any:
    """The JSON of a successful answer (None if empty); an error status raises AriError."""
    if status >= 400:
        try:
            message = json.loads(text).get("message", text)
        except (ValueError, AttributeError):
            message = text
        raise AriError(method, path, status, str(message))
    return json.loads(text) if text else None


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
