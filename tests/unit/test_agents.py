"""The agent pool: one call per agent, offline agents skipped."""

from __future__ import annotations

from typing import Any

from ari_app.agents import AgentPool


class FakeAri:
    def __init__(self, offline: set[str]) -> None:
        self.offline = offline

    async def get(self, path: str, **params: Any) -> dict[str, str]:
        agent = path.rsplit("/", 1)[1]
        return {"state": "offline" if agent in self.offline else "online"}


async def test_never_two_calls_to_one_agent() -> None:
    pool = AgentPool(FakeAri({"agent2"}), ["agent1", "agent2", "agent3"])  # type: ignore[arg-type]
    first = await pool.acquire()
    second = await pool.acquire()
    assert {first, second} == {"agent1", "agent3"}
    assert await pool.acquire() is None  # agent2 is offline, the others are busy
    pool.release("agent1")
    assert await pool.acquire() == "agent1"
    assert pool.busy == {"agent1", "agent3"}
