"""The offline evaluator: runs the detector over a labelled corpus frame by frame, as a call
would (never looking ahead), and summarises accuracy and decision times."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from konform.amd.audio import AudioError, load_pcm
from konform.amd.config import AmdConfig
from konform.amd.detector import FRAME_MS, AmdDecision, Detector

__all__ = ["CorpusError", "Evaluation", "evaluate_corpus", "run_file"]

LABELS = ("human", "machine")


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


@dataclass
class Evaluation:
    results: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        rs = self.results
        humans = [r for r in rs if r.label == "human"]
        machines = [r for r in rs if r.label == "machine"]
        times = np.array([r.decision_ms for r in rs], dtype=float) if rs else np.zeros(1)
        confusion = Counter((r.label, r.decision) for r in rs)
        per_kind: dict[str, list[bool]] = defaultdict(list)
        for r in rs:
            per_kind[f"{r.label}/{r.kind}" if r.kind else r.label].append(r.decision == r.label)
        return {
            "files": len(rs),
            "accuracy": _share(sum(r.decision == r.label for r in rs), len(rs)),
            "human_as_machine": _share(sum(r.decision == "machine" for r in humans), len(humans)),
            "machine_as_human": _share(sum(r.decision == "human" for r in machines), len(machines)),
            "decision_ms": {
                "median": float(np.median(times)),
                "p90": float(np.percentile(times, 90)),
            },
            "confusion": {f"{a}->{b}": confusion[(a, b)] for a in LABELS for b in LABELS},
            "per_kind": {k: _share(sum(v), len(v)) for k, v in sorted(per_kind.items())},
            "per_file": [
                {
                    "file": r.file,
                    "label": r.label,
                    "decision": r.decision,
                    "decision_ms": r.decision_ms,
                    "reason": r.reason,
                }
                for r in rs
            ],
            "errors": self.errors,
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


def read_labels(folder: Path) -> list[tuple[str, str, str]]:
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
            rows.append((row["file"].strip(), label, (row.get("kind") or "").strip()))
    return rows


def evaluate_corpus(folder: Path, config: AmdConfig | None = None) -> Evaluation:
    evaluation = Evaluation()
    for name, label, kind in read_labels(folder):
        try:
            pcm, rate = load_pcm(folder / name)
        except AudioError as exc:
            evaluation.errors.append(str(exc))
            continue
        decision = run_file(pcm, rate, config)
        evaluation.results.append(
            FileResult(name, label, kind, decision.label, decision.at_ms, decision.reason)
        )
    return evaluation
