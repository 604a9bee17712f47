"""Checks of configuration values that a type alone cannot catch, run once at load.

Each refusal names the key (``[section] key``), so a service stops at start with one clear
line instead of failing on the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from konform.config import Config

__all__ = ["MEDIA_FORMATS", "MIN_RING_TIMEOUT", "check_values"]

MEDIA_FORMATS = ("ulaw", "slin16")
"""The formats the AMD tap decodes (ari_app.rtp.FORMATS). It is the format of the audio
Asterisk copies to konform, not the trunk's codec: Asterisk transcodes from A-law."""

MIN_RING_TIMEOUT = 15
"""Ofcom persistent-misuse policy: a call is treated as unanswered only after 15 s of ringing."""

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
