"""The AMD corpus tools: a corpus is the same every time it is made, its layout says where each
clip and tone lies, and the oracle of tools.amd_limits applies the rules to that layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tools import amd_limits, make_amd_corpus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Speech-like bursts: five short (0.4-1.0 s) and five long (1.6-3.0 s) clips, plus one in a
    ``konform`` folder, which the generator must leave out."""
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(5)
    seconds = [0.4, 0.55, 0.7, 0.85, 1.0, 1.6, 1.9, 2.2, 2.6, 3.0]
    for index, length in enumerate(seconds):
        t = np.arange(int(length * 8000)) / 8000
        burst = rng.standard_normal(t.size) * (0.3 + 0.2 * np.sin(2 * np.pi * 4 * t))
        sf.write(folder / f"{index:02d}.wav", (0.3 * burst).astype(np.float32), 8000)
    (folder / "konform").mkdir()
    sf.write(folder / "konform" / "prompt.wav", np.full(16000, 0.2, np.float32), 8000)
    return folder


def _make(out: Path, sources: Path) -> dict[str, list[list[object]]]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.make_amd_corpus",
            "--out",
            str(out),
            "--n",
            "12",
            "--seed",
            "3",
            "--extra-share",
            "0.3",
            "--layout",
            str(out / "layout.json"),
            str(sources),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    layout: dict[str, list[list[object]]] = json.loads((out / "layout.json").read_text())
    return layout


def test_corpus_is_the_same_every_time_and_its_layout_marks_clips_and_tones(
    sources: Path, tmp_path: Path
) -> None:
    first = _make(tmp_path / "a", sources)
    second = _make(tmp_path / "b", sources)
    assert first == second
    names = sorted(p.name for p in (tmp_path / "a").glob("*.wav"))
    assert len(names) == 12
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    labels = (tmp_path / "a" / "labels.csv").read_text().splitlines()[1:]
    kinds = dict(line.split(",")[::2] for line in labels)
    for name, spans in first.items():
        audio, _ = sf.read(tmp_path / "a" / name)
        assert all(what in ("clip", "tone") for what, _, _ in spans)
        for what, start, end in spans:
            assert 0 <= float(start) < float(end)  # type: ignore[arg-type]
            part = audio[int(float(start) * 8) : int(float(end) * 8)]  # type: ignore[arg-type]
            if part.size:  # clipped at 10 s
                assert np.sqrt(np.mean(part**2)) > 0.01, (name, what)
        if kinds[name] in ("silence", "noise"):
            assert spans == []
        if kinds[name] == "music":
            assert spans
            assert all(what == "tone" for what, _, _ in spans)


def test_konform_prompts_are_not_a_source(sources: Path) -> None:
    short, long_ = make_amd_corpus.load_sources([sources])
    assert (len(short), len(long_)) == (5, 5)


def test_oracle_applies_the_rules_to_true_clip_boundaries() -> None:
    oracle = amd_limits.oracle
    hello = [("clip", 200.0, 800.0)]
    assert oracle(hello, 1000.0) == ("human", 1800.0)
    sentence = [("clip", 300.0, 2500.0), ("tone", 3000.0, 3500.0)]
    assert oracle(sentence, 1000.0) == ("machine", 1600.0)
    five_words = [("clip", 100.0 + 500 * i, 500.0 + 500 * i) for i in range(5)]
    assert oracle(five_words, 1000.0) == ("machine", 2140.0)
    beep_after_short_greeting = [("clip", 0.0, 900.0), ("tone", 1300.0, 1800.0)]
    assert oracle(beep_after_short_greeting, 1000.0) == ("machine", 1500.0)
    assert oracle([], 1000.0) == ("human", 1500.0)
