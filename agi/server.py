"""The FastAGI server: panoramisk's Application with its faults fixed in a subclass.

Fixed here, each with a test:

- panoramisk reads the request headers with ``while b"\\n\\n" not in buffer: buffer += await
  reader.read(100)``; a client that closes before the blank line makes ``read`` return ``b""``
  forever and the loop spins at 100 % CPU. :meth:`KonformAgi.handler` reads line by line with
  an end-of-file check, a size limit and a timeout, and drops garbage with a log line.
- ``add_route`` wraps plain functions with ``asyncio.coroutine``, which Python 3.11 no longer
  has; plain functions are wrapped in a coroutine here.
- its handler catches ``BaseException`` around routes, swallowing cancellation; only
  ``Exception`` is caught here.

Also: bounded concurrency (a semaphore; excess connections wait, then time out), a timeout
for every AGI command, and a clear end when Asterisk hangs up mid-session.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

__all__ = ["AgiHangup", "AgiRequest", "KonformAgi", "Route"]

logger = logging.getLogger(__name__)

Route = Callable[["AgiRequest"], Awaitable[None]]


class AgiHangup(ConnectionError):
    """Asterisk closed the AGI session (the channel hung up)."""


class AgiRequest(Request):  # type: ignore[misc]
    """A FastAGI session with timeouts and hangup detection on every command."""

    command_timeout = 60.0

    @property
    def args(self) -> list[str]:
        """The route's arguments (``AGI(agi://host/route,arg1,arg2)``)."""
        found = []
        for i in range(1, 20):
            value = self.headers.get(f"agi_arg_{i}")
            if value is None:
                break
            found.append(value)
        return found

    async def send_command(self, command: str) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await asyncio.wait_for(
                super().send_command(command), timeout=self.command_timeout
            )
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            raise AgiHangup(str(exc)) from None
        return result

    async def _read_result(self) -> dict[str, Any]:
        response = await self.reader.readline()
        if not response:
            raise AgiHangup("Asterisk closed the AGI session")
        text = response.decode(self.encoding).rstrip("\n")
        if text.startswith("HANGUP"):
            raise AgiHangup("the channel hung up")
        result: dict[str, Any] = parse_agi_result(text)
        return result

    async def set_variable(self, name: str, value: str) -> None:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        await self.send_command(f'SET VARIABLE {name} "{escaped}"')

    async def get_variable(self, name: str) -> str:
        result = await self.send_command(f"GET VARIABLE {name}")
        value = str(result.get("result", ("", ""))[1] if "result" in result else "")
        return value.strip("()")


class KonformAgi(Application):  # type: ignore[misc]
    """The FastAGI application: routes, limits, and a header reader that cannot spin."""

    max_header_bytes = 16384
    header_timeout = 10.0
    session_timeout = 600.0

    def __init__(self, max_sessions: int = 100) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self._sessions = asyncio.Semaphore(max_sessions)
        self.active = 0
        self.dropped = 0
        self.on_close: list[Callable[[], Awaitable[None]]] = []
        """Called by :meth:`close` (the routes' store worker, their objection retries)."""

    async def close(self) -> None:
        """Release what the routes hold; the listening server is closed by its owner."""
        for closer in reversed(self.on_close):
            await closer()
        self.on_close.clear()

    def add_route(self, path: str, endpoint: Callable[..., Any]) -> None:
        if not callable(endpoint):
            raise TypeError(f"route {path!r} needs a callable, not {endpoint!r}")
        if path in self._route:
            raise ValueError(f"a route {path!r} exists already")
        if not asyncio.iscoroutinefunction(endpoint):
            plain = endpoint

            @functools.wraps(plain)
            async def endpoint(request: AgiRequest) -> None:
                plain(request)

        self._route[path] = endpoint

    async def read_headers(self, reader: asyncio.StreamReader) -> OrderedDict[str, str] | None:
        """The ``agi_*`` headers up to the blank line, or None for a connection to drop."""
        headers: OrderedDict[str, str] = OrderedDict()
        size = 0
        while True:
            line = await reader.readline()
            if not line:
                return None  # closed before the blank line: panoramisk spun here
            size += len(line)
            if size > self.max_header_bytes:
                return None
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if not text:
                return headers
            key, sep, value = text.partition(": ")
            if not sep or not key.startswith("agi_"):
                return None  # not AGI
            headers[key] = value

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            async with self._sessions:
                self.active += 1
                try:
                    await asyncio.wait_for(
                        self._session(reader, writer, peer), timeout=self.session_timeout
                    )
                finally:
                    self.active -= 1
        except TimeoutError:
            logger.warning("FastAGI session from %s timed out; dropped", peer)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            logger.info("FastAGI connection from %s lost: %s", peer, exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object
    ) -> None:
        try:
            headers = await asyncio.wait_for(self.read_headers(reader), timeout=self.header_timeout)
        except TimeoutError:
            headers = None
        if headers is None:
            self.dropped += 1
            logger.warning("FastAGI connection from %s dropped: no complete AGI header", peer)
            return
        script = headers.get("agi_network_script", "").split("?", 1)[0].strip("/")
        route = self._route.get(script)
        if route is None:
            self.dropped += 1
            logger.error("FastAGI request from %s for unknown route %r", peer, script)
            return
        request = AgiRequest(
            app=self, headers=headers, reader=reader, writer=writer, encoding=self.default_encoding
        )
        try:
            await route(request)
        except AgiHangup:
            logger.info("FastAGI %s: the channel hung up", script)
        except Exception:
            logger.exception("FastAGI route %s failed", script)

    async def serve(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self.handler, host, port, limit=self.max_header_bytes)
