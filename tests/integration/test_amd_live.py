"""The live AMD path through real Asterisk: recordings played into the PBX reach the detector
over snoop + externalMedia RTP (ulaw, checked framing) and are decided as offline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from konform.amd.audio import load_pcm
from konform.amd.evaluate import read_labels, run_call, run_file
from konform_sandbox.amd_probe import install_sounds, live_decisions
from konform_sandbox.demo import sandbox_ari
from konform_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "amd"
# Clear cases of each decision rule: a short hello, a long word, a long greeting, a beep.
FILES = ["0004.wav", "0016.wav", "0008.wav", "0003.wav", "0009.wav", "0001.wav"]


def test_live_decisions_equal_offline(sandbox: Sandbox) -> None:
    labels = {name: label for name, label, _ in read_labels(FIXTURES)}
    offline = {name: run_file(*load_pcm(FIXTURES / name)) for name in FILES}
    final = {name: run_call(*load_pcm(FIXTURES / name))[1] for name in FILES}
    extensions = install_sounds(sandbox, FIXTURES, FILES)

    async def run() -> tuple[dict[str, object], dict[str, dict[str, int]]]:
        async with sandbox_ari(sandbox) as ari:
            decided, stats = await asyncio.wait_for(live_decisions(ari, extensions), 90)
            return dict(decided), stats

    decided, stats = asyncio.run(run())
    for name in FILES:
        live = decided[name]
        media = stats[name]
        assert media["packets"] > 20, (name, media)
        assert media["wrong_payload_type"] == 0, (name, media)
        assert media["bad"] == 0, (name, media)
        # The first stage live = offline; with the guard after it (a long greeting is handed
        # to the guard), the final decision is the file's label.
        assert live.label == offline[name].label, (name, live, offline[name])  # type: ignore[attr-defined]
        assert final[name].label == labels[name], (name, live, final[name])
