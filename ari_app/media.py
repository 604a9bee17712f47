"""The live audio path for answering machine detection: a UDP socket per call that receives
ARI externalMedia RTP, reassembles it and feeds the call's detector.

The sockets are not read packet by packet as they arrive (one event-loop wake-up per 20 ms
packet per call, the app's biggest cost at a hundred calls): one :class:`MediaHub` per event
loop drains every open socket on a short timer and hands each call's packets to its detector
together. That bounds the wake-ups to ``1 / DRAIN_INTERVAL_S`` per second whatever the number of
calls, and adds at most that interval to a decision.

A call's socket takes audio only from the PBX: from the address and port the externalMedia
channel sends from (ARI names them, see :meth:`AmdListener.expect`), or, when only the host is
known, from the first port of that host it hears. Anything else on the port is counted as bad
and dropped: a stranger's packets must not decide whether a person or a machine answered.

With ``guard`` (the tap's listeners), after the first stage's "human" the listener goes on
reading as the AMD guard
(:class:`~konform.amd.guard.Guard`): a "machine" from it is reported as a second decision
(reason ``guard_...``). It reads until it is closed (the call bridged its agent, or ended).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import weakref
from collections.abc import Callable
from typing import ClassVar

from ari_app.rtp import FORMATS, AudioReassembler, RtpError
from konform.amd.config import AmdConfig
from konform.amd.detector import AmdDecision, Detector
from konform.amd.guard import Guard

__all__ = ["DRAIN_INTERVAL_S", "AmdListener", "MediaHub"]

logger = logging.getLogger(__name__)

DRAIN_INTERVAL_S = 0.08
"""How often the hub reads all sockets: four packets per call each time. Shorter costs more
per call (every drain reads each socket until it is empty; see docs/benchmarks.md). At most this
much is added to a decision, small against the second of silence that ends a person's
greeting."""

MAX_DATAGRAM = 2048


class AmdListener:
    """Receives one call's externalMedia stream and reports the detector's decision once."""

    def __init__(
        self,
        sock: socket.socket,
        call_id: str,
        media_format: str,
        on_decision: Callable[[AmdDecision], None],
        config: AmdConfig | None = None,
        guard: bool = False,
    ) -> None:
        self.sock: socket.socket | None = sock
        self.port: int = sock.getsockname()[1]
        self.call_id = call_id
        self.media = FORMATS[media_format]
        self.reassembler = AudioReassembler(self.media)
        self.detector = Detector(self.media.rate, config)
        self.guard: Guard | None = None
        self.guarding = guard
        self.on_decision = on_decision
        self.bad_packets = 0
        self.foreign_packets = 0
        """Datagrams from another sender than the PBX (also counted in ``bad_packets``)."""
        self.peer_host: str | None = None
        self.peer: tuple[str, int] | None = None
        self._type_reported = False

    def expect(self, host: str, port: int | None = None) -> None:
        """Take audio only from ``host`` (an IP address) and ``port``; without a port, from
        the first port of ``host`` that sends. Until this is called nothing is read: the
        datagrams wait in the socket."""
        address = ipaddress.ip_address(host)  # a host name raises ValueError
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not isinstance(address, ipaddress.IPv4Address) or address.is_unspecified:
            raise ValueError(f"{host!r} is not an IPv4 address of the PBX")
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"{port} is not a UDP port")
        self.peer_host = str(address)
        self.peer = (self.peer_host, port) if port is not None else None

    def drain(self) -> None:
        """Read every datagram waiting on the socket and feed the detector with them at once."""
        sock = self.sock
        if sock is None or self.peer_host is None:
            return
        reassembler = self.reassembler
        payloads: list[bytes] = []
        peer = self.peer
        while True:
            try:
                data, source = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. ICMP port unreachable reported on the socket
                logger.debug("call %s: receive error %s", self.call_id, exc)
                break
            if source != peer:
                if not self._from_pbx(source):
                    continue
                peer = self.peer
            try:
                payloads += reassembler.push_datagram(data)
            except RtpError as exc:
                self.bad_packets += 1
                if self.bad_packets == 1:
                    logger.warning("call %s: unusable RTP: %s", self.call_id, exc)
        if reassembler.wrong_type and not self._type_reported:
            self._type_reported = True
            logger.error(
                "call %s: externalMedia sends another payload type than %d for %s: framing"
                " mismatch",
                self.call_id,
                self.media.payload_type,
                self.media.name,
            )
        if payloads:
            self._feed(reassembler.decode(b"".join(payloads)))

    def _feed(self, pcm: bytes) -> None:
        if self.guard is None:
            decision = self.detector.feed(pcm)
            if decision is None:
                return
            self.on_decision(decision)
            if decision.label == "machine" or not self.guarding:
                self.close()  # what still arrives until the tap is torn down is not read
                return
            self.guard = Guard(self.detector)
            pcm = b""  # what followed the decision in this batch waits in the detector
        decision = self.guard.feed(pcm)
        if decision is not None:
            self.on_decision(decision)
            self.close()

    def prompt_started(self) -> None:
        """Our first prompt started playing: the guard's turn-taking rule counts from here."""
        if self.guard is not None:
            self.guard.prompt_started()

    def _from_pbx(self, source: tuple[str, int]) -> bool:
        """Whether a datagram from an address other than the locked one is the PBX's: the first
        one from the PBX's host locks its sending port; anything else is counted and dropped."""
        if self.peer is None and source[0] == self.peer_host:
            self.peer = source
            return True
        self.bad_packets += 1
        self.foreign_packets += 1
        if self.foreign_packets == 1:
            logger.warning(
                "call %s: RTP from %s:%d, not from the PBX: dropped",
                self.call_id,
                source[0],
                source[1],
            )
        return False

    def stats(self) -> dict[str, int]:
        r = self.reassembler
        return {
            "packets": r.received,
            "lost": r.lost,
            "late": r.late,
            "wrong_payload_type": r.wrong_type,
            "bad": self.bad_packets,
            "foreign": self.foreign_packets,
            "audio_ms": self.detector.elapsed_ms,
            "guard_ms": self.detector.elapsed_ms - self.guard.started_ms if self.guard else 0,
        }

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class MediaHub:
    """Drains the sockets of all open listeners of one event loop on one timer."""

    _hubs: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MediaHub]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, interval: float = DRAIN_INTERVAL_S) -> None:
        self.interval = interval
        self.listeners: set[AmdListener] = set()
        self.cpu_seconds = 0.0
        """CPU time spent reading and analysing the audio (benchmarks report it)."""
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of_running_loop(cls) -> MediaHub:
        loop = asyncio.get_running_loop()
        hub = cls._hubs.get(loop)
        if hub is None:
            hub = cls._hubs[loop] = cls()
        return hub

    def open(
        self,
        host: str,
        call_id: str,
        media_format: str,
        on_decision: Callable[[AmdDecision], None],
        config: AmdConfig | None = None,
        peer: tuple[str, int | None] | None = None,
        guard: bool = False,
    ) -> AmdListener:
        """A listener on a fresh UDP port of ``host`` (its ``port``), drained from now on; it
        reads once it knows the PBX's address (``peer`` or :meth:`AmdListener.expect`); with
        ``guard`` it goes on as the AMD guard after a "human"."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((host, 0))
            sock.setblocking(False)
            listener = AmdListener(sock, call_id, media_format, on_decision, config, guard)
            if peer is not None:
                listener.expect(*peer)
        except BaseException:
            sock.close()
            raise
        self.listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return listener

    def close(self, listener: AmdListener) -> None:
        """Stop draining ``listener`` (what is still queued on its socket is dropped)."""
        self.listeners.discard(listener)
        listener.close()

    async def _run(self) -> None:
        while self.listeners:
            await asyncio.sleep(self.interval)
            started = time.process_time()
            for listener in list(self.listeners):
                if listener.sock is None:  # decided: closed itself
                    self.listeners.discard(listener)
                    continue
                try:
                    listener.drain()
                except Exception:  # one call's bad luck must not stop the others' audio
                    logger.exception("call %s: AMD audio failed", listener.call_id)
                    self.close(listener)
            self.cpu_seconds += time.process_time() - started
