"""The predictive pacer's checkpoints: a grid over the span a new line takes to decide."""

from __future__ import annotations

import pytest

from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import Pacer, PacingConfig

T0 = 1_796_112_000.0


def pacer(steps: int) -> Pacer:
    agents = AgentPool(wrap_up=10)
    for i in range(4):
        agents.set_state(f"a{i}", AgentState.READY, T0)
    found = Pacer(PacingConfig(mode="predictive", steps=steps), agents)
    for i in range(40):
        found.to_person.add(4 + i * 0.5)  # dial -> human 4 ... 23.5 s
    return found


@pytest.mark.parametrize("steps", [5, 20])
def test_one_checkpoint_per_waiting_person_and_steps_plus_one_over_the_span(steps: int) -> None:
    points = pacer(steps)._checkpoints(0.3, 2, [3.0, 5.0], [], [], [1.0, 6.0])
    assert len(points) == 2 + steps + 1
    fresh = [point[4] for point in points[2:]]
    assert fresh == sorted(fresh)  # a new line is ever likelier to be a person by then
    assert fresh[0] == 0.0
    assert fresh[-1] == pytest.approx(0.3 * 0.95, abs=0.01)


def test_a_finer_grid_sees_a_shortfall_no_coarser_than_the_coarse_one() -> None:
    waiting: list[float] = []
    wraps = [9.0, 17.0, 26.0]
    ringing = [2.0, 2.0, 2.0, 8.0, 8.0]
    coarse = pacer(5)
    fine = pacer(20)
    for lines in range(6):
        worst_coarse = coarse._excess(
            coarse._checkpoints(0.3, 0, waiting, wraps, [], ringing), lines
        )
        worst_fine = fine._excess(fine._checkpoints(0.3, 0, waiting, wraps, [], ringing), lines)
        assert worst_fine >= worst_coarse - 1e-12


def test_config_refuses_no_checkpoint() -> None:
    with pytest.raises(ValueError, match="steps"):
        PacingConfig(steps=0)
