"""The question's real length from the sound files: WAV headers (any codec), raw formats by
size, the prompts the flow plays (identification, callback digits, consent) found in
konform's prompts folder or Asterisk's sounds folders, and the 8-s fallback when they live on
the PBX only; the engine passes the measured question to the pacer as its hold."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import pytest

from ari_app.prompt_length import FALLBACK_S, question_length, sound_seconds
from konform.config import Config, DialerConfig

REPO = Path(__file__).resolve().parents[2]


def pcm_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return path


def test_a_pcm_wav_lasts_its_frames(tmp_path: Path) -> None:
    assert sound_seconds(pcm_wav(tmp_path / "a.wav", 1.5)) == pytest.approx(1.5)
    assert sound_seconds(pcm_wav(tmp_path / "b.wav", 2.0, rate=16000)) == pytest.approx(2.0)


def test_a_wav_with_other_chunks_and_another_codec(tmp_path: Path) -> None:
    """mu-law in WAV (byte rate 8000), a LIST chunk of odd size before the data."""
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
    info = b"INFOISFT\x03\x00\x00\x00ab\x00"  # odd size: padded to even
    data = b"\xff" * 12000
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"LIST"
        + struct.pack("<I", len(info))
        + info
        + b"\x00"
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    path = tmp_path / "ulaw.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert sound_seconds(path) == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("name", "size", "seconds"),
    [("a.sln", 32000, 2.0), ("a.sln16", 32000, 1.0), ("a.ulaw", 8000, 1.0), ("a.gsm", 3300, 2.0)],
)
def test_raw_formats_by_size(tmp_path: Path, name: str, size: int, seconds: float) -> None:
    path = tmp_path / name
    path.write_bytes(b"\0" * size)
    assert sound_seconds(path) == pytest.approx(seconds)


def test_unreadable_files_have_no_length(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"not a wav file at all")
    (tmp_path / "a.mp3").write_bytes(b"\0" * 100)
    assert sound_seconds(tmp_path / "bad.wav") is None
    assert sound_seconds(tmp_path / "a.mp3") is None
    assert sound_seconds(tmp_path / "missing.wav") is None


def test_the_question_is_identification_digits_and_consent(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    pcm_wav(prompts / "de" / "identification.wav", 5.0)
    pcm_wav(prompts / "de" / "consent.wav", 6.0)
    sounds = tmp_path / "sounds"
    for digit in "0123456789":
        pcm_wav(sounds / "en" / "digits" / f"{digit}.wav", 0.5)  # Asterisk falls back to en
    question = question_length("de", "0305", prompts_dir=prompts, sounds_dirs=[sounds])
    assert question.measured
    assert question.seconds == pytest.approx(5.0 + 4 * 0.5 + 6.0)
    assert "4 callback digits" in question.detail


def test_prompts_in_asterisks_sounds_folder_and_digits_not_found(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    pcm_wav(sounds / "de" / "konform" / "identification.wav", 5.0)
    (sounds / "de" / "konform" / "consent.sln").write_bytes(b"\0" * 16000 * 3)
    question = question_length("de", "030", prompts_dir=None, sounds_dirs=[sounds])
    assert question.seconds == pytest.approx(8.0)  # the digits count as 0 s: early is safe
    assert "3 digits not found here" in question.detail


def test_prompts_on_the_pbx_only_fall_back_to_8_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KONFORM_PROMPTS_DIR", raising=False)
    pcm_wav(tmp_path / "sounds" / "de" / "konform" / "identification.wav", 5.0)  # no consent
    question = question_length("de", "030", sounds_dirs=[tmp_path / "sounds"])
    assert (question.seconds, question.measured) == (FALLBACK_S, False)
    assert "on the PBX only" in question.detail


def test_the_shipped_german_prompts_are_much_longer_than_8_s() -> None:
    question = question_length("de", "", prompts_dir=REPO / "prompts", sounds_dirs=[])
    assert question.measured
    assert 10 < question.seconds < 30


def test_the_engine_passes_the_measured_question_as_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``KONFORM_PROMPTS_DIR`` (as the sandbox sets it): the pacer's hold is the measured
    question + consent wait + grace; the shortest callback number among the campaigns."""
    from ari_app.engine import Engine
    from konform.engine.pacing import PacingConfig
    from konform.policy import Campaign
    from konform.store.campaigns import CampaignSettings
    from konform.store.engine_store import CampaignRun

    prompts = tmp_path / "prompts"
    pcm_wav(prompts / "de" / "identification.wav", 5.0)
    pcm_wav(prompts / "de" / "consent.wav", 6.0)
    monkeypatch.setenv("KONFORM_PROMPTS_DIR", str(prompts))

    class _Dialer:
        config = Config(dialer=DialerConfig(consent_wait=5, agent_hold=2))

    engine = Engine.__new__(Engine)
    engine.dialer = _Dialer()  # type: ignore[assignment]
    engine._questions = {}
    settings = CampaignSettings()
    runs = [
        CampaignRun(1, Campaign("long", "+4930555000111", "sales"), settings),
        CampaignRun(2, Campaign("short", "+493055500", "sales"), settings),
    ]
    config: PacingConfig = engine._pacing(runs)
    digits = question_length("de", "03055500", prompts_dir=prompts).seconds - 11.0
    assert digits >= 0
    assert config.hold == pytest.approx(11.0 + digits + 5 + 2)
    assert engine._pacing([]).hold == FALLBACK_S + 5 + 2
