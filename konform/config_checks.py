"""Checks of configuration values that a type alone cannot catch, run once at load.

Each refusal names the key (``[section] key``), so a service stops at start with one clear
line instead of failing on the first call.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from konform.config import Config

__all__ = [
    "MEDIA_FORMATS",
    "MIN_METRICS_TOKEN",
    "MIN_RING_TIMEOUT",
    "check_values",
    "is_loopback",
    "networks",
]

MEDIA_FORMATS = ("ulaw", "alaw", "slin16")
"""The formats the AMD tap decodes (ari_app.rtp.FORMATS). It is the format of the audio
Asterisk copies to konform, not the trunk's codec; ``alaw`` on an A-law trunk (the German PSTN)
spares Asterisk the transcoding."""

MIN_RING_TIMEOUT = 15
"""Ofcom persistent-misuse policy: a call is treated as unanswered only after 15 s of ringing."""

MIN_METRICS_TOKEN = 32
"""A bearer token for /metrics is a machine secret: at least 32 characters (e.g. 16 random
bytes as hex, ``openssl rand -hex 16``)."""

DISPOSITION = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")

_WAITS = ("agent_hold", "agent_lead", "consent_wait", "optout_wait", "wrap_up", "drain_timeout")


def check_values(config: Config) -> None:
    """Raise ConfigError naming the first unusable value."""
    from konform.config import ConfigError  # config imports this module

    dialer = config.dialer
    if dialer.media_format not in MEDIA_FORMATS:
        raise ConfigError(
            f"[dialer] media_format must be one of {', '.join(MEDIA_FORMATS)}, "
            f"not {dialer.media_format!r}"
        )
    if dialer.ring_timeout < MIN_RING_TIMEOUT:
        raise ConfigError(
            f"[dialer] ring_timeout must be at least {MIN_RING_TIMEOUT} seconds (Ofcom"
            f" persistent-misuse policy: no-answer only after 15 s of ringing), not"
            f" {dialer.ring_timeout}"
        )
    if dialer.max_concurrent < 1:
        raise ConfigError(
            f"[dialer] max_concurrent must be at least 1 call, not {dialer.max_concurrent}"
        )
    for key in _WAITS:
        value = getattr(dialer, key)
        if value < 0:
            raise ConfigError(f"[dialer] {key} must be 0 or more seconds, not {value}")
    if (ring := dialer.agent_ring_timeout) < 1:
        raise ConfigError(f"[dialer] agent_ring_timeout must be at least 1 second, not {ring}")
    if not 1 <= config.agi.port <= 65535:
        raise ConfigError(f"[agi] port must be between 1 and 65535, not {config.agi.port}")
    if not config.agi.host.strip():
        raise ConfigError("[agi] host is empty: give the address to listen on")
    _check_ari_url(config.ari.url, ConfigError)
    _check_web(config, ConfigError)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is a loopback address."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


def networks(
    items: list[str], key: str, error: type[Exception]
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks a ``[web]`` list names (CIDR or single addresses), or ``error`` naming
    ``key`` and the bad item."""
    try:
        return [ipaddress.ip_network(item, strict=False) for item in items]
    except ValueError as exc:
        raise error(f"[web] {key}: {exc}") from None


def _check_web(config: Config, error: type[Exception]) -> None:
    from konform.config import DEFAULT_PASSWORDS

    web = config.web
    if not 1 <= web.port <= 65535:
        raise error(f"[web] port must be between 1 and 65535, not {web.port}")
    if not web.host.strip():
        raise error("[web] host is empty: give the address to listen on (127.0.0.1)")
    if not is_loopback(web.host) and not web.secure_cookies:
        # Other machines would send passwords and session cookies in clear text.
        raise error(
            f"[web] host {web.host} is not loopback: the console must then be behind HTTPS;"
            " set [web] secure_cookies = true (TLS terminated in front of konform)"
        )
    networks(web.network_list, "allowed_networks", error)
    networks(web.proxy_list, "trusted_proxies", error)
    token = web.metrics_token
    if token and (len(token) < MIN_METRICS_TOKEN or token.strip().lower() in DEFAULT_PASSWORDS):
        raise error(
            f"[web] metrics_token is weak: at least {MIN_METRICS_TOKEN} random characters"
            " (openssl rand -hex 16), or empty for loopback only"
        )
    if not 1 <= web.session_hours <= 24:
        raise error(f"[web] session_hours must be from 1 to 24, not {web.session_hours}")
    codes = web.disposition_list
    if not codes:
        raise error("[web] dispositions is empty: give the wrap-up codes agents pick from")
    for code in codes:
        if DISPOSITION.fullmatch(code) is None:
            raise error(f"[web] dispositions: {code!r} must be a short code (a-z, 0-9, _ and -)")
    if len(set(codes)) != len(codes):
        raise error("[web] dispositions names a code twice")


def _check_ari_url(url: str, error: type[Exception]) -> None:
    if "@" in url:
        # a password in the URL would reach every log line that names the URL
        raise error("[ari] url must not carry credentials: set [ari] username and password")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise error(f"[ari] url is not a valid URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise error(f"[ari] url must be http://HOST:PORT or https://HOST:PORT, not {url!r}")
