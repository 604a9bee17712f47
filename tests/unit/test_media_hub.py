"""The media hub without Asterisk: real UDP sockets on loopback, RTP sent as externalMedia
sends it, drained on the hub's timer into each call's detector; only the PBX's packets count."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ari_app.amd_tap import AmdTap
from ari_app.ari import AriError
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


def udp(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    return sock


async def stream(port: int, packets: list[bytes], sender: socket.socket | None = None) -> None:
    own = sender is None
    sock = udp() if sender is None else sender
    try:
        for index, packet in enumerate(packets):
            sock.sendto(packet, ("127.0.0.1", port))
            if index % 5 == 4:
                await asyncio.sleep(0.005)  # a bit of pacing; the hub drains in between
    finally:
        if own:
            sock.close()


PBX = ("127.0.0.1", None)
"""The PBX's host, its sending port learned from the first packet."""


def test_two_calls_each_get_their_own_decision_and_the_hub_stops_when_idle() -> None:
    beep_call = mix(silence(0.3), tone(1000, 0.6), silence(0.5))
    quiet_call = silence(4.0) + 0.0005 * np.random.default_rng(2).standard_normal(32000).astype(
        np.float32
    )

    async def main() -> tuple[dict[str, AmdDecision], MediaHub, list[AmdListener]]:
        hub = MediaHub(interval=0.01)
        decided: dict[str, AmdDecision] = {}

        def recorder(call: str) -> Callable[[AmdDecision], None]:
            def record(decision: AmdDecision) -> None:
                decided.setdefault(call, decision)

            return record

        listeners = [
            hub.open("127.0.0.1", call, "ulaw", recorder(call), peer=PBX)
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
    assert decided["kbeep"].label == "machine"
    assert decided["kbeep"].reason == "beep"
    assert decided["kquiet"].label == "human"
    assert decided["kquiet"].reason == "initial_silence"
    assert not hub.listeners  # both closed themselves at their decision
    assert all(listener.sock is None for listener in listeners)
    assert listeners[0].stats()["packets"] > 0
    assert listeners[0].stats()["lost"] == 0
    assert hub.cpu_seconds > 0


def test_garbage_on_the_socket_is_counted_not_fatal() -> None:
    async def main() -> AmdListener:
        hub = MediaHub(interval=0.01)
        listener = hub.open("127.0.0.1", "kjunk", "ulaw", lambda d: None, peer=PBX)
        await stream(listener.port, [b"\x00\x01", b"not rtp at all"])
        for _ in range(100):
            if listener.bad_packets == 2:
                break
            await asyncio.sleep(0.01)
        hub.close(listener)
        return listener

    listener = asyncio.run(main())
    assert listener.bad_packets == 2
    assert listener.sock is None


def quiet(seconds: float, rate: int) -> np.ndarray:
    n = int(seconds * rate)
    return (0.0005 * np.random.default_rng(2).standard_normal(n)).astype(np.float32)


async def settle(listener: AmdListener, done: Callable[[], bool]) -> None:
    for _ in range(300):
        if done():
            return
        await asyncio.sleep(0.01)


def test_packets_from_another_sender_are_counted_and_dropped() -> None:
    """finding 12: the socket takes audio only from the PBX's address and port; a stranger's
    beep on the same port neither decides the call nor turns detection off."""
    beep = ulaw_packets(mix(silence(0.3), tone(1000, 0.6), silence(0.5)), 7)
    person = ulaw_packets(quiet(4.0, 8000), 8)

    async def main() -> tuple[list[AmdDecision], AmdListener]:
        hub = MediaHub(interval=0.01)
        decided: list[AmdDecision] = []
        pbx, stranger = udp(), udp()
        try:
            listener = hub.open(
                "127.0.0.1", "kforeign", "ulaw", decided.append, peer=pbx.getsockname()
            )
            await stream(listener.port, beep, stranger)
            await settle(listener, lambda: listener.foreign_packets == len(beep))
            assert not decided
            await stream(listener.port, person, pbx)
            await settle(listener, lambda: bool(decided))
        finally:
            pbx.close()
            stranger.close()
        return decided, listener

    decided, listener = asyncio.run(main())
    assert [(d.label, d.reason) for d in decided] == [("human", "initial_silence")]
    assert listener.foreign_packets == len(beep)
    assert listener.bad_packets == len(beep)
    assert listener.stats()["foreign"] == len(beep)


def test_only_the_expected_host_is_learned_and_then_locked() -> None:
    """finding 12: with only the PBX host known, the first sender *from that host* is locked
    in; another host first, or another port of the host later, is dropped as foreign."""

    async def main() -> AmdListener:
        hub = MediaHub(interval=0.01)
        other_host, pbx, other_port = udp("127.0.0.2"), udp(), udp()
        try:
            listener = hub.open("127.0.0.1", "klearn", "ulaw", lambda d: None, peer=PBX)
            packets = ulaw_packets(quiet(0.2, 8000), 9)
            await stream(listener.port, packets[:2], other_host)
            await settle(listener, lambda: listener.foreign_packets == 2)
            await stream(listener.port, packets[2:5], pbx)
            await settle(listener, lambda: listener.reassembler.received == 3)
            await stream(listener.port, packets[5:7], other_port)
            await settle(listener, lambda: listener.foreign_packets == 4)
            assert listener.peer == pbx.getsockname()
        finally:
            for sock in (other_host, pbx, other_port):
                sock.close()
        hub.close(listener)
        return listener

    listener = asyncio.run(main())
    assert listener.foreign_packets == 4
    assert listener.reassembler.received == 3


def test_nothing_is_read_before_the_pbx_address_is_known() -> None:
    """finding 12: until the tap names the PBX, datagrams wait in the socket, unread."""

    async def main() -> AmdListener:
        hub = MediaHub(interval=0.01)
        listener = hub.open("127.0.0.1", "kwait", "ulaw", lambda d: None)
        await stream(listener.port, ulaw_packets(quiet(0.1, 8000), 3))
        await asyncio.sleep(0.05)
        assert listener.reassembler.received == 0
        assert listener.bad_packets == 0
        listener.expect("127.0.0.1")
        await settle(listener, lambda: listener.reassembler.received == 5)
        hub.close(listener)
        return listener

    assert asyncio.run(main()).reassembler.received == 5


def test_expect_refuses_what_is_not_a_pbx_address() -> None:
    async def main() -> None:
        hub = MediaHub(interval=0.01)
        listener = hub.open("127.0.0.1", "kbad", "ulaw", lambda d: None)
        for host in ("pbx.example", "0.0.0.0", "::1"):
            with pytest.raises(ValueError, match="address"):
                listener.expect(host)
        listener.expect("::ffff:127.0.0.1", 4000)
        assert listener.peer == ("127.0.0.1", 4000)
        hub.close(listener)

    asyncio.run(main())


def slin16_packets(signal: np.ndarray, ssrc: int) -> list[bytes]:
    """The signal (16 kHz) as 20 ms slin16 RTP packets: big-endian, payload type 118."""
    samples = pcm16(signal).astype(">i2").tobytes()
    return [
        bytes(RtpPacket(118, seq, seq * 320, ssrc, samples[seq * 640 : (seq + 1) * 640]))
        for seq in range(len(samples) // 640)
    ]


def test_odd_slin16_payload_is_counted_and_detection_goes_on() -> None:
    """finding 12: an odd-length slin16 payload is one bad packet, never a crash, and the
    call's detection goes on to its decision."""
    packets = slin16_packets(quiet(4.0, 16000), 5)
    odd = packets[10][:-1]  # half a sample short
    packets = [*packets[:10], odd, *packets[11:]]

    async def main() -> tuple[list[AmdDecision], AmdListener, MediaHub]:
        hub = MediaHub(interval=0.01)
        decided: list[AmdDecision] = []
        listener = hub.open("127.0.0.1", "kodd", "slin16", decided.append, peer=PBX)
        await stream(listener.port, packets)
        await settle(listener, lambda: bool(decided))
        return decided, listener, hub

    decided, listener, hub = asyncio.run(main())
    assert [(d.label, d.reason) for d in decided] == [("human", "initial_silence")]
    assert listener.bad_packets == 1
    assert listener.foreign_packets == 0
    assert not hub.listeners


@pytest.mark.parametrize(
    ("channelvars", "variables", "expected"),
    [
        ({"UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1", "UNICASTRTP_LOCAL_PORT": "17000"}, {}, 17000),
        (None, {"UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1", "UNICASTRTP_LOCAL_PORT": "17001"}, 17001),
        (None, {}, None),
    ],
)
def test_the_tap_locks_the_listener_to_the_address_ari_names(
    channelvars: dict[str, str] | None, variables: dict[str, str], expected: int | None
) -> None:
    """finding 12: the externalMedia channel's UNICASTRTP_LOCAL_ADDRESS/PORT (returned by ARI
    with the channel, else asked for) become the only sender the call's socket takes audio
    from; without them, only the ARI host, its first sending port locked."""

    class FakeAri:
        app = "konform"
        url = "http://localhost:8088"

        def __init__(self) -> None:
            self.tap: AmdTap | None = None

        async def post(self, path: str, **params: Any) -> Any:
            if path == "/channels/externalMedia":
                assert self.tap is not None
                self.tap.stasis_started(self.tap.snoop_id)
                self.tap.stasis_started(self.tap.media_id)
                channel: dict[str, Any] = {"id": params["channelId"]}
                if channelvars is not None:
                    channel["channelvars"] = channelvars
                return channel
            return {}

        async def get(self, path: str, **params: Any) -> Any:
            assert path == "/channels/ktap-em/variable"
            if params["variable"] not in variables:
                raise AriError("GET", path, 404, "Provided variable was not found")
            return {"value": variables[params["variable"]]}

    async def main() -> tuple[str | None, tuple[str, int] | None]:
        ari = FakeAri()
        tap = AmdTap(ari, "ktap", "ktap")  # type: ignore[arg-type]
        ari.tap = tap
        await tap.start("127.0.0.1", "ulaw", lambda d: None)
        assert tap.listener is not None
        peer = tap.listener.peer_host, tap.listener.peer
        MediaHub.of_running_loop().close(tap.listener)
        return peer

    host, peer = asyncio.run(main())
    assert host == "127.0.0.1"
    assert peer == (None if expected is None else ("127.0.0.1", expected))
