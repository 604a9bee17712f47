"""The offline evaluator: runs the detector over a labelled corpus frame by frame, as a call
would (never looking ahead), and summarises accuracy and decision times.

It scores the final decision: the first stage, and after its "human" the guard, on the prompt
timeline of a real call (our identification starts at the first stage's verdict, and the guard
listens until an agent could be bridged, ``GUARD_MS`` later, or the file ends). The first
stage's figures are reported beside it. For a machine, ``voicemail_left_s`` is how many seconds
of our audio it hears: from the first verdict to the final decision (a machine the guard
missed hears everything to the end of the file). With ``greeting_start_ms`` and
``greeting_end_ms`` in labels.csv (``tools.make_amd_corpus --hard``), that time is split into
what it hears during its greeting and what it hears after it (what a mailbox records).
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from konform.amd.audio import AudioError, load_pcm
from konform.amd.config import AmdConfig
from konform.amd.detector import FRAME_MS, AmdDecision, Detector
from konform.amd.guard import Guard

__all__ = [
    "GUARD_MS",
    "CorpusError",
    "Evaluation",
    "Reaction",
    "evaluate_corpus",
    "reaction_for",
    "run_call",
    "run_file",
]

LABELS = ("human", "machine")
GUARD_MS = 20000
"""How long after the first "human" the guard listens: the identification with the callback
number and the consent question with its wait for a key (no key pressed), until an agent can be
bridged."""


REACTION_MS = (300, 700)
"""A listening person stops talking this long after our prompt starts (drawn per file)."""
TALKOVER_PAUSE_MS = (300, 800)
"""A person who talks over our prompt ("ja?", "hallo?") does so after this pause."""


@dataclass(frozen=True)
class Reaction:
    """What a person sends once they hear our prompt: from ``after_ms`` past the first verdict
    only ``background`` (the line and a TV, which go on), and ``talkover`` (or nothing) starting
    ``pause_ms`` later."""

    background: np.ndarray
    talkover: np.ndarray | None
    after_ms: int
    pause_ms: int

    def apply(self, pcm: np.ndarray, rate: int, verdict_ms: int) -> np.ndarray:
        """The file as this person would have sent it with our prompt starting at
        ``verdict_ms``."""
        out = pcm.astype(np.int32)
        cut = min(out.size, (verdict_ms + self.after_ms) * rate // 1000)
        out[cut:] = self.background[cut : out.size].astype(np.int32)
        if self.talkover is not None:
            at = cut + self.pause_ms * rate // 1000
            span = out[at : at + self.talkover.size]
            span += self.talkover[: span.size].astype(np.int32)
        clipped: np.ndarray = np.clip(out, -32768, 32767).astype(np.int16)
        return clipped


def reaction_for(
    name: str, background: np.ndarray, talkover: np.ndarray | None, size: int
) -> Reaction:
    """A file's reaction, drawn reproducibly from its name."""
    rng = random.Random(f"reaction/{name}")
    bg = np.zeros(size, dtype=np.int16)
    bg[: min(size, background.size)] = background[:size]
    return Reaction(bg, talkover, rng.randint(*REACTION_MS), rng.randint(*TALKOVER_PAUSE_MS))


class CorpusError(ValueError):
    """The corpus folder or its labels.csv cannot be used."""


@dataclass
class FileResult:
    file: str
    label: str
    kind: str
    decision: str
    decision_ms: int
    reason: str
    first_decision: str = ""
    first_ms: int = 0
    heard_ms: int = 0
    """Machines: ms of our audio heard (first verdict to final decision or file end)."""
    after_greeting_ms: int | None = None
    in_greeting_ms: int | None = None
    as_recorded: str = ""
    """The final decision on the file as recorded (no reaction to our prompt)."""
    reacted: bool = False
    """A person's file was scored with the reaction model (its stems were in labels.csv)."""

    @property
    def stage(self) -> str:
        return "guard" if self.decision != self.first_decision else "first"


@dataclass
class Evaluation:
    results: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        rs = self.results
        machines = [r for r in rs if r.label == "machine"]
        confusion = Counter((r.label, r.decision) for r in rs)
        per_kind: dict[str, list[FileResult]] = defaultdict(list)
        for r in rs:
            per_kind[f"{r.label}/{r.kind}" if r.kind else r.label].append(r)
        final = _scores(rs, "decision", "decision_ms")
        return {
            "files": len(rs),
            **final,
            "confusion": {f"{a}->{b}": confusion[(a, b)] for a in LABELS for b in LABELS},
            "first_stage": _scores(rs, "first_decision", "first_ms"),
            "as_recorded": _scores(rs, "as_recorded", "decision_ms"),
            "people_reacting": sum(r.reacted for r in rs),
            "voicemail_left_s": _spread([r.heard_ms for r in machines]),
            "voicemail_after_greeting_s": _spread(
                [r.after_greeting_ms for r in machines if r.after_greeting_ms is not None]
            ),
            "machines_over_2s_in_greeting": _share(
                sum((r.in_greeting_ms or 0) > 2000 for r in machines), len(machines)
            ),
            "per_kind": {
                k: _share(sum(r.decision == r.label for r in v), len(v))
                for k, v in sorted(per_kind.items())
            },
            "per_kind_stages": {k: _kind(v) for k, v in sorted(per_kind.items())},
            "per_file": [
                {
                    "file": r.file,
                    "label": r.label,
                    "decision": r.decision,
                    "decision_ms": r.decision_ms,
                    "reason": r.reason,
                    "stage": r.stage,
                    "first_decision": r.first_decision,
                    "first_decision_ms": r.first_ms,
                    "voicemail_left_s": r.heard_ms / 1000 if r.label == "machine" else None,
                }
                for r in rs
            ],
            "errors": self.errors,
        }


def _scores(rs: list[FileResult], decision: str, at: str) -> dict[str, Any]:
    humans = [r for r in rs if r.label == "human"]
    machines = [r for r in rs if r.label == "machine"]
    times = np.array([getattr(r, at) for r in rs], dtype=float) if rs else np.zeros(1)
    return {
        "accuracy": _share(sum(getattr(r, decision) == r.label for r in rs), len(rs)),
        "human_as_machine": _share(
            sum(getattr(r, decision) == "machine" for r in humans), len(humans)
        ),
        "machine_as_human": _share(
            sum(getattr(r, decision) == "human" for r in machines), len(machines)
        ),
        "decision_ms": {
            "median": float(np.median(times)),
            "p90": float(np.percentile(times, 90)),
        },
    }


def _spread(values_ms: list[int]) -> dict[str, float]:
    if not values_ms:
        return {"median": 0.0, "p90": 0.0, "max": 0.0}
    seconds = np.array(values_ms, dtype=float) / 1000
    return {
        "median": round(float(np.median(seconds)), 2),
        "p90": round(float(np.percentile(seconds, 90)), 2),
        "max": round(float(seconds.max()), 2),
    }


def _kind(rs: list[FileResult]) -> dict[str, Any]:
    machines = [r for r in rs if r.label == "machine"]
    return {
        "files": len(rs),
        "final": _share(sum(r.decision == r.label for r in rs), len(rs)),
        "first_stage": _share(sum(r.first_decision == r.label for r in rs), len(rs)),
        "as_recorded": _share(sum(r.as_recorded == r.label for r in rs), len(rs)),
        "people_dropped": sum(r.label == "human" and r.decision == "machine" for r in rs),
        "voicemail_left_s": _spread([r.heard_ms for r in machines]) if machines else None,
        "after_greeting_s_max": max((r.after_greeting_ms or 0 for r in machines), default=0) / 1000,
        "over_2s_in_greeting": sum((r.in_greeting_ms or 0) > 2000 for r in machines),
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def run_file(pcm: np.ndarray, rate: int, config: AmdConfig | None = None) -> AmdDecision:
    """Feed a whole recording in 20 ms frames; the decision as a live call would get it."""
    detector = Detector(rate, config)
    step = rate * FRAME_MS // 1000
    data = pcm.astype("<i2").tobytes()
    size = step * 2
    for offset in range(0, len(data), size):
        decision = detector.feed(data[offset : offset + size])
        if decision is not None:
            return decision
    return detector.finish()


def run_call(
    pcm: np.ndarray,
    rate: int,
    config: AmdConfig | None = None,
    guard_ms: int = GUARD_MS,
    reaction: Reaction | None = None,
) -> tuple[AmdDecision, AmdDecision]:
    """The first stage's decision and the final one: after a "human" the guard goes on with
    the rest of the file (up to ``guard_ms`` after the verdict), as it would while our prompts
    play. The final decision is the first one unless the guard called a machine. With a
    ``reaction`` (a person's), the rest of the file is what that person sends while our prompt
    plays (:meth:`Reaction.apply`)."""
    detector = Detector(rate, config)
    step = rate * FRAME_MS // 1000
    data = pcm.astype("<i2").tobytes()
    size = step * 2
    first: AmdDecision | None = None
    offset = 0
    while offset < len(data) and first is None:
        first = detector.feed(data[offset : offset + size])
        offset += size
    if first is None:
        first = detector.finish()
    if first.label == "machine":
        return first, first
    guard = Guard(detector, prompt_ms=first.at_ms)  # the identification starts at the verdict
    if reaction is not None:
        data = reaction.apply(pcm, rate, first.at_ms).astype("<i2").tobytes()
    end = first.at_ms + guard_ms
    while offset < len(data) and guard.elapsed_ms < end:
        decision = guard.feed(data[offset : offset + size])
        offset += size
        if decision is not None:
            return first, decision
    return first, first


Label = tuple[str, str, str, int | None, int | None]


def read_labels(folder: Path) -> list[tuple[str, str, str]]:
    return [row[:3] for row in read_label_rows(folder)]


def read_label_rows(folder: Path) -> list[Label]:
    """Rows of labels.csv: file, label, kind, and where a mailbox's greeting starts and ends
    (ms, or None where the columns are missing or empty)."""
    labels = folder / "labels.csv"
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist")
    if not labels.is_file():
        raise CorpusError(f"{labels} is missing (header file,label[,kind])")
    with labels.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"file", "label"} <= set(reader.fieldnames):
            raise CorpusError(f"{labels}: header must be file,label[,kind]")
        rows = []
        for row in reader:
            label = (row.get("label") or "").strip().lower()
            if label not in LABELS:
                raise CorpusError(
                    f"{labels}:{reader.line_num}: label {row.get('label')!r} is not human/machine"
                )
            rows.append(
                (
                    row["file"].strip(),
                    label,
                    (row.get("kind") or "").strip(),
                    _ms(row.get("greeting_start_ms")),
                    _ms(row.get("greeting_end_ms")),
                )
            )
    return rows


def _ms(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(float(text)) if text else None


def read_stems(folder: Path) -> dict[str, tuple[str, str]]:
    """labels.csv's ``background`` and ``talkover`` stems (paths in the corpus; empty: none)
    per file, for the files that have a background."""
    with (folder / "labels.csv").open(newline="", encoding="utf-8-sig") as handle:
        return {
            row["file"].strip(): (row["background"].strip(), (row.get("talkover") or "").strip())
            for row in csv.DictReader(handle)
            if (row.get("background") or "").strip()
        }


def _reaction(folder: Path, name: str, stems: tuple[str, str], size: int) -> Reaction:
    background, _ = load_pcm(folder / stems[0])
    talkover = load_pcm(folder / stems[1])[0] if stems[1] else None
    return reaction_for(name, background, talkover, size)


def evaluate_corpus(
    folder: Path, config: AmdConfig | None = None, react: bool = True
) -> Evaluation:
    """Score every file. A person with stems in labels.csv is scored as reacting to our prompt
    (:class:`Reaction`) unless ``react`` is off; ``as_recorded`` keeps the score of the file
    as it is."""
    evaluation = Evaluation()
    rows = read_label_rows(folder)
    stems = read_stems(folder) if react else {}
    for name, label, kind, start, end in rows:
        try:
            pcm, rate = load_pcm(folder / name)
            reaction = (
                _reaction(folder, name, stems[name], pcm.size)
                if label == "human" and name in stems
                else None
            )
        except AudioError as exc:
            evaluation.errors.append(str(exc))
            continue
        first, recorded = run_call(pcm, rate, config)
        final = recorded if reaction is None else run_call(pcm, rate, config, reaction=reaction)[1]
        result = FileResult(
            name, label, kind, final.label, final.at_ms, final.reason, first.label, first.at_ms
        )
        result.as_recorded = recorded.label
        result.reacted = reaction is not None
        if label == "machine" and first.label == "human":
            file_ms = int(pcm.size * 1000 / rate)
            heard_until = final.at_ms if final.label == "machine" else max(file_ms, first.at_ms)
            result.heard_ms = heard_until - first.at_ms
            if end is not None:
                result.after_greeting_ms = max(0, heard_until - max(end, first.at_ms))
                lo = max(first.at_ms, start if start is not None else 0)
                result.in_greeting_ms = max(0, min(heard_until, end) - lo)
        evaluation.results.append(result)
    return evaluation
