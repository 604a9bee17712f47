"""The agents' phones: who takes the next answered person, one call at a time.

:class:`AgentSource` is what a call asks: ``acquire`` an agent for the call (the engine's pool
hands out the agent it reserved; the plain :class:`AgentPool` the first free one), ``release``
it when the call no longer needs it, ``rang_out`` when the phone rang and nobody answered.

:class:`AgentPool` (campaign rounds without the engine): an agent is free when konform is not
using it for another call and its endpoint is online as Asterisk sees it (ARI endpoint state).
Never two callees to one agent: an agent is taken before its phone is rung and released only
when that call is over.
"""

from __future__ import annotations

import logging
from typing import Protocol

from ari_app.ari import Ari, AriError

__all__ = ["AgentPool", "AgentSource"]

logger = logging.getLogger(__name__)


class AgentSource(Protocol):
    technology: str

    async def acquire(self, call: str) -> str | None:
        """An agent for ``call`` (taken: no other call gets it), or None for none now."""
        ...

    def release(self, agent: str, call: str) -> None: ...

    def rang_out(self, agent: str) -> None:
        """``agent``'s phone was rung for a call and not answered."""
        ...


class AgentPool:
    def __init__(self, ari: Ari, agents: list[str], technology: str = "PJSIP") -> None:
        self.ari = ari
        self.agents = list(agents)
        self.technology = technology
        self._busy: set[str] = set()

    @property
    def busy(self) -> frozenset[str]:
        return frozenset(self._busy)

    async def online(self, agent: str) -> bool:
        try:
            endpoint = await self.ari.get(f"/endpoints/{self.technology}/{agent}")
        except AriError as exc:
            logger.warning("agent %s: endpoint state unknown: %s", agent, exc)
            return False
        return bool(endpoint and endpoint.get("state") == "online")

    async def acquire(self, call: str = "") -> str | None:
        """Take a free, online agent (marked busy at once), or None."""
        for agent in self.agents:
            if agent in self._busy:
                continue
            self._busy.add(agent)  # taken before the await: no other call can get it
            if await self.online(agent):
                return agent
            self._busy.discard(agent)
        return None

    def release(self, agent: str, call: str = "") -> None:
        self._busy.discard(agent)

    def rang_out(self, agent: str) -> None:
        pass  # the next call tries the next agent in order anyway
