"""Shared fixtures: a fresh store, and running the ``konform`` CLI in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from konform.cli.main import main
from konform.store.database import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "konform.db")
    yield opened
    opened.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


CliRunner = Callable[..., CliResult]


@pytest.fixture
def cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """Run ``konform --db <tmp>/konform.db ARGS…`` and return exit code and output."""
    monkeypatch.chdir(tmp_path)
    for name in ("KONFORM_DB", "KONFORM_CONFIG", "KONFORM_POLICY_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "konform.db"

    def run(*args: str) -> CliResult:
        code = main(["--db", str(db), *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
