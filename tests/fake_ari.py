"""An in-memory ARI (:class:`ari_app.ari.Ari`) to run the dialer's calls without a PBX.

What it does unless scripted otherwise: a callee answers at once (StasisStart); the AMD tap
(:meth:`FakeAri.tap`, passed as the dialer's ``tap_factory``) decides ``human``; a playback
finishes at once; agents listed ``online`` answer at once and hang up as soon as they are
bridged (or after ``talk_s`` seconds). Scripted per number or agent: ``busy`` /
``no_answer`` callees (ChannelDestroyed with cause 17 / 19, never answered), ``machines`` (the
tap decides ``machine``), ``keys`` (the callee presses a key when a prompt starts, instead of
letting it finish), ``unanswered`` agents (online, rung, never answer). A recording stopped
(or whose bridge ends) is written to ``spool`` and reported with RecordingFinished. Every
request is kept in ``requests``; what still exists on the PBX is in ``channels``, ``bridges``
and ``live_recordings``; ``max_answered`` is the most callees answered at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from ari_app.ari import AriError
from konform.amd.detector import AmdDecision

__all__ = ["FakeAri", "FakeTap"]

Request = tuple[str, str, dict[str, Any]]


class FakeTap:
    """The AMD tap: decides at once, ``machine`` for the fake's ``machines``."""

    def __init__(self, ari: FakeAri, call_id: str, channel: str) -> None:
        self.ari = ari
        self.call_id = call_id
        self.running = False
        self.stats: dict[str, int] = {}

    def stasis_started(self, channel: str) -> None:
        pass

    async def start(
        self, host: str, media_format: str, on_decision: Callable[[AmdDecision], None]
    ) -> None:
        self.running = True
        number = self.ari.number_of.get(self.call_id)
        label: Literal["human", "machine"] = "machine" if number in self.ari.machines else "human"
        self.ari.decisions[self.call_id] = label
        asyncio.get_running_loop().call_soon(on_decision, AmdDecision(label, 1200, "fake"))

    async def stop(self, snoop_gone: bool = False) -> None:
        self.running = False

    def prompt_started(self) -> None:
        self.ari.prompts_started[self.call_id] = self.ari.prompts_started.get(self.call_id, 0) + 1


class FakeAri:
    app = "konform"
    url = "http://127.0.0.1:8088"

    def __init__(
        self,
        online: set[str] | None = None,
        press9: set[str] | None = None,
        machines: set[str] | None = None,
        leftovers: list[str] | None = None,
        *,
        busy: set[str] | None = None,
        no_answer: set[str] | None = None,
        keys: dict[str, dict[str, str]] | None = None,
        unanswered: set[str] | None = None,
        spool: Path | None = None,
        talk_s: float = 0.0,
    ) -> None:
        self.online = online or set()
        self.unanswered = unanswered or set()
        self.machines = machines or set()
        self.busy = busy or set()
        self.no_answer = no_answer or set()
        self.keys: dict[str, dict[str, str]] = {n: dict(k) for n, k in (keys or {}).items()}
        for number in press9 or set():
            self.keys.setdefault(number, {})["sound:konform/optout"] = "9"
        self.spool = spool
        self.talk_s = talk_s
        self.answered: set[str] = set()
        self.max_answered = 0
        self.events_q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.requests: list[Request] = []
        self.channels: set[str] = set(leftovers or [])
        self.bridges: set[str] = set()
        self.live_recordings: dict[str, str] = {}
        """Live recording name -> the bridge it records."""
        self.number_of: dict[str, str] = {}
        self.decisions: dict[str, str] = {}
        self.prompts_started: dict[str, int] = {}
        self.on_request: Callable[[str, str, dict[str, Any]], None] | None = None
        """Called with every request before it is carried out."""
        self.on_originate: Callable[[str, str], None] | None = None
        self.on_bridge: Callable[[str], Awaitable[Any]] | None = None

    # --- the protocol ------------------------------------------------------------------------
    def tap(self, ari: Any, call_id: str, channel: str) -> FakeTap:
        """A ``tap_factory`` for the dialer."""
        return FakeTap(self, call_id, channel)

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
        self._asked(method, path, {**(body or {}), **params})
        return None

    async def get(self, path: str, **params: Any) -> Any:
        if path == "/channels":
            return [{"id": c} for c in sorted(self.channels)]
        if path == "/bridges":
            return [{"id": b} for b in sorted(self.bridges)]
        if path == "/recordings/live":
            return [{"name": n} for n in sorted(self.live_recordings)]
        if path == "/endpoints/PJSIP":
            return [
                {"resource": a, "state": "online"} for a in sorted(self.online | self.unanswered)
            ]
        if path.startswith("/endpoints/"):
            agent = path.rsplit("/", 1)[1]
            return {"state": "online" if agent in self.online | self.unanswered else "offline"}
        return None

    async def delete(self, path: str, **params: Any) -> Any:
        self._asked("DELETE", path, params)
        kind, _, ident = path.strip("/").partition("/")
        if kind == "channels" and ident in self.channels:
            self.hang_up(ident)
        elif kind == "bridges":
            self.bridges.discard(ident)
            for name, bridge in list(self.live_recordings.items()):
                if bridge == ident:
                    self._recording_done(name)
        return None

    async def post(self, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        args = {**(body or {}), **params}
        self._asked("POST", path, args)
        parts = path.strip("/").split("/")
        if path == "/channels":
            self._originate(args)
        elif path == "/bridges":
            self.bridges.add(args["bridgeId"])
        elif path.endswith("/addChannel"):
            await self._bridged(parts[1])
        elif path.endswith("/record"):
            self.live_recordings[args["name"]] = parts[1]
        elif parts[:2] == ["recordings", "live"] and parts[-1] == "stop":
            self._recording_done(parts[2])
        elif path.endswith("/play"):
            self._play(parts[1], args["playbackId"], list(args["media"]))
        return None

    # --- scripting ---------------------------------------------------------------------------
    def hang_up(self, channel: str, cause: int = 16) -> None:
        """The channel ends (the callee or agent hung up, or konform asked)."""
        self.channels.discard(channel)
        self.answered.discard(channel)
        self.push({"type": "ChannelDestroyed", "channel": {"id": channel}, "cause": cause})

    def played(self) -> list[str]:
        """Every media item asked to be played, in order."""
        return [m for _, path, a in self.requests if path.endswith("/play") for m in a["media"]]

    def asked(self, method: str, suffix: str = "") -> list[str]:
        """Paths of the requests with ``method`` whose path ends with ``suffix``."""
        return [p for m, p, _ in self.requests if m == method and p.endswith(suffix)]

    def leftovers(self) -> list[str]:
        """What still exists on the PBX: channels, bridges, live recordings."""
        return sorted(self.channels | self.bridges | set(self.live_recordings))

    # --- what the PBX does -------------------------------------------------------------------
    def _asked(self, method: str, path: str, args: dict[str, Any]) -> None:
        self.requests.append((method, path, args))
        if self.on_request is not None:
            self.on_request(method, path, args)

    def _originate(self, args: dict[str, Any]) -> None:
        channel = args["channelId"]
        role, call_id = args["appArgs"].split(",")
        target = args["endpoint"].split("/", 1)[1].split("@")[0]
        self.channels.add(channel)
        if role == "callee":
            self.number_of[call_id] = target
            if self.on_originate is not None:
                self.on_originate(call_id, target)
            if target in self.busy or target in self.no_answer:
                self.hang_up(channel, 17 if target in self.busy else 19)
                return
        elif target in self.unanswered:
            return  # it rings until konform gives up
        if role == "callee":
            self.answered.add(channel)
            self.max_answered = max(self.max_answered, len(self.answered))
        self.push({"type": "StasisStart", "channel": {"id": channel}})

    async def _bridged(self, bridge: str) -> None:
        call_id = bridge.split("-")[0]
        if self.on_bridge is not None:
            await self.on_bridge(call_id)
        agent = f"{call_id}-agent"
        if agent not in self.channels:
            return
        if self.talk_s > 0:  # the agent talks, then hangs up
            asyncio.get_running_loop().call_later(self.talk_s, self._agent_done, agent)
        else:
            self.hang_up(agent)

    def _agent_done(self, agent: str) -> None:
        if agent in self.channels:
            self.hang_up(agent)

    def _play(self, channel: str, playback: str, media: list[str]) -> None:
        if channel not in self.channels:
            raise AriError("POST", f"/channels/{channel}/play", 404, "Channel not found")
        keys = self.keys.get(self.number_of.get(channel, ""), {})
        digit = next((keys[m] for m in media if m in keys), None)
        if digit is not None:
            self.push({"type": "ChannelDtmfReceived", "channel": {"id": channel}, "digit": digit})
        else:
            self.push({"type": "PlaybackFinished", "playback": {"id": playback}})

    def _recording_done(self, name: str) -> None:
        if self.live_recordings.pop(name, None) is None:
            return
        if self.spool is not None:
            self.spool.mkdir(parents=True, exist_ok=True)
            (self.spool / f"{name}.wav").write_bytes(b"RIFF fake recording")
        self.push({"type": "RecordingFinished", "recording": {"name": name}})
