"""Why the guard lets a mailbox through: its decision path, file by file.

For each file it runs the first stage and then the guard as ``konform amd eval`` does (as
recorded: a mailbox does not react to us) and follows the guard's own state frame by frame:
when the callee's turn that was going on at our prompt's start ended and on what (a quiet run
of ``guard_turn_gap_ms``: a pause between the generator's clips, or quiet inside one), the last
frame at the turn level (``guard_turn_level_db`` below the first answer's loud part), the
longest utterance the guard counted over the prompt (against ``guard_utterance_ms``) and the
talk in all (against ``guard_talk_ms``). With no files named it takes the corpus's no-beep
mailboxes that the guard misses while their greeting still goes on more than the reaction
model's longest reaction (700 ms) into our prompt: no person of the model does that.

    python -m tools.amd_guard_trace --corpus DIR --layout LAYOUT.json [FILE ...]

``LAYOUT.json`` is ``tools.make_amd_corpus ... --layout FILE`` (the true clip boundaries).
Times are ms after our prompt started (the first stage's "human"). docs/amd.md, "Why the guard
lets them through", has the figures on the tuning sets.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from konform.amd.audio import load_pcm
from konform.amd.config import AmdConfig
from konform.amd.detector import FRAME_MS, Detector
from konform.amd.evaluate import GUARD_MS, REACTION_MS, read_label_rows
from konform.amd.guard import Guard

Clip = tuple[float, float]


class TracingGuard(Guard):
    """The guard, unchanged, noting its turn and utterance state after each frame."""

    def __init__(self, detector: Detector, prompt_ms: int) -> None:
        super().__init__(detector, prompt_ms)
        self.open_at_start = self._turn_open
        self.turn_closed_ms: int | None = None
        self.last_loud_ms: int | None = None
        self.utterances: list[tuple[int, int]] = []  # (start, last speech) on the guard's clock
        self._last_counted: int | None = None

    def _turn(self, loud: bool) -> None:
        was_open = self._turn_open
        super()._turn(loud)
        now = self.detector.elapsed_ms
        if was_open and loud:
            self.last_loud_ms = now
        if was_open and not self._turn_open:
            self.turn_closed_ms = now

    def _track(self, speech: bool, dbfs: float) -> None:
        before = self._utterance_start
        super()._track(speech, dbfs)
        start = self._utterance_start
        if start is None:
            return
        now = self.detector.analysed_ms
        if start != before or not self.utterances:
            self.utterances.append((start, start))
        if speech:
            self.utterances[-1] = (start, now)


@dataclass
class Trace:
    file: str
    decision: str
    greeting_end_ms: int
    turn_open_at_start: bool
    turn_closed_ms: int | None
    last_loud_ms: int | None
    closing_quiet: tuple[int, int] | None
    pause_in_quiet_ms: int
    utterance_ms: int
    talk_ms: int

    def cause(self, config: AmdConfig) -> str:
        """Which rule would have applied and what blocked it."""
        if self.decision != "human":
            return "caught"
        turn_ms = config.guard_turn_ms
        if not self.turn_open_at_start:
            why = "turn closed before our prompt"
        elif self.turn_closed_ms is None or self.turn_closed_ms >= self.greeting_end_ms:
            why = (
                f"turn open, last frame at the turn level at {self.last_loud_ms} ms"
                f" (< {turn_ms}): the greeting ends or fades below it before the turn rule's time"
            )
        elif self.pause_in_quiet_ms:
            why = (
                f"turn ended at {self.turn_closed_ms} ms by a {self.pause_in_quiet_ms} ms pause"
                " between clips and the quiet word edges around it"
            )
        else:
            why = f"turn ended at {self.turn_closed_ms} ms by quiet inside a recorded clip"
        counted = (
            f"; utterance counted {self.utterance_ms} ms (< {config.guard_utterance_ms}),"
            f" talk {self.talk_ms} ms (< {config.guard_talk_ms})"
        )
        return why + counted


def trace_file(path: Path, clips: list[Clip], config: AmdConfig) -> Trace | None:
    """The guard's path on one file as recorded; None when the first stage called a machine."""
    pcm, rate = load_pcm(path)
    return trace_pcm(path.name, pcm, rate, clips, config)


def trace_pcm(
    name: str,
    pcm: np.ndarray,
    rate: int,
    clips: list[Clip],
    config: AmdConfig,
    guard_ms: int = GUARD_MS,
) -> Trace | None:
    """The guard's path on one recording (``clips``: the greeting's true clips, ms since the
    file's start); None when the first stage called a machine."""
    detector = Detector(rate, config)
    data = pcm.astype("<i2").tobytes()
    size = rate * FRAME_MS // 1000 * 2
    offset = 0
    first = None
    while offset < len(data) and first is None:
        first = detector.feed(data[offset : offset + size])
        offset += size
    if first is None:
        first = detector.finish()
    if first.label != "human":
        return None
    prompt = first.at_ms
    guard = TracingGuard(detector, prompt)
    decision = None
    while offset < len(data) and guard.elapsed_ms < prompt + guard_ms and decision is None:
        decision = guard.feed(data[offset : offset + size])
        offset += size
    closed = guard.turn_closed_ms
    quiet = None if closed is None else (closed - config.guard_turn_gap_ms, closed)
    pause = 0
    if quiet is not None:
        for (_, end), (start, _) in itertools.pairwise(clips):
            lo, hi = max(end, quiet[0]), min(start, quiet[1])
            pause = max(pause, round(start - end) if hi > lo else 0)
    return Trace(
        file=name,
        decision=decision.label if decision is not None else "human",
        greeting_end_ms=round(clips[-1][1] - prompt) if clips else 0,
        turn_open_at_start=guard.open_at_start,
        turn_closed_ms=None if closed is None else closed - prompt,
        last_loud_ms=None if guard.last_loud_ms is None else guard.last_loud_ms - prompt,
        closing_quiet=None if quiet is None else (quiet[0] - prompt, quiet[1] - prompt),
        pause_in_quiet_ms=pause,
        # Utterances are on the analysed clock, the rest on the elapsed one; a length is the same.
        utterance_ms=max((end - start for start, end in guard.utterances), default=0),
        talk_ms=guard._talk,
    )


def no_beep_files(corpus: Path) -> list[str]:
    """The corpus's no-beep mailboxes, by name (the trace keeps those the guard misses)."""
    return [name for name, _, kind, _, _ in read_label_rows(corpus) if kind == "no-beep"]


def clips_of(layout: dict[str, list[list[object]]], name: str) -> list[Clip]:
    return [(float(str(s)), float(str(e))) for what, s, e in layout[name] if what == "clip"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--layout", type=Path, required=True)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    try:
        layout = json.loads(args.layout.read_text())
        names = args.files or no_beep_files(args.corpus)
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"amd_guard_trace: {exc}") from None
    config = AmdConfig()
    for name in names:
        clips = clips_of(layout, name)
        trace = trace_file(args.corpus / name, clips, config)
        if trace is None:
            continue
        talking_on = trace.greeting_end_ms > REACTION_MS[1]
        if not args.files and (trace.decision != "human" or not talking_on):
            continue
        print(
            f"{name}: greeting ends {trace.greeting_end_ms} ms into our prompt;"
            f" {trace.cause(config)}"
        )


if __name__ == "__main__":
    main()
