"""Benchmark: how far predictive pacing can go - frontiers of occupancy against abandons.

    python -m bench.pacing_bound [--controller pacer|oracle|lookahead|lookahead-oracle]
                                 [--knobs ...] [--agents 20] [--talk-median 110] [--hours 2]
                                 [--seeds 1] [--guard] [--analytic] [--json] [bench.pacing options]

It runs the day of :mod:`bench.pacing` (same simulated far end, common random numbers) with one
controller per run and one value of its knob per point, and prints occupancy, abandon rate over
the day and in the worst clock hour, per point: the frontier of that controller.

Controllers:

- ``pacer``: the production predictive pacer (``konform.engine.pacing``); knob = ``safety``
  (``--headroom-none`` moves the hour guard's closing point).
- ``oracle``: the same pacer told each talk's true end (``bench.pacing``'s oracle); knob = safety.
- ``lookahead``: a Monte-Carlo look-ahead (model-predictive) dialler that knows the simulation's
  TRUE distributions (answer shares, ring, AMD, talk, agent answer): once a second it samples
  ``--samples`` futures of everything in flight - which ringing lines become people and when
  (conditioned on how long they have rung), when each talk ends (conditioned on its age) - and of
  n new lines, counts the people left without an agent in each future (Hall's deficit: the worst
  excess of people due over agents free, over a 34-s horizon; exact for these nested needs) and
  dials while the next line's marginal expected abandons stay within ``knob x answer share``
  (a Lagrangian price on an abandon: sweeping it traces the frontier). ``--guard`` scales the
  price with the production pacer's hour headroom.
- ``lookahead-oracle``: the same with each talk's true end (nothing about agents is uncertain).

``--analytic`` prints the pool model instead (no simulation): agents that become free must be
waiting for people who arrive with a lag after the dial, thinned by the answer share; the idle
pool's spread over the lag is Gaussian; the pool's mean that keeps P(no agent) at the target is
the idle time. See docs/pacing-limits.md.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

import konform.engine.pacing as engine_pacing
from bench.pacing import ORACLE, Day, Scenario, scenario_arguments
from konform.engine.agents import AgentState
from konform.engine.pacing import Pacer

CONTROLLERS = ("pacer", "oracle", "lookahead", "lookahead-oracle")
HORIZON = 34.0  # s: a line dialled now needs its agent at most ring 20 + AMD 3 + question 8 + 2 - 1
POOL = 200_000  # draws behind each true distribution the look-ahead samples from

Floats = npt.NDArray[np.float64]


class _AlwaysPredictive(Pacer):
    """The production pacer as the look-ahead's bookkeeper: measured rates and the hour guard,
    never thin (so the day never reserves an agent at dial for the look-ahead's lines)."""

    def thin(self, now: float, campaign: str | None = None) -> bool:
        return False


@dataclass
class Lookahead:
    """The Monte-Carlo look-ahead dialler's model of the far end (the true distributions)."""

    sc: Scenario
    price: float  # dial while marginal expected abandons <= price x answer share
    oracle: bool
    samples: int
    seed: int
    rng: np.random.Generator = field(init=False)
    talks: Floats = field(init=False)
    decisions: Floats = field(init=False)

    def __post_init__(self) -> None:
        sc = self.sc
        self.rng = np.random.default_rng(self.seed)
        self.talks = np.sort(
            sc.talk_median * np.exp(self.rng.normal(0.0, sc.talk_sigma, POOL))
        ).astype(np.float64)
        # Dial -> AMD verdict of a line a person or a machine answers.
        ring = self.rng.uniform(sc.ring_min, sc.ring_max, POOL)
        self.decisions = np.sort(ring + self.rng.uniform(sc.amd - 0.5, sc.amd + 0.5, POOL))

    # --- sampling the future ----------------------------------------------------------------------
    def _tail(self, pool: Floats, elapsed: Floats) -> Floats:
        """Per sample and item: a draw of ``pool`` conditioned on > ``elapsed``, minus it."""
        n = len(pool)
        start = np.minimum(np.searchsorted(pool, elapsed, side="right"), n - 1)
        u = self.rng.random((self.samples, len(elapsed)))
        idx = start + (u * (n - start)).astype(np.int64)
        tail: Floats = pool[np.minimum(idx, n - 1)] - elapsed
        return tail

    def _person_share(self, elapsed: Floats) -> Floats:
        """P(the line becomes a person | no verdict after ``elapsed`` s of ringing)."""
        sc = self.sc
        n = len(self.decisions)
        alive = 1.0 - np.searchsorted(self.decisions, elapsed, side="right") / n
        busy = (1 - sc.people - sc.machines) * sc.busy
        silent = 1 - sc.people - sc.machines - busy
        others = (
            sc.machines * alive
            + busy * np.clip((3.0 - elapsed) / 2.0, 0.0, 1.0)
            + silent * (elapsed < sc.ring_timeout)
        )
        person = sc.people * alive
        total = person + others
        return np.where(total > 0, person / np.where(total > 0, total, 1.0), 0.0)

    def _need(self, verdict_in: Floats) -> Floats:
        """Seconds from now by which an agent must be free for a person whose verdict comes
        ``verdict_in`` s from now: question + grace - the agent phone's answer time."""
        sc = self.sc
        answer = self.rng.uniform(0.5 * sc.agent_answer, 1.5 * sc.agent_answer, verdict_in.shape)
        need: Floats = verdict_in + sc.question + sc.grace - answer
        return need

    def supply(self, day: BoundDay) -> Floats:
        """Per sample and agent: seconds from now until the agent is free (-1: free now; inf:
        busy beyond the horizon, e.g. reserved and ringing, in for a whole talk)."""
        now, wrap = day.now, day.sc.wrap
        fixed: list[float] = []
        elapsed: list[float] = []
        for agent in day.pool:
            if agent.free:
                fixed.append(-1.0)
            elif agent.state is AgentState.WRAP_UP:
                fixed.append(agent.wrap_until - now)
            elif agent.state is AgentState.IN_CALL:
                if self.oracle:
                    fixed.append(day.ends[agent.name] - now + wrap)
                else:
                    elapsed.append(now - agent.since)
        known = np.broadcast_to(np.array(fixed, dtype=np.float64), (self.samples, len(fixed)))
        if not elapsed:
            return np.asarray(known, dtype=np.float64)
        return np.concatenate([known, self._tail(self.talks, np.array(elapsed)) + wrap], axis=1)

    def demand(self, day: BoundDay) -> Floats:
        """Per sample and line: seconds from now by which the line's person needs an agent (inf:
        not a person). People waiting without an agent, and lines still ringing."""
        now = day.now
        verdicts: list[float] = []
        ringing: list[float] = []
        for call, line in day.pacer.lines.items():
            if line.state == "person":
                if day.pool.reserved_for(call) is None:
                    verdicts.append(line.decided_at - now)
            else:
                ringing.append(now - line.dialled_at)
        waiting = np.broadcast_to(np.array(verdicts), (self.samples, len(verdicts)))
        need = self._need(np.array(waiting, dtype=np.float64))
        if not ringing:
            return need
        elapsed = np.array(ringing)
        person = self.rng.random((self.samples, len(ringing))) < self._person_share(elapsed)
        more = np.where(person, self._need(self._tail(self.decisions, elapsed)), np.inf)
        return np.concatenate([need, more], axis=1)

    def expected_abandons(self, day: BoundDay, most: int) -> Floats:
        """E[people left without an agent] with 0..most new lines dialled now.

        Per sampled future, people (+1 at their need) and agents (-1 when free) in time order,
        an agent first on a tie: the largest running excess is the fewest people no matching of
        agents to people can serve (Hall's theorem: each person can take any agent free by the
        need, so the sets are nested). Beyond the horizon nothing is counted.
        """
        agents = self.supply(day)
        people = self.demand(day)
        fresh = self.rng.random((self.samples, most)) < self.sc.people
        verdict = self.decisions[self.rng.integers(0, len(self.decisions), (self.samples, most))]
        new = np.where(fresh, self._need(verdict), np.inf)
        times = np.concatenate([agents - 1e-9, people, new], axis=1)
        a, p = agents.shape[1], people.shape[1]
        base = np.concatenate([np.full(a, -1), np.ones(p), np.zeros(most)])
        index = np.concatenate([np.full(a + p, most), np.arange(most)])  # new line j, else most
        order = np.argsort(times, axis=1)
        inside = np.take_along_axis(times, order, axis=1) <= HORIZON
        base_sorted = np.where(inside, base[order], 0.0)
        index_sorted = np.where(inside, index[order], most)
        counts = np.arange(most + 1)[:, None, None]  # n new lines: those with index < n count
        steps = base_sorted[None, :, :] + (index_sorted[None, :, :] < counts)
        excess = np.maximum(np.cumsum(steps, axis=2).max(axis=2), 0.0)  # (most + 1) x samples
        result: Floats = excess.mean(axis=1)
        return result

    def lines(self, day: BoundDay, headroom: float) -> int:
        most = max(8, day.sc.agents // 2 + 4)
        expected = self.expected_abandons(day, most)
        price = self.price * self.sc.people * headroom
        n = 0
        while n < most and expected[n + 1] - expected[n] <= price:
            n += 1
        return n


class BoundDay(Day):
    """A day of :mod:`bench.pacing` dialled by the look-ahead (decides once a second)."""

    def __init__(self, sc: Scenario, mode: str, price: float, samples: int, guard: bool) -> None:
        super().__init__(sc, mode)
        config = replace(self.pacer.config, mode="predictive")
        self.pacer = _AlwaysPredictive(config, self.pool)
        self.ends: dict[str, float] = {}
        self.guard = guard
        self.next_decision = 0.0
        self.look = Lookahead(sc, price, mode == "lookahead-oracle", samples, sc.seed)

    def dial(self) -> None:
        for name in self.pool.tick(self.now):
            self.agent_free(name)
        if self.now < self.next_decision or self.pool.working_count() == 0:
            return
        self.next_decision = self.now + 1.0
        headroom = self.pacer.headroom(self.now) if self.guard else 1.0
        for _ in range(self.look.lines(self, headroom)):  # headroom 0: risk-free lines only
            claim = self.scheduler.pick(self.now, "sim", lease=3600)
            if claim is None:
                return
            self.start(claim)

    def bridge(self, key: str) -> None:
        call = self.calls[key]
        super().bridge(key)
        if call.agent is not None:
            self.ends[call.agent] = self.now + call.talk


def run_point(
    sc: Scenario, controller: str, knob: float, samples: int = 256, guard: bool = False
) -> dict[str, float]:
    """One day of ``controller`` at ``knob`` (safety for the pacers, price for the look-ahead)."""
    if controller in ("pacer", "oracle"):
        mode = "predictive" if controller == "pacer" else ORACLE
        return Day(replace(sc, safety=knob), mode).run()
    return BoundDay(sc, controller, knob, samples, guard).run()


# --- the analytic pool model ---------------------------------------------------------------
def analytic(
    sc: Scenario, abandon: float, oracle: bool = False, lag: float | None = None
) -> dict[str, float]:
    """Occupancy of the best causal dialler by the Gaussian pool model at ``abandon``.

    The pool I is free agents less people who asked for an agent and have none: agents freeing
    up raise it, people asking lower it. An agent idles while I > 0; a person is abandoned when
    the people ahead of them outnumber the agents free by their deadline, i.e. I below minus
    the agents that free up during the wait a person can bear after asking (``agent_lead`` +
    ``grace`` - the agent's answer, at the rate agents free up). The dialler sets I's expected
    level ``lag`` seconds ahead (default: until a line's outcome is known, mean ring + AMD; the
    people known by then are known demand); over the lag I moves by the people arriving
    (lines answered with share p: Binomial thinning, variance rate x (1 - p)) and the agents
    freeing (a renewal process, variance rate x the squared coefficient of variation of an
    agent's cycle; none with the oracle): I ~ Normal(m, s^2). ``abandon`` = P(I < 0.5 - wait x
    rate) sets m; the idle agents are E[max(I, 0)], and the rate of people served solves
    agents = rate x (talk + wrap + agent answer) + idle (a fixed point).
    """
    talk = sc.talk_median * math.exp(sc.talk_sigma**2 / 2)
    busy = talk + sc.wrap + sc.agent_answer
    if lag is None:
        lag = (sc.ring_min + sc.ring_max) / 2 + sc.amd
    wait = max(0.0, sc.agent_lead + sc.grace - sc.agent_answer)
    z = NormalDist().inv_cdf(1 - abandon)
    rate = sc.agents / busy
    idle = mean = 0.0
    talk_sd = talk * math.sqrt(math.exp(sc.talk_sigma**2) - 1)
    for _ in range(200):
        # Agents free up as a renewal process: over a long window its count's variance is the
        # rate x the squared coefficient of variation of an agent's cycle (talk's spread only).
        cv2 = 0.0 if oracle else (talk_sd * rate / (sc.agents - idle)) ** 2
        spread = math.sqrt(rate * lag * ((1 - sc.people) + cv2))
        mean = 0.5 - wait * rate + z * spread
        u = mean / spread
        idle = spread * math.exp(-u * u / 2) / math.sqrt(2 * math.pi) + mean * NormalDist().cdf(u)
        rate = max(1e-9, 0.5 * rate + 0.5 * (sc.agents - idle) / busy)
    return {
        "occupancy": round(rate * talk / sc.agents, 4),
        "idle_per_call_s": round(idle / rate, 1),
        "pool_mean": round(mean, 2),
        "lag_s": lag,
    }


def _scenario(args: argparse.Namespace, seed: int) -> Scenario:
    skip = {
        "controller",
        "knobs",
        "seeds",
        "samples",
        "guard",
        "analytic",
        "lag",
        "json",
        "headroom_none",
    }
    fields = {k: v for k, v in vars(args).items() if k not in skip}
    return Scenario(**fields, seed=seed)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--controller", choices=CONTROLLERS, default="lookahead")
    ap.add_argument(
        "--knobs",
        type=float,
        nargs="+",
        default=[0.3],
        help="safety (pacers) or price (look-ahead)",
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--samples", type=int, default=256, help="look-ahead: futures per decision")
    ap.add_argument("--guard", action="store_true", help="look-ahead: the pacer's hour headroom")
    ap.add_argument("--headroom-none", type=float, default=engine_pacing.HEADROOM_NONE)
    ap.add_argument("--analytic", action="store_true", help="the pool model, no simulation")
    ap.add_argument("--lag", type=float, help="pool model: its lag, s (default: ring + AMD)")
    ap.add_argument("--json", action="store_true")
    scenario_arguments(ap, hours=2)
    return ap


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    engine_pacing.HEADROOM_NONE = args.headroom_none  # the pacer reads it at each decision
    if args.analytic:
        sc = _scenario(args, args.seeds[0])
        rows = {
            f"{a:g}": {
                "causal": analytic(sc, a, lag=args.lag),
                "oracle": analytic(sc, a, oracle=True, lag=args.lag),
            }
            for a in args.knobs
        }
        print(json.dumps({"scenario": _fields(sc), "abandon": rows}))
        return
    points = []
    for knob in args.knobs:
        for seed in args.seeds:
            sc = _scenario(args, seed)
            result = run_point(sc, args.controller, knob, args.samples, args.guard)
            points.append({"knob": knob, "seed": seed, **result})
            if not args.json:
                print(
                    f"{args.controller:<16} knob {knob:<6g} seed {seed} "
                    f"occupancy {result['occupancy']:.3f} abandon {result['abandon_rate']:.2%} "
                    f"worst hour {result['worst_hour_abandon_rate']:.2%}",
                    flush=True,
                )
    if args.json:
        sc = _scenario(args, args.seeds[0])
        print(
            json.dumps({"controller": args.controller, "scenario": _fields(sc), "points": points})
        )


def _fields(sc: Scenario) -> dict[str, float]:
    return {k: getattr(sc, k) for k in Scenario.__dataclass_fields__}


if __name__ == "__main__":
    main()
