"""How far timing rules can go on a corpus whose generator wrote down where each clip lies.

Make the corpus with ``python -m tools.make_amd_corpus ... --layout LAYOUT.json``, then

    python -m tools.amd_limits CORPUS_DIR LAYOUT.json

prints two things docs/amd.md cites:

1. *Oracle*: the detector's first-utterance rules fed the true clip boundaries instead of the
   VAD's segments (a clip over 1.3 s is read out, since the generator's people speak clips of
   at most 1.3 s; a fifth clip is a machine, since people say at most four; a tone is a beep;
   silence after a clip ends the greeting; nobody speaking for 1.5 s is a person; undecided at
   5 s is a person). What perfect segmentation would give.
2. *Pauses*: measured on the corpus audio in 5 ms steps, a quiet run being energy less than
   X dB over the line's noise level. For each X: the share of recorded sentences (clips of
   1.5 s or more) with no quiet run of 100 ms inside, and the share of the pauses between a
   person's words shorter than that. A pause length that kept a sentence whole and a person's
   words apart would let a "long phrase" rule see the sentence.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from pathlib import Path

import numpy as np

from konform.amd.audio import AudioError, load_pcm
from konform.amd.config import AmdConfig
from konform.amd.evaluate import CorpusError, read_labels

Span = tuple[str, float, float]  # ("clip" | "tone", start ms, end ms)
STEP_MS = 5
PERSON_CLIP_MS = 1300  # the generator's people speak clips of at most this long
PERSON_CLIPS = 4  # ... and at most this many
RULES = AmdConfig()


def oracle(spans: list[Span], end_of_greeting_ms: float) -> tuple[str, float]:
    """The rules on the true clip boundaries: (decision, ms after the answer)."""
    clips = [(start, end) for what, start, end in spans if what == "clip"]
    tones = [start for what, start, _ in spans if what == "tone"]
    candidates = [("human", float(RULES.deadline_ms))]
    if not clips or clips[0][0] >= RULES.initial_silence_ms:
        candidates.append(("human", float(RULES.initial_silence_ms)))
    for index, (start, end) in enumerate(clips):
        if end - start > PERSON_CLIP_MS:
            candidates.append(("machine", start + PERSON_CLIP_MS))
        if index >= PERSON_CLIPS:
            candidates.append(("machine", start + RULES.onset_ms))
        following = clips[index + 1][0] if index + 1 < len(clips) else float("inf")
        if following - end >= end_of_greeting_ms:
            candidates.append(("human", end + end_of_greeting_ms))
    if tones:
        candidates.append(("machine", tones[0] + RULES.beep_min_ms))
    return min(candidates, key=lambda candidate: candidate[1])


def levels_over_noise(path: Path) -> np.ndarray:
    """Each 5 ms step's level in dB over the line's noise (the 10th percentile of 20 ms frames)."""
    pcm, rate = load_pcm(path)
    step = rate * STEP_MS // 1000
    samples = pcm[: pcm.size - pcm.size % step].astype(np.float64).reshape(-1, step)
    level = 10 * np.log10(np.maximum((samples * samples).mean(axis=1), 1.0))
    frames = level[: level.size - level.size % 4].reshape(-1, 4)
    noise = float(np.percentile(10 * np.log10(np.mean(10 ** (frames / 10), axis=1)), 10))
    return np.asarray(level - noise)


def longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for quiet in mask:
        run = run + 1 if quiet else 0
        best = max(best, run)
    return best * STEP_MS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("layout", type=Path)
    args = parser.parse_args()
    try:
        layout: dict[str, list[Span]] = json.loads(args.layout.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"amd_limits: {args.layout}: not a layout from --layout ({exc})") from None
    try:
        labels = read_labels(args.corpus)
    except CorpusError as exc:
        raise SystemExit(f"amd_limits: {exc}") from None
    rows = [(name, label) for name, label, _ in labels if name in layout]
    if not rows:
        raise SystemExit("amd_limits: no file of the corpus is in the layout")

    print(f"oracle on the true clip boundaries ({len(rows)} files)")
    print("end of greeting  accuracy  humans called machine  median   p90")
    for end_of_greeting_ms in (1000.0, 800.0):
        decided = [(label, *oracle(layout[name], end_of_greeting_ms)) for name, label in rows]
        right = sum(label == decision for label, decision, _ in decided)
        humans = [decision for label, decision, _ in decided if label == "human"]
        times = [ms for _, _, ms in decided]
        print(
            f"{end_of_greeting_ms / 1000:13.1f} s  {right / len(decided):8.1%}"
            f"  {humans.count('machine') / max(len(humans), 1):21.1%}"
            f"  {statistics.median(times) / 1000:5.2f} s {np.percentile(times, 90) / 1000:5.2f} s"
        )

    print("\npauses in 5 ms steps: sentences kept whole vs a person's words run together")
    try:
        over_noise = {name: levels_over_noise(args.corpus / name) for name, _ in rows}
    except AudioError as exc:
        raise SystemExit(f"amd_limits: {exc}") from None
    for margin_db in (6.0, 8.0, 10.0):
        sentences: list[int] = []
        gaps: list[int] = []
        for name, label in rows:
            mask = over_noise[name] < margin_db
            clips = [(s, e) for what, s, e in layout[name] if what == "clip"]
            cut = [(int(s // STEP_MS), int(e // STEP_MS)) for s, e in clips]
            if label == "machine":
                sentences += [longest_run(mask[a + 2 : b - 2]) for a, b in cut if b - a >= 300]
            else:
                gaps += [longest_run(mask[b : c + 1]) for (_, b), (c, _) in itertools.pairwise(cut)]
        whole = float(np.mean(np.array(sentences) < 100)) if sentences else float("nan")
        joined = float(np.mean(np.array(gaps) < 100)) if gaps else float("nan")
        print(
            f"  {margin_db:4.1f} dB over the noise: {whole:5.1%} of {len(sentences)} sentences"
            f" have no 100 ms pause; {joined:5.1%} of {len(gaps)} pauses between a person's"
            " words are shorter"
        )


if __name__ == "__main__":
    main()
