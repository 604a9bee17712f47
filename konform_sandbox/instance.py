"""One Asterisk process in the sandbox root, with its own config, database, run and log folders.

Configs come from ``dialplan/common`` and ``dialplan/<instance>`` (shipped as the package data
``konform_sandbox.dialplan``); ``@NAME@`` placeholders are
filled from the instance's settings (ports, generated passwords), so no secret is in the repo.
The stock configs of the root are copied first, so files konform does not ship keep defaults.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from konform_sandbox.root import SandboxError

__all__ = ["AsteriskInstance", "dialplan_dir", "prompts_dir"]

logger = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def dialplan_dir() -> Path:
    """The Asterisk configs and peer sounds (``$KONFORM_DIALPLAN_DIR`` overrides)."""
    explicit = os.environ.get("KONFORM_DIALPLAN_DIR")
    if explicit:
        return Path(explicit)
    return _data_dir("dialplan")


def prompts_dir() -> Path:
    """konform's prompts, one folder per language (``$KONFORM_PROMPTS_DIR`` overrides)."""
    explicit = os.environ.get("KONFORM_PROMPTS_DIR")
    if explicit:
        return Path(explicit)
    return _data_dir("prompts")


def _data_dir(name: str) -> Path:
    # The repo's top-level dialplan/ and prompts/ are mapped into this package by pyproject.toml
    # (setuptools package-dir), so a source checkout and an installed wheel find them alike.
    package = f"konform_sandbox.{name}"
    try:
        folder = resources.files(package)
    except ModuleNotFoundError:
        raise SandboxError(
            f"{package} is not installed: reinstall konform (pip install -e .)"
        ) from None
    if not isinstance(folder, Path):  # a zipped install: Asterisk needs real files to copy
        raise SandboxError(f"{package} is not a folder on disk: {folder}")
    return folder


class AsteriskInstance:
    """An Asterisk named ``name`` (``pbx``, ``farend``) inside ``root``."""

    def __init__(
        self,
        root: Path,
        name: str,
        values: Mapping[str, str | int],
        layers: tuple[str, ...] = ("common",),
    ) -> None:
        self.root = root
        self.name = name
        self.layers = (*layers, name)
        self.values = {"INSTANCE": name, **{k: str(v) for k, v in values.items()}}
        self.etc = f"/etc/konform/{name}"
        self.conf = f"{self.etc}/asterisk.conf"

    def path(self, inside: str) -> Path:
        """A path inside the root, seen from the host."""
        return self.root / inside.lstrip("/")

    @property
    def log_dir(self) -> Path:
        return self.path(f"/var/log/konform/{self.name}")

    @property
    def spool_dir(self) -> Path:
        return self.path(f"/var/spool/konform/{self.name}")

    def install(self) -> None:
        """Write the instance's configs into the root, placeholders filled."""
        etc = self.path(self.etc)
        if etc.exists():
            shutil.rmtree(etc)
        shutil.copytree(self.path("/etc/asterisk"), etc)
        source = dialplan_dir()
        for folder in (source / layer for layer in self.layers):
            if not folder.is_dir():
                raise SandboxError(f"config folder {folder} is missing")
            for file in sorted(folder.glob("*.conf")):
                (etc / file.name).write_text(self._fill(file.read_text(), file))
        for state in ("/var/lib", "/var/spool", "/run", "/var/log", "/var/cache"):
            self.path(f"{state}/konform/{self.name}").mkdir(parents=True, exist_ok=True)
        self.path(f"/var/lib/konform/{self.name}/keys").mkdir(exist_ok=True)
        self.path(f"/var/spool/konform/{self.name}/recording").mkdir(exist_ok=True)
        (self.log_dir / "messages.log").unlink(missing_ok=True)  # each run's log is its own
        self.path("/usr/share/asterisk/moh").mkdir(exist_ok=True)
        # Asterisk keeps its ASTdb here; a fresh one per install keeps runs independent.
        self.path(f"/var/lib/konform/{self.name}/astdb.sqlite3").unlink(missing_ok=True)

    def _fill(self, text: str, file: Path) -> str:
        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in self.values:
                raise SandboxError(f"{file}: no value for placeholder @{key}@")
            return self.values[key]

        return _PLACEHOLDER.sub(value, text)

    def _cli(self, command: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["chroot", str(self.root), "asterisk", "-C", self.conf, "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cli(self, command: str, timeout: float = 20) -> str:
        """Run one Asterisk CLI command in this instance and return its output."""
        done = self._cli(command, timeout)
        if done.returncode != 0:
            raise SandboxError(f"{self.name}: 'asterisk -rx {command}' failed: {done.stderr}")
        return done.stdout

    def pid(self) -> int | None:
        pid_file = self.path(f"/run/konform/{self.name}/asterisk.pid")
        try:
            pid = int(pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:  # it runs, as root, and we are not
            return pid
        return pid

    def start(self, timeout: float = 60) -> None:
        """Start the instance as a daemon and wait until it is fully booted."""
        if self.pid() is not None:
            self.stop()
        done = subprocess.run(
            ["chroot", str(self.root), "asterisk", "-C", self.conf],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise SandboxError(f"{self.name}: asterisk did not start: {done.stderr.strip()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._cli("core waitfullybooted", timeout=timeout).returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                break
            if self.pid() is None and time.monotonic() > deadline - timeout + 5:
                raise SandboxError(
                    f"{self.name}: asterisk exited while starting;"
                    f" see {self.log_dir / 'messages.log'}"
                )
            time.sleep(0.2)
        raise SandboxError(
            f"{self.name}: asterisk did not finish booting within {timeout:.0f} s;"
            f" see {self.log_dir / 'messages.log'}"
        )

    def stop(self, timeout: float = 20) -> None:
        """Stop the instance (gracefully, then by signal)."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._cli("core stop now", timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                return
            time.sleep(0.1)
        logger.warning("%s: asterisk %d did not stop, killing it", self.name, pid)
        os.kill(pid, signal.SIGKILL)
