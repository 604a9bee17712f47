"""The live audio path for answering machine detection: a UDP socket per call that receives
ARI externalMedia RTP, reassembles it and feeds the call's detector."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from ari_app.rtp import FORMATS, AudioReassembler, RtpError, RtpPacket
from konform.amd.config import AmdConfig
from konform.amd.detector import AmdDecision, Detector

__all__ = ["AmdListener"]

logger = logging.getLogger(__name__)


class AmdListener(asyncio.DatagramProtocol):
    """Receives one call's externalMedia stream and reports the detector's decision once."""

    def __init__(
        self,
        call_id: str,
        media_format: str,
        on_decision: Callable[[AmdDecision], None],
        config: AmdConfig | None = None,
    ) -> None:
        self.call_id = call_id
        self.media = FORMATS[media_format]
        self.reassembler = AudioReassembler(self.media)
        self.detector = Detector(self.media.rate, config)
        self.on_decision = on_decision
        self.transport: asyncio.DatagramTransport | None = None
        self.bad_packets = 0

    @classmethod
    async def open(
        cls,
        host: str,
        call_id: str,
        media_format: str,
        on_decision: Callable[[AmdDecision], None],
        config: AmdConfig | None = None,
    ) -> tuple[AmdListener, int]:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: cls(call_id, media_format, on_decision, config), local_addr=(host, 0)
        )
        port: int = transport.get_extra_info("sockname")[1]
        return protocol, port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.detector.decision is not None:
            return
        try:
            packet = RtpPacket.parse(data)
        except RtpError as exc:
            self.bad_packets += 1
            if self.bad_packets == 1:
                logger.warning("call %s: unusable RTP from %s: %s", self.call_id, addr, exc)
            return
        if self.reassembler.received == 0 and packet.payload_type != self.media.payload_type:
            logger.error(
                "call %s: externalMedia sends payload type %d, expected %d for %s: framing"
                " mismatch",
                self.call_id,
                packet.payload_type,
                self.media.payload_type,
                self.media.name,
            )
        for pcm in self.reassembler.push(packet):
            decision = self.detector.feed(pcm)
            if decision is not None:
                self.on_decision(decision)
                return

    def stats(self) -> dict[str, int]:
        r = self.reassembler
        return {
            "packets": r.received,
            "lost": r.lost,
            "late": r.late,
            "wrong_payload_type": r.wrong_type,
            "bad": self.bad_packets,
            "audio_ms": self.detector.elapsed_ms,
        }

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
