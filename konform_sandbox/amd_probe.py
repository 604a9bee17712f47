"""Playing recordings into the PBX and through konform's live AMD path, for the side-by-side
benchmark and the integration test: each file plays on the ``;2`` side of a Local channel
(context ``bench-play``), the ``;1`` side enters the Stasis application and is tapped exactly
as a callee's channel is (snoop + externalMedia RTP + the detector)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ari_app.amd_tap import AmdTap
from ari_app.ari import AriClient
from ari_app.dialer import call_id_of
from konform.amd.audio import load_pcm
from konform.amd.detector import AmdDecision
from konform_sandbox.sandbox import Sandbox

__all__ = ["install_sounds", "live_decisions"]


def install_sounds(sandbox: Sandbox, folder: Path, files: list[str]) -> dict[str, str]:
    """Each file as raw 8 kHz .sln in the PBX's sounds; returns file -> extension to dial."""
    target = sandbox.host_path("/usr/share/asterisk/sounds/konform-bench")
    target.mkdir(parents=True, exist_ok=True)
    extensions = {}
    for index, name in enumerate(files):
        pcm, rate = load_pcm(folder / name)
        if rate != 8000:
            pcm = pcm[::2]
        exten = f"{index + 1000}"
        (target / f"{exten}.sln").write_bytes(pcm.astype("<i2").tobytes())
        extensions[name] = exten
    return extensions


async def live_decisions(
    ari: AriClient, extensions: dict[str, str], parallel: int = 10
) -> tuple[dict[str, AmdDecision], dict[str, dict[str, int]]]:
    """The live path's decision per file, and its media statistics (packets, loss, …)."""
    gate = asyncio.Semaphore(parallel)
    taps: dict[str, AmdTap] = {}
    answered: dict[str, asyncio.Future[None]] = {}
    decided: dict[str, AmdDecision] = {}
    stats: dict[str, dict[str, int]] = {}
    connected = asyncio.Event()

    async def pump() -> None:
        async for event in ari.events(connected):
            if event.get("type") != "StasisStart":
                continue
            channel = event["channel"]["id"]
            call = call_id_of(event) or ""
            if call in taps:
                taps[call].stasis_started(channel)
            future = answered.get(channel)
            if future is not None and not future.done():
                future.set_result(None)

    async def one(name: str) -> None:
        async with gate:
            call = f"kb{extensions[name]}"
            loop = asyncio.get_running_loop()
            answered[call] = loop.create_future()
            result: asyncio.Future[AmdDecision] = loop.create_future()
            taps[call] = tap = AmdTap(ari, call, call)
            await ari.post(
                "/channels",
                endpoint=f"Local/{extensions[name]}@bench-play",
                app=ari.app,
                appArgs="probe",
                channelId=call,
                otherChannelId=f"{call}-2",
                timeout=10,
                # As a PSTN callee: G.711. Left to itself a Local channel runs at slin192,
                # and the tap's resampling from 192 kHz halves the level (-6 dB, measured).
                formats="ulaw",
            )
            await asyncio.wait_for(answered[call], timeout=10)

            def done(decision: AmdDecision) -> None:
                if not result.done():
                    result.set_result(decision)

            await tap.start("127.0.0.1", "ulaw", done)
            try:
                decided[name] = await asyncio.wait_for(result, timeout=8)
            except TimeoutError:
                assert tap.listener is not None
                decided[name] = tap.listener.detector.finish()
            await tap.stop()
            stats[name] = tap.stats
            await ari.delete(f"/channels/{call}")

    task = asyncio.create_task(pump())
    try:
        await asyncio.wait_for(connected.wait(), timeout=10)
        await asyncio.gather(*(one(n) for n in extensions))
    finally:
        task.cancel()
    return decided, stats
