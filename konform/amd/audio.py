"""Reading audio files for the evaluator: any WAV soundfile reads (PCM, mu-law, A-law), as
16-bit mono at 8 or 16 kHz, the rates the detector takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

__all__ = ["AudioError", "load_pcm"]


class AudioError(ValueError):
    """The file is not audio the evaluator can read."""


def load_pcm(path: Path) -> tuple[np.ndarray, int]:
    """Samples as int16 and the rate (8000 or 16000); other rates are resampled."""
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"{path.name}: not readable audio ({exc})") from None
    mono = data.mean(axis=1)
    target = 8000 if rate <= 8000 else 16000
    if rate != target:
        duration = mono.size / rate
        count = int(duration * target)
        mono = np.interp(np.arange(count) / target, np.arange(mono.size) / rate, mono)
    pcm = np.clip(np.round(mono * 32767.0), -32768, 32767).astype(np.int16)
    return pcm, target
