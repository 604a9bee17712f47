"""Building the Debian sid root that holds Asterisk, once, under the cache folder.

``debootstrap --variant=minbase --include=asterisk,… sid`` takes about a minute; the root is
built in a temporary folder and renamed when complete, so an interrupted build is never reused.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["PACKAGES", "SandboxError", "cache_dir", "debian_mirror", "ensure_root"]

logger = logging.getLogger(__name__)

PACKAGES = ("asterisk", "asterisk-core-sounds-en-wav", "asterisk-prompt-de")
_STAMP = ".konform-root"


class SandboxError(RuntimeError):
    """The sandbox cannot be built or started; the message says why."""


def cache_dir() -> Path:
    """``$KONFORM_SANDBOX_DIR``, else ``$XDG_CACHE_HOME/konform``, else ``~/.cache/konform``."""
    explicit = os.environ.get("KONFORM_SANDBOX_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "konform"


def debian_mirror() -> str:
    """The mirror this machine's own apt sources use (``$KONFORM_DEBIAN_MIRROR`` overrides)."""
    explicit = os.environ.get("KONFORM_DEBIAN_MIRROR")
    if explicit:
        return explicit
    candidates = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for source in candidates:
        if source.is_file() and not source.name.endswith(".disabled-by-farm"):
            text = source.read_text(errors="replace")
            match = re.search(
                r"(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(\S+/debian)/?\s", text, re.MULTILINE
            )
            if match:
                return match.group(1)
    return "http://deb.debian.org/debian"


def ensure_root(base: Path | None = None) -> Path:
    """Return a ready root with Asterisk, building it first if the cache has none."""
    base = base or cache_dir()
    root = base / "root"
    stamp = root / _STAMP
    wanted = " ".join(PACKAGES)
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return root
    if os.geteuid() != 0:
        raise SandboxError("building the Asterisk root needs root (debootstrap, chroot)")
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        raise SandboxError("debootstrap is not installed (apt-get install debootstrap)")
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / "root.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    mirror = debian_mirror()
    logger.warning("building the Asterisk root in %s from %s (about a minute)", root, mirror)
    command = [
        debootstrap,
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        "sid",
        str(tmp),
        mirror,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise SandboxError(f"debootstrap failed ({done.returncode}): {tail}")
    shutil.copy("/etc/resolv.conf", tmp / "etc/resolv.conf")
    (tmp / _STAMP).write_text(wanted + "\n")
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    return root
