"""The AMD guard on synthetic signals: after the first stage's "human", it hears the callee's
side while our identification plays. A beep or a greeting that talks on over the prompt is a
machine; a person who says something over the prompt and listens stays connected."""

from __future__ import annotations

import numpy as np
import pytest

from konform.amd.detector import Detector
from konform.amd.evaluate import run_call
from konform.amd.guard import Guard
from tests.amd_signals import RATE, mix, pcm16, silence, speech, tone, with_noise


def hello(rng: np.random.Generator) -> np.ndarray:
    """A person's short answer, then the second of silence that makes the first stage say
    human."""
    return mix(silence(0.3), speech(0.6, rng), silence(1.2))


def call(signal: np.ndarray) -> tuple[str, str, str, int]:
    first, final = run_call(pcm16(signal), RATE)
    return first.label, final.label, final.reason, final.at_ms - first.at_ms


def test_a_beep_during_the_identification_is_a_machine() -> None:
    rng = np.random.default_rng(21)
    line = with_noise(mix(hello(rng), silence(1.5), tone(1000.0, 0.5), silence(3)), 30, rng)
    first, final, reason, after_ms = call(line)
    assert (first, final, reason) == ("human", "machine", "guard_beep")
    assert after_ms < 2500


def test_a_greeting_that_talks_on_over_the_prompt_is_a_machine() -> None:
    """A late mailbox: silence (the first stage says a person is waiting), then a greeting
    that goes on while the identification plays."""
    rng = np.random.default_rng(22)
    greeting = mix(*[mix(speech(1.2, rng), silence(0.2)) for _ in range(6)])
    line = with_noise(mix(silence(2.0), greeting, silence(3)), 30, rng)
    first, final, reason, after_ms = call(line)
    assert first == "human"
    assert final == "machine"
    assert reason.startswith("guard_")
    # Caught about two seconds into the greeting (it started 0.5 s after the verdict).
    assert after_ms < 3000


def test_a_person_who_talks_over_the_prompt_stays_connected() -> None:
    """ "Hallo?" - the first stage says human - then "Wer ist da? ... Hallo?" over our
    identification, with the pauses of someone who listens."""
    rng = np.random.default_rng(23)
    line = with_noise(
        mix(
            hello(rng),
            speech(0.9, rng),
            silence(1.5),
            speech(0.5, rng),
            silence(2.0),
            speech(0.7, rng),
            silence(6),
        ),
        30,
        rng,
    )
    first, final, _, _ = call(line)
    assert (first, final) == ("human", "human")


def test_voices_far_behind_the_person_do_not_count() -> None:
    """Voices far below the person's own answer (a TV, a colleague across the room) talk on
    while our identification plays: the person stays connected."""
    rng = np.random.default_rng(24)
    answer = hello(rng)
    tv = mix(*[speech(1.5, rng, level=0.02) for _ in range(8)])
    line = with_noise(mix(answer, tv, silence(2)), 35, rng)
    first, final, _, _ = call(line)
    assert (first, final) == ("human", "human")


def test_the_guard_starts_only_after_a_human_verdict() -> None:
    detector = Detector(RATE)
    with pytest.raises(ValueError, match="human"):
        Guard(detector)


def test_the_guard_continues_the_clock_and_cuts_like_the_detector() -> None:
    """However the audio is cut, the guard decides the same at the same time."""
    rng = np.random.default_rng(25)
    line = pcm16(with_noise(mix(hello(rng), silence(1.0), tone(425.0, 0.5), silence(1)), 30, rng))
    data = line.astype("<i2").tobytes()
    results = []
    for cut in (320, 1000, 4096):
        detector = Detector(RATE)
        offset = 0
        while detector.decision is None:
            detector.feed(data[offset : offset + cut])
            offset += cut
        guard = Guard(detector)
        decision = None
        while decision is None and offset < len(data):
            decision = guard.feed(data[offset : offset + cut])
            offset += cut
        assert decision is not None
        results.append((decision.reason, decision.at_ms))
    assert len(set(results)) == 1
