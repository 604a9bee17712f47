"""The environment of a ``konform serve`` child process on the sandbox, for the integration
tests: the sandbox's ARI and recordings folders (as ``konform sandbox env`` prints them), the
test's agents and recordings folder, and its [dialer] overrides; none of the caller's own
``KONFORM_`` settings."""

from __future__ import annotations

import os
from pathlib import Path

from konform_sandbox.env import sandbox_config
from konform_sandbox.sandbox import Sandbox

__all__ = ["serve_env"]

REPO = Path(__file__).resolve().parents[2]


def serve_env(sandbox: Sandbox, folder: Path, agents: str, **dialer: str) -> dict[str, str]:
    """``agents`` comma-separated; ``dialer`` as ``[dialer]`` keys (``ring_timeout="15"``)."""
    values = sandbox_config(sandbox.settings, sandbox.base, sandbox.ari_password, agents.split(","))
    values[("dialer", "company")] = "Demo Energie GmbH"
    values[("dialer", "recordings_dir")] = str(folder / "recordings")
    values.update({("dialer", key): value for key, value in dialer.items()})
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KONFORM_") or k.startswith("KONFORM_SANDBOX_")
    }
    return {
        **inherited,
        "PYTHONPATH": str(REPO),
        **{f"KONFORM_{s.upper()}_{k.upper()}": v for (s, k), v in values.items()},
    }
