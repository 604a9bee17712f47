"""``konform amd eval`` scores the final decision (first stage and guard) and reports the first
stage beside it, the seconds of our audio machines hear, and both stages per kind; the corpus
tool makes the hard kinds with where each greeting lies, in A-law if asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.amd_signals import RATE, mix, noise, silence, speech, tone, with_noise
from tests.conftest import CliRunner
from tests.unit.test_amd_tools import ROOT, sources  # noqa: F401 - the clips fixture


def late_mailbox(rng: np.random.Generator) -> np.ndarray:
    greeting = mix(*[mix(speech(1.2, rng), silence(0.2)) for _ in range(5)])
    return with_noise(mix(noise(2.0, rng, 0.001), greeting, tone(1000.0, 0.5), silence(4)), 30, rng)


def test_json_reports_both_stages_and_what_machines_hear(cli: CliRunner, tmp_path: Path) -> None:
    rng = np.random.default_rng(41)
    person = with_noise(mix(silence(0.3), speech(0.6, rng), silence(8)), 30, rng)
    sf.write(tmp_path / "late.wav", late_mailbox(rng), RATE, subtype="ALAW")
    sf.write(tmp_path / "person.wav", person, RATE, subtype="ALAW")
    (tmp_path / "labels.csv").write_text(
        "file,label,kind,greeting_start_ms,greeting_end_ms\n"
        "late.wav,machine,late-greeting,2000,9500\n"
        "person.wav,human,quiet,,\n"
    )
    result = cli("amd", "eval", "--corpus", str(tmp_path), "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["accuracy"] == 1.0  # the final decision: the guard caught the late mailbox
    assert set(data["first_stage"]) == {
        "accuracy",
        "human_as_machine",
        "machine_as_human",
        "decision_ms",
    }
    assert data["first_stage"]["accuracy"] == 0.5  # the first stage let it through
    assert set(data["voicemail_left_s"]) == {"median", "p90", "max"}
    assert 0 < data["voicemail_left_s"]["max"] < 4
    assert data["voicemail_after_greeting_s"]["max"] == 0.0
    late = data["per_kind_stages"]["machine/late-greeting"]
    assert (late["final"], late["first_stage"]) == (1.0, 0.0)
    assert data["per_kind_stages"]["human/quiet"]["people_dropped"] == 0
    rows = {row["file"]: row for row in data["per_file"]}
    assert rows["late.wav"]["stage"] == "guard"
    assert rows["person.wav"]["stage"] == "first"
    table = cli("amd", "eval", "--corpus", str(tmp_path))
    assert "first stage" in table.out
    assert "our audio heard" in table.out


def test_the_corpus_tool_makes_the_hard_kinds_in_alaw(
    tmp_path: Path,
    sources: Path,  # noqa: F811
) -> None:
    out = tmp_path / "hard"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.make_amd_corpus",
            "--hard",
            "--encoding",
            "alaw",
            "--out",
            str(out),
            "--n",
            "16",
            "--seed",
            "5",
            str(sources),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    lines = (out / "labels.csv").read_text().splitlines()
    assert lines[0] == "file,label,kind,greeting_start_ms,greeting_end_ms,background,talkover"
    for line in lines[1:]:
        name, label, kind, start, end, background, talkover = line.split(",")
        info = sf.info(str(out / name))
        assert (info.subtype, info.samplerate, info.duration) == ("ALAW", 8000, 20.0)
        if label == "machine":
            assert kind in ("late-greeting", "music-bed", "no-beep", "long-greeting")
            assert 0 <= int(start) < int(end) <= 20000
            if kind == "late-greeting":
                assert int(start) >= 1500
        else:
            assert kind in ("tv", "business-long", "quiet", "hallo-hallo")
            assert start == end == ""
            assert background == f"bg/{name}"
            assert sf.info(str(out / background)).duration == 20.0
            assert talkover in ("", f"talk/{name}")
