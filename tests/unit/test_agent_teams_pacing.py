"""Teams of agents on the simulated clock (:meth:`Pacer.plan`, :meth:`AgentPool.reserve`): a
campaign with a team counts and reserves only its team's agents; two campaigns with disjoint
teams never use each other's agents, so one predictive campaign's over-dial cannot make the
other abandon; an agent in two teams serves both; a campaign without a team is paced as before
(a team of every agent plans the same lines as no team)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import CampaignPacing, Pacer, PacingConfig, PacingMode
from tests.unit.test_pacing_campaigns import T0, warm

A_TEAM = frozenset({"a1", "a2"})
B_TEAM = frozenset({f"b{i}" for i in range(1, 7)})


def pool(*names: str) -> AgentPool:
    agents = AgentPool(wrap_up=10)
    for i, name in enumerate(names):
        agents.set_state(name, AgentState.READY, T0 - 4000 + i)
    return agents


def teams(**campaigns: CampaignPacing) -> Pacer:
    """Agents a1, a2, b1..b6; the campaigns measured (warm) so that predictive is in force."""
    pacer = Pacer(PacingConfig(), pool(*sorted(A_TEAM), *sorted(B_TEAM)))
    pacer.campaigns = dict(campaigns)
    return warm(pacer, *campaigns)


def test_a_team_is_the_campaigns_only_supply() -> None:
    pacer = teams(
        a=CampaignPacing("progressive", team=A_TEAM),
        b=CampaignPacing("progressive", team=B_TEAM),
    )
    assert pacer.plan(T0) == {"a": 2, "b": 6}, "each its team, not half of the eight"
    shared = teams(a=CampaignPacing("progressive"), b=CampaignPacing("progressive"))
    assert shared.plan(T0) == {"a": 4, "b": 4}
    # With its team busy the campaign dials nothing, though the other team is free.
    for name in sorted(A_TEAM):
        pacer.agents.set_state(name, AgentState.PAUSED, T0)
    assert pacer.plan(T0) == {"a": 0, "b": 6}


def test_disjoint_teams_never_reserve_each_others_agents() -> None:
    a = CampaignPacing("progressive", team=A_TEAM)
    pacer = teams(a=a, b=CampaignPacing("progressive", team=B_TEAM))
    agents = pacer.agents
    # a1 and a2 have been idle longest: a campaign without its team would take them first.
    for i in range(6):
        call = f"b{i}-line"
        pacer.dialled(T0, call, "b")
        assert agents.reserve(call, T0, pacer.team("b")) in B_TEAM
    assert agents.reserve("b-extra", T0, pacer.team("b")) is None, "b's team is all taken"
    assert agents.free_count(A_TEAM) == 2
    assert pacer.plan(T0) == {"a": 2, "b": 0}
    for i in range(2):
        assert agents.reserve(f"a{i}-line", T0, pacer.team("a")) in A_TEAM


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_a_predictive_over_dial_cannot_make_the_other_campaign_abandon(ratio: float) -> None:
    """b over-dials (more people answer than it expected); a's people, reserved at dial
    (ratio 1) or asking for an agent when they answer (ratio 2), still find a's agents."""
    pacer = teams(
        a=CampaignPacing("progressive", ratio=ratio, team=A_TEAM),
        b=CampaignPacing("predictive", team=B_TEAM),
    )
    agents = pacer.agents
    assert pacer.campaign_mode(T0, "b") == "predictive"
    plan = pacer.plan(T0)
    assert plan["a"] == 2 * ratio
    assert plan["b"] >= 6
    reserves = pacer.reserves_at_dial(T0, "a")
    for i in range(plan["a"]):
        pacer.dialled(T0, f"a{i}", "a")
        if reserves:
            assert agents.reserve(f"a{i}", T0, pacer.team("a")) in A_TEAM
    lines = plan["b"] + 6  # far more of b's people answer than b has agents
    for i in range(lines):
        pacer.dialled(T0, f"q{i}", "b")
    for i in range(lines):
        pacer.answered_human(T0 + 10, f"q{i}")
        agent = agents.reserve(f"q{i}", T0 + 10, pacer.team("b"))
        assert agent is None or agent in B_TEAM
    assert sum(1 for i in range(lines) if agents.reserved_for(f"q{i}")) == len(B_TEAM)
    # a's people answer now: each of the first two has an agent of a's team.
    for i in range(2):
        pacer.answered_human(T0 + 12, f"a{i}")
        assert agents.reserve(f"a{i}", T0 + 12, pacer.team("a")) in A_TEAM
    assert all(agents.reserved_for(f"q{i}") not in A_TEAM for i in range(lines))


def test_b_over_dialling_does_not_shrink_as_supply_with_disjoint_teams() -> None:
    """The people waiting for b's agents are not demand on a's agents: a predictive a with
    its own team dials as if b were not there."""

    def a_lines(b_waiting: int) -> int:
        pacer = teams(
            a=CampaignPacing("predictive", team=B_TEAM),
            b=CampaignPacing("predictive", team=A_TEAM),
        )
        for i in range(b_waiting):
            pacer.dialled(T0 - 20, f"w{i}", "b")
            pacer.answered_human(T0 - 2, f"w{i}")
        return pacer.plan(T0)["a"]

    assert a_lines(0) == a_lines(8) > 6


def test_an_agent_in_two_teams_serves_both() -> None:
    both = frozenset({"s"})
    agents = AgentPool(wrap_up=0)
    for name in ("s", "a1", "b1"):
        agents.set_state(name, AgentState.READY, T0 - 100)
    pacer = Pacer(PacingConfig(), agents)
    pacer.campaigns = {
        "a": CampaignPacing("progressive", team=both | {"a1"}),
        "b": CampaignPacing("progressive", team=both | {"b1"}),
    }
    assert sum(pacer.plan(T0).values()) == 3, "s is split between a and b by weight"
    agents.set_state("a1", AgentState.PAUSED, T0)
    agents.set_state("b1", AgentState.PAUSED, T0)
    served = []
    for i, campaign in enumerate(["a", "b", "a", "b"]):
        now = T0 + 60 * i
        assert pacer.plan(now) == {"a": int(campaign == "a"), "b": int(campaign == "b")}
        call = f"x{i}"
        pacer.dialled(now, call, campaign)
        served.append((campaign, agents.reserve(call, now, pacer.team(campaign))))
        pacer.answered_human(now + 10, call)
        agents.bridge(call, now + 12)
        pacer.bridged(now + 12, call)
        agents.hangup(call, now + 40)
        pacer.talk_ended(now + 40, call)
    assert served == [("a", "s"), ("b", "s"), ("a", "s"), ("b", "s")], "turns by weight"


def test_a_campaign_whose_team_does_not_work_leaves_its_share_to_the_others() -> None:
    pacer = teams(
        a=CampaignPacing("progressive", team=frozenset({"gone"})),
        b=CampaignPacing("progressive"),
    )
    assert pacer.plan(T0) == {"a": 0, "b": 8}


def test_a_small_team_keeps_predictive_pacing_progressive() -> None:
    small = frozenset({"b1", "b2"})  # fewer than min_agents (3) work for it
    pacer = teams(b=CampaignPacing("predictive", team=small))
    assert pacer.campaign_mode(T0, "b") == "progressive"
    assert pacer.plan(T0) == {"b": 2}


def _scenarios() -> list[Pacer]:
    """Plans with lines in flight, people waiting, agents reserved, talking and wrapping up."""
    out = []
    groups: tuple[tuple[PacingMode, ...], ...] = (
        ("progressive",),
        ("predictive",),
        ("progressive", "predictive"),
    )
    for modes in groups:
        for ratio in (1.0, 1.5):
            pacer = teams(
                **{
                    f"c{i}": CampaignPacing(mode, ratio=ratio, weight=1.0 + i)
                    for i, mode in enumerate(modes)
                }
            )
            agents = pacer.agents
            for i, name in enumerate(pacer.campaigns):
                for k in range(3):
                    call = f"{name}-{k}"
                    pacer.dialled(T0 - 30 + k, call, name)
                    if k == 0:
                        agents.reserve(call, T0 - 30, None)
                        pacer.answered_human(T0 - 20, call)
                        agents.bridge(call, T0 - 18)
                        pacer.bridged(T0 - 18, call)
                    elif k == 1 and i == 0:
                        pacer.answered_human(T0 - 3, call)
            agents.set_state("b6", AgentState.PAUSED, T0 - 50)
            out.append(pacer)
    return out


@pytest.mark.parametrize("index", range(6))
def test_a_team_of_every_agent_plans_as_no_team(index: int) -> None:
    pacer = _scenarios()[index]
    everybody = frozenset(a.name for a in pacer.agents)
    untouched = pacer.plan(T0)
    assert any(untouched.values())
    pacer.campaigns = {n: replace(c, team=everybody) for n, c in pacer.campaigns.items()}
    assert pacer.plan(T0) == untouched
    assert pacer.team("c0") == everybody
    pacer.campaigns = {n: replace(c, team=frozenset()) for n, c in pacer.campaigns.items()}
    assert pacer.team("c0") is None
    assert pacer.plan(T0) == untouched


def test_a_campaign_without_a_team_leaves_a_teams_agent_to_it() -> None:
    """a1, idle longest, is a's only agent; b (no team) may take anyone but is given b1 and b2
    first, so a's line still finds a1 whatever order the lines are dialled in."""
    agents = pool("a1", "b1", "b2")
    pacer = Pacer(PacingConfig(), agents)
    pacer.campaigns = {
        "a": CampaignPacing("progressive", team=frozenset({"a1"})),
        "b": CampaignPacing("progressive"),
    }
    assert [pacer.spread(n) for n in ("a1", "b1", "b2")] == [2, 1, 1]
    assert pacer.plan(T0) == {"a": 1, "b": 2}
    for i in range(2):
        assert agents.reserve(f"b{i}", T0, pacer.team("b"), pacer.spread) in {"b1", "b2"}
    assert agents.reserve("a0", T0, pacer.team("a"), pacer.spread) == "a1"
    assert agents.reserve("b-late", T0, pacer.team("b"), pacer.spread) is None
