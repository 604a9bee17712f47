"""Predictive pacing never dials fewer lines than progressive would; the simulation's modes draw
the same far end (common random numbers), so they differ by their pacing only."""

from __future__ import annotations

from bench.pacing import Day, Scenario
from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import Pacer, PacingConfig

T0 = 1_796_112_000.0


def warmed(config: PacingConfig, ready: int) -> Pacer:
    """``ready`` agents; a measured history of 60 people, 40 talks of 100 s."""
    agents = AgentPool(wrap_up=10)
    for i in range(ready):
        agents.set_state(f"r{i}", AgentState.READY, T0)
    pacer = Pacer(config, agents)
    t = T0 - 3000
    for i in range(200):
        call = f"h{i}"
        pacer.dialled(t, call, "c")
        if i % 10 < 3:
            pacer.answered_human(t + 12, call)
            pacer.bridged(t + 20, call)
            if i < 133:
                pacer.talk_ended(t + 120, call)
        else:
            pacer.no_answer(t + 25, call)
        t += 0.5
    return pacer


def close_headroom(pacer: Pacer) -> None:
    for i in range(2):
        call = f"ab{i}"
        pacer.dialled(T0, call, "c")
        pacer.answered_human(T0 + 12, call)
        pacer.abandoned(T0 + 22, call)


def test_closed_headroom_still_dials_what_progressive_would_at_its_ratio() -> None:
    pacer = warmed(PacingConfig(mode="predictive", ratio=1.5), ready=10)
    close_headroom(pacer)
    assert pacer.mode_now(T0 + 30) == "predictive"
    assert pacer.headroom(T0 + 30) == 0.0
    assert pacer.progressive_lines() == 15
    assert pacer.lines_to_dial(T0 + 30) == 15


def test_progressive_lines_count_lines_in_flight() -> None:
    pacer = warmed(PacingConfig(mode="predictive"), ready=4)
    close_headroom(pacer)
    for i in range(3):
        pacer.dialled(T0 + 30, f"x{i}", "c")
    assert pacer.progressive_lines() == 1
    assert pacer.lines_to_dial(T0 + 31) == 1


def scenario(**changes: float) -> Scenario:
    base: dict[str, float] = {
        "agents": 3,
        "hours": 0.25,
        "people": 0.3,
        "machines": 0.2,
        "busy": 0.2,
        "ring_min": 4,
        "ring_max": 20,
        "ring_timeout": 25,
        "talk_median": 60,
        "talk_sigma": 0.6,
        "wrap": 10,
        "amd": 2.5,
        "question": 8,
        "grace": 2,
        "agent_lead": 2,
        "agent_answer": 2,
        "safety": 0.3,
        "steps": 20,
        "max_concurrent": 20,
        "retry_spacing": 7200,
        "seed": 1,
    }
    base.update(changes)
    return Scenario(**base)  # type: ignore[arg-type]


def test_simulated_far_end_is_the_same_for_a_contact_attempt_in_every_mode() -> None:
    sc = scenario()
    days = [Day(sc, mode) for mode in ("progressive", "predictive")]
    for day in days:
        claim = day.scheduler.pick(day.now, "sim", lease=3600)
        assert claim is not None
        day.start(claim)
    first, second = (next(iter(day.calls.values())) for day in days)
    assert first.claim.key == second.claim.key
    assert first.talk == second.talk
    assert [e[0] for e in days[0].events] == [e[0] for e in days[1].events]


def test_a_seed_replays_the_same_day() -> None:
    sc = scenario()
    assert Day(sc, "predictive").run() == Day(sc, "predictive").run()
    assert Day(sc, "progressive").run() != Day(scenario(seed=2), "progressive").run()
