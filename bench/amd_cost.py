"""Benchmark: what one answering machine detector stream costs.

    python -m bench.amd_cost [--corpus DIR]

Feeds the corpus's audio through the detector with the decision rules off (so every frame is
analysed, the worst case), once 20 ms at a time (as the offline evaluator does) and once in the
live path's batches (``--batch`` packets of 20 ms handed over together), and once through the
guard (the first stage says "human" at the first frame, the guard analyses all the rest in the
live path's batches, its rules off too), and prints frames per second on one core and the
number of concurrent live streams (50 frames/s each) that makes. Goal: >= 500 streams per
core, with the guard running.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from konform.amd.audio import load_pcm
from konform.amd.config import AmdConfig
from konform.amd.detector import Detector
from konform.amd.evaluate import read_labels
from konform.amd.guard import Guard

NEVER = replace(
    AmdConfig(),
    deadline_ms=10**9,
    max_word_ms=10**9,
    max_human_greeting_ms=10**9,
    guard_handoff_ms=10**9,
    end_of_greeting_ms=10**9,
    initial_silence_ms=10**9,
    beep_tonality=2.0,
)
GUARDED = replace(NEVER, deadline_ms=20, guard_utterance_ms=10**9, guard_talk_ms=10**9)
"""The first stage says human at once (its deadline); the guard's rules never fire."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "amd"
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--batch", type=int, default=3, help="packets per live hand-over")
    args = parser.parse_args()
    audio = [load_pcm(args.corpus / name) for name, _, _ in read_labels(args.corpus)]
    runs = (
        ("20 ms at a time", 1, False),
        (f"{args.batch} packets at a time", args.batch, False),
        (f"guard, {args.batch} at a time", args.batch, True),
    )
    for label, packets, guarded in runs:
        frames = 0
        started = time.perf_counter()
        for pcm, rate in audio:
            detector = Detector(rate, GUARDED if guarded else NEVER)
            feed = detector.feed
            data = pcm.tobytes()
            frame = rate // 50 * 2
            step = frame * packets
            for offset in range(0, len(data) - frame + 1, step):
                chunk = data[offset : offset + step]
                if feed(chunk) is not None and guarded:
                    feed = Guard(detector).feed
                frames += len(chunk) // frame
        seconds = time.perf_counter() - started
        rate_fps = frames / seconds
        print(
            f"{label:>22}: {frames:,} frames in {seconds:.2f} s: {rate_fps:,.0f} frames/s on one"
            f" core, {1e6 / rate_fps:.1f} us/frame = {rate_fps / 50:,.0f} concurrent streams"
            " per core (goal >= 500)"
        )


if __name__ == "__main__":
    main()
