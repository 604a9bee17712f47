"""``konform serve`` child processes on the sandbox, for the integration tests: their
environment (:func:`konform_sandbox.env.serve_environment` for a running :class:`Sandbox`) and
the demo campaign's engine on the demo's policy clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from konform_sandbox.demo import CAMPAIGN, DEMO_CLOCK
from konform_sandbox.env import serve_environment
from konform_sandbox.sandbox import Sandbox

__all__ = ["REPO", "serve_demo", "serve_env"]

REPO = Path(__file__).resolve().parents[2]


def serve_env(sandbox: Sandbox, folder: Path, agents: str, **dialer: str) -> dict[str, str]:
    """``agents`` comma-separated; ``dialer`` as ``[dialer]`` keys (``ring_timeout="15"``)."""
    return serve_environment(
        sandbox.settings, sandbox.base, sandbox.ari_password, folder, agents.split(","), **dialer
    )


def serve_demo(
    sandbox: Sandbox, folder: Path, agents: str, *extra: str, **dialer: str
) -> subprocess.Popen[str]:
    """``konform serve --campaign demo-energy --simulated-now DEMO_CLOCK *extra`` on the demo
    database in ``folder`` (``konform-demo.db``), output piped; ``agents`` and ``dialer`` as
    for :func:`serve_env`."""
    return subprocess.Popen(
        [sys.executable, "-m", "konform.cli.main", "--db", str(folder / "konform-demo.db"),
         "serve", "--campaign", CAMPAIGN.name, "--simulated-now", DEMO_CLOCK.isoformat(), *extra],
        cwd=folder,
        env=serve_env(sandbox, folder, agents, **dialer),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
