"""A simulated day (``bench.pacing.Day``, the shell's rules) with two campaigns on disjoint
teams: every person is bridged to an agent of their campaign's team, and the predictive
campaign's over-dial changes nothing for the progressive one: it reaches and loses the same
people as when it runs alone (common random numbers make the days comparable call by call)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from bench.pacing import MIXED, Day
from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import CampaignPacing
from tests.unit.test_pacing_floor import scenario

PROGRESSIVE = frozenset(f"agent{i}" for i in range(4))
PREDICTIVE = frozenset(f"agent{i}" for i in range(4, 10))


class TeamPool(AgentPool):
    """The pool as the shell uses it: a call's reservation from its campaign's team."""

    def __init__(self, day: TeamDay) -> None:
        super().__init__(wrap_up=day.sc.wrap)
        self.day = day

    def reserve(
        self,
        call: str,
        now: float,
        eligible: Collection[str] | None = None,
        spread: Callable[[str], int] | None = None,
    ) -> str | None:
        live = self.day.calls.get(call)
        if eligible is None and live is not None:
            eligible = self.day.pacer.team(live.claim.campaign)
        return super().reserve(call, now, eligible, spread or self.day.pacer.spread)


class TeamDay(Day):
    """The day with teams: the progressive campaign (ratio 1.5: its people ask for an agent
    when they answer) on agents 0-3, the predictive one on 4-9 (or not running)."""

    outside: int = 0  # bridges to an agent outside the person's team

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pool = TeamPool(self)
        for i in range(self.sc.agents):
            self.pool.set_state(f"agent{i}", AgentState.READY, self.now)
        self.pacer.agents = self.pool
        self.pacer.campaigns = {
            "progressive": CampaignPacing("progressive", ratio=1.5, team=PROGRESSIVE),
            "predictive": CampaignPacing("predictive", team=PREDICTIVE),
        }

    def serve_waiting(self) -> None:
        """As the shell: each waiting person, longest first, gets a free agent of their team."""
        for key in list(self.waiting):
            if not self.pool.free_count():
                return
            agent = self.pool.reserve(key, self.now)
            if agent is not None:
                self.waiting.remove(key)
                self.ring_agent(key, agent)

    def agent_free(self, name: str) -> None:
        self.serve_waiting()

    def bridge(self, key: str) -> None:
        call = self.calls[key]
        team = self.pacer.team(call.claim.campaign)
        self.outside += team is not None and call.agent not in team
        super().bridge(key)


def day(*, alone: bool) -> TeamDay:
    sim = TeamDay(scenario(agents=10, hours=1.5, talk_median=60, steps=5), MIXED)
    if alone:
        del sim.pacer.campaigns["predictive"]
    sim.run()
    return sim


def test_disjoint_teams_a_predictive_over_dial_changes_nothing_for_the_other() -> None:
    both, alone = day(alone=False), day(alone=True)
    assert both.outside == alone.outside == 0, "every bridge within the person's team"
    assert both.pacer.campaign_mode(both.now, "predictive") == "predictive"
    assert both.per_campaign["predictive"]["reached"] > 0
    assert alone.per_campaign["predictive"]["reached"] == 0
    progressive = both.per_campaign["progressive"]
    assert progressive["reached"] > 0
    assert progressive == alone.per_campaign["progressive"]
