"""The sandbox as a whole: the root, generated credentials, and the PBX instance.

Credentials are generated once per cache folder into ``secrets.json`` (mode 0600); nothing
secret is in the repository. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from konform.sandbox.instance import AsteriskInstance
from konform.sandbox.root import SandboxError, cache_dir, ensure_root

__all__ = ["Sandbox", "SandboxSettings"]


@dataclass(frozen=True)
class SandboxSettings:
    http_port: int = 8088
    sip_port: int = 5060
    ami_port: int = 5038
    rtp_start: int = 10000
    rtp_end: int = 10999
    ari_user: str = "konform"
    ami_user: str = "konform"
    ari_app: str = "konform"

    @classmethod
    def from_env(cls) -> SandboxSettings:
        """Ports may be moved with ``KONFORM_SANDBOX_HTTP_PORT`` etc."""
        values: dict[str, Any] = {}
        for name, default in cls().__dict__.items():
            raw = os.environ.get(f"KONFORM_SANDBOX_{name.upper()}")
            if raw is not None:
                values[name] = int(raw) if isinstance(default, int) else raw
        return cls(**values)


class Sandbox:
    """Build, start and stop the sandbox PBX; talk to its ARI."""

    def __init__(self, base: Path | None = None, settings: SandboxSettings | None = None) -> None:
        self.base = base or cache_dir()
        self.settings = settings or SandboxSettings.from_env()
        self._root: Path | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = ensure_root(self.base)
        return self._root

    def secrets(self) -> dict[str, str]:
        file = self.base / "secrets.json"
        if file.is_file():
            stored: dict[str, str] = json.loads(file.read_text())
            return stored
        self.base.mkdir(parents=True, exist_ok=True)
        values = {
            "ari_password": secrets.token_urlsafe(18),
            "ami_password": secrets.token_urlsafe(18),
        }
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(values, out)
        return values

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    @property
    def ari_password(self) -> str:
        return self.secrets()["ari_password"]

    def pbx(self) -> AsteriskInstance:
        s = self.settings
        sec = self.secrets()
        return AsteriskInstance(
            self.root,
            "pbx",
            {
                "HTTP_PORT": s.http_port,
                "SIP_PORT": s.sip_port,
                "AMI_PORT": s.ami_port,
                "RTP_START": s.rtp_start,
                "RTP_END": s.rtp_end,
                "ARI_USER": s.ari_user,
                "ARI_PASSWORD": sec["ari_password"],
                "AMI_USER": s.ami_user,
                "AMI_PASSWORD": sec["ami_password"],
                "ARI_APP": s.ari_app,
            },
        )

    def start(self) -> None:
        pbx = self.pbx()
        pbx.install()
        pbx.start()

    def stop(self) -> None:
        if (self.base / "root").exists():
            self.pbx().stop()

    def running(self) -> bool:
        return (self.base / "root").exists() and self.pbx().pid() is not None

    def ari_info(self, timeout: float = 10) -> dict[str, Any]:
        """``GET /ari/asterisk/info`` with the sandbox's credentials."""
        try:
            response = httpx.get(
                f"{self.ari_url}/ari/asterisk/info",
                auth=(self.settings.ari_user, self.ari_password),
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise SandboxError(f"ARI at {self.ari_url} did not answer: {exc}") from None
        if response.status_code != 200:
            raise SandboxError(f"ARI answered {response.status_code}: {response.text[:200]}")
        info: dict[str, Any] = response.json()
        return info
