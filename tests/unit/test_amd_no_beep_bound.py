"""The ideal observer of tools.amd_no_beep_bound on small hand-made layouts: the first stage's
prompt start, the generator's stop and reaction probabilities, the likelihood ratio's support and
value, and the frontier. No I/O."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from tools import amd_no_beep_bound as bound
from tools import make_amd_corpus

POOLS = bound.Pools(short=(0.4, 0.6, 0.8, 1.0, 1.2), long=(1.6, 2.4, 3.2))
KNOWN = POOLS.blurred(0.02)


def words(start: float, lengths: list[float], pause: float) -> tuple[bound.Clip, ...]:
    clips = []
    for length in lengths:
        clips.append((start, start + length))
        start += length + pause
    return tuple(clips)


def grid_mean(f: object, lo: float, hi: float) -> float:
    assert callable(f)
    xs = np.linspace(lo, hi, 200001)
    return float(np.mean([f(x) for x in xs[::100]]))


def test_prompt_starts_at_the_hand_off_while_the_greeting_goes_on() -> None:
    assert bound.prompt_start(words(0.2, [1.0, 1.0, 1.0, 1.0], 0.2)) == pytest.approx(3.9)
    # in a pause shorter than the turn gap at 3.9 s: still the hand-off
    assert bound.prompt_start(((0.0, 3.8), (4.0, 4.5))) == pytest.approx(3.9)


def test_prompt_waits_for_the_next_word_after_a_long_pause_at_the_hand_off() -> None:
    assert bound.prompt_start(((0.0, 3.6), (3.95, 4.5))) == pytest.approx(3.95)


def test_prompt_starts_after_the_end_of_greeting_when_the_greeting_is_over() -> None:
    assert bound.prompt_start(words(0.1, [0.6, 0.6], 0.2)) == pytest.approx(0.1 + 1.4 + 1.0)


def test_mailbox_stop_is_the_target_falling_in_the_last_clip_and_pause() -> None:
    assert bound.mailbox_stops(0.0, 2.0) == 0.0  # a target is at least 3 s
    assert bound.mailbox_stops(8.1, 9.0) == 0.0  # the loop had stopped before
    # 3.5 < target <= 4.0 + pause, pause uniform 0.08-0.35 (mean 0.215)
    assert bound.mailbox_stops(3.5, 4.0) == pytest.approx((0.5 + 0.215) / 5)

    def share(pause: float) -> float:
        return max(0.0, min(7.8 + pause, 8.0) - 7.5) / 5

    assert bound.mailbox_stops(7.5, 7.8) == pytest.approx(grid_mean(share, 0.08, 0.35), abs=1e-5)


def test_a_person_stops_in_the_pause_only_when_the_reaction_ends_there() -> None:
    assert bound.stop_in_pause(0.0) == 0.0  # the reaction takes at least 0.3 s
    assert bound.stop_in_pause(0.8) == 0.0  # ... and at most 0.7 s

    # the reaction ends within (0.5, 0.5 + pause): min(pause, 0.2) of its 0.4 s range
    inside = ((0.2**2 - 0.12**2) / 2 + 0.2 * 0.1) / 0.18
    assert bound.stop_in_pause(0.5) == pytest.approx(inside / 0.4)


@pytest.mark.parametrize(
    ("clips", "usual"),
    [
        (words(0.1, [0.6, 1.6, 0.6, 0.6], 0.2), words(0.1, [0.6, 0.8, 0.6, 0.6], 0.2)),
        (words(0.1, [0.7, 0.7, 0.7, 0.7], 0.33), words(0.1, [0.7, 0.7, 0.7, 0.7], 0.2)),
        (words(0.1, [0.8, 0.8, 0.8, 0.8], 0.1), words(0.1, [0.8, 0.8, 0.8, 0.8], 0.2)),
    ],
    ids=["long clip", "long pauses", "short pauses"],
)
def test_what_no_person_sends_is_a_sure_machine_to_the_exact_observer(
    clips: tuple[bound.Clip, ...], usual: tuple[bound.Clip, ...]
) -> None:
    obs = bound.Observation(clips)
    assert bound.likelihood_ratio(obs, POOLS, "whole", KNOWN) == math.inf
    # measured with a 20 ms error per boundary it is more likely a mailbox than a person's
    # usual words, but not sure
    timing = bound.likelihood_ratio(obs, POOLS, "timing", KNOWN)
    assert bound.likelihood_ratio(bound.Observation(usual), POOLS, "timing", KNOWN) < timing
    assert timing < math.inf


def test_three_words_ending_before_the_prompt_are_no_company_greeting() -> None:
    obs = bound.Observation(words(0.2, [0.6, 0.8, 0.6], 0.2))
    assert bound.person_terms(obs) == (0.0, 0.0)


def test_seven_words_are_a_machine_however_blurred_the_timing() -> None:
    obs = bound.Observation(words(0.2, [0.4] * 7, 0.2))
    assert bound.likelihood_ratio(obs, POOLS, "timing", KNOWN) == math.inf


def test_finely_measured_timing_gives_the_exact_ratio_where_no_word_was_cut() -> None:
    obs = bound.Observation(words(0.3, [0.8, 0.6, 0.8, 0.6], 0.2))  # ends before the prompt
    fine = POOLS.blurred(0.001)
    assert bound.likelihood_ratio(obs, POOLS, "timing", fine) == pytest.approx(
        bound.likelihood_ratio(obs, POOLS, "whole", fine), rel=1e-3
    )


def test_a_word_cut_off_is_a_person_to_the_observer_who_knows_the_recordings() -> None:
    obs = bound.Observation(words(0.2, [1.0, 1.0, 1.0, 0.6], 0.2), last_whole=False)
    assert obs.end - bound.prompt_start(obs.clips) == pytest.approx(0.5)
    assert bound.likelihood_ratio(obs, POOLS, "whole", KNOWN) == 0.0
    as_whole = bound.Observation(obs.clips)  # the same timing, the last word not cut
    assert 0 < bound.likelihood_ratio(obs, POOLS, "timing", KNOWN) < math.inf
    assert bound.likelihood_ratio(obs, POOLS, "timing", KNOWN) == pytest.approx(
        bound.likelihood_ratio(as_whole, POOLS, "timing", KNOWN)
    )  # without the recordings the observer cannot tell them apart


def test_a_short_greeting_ending_before_the_prompt_has_the_generators_ratio() -> None:
    obs = bound.Observation(words(0.3, [0.8, 0.6, 0.8, 0.6], 0.2))  # ends at 3.7 s
    assert obs.end == pytest.approx(3.7)
    assert bound.prompt_start(obs.clips) == pytest.approx(3.9)  # paused 0.2 s at 3.9 s
    # person: four words (1/3), not cut before the end (the prompt starts after it)
    # mailbox: four clips of the short pool, three pauses of its wider range, its target
    expected = POOLS.short_share**4 * (0.18 / 0.27) ** 3 * bound.mailbox_stops(2.8, 3.4) / (1 / 3)
    assert bound.likelihood_ratio(obs, POOLS, "whole", KNOWN) == pytest.approx(expected)
    whole, cut = bound.person_terms(obs)
    assert whole == pytest.approx(1 / 3)
    assert cut == 0.0


def test_a_person_stopping_in_a_pause_is_as_likely_as_the_reaction_allows() -> None:
    obs = bound.Observation(words(0.1, [0.9, 0.9, 0.9, 0.9], 0.15))  # ends at 4.15 s
    gap = obs.end - 3.9
    whole, cut = bound.person_terms(obs)
    not_cut = (0.7 - gap) / 0.4 if gap > 0.3 else 1.0
    assert whole == pytest.approx(not_cut / 3 + 2 / 3 * bound.stop_in_pause(gap))
    assert cut == 0.0  # 0.25 s after the prompt's start is too soon to have stopped


def test_every_drawn_mailbox_and_person_lies_in_its_own_support() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        mailbox = bound.draw_mailbox(rng, POOLS)
        assert bound.ratio_whole(mailbox, POOLS.short_share) > 0
        person = bound.draw_person(rng, POOLS)
        assert bound.person_could(person)
        whole, cut = bound.person_terms(person)
        assert (whole if person.last_whole else cut) > 0
        assert bound.ratio_whole(person, POOLS.short_share) < math.inf
        assert bound.ratio_timing(person, KNOWN) < math.inf


def test_the_generators_own_greeting_lies_in_the_mailbox_support() -> None:
    rng = random.Random(11)
    short = [np.ones(int(s * make_amd_corpus.RATE), dtype=np.float32) for s in POOLS.short]
    long_ = [np.ones(int(s * make_amd_corpus.RATE), dtype=np.float32) for s in POOLS.long]
    for _ in range(200):
        parts = [make_amd_corpus.silence(rng, 0.0, 0.6)]
        parts += make_amd_corpus._greeting(rng, short, long_, 3.0, 8.0)
        spans = make_amd_corpus.layout(parts)
        obs = bound.Observation(tuple((s / 1000, e / 1000) for _, s, e in spans))
        assert bound.ratio_whole(obs, POOLS.short_share) > 0


def test_the_frontier_trades_mailboxes_for_people_by_the_ratio() -> None:
    points = bound.frontier([math.inf, 2.0, 0.5], [1.0, 0.5, 0.1, 0.0])
    by_threshold = {p.threshold: (p.caught, p.dropped) for p in points}
    assert by_threshold[math.inf] == pytest.approx((1 / 3, 0.0))
    assert by_threshold[2.0] == pytest.approx((2 / 3, 0.0))
    assert by_threshold[0.5] == pytest.approx((1.0, 0.5))
    assert bound.best_within(points, 0.25, sure=1 / 3).caught == pytest.approx(2 / 3)
    assert bound.dropped_at([1.0, 0.5, 0.1, 0.0], 0.5) == 0.5


def test_three_words_are_a_person_when_people_say_two_to_six() -> None:
    obs = bound.Observation(words(0.2, [0.6, 0.8, 0.6], 0.2))
    assert bound.why_no_person(obs) == ["3 words ending before our prompt"]
    assert bound.person_terms(obs, words=(2, 3, 4, 5, 6))[0] == pytest.approx(1 / 5)
    assert bound.why_no_person(obs, words=(2, 3, 4, 5, 6)) == []


def test_a_person_still_talking_after_the_reaction_is_no_person() -> None:
    obs = bound.Observation(words(0.1, [1.0, 1.0, 1.0, 1.0, 0.6], 0.2))  # ends 5.5 s
    assert bound.person_terms(obs) == (0.0, 0.0)
    assert bound.likelihood_ratio(obs, POOLS, "timing", KNOWN) == math.inf


def test_a_greeting_going_on_over_our_prompt_is_no_person_unless_one_word_talks_over_it() -> None:
    words_before = words(0.1, [1.0, 1.0, 1.0, 0.5], 0.15)  # ends 4.05 s, prompt at 3.9 s
    assert bound.person_terms(bound.Observation(words_before))[0] > 0
    on = bound.Observation((*words_before, (4.2, 4.9)))  # goes on after a 150 ms pause
    assert bound.why_no_person(on) == ["speaking 1.00 s into our prompt"]
    over = bound.Observation((*words_before, (4.45, 4.9)))  # one word after 400 ms
    assert bound.why_no_person(over)[-1] == "(or a word talked over it)"
    assert bound.talked_over(over)
    assert not bound.talked_over(bound.Observation((*words_before, (4.45, 5.6))))  # 1.15 s
