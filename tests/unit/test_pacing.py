"""The engine's pacer on a simulated clock: progressive limits, predictive guards, fallback."""

from __future__ import annotations

import pytest

from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import HEADROOM_NONE, Pacer, PacingConfig

T0 = 1_796_112_000.0


def pool(ready: int, **states: AgentState) -> AgentPool:
    agents = AgentPool(wrap_up=10)
    for i in range(ready):
        agents.set_state(f"r{i}", AgentState.READY, T0)
    for name, state in states.items():
        agents.set_state(name, state, T0)
    return agents


def warmed(config: PacingConfig, agents: AgentPool, humans: int = 60, talks: int = 40) -> Pacer:
    """A pacer with a measured history: 30 % people, talks of 100 s, decisions after 12 s."""
    pacer = Pacer(config, agents)
    t = T0 - 3000
    for i in range(humans * 10 // 3):
        call = f"h{i}"
        pacer.dialled(t, call, "c")
        if i % 10 < 3:
            pacer.answered_human(t + 12, call)
            pacer.bridged(t + 20, call)
            if i < talks * 10 // 3:
                pacer.talk_ended(t + 120, call)
        else:
            pacer.no_answer(t + 25, call)
        t += 0.5
    return pacer


@pytest.mark.parametrize(("ready", "ratio", "expected"), [(4, 1.0, 4), (4, 1.5, 6), (3, 0.5, 1)])
def test_progressive_lines_never_exceed_ready_agents_times_ratio(
    ready: int, ratio: float, expected: int
) -> None:
    agents = pool(ready)
    pacer = Pacer(PacingConfig(ratio=ratio), agents)
    assert pacer.lines_to_dial(T0) == expected
    for i in range(expected):
        pacer.dialled(T0, f"x{i}", "c")
        agents.reserve(f"x{i}", T0)
    assert pacer.lines_to_dial(T0) == 0


def test_progressive_reservation_at_dial_keeps_every_person_an_agent() -> None:
    agents = pool(2)
    pacer = Pacer(PacingConfig(), agents)
    for i in range(pacer.lines_to_dial(T0)):
        pacer.dialled(T0, f"x{i}", "c")
        assert agents.reserve(f"x{i}", T0) is not None
    assert agents.free_count() == 0
    pacer.answered_human(T0 + 10, "x0")
    agents.bridge("x0", T0 + 20)
    pacer.bridged(T0 + 20, "x0")
    assert pacer.lines_to_dial(T0 + 20) == 0  # one line in flight, one ready agent


def test_no_dialling_without_working_agents() -> None:
    agents = pool(0, a=AgentState.PAUSED, b=AgentState.LOGGED_OUT)
    assert Pacer(PacingConfig(), agents).lines_to_dial(T0) == 0
    assert warmed(PacingConfig(mode="predictive"), agents).lines_to_dial(T0) == 0


def test_predictive_never_dials_when_no_agent_is_ready_or_about_to_be() -> None:
    agents = pool(0)
    for i in range(5):
        agents.set_state(f"a{i}", AgentState.READY, T0)
        agents.reserve(f"busy{i}", T0)
        agents.bridge(f"busy{i}", T0)  # talks just began: none ends within the horizon
    pacer = warmed(PacingConfig(mode="predictive"), agents)
    assert pacer.mode_now(T0) == "predictive"
    assert pacer.lines_to_dial(T0 + 1) == 0


def test_predictive_dials_ahead_for_agents_about_to_be_free() -> None:
    agents = pool(0)
    for i in range(5):
        agents.set_state(f"a{i}", AgentState.READY, T0)
        agents.reserve(f"busy{i}", T0)
        agents.bridge(f"busy{i}", T0)
    pacer = warmed(PacingConfig(mode="predictive"), agents)
    now = T0 + 95  # the measured talks last 100 s: these end within the horizon
    assert pacer.lines_to_dial(now) > 5  # more lines than agents: about 1 in 3 answers


def test_predictive_dials_more_than_progressive_with_free_agents() -> None:
    agents = pool(10)
    progressive = warmed(PacingConfig(), agents).lines_to_dial(T0)
    predictive = warmed(PacingConfig(mode="predictive"), agents).lines_to_dial(T0)
    assert progressive == 10
    assert predictive > progressive


def test_predictive_falls_back_to_progressive_while_thin() -> None:
    agents = pool(10)
    fresh = Pacer(PacingConfig(mode="predictive"), agents)
    assert fresh.mode_now(T0) == "progressive"
    assert fresh.lines_to_dial(T0) == 10
    few = warmed(PacingConfig(mode="predictive"), agents, humans=20)
    assert few.mode_now(T0) == "progressive"
    small_team = warmed(PacingConfig(mode="predictive"), pool(2))
    assert small_team.mode_now(T0) == "progressive"
    assert warmed(PacingConfig(mode="predictive"), agents).mode_now(T0) == "predictive"


def test_abandons_near_the_target_close_the_headroom() -> None:
    agents = pool(10)
    pacer = warmed(PacingConfig(mode="predictive"), agents)
    assert pacer.headroom(T0) == pytest.approx(1 - (1 / 60) / (HEADROOM_NONE * 0.03))
    for i in range(2):
        call = f"ab{i}"
        pacer.dialled(T0, call, "c")
        pacer.answered_human(T0 + 12, call)
        pacer.abandoned(T0 + 22, call)
    assert pacer.abandon_rate(T0 + 30, "c") == pytest.approx(2 / 62)
    assert pacer.headroom(T0 + 30) == 0.0
    assert pacer.lines_to_dial(T0 + 30) == 10  # only the risk-free lines


def test_config_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="unknown pacing mode"):
        PacingConfig(mode="blast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="abandon_target"):
        PacingConfig(abandon_target=0)
