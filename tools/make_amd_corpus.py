"""Make labelled AMD corpora from speech clips: what an outbound call hears from the answer.

Corpora are made like the development corpus (8 kHz mu-law WAV, the same human and machine
patterns, noise at 15-40 dB SNR and level -12..0 dB), with the cases konform must also survive:

- ``human/business-long``: a person answering with a long company greeting (4-6 words);
- ``machine/mailbox-short``: a one-phrase mailbox greeting, with a beep or without;
- ``human/silence`` and ``human/noise``: someone picks up and says nothing (on a noisy line);
- ``machine/music``: an announcement with music (notes with harmonics).

``--hard`` makes the hard kinds instead (files of 20 s, so that what follows a greeting is in
them; ``labels.csv`` gets ``greeting_start_ms`` and ``greeting_end_ms``, where a mailbox's
greeting starts and where it ends with its beep):

- ``machine/late-greeting``: silence for 1.5-2.5 s after the answer, then a mailbox greeting;
- ``machine/music-bed``: a mailbox greeting over a music bed that plays from the answer;
- ``machine/no-beep``: a mailbox greeting (3-8 s) that ends without a beep;
- ``machine/long-greeting``: a greeting of 8-14 s, then (mostly) a beep;
- ``human/tv``: a person answering with a TV or babble (other voices, sometimes music) behind;
- ``human/business-long``: a person answering with a long company greeting (4-6 words);
- ``human/quiet`` and ``human/hallo-hallo``: a short answer on a quiet line, "hallo ... hallo?".

``--music-set a|b`` picks one of two music generators (other notes, timbre and tempo), so that
tuning and held-out sets share no music either. ``--encoding alaw`` writes A-law (the German
PSTN's codec) instead of mu-law.

    python -m tools.make_amd_corpus --out DIR --n 200 --seed 23 [--extra-only |
        --extra-share 0 | --hard [--music-set b]] [--encoding alaw]
        [--espeak DIR [--voices V,..] [--phrases FILE]] [--layout FILE] [--pools FILE] SRC_DIR ...

``--layout FILE`` writes where each clip and tone lies (``tools.amd_limits`` reads it),
``--pools FILE`` the durations of the short and long clip pools (``tools.amd_no_beep_bound``
reads both); neither changes the corpus.

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


HARD_LENGTH_S = 20.0
HUMAN_HARD = ("tv", "business-long", "quiet", "hallo-hallo")
MACHINE_HARD = ("late-greeting", "music-bed", "no-beep", "long-greeting")
MUSIC_NOTES = {
    "a": [220.0, 247.0, 262.0, 294.0, 330.0, 349.0, 392.0, 440.0],
    "b": [196.0, 233.0, 277.0, 311.0, 370.0, 415.0, 466.0, 523.0],
}


def music_bed(rng: random.Random, seconds: float, music_set: str) -> np.ndarray:
    """Background music: chords of notes with harmonics (set ``a``: sustained organ-like notes
    of 0.2-0.5 s; set ``b``: plucked notes with a decaying envelope and a bass line, faster)."""
    notes = MUSIC_NOTES[music_set]
    out: list[np.ndarray] = []
    while sum(p.size for p in out) < seconds * RATE:
        length = rng.uniform(0.2, 0.5) if music_set == "a" else rng.uniform(0.12, 0.3)
        t = np.arange(int(length * RATE)) / RATE
        chord = np.zeros(t.size)
        for freq in rng.sample(notes, 2 if music_set == "a" else 3):
            for k in range(1, 6 if music_set == "a" else 4):
                chord += np.sin(2 * np.pi * freq * k * t + rng.uniform(0, 6.28)) / k
        if music_set == "b":
            chord *= np.exp(-t * rng.uniform(4, 9))
            chord += 0.6 * np.sin(2 * np.pi * notes[0] / 2 * t)
        out.append(chord)
    bed = np.concatenate(out)[: int(seconds * RATE)]
    return (bed / max(1e-6, float(np.abs(bed).max()))).astype(np.float32)


def babble(
    rng: random.Random, seconds: float, clips: list[np.ndarray], music_set: str
) -> np.ndarray:
    """A TV or room behind a person: three voices talking on (clips end to end, each at its own
    level), now and then with music."""
    size = int(seconds * RATE)
    bed = np.zeros(size, dtype=np.float32)
    for _ in range(3):
        voice: list[np.ndarray] = [silence(rng, 0.0, 1.0)]
        while sum(p.size for p in voice) < size:
            voice += [rng.choice(clips), silence(rng, 0.05, 0.4)]
        bed += np.concatenate(voice)[:size] * rng.uniform(0.4, 1.0)
    if rng.random() < 0.3:
        bed += 0.3 * music_bed(rng, seconds, music_set)
    return (bed / max(1e-6, float(np.abs(bed).max()))).astype(np.float32)


def _greeting(
    rng: random.Random, short: list[np.ndarray], long_: list[np.ndarray], lo: float, hi: float
) -> list[np.ndarray]:
    parts: list[np.ndarray] = []
    target = rng.uniform(lo, hi)
    while sum(p.size for p in parts) / RATE < target:
        parts += [rng.choice(long_ + short), silence(rng, 0.08, 0.35)]
    return parts[:-1]


def hard(
    rng: random.Random, short: list[np.ndarray], long_: list[np.ndarray], label: str
) -> tuple[str, list[np.ndarray], float]:
    """One hard case: its kind, its parts, and the level of a bed under it (0: none; the bed
    is added in :func:`finish_hard`)."""
    if label == "human":
        kind = rng.choice(HUMAN_HARD)
        parts = [silence(rng, 0.0, 0.6)]
        if kind == "business-long":
            for _ in range(rng.randint(4, 6)):
                parts += [rng.choice(short), silence(rng, 0.12, 0.3)]
        elif kind == "hallo-hallo":
            parts += [rng.choice(short), silence(rng, 1.2, 2.5), rng.choice(short)]
        else:
            parts.append(rng.choice(short))
        return kind, parts, rng.uniform(0.1, 0.3) if kind == "tv" else 0.0
    kind = rng.choice(MACHINE_HARD)
    parts = [silence(rng, 1.5, 2.5) if kind == "late-greeting" else silence(rng, 0.0, 0.6)]
    lo, hi = (8.0, 14.0) if kind == "long-greeting" else (3.0, 8.0)
    parts += _greeting(rng, short, long_, lo, hi)
    beeps = {"no-beep": 0.0, "long-greeting": 0.8, "music-bed": 0.7}.get(kind, 0.85)
    if rng.random() < beeps:
        parts += beep(rng)
    return kind, parts, rng.uniform(0.2, 0.5) if kind == "music-bed" else 0.0


def finish_hard(
    rng: random.Random,
    parts: list[np.ndarray],
    kind: str,
    bed_level: float,
    clips: list[np.ndarray],
    music_set: str,
) -> tuple[np.ndarray, int | None, np.ndarray, float]:
    """The file (20 s), where a mailbox's greeting ends (ms; None for a person), the file's
    background alone (line noise and a TV) and the callee's speech level (RMS). A music bed
    plays from the answer until the greeting (and beep) end; a TV goes on throughout."""
    content = np.concatenate(parts)
    end = content.size
    audio = np.pad(content, (0, max(0, int(HARD_LENGTH_S * RATE) - content.size)))
    audio = audio[: int(HARD_LENGTH_S * RATE)]
    speech = np.abs(audio) > 0.01
    speech_rms = float(np.sqrt(np.mean(audio[speech] ** 2))) if np.any(speech) else 0.1
    tv: np.ndarray | None = None
    if kind == "music-bed":
        start = int(rng.uniform(0.0, 0.3) * RATE)
        bed = music_bed(rng, (end - start) / RATE, music_set)
        audio[start : start + bed.size] += bed * speech_rms * bed_level * 3
    elif kind == "tv":
        tv = babble(rng, HARD_LENGTH_S, clips, music_set)[: audio.size] * speech_rms * bed_level * 3
        audio += tv
    greeting_end = int(end / RATE * 1000) if kind in MACHINE_HARD else None
    done, background, gain = finish_with_background(rng, [audio], kind, audio.size / RATE, tv)
    return done, greeting_end, background, speech_rms * gain


TALKOVER_SHARE = 0.3
TALKOVER_MAX_S = 1.0


def _tonal(clip: np.ndarray) -> bool:
    """A tone, not a word (the prompt folders hold beeps): half its energy near one frequency."""
    power = np.abs(np.fft.rfft(clip)) ** 2
    peak = int(np.argmax(power))
    width = max(1, clip.size // 400)  # about 20 Hz either side
    return float(power[max(0, peak - width) : peak + width + 1].sum()) > 0.5 * float(power.sum())


def write_stems(
    out: Path,
    name: str,
    label: str,
    background: np.ndarray,
    level: float,
    short: list[np.ndarray],
    subtype: str,
    seed: int,
) -> dict[str, str]:
    """A person's stems for ``konform amd eval``'s reaction model: ``bg/NAME`` (the line and the
    TV without the person) and, for a share of the people, ``talk/NAME`` (a short "ja?" of at
    most 1 s at the person's level). Drawn from their own generator, so the files themselves
    are the same as without stems."""
    if label != "human":
        return {"background": "", "talkover": ""}
    (out / "bg").mkdir(exist_ok=True)
    sf.write(out / "bg" / name, background, RATE, subtype=subtype)
    rng = random.Random(f"{seed}/{name}/talkover")
    brief = [c for c in short if c.size <= TALKOVER_MAX_S * RATE and not _tonal(c)]
    if not brief or rng.random() >= TALKOVER_SHARE:
        return {"background": f"bg/{name}", "talkover": ""}
    clip = rng.choice(brief)
    loud = np.abs(clip) > 0.01
    rms = float(np.sqrt(np.mean(clip[loud] ** 2))) if np.any(loud) else 0.1
    (out / "talk").mkdir(exist_ok=True)
    sf.write(out / "talk" / name, np.clip(clip * level / rms, -1, 1), RATE, subtype=subtype)
    return {"background": f"bg/{name}", "talkover": f"talk/{name}"}


def finish(
    rng: random.Random, parts: list[np.ndarray], kind: str, length_s: float = LENGTH_S
) -> np.ndarray:
    return finish_with_background(rng, parts, kind, length_s)[0]


def finish_with_background(
    rng: random.Random,
    parts: list[np.ndarray],
    kind: str,
    length_s: float = LENGTH_S,
    bed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The file, its background alone (``bed`` plus the same line noise at the same gain: what
    the line carries when the callee is silent), and the gain applied to both."""
    audio = np.concatenate(parts)[: int(length_s * RATE)]
    audio = np.pad(audio, (0, int(length_s * RATE) - audio.size))
    loud = np.abs(audio) > 0.01
    speech_rms = np.sqrt(np.mean(audio[loud] ** 2)) if np.any(loud) else 0.1
    if kind == "noise":
        snr_db = rng.uniform(0, 10)
    elif kind == "quiet":
        snr_db = rng.uniform(40, 50)
    else:
        snr_db = rng.uniform(15, 40)
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(audio.size)
    if rng.random() < 0.5:
        noise = np.convolve(noise, np.ones(8) / 8, mode="same")
    noise = (
        noise.astype(np.float32) * speech_rms / (np.sqrt(np.mean(noise**2)) * 10 ** (snr_db / 20))
    )
    gain = 10 ** (rng.uniform(-12, 0) / 20)
    audio = (audio + noise) * gain
    background = noise if bed is None else noise + bed[: noise.size]
    clipped: np.ndarray = np.clip(audio, -1, 1)
    return clipped, np.clip(background * gain, -1, 1), gain


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
    ap.add_argument(
        "--pools",
        type=Path,
        help="also write the clip pools' durations (JSON: short_ms and long_ms, in pool order)",
    )
    ap.add_argument("--hard", action="store_true", help="the hard kinds (20 s files)")
    ap.add_argument("--music-set", choices=sorted(MUSIC_NOTES), default="a")
    ap.add_argument("--encoding", choices=["ulaw", "alaw"], default="ulaw")
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
    subtype = args.encoding.upper()
    for i in range(args.n):
        label = "human" if i % 2 == 0 else "machine"
        name = f"{i:04d}.wav"
        if args.hard:
            kind, parts, bed_level = hard(rng, short, long_, label)
            audio, greeting_end, background, level = finish_hard(
                rng, parts, kind, bed_level, short + long_, args.music_set
            )
            sf.write(args.out / name, audio, RATE, subtype=subtype)
            stems = write_stems(args.out, name, label, background, level, short, subtype, args.seed)
            spans_here = layout(parts)
            start = str(int(spans_here[0][1])) if greeting_end is not None and spans_here else ""
            end = "" if greeting_end is None else str(greeting_end)
            rows.append(
                {
                    "file": name,
                    "label": label,
                    "kind": kind,
                    "greeting_start_ms": start,
                    "greeting_end_ms": end,
                    **stems,
                }
            )
            spans[name] = layout(parts)
            continue
        if args.extra_only or rng.random() < args.extra_share:
            kind, parts = extra(rng, short, long_, label)
        else:
            kind, parts = (human if label == "human" else machine)(rng, short, long_)
        sf.write(args.out / name, finish(rng, parts, kind), RATE, subtype=subtype)
        rows.append({"file": name, "label": label, "kind": kind})
        spans[name] = layout(parts)
    fields = ["file", "label", "kind"]
    if args.hard:
        fields += ["greeting_start_ms", "greeting_end_ms", "background", "talkover"]
    with open(args.out / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    if args.layout:
        args.layout.write_text(json.dumps(spans))
    if args.pools:
        pools = {"short_ms": short, "long_ms": long_}
        args.pools.write_text(
            json.dumps({key: [c.size / RATE * 1000 for c in clips] for key, clips in pools.items()})
        )
    print(f"{args.n} samples in {args.out} from {len(short)} short and {len(long_)} long clips")


if __name__ == "__main__":
    main()
