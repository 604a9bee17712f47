"""The guard's turn-taking rule on synthetic signals: a person stops talking when our prompt
starts, a recording talks on. Background (a TV well below the person) does not count."""

from __future__ import annotations

import numpy as np

from konform.amd.detector import Detector
from konform.amd.evaluate import run_call
from konform.amd.guard import Guard
from tests.amd_signals import RATE, mix, pcm16, silence, speech, with_noise


def company_greeting(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Words of speech with short pauses (under the turn gap), for about ``seconds``."""
    parts: list[np.ndarray] = []
    while sum(p.size for p in parts) < seconds * RATE:
        parts += [speech(0.7, rng), silence(0.15)]
    return mix(*parts)[: int(seconds * RATE)]


def tv(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Voices far behind the callee, 20 dB down: sentences with pauses between them."""
    level = 0.25 * 10 ** (-20 / 20)
    parts: list[np.ndarray] = []
    while sum(p.size for p in parts) < seconds * RATE:
        parts += [speech(rng.uniform(0.8, 2.0), rng, level=level), silence(rng.uniform(0.3, 0.6))]
    return mix(*parts)[: int(seconds * RATE)]


def first_verdict_ms(signal: np.ndarray) -> int:
    first, _ = run_call(pcm16(signal), RATE)
    return first.at_ms


def test_a_greeting_that_talks_on_over_our_prompt_is_a_machine() -> None:
    rng = np.random.default_rng(31)
    line = with_noise(mix(silence(0.3), company_greeting(rng, 7.0), silence(3)), 30, rng)
    first, final = run_call(pcm16(line), RATE)
    assert (first.label, first.reason) == ("human", "long_greeting_to_guard")
    assert (final.label, final.reason) == ("machine", "guard_talks_on")
    assert 1000 <= final.at_ms - first.at_ms <= 1300


def test_a_person_who_stops_when_the_prompt_starts_stays() -> None:
    """A long company greeting, cut off 500 ms after our prompt starts (the person listens)."""
    rng = np.random.default_rng(32)
    greeting = mix(silence(0.3), company_greeting(rng, 8.0), silence(12.0))
    verdict = first_verdict_ms(with_noise(greeting, 30, np.random.default_rng(1)))
    greeting[int((verdict + 500) * RATE / 1000) :] = 0.0
    line = with_noise(greeting, 30, np.random.default_rng(1))
    first, final = run_call(pcm16(line), RATE)
    assert first.reason == "long_greeting_to_guard"
    assert final.label == "human", final


def test_a_person_who_answers_and_listens_with_a_tv_behind_stays() -> None:
    """ "Hallo?", then quiet while our prompt plays; a TV 20 dB down talks on all the time."""
    rng = np.random.default_rng(34)
    person = mix(silence(0.3), speech(0.6, rng), silence(14.0))
    line = with_noise(person + tv(rng, person.size / RATE), 30, rng)
    first, final = run_call(pcm16(line), RATE)
    assert first.label == "human"
    assert final.reason != "guard_talks_on", final


def test_the_rule_waits_until_the_prompt_is_known() -> None:
    """Live, the guard learns when our prompt started from the call; before that a callee
    talking on is not held against them by this rule."""
    rng = np.random.default_rng(33)
    line = pcm16(with_noise(mix(silence(0.3), company_greeting(rng, 7.0), silence(3)), 30, rng))
    detector = Detector(RATE)
    data, step, offset = line.astype("<i2").tobytes(), 320, 0
    while detector.feed(data[offset : offset + step]) is None:
        offset += step
    offset += step
    guard = Guard(detector)
    reasons = set()
    for _ in range(75):  # 1.5 s, no prompt yet
        decision = guard.feed(data[offset : offset + step])
        offset += step
        if decision is not None:
            reasons.add(decision.reason)
    assert "guard_talks_on" not in reasons
    if guard.decision is None:
        guard.prompt_started()
        while guard.decision is None and offset < len(data):
            guard.feed(data[offset : offset + step])
            offset += step
        assert guard.decision is not None
