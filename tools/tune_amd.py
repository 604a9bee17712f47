"""Coordinate search over the AMD thresholds on a tuning corpus (never the held-out one).

Starts from the current defaults (konform/amd/config.py) and tries each listed value of each
threshold in turn, keeping a change when it raises the score; repeats until nothing changes.
The score is accuracy, minus 2 per point of people called machine over 1 %, minus 0.03 per
second of the first decision's median time over 2.5 s and of its p90 over 4.0 s (the
detector's goals, docs/amd.md; the guard's later verdicts have their own time):

    python -m tools.tune_amd CORPUS_DIR [--rounds 3]

Make the tuning corpus from other clips than the held-out one, e.g.

    python -m tools.make_amd_corpus --out /tmp/tune --n 1200 --seed 103 --extra-share 0.1 \\
        --espeak /tmp/clips-alt --voices de+m1,de+f2,en-us+m3,de+m7,en-gb+f4,de+f4 \\
        --phrases tools/amd_phrases_alt.txt /usr/share/asterisk/sounds/en_US_f_Allison
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from konform.amd.config import AmdConfig
from konform.amd.evaluate import evaluate_corpus

GRID: dict[str, list[Any]] = {
    "hangover_ms": [80, 100, 120, 140, 180],
    "onset_ms": [40, 60, 80],
    "end_of_greeting_ms": [600, 700, 800, 900, 1000],
    "max_human_greeting_ms": [3500, 4000, 4500, 5000],
    "guard_handoff_ms": [3400, 3600, 3800, 3900, 4000],
    "max_word_ms": [1200, 1500, 1800, 2200],
    "speech_margin_db": [6.0, 9.0, 12.0],
    "deadline_ms": [4500, 5000, 5500],
    "vad_mode": [1, 2, 3],
    "initial_silence_ms": [1200, 1500, 1800, 2000, 2500, 3000],
}


def summary(job: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    corpus, params = job
    return evaluate_corpus(corpus, replace(AmdConfig(), **params)).summary()


def score(s: dict[str, Any]) -> float:
    times = s["first_stage"]["decision_ms"]  # the goals are on the first decision's time
    return float(
        s["accuracy"]
        - 2 * max(0.0, s["human_as_machine"] - 0.01)
        - 0.03 * max(0.0, (times["median"] - 2500) / 1000)
        - 0.03 * max(0.0, (times["p90"] - 4000) / 1000)
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    defaults = asdict(AmdConfig())
    current = {name: defaults[name] for name in GRID}
    best = score(summary((args.corpus, current)))
    print(f"defaults: score {best:.4f}", flush=True)
    with Pool() as pool:
        for _ in range(args.rounds):
            changed = False
            for name, values in GRID.items():
                tries = [{**current, name: v} for v in values if v != current[name]]
                for params, s in zip(
                    tries, pool.map(summary, [(args.corpus, t) for t in tries]), strict=True
                ):
                    if score(s) > best + 1e-9:
                        best, current, changed = score(s), params, True
                        print(
                            f"{name} = {params[name]}: score {best:.4f}, accuracy "
                            f"{s['accuracy']:.1%}, people called machine "
                            f"{s['human_as_machine']:.1%}, median {s['decision_ms']['median']:.0f}"
                            f" ms, p90 {s['decision_ms']['p90']:.0f} ms",
                            flush=True,
                        )
            if not changed:
                break
    changes = [f"{k}={v}" for k, v in current.items() if v != defaults[k]]
    print("best:", ", ".join(changes) or "the defaults")


if __name__ == "__main__":
    main()
