"""Make labelled AMD corpora from speech clips: what an outbound call hears from the answer.

Corpora are made like the development corpus (8 kHz mu-law WAV, the same human and machine
patterns, noise at 15-40 dB SNR and level -12..0 dB), with the cases konform must also survive:

- ``human/business-long``: a person answering with a long company greeting (4-6 words);
- ``machine/mailbox-short``: a one-phrase mailbox greeting, with a beep or without;
- ``human/silence`` and ``human/noise``: someone picks up and says nothing (on a noisy line);
- ``machine/music``: an announcement with music (notes with harmonics).

    python -m tools.make_amd_corpus --out DIR --n 200 --seed 23 [--extra-only |
        --extra-share 0] [--espeak DIR [--voices V,..] [--phrases FILE]] SRC_DIR ...

Sources are folders of clips sox can read; ``--espeak DIR`` first speaks a set of German and
English phrases (or those of ``--phrases``) with several espeak-ng voices into DIR, to use as a
source. ``--voices`` and ``--phrases tools/amd_phrases_alt.txt`` make corpora whose clips share
nothing with the default ones. Needs numpy,
soundfile and Debian's sox (and espeak-ng for --espeak).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 8000
LENGTH_S = 10.0
PHRASES = [
    "Hallo?",
    "Ja, bitte?",
    "Müller.",
    "Ja?",
    "Guten Tag.",
    "Schmidt hier.",
    "Hallo, wer ist da?",
    "Hello?",
    "Yes?",
    "Speaking.",
    "Firma Becker, guten Tag.",
    "Praxis Doktor Weber.",
    "Sie sprechen mit Frau Schulz.",
    "Was kann ich für Sie tun?",
    "Moment bitte.",
    "Hier ist der Anrufbeantworter von Peter Lange.",
    "Ich bin im Moment leider nicht erreichbar.",
    "Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
    "Sie haben die Nummer der Familie Krüger gewählt.",
    "You have reached the voicemail of John Miller.",
    "Please leave a message after the tone and I will call you back.",
    "Unser Büro ist zur Zeit nicht besetzt.",
    "Unsere Öffnungszeiten sind Montag bis Freitag von acht bis siebzehn Uhr.",
]
VOICES = ["de", "de+f3", "de+m4", "en-us", "en-gb+f2", "de+f5"]


def speak_sources(folder: Path, voices: list[str], phrases: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for v, voice in enumerate(voices):
        for p, phrase in enumerate(phrases):
            speed = str(130 + 15 * ((v + p) % 4))
            subprocess.run(
                [
                    "espeak-ng",
                    "-v",
                    voice,
                    "-s",
                    speed,
                    "-w",
                    str(folder / f"{v:02d}-{p:02d}.wav"),
                    phrase,
                ],
                check=True,
            )


def load_clip(path: Path) -> np.ndarray | None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        done = subprocess.run(
            ["sox", "-D", str(path), "-r", str(RATE), "-c", "1", "-b", "16", tmp.name],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            return None
        audio, _ = sf.read(tmp.name, dtype="float32")
    if audio.size == 0:
        return None
    frame = RATE // 100
    energy = np.sqrt(np.convolve(audio**2, np.ones(frame) / frame, mode="same"))
    loud = np.flatnonzero(energy > max(energy.max() * 0.05, 1e-4))
    if loud.size == 0:
        return None
    audio = audio[loud[0] : loud[-1] + 1]
    peak = np.abs(audio).max()
    return audio / peak * 0.5 if peak > 0 else None


def load_sources(dirs: list[Path]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Short and long clips of the folders (recursively). konform's own prompts, which the
    sandbox installs beside Asterisk's (``sounds/de/konform``), are not a callee's speech and
    are left out, so a corpus is the same before and after the sandbox has run."""
    short, long_ = [], []
    for d in dirs:
        for path in sorted(p for p in d.rglob("*") if p.is_file()):
            if "konform" in path.relative_to(d).parts[:-1]:
                continue
            clip = load_clip(path)
            if clip is None:
                continue
            seconds = clip.size / RATE
            if 0.25 <= seconds <= 1.3:
                short.append(clip)
            elif 1.3 < seconds <= 4.5:
                long_.append(clip)
    return short, long_


def silence(rng: random.Random, lo: float, hi: float) -> np.ndarray:
    return np.zeros(int(rng.uniform(lo, hi) * RATE), dtype=np.float32)


class Tone(np.ndarray):
    """A tone part (beep or music note), told apart from speech clips in ``--layout``."""


def tone(freq: float, seconds: float, harmonics: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    out = np.zeros(t.size)
    for k in range(1, harmonics + 1):
        out += np.sin(2 * np.pi * freq * k * t) / k
    return (0.4 * out / max(1.0, float(np.abs(out).max()))).astype(np.float32).view(Tone)


def layout(parts: list[np.ndarray]) -> list[tuple[str, float, float]]:
    """Where each clip and tone lies in the file: (``clip`` or ``tone``, start ms, end ms)."""
    spans = []
    position = 0
    for part in parts:
        what = "tone" if isinstance(part, Tone) else "clip" if np.any(part != 0) else None
        if what:
            spans.append((what, position / RATE * 1000, (position + part.size) / RATE * 1000))
        position += part.size
    return spans


def beep(rng: random.Random) -> list[np.ndarray]:
    return [
        silence(rng, 0.2, 0.6),
        tone(rng.choice([1000.0, 1000.0, 425.0, 1400.0]), rng.uniform(0.3, 0.8)),
    ]


Parts = tuple[str, list[np.ndarray]]


def human(rng: random.Random, short: list[np.ndarray], long_: list[np.ndarray]) -> Parts:
    kind = rng.choice(["hello", "hello-again", "business", "late"])
    parts = [silence(rng, 0.0, 0.6)]
    if kind == "late":
        parts.append(silence(rng, 1.0, 2.2))
    if kind == "business":
        for _ in range(rng.randint(2, 4)):
            parts += [rng.choice(short), silence(rng, 0.12, 0.3)]
    else:
        parts.append(rng.choice(short))
    if kind == "hello-again":
        parts += [silence(rng, 1.2, 2.5), rng.choice(short)]
    return kind, parts


def machine(rng: random.Random, short: list[np.ndarray], long_: list[np.ndarray]) -> Parts:
    kind = rng.choice(["greeting", "greeting", "announcement", "short-greeting"])
    parts = [silence(rng, 0.0, 0.6)]
    if kind == "short-greeting":
        parts += [rng.choice(short), silence(rng, 0.1, 0.25), rng.choice(short)]
    else:
        target = rng.uniform(3.0, 8.0) if kind == "greeting" else rng.uniform(4.0, 7.0)
        while sum(p.size for p in parts) / RATE < target:
            parts += [rng.choice(long_ + short), silence(rng, 0.08, 0.35)]
    if rng.random() < 0.85:
        parts += beep(rng)
    return kind, parts


def extra(
    rng: random.Random, short: list[np.ndarray], long_: list[np.ndarray], label: str
) -> Parts:
    if label == "human":
        kind = rng.choice(["business-long", "silence", "noise"])
        parts = [silence(rng, 0.0, 0.6)]
        if kind == "business-long":
            for _ in range(rng.randint(4, 6)):
                parts += [rng.choice(short), silence(rng, 0.12, 0.3)]
        return kind, parts
    kind = rng.choice(["mailbox-short", "mailbox-short", "music"])
    parts = [silence(rng, 0.0, 0.4)]
    if kind == "mailbox-short":
        parts.append(rng.choice(long_ or short))
        if rng.random() < 0.6:
            parts += beep(rng)
    else:
        notes = [220.0, 247.0, 262.0, 294.0, 330.0, 349.0, 392.0, 440.0]
        while sum(p.size for p in parts) / RATE < 8:
            parts.append(tone(rng.choice(notes), rng.uniform(0.2, 0.5), harmonics=5))
    return kind, parts


def finish(rng: random.Random, parts: list[np.ndarray], kind: str) -> np.ndarray:
    audio = np.concatenate(parts)[: int(LENGTH_S * RATE)]
    audio = np.pad(audio, (0, int(LENGTH_S * RATE) - audio.size))
    loud = np.abs(audio) > 0.01
    speech_rms = np.sqrt(np.mean(audio[loud] ** 2)) if np.any(loud) else 0.1
    snr_db = rng.uniform(15, 40) if kind != "noise" else rng.uniform(0, 10)
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(audio.size)
    if rng.random() < 0.5:
        noise = np.convolve(noise, np.ones(8) / 8, mode="same")
    noise = (
        noise.astype(np.float32) * speech_rms / (np.sqrt(np.mean(noise**2)) * 10 ** (snr_db / 20))
    )
    audio = (audio + noise) * 10 ** (rng.uniform(-12, 0) / 20)
    clipped: np.ndarray = np.clip(audio, -1, 1)
    return clipped


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--extra-only", action="store_true", help="only the extra cases")
    ap.add_argument(
        "--extra-share",
        type=float,
        default=0.2,
        help="share of extra cases among the others (0 = made like the dev corpus)",
    )
    ap.add_argument("--espeak", type=Path, help="speak the built-in phrases into this folder")
    ap.add_argument(
        "--voices", default=",".join(VOICES), help="espeak-ng voices for --espeak, comma-separated"
    )
    ap.add_argument(
        "--phrases", type=Path, help="a file of phrases, one per line, instead of the built-in ones"
    )
    ap.add_argument(
        "--layout",
        type=Path,
        help="also write where each clip and tone lies (JSON: file -> [[what, start_ms, end_ms]])",
    )
    ap.add_argument("sources", type=Path, nargs="*")
    args = ap.parse_args()
    if args.espeak:
        phrases = (
            [
                line.strip()
                for line in args.phrases.read_text().splitlines()
                if line.strip() and not line.startswith("#")
            ]
            if args.phrases
            else PHRASES
        )
        speak_sources(args.espeak, args.voices.split(","), phrases)
        args.sources.append(args.espeak)
    rng = random.Random(args.seed)
    short, long_ = load_sources(args.sources)
    if len(short) < 3 or len(long_) < 3:
        raise SystemExit(f"too few clips: {len(short)} short, {len(long_)} long")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    spans: dict[str, list[tuple[str, float, float]]] = {}
    for i in range(args.n):
        label = "human" if i % 2 == 0 else "machine"
        if args.extra_only or rng.random() < args.extra_share:
            kind, parts = extra(rng, short, long_, label)
        else:
            kind, parts = (human if label == "human" else machine)(rng, short, long_)
        name = f"{i:04d}.wav"
        sf.write(args.out / name, finish(rng, parts, kind), RATE, subtype="ULAW")
        rows.append({"file": name, "label": label, "kind": kind})
        spans[name] = layout(parts)
    with open(args.out / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "label", "kind"])
        writer.writeheader()
        writer.writerows(rows)
    if args.layout:
        args.layout.write_text(json.dumps(spans))
    print(f"{args.n} samples in {args.out} from {len(short)} short and {len(long_)} long clips")


if __name__ == "__main__":
    main()
