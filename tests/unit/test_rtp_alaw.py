"""A-law (the German PSTN's G.711) on the AMD tap: decoded as libsndfile decodes it, and a
valid ``[dialer] media_format``."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from ari_app.rtp import FORMATS, AudioReassembler, RtpPacket, alaw_to_linear
from konform.config_checks import MEDIA_FORMATS


def test_alaw_decodes_like_libsndfile() -> None:
    codes = bytes(range(256))
    buffer = io.BytesIO()
    # A WAV of all 256 A-law codes, read back by libsndfile as 16-bit PCM.
    with sf.SoundFile(buffer, "w", 8000, 1, "ALAW", format="WAV") as handle:
        handle.write(np.zeros(256, dtype=np.int16))
    raw = bytearray(buffer.getvalue())
    raw[-256:] = codes
    expected, _ = sf.read(io.BytesIO(bytes(raw)), dtype="int16")
    decoded = np.frombuffer(alaw_to_linear(codes), dtype=np.int16)
    assert np.array_equal(decoded, expected)


def test_alaw_packets_are_reassembled_and_loss_is_silence() -> None:
    media = FORMATS["alaw"]
    assert (media.rate, media.payload_type, media.bytes_per_20ms) == (8000, 8, 160)
    reassembler = AudioReassembler(media, depth=1)
    payloads = []
    for seq in (0, 2, 3):  # 1 is lost
        packet = RtpPacket(8, seq, seq * 160, 1, bytes([0x55]) * 160)
        payloads += reassembler.push_datagram(bytes(packet))
    pcm = np.frombuffer(reassembler.decode(b"".join(payloads)), dtype=np.int16)
    assert reassembler.lost == 1
    assert np.all(pcm[160:320] == np.frombuffer(alaw_to_linear(b"\xd5"), np.int16)[0])
    assert abs(int(pcm[160])) <= 8  # A-law's silence code decodes to almost nothing
    assert "alaw" in MEDIA_FORMATS
