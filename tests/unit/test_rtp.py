"""RTP parsing, reordering, loss and the slin16 byte order the detector depends on."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from ari_app.rtp import FORMATS, AudioReassembler, RtpError, RtpPacket, ulaw_to_linear


def packet(seq: int, payload: bytes, pt: int = 118) -> RtpPacket:
    return RtpPacket(pt, seq & 0xFFFF, seq * 320, 0x1234, payload)


def test_round_trip() -> None:
    original = packet(7, b"\x01\x02" * 320)
    parsed = RtpPacket.parse(bytes(original))
    assert parsed == original


def test_header_with_csrc_extension_and_padding() -> None:
    payload = b"\xaa" * 8
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 1, 118, 1, 2, 3)
    data = header + b"\0\0\0\1" + b"\xbe\xde\x00\x01" + b"\0\0\0\0" + payload + b"\0\0\x03"
    parsed = RtpPacket.parse(data)
    assert parsed.payload == payload


@pytest.mark.parametrize("data", [b"", b"\x80" * 5, bytes([0x40]) + b"\0" * 20])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(RtpError):
        RtpPacket.parse(data)


def test_slin16_big_endian_becomes_native() -> None:
    samples = np.array([1, -2, 300, -32768], dtype=np.int16)
    reassembler = AudioReassembler(FORMATS["slin16"])
    (pcm,) = reassembler.push(packet(1, samples.astype(">i2").tobytes()))
    assert np.array_equal(np.frombuffer(pcm, dtype=np.int16), samples)


def test_reordered_packets_come_out_in_order() -> None:
    reassembler = AudioReassembler(FORMATS["slin16"], depth=3)
    chunks = [bytes([i]) * 640 for i in range(5)]
    out = []
    for seq in (0, 2, 1, 3, 4):
        out += reassembler.push(packet(100 + seq, chunks[seq]))
    assert [c[0] for c in out] == [0, 1, 2, 3, 4]
    assert len(out) == 5
    assert reassembler.lost == 0


def test_loss_is_filled_with_silence() -> None:
    reassembler = AudioReassembler(FORMATS["ulaw"], depth=2)
    out = []
    for seq in (0, 1, 3, 4, 5, 6):
        out += reassembler.push(packet(seq, b"\xff" * 160, pt=0))
    assert reassembler.lost == 1
    assert out[2] == b"\0" * 320  # 20 ms of silence at 8 kHz stands in for packet 2


def test_sequence_wraps_around() -> None:
    reassembler = AudioReassembler(FORMATS["ulaw"])
    out = []
    for seq in (65534, 65535, 0, 1):
        out += reassembler.push(packet(seq, b"\xff" * 160, pt=0))
    assert len(out) == 4
    assert reassembler.lost == 0


def test_late_duplicates_are_dropped() -> None:
    reassembler = AudioReassembler(FORMATS["ulaw"])
    reassembler.push(packet(10, b"\xff" * 160, pt=0))
    reassembler.push(packet(11, b"\xff" * 160, pt=0))
    assert reassembler.push(packet(10, b"\xff" * 160, pt=0)) == []
    assert reassembler.late == 1


def test_ulaw_decoding_known_values() -> None:
    decoded = np.frombuffer(ulaw_to_linear(bytes([0xFF, 0x7F, 0x00, 0x80])), dtype=np.int16)
    assert list(decoded) == [0, 0, -32124, 32124]


def test_ulaw_decoding_matches_libsndfile_for_every_code() -> None:
    import io

    import soundfile

    codes = bytes(range(256))
    reference, _ = soundfile.read(
        io.BytesIO(codes),
        dtype="int16",
        format="RAW",
        subtype="ULAW",
        samplerate=8000,
        channels=1,
    )
    assert list(np.frombuffer(ulaw_to_linear(codes), dtype=np.int16)) == list(reference)


def test_datagrams_give_what_packets_give_in_order_reordered_lost_and_odd() -> None:
    """push_datagram's short path (plain header, next in sequence) and its general path
    (everything else) hand over the same audio as push() of parsed packets."""
    rng = np.random.default_rng(3)
    payloads = [rng.integers(0, 256, 160, dtype=np.uint8).tobytes() for _ in range(12)]
    order = [0, 1, 2, 4, 3, 5, 7, 8, 9, 10, 11, 2]  # reordered, 6 lost, 2 late
    datagrams = [bytes(packet(65530 + i, payloads[i], pt=0)) for i in order]
    padded = (
        struct.pack("!BBHII", 0xA0, 0, (65530 + 12) & 0xFFFF, 0, 0x1234) + payloads[0] + b"\x02\x02"
    )
    datagrams.append(padded)  # padding: not the short path
    by_packet = AudioReassembler(FORMATS["ulaw"], depth=2)
    by_datagram = AudioReassembler(FORMATS["ulaw"], depth=2)
    expected = [pcm for d in datagrams for pcm in by_packet.push(RtpPacket.parse(d))]
    encoded = [p for d in datagrams for p in by_datagram.push_datagram(d)]
    assert by_datagram.decode(b"".join(encoded)) == b"".join(expected)
    assert (
        (by_datagram.received, by_datagram.lost, by_datagram.late)
        == (
            by_packet.received,
            by_packet.lost,
            by_packet.late,
        )
        == (13, 1, 1)
    )


def test_a_wrong_payload_type_is_counted_on_the_general_path() -> None:
    reassembler = AudioReassembler(FORMATS["ulaw"])
    reassembler.push_datagram(bytes(packet(1, b"\xff" * 160, pt=0)))
    reassembler.push_datagram(bytes(packet(2, b"\xff" * 320, pt=118)))
    assert reassembler.wrong_type == 1
    with pytest.raises(RtpError):
        reassembler.push_datagram(b"\x80\x00")


def test_odd_length_slin16_payload_is_refused_and_the_stream_goes_on() -> None:
    """finding 12: an odd-length slin16 payload (half a sample) is refused as bad RTP, on the
    short path and the general one; its place is filled with silence like a lost packet's,
    and every payload handed on decodes."""
    reassembler = AudioReassembler(FORMATS["slin16"])
    payloads = reassembler.push_datagram(bytes(packet(1, b"\x00\x01" * 320)))
    with pytest.raises(RtpError, match="not whole slin16 samples"):
        reassembler.push_datagram(bytes(packet(2, b"\x00" * 639)))  # in sequence: short path
    with pytest.raises(RtpError, match="not whole slin16 samples"):
        reassembler.push(packet(2, b"\x00" * 3))
    for seq in range(3, 8):
        payloads += reassembler.push_datagram(bytes(packet(seq, b"\x00\x02" * 320)))
    assert len(payloads) == 7
    assert all(len(p) == 640 for p in payloads)
    assert payloads[1] == b"\x00" * 640  # the refused packet: silence
    assert reassembler.lost == 1
    pcm = np.frombuffer(reassembler.decode(b"".join(payloads)), dtype=np.int16)
    assert pcm.size == 7 * 320
    assert pcm[0] == 1
    assert pcm[-1] == 2


def test_ulaw_takes_any_payload_length() -> None:
    """One byte is one u-law sample: no length is refused."""
    reassembler = AudioReassembler(FORMATS["ulaw"])
    assert reassembler.push_datagram(bytes(packet(1, b"\xff" * 159, pt=0))) == [b"\xff" * 159]
