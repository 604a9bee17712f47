"""The wheel ships what `konform demo` needs: konform_sandbox with the dialplan and the prompts.

The wheel is built from a copy of the sources with the installed setuptools (no network), then
unpacked; a fresh interpreter with only the unpacked wheel first on its path resolves the
sandbox's folders through importlib.resources, as an installed konform does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("konform", "ari_app", "agi", "konform_sandbox", "konform_web")
SOURCES = ("pyproject.toml", "README.md", "LICENSE", *PACKAGES, "dialplan", "prompts")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    out = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("konform-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_has_every_package(wheel: Path) -> None:
    names = _names(wheel)
    for package in PACKAGES:
        for init in (ROOT / package).rglob("__init__.py"):
            assert init.relative_to(ROOT).as_posix() in names
    assert "konform_sandbox/sandbox.py" in names
    assert "konform_sandbox/demo.py" in names
    assert not any(name.startswith(("dialplan/", "prompts/", "konform/sandbox/")) for name in names)


def test_wheel_has_the_dialplan_and_the_prompts(wheel: Path) -> None:
    names = _names(wheel)
    confs = sorted((ROOT / "dialplan").rglob("*.conf"))
    sounds = sorted((ROOT / "dialplan").rglob("*.wav"))
    prompts = sorted((ROOT / "prompts").rglob("*.wav"))
    assert confs
    assert sounds
    assert len(prompts) >= 30
    for file in confs + sounds:
        assert f"konform_sandbox/dialplan/{file.relative_to(ROOT / 'dialplan').as_posix()}" in names
    for file in prompts:
        assert f"konform_sandbox/prompts/{file.relative_to(ROOT / 'prompts').as_posix()}" in names
    assert "LICENSE" in {Path(name).name for name in names if ".dist-info/" in name}


def test_wheel_has_the_web_consoles_pages(wheel: Path) -> None:
    names = _names(wheel)
    assert "konform_web/app.py" in names
    for file in sorted((ROOT / "konform_web" / "static").rglob("*")):
        if file.is_file():
            assert file.relative_to(ROOT).as_posix() in names


def test_installed_sandbox_finds_its_folders(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "KONFORM_DIALPLAN_DIR"}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=tmp_path,  # not the checkout: only the unpacked wheel provides konform_sandbox
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    dialplan, prompts = (Path(line) for line in done.stdout.splitlines())
    assert dialplan == site / "konform_sandbox" / "dialplan"
    assert prompts == site / "konform_sandbox" / "prompts"
    assert (dialplan / "pbx" / "extensions.conf").is_file()
    assert (prompts / "de" / "consent.wav").is_file()


_PROBE = """
from konform_sandbox.instance import dialplan_dir, prompts_dir
print(dialplan_dir())
print(prompts_dir())
"""
