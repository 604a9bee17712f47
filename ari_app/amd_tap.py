"""Tapping a channel's incoming audio for answering machine detection: a snoop channel
(``spy=in``: only what the callee says) and an externalMedia channel in a mixing bridge, which
sends the audio as RTP to an :class:`~ari_app.media.AmdListener` of the app. The callee hears
nothing of it. Ids derive from the call id so the router can hand the events back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ari_app.ari import AriClient, AriError
from ari_app.media import AmdListener, MediaHub
from konform.amd.config import AmdConfig
from konform.amd.detector import AmdDecision

__all__ = ["AmdTap"]

logger = logging.getLogger(__name__)


class AmdTap:
    def __init__(self, ari: AriClient, call_id: str, channel: str) -> None:
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
            host, self.call_id, media_format, on_decision, config
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
        await self.ari.post(
            "/channels/externalMedia",
            app=app,
            channelId=self.media_id,
            external_host=f"{host}:{self.listener.port}",
            format=media_format,
            encapsulation="rtp",
            transport="udp",
            direction="both",
        )
        await self.ari.post("/bridges", type="mixing", bridgeId=self.bridge_id)
        # Both channels must be in the application before they can join the bridge.
        await asyncio.wait_for(asyncio.gather(*self._in_stasis.values()), timeout=5)
        await self.ari.post(
            f"/bridges/{self.bridge_id}/addChannel", channel=f"{self.snoop_id},{self.media_id}"
        )

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

    @property
    def running(self) -> bool:
        return self.listener is not None
