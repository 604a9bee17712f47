"""Agents' states as operators set them (ready, paused, logged out), and what the engine logged.

The live state (in call, wrap-up, the phone's device state) belongs to the running engine; the
store keeps the operator's word in ``agent_states`` and the engine's intervals in ``agent_log``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = ["NAME", "STATES", "AgentRow", "AgentState", "all", "check_name", "rows", "set"]

AgentState = Literal["ready", "paused", "logged_out"]
STATES: tuple[AgentState, ...] = get_args(AgentState)
NAME = re.compile(r"[A-Za-z0-9_.-]+")
"""An agent is named by the PJSIP endpoint of its phone."""


@dataclass(frozen=True, slots=True)
class AgentRow:
    """What the store knows of one agent."""

    name: str
    state: AgentState | None
    """As an operator set it; None if never set."""
    since: str | None
    logged: str | None
    """The state of the agent's open ``agent_log`` interval (the engine's view), if any."""
    logged_since: str | None


def check_name(name: str) -> None:
    """Raise ValueError unless ``name`` may name a PJSIP endpoint."""
    if NAME.fullmatch(name) is None:
        raise ValueError(
            f"agent name {name!r} must be a PJSIP endpoint name (letters, digits, _ . -)"
        )


def set(store: Store, name: str, state: AgentState, by: str | None = None) -> bool:
    """Record the operator's ``state`` for agent ``name`` (audited with ``by``, the operator);
    False if it was that state already. ValueError for a bad name or state."""
    check_name(name)
    if state not in STATES:
        raise ValueError(f"agent state {state!r} must be one of {', '.join(STATES)}")
    now = datetime.now(UTC)
    with store.transaction() as conn:
        row = conn.execute("SELECT state FROM agent_states WHERE name = ?", (name,)).fetchone()
        before = row[0] if row else None
        if before == state:
            return False
        conn.execute(
            "INSERT INTO agent_states (name, state, since) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET state = excluded.state, since = excluded.since",
            (name, state, utc_text(now)),
        )
        audit.record(
            store, "agent_state_set", at=now, agent=name, before=before, after=state, by=by
        )
    return True


def all(store: Store) -> dict[str, str]:
    """Every agent's state as operators set it: ``{name: "ready" | "paused" | "logged_out"}``."""
    return dict(store.conn.execute("SELECT name, state FROM agent_states ORDER BY name"))


def rows(store: Store, names: tuple[str, ...] = ()) -> list[AgentRow]:
    """The agents of ``agent_states``, of ``names`` and of open ``agent_log`` rows, by name:
    the operator's state and the last open interval the engine logged."""
    states = {
        n: (s, t) for n, s, t in store.conn.execute("SELECT name, state, since FROM agent_states")
    }
    # The newest open interval per agent wins (an engine that stopped may leave older ones open).
    logged = {
        n: (s, t)
        for n, s, t in store.conn.execute(
            "SELECT name, state, started_at FROM agent_log WHERE ended_at IS NULL ORDER BY id"
        )
    }
    every = sorted({*states, *names, *logged})
    return [AgentRow(n, *states.get(n, (None, None)), *logged.get(n, (None, None))) for n in every]
