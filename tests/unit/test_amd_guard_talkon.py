"""The guard's turn-taking over a long greeting handed to it while it goes on, on synthetic
signals (no I/O): a recording that talks on over our prompt in several words with short pauses
is a machine; a person who stops for the prompt and says one "ja?" stays connected. And
``tools.amd_guard_trace`` names why a greeting that ends within the turn rule's time is let
through (docs/amd.md, "Why the guard lets them through")."""

from __future__ import annotations

import numpy as np

from konform.amd.config import AmdConfig
from konform.amd.evaluate import run_call
from tests.amd_signals import RATE, mix, pcm16, silence, speech, with_noise
from tools.amd_guard_trace import trace_pcm

HANDOFF_S = AmdConfig().guard_handoff_ms / 1000


def words(
    seconds: float, rng: np.random.Generator, word: float = 0.6, pause: float = 0.15
) -> np.ndarray:
    """Words of ``word`` s with ``pause`` s between them, for at least ``seconds``."""
    parts: list[np.ndarray] = []
    total = 0.0
    while total < seconds:
        parts += [speech(word, rng), silence(pause)]
        total += word + pause
    return mix(*parts)


def call(signal: np.ndarray) -> tuple[str, str, str, int, int]:
    first, final = run_call(pcm16(signal), RATE)
    return first.label, first.reason, final.reason, first.at_ms, final.at_ms - first.at_ms


def test_a_recording_that_talks_on_over_the_prompt_in_several_words_is_caught() -> None:
    """A greeting of short words with short pauses, still going at the hand-off, goes on for
    two seconds more while our identification plays: the turn rule hangs up about a second
    into the prompt."""
    rng = np.random.default_rng(61)
    line = with_noise(mix(silence(0.3), words(HANDOFF_S + 2.0, rng), silence(8)), 30, rng)
    first, first_reason, reason, _, after_ms = call(line)
    assert (first, first_reason) == ("human", "long_greeting_to_guard")
    assert reason == "guard_talks_on"
    assert after_ms < 1500


def test_a_person_who_stops_and_says_one_ja_stays_connected() -> None:
    """The same long answer, but the person stops half a second after our prompt starts,
    listens, and says one short "ja?" half a second later: connected."""
    rng = np.random.default_rng(62)
    answer = words(HANDOFF_S + 0.5, rng)
    # The line's noise starts at the answer: the hand-off (our prompt) comes HANDOFF_S later.
    line = mix(silence(0.3), answer)[: int((HANDOFF_S + 0.5) * RATE)]
    line = with_noise(mix(line, silence(0.5), speech(0.3, rng), silence(10)), 30, rng)
    first, first_reason, reason, prompt_ms, _ = call(line)
    assert (first, first_reason) == ("human", "long_greeting_to_guard")
    assert abs(prompt_ms - HANDOFF_S * 1000) < 100
    assert reason == "long_greeting_to_guard"  # the guard never called a machine


def test_the_trace_names_a_greeting_that_ends_before_the_turn_rule() -> None:
    """A recording whose greeting ends 0.8 s into our prompt (after any person of the reaction
    model stopped, before the turn rule's 1.0 s) is let through, and the trace says why: the
    turn was still open, its last loud frame came before the rule's time."""
    rng = np.random.default_rng(63)
    greeting = words(HANDOFF_S + 2.0, rng)
    end = HANDOFF_S + 0.8  # the line's noise, and its clock, start at the answer
    line = mix(silence(0.3), greeting)[: int(end * RATE)]
    line = with_noise(mix(line, silence(10)), 30, rng)
    clips = [(300.0, end * 1000)]
    trace = trace_pcm("late.wav", pcm16(line), RATE, clips, AmdConfig())
    assert trace is not None
    assert trace.decision == "human"
    assert 700 <= trace.greeting_end_ms <= 900
    assert trace.turn_open_at_start
    assert trace.last_loud_ms is not None
    assert trace.last_loud_ms < AmdConfig().guard_turn_ms
    assert trace.cause(AmdConfig()).startswith("turn open, last frame at the turn level")
