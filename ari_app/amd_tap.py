"""Tapping a channel's incoming audio for answering machine detection: a snoop channel
(``spy=in``: only what the callee says) and an externalMedia channel in a mixing bridge, which
sends the audio as RTP to an :class:`~ari_app.media.AmdListener` of the app. The callee hears
nothing of it. After a "human" the tap stays up as the AMD guard (a second decision,
``guard_...``, if the callee turns out a machine) until the call stops it: at the bridge to an
agent, or at the call's end. Ids derive from the call id so the router can hand the events back.

The listener takes audio only from the address the externalMedia channel sends from: ARI
returns it with the new channel (channel variables ``UNICASTRTP_LOCAL_ADDRESS`` and
``UNICASTRTP_LOCAL_PORT``, set by chan_rtp since Asterisk 16.6); failing that, the PBX host of
the ARI URL, whose first sending port is then locked.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ari_app.ari import Ari, AriError
from ari_app.media import AmdListener, MediaHub
from konform.amd.config import AmdConfig
from konform.amd.detector import AmdDecision

__all__ = ["AmdTap"]

logger = logging.getLogger(__name__)


class AmdTap:
    def __init__(self, ari: Ari, call_id: str, channel: str) -> None:
        self.ari = ari
        self.call_id = call_id
        self.channel = channel
        self.snoop_id = f"{call_id}-snoop"
        self.media_id = f"{call_id}-em"
        self.bridge_id = f"{call_id}-amd"
        self.listener: AmdListener | None = None
        self.stats: dict[str, int] = {}
        self._in_stasis: dict[str, asyncio.Future[None]] = {}

    def stasis_started(self, channel: str) -> None:
        """Called by the owner for every StasisStart it sees."""
        waiting = self._in_stasis.get(channel)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def start(
        self,
        host: str,
        media_format: str,
        on_decision: Callable[[AmdDecision], None],
        config: AmdConfig | None = None,
    ) -> None:
        self.listener = MediaHub.of_running_loop().open(
            host, self.call_id, media_format, on_decision, config, guard=True
        )
        loop = asyncio.get_running_loop()
        for channel in (self.snoop_id, self.media_id):
            self._in_stasis[channel] = loop.create_future()
        app = self.ari.app
        await self.ari.post(
            f"/channels/{self.channel}/snoop",
            spy="in",
            whisper="none",
            app=app,
            appArgs=f"snoop,{self.call_id}",
            snoopId=self.snoop_id,
        )
        channel = await self.ari.post(
            "/channels/externalMedia",
            app=app,
            channelId=self.media_id,
            external_host=f"{host}:{self.listener.port}",
            format=media_format,
            encapsulation="rtp",
            transport="udp",
            direction="both",
        )
        pbx_host, pbx_port = await self._pbx_address(channel)
        self.listener.expect(pbx_host, pbx_port)
        await self.ari.post("/bridges", type="mixing", bridgeId=self.bridge_id)
        # Both channels must be in the application before they can join the bridge.
        await asyncio.wait_for(asyncio.gather(*self._in_stasis.values()), timeout=5)
        await self.ari.post(
            f"/bridges/{self.bridge_id}/addChannel", channel=f"{self.snoop_id},{self.media_id}"
        )

    async def _pbx_address(self, channel: Any) -> tuple[str, int | None]:
        """Where the externalMedia channel sends from: host and port as ARI reports them, or
        the ARI host alone (its first sending port is then learned)."""
        variables = channel.get("channelvars") if isinstance(channel, dict) else None
        if not isinstance(variables, dict) or "UNICASTRTP_LOCAL_ADDRESS" not in variables:
            variables = {}
            for name in ("UNICASTRTP_LOCAL_ADDRESS", "UNICASTRTP_LOCAL_PORT"):
                try:
                    answer = await self.ari.get(
                        f"/channels/{self.media_id}/variable", variable=name
                    )
                except AriError as exc:
                    logger.debug("call %s: %s", self.call_id, exc)
                    continue
                if isinstance(answer, dict) and answer.get("value"):
                    variables[name] = answer["value"]
        address = str(variables.get("UNICASTRTP_LOCAL_ADDRESS") or "")
        port_text = str(variables.get("UNICASTRTP_LOCAL_PORT") or "")
        if address and address not in ("0.0.0.0", "::"):
            return address, int(port_text) if port_text.isdigit() else None
        # No address from ARI: the PBX is the host ARI runs on.
        ari_host = urlsplit(self.ari.url).hostname or "127.0.0.1"
        infos = await asyncio.get_running_loop().getaddrinfo(
            ari_host, None, family=socket.AF_INET, type=socket.SOCK_DGRAM
        )
        logger.warning(
            "call %s: ARI named no RTP address for the externalMedia channel; taking audio"
            " from %s only",
            self.call_id,
            ari_host,
        )
        return str(infos[0][4][0]), None

    async def stop(self, snoop_gone: bool = False) -> None:
        """Tear the tap down; ``snoop_gone``: the tapped channel is hung up, and its snoop
        channel with it."""
        if self.listener is not None:
            self.stats = self.listener.stats()
            MediaHub.of_running_loop().close(self.listener)
            self.listener = None
        paths = [f"/channels/{self.media_id}", f"/bridges/{self.bridge_id}"]
        if not snoop_gone:
            paths.insert(1, f"/channels/{self.snoop_id}")
        for path in paths:
            try:
                await self.ari.delete(path)
            except AriError as exc:
                if exc.status not in (404, 409, 422):
                    logger.warning("%s", exc)

    def prompt_started(self) -> None:
        """Our first prompt started playing to the callee (the guard's turn-taking counts from
        here: a person stops talking when it starts, a recording does not)."""
        if self.listener is not None:
            self.listener.prompt_started()

    @property
    def running(self) -> bool:
        return self.listener is not None
