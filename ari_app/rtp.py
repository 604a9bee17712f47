"""RTP as the app receives it from ARI externalMedia: packet parsing, reordering, decoding.

Sans-IO: :class:`RtpPacket` parses bytes; :class:`AudioReassembler` puts packets back in
sequence order (tolerating reordering and loss, filling gaps with silence) and decodes the
payload to native 16-bit PCM for the detector. Framing as observed on Asterisk 22: a 12-byte
header, then 20 ms of audio; ``slin16`` arrives with payload type 118 and *big-endian* samples
(640 bytes), ``ulaw`` with payload type 0 and ``alaw`` (the German PSTN's G.711) with payload
type 8 (160 bytes each).
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FORMATS",
    "AudioReassembler",
    "RtpError",
    "RtpPacket",
    "alaw_to_linear",
    "ulaw_to_linear",
]


class RtpError(ValueError):
    """Not an RTP packet konform can use."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < 12:
            raise RtpError(f"{len(data)} bytes is too short for RTP")
        first, second, sequence, timestamp, ssrc = struct.unpack_from("!BBHII", data)
        if first >> 6 != 2:
            raise RtpError(f"RTP version {first >> 6}, expected 2")
        offset = 12 + 4 * (first & 0x0F)
        if first & 0x10:  # header extension
            if len(data) < offset + 4:
                raise RtpError("truncated RTP header extension")
            (length,) = struct.unpack_from("!H", data, offset + 2)
            offset += 4 + 4 * length
        end = len(data)
        if first & 0x20:  # padding
            end -= data[-1]
        if offset > end:
            raise RtpError("RTP header longer than the packet")
        return cls(second & 0x7F, sequence, timestamp, ssrc, data[offset:end], bool(second & 0x80))

    def __bytes__(self) -> bytes:
        header = struct.pack(
            "!BBHII",
            0x80,
            (0x80 if self.marker else 0) | self.payload_type,
            self.sequence,
            self.timestamp,
            self.ssrc,
        )
        return header + self.payload


def _ulaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32)
    u = ~codes & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = ((mantissa << 3) + 0x84) << exponent
    return np.where(sign, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def _decoder(table: np.ndarray) -> Callable[[bytes], bytes]:
    """A G.711 decoder from its 256-entry table: each code's first and second byte in memory
    (native byte order) are two look-ups in C (bytes.translate), no array round trip per
    20 ms packet."""
    pcm = table.tobytes()
    first, second = pcm[0::2], pcm[1::2]

    def to_linear(payload: bytes) -> bytes:
        out = bytearray(2 * len(payload))
        out[0::2] = payload.translate(first)
        out[1::2] = payload.translate(second)
        return bytes(out)

    return to_linear


ulaw_to_linear = _decoder(_ulaw_table())


def _alaw_table() -> np.ndarray:
    """G.711 A-law: even bits inverted (0x55), then sign, 3-bit segment and 4-bit mantissa."""
    a = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


alaw_to_linear = _decoder(_alaw_table())


@dataclass(frozen=True)
class MediaFormat:
    name: str
    rate: int
    payload_type: int
    bytes_per_20ms: int
    silence_byte: int
    """The encoded sample value of silence (u-law 0xFF, linear 0)."""
    sample_bytes: int
    """Bytes per sample: a payload must hold whole samples (slin16: an even length)."""


FORMATS = {
    "slin16": MediaFormat("slin16", 16000, 118, 640, 0x00, 2),
    "ulaw": MediaFormat("ulaw", 8000, 0, 160, 0xFF, 1),
    "alaw": MediaFormat("alaw", 8000, 8, 160, 0xD5, 1),
}


class AudioReassembler:
    """Reorders packets by sequence number and yields decoded PCM (native 16-bit).

    Holds up to ``depth`` packets to wait for late ones; a gap that is still open when the
    buffer is full is filled with silence of the missing packets' length.
    """

    def __init__(self, media: MediaFormat, depth: int = 3) -> None:
        self.media = media
        self.depth = depth
        self._pending: dict[int, bytes] = {}
        self._next: int | None = None
        self.received = 0
        self.lost = 0
        self.late = 0
        self.wrong_type = 0
        self._whole = media.sample_bytes == 1  # every payload length holds whole samples

    def push(self, packet: RtpPacket) -> list[bytes]:
        """Add one packet; return the PCM chunks now ready, in order."""
        return [self.decode(payload) for payload in self._accept(packet)]

    def push_datagram(self, data: bytes) -> list[bytes]:
        """Add one datagram as received; return the *encoded* payloads now ready, in order
        (decode them together with :meth:`decode`). Raises :class:`RtpError` for non-RTP and
        for a payload that does not hold whole samples (dropped: its gap is filled with
        silence like a lost packet's).

        The common case, the next packet in sequence with a plain 12-byte header (version 2,
        no padding, extension or CSRC), the expected payload type and whole samples, takes a
        short path.
        """
        if (
            self._next is not None
            and not self._pending
            and len(data) > 12
            and data[0] == 0x80
            and data[1] & 0x7F == self.media.payload_type
            and (data[2] << 8 | data[3]) == self._next
            and (self._whole or not (len(data) - 12) % self.media.sample_bytes)
        ):
            self.received += 1
            self._next = (self._next + 1) & 0xFFFF
            return [data[12:]]
        return self._accept(RtpPacket.parse(data))

    def _accept(self, packet: RtpPacket) -> list[bytes]:
        if len(packet.payload) % self.media.sample_bytes:
            raise RtpError(
                f"{len(packet.payload)}-byte payload is not whole {self.media.name} samples"
            )
        if packet.payload_type != self.media.payload_type:
            self.wrong_type += 1  # reported by the caller: a framing mismatch, not fatal
        self.received += 1
        if self._next is None:
            self._next = packet.sequence
        ahead = (packet.sequence - self._next) & 0xFFFF
        if ahead >= 0x8000:  # older than what was already played out
            self.late += 1
            return []
        self._pending[packet.sequence] = packet.payload
        out: list[bytes] = []
        while self._pending:
            if self._next in self._pending:
                out.append(self._pending.pop(self._next))
                self._next = (self._next + 1) & 0xFFFF
            elif len(self._pending) > self.depth:
                self.lost += 1
                out.append(bytes([self.media.silence_byte]) * self.media.bytes_per_20ms)
                self._next = (self._next + 1) & 0xFFFF
            else:
                break
        return out

    def decode(self, payload: bytes) -> bytes:
        """Encoded audio (any number of packets' worth) as native 16-bit PCM."""
        if self.media.name == "ulaw":
            return ulaw_to_linear(payload)
        if self.media.name == "alaw":
            return alaw_to_linear(payload)
        samples = np.frombuffer(payload, dtype=">i2")
        return samples.astype(np.int16).tobytes() if sys.byteorder == "little" else payload
