"""Pacing per campaign on the simulated clock: campaigns that share agents are each paced by
their own settings (:meth:`Pacer.plan`). A progressive campaign beside a predictive one never
has a person without an agent; each predictive campaign's headroom is its own; weights split
the lines; a paused campaign leaves the other dialling; one campaign alone is paced as before."""

from __future__ import annotations

import pytest

from bench.pacing import MIXED, Day
from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import CampaignPacing, Pacer, PacingConfig, PacingMode
from tests.unit.test_pacing_floor import scenario

T0 = 1_796_112_000.0
PROGRESSIVE = CampaignPacing("progressive")
PREDICTIVE = CampaignPacing("predictive")


def pool(ready: int) -> AgentPool:
    agents = AgentPool(wrap_up=10)
    for i in range(ready):
        agents.set_state(f"r{i}", AgentState.READY, T0 - 4000)
    return agents


def warm(pacer: Pacer, *campaigns: str) -> Pacer:
    """Each campaign: 60 people answered in the last hour (30 %), talks of 100 s, decisions
    after 12 s (the pool's agents are not touched)."""
    t = T0 - 3000
    for name in campaigns:
        for i in range(200):
            call = f"{name}-h{i}"
            pacer.dialled(t, call, name)
            if i % 10 < 3:
                pacer.answered_human(t + 12, call)
                pacer.bridged(t + 20, call)
                pacer.talk_ended(t + 120, call)
            else:
                pacer.no_answer(t + 25, call)
            t += 0.5
    return pacer


def paced(ready: int, **campaigns: CampaignPacing) -> Pacer:
    pacer = Pacer(PacingConfig(), pool(ready))
    pacer.campaigns = dict(campaigns)
    return warm(pacer, *campaigns)


def abandon(pacer: Pacer, campaign: str, count: int, at: float = T0) -> None:
    for i in range(count):
        call = f"{campaign}-ab{i}"
        pacer.dialled(at, call, campaign)
        pacer.answered_human(at + 12, call)
        pacer.abandoned(at + 22, call)


class CheckedDay(Day):
    """The simulation, checking at every AMD "human" of the progressive campaign that the
    person has an agent reserved (since the dial)."""

    unserved: int = 0

    def human(self, key: str) -> None:
        call = self.calls[key]
        if call.claim.campaign == "progressive" and self.pool.reserved_for(key) is None:
            self.unserved += 1
        super().human(key)


def test_a_progressive_campaign_beside_a_predictive_one_never_leaves_a_person_waiting() -> None:
    day = CheckedDay(scenario(agents=10, hours=1.5, talk_median=60, steps=5), MIXED)
    result = day.run()
    counts = day.per_campaign
    assert day.unserved == 0, "every progressive person had an agent reserved at dial"
    assert counts["progressive"]["abandoned"] == 0
    assert counts["progressive"]["reached"] == counts["progressive"]["humans"]
    assert day.pacer.campaign_mode(day.now, "predictive") == "predictive"
    assert counts["predictive"]["reached"] > 0
    campaigns = result["campaigns"]
    assert campaigns["progressive"]["abandon_rate"] == 0.0
    assert campaigns["predictive"]["worst_hour_abandon_rate"] <= 0.03, "its own target"
    # Both campaigns are served (weights 1:1): neither starves the other.
    reached = [counts[n]["reached"] for n in ("progressive", "predictive")]
    assert min(reached) > 0.3 * max(reached)


def test_an_agent_reserved_at_dial_is_never_given_to_a_predictive_person() -> None:
    pacer = paced(4, p=PROGRESSIVE, q=PREDICTIVE)
    agents = pacer.agents
    plan = pacer.plan(T0)
    assert pacer.reserves_at_dial(T0, "p")
    assert not pacer.reserves_at_dial(T0, "q")
    assert plan == {"p": 2, "q": 2}, "each its share of the four agents"
    for i in range(plan["p"]):
        pacer.dialled(T0, f"p{i}", "p")
        assert agents.reserve(f"p{i}", T0) is not None
    lines = plan["q"] + 2  # more predictive people answer than it expected
    for i in range(lines):
        pacer.dialled(T0, f"q{i}", "q")
    taken = agents.free_count()
    people = [f"q{i}" for i in range(lines)]
    for call in people:
        pacer.answered_human(T0 + 10, call)
    # The predictive people get only agents nobody reserved; the progressive lines keep theirs.
    served = [call for call in people if agents.reserve(call, T0 + 10) is not None]
    assert len(served) == taken
    assert all(agents.reserved_for(f"p{i}") is not None for i in range(plan["p"]))


def test_each_predictive_campaigns_headroom_is_its_own() -> None:
    pacer = paced(10, a=PREDICTIVE, b=PREDICTIVE)
    fresh = pacer.plan(T0 + 30)
    abandon(pacer, "a", 2)
    assert pacer.campaign_headroom(T0 + 30, "a") == 0.0
    assert pacer.campaign_headroom(T0 + 30, "b") > 0.3, "a's abandons do not count against b"
    assert pacer.headroom(T0 + 30) == 0.0  # the one pacing for all: the worst campaign wins
    plan = pacer.plan(T0 + 30)
    assert plan["b"] > plan["a"]
    assert plan["a"] <= fresh["a"]
    # One pacing for all (the old way) would dial only the risk-free lines for both.
    pacer.config = PacingConfig(mode="predictive")
    assert sum(plan.values()) > pacer.lines_to_dial(T0 + 30)


def test_each_campaign_has_its_own_target() -> None:
    strict = CampaignPacing("predictive", abandon_target=0.01)
    pacer = paced(10, a=strict, b=PREDICTIVE)
    assert pacer.campaign_headroom(T0, "a") < pacer.campaign_headroom(T0, "b")
    alone_a = paced(10, a=strict).plan(T0)["a"]
    alone_b = paced(10, b=PREDICTIVE).plan(T0)["b"]
    assert alone_a < alone_b


@pytest.mark.parametrize(("wa", "wb", "ea", "eb"), [(1, 1, 4, 4), (3, 1, 6, 2), (1, 3, 2, 6)])
def test_weights_split_the_lines(wa: float, wb: float, ea: int, eb: int) -> None:
    pacer = Pacer(PacingConfig(), pool(8))
    pacer.campaigns = {
        "a": CampaignPacing("progressive", weight=wa),
        "b": CampaignPacing("progressive", weight=wb),
    }
    assert pacer.plan(T0) == {"a": ea, "b": eb}


def test_weights_split_predictive_lines() -> None:
    even = paced(10, a=PREDICTIVE, b=PREDICTIVE).plan(T0)
    assert abs(even["a"] - even["b"]) <= 1
    heavy = CampaignPacing("predictive", weight=3)
    skewed = paced(10, a=heavy, b=PREDICTIVE).plan(T0)
    assert skewed["a"] >= 2 * skewed["b"]
    assert sum(skewed.values()) == pytest.approx(sum(even.values()), abs=1)


def test_turns_carry_over_from_plan_to_plan() -> None:
    """One free agent at a time, weights 1:1: the campaigns take turns."""
    agents = pool(1)
    pacer = Pacer(PacingConfig(), agents)
    pacer.campaigns = {"a": PROGRESSIVE, "b": PROGRESSIVE}
    order = []
    for i in range(6):
        now = T0 + 60 * i
        plan = pacer.plan(now)
        (name,) = [n for n, lines in plan.items() if lines]
        order.append(name)
        pacer.dialled(now, f"x{i}", name)
        agents.reserve(f"x{i}", now)
        pacer.no_answer(now + 25, f"x{i}")
        agents.release(f"x{i}")
    assert order == ["a", "b", "a", "b", "a", "b"]


def test_a_paused_campaign_leaves_the_other_dialling() -> None:
    pacer = paced(6, a=PROGRESSIVE, b=PREDICTIVE)
    both = pacer.plan(T0)
    assert both["a"] > 0
    assert both["b"] > 0
    del pacer.campaigns["a"]  # paused: the shell paces only the running campaigns
    alone = pacer.plan(T0)
    assert list(alone) == ["b"]
    assert alone["b"] > both["b"]
    # A campaign with nothing due is left out the same way.
    pacer.campaigns["a"] = PROGRESSIVE
    assert pacer.plan(T0, due={"b"}) == alone


def test_talks_for_a_progressive_campaign_are_not_a_predictive_ones_supply() -> None:
    """Agents whose talks for the progressive campaign end soon go back to it: the predictive
    campaign does not dial ahead for them."""

    def team(worked_for: str) -> int:
        pacer = paced(0, p=PROGRESSIVE, q=PREDICTIVE)
        agents = pacer.agents
        for i in range(6):
            name, call = f"a{i}", f"talk{i}"
            agents.set_state(name, AgentState.READY, T0 - 300)
            pacer.dialled(T0 - 120, call, worked_for)
            agents.reserve(call, T0 - 120)
            pacer.answered_human(T0 - 100, call)
            agents.bridge(call, T0 - 95)
            pacer.bridged(T0 - 95, call)
        return pacer.plan(T0)["q"]  # the talks (100 s) end within the horizon

    assert team("q") > team("p")


@pytest.mark.parametrize("mode", ["progressive", "predictive"])
@pytest.mark.parametrize("ready", [0, 3, 10])
def test_one_campaign_alone_is_paced_as_with_one_pacing(mode: PacingMode, ready: int) -> None:
    config = PacingConfig(mode=mode)
    single = warm(Pacer(config, pool(ready)), "c")
    per_campaign = warm(Pacer(config, pool(ready)), "c")
    per_campaign.campaigns = {"c": CampaignPacing(mode)}
    for i in range(3):  # some lines in flight, one person waiting
        for pacer in (single, per_campaign):
            pacer.dialled(T0 - 10, f"x{i}", "c")
    for pacer in (single, per_campaign):
        pacer.answered_human(T0 - 2, "x0")
    assert per_campaign.plan(T0) == {"c": single.lines_to_dial(T0)}
