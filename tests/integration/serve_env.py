"""The environment of a ``konform serve`` child process on the sandbox, for the integration
tests: :func:`konform_sandbox.env.serve_environment` for a running :class:`Sandbox`."""

from __future__ import annotations

from pathlib import Path

from konform_sandbox.env import serve_environment
from konform_sandbox.sandbox import Sandbox

__all__ = ["REPO", "serve_env"]

REPO = Path(__file__).resolve().parents[2]


def serve_env(sandbox: Sandbox, folder: Path, agents: str, **dialer: str) -> dict[str, str]:
    """``agents`` comma-separated; ``dialer`` as ``[dialer]`` keys (``ring_timeout="15"``)."""
    return serve_environment(
        sandbox.settings, sandbox.base, sandbox.ari_password, folder, agents.split(","), **dialer
    )
