"""Asterisk's side of a FastAGI session, for the tests of the FastAGI routes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["FakeAsterisk"]


class FakeAsterisk:
    """Asterisk's side of one FastAGI session; ``on_command`` sees each command as it comes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.commands: list[str] = []
        self.variables: dict[str, str] = {}
        self.on_command: Callable[[str], None] = lambda command: None

    @classmethod
    async def call(cls, port: int, script: str, **headers: str) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        fake = cls(reader, writer)
        lines = {"agi_network_script": script, "agi_channel": "PJSIP/agent1-0001", **headers}
        writer.write("".join(f"{k}: {val}\n" for k, val in lines.items()).encode() + b"\n")
        await writer.drain()
        return fake

    async def run(self, digits: str = "") -> FakeAsterisk:
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout=10)
            if not line:
                break
            command = line.decode().strip()
            self.commands.append(command)
            self.on_command(command)
            if command.startswith("SET VARIABLE"):
                _, _, rest = command.partition("SET VARIABLE ")
                name, _, value = rest.partition(" ")
                self.variables[name] = value.strip('"')
            answer = f"200 result={digits}" if command.startswith("GET DATA") else "200 result=0"
            self.writer.write((answer + "\n").encode())
            await self.writer.drain()
        self.writer.close()
        await self.writer.wait_closed()
        return self
