"""The evaluator contract (``konform amd eval``) on the fixtures in tests/fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import CliRunner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_json_contract(cli: CliRunner) -> None:
    result = cli("amd", "eval", "--corpus", str(FIXTURES / "amd"), "--json")
    assert result.code == 0
    data = result.json()
    for key in ("accuracy", "human_as_machine", "machine_as_human"):
        assert 0.0 <= data[key] <= 1.0
    assert set(data["decision_ms"]) >= {"median", "p90"}
    assert len(data["per_file"]) == 14
    for row in data["per_file"]:
        assert {"file", "label", "decision", "decision_ms"} <= set(row)
        assert row["decision"] in ("human", "machine")
    assert data["accuracy"] >= 0.85  # the development samples, a sanity floor


def test_table_output(cli: CliRunner) -> None:
    result = cli("amd", "eval", "--corpus", str(FIXTURES / "amd"))
    assert result.code == 0
    for words in ("accuracy", "humans dropped", "machines missed", "median", "per kind"):
        assert words in result.out


def test_silence_and_noise_are_people(cli: CliRunner) -> None:
    data = cli("amd", "eval", "--corpus", str(FIXTURES / "amd-extra"), "--json").json()
    kinds = {}
    for line in (FIXTURES / "amd-extra" / "labels.csv").read_text().splitlines()[1:]:
        name, _, kind = line.split(",")
        kinds[name] = kind
    for row in data["per_file"]:
        if kinds[row["file"]] in ("silence", "noise"):
            assert row["decision"] == "human", row


def test_bad_corpus_is_one_line(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli("amd", "eval", "--corpus", str(tmp_path / "none"))
    assert missing.code == 2
    assert missing.err.count("\n") == 1
    (tmp_path / "labels.csv").write_text("file,label\nx.wav,robot\n")
    bad_label = cli("amd", "eval", "--corpus", str(tmp_path))
    assert bad_label.code == 2
    assert "human/machine" in bad_label.err


def test_unreadable_file_is_reported_and_skipped(cli: CliRunner, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "amd" / "0000.wav", tmp_path / "good.wav")
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    (tmp_path / "labels.csv").write_text("file,label\ngood.wav,human\nbad.wav,machine\n")
    result = cli("amd", "eval", "--corpus", str(tmp_path), "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert len(data["per_file"]) == 1
    assert data["errors"]
