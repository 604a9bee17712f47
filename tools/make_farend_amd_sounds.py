"""Make the far end's hard-kind callees for the AMD guard's live test (dialplan/farend/sounds):

- ``mailbox-music.wav``: the sandbox mailbox's greeting over a music bed (12 dB below it);
- ``person-tv.wav``: "Hallo?" with a TV behind (three espeak-ng voices talking over music,
  20 dB below),
  and ``tv.wav``, 6 s more of that TV, which the far end loops while the call goes on;
- ``person-business.wav``: a person answering with a long company greeting;
- ``line-noise.wav``: 2 s of a line's hiss (-60 dBFS), what a late mailbox sends before its
  greeting (without it the sandbox line would be digital silence, which the detector skips).

    python -m tools.make_farend_amd_sounds [--out dialplan/farend/sounds]

Needs espeak-ng and sox; the result is committed (8 kHz 16-bit mono WAV), so the sandbox does
not need them. The music and the TV's words are the corpus tool's (``--music-set b``), not
those of any tuning corpus.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from tools.make_amd_corpus import RATE, load_clip, music_bed

TV_LINES = [
    "Und nun das Wetter für morgen, im Norden Regen, im Süden zeitweise sonnig.",
    "Die Mannschaft hat in der zweiten Halbzeit noch einmal alles gegeben.",
    "Bleiben Sie dran, nach der Werbung geht es weiter mit unserem Film.",
]
TV_VOICES = ["de+m2", "de+f1", "en-us+m5"]
BUSINESS = ["Elektro Hartmann,", "Kundendienst,", "Yilmaz,", "guten Tag."]
"""A long company greeting as a person says it: its parts with a breath between them."""


def speak(text: str, voice: str, folder: Path, speed: int = 150) -> np.ndarray:
    path = folder / f"{voice}-{speed}-{len(text)}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    clip = load_clip(path)
    if clip is None:
        raise SystemExit(f"espeak-ng made no audio for {text!r}")
    return clip


def rms(audio: np.ndarray) -> float:
    loud = audio[np.abs(audio) > 0.01]
    return float(np.sqrt(np.mean(loud**2))) if loud.size else 1e-3


def tv(folder: Path, seconds: float) -> np.ndarray:
    size = int(seconds * RATE)
    bed = np.zeros(size, dtype=np.float32)
    for index, voice in enumerate(TV_VOICES):
        line = speak(TV_LINES[index], voice, folder)
        track = np.tile(np.concatenate([line, np.zeros(int(0.3 * RATE), np.float32)]), 4)
        start = int(index * 0.7 * RATE)
        part = track[: max(0, size - start)]
        bed[start : start + part.size] += part
    music = music_bed(random.Random(17), seconds, "b")
    return bed + music * rms(bed) / rms(music) * 0.7


def write(path: Path, audio: np.ndarray) -> None:
    peak = float(np.abs(audio).max())
    scaled = audio * (0.7 / peak if peak > 0.7 else 1.0)
    sf.write(path, scaled.astype(np.float32), RATE, subtype="PCM_16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("dialplan/farend/sounds"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        greeting, _ = sf.read(args.out / "mailbox-greeting.wav", dtype="float32")
        music = music_bed(random.Random(16), greeting.size / RATE + 0.3, "b")
        music *= rms(greeting) / rms(music) * 10 ** (-12 / 20)
        mailbox = music.copy()
        mailbox[int(0.3 * RATE) : int(0.3 * RATE) + greeting.size] += greeting
        write(args.out / "mailbox-music.wav", mailbox)

        hallo, _ = sf.read(args.out / "hallo.wav", dtype="float32")
        bed = tv(folder, 8.0)
        bed *= rms(hallo) / rms(bed) * 10 ** (-20 / 20)
        person = bed[: int(2.5 * RATE)].copy()
        person[int(0.4 * RATE) : int(0.4 * RATE) + hallo.size] += hallo
        write(args.out / "person-tv.wav", person)
        write(args.out / "tv.wav", bed[int(2.0 * RATE) :])

        hiss = np.random.default_rng(18).standard_normal(2 * RATE).astype(np.float32)
        sf.write(args.out / "line-noise.wav", hiss * 10 ** (-60 / 20), RATE, subtype="PCM_16")
        gap = np.zeros(int(0.25 * RATE), np.float32)
        words = [speak(part, "de+m3", folder, 175) for part in BUSINESS]
        write(
            args.out / "person-business.wav",
            np.concatenate([x for word in words for x in (word, gap)][:-1]),
        )


if __name__ == "__main__":
    main()
