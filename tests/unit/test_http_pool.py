"""The ARI REST client's HTTP pool against a small local server: keep-alive, chunked bodies,
``Connection: close``, bodies ended by closing, errors and time-outs (no Asterisk needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from ari_app.http import HttpError, HttpPool

Reply = Callable[[bytes], Awaitable[bytes | None]]


async def serve(reply: Reply) -> tuple[asyncio.Server, int, list[bytes]]:
    """A server that reads whole requests and answers each with ``reply(request)``."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                seen.append(head + body)
                answer = await reply(head + body)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer or (
                    b"Content-Length" not in answer and (b"chunked" not in answer)
                ):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_keep_alive_reuses_one_connection_and_sends_headers_and_body() -> None:
    async def reply(request: bytes) -> bytes:
        return b'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{"ok": true}'

    async def main() -> None:
        server, port, seen = await serve(reply)
        pool = HttpPool("127.0.0.1", port, {"Authorization": "Basic eDp5"})
        for _ in range(3):
            status, body = await pool.request("POST", "/ari/x?a=%20b", b'{"k": 1}')
            assert (status, body) == (200, b'{"ok": true}')
        assert pool.opened == 1
        assert seen[0].startswith(b"POST /ari/x?a=%20b HTTP/1.1\r\n")
        assert b"Authorization: Basic eDp5\r\n" in seen[0]
        assert seen[0].endswith(b'{"k": 1}')
        pool.close()
        server.close()
        await server.wait_closed()

    run(main())


def test_chunked_and_no_content_and_connection_close() -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n',
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ]

    async def reply(request: bytes) -> bytes:
        return answers.pop(0)

    async def main() -> None:
        server, port, _ = await serve(reply)
        pool = HttpPool("127.0.0.1", port)
        assert await pool.request("GET", "/a") == (200, b'{"a": 1}')
        assert await pool.request("DELETE", "/b") == (204, b"")
        assert await pool.request("GET", "/c") == (404, b"{}")
        assert await pool.request("GET", "/d") == (200, b"ok")  # a new connection
        assert pool.opened == 2
        pool.close()
        server.close()
        await server.wait_closed()

    run(main())


def test_a_body_ended_by_closing_and_a_broken_connection() -> None:
    answers: list[bytes | None] = [b"HTTP/1.0 200 OK\r\n\r\nall of it", None]

    async def reply(request: bytes) -> bytes | None:
        return answers.pop(0)

    async def main() -> None:
        server, port, _ = await serve(reply)
        pool = HttpPool("127.0.0.1", port)
        assert await pool.request("GET", "/a") == (200, b"all of it")
        with pytest.raises(HttpError):
            await pool.request("POST", "/b")  # the server hangs up without answering
        pool.close()
        server.close()
        await server.wait_closed()

    run(main())


def test_no_answer_in_time_and_nobody_listening() -> None:
    async def reply(request: bytes) -> bytes:
        await asyncio.sleep(5)
        return b""

    async def main() -> None:
        server, port, _ = await serve(reply)
        pool = HttpPool("127.0.0.1", port, timeout=0.2)
        with pytest.raises(HttpError, match="no answer"):
            await pool.request("GET", "/slow")
        pool.close()
        server.close()
        await server.wait_closed()
        with pytest.raises(HttpError, match="cannot connect"):
            await HttpPool("127.0.0.1", port, timeout=0.5).request("GET", "/gone")

    run(main())


def test_warm_opens_the_missing_connections_a_few_unanswered_at_a_time() -> None:
    pending = 0
    most = 0

    async def reply(request: bytes) -> bytes:
        nonlocal pending, most
        pending += 1
        most = max(most, pending)
        await asyncio.sleep(0.01)
        pending -= 1
        return b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    async def main() -> None:
        server, port, seen = await serve(reply)
        pool = HttpPool("127.0.0.1", port, size=16, connect_at_once=3)
        assert await pool.warm(10, "/ari/asterisk/ping") == 10
        assert pool.opened == 10
        assert len(seen) == 10
        assert seen[0].startswith(b"GET /ari/asterisk/ping HTTP/1.1\r\n")
        # Until its answer a new connection counts against connect_at_once: the server's
        # listen queue never holds more than that many of ours.
        assert most <= 3
        # Warm connections are counted, not opened again; never more than the pool's size.
        assert await pool.warm(10, "/ari/asterisk/ping") == 0
        assert await pool.warm(40, "/ari/asterisk/ping") == 6
        # A burst then finds its connections open.
        await asyncio.gather(*(pool.request("GET", "/x") for _ in range(16)))
        assert pool.opened == 16
        pool.close()
        server.close()
        await server.wait_closed()

    run(main())
