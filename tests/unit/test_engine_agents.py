"""The engine's agent pool: only ready, unreserved agents are free; wrap-up ends on its own."""

from __future__ import annotations

from konform.engine.agents import AgentPool, AgentState
from konform.engine.stats import Samples

T0 = 1_796_112_000.0


def test_states_reservation_bridge_wrap_up() -> None:
    pool = AgentPool(wrap_up=10)
    pool.set_state("a", AgentState.READY, T0)
    pool.set_state("b", AgentState.PAUSED, T0)
    assert pool.free_count() == 1
    assert pool.working_count() == 1
    assert pool.reserve("call1", T0) == "a"
    assert pool.reserve("call2", T0) is None
    assert pool.free_count() == 0
    assert pool.ready_count() == 1
    pool.bridge("call1", T0 + 5)
    pool.hangup("call1", T0 + 100)
    assert pool.agent("a").state is AgentState.WRAP_UP
    assert pool.tick(T0 + 109) == []
    assert pool.tick(T0 + 110) == ["a"]
    assert pool.free_count() == 1


def test_pause_drops_a_reservation_and_ready_does_not_cut_a_call() -> None:
    pool = AgentPool()
    pool.set_state("a", AgentState.READY, T0)
    pool.reserve("c", T0)
    pool.set_state("a", AgentState.PAUSED, T0 + 1)
    assert pool.reserved_for("c") is None
    pool.set_state("a", AgentState.READY, T0 + 2)
    pool.reserve("d", T0 + 2)
    pool.bridge("d", T0 + 3)
    pool.set_state("a", AgentState.READY, T0 + 4)
    assert pool.agent("a").state is AgentState.IN_CALL


def test_samples_conditional_end() -> None:
    samples = Samples(size=4)
    for value in (10.0, 20.0, 30.0, 40.0, 50.0):
        samples.add(value)  # 10 falls out
    assert len(samples) == 4
    assert samples.ends_within(25, 10) == 1 / 3  # of 30, 40, 50 only 30 ends by 35
    assert samples.ends_within(60, 10) == 0.0
    assert samples.survival(35) == 0.5
