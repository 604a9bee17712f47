"""Agent states and reservations: who is free to take the next answered person.

States follow the issue: ``logged_out``, ``ready``, ``paused``, ``in_call``, ``wrap_up``. Only a
``ready`` agent without a reservation is free. A reservation ties an agent to one call before the
bridge (at dial time in progressive mode, when AMD says human in predictive mode); the shell
bridges, hangs up and ticks the pool, and the pool moves agents through wrap-up on its own.
A campaign with a team reserves only its team's agents (``eligible``); the counts the pacers
read can be taken over such a team (``among``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from enum import Enum

__all__ = ["Agent", "AgentPool", "AgentState"]


class AgentState(Enum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    IN_CALL = "in_call"
    WRAP_UP = "wrap_up"


@dataclass(slots=True)
class Agent:
    name: str
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0  # when the agent entered ``state``
    call: str | None = None  # the call reserved for or bridged to this agent
    wrap_until: float = 0.0  # end of wrap-up (valid in WRAP_UP)

    @property
    def free(self) -> bool:
        return self.state is AgentState.READY and self.call is None

    @property
    def working(self) -> bool:
        """Logged in and not paused: ready, in a call or in wrap-up."""
        return self.state not in (AgentState.LOGGED_OUT, AgentState.PAUSED)


class AgentPool:
    """The agents that serve one pacer (campaigns sharing agents share one pool).

    The shell reports device and command changes with :meth:`set_state`, and drives calls with
    :meth:`reserve`, :meth:`bridge`, :meth:`hangup`, :meth:`release`; :meth:`tick` ends wrap-ups.
    """

    def __init__(self, wrap_up: float = 10.0) -> None:
        self.wrap_up = wrap_up
        self._agents: dict[str, Agent] = {}
        self._by_call: dict[str, str] = {}

    def __iter__(self) -> Iterator[Agent]:
        return iter(self._agents.values())

    def __len__(self) -> int:
        return len(self._agents)

    def agent(self, name: str) -> Agent:
        return self._agents[name]

    def set_state(self, name: str, state: AgentState, now: float) -> None:
        """Login, ready, pause or logout from the console or device state (not call states)."""
        agent = self._agents.setdefault(name, Agent(name, since=now))
        if agent.state is state:
            return
        if agent.call is not None and agent.state is AgentState.READY:
            # A reservation does not survive a pause or logout: the call looks for another agent.
            self._by_call.pop(agent.call, None)
            agent.call = None
        if agent.state in (AgentState.IN_CALL, AgentState.WRAP_UP) and state is AgentState.READY:
            return  # call states end through hangup/tick, not through a console "ready"
        agent.state, agent.since = state, now

    def tick(self, now: float) -> list[str]:
        """End the wrap-ups due by ``now``; returns the agents that became ready."""
        done = []
        for agent in self._agents.values():
            if agent.state is AgentState.WRAP_UP and agent.wrap_until <= now:
                agent.state, agent.since = AgentState.READY, agent.wrap_until
                done.append(agent.name)
        return done

    def reserve(
        self,
        call: str,
        now: float,
        eligible: Collection[str] | None = None,
        spread: Callable[[str], int] | None = None,
    ) -> str | None:
        """Reserve the longest-idle free agent for ``call`` (of ``eligible`` when given: the
        team of the call's campaign; with ``spread``, an agent serving fewer campaigns first, so
        an agent shared with other teams stays free for them); None when nobody is free."""
        if call in self._by_call:
            return self._by_call[call]
        free = [
            a for a in self._agents.values() if a.free and (eligible is None or a.name in eligible)
        ]
        if not free:
            return None
        agent = min(free, key=lambda a: (spread(a.name) if spread else 0, a.since, a.name))
        agent.call = call
        self._by_call[call] = agent.name
        return agent.name

    def reserved_for(self, call: str) -> str | None:
        return self._by_call.get(call)

    def release(self, call: str) -> None:
        """Drop a reservation whose call will not be bridged (no answer, machine, hangup)."""
        name = self._by_call.pop(call, None)
        if name is not None:
            self._agents[name].call = None

    def bridge(self, call: str, now: float) -> str:
        """The reserved agent starts talking with ``call``'s person."""
        agent = self._agents[self._by_call[call]]
        agent.state, agent.since = AgentState.IN_CALL, now
        return agent.name

    def hangup(self, call: str, now: float) -> None:
        """The talk ended: the agent wraps up for ``wrap_up`` seconds."""
        name = self._by_call.pop(call, None)
        if name is None:
            return
        agent = self._agents[name]
        agent.call = None
        agent.state, agent.since = AgentState.WRAP_UP, now
        agent.wrap_until = now + self.wrap_up
        if self.wrap_up <= 0:
            agent.state = AgentState.READY

    # Counts the pacers read (of the agents ``among`` when given, else of all).
    def _of(self, among: Collection[str] | None) -> Iterator[Agent]:
        agents = self._agents.values()
        return iter(agents) if among is None else (a for a in agents if a.name in among)

    def free_count(self, among: Collection[str] | None = None) -> int:
        return sum(1 for a in self._of(among) if a.free)

    def ready_count(self, among: Collection[str] | None = None) -> int:
        """Ready agents, reserved or not (what a progressive ratio multiplies)."""
        return sum(1 for a in self._of(among) if a.state is AgentState.READY)

    def working_count(self, among: Collection[str] | None = None) -> int:
        """Agents logged in and not paused: ready, in a call or in wrap-up."""
        return sum(1 for a in self._of(among) if a.working)
