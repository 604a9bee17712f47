"""The evaluator's model of a person reacting to our prompt: after the first verdict and the
reaction time only the background goes on, plus a short talk-over for some; a machine's file
is scored as recorded."""

from __future__ import annotations

import numpy as np

from konform.amd.evaluate import Reaction, reaction_for

RATE = 8000


def test_after_the_reaction_only_the_background_and_the_talkover_are_sent() -> None:
    pcm = np.full(RATE * 4, 1000, dtype=np.int16)
    background = np.full(RATE * 4, 10, dtype=np.int16)
    talkover = np.full(RATE // 2, 500, dtype=np.int16)
    reaction = Reaction(background, talkover, after_ms=500, pause_ms=400)
    out = reaction.apply(pcm, RATE, verdict_ms=1000)
    cut = RATE * 1500 // 1000
    talk = cut + RATE * 400 // 1000
    assert (out[:cut] == 1000).all()
    assert (out[cut:talk] == 10).all()
    assert (out[talk : talk + RATE // 2] == 510).all()
    assert (out[talk + RATE // 2 :] == 10).all()


def test_a_reaction_is_drawn_reproducibly_per_file() -> None:
    bg = np.zeros(100, dtype=np.int16)
    a, b = reaction_for("0001.wav", bg, None, 200), reaction_for("0001.wav", bg, None, 200)
    assert (a.after_ms, a.pause_ms) == (b.after_ms, b.pause_ms)
    assert 300 <= a.after_ms <= 700
    assert a.background.size == 200
