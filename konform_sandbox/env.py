"""Pointing konform at the running sandbox, and recognising it.

``konform sandbox env`` prints ``export KONFORM_<SECTION>_<KEY>=…`` lines (the names
``konform.config`` reads) for ARI, FastAGI, the trunk, the agents and the recording folders.
``is_sandbox_ari`` tells whether an ARI address and user are the sandbox's PBX, for commands
allowed only against the sandbox (``konform serve --simulated-now``).
"""

from __future__ import annotations

import hmac
import json
import os
import shlex
import urllib.parse
from dataclasses import fields
from pathlib import Path

from konform.config import Config
from konform_sandbox.root import SandboxError, cache_dir
from konform_sandbox.sandbox import SandboxSettings

__all__ = ["env_lines", "is_sandbox_ari", "read_secrets", "sandbox_config", "serve_environment"]

TRUNK = "trunk"
"""The PBX's trunk endpoint to the far end (``dialplan/pbx/pjsip.conf``)."""
PBX_RECORDINGS = "/var/spool/konform/pbx/recording"
"""Where the PBX instance records, inside the root."""


def read_secrets(base: Path) -> dict[str, str] | None:
    """The sandbox's generated credentials, or None when it never started (nothing created)."""
    try:
        stored = json.loads((base / "secrets.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or not isinstance(stored.get("ari_password"), str):
        return None
    return {str(k): str(v) for k, v in stored.items()}


def sandbox_config(
    settings: SandboxSettings, base: Path, ari_password: str, agents: list[str] | None = None
) -> dict[tuple[str, str], str]:
    """konform's settings for the sandbox, keyed by (config section, key)."""
    chosen = agents if agents is not None else settings.agent_list
    return {
        ("ari", "url"): f"http://{settings.pbx_host}:{settings.http_port}",
        ("ari", "username"): settings.ari_user,
        ("ari", "password"): ari_password,
        ("ari", "app"): settings.ari_app,
        ("agi", "host"): settings.agi_host,
        ("agi", "port"): str(settings.agi_port),
        ("dialer", "trunk"): TRUNK,
        ("dialer", "agents"): ",".join(chosen),
        # the PBX runs on loopback: it sends the AMD tap's media to konform on its own host
        ("dialer", "rtp_host"): settings.pbx_host,
        ("dialer", "asterisk_recordings_dir"): str(base / "root" / PBX_RECORDINGS.lstrip("/")),
        ("dialer", "recordings_dir"): str(base / "recordings"),
    }


def serve_environment(
    settings: SandboxSettings,
    base: Path,
    ari_password: str,
    folder: Path,
    agents: list[str],
    **dialer: str,
) -> dict[str, str]:
    """The environment of a ``konform serve`` child on the sandbox (tests, benchmarks): the
    settings ``sandbox env`` prints, these agents, recordings under ``folder`` and the
    ``[dialer]`` overrides (``ring_timeout="15"``); none of the caller's own ``KONFORM_``
    settings; this checkout's packages first on the child's path."""
    values = sandbox_config(settings, base, ari_password, agents)
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
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        **{f"KONFORM_{s.upper()}_{k.upper()}": v for (s, k), v in values.items()},
    }


def env_lines(values: dict[tuple[str, str], str]) -> list[str]:
    """``export KONFORM_<SECTION>_<KEY>=<value>`` lines, shell-quoted, for keys konform reads."""
    known = {
        (section.name, key.name)
        for section in fields(Config)
        for key in fields(getattr(Config(), section.name))
    }
    lines = []
    for (section, key), value in values.items():
        if (section, key) not in known:
            raise SandboxError(f"konform has no setting [{section}] {key}")
        lines.append(f"export KONFORM_{section.upper()}_{key.upper()}={shlex.quote(value)}")
    return lines


def is_sandbox_ari(
    url: str,
    username: str,
    password: str | None = None,
    *,
    base: Path | None = None,
    settings: SandboxSettings | None = None,
) -> bool:
    """Whether ARI at ``url`` with ``username`` (and ``password``, when given) is the sandbox's PBX.

    True only when this machine's sandbox has generated its credentials (it was started) and
    the address, port and user are its PBX's; a given password must be the generated one. A
    production PBX on the same loopback port with the same user name has another password.
    """
    base = base or cache_dir()
    try:
        settings = settings or SandboxSettings.from_env()
    except SandboxError:
        return False
    stored = read_secrets(base)
    if stored is None or username != settings.ari_user:
        return False
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    hosts = {settings.pbx_host}
    if settings.pbx_host == "127.0.0.1":
        hosts.add("localhost")
    if (
        parts.scheme != "http"
        or parts.hostname not in hosts
        or port != settings.http_port
        or parts.path not in ("", "/")
        or parts.query
        or parts.username is not None
    ):
        return False
    return password is None or hmac.compare_digest(
        password.encode(), stored["ari_password"].encode()
    )
