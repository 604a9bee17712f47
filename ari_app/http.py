"""A small keep-alive HTTP/1.1 client for ARI's REST calls on a trusted link (loopback or LAN).

Why not aiohttp for these (it stays for the event WebSocket): every call makes several REST
requests, and at a hundred concurrent calls aiohttp's general machinery (URL objects, header
multidicts, response objects, timers, hooks) is a large share of the app's CPU; this client
writes one request in one ``write`` and parses the answer in place
(docs/decisions/own-ari-client.md).

What it does: a pool of at most ``size`` connections, reused while the server keeps them open;
``Content-Length`` and chunked bodies; ``Connection: close``; a body ended by the server closing
the connection. A connection idle longer than ``max_idle`` is not reused (Asterisk closes idle
HTTP sessions after 15 s: sending on one it is closing would leave a POST's fate unknown).
Requests are never retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

__all__ = ["HttpError", "HttpPool"]


class HttpError(ConnectionError):
    """No (complete) answer: could not connect, the connection broke, or the time ran out."""


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False
        self.last_used = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            done = self._parse(eof=True)
            if done is not None:
                waiter.set_result(done)
            else:
                waiter.set_exception(HttpError(f"connection closed: {exc or 'by the server'}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            done = self._parse(eof=False)
        except (ValueError, IndexError) as exc:
            waiter.set_exception(HttpError(f"malformed HTTP response: {exc}"))
            self.close()
            return
        if done is not None:
            waiter.set_result(done)

    def _parse(self, eof: bool) -> tuple[int, bytes, bool] | None:
        """(status, body, keep-alive) once the buffer holds a whole response, else None."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close"
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunked = _take_chunked(buffer, start)
            return None if chunked is None else (status, chunked, keep)
        if "content-length" in headers:
            length = int(headers["content-length"])
            if len(buffer) < start + length:
                return None
            body_bytes = bytes(buffer[start : start + length])
            del buffer[: start + length]
            return status, body_bytes, keep
        if status in (204, 304) or 100 <= status < 200:
            del buffer[:start]
            return status, b"", keep
        if not eof:  # the body runs until the server closes the connection
            return None
        body_bytes = bytes(buffer[start:])
        buffer.clear()
        return status, body_bytes, False

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _take_chunked(buffer: bytearray, start: int) -> bytes | None:
    """The chunked body from ``start`` once the buffer holds all of it (taken out), else None."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0], 16)
        if size == 0:  # then optional trailers, ended by an empty line
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            if trailer_end < 0:
                return None
            del buffer[: trailer_end + 4]
            return bytes(body)
        chunk_start = line_end + 2
        if len(buffer) < chunk_start + size + 2:
            return None
        body += buffer[chunk_start : chunk_start + size]
        position = chunk_start + size + 2


class HttpPool:
    """Keep-alive connections to one ``host:port``; ``request`` borrows one per request."""

    def __init__(
        self,
        host: str,
        port: int,
        headers: Mapping[str, str] | None = None,
        *,
        size: int = 64,
        timeout: float = 10.0,
        max_idle: float = 10.0,
        connect_at_once: int = 8,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.max_idle = max_idle
        fixed = {"Host": f"{host}:{port}", **(headers or {})}
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self._idle: list[_Connection] = []
        self.size = size
        self._slots = asyncio.Semaphore(size)
        # Connections are opened a few at a time: a burst of SYNs overflows a small listen
        # backlog (Asterisk's is 10), and a dropped SYN is retried only after a second; a
        # burst after a quiet spell (idle connections are dropped) still ramps up quickly.
        # A connect completes before the server has accepted it, so this alone does not
        # bound the listen queue (the kernel's ListenOverflows counter shows it): warm()
        # opens connections ahead of a burst and counts each new one until its first answer,
        # when it is surely accepted.
        self._connecting = asyncio.Semaphore(connect_at_once)
        self.opened = 0
        self._busy = 0  # requests under way (each has or is getting a connection)

    async def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        """Send one request (``target``: path and query, already encoded); (status, body)."""
        async with self._slots:
            self._busy += 1
            try:
                connection = self._reuse() or await self._open()
                return await self._exchange(connection, method, target, body, content_type)
            finally:
                self._busy -= 1

    async def warm(self, count: int, target: str) -> int:
        """Have ``count`` connections (at most the pool's size) open and answered once, by
        sending ``target`` (a cheap GET) over each new one; returns how many were opened.

        A burst that finds its connections open sends at once; one that must connect
        meets a listen queue the busy server empties slowly (see ``connect_at_once``).
        """
        # Idle connections within a second of their end are closed rather than counted (they
        # could lapse during the burst), so that the pool stays within its size: Asterisk
        # refuses sessions over its http.conf sessionlimit.
        now = time.monotonic()
        keep = [c for c in self._idle if not c.closed and now - c.last_used < self.max_idle - 1]
        for connection in self._idle:
            if connection not in keep:
                connection.close()
        self._idle = keep
        missing = max(0, min(count, self.size) - len(keep) - self._busy)

        async def one() -> None:
            # The connect slot is held until the answer: only an answered connection is
            # surely out of the server's listen queue.
            async with self._slots, self._connecting:
                await self._exchange(await self._connect(), "GET", target, None, "")

        done = await asyncio.gather(*(one() for _ in range(missing)), return_exceptions=True)
        return sum(1 for result in done if not isinstance(result, BaseException))

    async def _exchange(
        self,
        connection: _Connection,
        method: str,
        target: str,
        body: bytes | None,
        content_type: str,
    ) -> tuple[int, bytes]:
        head = f"{method} {target} HTTP/1.1\r\n{self._fixed}"
        if body is not None:
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        else:
            head += "Content-Length: 0\r\n\r\n"
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, bytes, bool]] = loop.create_future()
        connection.waiter = waiter
        assert connection.transport is not None
        connection.transport.write(head.encode("latin-1") + (body or b""))
        try:
            status, data, keep = await asyncio.wait_for(waiter, self.timeout)
        except TimeoutError:
            connection.close()
            raise HttpError(f"no answer within {self.timeout:g} s") from None
        except BaseException:
            connection.close()
            raise
        connection.waiter = None
        if keep and not connection.closed and not connection.buffer:
            connection.last_used = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return status, data

    def _reuse(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.last_used < self.max_idle:
                return connection
            connection.close()
        return None

    async def _open(self) -> _Connection:
        async with self._connecting:
            return self._reuse() or await self._connect()  # one may have come back meanwhile

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(_Connection, self.host, self.port), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise HttpError(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        self.opened += 1
        return connection

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
