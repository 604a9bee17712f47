"""Pacing: how many lines to dial now so agents stay busy and answered people are not abandoned.

One :class:`Pacer` serves one :class:`~konform.engine.agents.AgentPool`; the campaigns that share
the agents share the pacer, and each is paced by its own :class:`CampaignPacing` (mode, ratio,
abandon target, weight). The shell reports every call event and asks :meth:`Pacer.plan` for the
lines per campaign after each event and on a periodic tick (:meth:`Pacer.lines_to_dial` paces all
lines by one :class:`PacingConfig`; with one campaign both give the same lines).

Per campaign (:meth:`Pacer.plan`): the working agents are apportioned to the campaigns with
something due by weight. A campaign may have a team (:attr:`CampaignPacing.team`): only its team's
agents are its supply and take its people; an agent in several teams, or any agent for campaigns
without a team, is apportioned among the campaigns it serves. A progressive campaign dials for the
agents of its share not busy with its own calls (and never more than ready agents x its ratio),
reserving a free agent of its team at dial: such an agent is never given to anybody else, so no
answered person of a progressive campaign can lack one. Predictive campaigns dial into what is
left: the model below runs over its team's agents and all lines in flight that they may take (every
such campaign's people and ringing lines, each line at its campaign's answer rate), without the
free agents just taken, without the agents talking or wrapping up for a progressive campaign (they
go back to it) and without the agents still owed to progressive campaigns below their share; each
predictive campaign's limit comes from ITS target and ITS headroom (its own abandons over the hour
and 24 h), so one campaign's abandons close only its own dialling. Within each group the lines go
one by one by weight (stride scheduling, carried across plans by :meth:`Pacer.dialled`). Waiting
people get the free agents who may take them, first come first served (the shell), so where
campaigns share agents an abandon can still fall on another predictive campaign's person (abandons
are counted where they happen); campaigns with disjoint teams never take each other's agents.

*progressive*: lines in flight <= ready agents x ``ratio``; at ``ratio`` <= 1 the shell reserves
an agent when it dials, so no answered person can lack an agent.

*predictive*: a person needs an agent free by a deadline: AMD "human" plus the question (measured
from the late agent requests, :meth:`Pacer.agent_requested`, else ``hold``) plus the 2-second
grace, less the agent's ring (``agent_lead``). At each waiting person's deadline and at
checkpoints over the time a line dialled now would take to decide, the people whose deadline
falls before the checkpoint are set against the agents free by then. Demand: people waiting
without an agent, plus each ringing line's chance of deciding "human" in time (Bayes over the
measured dial-to-decision times: a line that has rung long is likely to ring out), plus the new
lines times the answer rate. Supply: free agents, wrap-ups ending in time, agents in a call
weighted by the measured chance that the talk ends in time. Both are sums of independent
Bernoulli variables; a normal approximation gives the expected shortfall in closed form. The
pacer dials the largest number of lines whose worst-checkpoint shortfall stays within
``abandon_target x safety x headroom`` of the people expected; ``headroom`` falls from 1 to 0 as
any campaign's abandon rate over the last hour (or 24 hours), counted with the abandons expected
from the lines in flight and the next one (two after a first), nears 90 % of the target: the
feedback that keeps every hour under it (with :meth:`Pacer.plan` the campaign's own rate). It
never dials fewer lines than the risk-free count (free agents not yet spoken for) nor fewer than
progressive pacing would dial at the configured ``ratio``, and falls back to progressive while
the measurement is thin or the team is small (see :class:`PacingConfig`).
:meth:`Pacer.restore` loads what was measured before a restart.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from konform.engine import stats
from konform.engine.agents import AgentPool, AgentState
from konform.engine.stats import HOUR, CampaignStats, Samples

__all__ = ["HEADROOM_NONE", "CampaignPacing", "Line", "Pacer", "PacingConfig", "PacingMode"]

PacingMode = Literal["progressive", "predictive"]

# The headroom closes when the worst rate (one abandon more than happened) reaches this share of
# the target: the margin for lines already in flight when it closes.
HEADROOM_NONE = 0.9

# Line states inside the pacer.
RINGING = "ringing"  # dialled, no AMD decision yet
PERSON = "person"  # AMD said human, not yet bridged


@dataclass(frozen=True, slots=True)
class PacingConfig:
    """A pacer's settings.

    ``min_answers``: predictive needs this many people answered in the last 24 hours before it
    trusts the answer rate (the rate's standard error is then about 0.08 at a 30 % answer rate),
    and ``min_talks`` talk durations before it predicts when agents become free. ``min_agents``:
    with fewer working agents an hour has too few answered people for a 3 % target to allow even
    one abandoned call, so predictive would buy little and risk the hour; progressive is used.
    """

    mode: PacingMode = "progressive"
    ratio: float = 1.0
    abandon_target: float = 0.03
    hold: float = 10.0  # seconds from AMD "human" to the bridge deadline (question + 2 s grace)
    agent_lead: float = 2.0  # an agent's ring until it answers: it must be free this long before
    grace: float = 2.0  # the bridge deadline after the question (agent_hold)
    min_requests: int = 10  # measured late requests before they replace ``hold``
    max_lines: int = 1000  # the trunk's limit (the shell's max_concurrent)
    min_answers: int = 30
    min_talks: int = 20
    min_agents: int = 3
    safety: float = 0.1  # aim at this share of the target (chosen with bench.pacing_bound)
    steps: int = 5  # checkpoints over the span a new line takes to decide (20 tried: no gain)

    def __post_init__(self) -> None:
        if self.mode not in ("progressive", "predictive"):
            raise ValueError(f"unknown pacing mode {self.mode!r}")
        if not 0 < self.ratio <= 10:
            raise ValueError("ratio must be in (0, 10]")
        if not 0 < self.abandon_target < 1:
            raise ValueError("abandon_target must be in (0, 1)")
        if self.steps < 1:
            raise ValueError("steps must be at least 1")


@dataclass(frozen=True, slots=True)
class CampaignPacing:
    """One campaign's own pacing while it shares the pool with others (:meth:`Pacer.plan`).

    ``weight``: the campaign's share of the lines against the other campaigns of its group
    (progressive ones, predictive ones), as the scheduler's weights share picks.
    """

    mode: PacingMode = "progressive"
    ratio: float = 1.0
    abandon_target: float = 0.03
    weight: float = 1.0
    team: frozenset[str] = frozenset()
    """The agents who may take the campaign's people; empty: every agent of the pool."""

    def __post_init__(self) -> None:
        PacingConfig(mode=self.mode, ratio=self.ratio, abandon_target=self.abandon_target)
        if not self.weight > 0:
            raise ValueError("weight must be positive")


@dataclass(frozen=True, slots=True)
class _Shared:
    """What the progressive campaigns beside a predictive one take of the pool in a plan:
    ``taken`` free agents reserved by its new lines, ``owed`` agents still owed to them (the
    next to become free go to them), the campaigns whose agents in a call or wrap-up go back
    to them (``exclude``); the predictive campaign's ``team`` (None: every agent) and the
    campaigns ``apart`` from it (no agent of its team may take their people)."""

    taken: int = 0
    owed: int = 0
    exclude: frozenset[str] = frozenset()
    team: frozenset[str] | None = None
    apart: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Round:
    """One :meth:`Pacer.plan`: the lines given so far (``out``), the lines in flight per
    campaign, the campaigns each campaign's agents may also serve (``near``, itself included),
    the progressive campaigns' own limits and the free agents their new lines reserve."""

    out: dict[str, int]
    counts: Counter[str]
    near: dict[str, frozenset[str]]
    progressive: list[str]
    predictive: list[str]
    own: dict[str, int] = field(default_factory=dict)
    reserving: set[str] = field(default_factory=set)
    taken: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Line:
    campaign: str
    dialled_at: float
    state: str = RINGING
    decided_at: float = 0.0


@dataclass(slots=True)
class Pacer:
    """Lines to dial for one agent pool. Event methods take the shell's call id (any string)."""

    config: PacingConfig
    agents: AgentPool
    lines: dict[str, Line] = field(default_factory=dict)
    stats: dict[str, CampaignStats] = field(default_factory=dict)
    talk: Samples = field(default_factory=Samples)  # bridged talk durations
    to_person: Samples = field(default_factory=Samples)  # dial -> AMD "human"
    to_other: Samples = field(default_factory=Samples)  # dial -> machine / no answer / busy
    to_request: Samples = field(default_factory=Samples)  # AMD "human" -> late agent request
    # The running campaigns' own pacing (:meth:`plan`); the shell sets it from the store.
    campaigns: dict[str, CampaignPacing] = field(default_factory=dict)
    _talk_start: dict[str, float] = field(default_factory=dict)
    _pass: dict[str, float] = field(default_factory=dict)  # stride scheduling by weight
    _worked_for: dict[str, str] = field(default_factory=dict)  # agent -> its last campaign
    _vtime: float = 0.0

    # --- events -------------------------------------------------------------------------------
    def restore(
        self,
        events: Iterable[tuple[float, str, str]],
        talks: Iterable[float] = (),
        to_person: Iterable[float] = (),
        to_other: Iterable[float] = (),
    ) -> None:
        """What was measured before this start (the store's last 24 hours), before any live
        event: (instant, campaign, kind) oldest first, kinds as :mod:`konform.engine.stats`
        names them; then duration samples. Events older than a window's span simply expire."""
        for at, campaign, kind in events:
            self._stats(campaign).add(at, kind)
        for value in talks:
            self.talk.add(value)
        for value in to_person:
            self.to_person.add(value)
        for value in to_other:
            self.to_other.add(value)

    def dialled(self, now: float, call: str, campaign: str) -> None:
        self.lines[call] = Line(campaign, now)
        self._stats(campaign).add(now, stats.DIALLED)
        # The campaign's turn by weight moves on (an idle campaign restarts at the current
        # pass: it cannot hoard lines it did not dial).
        granted = max(self._pass.get(campaign, 0.0), self._vtime)
        self._vtime = granted
        self._pass[campaign] = granted + 1.0 / self._own(campaign).weight

    def answered_human(self, now: float, call: str) -> None:
        """AMD said human (the shell then reserves an agent if it has none yet)."""
        line = self.lines[call]
        line.state, line.decided_at = PERSON, now
        self.to_person.add(now - line.dialled_at)
        self._stats(line.campaign).add(now, stats.HUMAN)

    def answered_machine(self, now: float, call: str) -> None:
        self._resolved(now, call, stats.MACHINE)

    def no_answer(self, now: float, call: str) -> None:
        """No answer, busy, failed, or hung up before AMD decided: the line ends uncounted."""
        self._resolved(now, call, stats.NO_ANSWER)

    def agent_requested(self, now: float, call: str) -> None:
        """The call's flow asked for an agent ``agent_lead`` s before its question ends (a late
        request; not for calls that had their agent reserved at dial): measures the question."""
        line = self.lines.get(call)
        if line is not None and line.state == PERSON:
            self.to_request.add(now - line.decided_at)

    def due(self) -> float:
        """Seconds from AMD "human" until an agent must be free for the person: the measured
        time to the late agent request (its 10 % quantile: a key can end the question sooner)
        plus the grace, once measured; before that ``hold`` less the agent's answer time."""
        cfg = self.config
        if len(self.to_request) >= cfg.min_requests:
            return self.to_request.quantile(0.1) + cfg.grace
        return cfg.hold - cfg.agent_lead

    def bridged(self, now: float, call: str) -> None:
        """The person is bridged to the agent reserved for the call (report the pool's bridge
        first): that agent works for the line's campaign until its next call."""
        line = self.lines.pop(call)
        self._stats(line.campaign).add(now, stats.BRIDGED)
        self._talk_start[call] = now
        agent = self.agents.reserved_for(call)
        if agent is not None:
            self._worked_for[agent] = line.campaign

    def abandoned(self, now: float, call: str) -> None:
        """No agent within the grace after the question: the person hears the message."""
        line = self.lines.pop(call)
        self._stats(line.campaign).add(now, stats.ABANDONED)

    def cancelled(self, call: str) -> None:
        """A line that ends without an outcome the pacer measures (the gate refused it, or a
        person hung up before an agent was due): dropped, uncounted."""
        self.lines.pop(call, None)

    def talk_ended(self, now: float, call: str) -> None:
        start = self._talk_start.pop(call, None)
        if start is not None:
            self.talk.add(now - start)

    def _resolved(self, now: float, call: str, kind: str) -> None:
        line = self.lines.pop(call)
        self.to_other.add(now - line.dialled_at)
        self._stats(line.campaign).add(now, kind)

    def _stats(self, campaign: str) -> CampaignStats:
        found = self.stats.get(campaign)
        if found is None:
            found = self.stats[campaign] = CampaignStats()
        return found

    # --- decisions ----------------------------------------------------------------------------
    def in_flight(self) -> int:
        """Lines dialled and not yet bridged, abandoned or ended."""
        return len(self.lines)

    def thin(self, now: float, campaign: str | None = None) -> bool:
        """True while the measurement is too thin for predictive pacing: people answered in
        the last 24 hours (of ``campaign``, else of all), talks measured, working agents."""
        if campaign is None:
            humans = sum(s.day.count(stats.HUMAN, now) for s in self.stats.values())
            team = None
        else:
            humans = self._humans(now, campaign)
            team = self.team(campaign)
        return (
            humans < self.config.min_answers
            or len(self.talk) < self.config.min_talks
            or self.agents.working_count(team) < self.config.min_agents
        )

    def mode_now(self, now: float) -> PacingMode:
        """The mode in force (one pacing for all lines): predictive falls back to progressive
        while thin."""
        if self.config.mode == "predictive" and not self.thin(now):
            return "predictive"
        return "progressive"

    def lines_to_dial(self, now: float) -> int:
        """How many more lines to dial now with one pacing (:attr:`config`) for all lines (0
        when no agent is ready or about to be). :meth:`plan` paces each campaign on its own."""
        room = self.config.max_lines - len(self.lines)
        if room <= 0 or self.agents.working_count() == 0:
            return 0
        if self.mode_now(now) == "progressive":
            return min(room, self.progressive_lines())
        # Never fewer than progressive would dial: predictive only adds lines.
        return min(room, max(self.progressive_lines(), self._predictive(now)))

    def progressive_lines(self) -> int:
        """Lines progressive pacing would dial now: ready agents x ratio less lines in flight."""
        ready = self.agents.ready_count()
        return max(0, math.floor(ready * self.config.ratio + 1e-9) - len(self.lines))

    # --- per campaign -------------------------------------------------------------------------
    def campaign_mode(self, now: float, campaign: str) -> PacingMode:
        """A campaign's mode in force: predictive falls back to progressive while its own
        measurement (people answered in 24 h) or the shared one (talks, agents) is thin."""
        own = self._own(campaign)
        if own.mode == "predictive" and not self.thin(now, campaign):
            return "predictive"
        return "progressive"

    def reserves_at_dial(self, now: float, campaign: str) -> bool:
        """Whether the shell reserves an agent before it dials a line of ``campaign``:
        progressive at a ratio <= 1, so no answered person of it can lack an agent."""
        return self.campaign_mode(now, campaign) == "progressive" and self._own(campaign).ratio <= 1

    def plan(self, now: float, due: Iterable[str] | None = None) -> dict[str, int]:
        """Lines to dial now per campaign of :attr:`campaigns` (those in ``due`` only, when
        given: the campaigns with a contact to call), each paced by its own settings.

        The working agents are apportioned to these campaigns by weight (:meth:`_shares`),
        each agent among the campaigns it serves (a campaign with a team: only its team's
        agents; without: every agent); a campaign none of whose agents works dials nothing.
        Progressive campaigns first: a campaign dials for the agents of its share not busy
        with its calls (times its ratio), the progressive lines of the campaigns its agents
        serve together never more than their ready agents x ratio, and a line that reserves an
        agent at dial takes a free one of its team (an agent reserved at dial is never given to
        anybody else). Predictive campaigns then dial into the agents left: each campaign's
        limit is the line count at which the expected shortfall (the lines in flight of every
        campaign whose people its agents may take, its agents) stays within ITS target x
        safety x ITS headroom (its own abandons over the hour and 24 h), the agents the
        progressive campaigns took, hold or are owed left out (:class:`_Shared`); never below
        its progressive floor. Within each group the lines go one by one to the campaign whose
        turn it is by weight (stride scheduling, carried across plans through
        :meth:`dialled`); a campaign stops taking lines when the new lines of the campaigns
        its agents serve reach its own limit. Without teams every agent serves every campaign.
        """
        wanted = None if due is None else set(due)
        names = [n for n in sorted(self.campaigns) if wanted is None or n in wanted]
        out = dict.fromkeys(names, 0)
        room = self.config.max_lines - len(self.lines)
        if room <= 0 or not names or self.agents.working_count() == 0:
            return out
        names = [n for n in names if self.agents.working_count(self.team(n))]
        modes = {n: self.campaign_mode(now, n) for n in names}
        plan = _Round(
            out,
            Counter(line.campaign for line in self.lines.values()),
            {n: frozenset(m for m in self.campaigns if self._overlap(n, m)) for n in names},
            [n for n in names if modes[n] == "progressive"],
            [n for n in names if modes[n] == "predictive"],
        )
        # A progressive campaign keeps to its share of the working agents (by weight among
        # the campaigns with something due): it dials for the agents of its share not busy
        # with its calls, so the agents a predictive campaign counts on are not taken from it.
        shares = self._shares(names, lambda n: modes[n] == "predictive")
        self._plan_progressive(plan, shares, room)
        room -= sum(out.values())
        if plan.predictive and room > 0:
            self._plan_predictive(now, plan, room)
        return out

    def _plan_progressive(self, plan: _Round, shares: Mapping[str, int], room: int) -> None:
        counts, progressive = plan.counts, plan.progressive
        # Lines of campaigns not paced here (paused) may take any agent.
        unpaced = sum(counts[n] for n in counts if n not in self.campaigns)
        busy = self._busy()
        group = {}  # new lines of the progressive campaigns this one's agents serve
        for n in progressive:
            ratio = self._own(n).ratio
            near = [m for m in progressive if m in plan.near[n]]
            in_progressive = sum(counts[m] for m in near) + unpaced
            ready = self.agents.ready_count(self._union(near))
            group[n] = math.floor(ready * ratio + 1e-9) - in_progressive
            plan.own[n] = math.floor((shares[n] - busy[n]) * ratio + 1e-9) - counts[n]
        plan.reserving = {n for n in progressive if self._own(n).ratio <= 1}
        # The free agents in the order the pool reserves them (:meth:`spread`, longest idle).
        spare = sorted(
            (a for a in self.agents if a.free), key=lambda a: (self.spread(a.name), a.since, a.name)
        )
        new: Counter[str] = Counter()

        def progressive_can(name: str, total: int, mine: int) -> bool:
            if sum(new[m] for m in plan.near[name]) >= group[name] or mine >= plan.own[name]:
                return False
            if name in plan.reserving:
                agent = next((a for a in spare if self.serves(a.name, name)), None)
                if agent is None:
                    return False
                spare.remove(agent)
                plan.taken.append(agent.name)
            new[name] += 1
            return True

        plan.out.update(self._stride(progressive, progressive_can, room))

    def _plan_predictive(self, now: float, plan: _Round, room: int) -> None:
        predictive, out = plan.predictive, plan.out
        rates = self._line_rates(now)
        caps = {}
        for n in predictive:
            team, near = self.team(n), plan.near[n]
            taken = sum(1 for agent in plan.taken if self.serves(agent, n))
            # Agents already spoken for: reserved at dial for other lines, and this plan's.
            held = taken + sum(
                1
                for call, line in self.lines.items()
                if line.campaign not in predictive and self._holds(call, n)
            )
            # The progressive campaigns' agents still owed (below their share): they take the
            # next agents that become free (the shell dials at once), before people to come.
            owed = sum(max(0, plan.own[m] - out[m]) for m in plan.reserving if m in near)
            apart = frozenset(m for m in self.campaigns if m not in near)
            shared = _Shared(taken, owed, frozenset(plan.progressive), team, apart)
            in_predictive = sum(plan.counts[m] for m in predictive if m in near)
            ratio = self._own(n).ratio
            ready = self.agents.ready_count(team)
            floor = math.floor((ready - held - owed) * ratio + 1e-9) - in_predictive
            caps[n] = max(floor, self._campaign_predictive(now, n, rates, shared))
        new: Counter[str] = Counter()

        def predictive_can(name: str, total: int, mine: int) -> bool:
            if sum(new[m] for m in plan.near[name]) >= caps[name]:
                return False
            new[name] += 1
            return True

        out.update(self._stride(predictive, predictive_can, room))

    def team(self, campaign: str) -> frozenset[str] | None:
        """The agents who may take ``campaign``'s people; None: every agent of the pool."""
        return self._own(campaign).team or None

    def serves(self, agent: str, campaign: str) -> bool:
        """Whether ``agent`` may take ``campaign``'s people (its team's, or any without one)."""
        team = self._own(campaign).team
        return not team or agent in team

    def spread(self, agent: str) -> int:
        """How many of the paced campaigns ``agent`` serves: the shell reserves the agents
        serving fewer first (``AgentPool.reserve``), keeping shared ones for the other teams."""
        return sum(1 for n in self.campaigns if self.serves(agent, n))

    def _union(self, campaigns: Iterable[str]) -> frozenset[str] | None:
        """The agents who may serve any of ``campaigns`` (None: every agent)."""
        teams = [self.team(n) for n in campaigns]
        if any(team is None for team in teams):
            return None
        return frozenset().union(*(team for team in teams if team is not None))

    def _overlap(self, a: str, b: str) -> bool:
        """Whether one agent may serve both campaigns (a campaign without a team: any agent)."""
        team_a, team_b = self._own(a).team, self._own(b).team
        return not team_a or not team_b or not team_a.isdisjoint(team_b)

    def _holds(self, call: str, campaign: str) -> bool:
        """``call`` holds an agent reserved for it who may serve ``campaign``."""
        agent = self.agents.reserved_for(call)
        return agent is not None and self.serves(agent, campaign)

    def campaign_headroom(self, now: float, campaign: str, committed: float = 0.0) -> float:
        """:meth:`headroom` over ``campaign``'s own abandons against its own target."""
        s = self.stats.get(campaign) or CampaignStats()
        return self._headroom((s,), self._own(campaign).abandon_target, now, committed)

    def _own(self, campaign: str) -> CampaignPacing:
        own = self.campaigns.get(campaign)
        if own is None:
            cfg = self.config
            return CampaignPacing(cfg.mode, cfg.ratio, cfg.abandon_target)
        return own

    def _humans(self, now: float, campaign: str) -> int:
        s = self.stats.get(campaign)
        return s.day.count(stats.HUMAN, now) if s is not None else 0

    def _stride(
        self, names: list[str], can_take: Callable[[str, int, int], bool], room: int
    ) -> dict[str, int]:
        """Hand out up to ``room`` lines one at a time to the campaign with the lowest pass
        (stride scheduling by weight) while it ``can_take`` one more (given the group's new
        lines so far)."""
        given = dict.fromkeys(names, 0)
        passes = {n: max(self._pass.get(n, 0.0), self._vtime) for n in names}
        active = set(names)
        total = 0
        while active and total < room:
            name = min(active, key=lambda n: (passes[n], n))
            if not can_take(name, total, given[name]):
                active.discard(name)
                continue
            given[name] += 1
            total += 1
            passes[name] += 1.0 / self._own(name).weight
        return given

    def _shares(self, names: list[str], predictive: Callable[[str], bool]) -> dict[str, int]:
        """The working agents apportioned to ``names``: each agent among the campaigns it
        serves, by weight, apportioned per set of campaigns served (without teams: one set,
        all agents)."""
        groups: Counter[tuple[str, ...]] = Counter()
        for agent in self.agents:
            if agent.working:
                served = tuple(n for n in names if self.serves(agent.name, n))
                if served:
                    groups[served] += 1
        shares = dict.fromkeys(names, 0)
        for served, working in groups.items():
            for n, share in self._apportion(list(served), working, predictive).items():
                shares[n] += share
        return shares

    def _apportion(
        self, names: list[str], working: int, predictive: Callable[[str], bool]
    ) -> dict[str, int]:
        """``working`` agents apportioned to ``names`` by weight (largest remainder). Ties go
        to predictive campaigns first, by name, so that their shares do not flip between plans
        (a progressive campaign whose share grows takes the next free agent, which a
        predictive campaign may have counted on); among progressive campaigns to the one whose
        turn it is (their lines hold their agents: a flip risks nobody)."""
        total = sum(self._own(n).weight for n in names)
        exact = {n: working * self._own(n).weight / total for n in names}
        shares = {n: math.floor(exact[n] + 1e-9) for n in names}

        def tie(n: str) -> tuple[float, int, float, str]:
            if predictive(n):
                return (shares[n] - exact[n], 0, 0.0, n)
            return (shares[n] - exact[n], 1, self._pass.get(n, 0.0), n)

        order = sorted(names, key=tie)
        for n in order[: working - sum(shares.values())]:
            shares[n] += 1
        return shares

    def _busy(self) -> Counter[str]:
        """Agents in a call or wrap-up per campaign they last worked for."""
        busy: Counter[str] = Counter()
        for agent in self.agents:
            if agent.state in (AgentState.IN_CALL, AgentState.WRAP_UP):
                busy[self._worked_for.get(agent.name, "")] += 1
        return busy

    def _line_rates(self, now: float) -> dict[str, float]:
        """Each campaign's answer rate for its lines: its own once measured, else the pool's."""
        pooled = self._answer_rate(now)
        out = {}
        for name, s in self.stats.items():
            thick = s.day.count(stats.HUMAN, now) >= self.config.min_answers
            out[name] = s.answer_rate(now) if thick else pooled
        return out

    def _campaign_predictive(
        self, now: float, campaign: str, rates: Mapping[str, float], shared: _Shared
    ) -> int:
        own = self._own(campaign)
        p = rates.get(campaign, self._answer_rate(now))

        def headroom(at: float, committed: float) -> float:
            return self.campaign_headroom(at, campaign, committed)

        return self._search(now, p, own.abandon_target, headroom, rates, shared)

    def abandon_rate(self, now: float, campaign: str, window: float = HOUR) -> float:
        s = self.stats.get(campaign)
        if s is None:
            return 0.0
        return s.abandon_rate(now, s.hour if window == HOUR else s.day)

    def headroom(self, now: float, committed: float = 0.0) -> float:
        """1 with no abandons, falling to 0 as any campaign's rate nears the target.

        The rate counts ``committed`` abandons (expected from the lines already in flight) and
        one more than that (the next one must still fit; two after a first abandon), and its
        denominator is at least
        ``min_answers``, so a fresh hour neither stops predictive dialling outright nor lets one
        early abandon break it. It closes at ``HEADROOM_NONE`` of the target.
        """
        return self._headroom(self.stats.values(), self.config.abandon_target, now, committed)

    def _headroom(
        self, campaigns: Iterable[CampaignStats], target: float, now: float, committed: float
    ) -> float:
        worst = 0.0
        for s in campaigns:
            for window in (s.hour, s.day):
                humans = max(window.count(stats.HUMAN, now), self.config.min_answers)
                # With few people an hour one call moves the rate a lot: the headroom closes
                # before the call that would break the hour, not after it; after an abandon,
                # before the next two (two people who answer together are lost together).
                abandoned = window.count(stats.ABANDONED, now)
                lost = abandoned + min(abandoned, 1) + committed + 1
                worst = max(worst, lost / humans)
        return max(0.0, 1.0 - worst / (HEADROOM_NONE * target))

    def _predictive(self, now: float) -> int:
        cfg = self.config
        return self._search(now, self._answer_rate(now), cfg.abandon_target, self.headroom)

    def _search(
        self,
        now: float,
        p: float,
        target: float,
        headroom: Callable[[float, float], float],
        rates: Mapping[str, float] | None = None,
        shared: _Shared | None = None,
    ) -> int:
        """The most lines (beyond those in flight) whose worst-checkpoint shortfall stays
        within ``target`` x safety x ``headroom`` of the people expected; new lines answer
        with ``p``, a ringing line with its campaign's rate in ``rates`` (else ``p``);
        ``shared``: what progressive campaigns beside it take (:class:`_Shared`)."""
        cfg = self.config
        shared = shared or _Shared()
        free, waiting, wraps, talking, ringing = self._lines_and_agents(
            now, shared.exclude, shared.team, shared.apart
        )
        free = max(0, free - shared.taken)
        floor = max(0, free - len(waiting) - len(ringing))  # every possible person has an agent
        if p <= 0:
            return floor
        odds = None
        if rates is not None:
            odds = [rates.get(c, p) for c in self._ringing_campaigns(shared.apart)]
        points = self._checkpoints(p, free, waiting, wraps, talking, ringing, odds, shared.owed)
        tau = target * cfg.safety * headroom(now, self._excess(points, 0))
        if tau <= 0:
            return floor
        ringing_people = math.fsum(odds) if odds is not None else p * len(ringing)
        expected_people = len(waiting) + ringing_people
        n = floor
        limit = cfg.max_lines - len(self.lines)
        while n < limit and self._excess(points, n + 1) <= tau * (expected_people + p * (n + 1)):
            n += 1
        return n

    @staticmethod
    def _excess(points: list[tuple[float, float, float, float, float]], lines: int) -> float:
        """Expected shortfall of agents at the worst checkpoint with ``lines`` new lines."""
        excess = 0.0
        for d_mean, d_var, s_mean, s_var, fresh in points:
            mean = d_mean + fresh * lines - s_mean
            var = d_var + fresh * (1 - fresh) * lines + s_var
            excess = max(excess, _expected_excess(mean, var))
        return excess

    def _lines_and_agents(
        self,
        now: float,
        exclude: frozenset[str] = frozenset(),
        team: frozenset[str] | None = None,
        apart: frozenset[str] = frozenset(),
    ) -> tuple[int, list[float], list[float], list[float], list[float]]:
        """Free agents, seconds until each person waiting for one must have it, seconds until
        each wrap-up ends, seconds each talk has lasted (not of agents last working for a
        campaign in ``exclude``: they go back to it), seconds each unanswered line without a
        reserved agent has rung (a line reserved at dial has its agent already). Only the
        agents of ``team`` (None: all), only the lines of campaigns not ``apart``."""
        agents = self.agents
        free = 0
        wraps: list[float] = []
        talking: list[float] = []
        for agent in agents:
            if team is not None and agent.name not in team:
                continue
            if agent.free:
                free += 1
            elif exclude and self._worked_for.get(agent.name) in exclude:
                continue
            elif agent.state is AgentState.WRAP_UP:
                wraps.append(agent.wrap_until - now)
            elif agent.state is AgentState.IN_CALL:
                talking.append(now - agent.since)
        due = self.due()
        waiting: list[float] = []
        ringing: list[float] = []
        for call, line in self.lines.items():
            if line.campaign in apart:
                continue
            if line.state == PERSON:
                if agents.reserved_for(call) is None:
                    waiting.append(line.decided_at + due - now)
            elif agents.reserved_for(call) is None:
                ringing.append(now - line.dialled_at)
        return free, sorted(waiting), wraps, talking, ringing

    def _ringing_campaigns(self, apart: frozenset[str] = frozenset()) -> list[str]:
        """The campaigns of the ringing lines :meth:`_lines_and_agents` lists, in its order."""
        agents = self.agents
        return [
            line.campaign
            for call, line in self.lines.items()
            if line.state != PERSON
            and agents.reserved_for(call) is None
            and line.campaign not in apart
        ]

    def _supply(
        self, reach: float, free: int, wraps: list[float], talking: list[float]
    ) -> tuple[float, float]:
        """Mean and variance of the agents free within ``reach`` seconds."""
        mean = float(free) + sum(1.0 for w in wraps if w <= reach)
        var = 0.0
        for elapsed in talking:
            q = self.talk.ends_within(elapsed, reach - self.agents.wrap_up)
            mean += q
            var += q * (1 - q)
        return mean, var

    def _checkpoints(
        self,
        p: float,
        free: int,
        waiting: list[float],
        wraps: list[float],
        talking: list[float],
        ringing: list[float],
        odds: list[float] | None = None,
        owed: int = 0,
    ) -> list[tuple[float, float, float, float, float]]:
        """Per checkpoint: demand mean and variance, supply mean and variance, and the chance
        that a line dialled now is a person by then (``odds``: each ringing line's answer rate,
        else ``p``; ``owed``: the first agents to become free go to progressive campaigns).

        A person needs an agent free by their deadline (:meth:`due` after AMD "human"). At each
        checkpoint everybody whose deadline falls before it needs a distinct agent free by then;
        the expected shortfall at the worst checkpoint estimates the abandons. Checkpoints: each
        waiting person's deadline, then ``x`` seconds after the deadline of a person deciding
        now, over the span in which a line dialled now would decide.
        """
        due = self.due()
        points = []
        for count, remaining in enumerate(waiting, 1):
            # People already waiting get the next free agent before any new dial.
            s_mean, s_var = self._supply(remaining, free, wraps, talking)
            points.append((float(count), 0.0, s_mean, s_var, 0.0))
        span = self.to_person.quantile(0.95) if len(self.to_person) else 30.0
        steps = self.config.steps
        for x in (span * k / steps for k in range(steps + 1)):
            s_mean, s_var = self._supply(x + due, free, wraps, talking)
            if owed:
                s_mean = free + max(0.0, s_mean - free - owed)
            d_mean, d_var = float(len(waiting)), 0.0
            for i, elapsed in enumerate(ringing):
                q = self._person_within(p if odds is None else odds[i], elapsed, x)
                d_mean += q
                d_var += q * (1 - q)
            fresh = p * (1 - self.to_person.survival(x))
            points.append((d_mean, d_var, s_mean, s_var, fresh))
        return points

    def _answer_rate(self, now: float) -> float:
        humans = resolved = 0
        for s in self.stats.values():
            humans += s.day.count(stats.HUMAN, now)
            resolved += s.resolved(now)
        return humans / resolved if resolved else 0.0

    def _person_within(self, p: float, elapsed: float, x: float) -> float:
        """P(AMD says human within ``x`` more seconds | no decision after ``elapsed`` s).

        Bayes' rule over the measured dial -> decision times of people and of other outcomes:
        a line that has rung long is more likely to end unanswered.
        """
        alive = self.to_person.survival(elapsed)
        person = p * alive
        other = (1 - p) * self.to_other.survival(elapsed)
        if person + other <= 0:
            return 0.0
        return p * (alive - self.to_person.survival(elapsed + x)) / (person + other)


def _expected_excess(mean: float, var: float) -> float:
    """E[max(X, 0)] for an integer X approximated by Normal(mean, var).

    Continuity correction: E[max(X, 0)] = sum over k >= 1 of P(X >= k), about E[max(Y - 0.5, 0)].
    """
    mean -= 0.5
    sd = math.sqrt(var) if var > 0 else 0.0
    if sd == 0:
        return max(mean, 0.0)
    z = mean / sd
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return sd * pdf + mean * cdf
