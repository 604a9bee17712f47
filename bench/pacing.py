"""Benchmark: a working day of paced calling against a simulated PBX, per pacing mode.

    python -m bench.pacing [--agents 20] [--hours 8] [--people 0.30] [--machines 0.20]
                           [--talk-median 110] [--wrap 10] [--agent-lead 2] [--agent-answer 2]
                           [--safety 0.3] [--steps 20] [--seed 1] [--modes ...]
                           [--campaigns 2] [--json]

A discrete-event simulation on a simulated clock (nothing sleeps) drives the engine's own
scheduler, pacer and agent pool (``konform.engine``) the way the dialer shell does: it reports
each call event to the pacer, asks it for lines after every event and once a simulated second,
and claims that many contacts from the scheduler. Modes: ``blast`` (today's dialer: every due
number at once, up to ``--max-concurrent`` calls including their talk), ``progressive`` and
``predictive`` (and, on request, ``oracle``: the predictive pacer told each talk's true end).
Each contact attempt draws its far end from its own seed (common random numbers), so every mode
meets the same people, rings and talks. The far end: a person answers with ``--people``
probability, a machine with ``--machines``, the rest ring out (``--ring-timeout``) or are busy;
answers come after a uniform
4-20 s ring, AMD decides after about 2.5 s, the identification and consent question takes 8 s,
and a person without an agent 2 s after it ends is abandoned. Talk times are log-normal. The
agent is requested as the shell's flow does: at the human verdict when it was reserved at dial
(progressive) or in blast mode, else ``--agent-lead`` s before the question ends; its phone
answers after ``--agent-answer`` s (uniform +-50 %), the person is bridged when both the
question and the agent's answer are over, and a ring still going at the deadline is cancelled.
An agent that becomes free goes to the people waiting first (first come first served), as the
shell's ``_assign_waiters`` does before it dials.

Each mode runs one campaign. ``--campaigns 2`` adds the mode ``mixed``: a progressive and a
predictive campaign (weights 1:1, contacts alike) sharing the agents, each paced by its own
settings (:meth:`Pacer.plan`), with each campaign's abandon rate and people reached.

Prints per mode: agent occupancy (talk time / logged-in time), abandon rate overall and in the
worst clock hour (abandoned / people answered), people reached per agent-hour, and the
predictive gain (occupancy predictive - progressive). ``--json`` prints
``{"scenario": {...}, "modes": {mode: {...}}}``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import CampaignPacing, Pacer, PacingConfig
from konform.engine.scheduler import Claim, Contact, Scheduler

MODES = ("blast", "progressive", "predictive")
# Not a pacing mode: the predictive pacer told each talk's true end (a bound on what predicting
# talk ends better could give; never run by default).
ORACLE = "oracle"
START = 1_796_112_000.0  # a simulated Monday, 2026-12-07 09:00 UTC: only differences matter
CAMPAIGN = "sim"
MIXED = "mixed"  # --campaigns 2: a progressive and a predictive campaign share the agents


@dataclass(slots=True)
class Scenario:
    agents: int
    hours: float
    people: float
    machines: float
    busy: float
    ring_min: float
    ring_max: float
    ring_timeout: float
    talk_median: float
    talk_sigma: float
    wrap: float
    amd: float
    question: float
    grace: float
    agent_lead: float
    agent_answer: float
    safety: float
    steps: int
    max_concurrent: int
    retry_spacing: float
    seed: int


class OraclePacer(Pacer):
    """The predictive pacer with each talk's true end instead of its prediction (bench only)."""

    def __init__(self, config: PacingConfig, agents: AgentPool) -> None:
        super().__init__(config, agents)
        self.ends: dict[str, float] = {}  # agent -> instant its talk ends

    def _lines_and_agents(
        self,
        now: float,
        exclude: frozenset[str] = frozenset(),
        team: frozenset[str] | None = None,
        apart: frozenset[str] = frozenset(),
    ) -> tuple[int, list[float], list[float], list[float], list[float]]:
        free, waiting, wraps, _, ringing = super()._lines_and_agents(now, exclude, team, apart)
        remaining = [
            self.ends[a.name] - now
            for a in self.agents
            if a.state is AgentState.IN_CALL and (team is None or a.name in team)
        ]
        return free, waiting, wraps, remaining, ringing

    def _supply(
        self, reach: float, free: int, wraps: list[float], talking: list[float]
    ) -> tuple[float, float]:
        wrap = self.agents.wrap_up
        done = sum(1 for w in wraps if w <= reach) + sum(1 for r in talking if r + wrap <= reach)
        return float(free + done), 0.0


@dataclass(slots=True)
class Call:
    claim: Claim
    person: bool = False
    asked: bool = False  # the identification and consent question has ended
    requested: bool = False  # the flow asked for an agent
    late: bool = False  # it asks ``agent_lead`` s before the question ends (else at the verdict)
    answered: bool = False  # the agent's phone answered (it waits for the question to end)
    bridged: bool = False
    agent: str | None = None  # the agent reserved and rung for this call
    rng: random.Random = field(default_factory=random.Random)  # this attempt's own draws
    talk: float = 0.0  # how long the person talks once bridged
    ring: int = 0  # which ring of an agent for this call is current (older answers are stale)


@dataclass
class Day:
    """One simulated day of one mode."""

    sc: Scenario
    mode: str
    now: float = START
    events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    calls: dict[str, Call] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # people answered without an agent, FIFO
    talk: float = 0.0
    reached: int = 0
    humans_by_hour: list[int] = field(default_factory=list)
    abandons_by_hour: list[int] = field(default_factory=list)
    live: int = 0  # blast: calls holding a slot (ringing, question, talk)
    attempts: dict[str, int] = field(default_factory=dict)
    per_campaign: dict[str, dict[str, int]] = field(default_factory=dict)  # humans, lost, reached
    per_hour: dict[str, list[list[int]]] = field(default_factory=dict)  # [humans, abandoned]

    def __post_init__(self) -> None:
        sc = self.sc
        self.end = START + sc.hours * 3600
        hours = math.ceil(sc.hours)
        self.humans_by_hour = [0] * hours
        self.abandons_by_hour = [0] * hours
        self.pool = AgentPool(wrap_up=sc.wrap)
        for i in range(sc.agents):
            self.pool.set_state(f"agent{i}", AgentState.READY, START)
        config = PacingConfig(
            mode="predictive" if self.mode in ("predictive", ORACLE) else "progressive",
            hold=sc.question + sc.grace,
            agent_lead=sc.agent_lead,
            grace=sc.grace,
            max_lines=10_000,
            safety=sc.safety,
            steps=sc.steps,
        )
        self.pacer = (
            OraclePacer(config, self.pool) if self.mode == ORACLE else Pacer(config, self.pool)
        )
        if self.mode == MIXED:
            self.pacer.campaigns = {
                "progressive": CampaignPacing("progressive"),
                "predictive": CampaignPacing("predictive"),
            }
        else:
            self.pacer.campaigns = {CAMPAIGN: CampaignPacing(config.mode)}
        names = list(self.pacer.campaigns)
        self.per_campaign = {n: {"humans": 0, "abandoned": 0, "reached": 0} for n in names}
        self.per_hour = {n: [[0, 0] for _ in range(hours)] for n in names}
        self.scheduler = Scheduler()
        # Enough contacts that the list never runs dry: several times the day's possible dials.
        cycle = sc.talk_median * math.exp(sc.talk_sigma**2 / 2) + sc.wrap
        dials = sc.agents * sc.hours * 3600 / cycle / max(sc.people, 0.01)
        for i in range(int(dials * 3) + 1000):
            self.scheduler.add(Contact(f"c{i}", names[i % len(names)]), START)

    # --- event loop -----------------------------------------------------------------------------
    def at(self, t: float, action: Callable[[], None]) -> None:
        heapq.heappush(self.events, (t, next(self.seq), action))

    def run(self) -> dict[str, Any]:
        self.at(START, self.tick)
        while self.events:
            t, _, action = heapq.heappop(self.events)
            self.now = t
            action()
            if t < self.end:
                self.dial()
        return self.result()

    def tick(self) -> None:
        if self.now + 1 < self.end:
            self.at(self.now + 1, self.tick)

    def hour(self) -> int:
        return min(len(self.humans_by_hour) - 1, int((self.now - START) // 3600))

    # --- dialling -------------------------------------------------------------------------------
    def dial(self) -> None:
        if self.mode == "blast":
            for _ in range(max(0, self.sc.max_concurrent - self.live)):
                claim = self.scheduler.pick(self.now, "sim", lease=3600)
                if claim is None:
                    return
                self.start(claim)
            return
        for name in self.pool.tick(self.now):
            self.agent_free(name)
        self.serve_waiting()
        # As the shell does: each campaign's own lines, for that campaign's contacts.
        for campaign, lines in self.pacer.plan(self.now).items():
            for _ in range(lines):
                claim = self.scheduler.pick(self.now, "sim", lease=3600, campaign=campaign)
                if claim is None:
                    break
                self.start(claim)

    def start(self, claim: Claim) -> None:
        sc, now = self.sc, self.now
        key = claim.key
        # Common random numbers: the n-th attempt of a contact draws the same outcome, ring, AMD,
        # agent answer and talk times in every mode, so modes differ by their pacing only.
        attempt = self.attempts[key] = self.attempts.get(key, 0) + 1
        rng = random.Random(f"{sc.seed}:{key}:{attempt}")
        self.calls[key] = Call(claim, rng=rng)
        self.live += 1
        if self.mode != "blast":
            self.pacer.dialled(now, key, claim.campaign)
            if self.pacer.reserves_at_dial(now, claim.campaign):
                self.pool.reserve(key, now)  # progressive: the agent is held from the dial on
        draw = rng.random()
        answer = rng.uniform(sc.ring_min, sc.ring_max)
        decide = answer + rng.uniform(sc.amd - 0.5, sc.amd + 0.5)
        self.calls[key].talk = sc.talk_median * math.exp(rng.gauss(0, sc.talk_sigma))
        if draw < sc.people:
            self.at(now + decide, lambda: self.human(key))
        elif draw < sc.people + sc.machines:
            self.at(now + decide, lambda: self.ended(key, machine=True))
        elif draw < sc.people + sc.machines + (1 - sc.people - sc.machines) * sc.busy:
            self.at(now + rng.uniform(1, 3), lambda: self.ended(key, machine=False))
        else:
            self.at(now + sc.ring_timeout, lambda: self.ended(key, machine=False))

    def ended(self, key: str, *, machine: bool) -> None:
        call = self.calls.pop(key)
        self.live -= 1
        if self.mode != "blast":
            if machine:
                self.pacer.answered_machine(self.now, key)
            else:
                self.pacer.no_answer(self.now, key)
            self.pool.release(key)
        self.scheduler.finish(call.claim.key, self.now, retry=True, retry_in=self.sc.retry_spacing)

    # --- people and agents ----------------------------------------------------------------------
    def human(self, key: str) -> None:
        """AMD said human: the question plays; the agent is requested as the shell's flow does."""
        call = self.calls[key]
        call.person = True
        self.humans_by_hour[self.hour()] += 1
        self.counted(call, "humans")
        if self.mode != "blast":
            self.pacer.answered_human(self.now, key)
        question_end = self.now + self.sc.question
        self.at(question_end, lambda: self.asked(key))
        self.at(question_end + self.sc.grace, lambda: self.deadline(key))
        lead = self.lead(key)
        call.late = lead is not None
        if lead is None or lead >= self.sc.question:
            self.request(key)
        else:
            self.at(question_end - lead, lambda: self.request(key))

    def lead(self, key: str) -> float | None:
        """The shell's rule (``Engine._agent_lead``): a call dialled with its agent reserved
        rings that agent at once; blast (today's dialer) too; otherwise ``agent_lead`` s before
        the question ends."""
        if self.mode == "blast" or self.pool.reserved_for(key) is not None:
            return None
        return self.sc.agent_lead

    def request(self, key: str) -> None:
        """The flow's RequestAgent: the reserved agent, else the next free one, else wait."""
        call = self.calls.get(key)
        if call is None or call.requested:
            return
        call.requested = True
        if call.late and self.mode != "blast":
            self.pacer.agent_requested(self.now, key)
        agent = self.pool.reserved_for(key) or self.pool.reserve(key, self.now)
        if agent is None:
            self.waiting.append(key)
        else:
            self.ring_agent(key, agent)

    def ring_agent(self, key: str, agent: str) -> None:
        call = self.calls[key]
        call.agent = agent
        call.ring += 1
        ring = call.ring
        answer = call.rng.uniform(0.5 * self.sc.agent_answer, 1.5 * self.sc.agent_answer)
        self.at(self.now + answer, lambda: self.agent_answered(key, ring))

    def agent_answered(self, key: str, ring: int) -> None:
        call = self.calls.get(key)
        if call is None or call.ring != ring or call.bridged:
            return  # the call was abandoned meanwhile: the agent's ring was cancelled
        call.answered = True
        if call.asked:
            self.bridge(key)

    def asked(self, key: str) -> None:
        call = self.calls.get(key)
        if call is None:
            return
        call.asked = True
        if call.answered:
            self.bridge(key)
        elif not call.requested:
            self.request(key)

    def deadline(self, key: str) -> None:
        call = self.calls.get(key)
        if call is None or call.bridged:
            return
        # Abandoned: the agent request is cancelled; the person hears the identification,
        # callback number and opt-out menu.
        self.abandons_by_hour[self.hour()] += 1
        self.counted(call, "abandoned")
        if key in self.waiting:
            self.waiting.remove(key)
        if self.mode != "blast":
            self.pacer.abandoned(self.now, key)
        self.pool.release(key)
        del self.calls[key]
        self.at(self.now + 10, self.release_slot)  # the message plays, then the line is free
        self.scheduler.finish(key, self.now, retry=True, abandoned=True)

    def counted(self, call: Call, what: str) -> None:
        counts = self.per_campaign.get(call.claim.campaign)
        if counts is not None:
            counts[what] += 1
            if what != "reached":
                self.per_hour[call.claim.campaign][self.hour()][what == "abandoned"] += 1

    def release_slot(self) -> None:
        self.live -= 1

    def serve_waiting(self) -> None:
        """As the shell's ``_assign_waiters`` before it dials: any free agent (one whose
        reservation was released) goes to the people waiting, first come first served."""
        while self.waiting:
            agent = self.pool.reserve(self.waiting[0], self.now)
            if agent is None:
                return
            self.ring_agent(self.waiting.pop(0), agent)

    def agent_free(self, name: str) -> None:
        """An agent became ready: the longest-waiting person without an agent gets it."""
        if not self.waiting:
            return
        key = self.waiting[0]
        if self.pool.reserve(key, self.now) != name:
            self.pool.release(key)
            return
        self.waiting.pop(0)
        self.ring_agent(key, name)

    def bridge(self, key: str) -> None:
        call = self.calls[key]
        call.bridged = True
        self.pool.bridge(key, self.now)
        if self.mode != "blast":
            self.pacer.bridged(self.now, key)
        self.reached += 1
        self.counted(call, "reached")
        talk = call.talk
        if isinstance(self.pacer, OraclePacer) and call.agent is not None:
            self.pacer.ends[call.agent] = self.now + talk
        self.talk += max(0.0, min(self.now + talk, self.end) - self.now)
        self.at(self.now + talk, lambda: self.talk_end(key))

    def talk_end(self, key: str) -> None:
        self.calls.pop(key)
        self.live -= 1
        self.pool.hangup(key, self.now)
        if self.mode != "blast":
            self.pacer.talk_ended(self.now, key)
        self.scheduler.finish(key, self.now, retry=False)
        self.at(self.now + self.sc.wrap, self.wrap_end)

    def wrap_end(self) -> None:
        for name in self.pool.tick(self.now):
            self.agent_free(name)

    # --- figures --------------------------------------------------------------------------------
    def result(self) -> dict[str, Any]:
        sc = self.sc
        humans, abandons = sum(self.humans_by_hour), sum(self.abandons_by_hour)
        worst = max(
            (a / h for a, h in zip(self.abandons_by_hour, self.humans_by_hour, strict=True) if h),
            default=0.0,
        )
        agent_hours = sc.agents * sc.hours
        out: dict[str, Any] = {
            "occupancy": round(self.talk / (agent_hours * 3600), 4),
            "abandon_rate": round(abandons / humans, 4) if humans else 0.0,
            "worst_hour_abandon_rate": round(worst, 4),
            "people_per_agent_hour": round(self.reached / agent_hours, 2),
        }
        if self.mode == MIXED:
            out["campaigns"] = {
                name: {
                    "abandon_rate": round(c["abandoned"] / c["humans"], 4) if c["humans"] else 0.0,
                    "abandoned": c["abandoned"],
                    "worst_hour_abandon_rate": round(
                        max((a / h for h, a in self.per_hour[name] if h), default=0.0), 4
                    ),
                    "people_reached": c["reached"],
                }
                for name, c in self.per_campaign.items()
            }
        return out


def scenario_arguments(ap: argparse.ArgumentParser, hours: float = 8) -> None:
    """The simulated day's options (the fields of :class:`Scenario` but the seed)."""
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--hours", type=float, default=hours)
    ap.add_argument("--people", type=float, default=0.30, help="share of dials a person answers")
    ap.add_argument("--machines", type=float, default=0.20, help="share answered by a machine")
    ap.add_argument("--busy", type=float, default=0.2, help="share of the rest that is busy")
    ap.add_argument("--ring-min", type=float, default=4)
    ap.add_argument("--ring-max", type=float, default=20)
    ap.add_argument("--ring-timeout", type=float, default=25)
    ap.add_argument("--talk-median", type=float, default=110)
    ap.add_argument("--talk-sigma", type=float, default=0.6)
    ap.add_argument("--wrap", type=float, default=10)
    ap.add_argument("--amd", type=float, default=2.5, help="AMD decision after the answer, s")
    ap.add_argument("--question", type=float, default=8, help="identification + consent, s")
    ap.add_argument("--grace", type=float, default=2, help="bridge deadline after it, s")
    ap.add_argument(
        "--agent-lead", type=float, default=2, help="agent rung this long before the question ends"
    )
    ap.add_argument(
        "--agent-answer", type=float, default=2, help="agent's phone answers after ~this, s"
    )
    ap.add_argument("--safety", type=float, default=PacingConfig().safety, help="pacer's safety")
    ap.add_argument(
        "--steps", type=int, default=PacingConfig().steps, help="pacer's checkpoints per span"
    )
    ap.add_argument("--max-concurrent", type=int, default=20, help="blast mode's line limit")
    ap.add_argument("--retry-spacing", type=float, default=7200)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    scenario_arguments(ap)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", nargs="+", choices=(*MODES, ORACLE), default=list(MODES))
    ap.add_argument(
        "--campaigns",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: also a progressive and a predictive campaign sharing the agents (mode mixed)",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sc = Scenario(
        **{k: v for k, v in vars(args).items() if k not in ("json", "modes", "campaigns")},
    )
    modes = {m: Day(sc, m).run() for m in args.modes}
    if args.campaigns == 2:
        modes[MIXED] = Day(sc, MIXED).run()
    if args.json:
        print(json.dumps({"scenario": _scenario(sc), "modes": modes}))
        return
    print(
        f"agents {sc.agents}, {sc.hours:g} h, people {sc.people:.0%}, machines {sc.machines:.0%}, "
        f"talk median {sc.talk_median:g} s, wrap {sc.wrap:g} s, seed {sc.seed}"
    )
    print(f"{'mode':<12} {'occupancy':>9} {'abandon':>8} {'worst hour':>10} {'people/agent-h':>14}")
    for mode, r in modes.items():
        print(
            f"{mode:<12} {r['occupancy']:>9.3f} {r['abandon_rate']:>8.2%} "
            f"{r['worst_hour_abandon_rate']:>10.2%} {r['people_per_agent_hour']:>14.2f}"
        )
    if "predictive" in modes and "progressive" in modes:
        gain = modes["predictive"]["occupancy"] - modes["progressive"]["occupancy"]
        print(f"predictive gain (occupancy predictive - progressive): {gain:+.3f}")
    for name, c in modes.get(MIXED, {}).get("campaigns", {}).items():
        print(
            f"  {MIXED} campaign {name:<12} abandon {c['abandon_rate']:.2%}"
            f" ({c['abandoned']} abandoned, worst hour {c['worst_hour_abandon_rate']:.2%}),"
            f" people reached {c['people_reached']}"
        )


def _scenario(sc: Scenario) -> dict[str, float]:
    return {k: getattr(sc, k) for k in Scenario.__dataclass_fields__}


if __name__ == "__main__":
    main()
