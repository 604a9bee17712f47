"""The guard and the voices behind a person, on synthetic signals: a TV that gets louder while
our prompt plays, a tone in the TV's music, and a recorded greeting handed to the guard while it
goes on. The guard compares what it hears with the callee's own voice (the loud part of their
first answer): a TV behind a person mostly stays far below it, a recording plays at its own
level."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from konform.amd.config import AmdConfig
from konform.amd.evaluate import run_call
from tests.amd_signals import RATE, mix, pcm16, silence, speech, tone, under, with_noise

NO_UTTERANCE_LEVEL = dataclasses.replace(AmdConfig(), guard_utterance_level_db=None)
NO_BEEP_LEVEL = dataclasses.replace(AmdConfig(), guard_beep_level_db=None)


def babble(rng: np.random.Generator, seconds: float, below_db: float) -> np.ndarray:
    """Voices talking on, ``below_db`` under a person's speech."""
    return speech(seconds, rng, level=0.25 * 10 ** (-below_db / 20))[: int(seconds * RATE)]


def decide(signal: np.ndarray, config: AmdConfig | None = None) -> tuple[str, str, str, int]:
    """First label, final label, final reason, ms from the first verdict to the final one."""
    first, final = run_call(pcm16(signal), RATE, config)
    return first.label, final.label, final.reason, final.at_ms - first.at_ms


def person_with_louder_tv(seed: int) -> np.ndarray:
    """ "Hallo?" with a TV 24 dB down behind it (what the first stage learns as the voices
    behind); while our prompt plays the TV gets louder: 18 dB down, with loud moments 8 dB
    down, talking on without a pause longer than a syllable's dip."""
    rng = np.random.default_rng(seed)
    person = mix(silence(0.3), speech(0.6, rng), silence(14.0))
    tv = [silence(0.7), babble(rng, 2.0, 24.0)]
    while sum(p.size for p in tv) < person.size:
        loud = rng.random() < 0.25
        tv.append(babble(rng, 0.25, 8.0) if loud else babble(rng, 0.5, 18.0))
    return with_noise(under(person, mix(*tv)[: person.size]), 35, rng)


@pytest.mark.parametrize("seed", [51, 52, 53])
def test_a_tv_louder_than_the_first_stage_heard_it_keeps_the_person(seed: int) -> None:
    """The TV's loud moments pass the bar learnt from the voices behind (3 dB above them),
    so its talk over the prompt is one long utterance; its median stays far below the
    person's own voice, and the person stays connected."""
    line = person_with_louder_tv(seed)
    first, final, reason, _ = decide(line)
    assert (first, final) == ("human", "human"), reason
    assert decide(line, NO_UTTERANCE_LEVEL)[1:3] == ("machine", "guard_talks_over_prompt")


def person_then_tone(seed: int, below_db: float) -> np.ndarray:
    """ "Hallo?", a TV 24 dB down, and 3.2 s later a steady 688 Hz tone ``below_db`` under
    the person's speech (a TV's music, or the mailbox's beep when it is loud)."""
    rng = np.random.default_rng(seed)
    person = mix(
        silence(0.3),
        speech(0.6, rng),
        silence(3.2),
        tone(688.0, 0.6, 0.25 * 10 ** (-below_db / 20)),
        silence(4.0),
    )
    bed = mix(silence(0.7), babble(rng, person.size / RATE, 24.0))
    return with_noise(under(person, bed[: person.size]), 35, rng)


@pytest.mark.parametrize(("seed", "below_db"), [(54, 18.0), (55, 22.0), (56, 22.0)])
def test_a_tone_far_below_the_person_is_not_their_mailbox_beep(seed: int, below_db: float) -> None:
    line = person_then_tone(seed, below_db)
    first, final, reason, _ = decide(line)
    assert (first, final) == ("human", "human"), reason
    assert decide(line, NO_BEEP_LEVEL)[1:3] == ("machine", "guard_beep")


@pytest.mark.parametrize("seed", [54, 55, 56])
def test_a_beep_near_the_greeting_level_is_still_a_machine(seed: int) -> None:
    """A short greeting (the first stage says human) and the mailbox's beep a little below
    it: the guard hangs up at the beep."""
    first, final, reason, _ = decide(person_then_tone(seed, 4.0))
    assert (first, final, reason) == ("human", "machine", "guard_beep")


@pytest.mark.parametrize("seed", [56, 57, 58, 59])
def test_a_greeting_handed_over_while_it_goes_on_counts_from_the_hand_off(seed: int) -> None:
    """A recorded greeting of words with 300 ms pauses (longer than the turn gap, shorter
    than the guard's utterance gap) is handed to the guard at the first stage's hand-off. Its
    utterance over our prompt counts from the hand-off, not from its next word, so the
    mailbox hears under 2 s of our prompt."""
    rng = np.random.default_rng(seed)
    words = [silence(0.3)]
    while sum(p.size for p in words) < 12 * RATE:
        words += [speech(rng.uniform(0.4, 0.8), rng), silence(0.3)]
    first, final, reason, after_ms = decide(with_noise(mix(*words, silence(3.0)), 30, rng))
    assert (first, final, reason) == ("human", "machine", "guard_talks_over_prompt")
    assert AmdConfig().guard_utterance_ms <= after_ms < 2000


def test_a_greeting_quieter_than_its_first_words_is_still_a_machine() -> None:
    """A late mailbox whose greeting goes on 6 dB below its first words (within the
    utterance level): the guard still hangs up on it while it talks over our prompt."""
    rng = np.random.default_rng(60)
    loud = speech(0.6, rng)
    rest = mix(*[mix(speech(1.2, rng, level=0.125), silence(0.2)) for _ in range(6)])
    line = with_noise(mix(silence(0.3), loud, silence(1.2), rest, silence(3.0)), 30, rng)
    first, final, reason, _ = decide(line)
    assert (first, final) == ("human", "machine")
    assert reason.startswith("guard_")
