"""When the first stage decides: a greeting still going is handed to the guard at a fixed time
after the answer (``guard_handoff_ms``), whenever it started; a pause at that moment waits for
the greeting to go on or end. Synthetic audio, no I/O."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from konform.amd.config import AmdConfig
from konform.amd.evaluate import run_call, run_file
from tests.amd_signals import RATE, mix, pcm16, silence, speech, with_noise

HANDOFF_MS = AmdConfig().guard_handoff_ms


def words(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Words with short pauses (under the end of greeting), for about ``seconds``."""
    parts: list[np.ndarray] = []
    while sum(p.size for p in parts) < seconds * RATE:
        parts += [speech(0.7, rng), silence(0.15)]
    return mix(*parts)[: int(seconds * RATE)]


def on_a_line(signal: np.ndarray, seed: int) -> np.ndarray:
    """Line noise from the answer on (30 dB under the speech), so the clock starts there."""
    return pcm16(with_noise(signal, 30, np.random.default_rng(seed)))


def test_the_handoff_is_by_four_seconds_after_the_answer() -> None:
    assert HANDOFF_MS <= 4000


@pytest.mark.parametrize("onset_s", [0.2, 0.5, 1.0, 1.4])
def test_a_greeting_still_going_is_handed_over_by_four_seconds(onset_s: float) -> None:
    """However late the greeting started (up to the initial silence), the first decision
    comes by 4.0 s after the answer; the greeting's start does not move it."""
    rng = np.random.default_rng(int(onset_s * 10))
    line = on_a_line(mix(silence(onset_s), words(rng, 9.0), silence(2)), int(onset_s * 10))
    decision = run_file(line, RATE)
    assert (decision.label, decision.reason) == ("human", "long_greeting_to_guard")
    assert HANDOFF_MS <= decision.at_ms <= 4000


def test_the_handoff_clock_starts_at_the_lines_first_sound() -> None:
    """Exact zeros before the line's first sound (a live tap's bridge starting) are not
    counted, as for the deadline: the same audio is handed over at the same point."""
    rng = np.random.default_rng(5)
    line = on_a_line(mix(silence(0.4), words(rng, 8.0)), 5)
    plain = run_file(line, RATE)
    late = run_file(np.concatenate([np.zeros(int(0.6 * RATE), np.int16), line]), RATE)
    assert plain.reason == late.reason == "long_greeting_to_guard"
    assert late.at_ms == plain.at_ms + 600
    assert late.features["leading_silence_ms"] == 600


def test_a_greeting_paused_at_the_handoff_is_handed_over_when_it_goes_on() -> None:
    """In a pause at the hand-off time (shorter than the end of greeting) nothing is decided
    yet; the greeting going on is handed over at once, so the guard hears it still talking."""
    rng = np.random.default_rng(7)
    pause_from = (HANDOFF_MS - 300) / 1000
    first = words(rng, pause_from - 0.4)
    line = on_a_line(mix(silence(0.4), first, silence(0.7), words(rng, 5.0), silence(2)), 7)
    decision = run_file(line, RATE)
    assert decision.reason == "long_greeting_to_guard"
    resumed_ms = int((pause_from + 0.7) * 1000)
    assert resumed_ms <= decision.at_ms <= resumed_ms + 100


def test_a_recording_handed_over_is_caught_by_the_guard() -> None:
    """A greeting that talks on over our prompt (the identification starts at the hand-off)."""
    rng = np.random.default_rng(11)
    line = on_a_line(mix(silence(0.4), words(rng, 9.0), silence(3)), 11)
    first, final = run_call(line, RATE)
    assert first.at_ms <= 4000
    assert (final.label, final.reason) == ("machine", "guard_talks_on")
    assert final.at_ms - first.at_ms <= 1300


def test_without_the_guard_the_greeting_limit_counts_from_the_greetings_start() -> None:
    """With ``guard_long_greetings`` off the first stage calls the machine itself, and
    ``max_human_greeting_ms`` is the greeting's own length (a late start is not cut short)."""
    config = replace(AmdConfig(), guard_long_greetings=False)
    rng = np.random.default_rng(13)
    line = on_a_line(mix(silence(1.0), words(rng, 9.0), silence(2)), 13)
    decision = run_file(line, RATE, config)
    assert (decision.label, decision.reason) == ("machine", "long_greeting")
    limit = 1000 + config.max_human_greeting_ms
    assert limit - 100 <= decision.at_ms <= limit + 200


def test_a_short_answer_is_decided_as_before() -> None:
    """ "Hallo?" and listening: a person at the end of greeting, long before the hand-off."""
    rng = np.random.default_rng(17)
    line = on_a_line(mix(silence(0.4), speech(0.6, rng), silence(4)), 17)
    decision = run_file(line, RATE)
    assert (decision.label, decision.reason) == ("human", "short_greeting")
    assert decision.at_ms < 2500
