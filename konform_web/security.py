"""Who may ask the console what: the client's address and the allowed networks, failed logins
per address, the roles each handler allows, the session cookie.

The client's address is the TCP peer. X-Forwarded-For is believed only from a peer in
``[web] trusted_proxies`` (then the nearest address in it that is not a trusted proxy counts).
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from aiohttp import web

from konform.store.users import LOCK_FOR, Role

__all__ = [
    "ADDRESS_LOCK_AFTER",
    "COOKIE",
    "AddressFailures",
    "Handler",
    "Network",
    "allow",
    "allowed_roles",
    "client_address",
    "in_networks",
]

COOKIE = "konform_session"
ADDRESS_LOCK_AFTER = 10
"""Failed logins from one address within the lockout period (15 min) that refuse further
logins from it for that period, whatever the account (password guessing across accounts)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_H = TypeVar("_H", bound=Handler)

_ROLES: dict[object, frozenset[Role]] = {}

SUPERVISORS: frozenset[Role] = frozenset({"supervisor", "admin"})
"""Who changes campaigns and agents' states."""
OPERATIONAL: frozenset[Role] = frozenset({"supervisor", "admin", "dpo"})
"""Who sees the wallboard, the report, campaigns and agents."""
PRIVACY: frozenset[Role] = frozenset({"admin", "dpo"})
"""Who runs exports and erasures and reads the processing record and the audit log."""
EVERYONE: frozenset[Role] = frozenset({"agent", "supervisor", "admin", "dpo"})


def allow(*roles: Iterable[Role] | Role) -> Callable[[_H], _H]:
    """Mark a handler as open to the logged-in accounts of these roles (sets of roles or
    single roles); an unmarked handler is public (the login, the pages)."""
    allowed: set[Role] = set()
    for r in roles:
        if isinstance(r, str):
            allowed.add(r)
        else:
            allowed.update(r)

    def mark(handler: _H) -> _H:
        _ROLES[handler] = frozenset(allowed)
        return handler

    return mark


def allowed_roles(handler: object) -> frozenset[Role] | None:
    """The roles a handler allows; None for a public one."""
    return _ROLES.get(handler)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def in_networks(address: str | None, networks: list[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in n for n in networks)


def client_address(request: web.Request, proxies: list[Network]) -> str | None:
    """The client's address: the TCP peer, or, when the peer is a trusted proxy, the nearest
    X-Forwarded-For address that is not one."""
    peer = request.remote
    if not proxies or not in_networks(peer, proxies):
        return peer
    forwarded = [a.strip() for a in request.headers.getall("X-Forwarded-For", [])]
    chain = [a for line in forwarded for a in line.split(",") if a.strip()]
    for hop in reversed(chain):
        if not in_networks(hop.strip(), proxies):
            parsed = _address(hop)
            return str(parsed) if parsed is not None else None
    return peer


class AddressFailures:
    """Failed logins per client address over the lockout period (in this process)."""

    def __init__(self, limit: int = ADDRESS_LOCK_AFTER, period_s: float | None = None) -> None:
        self.limit = limit
        self.period_s = LOCK_FOR.total_seconds() if period_s is None else period_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and times[0] <= now - self.period_s:
            times.popleft()
        return times

    def locked(self, address: str) -> bool:
        return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        now = time.monotonic()
        self._recent(address, now).append(now)
        if len(self._failures) > 10_000:  # forget addresses whose failures are over
            for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - 900]:
                del self._failures[key]
