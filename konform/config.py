"""Configuration: one TOML file, overridden by ``KONFORM_<SECTION>_<KEY>`` environment variables.

Secrets (the ARI password, the do-not-call key) never live in the repository; services refuse to
start with an empty or well-known default password, and everything binds to loopback unless the
file says otherwise.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from konform.reasons import LANGUAGES, Language

__all__ = [
    "CONSENT_PROOF_MIN_DAYS",
    "AgiConfig",
    "AriConfig",
    "Config",
    "ConfigError",
    "DialerConfig",
    "PolicyConfig",
    "PrivacyConfig",
    "RetentionConfig",
    "StoreConfig",
    "WebConfig",
    "load_config",
    "require_secret",
]

DEFAULT_PASSWORDS = frozenset(
    {"", "asterisk", "secret", "password", "changeme", "admin", "1234", "amp111", "konform"}
)


class ConfigError(ValueError):
    """The configuration is unusable; the message says which key and why."""


@dataclass(frozen=True)
class StoreConfig:
    db: str = "konform.db"
    secret_file: str = ""  # default: "<db>.key" beside the database


@dataclass(frozen=True)
class PolicyConfig:
    language: str = "de"
    default_region: str = "DE"


@dataclass(frozen=True)
class AriConfig:
    url: str = "http://127.0.0.1:8088"
    username: str = "konform"
    password: str = ""
    app: str = "konform"


@dataclass(frozen=True)
class AgiConfig:
    host: str = "127.0.0.1"
    port: int = 4573


@dataclass(frozen=True)
class DialerConfig:
    trunk: str = "trunk"
    max_concurrent: int = 20
    """Calls at once per trunk."""
    ring_timeout: int = 25
    """Seconds a callee's phone rings; at least 15 (Ofcom: no-answer only after 15 s)."""
    agents: str = ""
    """Comma-separated PJSIP endpoint names of the agents' phones."""
    agent_ring_timeout: int = 10
    agent_hold: int = 2
    """Seconds after the consent question within which an agent must be bridged; else the call
    is abandoned and the person hears who called and the opt-out menu (Ofcom: within 2 s)."""
    agent_lead: int = 2
    """``konform serve`` without an agent reserved at dial time: seconds before the consent
    wait ends at which the agent is rung (its ring until it answers), so that it does not idle
    through the question."""
    wrap_up: int = 10
    """Seconds an agent is not given a new call after a talk."""
    drain_timeout: int = 120
    """On SIGTERM/SIGINT: seconds live calls may take to finish before they are hung up."""
    consent_wait: int = 5
    optout_wait: int = 5
    media_format: str = "ulaw"
    rtp_host: str = "127.0.0.1"
    company: str = ""
    recordings_dir: str = "recordings"
    asterisk_recordings_dir: str = "/var/spool/asterisk/recording"

    @property
    def agent_list(self) -> list[str]:
        return [a.strip() for a in self.agents.split(",") if a.strip()]


@dataclass(frozen=True)
class RetentionConfig:
    """How many days each kind of data is kept (GDPR Art. 5 (1) e: storage limitation)."""

    recordings: int = 90
    """Call recordings (made only with the callee's consent, § 201 StGB)."""
    attempts: int = 365
    """Plain details of call attempts (the number, the call's detail); the keyed rows stay as
    long as they can be a use of a consent (``consent_proofs``)."""
    audit: int = 1830
    """Audit rows; rows recording a consent stay as long as that consent's proof."""
    consent_proofs: int = 1826
    """Consent evidence after it was given and after its last use: at least five years
    (§ 7a Abs. 2 Satz 1 UWG)."""


CONSENT_PROOF_MIN_DAYS = 1826
"""Five years (§ 7a Abs. 2 Satz 1 UWG); the proof period also never ends before the same
calendar day five years on (see :mod:`konform.store.proofs`)."""


@dataclass(frozen=True)
class PrivacyConfig:
    """Who is responsible for the processing (GDPR Art. 30 (1) a)."""

    controller: str = ""
    """Name and contact details of the controller."""
    dpo_contact: str = ""
    """Contact of the data protection officer (Art. 37 GDPR), if one is designated."""


@dataclass(frozen=True)
class WebConfig:
    """The web console (``konform web``, or inside ``konform serve`` when enabled)."""

    enabled: bool = False
    """Run the console inside ``konform serve``."""
    host: str = "127.0.0.1"
    """Loopback unless set; another address needs ``secure_cookies`` (HTTPS in front)."""
    port: int = 8080
    allowed_networks: str = ""
    """Comma-separated networks (CIDR) logins and requests may come from; empty: any."""
    trusted_proxies: str = ""
    """Comma-separated networks of reverse proxies whose X-Forwarded-For is believed; empty:
    the peer address counts, never a header."""
    secure_cookies: bool = False
    """Send the session cookie only over HTTPS (set when TLS is terminated in front)."""
    metrics_token: str = ""
    """Bearer token for ``GET /metrics`` from other hosts (at least 32 characters); empty:
    loopback only."""
    session_hours: int = 8
    dispositions: str = "sale,no-interest,callback,wrong-person,not-reached"
    """Comma-separated wrap-up codes an agent picks from at the desk."""

    @property
    def network_list(self) -> list[str]:
        return _items(self.allowed_networks)

    @property
    def proxy_list(self) -> list[str]:
        return _items(self.trusted_proxies)

    @property
    def disposition_list(self) -> list[str]:
        return _items(self.dispositions)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class Config:
    store: StoreConfig = field(default_factory=StoreConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    ari: AriConfig = field(default_factory=AriConfig)
    agi: AgiConfig = field(default_factory=AgiConfig)
    dialer: DialerConfig = field(default_factory=DialerConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    web: WebConfig = field(default_factory=WebConfig)

    @property
    def language(self) -> Language:
        lang = self.policy.language
        return "en" if lang == "en" else "de"


_T = TypeVar("_T")


def _section(cls: type[_T], name: str, raw: Mapping[str, Any], env: Mapping[str, str]) -> _T:
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown setting [{name}] {key}")
    for key, spec in known.items():
        value: Any = raw.get(key, spec.default)
        env_value = env.get(f"KONFORM_{name.upper()}_{key.upper()}")
        if env_value is not None:
            value = env_value
        if spec.type in (bool, "bool"):
            value = _boolean(value, name, key)
        elif spec.type in (int, "int"):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ConfigError(f"[{name}] {key} must be a whole number, not {value!r}") from None
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ",".join(value)  # a TOML array of text: kept as comma-separated text
        elif not isinstance(value, str):
            raise ConfigError(f"[{name}] {key} must be text, not {value!r}")
        values[key] = value
    return cls(**values)


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _boolean(value: Any, section: str, key: str) -> bool:
    """A TOML boolean, or true/false (yes/no, on/off, 1/0) from the environment."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"[{section}] {key} must be true or false, not {value!r}")


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (``KONFORM_CONFIG`` or ``./konform.toml`` if present) plus overrides."""
    env = os.environ if env is None else env
    chosen = path or env.get("KONFORM_CONFIG")
    raw: dict[str, Any] = {}
    if chosen is not None or Path("konform.toml").is_file():
        file = Path(chosen or "konform.toml")
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    sections = {f.name: f for f in fields(Config)}
    for key in raw:
        if key not in sections:
            raise ConfigError(f"unknown config section [{key}]")
    _check_retention(raw.get("retention", {}), env)
    if isinstance(raw.get("dialer"), Mapping) and "agent_wait" in raw["dialer"]:
        raise ConfigError(
            "[dialer] agent_wait is replaced by agent_hold: seconds after the consent question"
            " within which an agent must be bridged (default 2)"
        )
    parts: dict[str, Any] = {}
    for name in sections:
        cls = type(getattr(Config(), name))
        parts[name] = _section(cls, name, raw.get(name, {}), env)
    config = Config(**parts)
    if "KONFORM_DB" in env:
        config = replace(config, store=replace(config.store, db=env["KONFORM_DB"]))
    if config.policy.language not in LANGUAGES:
        raise ConfigError(f"[policy] language must be one of {', '.join(LANGUAGES)}")
    from konform.config_checks import check_values  # values a type cannot catch, with the key

    check_values(config)
    return config


def _check_retention(raw: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """[retention]: whole positive numbers of days; consent proofs at least five years."""
    if not isinstance(raw, Mapping):
        raise ConfigError("[retention] must be a table of settings")
    for spec in fields(RetentionConfig):
        key = spec.name
        value: Any = raw.get(key, spec.default)
        env_value = env.get(f"KONFORM_RETENTION_{key.upper()}")
        if env_value is not None:
            value = env_value.strip()
            if value.isascii() and value.isdigit():
                value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(
                f"[retention] {key} must be a whole positive number of days, not {value!r}"
            )
        if key == "consent_proofs" and value < CONSENT_PROOF_MIN_DAYS:
            raise ConfigError(
                f"[retention] consent_proofs must be at least {CONSENT_PROOF_MIN_DAYS} days: "
                f"§ 7a Abs. 2 Satz 1 UWG requires the consent proof for five years after it was "
                f"given and after each use, not {value}"
            )


def require_secret(name: str, value: str) -> str:
    """Refuse to run with an empty or well-known default password."""
    if value.strip().lower() in DEFAULT_PASSWORDS or len(value) < 12:
        raise ConfigError(
            f"{name} is empty, a well-known default or shorter than 12 characters; "
            f"set a strong one (environment variable or config file)"
        )
    return value
