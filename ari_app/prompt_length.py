"""How long the identification and consent question lasts, from the sound files the calls play.

The predictive pacer needs the time from AMD "human" until an agent must be bridged: the
question (``sound:konform/identification``, the callback number read as ``digits:...``, then
``sound:konform/consent``, see :mod:`ari_app.flow`) plus the consent wait and the grace. The
shell measures the question once at start from the files where it can see them:
``$KONFORM_PROMPTS_DIR/<lang>/<name>.*`` (konform's ``prompts/`` layout), else Asterisk's sounds
folders (``<sounds>/<lang>/konform/<name>.*``; the digits in ``<sounds>/<lang>/digits/``, else
``<sounds>/en/digits/`` or ``<sounds>/digits/`` as Asterisk falls back). Durations come from
the file's header (WAV) or its size and the format's byte rate (sln, ulaw, alaw, gsm, g722).
Prompts that live on the PBX only cannot be measured: the question then counts as
:data:`FALLBACK_S` (early, so safe: the pacer then expects the deadline sooner than it is), and
a callback digit not found counts as 0 s. Once enough late
agent requests are measured the pacer uses those instead (:meth:`Pacer.due`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FALLBACK_S", "Question", "question_length", "sound_seconds"]

FALLBACK_S = 8.0  # the question when its prompts cannot be measured here
SOUNDS_DIRS = (Path("/usr/share/asterisk/sounds"), Path("/var/lib/asterisk/sounds"))
QUESTION = ("identification", "consent")  # played in this order, the digits after the first

# Raw formats: bytes per second (Asterisk's names).
_RATES = {
    ".sln": 16000,
    ".raw": 16000,
    ".sln12": 24000,
    ".sln16": 32000,
    ".sln24": 48000,
    ".sln32": 64000,
    ".sln44": 88200,
    ".sln48": 96000,
    ".sln96": 192000,
    ".sln192": 384000,
    ".ulaw": 8000,
    ".ul": 8000,
    ".mu": 8000,
    ".alaw": 8000,
    ".al": 8000,
    ".pcm": 8000,
    ".g722": 8000,
    ".gsm": 1650,  # 33 bytes per 20 ms frame
}
_EXTENSIONS = (".wav", ".WAV", *_RATES)


def sound_seconds(path: Path) -> float | None:
    """The playing time of one sound file, or None when the format or file is not readable."""
    try:
        if path.suffix.lower() == ".wav":
            return _wav_seconds(path)
        rate = _RATES.get(path.suffix.lower())
        return path.stat().st_size / rate if rate else None
    except OSError:
        return None


def _wav_seconds(path: Path) -> float | None:
    """Data bytes / byte rate from the RIFF chunks (any codec: PCM, mu-law, GSM in WAV ...)."""
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate: int = 0
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            name, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if name == b"fmt ":
                fmt = f.read(size)
                if len(fmt) < 12:
                    return None
                byte_rate = int.from_bytes(fmt[8:12], "little")
                if size % 2:
                    f.seek(1, os.SEEK_CUR)
            elif name == b"data":
                if not byte_rate:
                    return None
                # A file cut short (or streamed with a placeholder size) counts what is there.
                left = path.stat().st_size - f.tell()
                return min(size, left) / byte_rate
            else:
                f.seek(size + size % 2, os.SEEK_CUR)


def _find(name: str, folders: Iterable[Path]) -> Path | None:
    for folder in folders:
        for ext in _EXTENSIONS:
            candidate = folder / f"{name}{ext}"
            if candidate.is_file():
                return candidate
    return None


@dataclass(frozen=True)
class Question:
    """The question's length and how it was found (for the log)."""

    seconds: float
    measured: bool
    detail: str


def question_length(
    language: str,
    callback_digits: str,
    *,
    prompts_dir: Path | None = None,
    sounds_dirs: Sequence[Path] = SOUNDS_DIRS,
) -> Question:
    """The identification, the callback number's digits and the consent question, end to end.

    ``prompts_dir``: konform's prompts (one folder per language); default
    ``$KONFORM_PROMPTS_DIR`` when set.
    """
    if prompts_dir is None and os.environ.get("KONFORM_PROMPTS_DIR"):
        prompts_dir = Path(os.environ["KONFORM_PROMPTS_DIR"])
    own = [prompts_dir / language] if prompts_dir is not None else []
    own += [d / language / "konform" for d in sounds_dirs]
    total, found = 0.0, []
    for name in QUESTION:
        path = _find(name, own)
        seconds = sound_seconds(path) if path is not None else None
        if path is None or seconds is None:
            return Question(
                FALLBACK_S,
                False,
                f"prompt {name!r} ({language}) not readable here (on the PBX only?):"
                f" the question counts as {FALLBACK_S:g} s",
            )
        total += seconds
        found.append(str(path))
    # Asterisk looks for a sound in the channel's language, then in English, then at the top.
    langs = [language, "en"] if language != "en" else [language]
    digit_dirs = [d / lang / "digits" for lang in langs for d in sounds_dirs]
    digit_dirs += [d / "digits" for d in sounds_dirs]
    digits, missing = 0.0, 0
    for digit in callback_digits:
        path = _find(digit, digit_dirs) if digit.isdigit() else None
        seconds = sound_seconds(path) if path is not None else None
        if seconds is None:
            missing += 1
        else:
            digits += seconds
    detail = f"question {total + digits:.1f} s from {', '.join(found)}"
    detail += f" + {len(callback_digits) - missing} callback digits ({digits:.1f} s)"
    if missing:
        detail += f"; {missing} digits not found here, counted as 0 s"
    return Question(total + digits, True, detail)
