"""The media hub without Asterisk: real UDP sockets on loopback, RTP sent as externalMedia
sends it, drained on the hub's timer into each call's detector."""

from __future__ import annotations

import asyncio
import socket

import numpy as np

from ari_app.media import AmdListener, MediaHub
from ari_app.rtp import RtpPacket
from konform.amd.detector import AmdDecision
from tests.amd_signals import mix, pcm16, silence, tone


def ulaw_packets(signal: np.ndarray, ssrc: int) -> list[bytes]:
    """The signal as 20 ms u-law RTP packets (encoded with the inverse of the decoder)."""
    from ari_app.rtp import ulaw_to_linear

    table = np.frombuffer(ulaw_to_linear(bytes(range(256))), dtype=np.int16).astype(np.int32)
    samples = pcm16(signal).astype(np.int32)
    codes = np.abs(samples[:, None] - table[None, :]).argmin(axis=1).astype(np.uint8)
    return [
        bytes(RtpPacket(0, seq, seq * 160, ssrc, codes[seq * 160 : (seq + 1) * 160].tobytes()))
        for seq in range(len(codes) // 160)
    ]


async def stream(port: int, packets: list[bytes]) -> None:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for index, packet in enumerate(packets):
            sender.sendto(packet, ("127.0.0.1", port))
            if index % 5 == 4:
                await asyncio.sleep(0.005)  # a bit of pacing; the hub drains in between
    finally:
        sender.close()


def test_two_calls_each_get_their_own_decision_and_the_hub_stops_when_idle() -> None:
    beep_call = mix(silence(0.3), tone(1000, 0.6), silence(0.5))
    quiet_call = silence(4.0) + 0.0005 * np.random.default_rng(2).standard_normal(32000).astype(
        np.float32
    )

    async def main() -> tuple[dict[str, AmdDecision], MediaHub, list[AmdListener]]:
        hub = MediaHub(interval=0.01)
        decided: dict[str, AmdDecision] = {}
        listeners = [
            hub.open("127.0.0.1", call, "ulaw", lambda d, c=call: decided.setdefault(c, d))
            for call in ("kbeep", "kquiet")
        ]
        await asyncio.gather(
            stream(listeners[0].port, ulaw_packets(beep_call, 1)),
            stream(listeners[1].port, ulaw_packets(quiet_call, 2)),
        )
        for _ in range(200):
            if len(decided) == 2 and not hub.listeners:
                break
            await asyncio.sleep(0.01)
        return decided, hub, listeners

    decided, hub, listeners = asyncio.run(main())
    assert decided["kbeep"].label == "machine" and decided["kbeep"].reason == "beep"
    assert decided["kquiet"].label == "human" and decided["kquiet"].reason == "initial_silence"
    assert not hub.listeners  # both closed themselves at their decision
    assert all(listener.sock is None for listener in listeners)
    assert listeners[0].stats()["packets"] > 0 and listeners[0].stats()["lost"] == 0
    assert hub.cpu_seconds > 0


def test_garbage_on_the_socket_is_counted_not_fatal() -> None:
    async def main() -> AmdListener:
        hub = MediaHub(interval=0.01)
        listener = hub.open("127.0.0.1", "kjunk", "ulaw", lambda d: None)
        await stream(listener.port, [b"\x00\x01", b"not rtp at all"])
        for _ in range(100):
            if listener.bad_packets == 2:
                break
            await asyncio.sleep(0.01)
        hub.close(listener)
        return listener

    listener = asyncio.run(main())
    assert listener.bad_packets == 2 and listener.sock is None
