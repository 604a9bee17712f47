"""``tools.make_amd_corpus --pools`` writes the clip pools' durations (what
tools.amd_no_beep_bound reads) and, like ``--layout``, leaves the corpus's files unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
SECONDS = [0.4, 0.55, 0.7, 0.85, 1.0, 1.6, 1.9, 2.2, 2.6, 3.0]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(5)
    for index, length in enumerate(SECONDS):
        burst = rng.standard_normal(int(length * 8000)) * 0.1
        sf.write(folder / f"{index:02d}.wav", burst.astype(np.float32), 8000)
    return folder


def _make(out: Path, sources: Path, *extra: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.make_amd_corpus",
            "--hard",
            "--out",
            str(out),
            "--n",
            "6",
            "--seed",
            "4",
            *extra,
            str(sources),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def test_pools_are_the_clip_durations_and_the_corpus_is_unchanged(
    sources: Path, tmp_path: Path
) -> None:
    _make(tmp_path / "plain", sources)
    pools = tmp_path / "pools.json"
    _make(tmp_path / "with", sources, "--pools", str(pools), "--layout", str(tmp_path / "l.json"))
    data = json.loads(pools.read_text())
    assert sorted(data) == ["long_ms", "short_ms"]
    assert len(data["short_ms"]) == 5
    assert len(data["long_ms"]) == 5
    assert all(250 <= ms <= 1300 for ms in data["short_ms"])
    assert all(1300 < ms <= 4500 for ms in data["long_ms"])
    for path in sorted((tmp_path / "plain").rglob("*.*")):
        twin = tmp_path / "with" / path.relative_to(tmp_path / "plain")
        assert twin.read_bytes() == path.read_bytes(), path.name
