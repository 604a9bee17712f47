"""The live listener with the AMD guard: after the first stage's "human" it goes on reading and
reports a machine the guard hears as a second decision; without the guard it stops at the
first decision (real UDP sockets on loopback, no Asterisk)."""

from __future__ import annotations

import asyncio

import numpy as np

from ari_app.media import MediaHub
from konform.amd.detector import AmdDecision
from tests.amd_signals import mix, noise, silence, speech, tone, with_noise
from tests.unit.test_media_hub import PBX, stream, ulaw_packets


def line() -> np.ndarray:
    """Hiss (the first stage: a person waiting), then a beep while our prompt would play."""
    rng = np.random.default_rng(31)
    return with_noise(
        mix(noise(2.0, rng, 0.002), speech(0.3, rng), silence(0.6), tone(1000.0, 0.6), silence(1)),
        30,
        rng,
    )


def run(guard: bool) -> tuple[list[AmdDecision], bool]:
    async def main() -> tuple[list[AmdDecision], bool]:
        hub = MediaHub(interval=0.01)
        decided: list[AmdDecision] = []
        listener = hub.open("127.0.0.1", "kguard", "ulaw", decided.append, peer=PBX, guard=guard)
        await stream(listener.port, ulaw_packets(line(), 7))
        for _ in range(200):
            if listener.sock is None:
                break
            await asyncio.sleep(0.01)
        still_open = listener.sock is not None
        hub.close(listener)
        return decided, still_open

    return asyncio.run(main())


def test_the_guard_reports_a_machine_after_the_human_verdict() -> None:
    decided, still_open = run(guard=True)
    assert [(d.label, d.reason) for d in decided] == [
        ("human", "initial_silence"),
        ("machine", "guard_beep"),
    ]
    assert decided[1].at_ms > decided[0].at_ms
    assert not still_open  # closed itself at the guard's machine


def test_without_the_guard_the_listener_stops_at_the_first_decision() -> None:
    decided, still_open = run(guard=False)
    assert [(d.label, d.reason) for d in decided] == [("human", "initial_silence")]
    assert not still_open
