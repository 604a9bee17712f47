"""A scripted stand-in for Asterisk's ARI, enough to run the dialer's calls without a PBX.

Callees answer at once; the AMD tap (monkeypatched by :func:`install_fake_tap`) decides
``human`` (or ``machine`` for numbers in ``machines``); playbacks finish at once, except that the
opt-out menu is answered with a 9 for numbers in ``press9``. Agents listed ``online`` answer,
are bridged, and hang up at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ari_app import call as call_module
from konform.amd.detector import AmdDecision


class FakeTap:
    def __init__(self, ari: Any, call_id: str, channel: str) -> None:
        self.ari = ari
        self.call_id = call_id
        self.running = False
        self.stats: dict[str, int] = {}

    def stasis_started(self, channel: str) -> None:
        pass

    async def start(self, host: str, fmt: str, decided: Callable[[AmdDecision], None]) -> None:
        self.running = True
        label = "machine" if self.ari.number_of.get(self.call_id) in self.ari.machines else "human"
        asyncio.get_running_loop().call_soon(decided, AmdDecision(label, 1200, "fake"))

    async def stop(self, snoop_gone: bool = False) -> None:
        self.running = False


def install_fake_tap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(call_module, "AmdTap", FakeTap)


class FakeAri:
    app = "konform"

    def __init__(
        self,
        online: set[str] | None = None,
        press9: set[str] | None = None,
        machines: set[str] | None = None,
        leftovers: list[str] | None = None,
    ) -> None:
        self.online = online or set()
        self.press9 = press9 or set()
        self.machines = machines or set()
        self.events_q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.channels: set[str] = set(leftovers or [])
        self.bridges: set[str] = set()
        self.number_of: dict[str, str] = {}
        self.on_originate: Callable[[str, str], None] | None = None
        self.on_bridge: Callable[[str], Any] | None = None

    def push(self, event: dict[str, Any]) -> None:
        self.events_q.put_nowait(event)

    async def events(self, connected: asyncio.Event | None = None) -> AsyncIterator[dict[str, Any]]:
        if connected is not None:
            connected.set()
        while True:
            yield await self.events_q.get()

    async def warm(self, count: int) -> int:
        return 0

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        self.requests.append((method, path, {**(body or {}), **params}))
        return None

    async def get(self, path: str, **params: Any) -> Any:
        if path == "/channels":
            return [{"id": c} for c in sorted(self.channels)]
        if path == "/bridges":
            return [{"id": b} for b in sorted(self.bridges)]
        if path == "/recordings/live":
            return []
        if path.startswith("/endpoints/"):
            agent = path.rsplit("/", 1)[1]
            return {"state": "online" if agent in self.online else "offline"}
        return None

    async def delete(self, path: str, **params: Any) -> Any:
        self.requests.append(("DELETE", path, params))
        kind, _, ident = path.strip("/").partition("/")
        if kind == "channels" and ident in self.channels:
            self.channels.discard(ident)
            self.push({"type": "ChannelDestroyed", "channel": {"id": ident}, "cause": 16})
        elif kind == "bridges":
            self.bridges.discard(ident)
        return None

    async def post(self, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        args = {**(body or {}), **params}
        self.requests.append(("POST", path, args))
        if path == "/channels":
            channel = args["channelId"]
            role, call_id = args["appArgs"].split(",")
            self.channels.add(channel)
            if role == "callee":
                self.number_of[call_id] = args["endpoint"].split("/", 1)[1].split("@")[0]
                if self.on_originate is not None:
                    self.on_originate(call_id, self.number_of[call_id])
            self.push({"type": "StasisStart", "channel": {"id": channel}})
        elif path == "/bridges":
            self.bridges.add(args["bridgeId"])
        elif path.endswith("/addChannel"):
            call_id = path.split("/")[2].split("-")[0]
            if self.on_bridge is not None:
                await self.on_bridge(call_id)
            agent_channel = f"{call_id}-agent"
            self.channels.discard(agent_channel)
            self.push({"type": "ChannelDestroyed", "channel": {"id": agent_channel}})
        elif path.endswith("/play"):
            call_id = path.split("/")[2]
            playback = args["playbackId"]
            media = args["media"]
            if "sound:konform/optout" in media and self.number_of.get(call_id) in self.press9:
                self.push({"type": "ChannelDtmfReceived", "channel": {"id": call_id}, "digit": "9"})
            else:
                self.push({"type": "PlaybackFinished", "playback": {"id": playback}})
        return None
