"""How far any detector can go on mailboxes without a beep: an ideal observer's bound.

A no-beep mailbox (``machine/no-beep`` of ``tools.make_amd_corpus --hard``) records everything
we play after its greeting ends, so to leave no voicemail a detector must call it a machine by
the greeting's last sound. A person answering with a company greeting (``human/business-long``)
stops talking 300-700 ms after our prompt starts (the evaluator's reaction model) and then
listens. This tool asks how well an observer that knows the generator's true distributions can
tell the two apart at that moment, and so bounds every real detector on these corpora.

What the observer is given (everything the generator makes observable about the callee's
speech up to the moment it stops, nothing after it):

- the lead silence, each clip's start and end (so its duration, and its pool: the generator's
  short clips last 0.25-1.3 s, its long ones 1.3-4.5 s), the pauses, the number of clips;
- the moment the speech stops and, for that moment, when our prompt started (the first stage's
  rule: the hand-off 3.9 s after the answer while the greeting goes on, or 1.0 s after it);
- observer ``whole`` knows the pools' recordings: each clip's pool, exact timing, and whether
  the last clip was spoken to its end (it hears a word the reaction model cut off); observer
  ``timing`` knows only the pools' duration distributions and measures each clip boundary with
  an error (``--blur-ms``, logistic), so the generator's exact range edges do not help it.

Line noise, gain and level are drawn alike for both kinds and carry nothing. What a person says
after stopping (30 % say "ja?" over the prompt) comes after the moment of decision and is left
out, which only helps the observer. Why this bounds a real detector: a detector that hangs up on
a mailbox by its greeting's end does so on the sound up to some moment; a person whose sound up
to that moment is the same is dropped too. Told in addition that the sound has stopped for good,
the observer knows more than any causal detector, so its best trade (Neyman-Pearson: threshold
the likelihood ratio mailbox/person) drops at most as many people as any detector that catches
as many mailboxes.

    python -m tools.amd_no_beep_bound --pools POOLS.json [--samples N] [--seed S]
        [--blur-ms MS] [--person-words 4-6|2-6]
        [--corpus DIR --layout LAYOUT.json --eval EVAL.json] ...

``POOLS.json`` is ``tools.make_amd_corpus ... --pools FILE`` (the clip pools' durations);
``LAYOUT.json`` is its ``--layout``; ``EVAL.json`` is ``konform amd eval --corpus DIR --json``
(which mailboxes were missed, and when each person's prompt started). With a corpus, the
no-beep mailboxes the detector missed get a verdict each: their likelihood ratio and the share
of company-greeting people an observer catching them would drop. docs/amd.md, "How far a
detector can go on mailboxes without a beep", has the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from konform.amd.config import AmdConfig
from konform.amd.evaluate import REACTION_MS, TALKOVER_PAUSE_MS, read_label_rows
from tools import amd_limits
from tools.make_amd_corpus import TALKOVER_MAX_S

# The generator's distributions (tools/make_amd_corpus.py, ``hard()`` and ``_greeting()``).
LEAD_S = (0.0, 0.6)  # silence before the first clip, both kinds
SHORT_MAX_S = 1.3  # a short-pool clip lasts at most this long
PERSON_WORDS = (4, 5, 6)  # business-long: this many short clips, uniform
PERSON_PAUSE_S = (0.12, 0.3)  # ... each followed by a pause of this long
MAILBOX_PAUSE_S = (0.08, 0.35)  # no-beep: clips of both pools, pauses of this long ...
MAILBOX_TARGET_S = (3.0, 8.0)  # ... until clips and pauses reach a target drawn from this
# The first stage's prompt start and the evaluator's reaction (konform/amd).
RULES = AmdConfig()
HANDOFF_S = RULES.guard_handoff_ms / 1000
TURN_GAP_S = RULES.guard_turn_gap_ms / 1000
END_OF_GREETING_S = RULES.end_of_greeting_ms / 1000
REACTION_S = (REACTION_MS[0] / 1000, REACTION_MS[1] / 1000)
TALKOVER_PAUSE_S = (TALKOVER_PAUSE_MS[0] / 1000, TALKOVER_PAUSE_MS[1] / 1000)
BLUR_S = 0.02  # the timing observer's error on each clip boundary (one 20 ms frame)
GRID_MAX_MS = 5000  # duration tables up to this (the long pool's clips last up to 4.5 s)
EPS = 1e-6  # float slack on the generator's exact bounds
INNER_DB = 6.0  # a quiet run inside a recorded sentence: this close to the line's noise
OBSERVERS = ("whole", "timing")

Clip = tuple[float, float]  # start, end (s after the answer)


@dataclass(frozen=True)
class Observation:
    """The callee's speech up to the moment it stops: clips (start, end), the last ending at
    that moment, whether the last was spoken to its end (not cut by the reaction), and when our
    prompt started (None: by the first stage's rule, :func:`prompt_start`)."""

    clips: tuple[Clip, ...]
    last_whole: bool = True
    prompt: float | None = None

    @property
    def end(self) -> float:
        return self.clips[-1][1]

    def pauses(self) -> list[float]:
        return [b[0] - a[1] for a, b in itertools.pairwise(self.clips)]


@dataclass(frozen=True)
class Pools:
    """The generator's clip pools as durations (s)."""

    short: tuple[float, ...]
    long: tuple[float, ...]

    @property
    def short_share(self) -> float:
        return len(self.short) / (len(self.short) + len(self.long))

    def blurred(self, blur: float) -> Blurred:
        return Blurred.of(self, blur)


def _logistic(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1 / (1 + np.exp(-np.clip(x, -50, 50)))
    return out


@dataclass(frozen=True)
class Blurred:
    """What the timing observer knows: every clip boundary measured with an error (logistic,
    scale ``blur`` s), so a duration or a pause is its true value plus the difference of two
    such errors (taken as one logistic error of twice the scale). Holds the short and long
    pools' duration densities and the short pool's survival on a 1 ms grid, and the pause
    densities of both kinds. The loop's stop and the reaction are taken at the measured times."""

    blur: float
    short_share: float
    short_density: np.ndarray
    short_survival: np.ndarray
    long_density: np.ndarray

    @classmethod
    def of(cls, pools: Pools, blur: float) -> Blurred:
        grid = np.arange(0, GRID_MAX_MS + 1)[:, None] / 1000
        scale = 2 * blur  # the difference of two boundaries' errors

        def density(durations: tuple[float, ...]) -> np.ndarray:
            cdf = _logistic((grid - np.array(durations)[None, :]) / scale)
            out: np.ndarray = (cdf * (1 - cdf) / scale).mean(axis=1)
            return out

        survival = 1 - _logistic((grid - np.array(pools.short)[None, :]) / scale).mean(axis=1)
        return cls(blur, pools.short_share, density(pools.short), survival, density(pools.long))

    def at(self, table: np.ndarray, seconds: float) -> float:
        return float(table[min(max(round(seconds * 1000), 0), table.size - 1)])

    def uniform(self, seconds: float, lo: float, hi: float) -> float:
        """The density of a blurred pause drawn uniform in [lo, hi]."""
        scale = 2 * self.blur
        inside = _logistic(np.array([(seconds - lo) / scale, (seconds - hi) / scale]))
        return float(inside[0] - inside[1]) / (hi - lo)


def prompt_start(clips: Sequence[Clip]) -> float:
    """When the first stage starts our prompt on this speech (if nothing follows it): at the
    hand-off while the greeting goes on (speaking, or paused less than the turn gap), or at
    the end of greeting (that long after the last clip), whichever comes first."""
    for index, (start, end) in enumerate(clips):
        following = clips[index + 1][0] if index + 1 < len(clips) else math.inf
        at = max(HANDOFF_S, start)
        if at < min(end + TURN_GAP_S, following):
            return at
        if following - end >= END_OF_GREETING_S:
            return end + END_OF_GREETING_S
    return RULES.initial_silence_ms / 1000


def mean_piecewise_linear(
    f: Callable[[float], float], lo: float, hi: float, breaks: list[float]
) -> float:
    """The mean of ``f`` over [lo, hi], exact when ``f`` is linear between ``breaks``."""
    points = sorted({lo, hi, *(b for b in breaks if lo < b < hi)})
    area = sum((b - a) * (f(a) + f(b)) / 2 for a, b in itertools.pairwise(points))
    return area / (hi - lo)


def mailbox_stops(before: float, upto: float) -> float:
    """P(the greeting loop went on after clips and pauses summing to ``before`` and stopped
    with a clip reaching ``upto``): the target lies above ``before`` and at or below ``upto``
    plus the last pause (drawn, then dropped)."""
    lo_t, hi_t = MAILBOX_TARGET_S

    def share(pause: float) -> float:
        return max(0.0, min(upto + pause, hi_t) - max(before, lo_t)) / (hi_t - lo_t)

    lo, hi = MAILBOX_PAUSE_S
    return mean_piecewise_linear(share, lo, hi, [hi_t - upto, max(before, lo_t) - upto])


def stop_in_pause(gap: float) -> float:
    """P(a person whose prompt started ``gap`` before their clip's end stops in the pause
    after it): the reaction ends between the clip's end and the next word."""
    lo_r, hi_r = REACTION_S

    def share(pause: float) -> float:
        return max(0.0, min(gap + pause, hi_r) - max(gap, lo_r)) / (hi_r - lo_r)

    lo, hi = PERSON_PAUSE_S
    return mean_piecewise_linear(share, lo, hi, [lo_r - gap, hi_r - gap])


def _words_from(k: int, words: Sequence[int]) -> float:
    return sum(n >= k for n in words) / len(words)


def person_terms(obs: Observation, words: Sequence[int] = PERSON_WORDS) -> tuple[float, float]:
    """The person's likelihood of the moment their speech stops, given the clips and pauses
    before it: (the last clip ends whole there, the last clip was cut there), the second per
    second of the stop's time. 0 where no person stops like that."""
    k = len(obs.clips)
    if k > max(words):
        return 0.0, 0.0
    prompt = prompt_start(obs.clips) if obs.prompt is None else obs.prompt
    gap = obs.end - prompt  # how long before the speech stopped our prompt started
    lo_r, hi_r = REACTION_S
    not_cut_before = 1.0 if gap <= 0 else min(1.0, max(0.0, (hi_r - gap) / (hi_r - lo_r)))
    whole = (k in words) / len(words) * not_cut_before
    if gap > 0:
        whole += _words_from(k + 1, words) * stop_in_pause(gap)
    cut = _words_from(k, words) / (hi_r - lo_r) if lo_r <= gap <= hi_r else 0.0
    return whole, cut


def person_could(obs: Observation) -> bool:
    """Every clip of a person's length and every pause of a person's (exact timing)."""
    return all(e - s <= SHORT_MAX_S + EPS for s, e in obs.clips) and all(
        PERSON_PAUSE_S[0] - EPS <= g <= PERSON_PAUSE_S[1] + EPS for g in obs.pauses()
    )


def mailbox_stop_term(obs: Observation) -> float:
    """P(the greeting loop stopped with the last clip) for these clips and pauses."""
    start = obs.clips[0][0]
    before = obs.clips[-1][0] - start  # clips and pauses before the last clip
    return mailbox_stops(before, obs.end - start)


def ratio_whole(obs: Observation, short_share: float, words: Sequence[int] = PERSON_WORDS) -> float:
    """The likelihood ratio for the observer that knows the recordings (exact timing): each
    clip is one of the pool's recordings (1/size of the union pool against 1/size of the short
    one), each pause uniform in its kind's range."""
    if not obs.last_whole:
        return 0.0  # a mailbox plays every clip to its end
    gaps = obs.pauses()
    if any(not MAILBOX_PAUSE_S[0] - EPS <= g <= MAILBOX_PAUSE_S[1] + EPS for g in gaps):
        return 0.0
    mailbox = mailbox_stop_term(obs)
    if not person_could(obs):
        return math.inf if mailbox > 0 else 0.0
    person = person_terms(obs, words)[0]
    lo, hi = MAILBOX_PAUSE_S
    p_lo, p_hi = PERSON_PAUSE_S
    mailbox *= short_share ** len(obs.clips) * ((p_hi - p_lo) / (hi - lo)) ** len(gaps)
    if person <= 0:
        return math.inf if mailbox > 0 else 0.0
    return mailbox / person


def ratio_timing(obs: Observation, known: Blurred, words: Sequence[int] = PERSON_WORDS) -> float:
    """The likelihood ratio for the observer that knows the pools' duration distributions, not
    the recordings, and measures each boundary with ``known.blur``'s error."""
    mailbox = mailbox_stop_term(obs)
    whole, cut = person_terms(obs, words)
    person_rest = 1.0
    for start, end in obs.clips[:-1]:
        d = end - start
        short = known.at(known.short_density, d)
        mailbox *= known.short_share * short + (1 - known.short_share) * known.at(
            known.long_density, d
        )
        person_rest *= short
    for g in obs.pauses():
        mailbox *= known.uniform(g, *MAILBOX_PAUSE_S)
        person_rest *= known.uniform(g, *PERSON_PAUSE_S)
    d = obs.end - obs.clips[-1][0]
    short = known.at(known.short_density, d)
    mailbox *= known.short_share * short + (1 - known.short_share) * known.at(known.long_density, d)
    person = person_rest * (whole * short + cut * known.at(known.short_survival, d))
    if person <= 0:
        return math.inf if mailbox > 0 else 0.0
    return mailbox / person


def likelihood_ratio(
    obs: Observation,
    pools: Pools,
    observer: str,
    known: Blurred,
    words: Sequence[int] = PERSON_WORDS,
) -> float:
    """P(observation | no-beep mailbox) / P(observation | company-greeting person) for the
    observer (``whole`` or ``timing``); inf where no person could produce it, 0 where no
    mailbox could. The lead silence, line noise and level are drawn alike and cancel."""
    if observer == "whole":
        return ratio_whole(obs, pools.short_share, words)
    return ratio_timing(obs, known, words)


def talked_over(obs: Observation, words: Sequence[int] = PERSON_WORDS) -> bool:
    """Whether the last clip could be a person's word over our prompt (the reaction model's
    talk-over: one clip of at most 1 s, 0.3-0.8 s after they stopped), the rest a person's."""
    if len(obs.clips) < 2 or obs.clips[-1][1] - obs.clips[-1][0] > TALKOVER_MAX_S + EPS:
        return False
    before = Observation(obs.clips[:-1], prompt=obs.prompt)
    pause = obs.clips[-1][0] - before.end
    return TALKOVER_PAUSE_S[0] - EPS <= pause and sum(person_terms(before, words)) > 0


def why_no_person(obs: Observation, words: Sequence[int] = PERSON_WORDS) -> list[str]:
    """What in this observation no person of the model does (exact timing)."""
    reasons = []
    if any(e - s > SHORT_MAX_S + EPS for s, e in obs.clips):
        reasons.append("a clip over 1.3 s")
    if any(not PERSON_PAUSE_S[0] - EPS <= g <= PERSON_PAUSE_S[1] + EPS for g in obs.pauses()):
        reasons.append("a pause outside 120-300 ms")
    if len(obs.clips) > max(words):
        reasons.append(f"more than {max(words)} words")
    prompt = prompt_start(obs.clips) if obs.prompt is None else obs.prompt
    if obs.end - prompt > REACTION_S[1] + EPS:
        reasons.append(f"speaking {obs.end - prompt:.2f} s into our prompt")
        if talked_over(obs, words):
            reasons.append("(or a word talked over it)")
    elif person_terms(obs, words)[0] <= 0 and len(obs.clips) <= max(words):
        reasons.append(f"{len(obs.clips)} words ending before our prompt")
    return reasons


def draw_mailbox(rng: random.Random, pools: Pools) -> Observation:
    """A no-beep greeting as ``_greeting()`` draws it (durations only)."""
    clips = pools.short + pools.long
    at = rng.uniform(*LEAD_S)
    target = rng.uniform(*MAILBOX_TARGET_S)
    spans: list[Clip] = []
    total = 0.0
    while total < target:
        length = rng.choice(clips)
        spans.append((at, at + length))
        pause = rng.uniform(*MAILBOX_PAUSE_S)
        at += length + pause
        total += length + pause
    return Observation(tuple(spans))


def person_heard(
    clips: Sequence[Clip], stop: float, prompt: float | None = None
) -> Observation | None:
    """What a person with these clips sends until they stop at ``stop`` (None: nothing)."""
    heard = [(s, min(e, stop)) for s, e in clips if s < stop]
    if not heard:
        return None
    whole = heard[-1][1] == clips[len(heard) - 1][1]
    return Observation(tuple(heard), last_whole=whole, prompt=prompt)


def draw_person(
    rng: random.Random, pools: Pools, words: Sequence[int] = PERSON_WORDS
) -> Observation:
    """A company greeting as ``hard()`` draws it, cut by the reaction to our prompt."""
    at = rng.uniform(*LEAD_S)
    spans: list[Clip] = []
    for _ in range(rng.choice(words)):
        length = rng.choice(pools.short)
        spans.append((at, at + length))
        at += length + rng.uniform(*PERSON_PAUSE_S)
    stop = prompt_start(spans) + rng.uniform(*REACTION_S)
    heard = person_heard(spans, stop)
    assert heard is not None
    return heard


@dataclass(frozen=True)
class Point:
    threshold: float
    caught: float  # share of no-beep mailboxes caught by their greeting's end
    dropped: float  # share of company-greeting people dropped


def frontier(mailboxes: Sequence[float], people: Sequence[float]) -> list[Point]:
    """Every threshold's trade: call a machine where the ratio is at least the threshold."""
    m = np.sort(np.nan_to_num(np.asarray(mailboxes, dtype=float), nan=0.0, posinf=np.inf))
    p = np.sort(np.nan_to_num(np.asarray(people, dtype=float), nan=0.0, posinf=np.inf))
    thresholds = np.unique(np.concatenate([m, p]))
    thresholds = thresholds[thresholds > 0][::-1]
    caught = (m.size - np.searchsorted(m, thresholds, side="left")) / m.size
    dropped = (p.size - np.searchsorted(p, thresholds, side="left")) / p.size
    return [
        Point(float(t), float(c), float(d))
        for t, c, d in zip(thresholds, caught, dropped, strict=True)
    ]


def best_within(points: Sequence[Point], dropped: float, sure: float) -> Point:
    """The most mailboxes caught dropping at most ``dropped`` (``sure``: caught at no cost)."""
    fits = [p for p in points if p.dropped <= dropped + 1e-12]
    return max(fits, key=lambda p: p.caught, default=Point(math.inf, sure, 0.0))


def dropped_at(people: Sequence[float], ratio: float) -> float:
    """The share of people an observer that catches a mailbox of this ratio drops."""
    return sum(r >= ratio for r in people) / len(people)


def read_pools(path: Path) -> Pools:
    data = json.loads(path.read_text())
    return Pools(
        tuple(ms / 1000 for ms in data["short_ms"]), tuple(ms / 1000 for ms in data["long_ms"])
    )


def corpus_observations(
    corpus: Path, layout_path: Path, eval_path: Path
) -> tuple[list[tuple[str, Observation, bool]], list[tuple[str, Observation]]]:
    """The corpus's no-beep mailboxes (name, observation, missed by the detector) and its
    company-greeting people as they sent it (name, observation: cut at the detector's own
    prompt start plus the file's reaction time). Our prompt starts at the detector's first
    "human" (the observer knows when we started talking); a mailbox the first stage called a
    machine keeps the rule's start."""
    layout = json.loads(layout_path.read_text())
    per_file = {row["file"]: row for row in json.loads(eval_path.read_text())["per_file"]}
    mailboxes: list[tuple[str, Observation, bool]] = []
    people: list[tuple[str, Observation]] = []
    for name, _, kind, _, _ in read_label_rows(corpus):
        clips = [(s / 1000, e / 1000) for what, s, e in layout[name] if what == "clip"]
        row = per_file[name]
        prompt = row["first_decision_ms"] / 1000 if row["first_decision"] == "human" else None
        if kind == "no-beep":
            observed = Observation(tuple(clips), prompt=prompt)
            mailboxes.append((name, observed, row["decision"] == "human"))
        elif kind == "business-long" and prompt is not None:
            after = random.Random(f"reaction/{name}").randint(*REACTION_MS) / 1000
            heard = person_heard(clips, prompt + after, prompt)
            if heard is not None:
                people.append((name, heard))
    return mailboxes, people


def inner_pauses(path: Path, obs: Observation) -> list[int]:
    """The longest quiet run (ms, ``INNER_DB`` over the line's noise, ``tools.amd_limits``'s
    measure) inside each clip over 1.3 s: at a person's pause length or more the audio splits
    the recorded sentence into words, and what a detector hears of it is short words."""
    over_noise = amd_limits.levels_over_noise(path)
    step = amd_limits.STEP_MS
    runs = []
    for start, end in obs.clips:
        if end - start > SHORT_MAX_S + EPS:
            a, b = int(start * 1000 // step), int(end * 1000 // step)
            runs.append(amd_limits.longest_run(over_noise[a + 2 : b - 2] < INNER_DB))
    return runs


def _share(value: float) -> str:
    return f"{100 * value:5.1f} %"


BUDGETS = (0.0, 0.01, 0.02, 0.04, 0.08, 0.12, 0.2, 0.4)
"""Shares of company-greeting people dropped the frontier table prints (a quarter of the hard
corpus's people give a company greeting: 12 % of them is 3 % of all people, 20 % the kind's
80 % floor)."""


@dataclass(frozen=True)
class Model:
    """What the observer knows: the pools, the timing error, how many words people say."""

    pools: Pools
    known: Blurred
    words: tuple[int, ...]

    def ratio(self, obs: Observation, observer: str) -> float:
        return likelihood_ratio(obs, self.pools, observer, self.known, self.words)


def print_frontier(model: Model, samples: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    pools = model.pools
    mailbox_obs = [draw_mailbox(rng, pools) for _ in range(samples)]
    person_obs = [draw_person(rng, pools, model.words) for _ in range(samples)]
    ratios: dict[str, list[float]] = {}
    print(
        f"pools: {len(pools.short)} short, {len(pools.long)} long clips; {samples} no-beep"
        f" mailboxes and {samples} people of {min(model.words)}-{max(model.words)} words drawn"
        f" (seed {seed}); timing observer's error per boundary {1000 * model.known.blur:.0f} ms"
    )
    for observer in OBSERVERS:
        m = [model.ratio(o, observer) for o in mailbox_obs]
        p = [model.ratio(o, observer) for o in person_obs]
        ratios[observer] = p
        points = frontier(m, p)
        sure = sum(r == math.inf for r in m) / len(m)
        could = sum(r > 0 for r in p) / len(p)
        print(
            f"\nobserver '{observer}': no-beep mailboxes no person could have sent"
            f" {_share(sure)}; people a mailbox could have sent {_share(could)}"
        )
        print("company people dropped  all people dropped  no-beep caught  missed of 51")
        for budget in BUDGETS:
            best = best_within(points, budget, sure)
            print(
                f"{_share(best.dropped):>22}  {_share(best.dropped / 4):>18}"
                f"  {_share(best.caught):>14}  {51 * (1 - best.caught):12.2f}"
            )
        full = min((r for r in m if r > 0), default=math.inf)
        print(
            f"every mailbox caught (ratio >= {full:.3g}): company people dropped"
            f" {_share(dropped_at(p, full))}, all people {_share(dropped_at(p, full) / 4)}"
        )
    return ratios


def print_corpus(
    model: Model, corpus: Path, layout: Path, evaluation: Path, ratios: dict[str, list[float]]
) -> None:
    mailboxes, people = corpus_observations(corpus, layout, evaluation)
    missed = [(n, o) for n, o, miss in mailboxes if miss]
    print(f"\n{corpus}: {len(mailboxes)} no-beep mailboxes, {len(missed)} missed by the detector")
    for observer in OBSERVERS:
        near = [(n, miss) for n, o, miss in mailboxes if 0 < model.ratio(o, observer) < math.inf]
        print(
            f"  {observer}: {len(near)} inside the people's support"
            f" ({sum(miss for _, miss in near)} of them missed): " + ", ".join(n for n, _ in near)
        )
    whole_in_audio = []
    for name, obs in missed:
        gaps = ", ".join(f"{1000 * g:.0f}" for g in obs.pauses())
        lengths = ", ".join(f"{1000 * (e - s):.0f}" for s, e in obs.clips)
        runs = inner_pauses(corpus / name, obs)
        whole_in_audio += [ms < 1000 * PERSON_PAUSE_S[0] for ms in runs]
        inner = ", ".join(f"{ms} ms" for ms in runs)
        why = "; ".join(why_no_person(obs, model.words)) or "a person could send it"
        print(
            f"  {name}: greeting ends {obs.end:.2f} s, our prompt from {obs.prompt or 0:.2f} s;"
            f" clips [{lengths}] ms, pauses [{gaps}] ms; no person: {why}"
            + (f"; longest pause inside each long clip, in the audio: {inner}" if inner else "")
        )
        for observer in OBSERVERS:
            here = [model.ratio(o, observer) for _, o in people]
            ratio = model.ratio(obs, observer)
            inside = 0 < ratio < math.inf
            print(
                f"    {observer:>6}: ratio {ratio:.3g}"
                + (f" (P(mailbox) {ratio / (1 + ratio):.2f} at equal priors)" if inside else "")
                + f"; {'inside' if inside else 'outside'} the people's support; catching it drops"
                f" {_share(dropped_at(ratios[observer], ratio))} of company people (model),"
                f" {sum(r >= ratio for r in here)} of this corpus's {len(here)}"
            )
    print(
        f"  clips over 1.3 s in the missed greetings: {len(whole_in_audio)}; the audio shows"
        f" {sum(whole_in_audio)} of them whole (no quiet run of a person's shortest pause inside)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pools", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--blur-ms", type=float, default=BLUR_S * 1000, help="timing error per clip boundary"
    )
    parser.add_argument(
        "--person-words",
        choices=["4-6", "2-6"],
        default="4-6",
        help="people's words: 4-6 (the hard corpus's company greetings) or 2-6 (with the"
        " development corpus's 2-4 word business answers)",
    )
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--layout", type=Path, action="append", default=[])
    parser.add_argument("--eval", type=Path, action="append", default=[])
    args = parser.parse_args()
    if not len(args.corpus) == len(args.layout) == len(args.eval):
        raise SystemExit("amd_no_beep_bound: give --corpus, --layout and --eval once per corpus")
    if args.samples < 1 or args.blur_ms <= 0:
        raise SystemExit("amd_no_beep_bound: --samples and --blur-ms must be positive")
    try:
        pools = read_pools(args.pools)
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"amd_no_beep_bound: {args.pools}: not a --pools file ({exc})") from None
    lo, hi = (int(n) for n in args.person_words.split("-"))
    model = Model(pools, pools.blurred(args.blur_ms / 1000), tuple(range(lo, hi + 1)))
    ratios = print_frontier(model, args.samples, args.seed)
    for corpus, layout, evaluation in zip(args.corpus, args.layout, args.eval, strict=True):
        try:
            print_corpus(model, corpus, layout, evaluation, ratios)
        except (OSError, ValueError, KeyError) as exc:
            raise SystemExit(f"amd_no_beep_bound: {corpus}: {exc}") from None


if __name__ == "__main__":
    main()
