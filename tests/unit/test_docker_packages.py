"""The app image copies every source folder ``pip install .`` builds from: a package listed in
pyproject but not copied fails the image's build (``package directory ... does not exist``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_app_image_copies_every_package() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        setuptools["package-dir"].get(name, name.replace(".", "/")).split("/")[0]
        for name in setuptools["packages"]
    }
    copied = {
        line.split()[1]
        for line in (ROOT / "docker" / "Dockerfile.app").read_text().splitlines()
        if line.startswith("COPY ")
    }
    assert folders - copied == set(), "docker/Dockerfile.app misses these source folders"
