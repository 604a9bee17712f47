"""The sandbox as a whole: the root, generated credentials, and three Asterisk instances.

- ``pbx`` (127.0.0.1): the PBX konform drives, with ARI, AMI, the trunk and the agents.
- ``farend`` (127.0.0.2): the simulated PSTN; plays the callees by number and logs what
  arrived in SIP (``KONFORM_FAREND`` lines in its messages.log).
- ``phones`` (127.0.0.3): the agents' SIP phones (``agent1``-``agent6``), which answer, talk
  for ``agent_talk_s`` seconds and hang up.

Each instance binds its own loopback address, so the PBX tells trunk and phones apart by
source address. Credentials are generated once per cache folder into ``secrets.json`` (mode
0600); nothing secret is in the repository.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from konform_sandbox.instance import AsteriskInstance, dialplan_dir, prompts_dir
from konform_sandbox.root import SandboxError, cache_dir, ensure_root

__all__ = ["AGENT_ENDPOINTS", "Sandbox", "SandboxSettings"]

SOUNDS = "/usr/share/asterisk/sounds"
AGENT_ENDPOINTS = tuple(f"agent{i}" for i in range(1, 7))
"""The agents' phones the PBX knows (``dialplan/pbx/pjsip.conf``); ``agents`` picks from them."""


@dataclass(frozen=True)
class SandboxSettings:
    http_port: int = 8088
    sip_port: int = 5060
    ami_port: int = 5038
    pbx_host: str = "127.0.0.1"
    farend_host: str = "127.0.0.2"
    phones_host: str = "127.0.0.3"
    ari_user: str = "konform"
    ami_user: str = "konform"
    ari_app: str = "konform"
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    optout_line: str = "+4930555000199"
    agents: str = "agent1,agent2,agent3"
    agent_campaign: str = "demo-energy"
    agent_talk_s: int = 22
    """How long an agent's phone talks after it answers (the recorded sentence, once)."""
    person_max_s: int = 300
    """How long a person of the far end's paced-call ranges stays on the line at most."""

    def __post_init__(self) -> None:
        unknown = [a for a in self.agent_list if a not in AGENT_ENDPOINTS]
        if unknown or not self.agent_list:
            raise SandboxError(
                f"sandbox agents must be some of {','.join(AGENT_ENDPOINTS)}, not {self.agents!r}"
            )
        for name in ("agent_talk_s", "person_max_s"):
            if getattr(self, name) < 1:  # TIMEOUT(absolute)=0 would mean: never hang up
                raise SandboxError(f"sandbox {name} must be at least 1 second")

    @property
    def agent_list(self) -> list[str]:
        return [a.strip() for a in self.agents.split(",") if a.strip()]

    @classmethod
    def from_env(cls) -> SandboxSettings:
        """Ports and hosts may be moved with ``KONFORM_SANDBOX_HTTP_PORT`` etc."""
        values: dict[str, Any] = {}
        for name, default in cls().__dict__.items():
            raw = os.environ.get(f"KONFORM_SANDBOX_{name.upper()}")
            if raw is not None:
                try:
                    values[name] = int(raw) if isinstance(default, int) else raw
                except ValueError:
                    raise SandboxError(
                        f"KONFORM_SANDBOX_{name.upper()} must be a whole number, not {raw!r}"
                    ) from None
        return cls(**values)


class Sandbox:
    """Build, start and stop the sandbox; talk to its ARI; read the far end's log."""

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
        return f"http://{self.settings.pbx_host}:{self.settings.http_port}"

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
                "HOST": s.pbx_host,
                "HTTP_PORT": s.http_port,
                "SIP_PORT": s.sip_port,
                "AMI_PORT": s.ami_port,
                "RTP_START": 10000,
                "RTP_END": 14999,
                "ARI_USER": s.ari_user,
                "ARI_PASSWORD": sec["ari_password"],
                "AMI_USER": s.ami_user,
                "AMI_PASSWORD": sec["ami_password"],
                "TRUNK_HOST": s.farend_host,
                "TRUNK_PORT": s.sip_port,
                "PHONES_HOST": s.phones_host,
                "PHONES_PORT": s.sip_port,
                "AGI_HOST": s.agi_host,
                "AGI_PORT": s.agi_port,
                "OPTOUT_LINE": s.optout_line,
                "AGENT_DIAL": "&".join(f"PJSIP/{a}" for a in s.agent_list),
                "AGENT_CAMPAIGN": s.agent_campaign,
            },
        )

    def _peer(
        self, name: str, host: str, rtp_start: int, extra: dict[str, str | int]
    ) -> AsteriskInstance:
        s = self.settings
        return AsteriskInstance(
            self.root,
            name,
            {
                "HOST": host,
                "SIP_PORT": s.sip_port,
                "RTP_START": rtp_start,
                "RTP_END": rtp_start + 4999,
                "PBX_HOST": s.pbx_host,
                "PBX_PORT": s.sip_port,
                "SPOOL": f"/var/spool/konform/{name}",
                **extra,
            },
            layers=("common", "peer"),
        )

    def farend(self) -> AsteriskInstance:
        extra: dict[str, str | int] = {"PERSON_MAX_S": self.settings.person_max_s}
        return self._peer("farend", self.settings.farend_host, 20000, extra)

    def phones(self) -> AsteriskInstance:
        extra: dict[str, str | int] = {"AGENT_TALK_S": self.settings.agent_talk_s}
        return self._peer("phones", self.settings.phones_host, 30000, extra)

    def set_agent_talk(self, seconds: int) -> None:
        """Change how long the running phones talk, for the calls that start from now on."""
        if seconds < 1:
            raise SandboxError("an agent's talk must last at least 1 second")
        self.phones().cli(f"dialplan set global AGENT_TALK_S {int(seconds)}")

    def instances(self) -> list[AsteriskInstance]:
        return [self.farend(), self.phones(), self.pbx()]

    def install_sounds(self) -> None:
        """konform's prompts per language, and the far end's and phones' own recordings."""
        sounds = self.root / SOUNDS.lstrip("/")
        for lang in ("de", "en"):
            target = _resolve_in_root(self.root, sounds / lang) / "konform"
            target.mkdir(parents=True, exist_ok=True)
            for wav in (prompts_dir() / lang).glob("*.wav"):
                shutil.copy(wav, target / wav.name)
        for peer in ("farend", "phones"):
            target = sounds / f"konform-{peer}"
            target.mkdir(parents=True, exist_ok=True)
            for wav in (dialplan_dir() / peer / "sounds").glob("*.wav"):
                shutil.copy(wav, target / wav.name)

    def start(self) -> None:
        self.install_sounds()
        for instance in self.instances():
            instance.install()
        mailbox = self.farend().spool_dir / "mailbox"
        if mailbox.exists():
            shutil.rmtree(mailbox)
        mailbox.mkdir(parents=True)
        for instance in self.instances():
            instance.start()

    def stop(self) -> None:
        if (self.base / "root").exists():
            for instance in self.instances():
                instance.stop()

    def running(self) -> bool:
        """Whether the PBX runs; builds nothing and generates no secret."""
        root = self.base / "root"
        return root.exists() and AsteriskInstance(root, "pbx", {}).pid() is not None

    def ari_info(self, timeout: float = 10) -> dict[str, Any]:
        """``GET /ari/asterisk/info`` with the sandbox's credentials."""
        return self.ari_get("/asterisk/info", timeout)

    def ari_get(self, path: str, timeout: float = 10) -> dict[str, Any]:
        """``GET /ari<path>`` with the sandbox's credentials."""
        request = urllib.request.Request(f"{self.ari_url}/ari{path}")
        token = base64.b64encode(f"{self.settings.ari_user}:{self.ari_password}".encode())
        request.add_header("Authorization", "Basic " + token.decode("ascii"))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                info: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SandboxError(f"ARI answered {exc.code}: {exc.read()[:200]!r}") from None
        except (OSError, ValueError) as exc:
            raise SandboxError(f"ARI at {self.ari_url} did not answer: {exc}") from None
        return info

    def farend_log(self) -> list[dict[str, str]]:
        """What the far end recorded, one dict per ``KONFORM_FAREND`` line, oldest first."""
        return _tagged_lines(self.farend().log_dir / "messages.log", "KONFORM_FAREND")

    def phones_log(self) -> list[dict[str, str]]:
        """What the agents' phones logged (``KONFORM_PHONE`` lines: call, end with talk_s)."""
        return _tagged_lines(self.phones().log_dir / "messages.log", "KONFORM_PHONE")

    def pbx_log(self, tag: str) -> list[dict[str, str]]:
        """The PBX's ``<tag>|k=v|…`` log lines (KONFORM_GATE, KONFORM_CALLBACK, …)."""
        return _tagged_lines(self.pbx().log_dir / "messages.log", tag)

    def host_path(self, inside: str) -> Path:
        """A path inside the sandbox root, as the host sees it."""
        return self.root / inside.lstrip("/")


def _resolve_in_root(root: Path, path: Path) -> Path:
    """Follow symbolic links the way the chroot sees them (absolute targets are in the root)."""
    for _ in range(10):
        if not path.is_symlink():
            return path
        target = Path(os.readlink(path))
        path = root / str(target).lstrip("/") if target.is_absolute() else path.parent / target
    raise SandboxError(f"too many symbolic links at {path}")


def _tagged_lines(log: Path, tag: str) -> list[dict[str, str]]:
    if not log.is_file():
        return []
    entries = []
    pattern = re.compile(re.escape(tag) + r"\|(.*)$")
    for line in log.read_text(errors="replace").splitlines():
        match = pattern.search(line)
        if match:
            fields = dict(part.split("=", 1) for part in match.group(1).split("|") if "=" in part)
            entries.append(fields)
    return entries
