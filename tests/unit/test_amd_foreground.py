"""The callee's foreground voice on synthetic signals: voices well below the loudest speech
heard so far (a TV behind a person, a music bed under a greeting) neither make the person's
word one long "word" nor hide a recorded greeting."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from konform.amd.config import AmdConfig
from konform.amd.detector import Detector
from konform.amd.evaluate import run_call
from tests.amd_signals import (
    RATE,
    mix,
    pcm16,
    silence,
    speech,
    syllable,
    under,
    with_noise,
)

OFF = dataclasses.replace(AmdConfig(), foreground_db=0.0, guard_behind_db=None)


def babble(rng: np.random.Generator, seconds: float, below_db: float) -> np.ndarray:
    """Voices talking on without a pause (syllables with only their short dips), ``below_db``
    under a person's speech."""
    level = 0.25 * 10 ** (-below_db / 20)
    return speech(seconds, rng, level=level)[: int(seconds * RATE)]


def music(rng: np.random.Generator, seconds: float, below_db: float) -> np.ndarray:
    """A music bed: chords of two notes with harmonics, 0.2-0.5 s each, ``below_db`` under
    speech."""
    notes = [220.0, 262.0, 294.0, 330.0, 392.0, 440.0]
    parts: list[np.ndarray] = []
    while sum(p.size for p in parts) < seconds * RATE:
        t = np.arange(int(rng.uniform(0.2, 0.5) * RATE)) / RATE
        chord = sum(
            np.sin(2 * np.pi * f * k * t) / k for f in rng.choice(notes, 2) for k in range(1, 5)
        )
        parts.append(np.asarray(chord, dtype=np.float32))
    bed = mix(*parts)[: int(seconds * RATE)]
    bed *= 0.25 * 10 ** (-below_db / 20) / float(np.abs(bed).max())
    return bed


def decide(signal: np.ndarray, config: AmdConfig | None = None) -> tuple[str, str, str, str]:
    first, final = run_call(pcm16(signal), RATE, config)
    return first.label, first.reason, final.label, final.reason


def test_a_short_word_running_into_quieter_babble_is_a_person() -> None:
    """ "Hallo?" and a TV 18 dB down that talks on without a pause: without the foreground
    rule the word and the TV are one stretch of speech over 1.5 s (a machine)."""
    rng = np.random.default_rng(41)
    person = mix(silence(0.3), speech(0.6, rng), silence(14.0))
    line = with_noise(under(person, mix(silence(0.5), babble(rng, 14.0, 18.0))), 35, rng)
    first, reason, final, _ = decide(line)
    assert (first, reason, final) == ("human", "short_greeting", "human")
    assert decide(line, OFF)[:2] == ("machine", "long_word")


def test_a_tv_heard_before_the_person_speaks_is_not_their_word() -> None:
    """The TV plays from the answer; the person says a word 0.9 s later, 16 dB above it.
    The stretch the TV started is the background: the utterance starts over with the
    person's voice."""
    rng = np.random.default_rng(42)
    person = mix(silence(0.9), speech(0.7, rng), silence(14.0))
    line = with_noise(under(person, babble(rng, 15.0, 16.0)), 35, rng)
    first, reason, final, _ = decide(line)
    assert (first, reason, final) == ("human", "short_greeting", "human")
    assert decide(line, OFF)[:2] == ("machine", "long_word")


def test_the_guard_does_not_count_the_tv_it_heard_behind_the_person() -> None:
    """A TV 18 dB down goes on with short pauses while our prompt plays: the first stage heard
    it behind the person's word, and the guard does not take it for the callee talking on
    (without that, its utterance over the prompt would make the person a machine)."""
    rng = np.random.default_rng(43)
    person = mix(silence(0.3), speech(0.5, rng), silence(15.0))
    tv: list[np.ndarray] = [silence(0.6)]
    while sum(p.size for p in tv) < person.size:
        tv += [babble(rng, rng.uniform(1.5, 2.5), 18.0), silence(rng.uniform(0.2, 0.35))]
    line = with_noise(under(person, mix(*tv)[: person.size]), 35, rng)
    first, _, final, reason = decide(line)
    assert (first, final) == ("human", "human"), reason
    unguarded = dataclasses.replace(
        AmdConfig(), guard_behind_db=None, guard_utterance_level_db=None
    )
    assert decide(line, unguarded)[2:] == ("machine", "guard_talks_over_prompt")


@pytest.mark.parametrize("below_db", [14.0, 18.0])
@pytest.mark.parametrize("seed", [44, 45, 46])
def test_a_greeting_over_a_music_bed_is_still_a_machine(below_db: float, seed: int) -> None:
    """A mailbox greeting (words with short pauses, 6 s, no beep) over music from the answer:
    still a machine (the guard hears it talk on over our prompt)."""
    rng = np.random.default_rng(seed)
    words: list[np.ndarray] = [silence(0.4)]
    while sum(p.size for p in words) < 6.4 * RATE:
        words += [speech(rng.uniform(0.5, 1.2), rng), silence(rng.uniform(0.1, 0.3))]
    greeting = mix(*words, silence(8.0))
    line = with_noise(under(greeting, music(rng, 6.6, below_db)), 35, rng)
    first, reason, final, _ = decide(line)
    assert final == "machine", (first, reason)


def test_a_weak_syllable_inside_a_long_word_keeps_it_whole() -> None:
    """A recorded sentence with one weak syllable 20 dB down in the middle (a short dip below
    the foreground) is still one stretch over 1.5 s: a machine."""
    rng = np.random.default_rng(45)
    weak = syllable(0.2, rng, level=0.25 * 10 ** (-20 / 20))
    line = with_noise(
        mix(silence(0.3), speech(0.9, rng), weak, speech(0.9, rng), silence(3)), 35, rng
    )
    first, reason, final, _ = decide(line)
    assert (first, reason, final) == ("machine", "long_word", "machine")


def test_a_persons_fading_word_is_still_a_person() -> None:
    """A word whose end fades 25 dB (a weak ending) followed by silence: a person."""
    rng = np.random.default_rng(46)
    word = speech(0.6, rng)
    fade = word[-int(0.3 * RATE) :] * np.linspace(1.0, 0.056, int(0.3 * RATE), dtype=np.float32)
    line = with_noise(mix(silence(0.3), word, fade, silence(3)), 35, rng)
    assert decide(line)[:3] == ("human", "short_greeting", "human")


def first_stage(signal: np.ndarray) -> Detector:
    detector = Detector(RATE)
    data = pcm16(signal).astype("<i2").tobytes()
    for offset in range(0, len(data), 320):
        if detector.feed(data[offset : offset + 320]) is not None:
            break
    return detector


def test_the_voices_behind_are_a_tv_not_the_weak_edges_of_a_greeting() -> None:
    """What the guard learns as "behind the callee": a TV's level after a person's word, but
    nothing from a greeting whose words only begin and end softly."""
    rng = np.random.default_rng(47)
    person = mix(silence(0.3), speech(0.6, rng), silence(3.0))
    with_tv = first_stage(with_noise(under(person, babble(rng, 3.9, 18.0)), 35, rng))
    assert with_tv.decision is not None
    assert with_tv.decision.label == "human"
    behind, answer = with_tv.behind_dbfs, with_tv.answer_dbfs
    assert behind is not None
    assert answer is not None
    assert answer - behind > 12.0
    words: list[np.ndarray] = [silence(0.3)]
    while sum(p.size for p in words) < 6.0 * RATE:
        words += [speech(rng.uniform(0.5, 1.2), rng), silence(rng.uniform(0.1, 0.3))]
    greeting = first_stage(with_noise(mix(*words, silence(2.0)), 35, rng))
    assert greeting.behind_dbfs is None
