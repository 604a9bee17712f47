"""The pacer with a late agent request (``agent_lead``) and its per-hour guard, on the simulated
clock: an agent must be free the lead before a person's deadline; each waiting person's own
deadline is checked; after a first abandon the headroom leaves room for two more."""

from __future__ import annotations

import pytest

from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import HEADROOM_NONE, Pacer, PacingConfig
from tests.unit.test_pacing import T0, warmed


def team() -> AgentPool:
    """Five agents whose 100-s talks end in 5 s (free 10 s later), one in a wrap-up ending in
    3 s: nobody free now."""
    agents = AgentPool(wrap_up=10)
    for i in range(5):
        name = f"talk{i}"
        agents.set_state(name, AgentState.READY, T0 - 300)
        agents.reserve(f"call{i}", T0 - 120)
        agents.bridge(f"call{i}", T0 - 95)
    agents.set_state("wrap", AgentState.READY, T0 - 300)
    agents.reserve("old", T0 - 200)
    agents.bridge("old", T0 - 150)
    agents.hangup("old", T0 - 7)
    return agents


def waiting_pacer(lead: float) -> Pacer:
    """A measured pacer with one person (AMD said human 5 s ago) waiting for an agent."""
    pacer = warmed(PacingConfig(mode="predictive", hold=10, agent_lead=lead), team())
    pacer.dialled(T0 - 17, "person", "c")
    pacer.answered_human(T0 - 5, "person")
    return pacer


def test_a_longer_lead_dials_less_when_a_waiting_persons_agent_comes_late() -> None:
    """With no lead the wrap-up ending in 3 s is in time for the waiting person (deadline in 5 s);
    with a 4-s lead the agent had to be free in 1 s: an abandon is already likely, so the pacer
    holds back the lines it would otherwise dial for the agents about to be free."""
    assert waiting_pacer(lead=0).mode_now(T0) == "predictive"
    early = waiting_pacer(lead=0).lines_to_dial(T0)
    late = waiting_pacer(lead=4).lines_to_dial(T0)
    assert early > 0
    assert late < early


def test_lines_stay_within_the_risk_free_count_when_nobody_is_free() -> None:
    """No agent free now and the headroom closed: nothing is dialled."""
    pacer = waiting_pacer(lead=4)
    for i in range(3):
        pacer.dialled(T0 - 40, f"lost{i}", "c")
        pacer.answered_human(T0 - 30, f"lost{i}")
        pacer.abandoned(T0 - 20, f"lost{i}")
    assert pacer.headroom(T0) == 0.0
    assert pacer.lines_to_dial(T0) == 0


def test_after_a_first_abandon_the_headroom_leaves_room_for_two() -> None:
    agents = AgentPool(wrap_up=10)
    for i in range(10):
        agents.set_state(f"r{i}", AgentState.READY, T0)
    pacer = warmed(PacingConfig(mode="predictive"), agents)  # 60 people in the last hour
    target = HEADROOM_NONE * 0.03
    assert pacer.headroom(T0) == pytest.approx(1 - (1 / 60) / target)
    pacer.dialled(T0, "a", "c")
    pacer.answered_human(T0 + 12, "a")
    pacer.abandoned(T0 + 22, "a")
    # One abandon among 61 people: 1 + 2 more would be 4.9 %, over the target: closed.
    assert pacer.headroom(T0 + 30) == 0.0
    # Among many more people the same abandon leaves most of the headroom.
    big = warmed(PacingConfig(mode="predictive"), agents, humans=400, talks=40)
    big.dialled(T0, "a", "c")
    big.answered_human(T0 + 12, "a")
    big.abandoned(T0 + 22, "a")
    assert 0.7 < big.headroom(T0 + 30) < 1 - (1 / 400) / target


def test_abandons_expected_in_flight_narrow_the_headroom() -> None:
    agents = AgentPool(wrap_up=10)
    agents.set_state("r0", AgentState.READY, T0)
    pacer = warmed(PacingConfig(mode="predictive"), agents)
    assert pacer.headroom(T0, committed=0.5) < pacer.headroom(T0)
    assert pacer.headroom(T0, committed=0.5) == pytest.approx(1 - (1.5 / 60) / (0.9 * 0.03))


def test_the_question_is_measured_from_the_late_agent_requests() -> None:
    agents = AgentPool(wrap_up=10)
    agents.set_state("r0", AgentState.READY, T0)
    pacer = warmed(PacingConfig(mode="predictive", hold=15, agent_lead=2, grace=2), agents)
    assert pacer.due() == 13, "before any measurement: hold less the agent's answer"
    for i in range(10):
        call = f"q{i}"
        pacer.dialled(T0, call, "c")
        pacer.agent_requested(T0 + 5, call)  # still ringing: not a person, not measured
        pacer.answered_human(T0 + 10, call)
        pacer.agent_requested(T0 + 10 + 19 + i * 0.1, call)
    assert pacer.due() == pytest.approx(19.1 + 2), "the 10 % quantile plus the grace"
