"""The import contracts in pyproject.toml (checked by `lint-imports`) cover every module.

A forbidden contract cannot say "konform except konform.cli", so the core contract lists
konform's children; a new module must join that list (or move under konform.cli).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _contract(contract_id: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    (contract,) = (c for c in contracts if c["id"] == contract_id)
    return contract


def test_core_contract_lists_every_module_of_konform_but_the_cli() -> None:
    children = {
        f"konform.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "konform").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert set(_contract("core")["source_modules"]) == children - {"konform.cli"}


def test_sans_io_cores_exist_and_bar_stdlib_io() -> None:
    contract = _contract("sans-io")
    for module in contract["source_modules"]:
        path = ROOT / module.replace(".", "/")
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), module
    assert {"sqlite3", "socket", "asyncio"} <= set(contract["forbidden_modules"])
