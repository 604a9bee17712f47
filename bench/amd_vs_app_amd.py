"""Benchmark: konform's AMD side by side with Asterisk's app_amd, on the same files, in one run.

    python -m bench.amd_vs_app_amd [--corpus DIR] [--parallel 10]

Every file of the corpus is played into the sandbox PBX through a Local channel twice: once
into Asterisk's own ``AMD()`` (default amd.conf), once into konform's live path (snoop +
externalMedia RTP + the detector). The offline evaluator runs on the same files. Without
--corpus a held-out corpus is made first (``python -m tools.make_amd_corpus``, seed 23, voices the
detector was not tuned on: espeak-ng German and English voices and Asterisk's German prompts).
Prints accuracy, humans dropped, machines missed, median and p90 decision time per row, how
often the live decision equals the offline one, and with a ``kind`` column in labels.csv the
share right per kind for each row side by side (konform offline both as its first stage and
as the final decision with the guard; the live path here measures the first stage).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ari_app.ari import AriClient
from konform.amd.audio import load_pcm
from konform.amd.evaluate import read_labels, run_call
from konform_sandbox.amd_probe import install_sounds, live_decisions
from konform_sandbox.demo import sandbox_ari
from konform_sandbox.sandbox import Sandbox

Row = dict[str, tuple[str, float]]  # file -> (decision, decision_ms)


def make_corpus(folder: Path, sandbox: Sandbox) -> Path:
    corpus = folder / "corpus"
    german_prompts = sandbox.host_path("/usr/share/asterisk/sounds/de")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.make_amd_corpus",
            "--out",
            str(corpus),
            "--n",
            "200",
            "--seed",
            "23",
            "--espeak",
            str(folder / "clips"),
            str(german_prompts),
        ],
        check=True,
    )
    return corpus


def summary(label_of: dict[str, str], row: Row) -> str:
    humans = [f for f in row if label_of[f] == "human"]
    machines = [f for f in row if label_of[f] == "machine"]
    right = sum(row[f][0] == label_of[f] for f in row)
    times = [ms for _, ms in row.values()]
    p90 = float(np.percentile(times, 90)) if times else float("nan")
    dropped = sum(row[f][0] == "machine" for f in humans) / max(len(humans), 1)
    missed = sum(row[f][0] == "human" for f in machines) / max(len(machines), 1)
    return (
        f"{right / len(row):7.1%} {dropped:9.1%} {missed:9.1%}"
        f" {statistics.median(times) / 1000:7.2f} s {p90 / 1000:6.2f} s"
    )


def per_kind(label_of: dict[str, str], kind_of: dict[str, str], rows: dict[str, Row]) -> None:
    """Share right per kind, one column per row."""
    kinds = sorted({f"{label_of[f]}/{kind_of[f]}" for f in next(iter(rows.values()))})
    if len(kinds) < 2:
        return
    print(f"{'kind':<28}{'files':>6}" + "".join(f"{name:>9}" for name in rows))
    for kind in kinds:
        files = [f for f in next(iter(rows.values())) if f"{label_of[f]}/{kind_of[f]}" == kind]
        shares = [
            sum(row[f][0] == label_of[f] for f in files) / len(files) for row in rows.values()
        ]
        print(f"{kind:<28}{len(files):>6}" + "".join(f"{share:>9.0%}" for share in shares))


async def app_amd_row(ari: AriClient, sandbox: Sandbox, ext: dict[str, str], parallel: int) -> Row:
    uid_of = {name: f"amd{e}" for name, e in ext.items()}
    gate = asyncio.Semaphore(parallel)

    def results() -> dict[str, dict[str, str]]:
        return {fields["uid"]: fields for fields in sandbox.pbx_log("BENCH_AMD")}

    async def one(name: str) -> None:
        async with gate:
            await ari.post(
                "/channels",
                endpoint=f"Local/{ext[name]}@bench-play",
                context="bench-amd",
                extension="s",
                priority=1,
                channelId=uid_of[name],
                timeout=10,
                formats="ulaw",  # as a PSTN callee (see konform_sandbox/amd_probe.py)
            )
            deadline = time.time() + 30
            # The far end's log is a file: read it until the call shows up.
            while time.time() < deadline and uid_of[name] not in results():  # noqa: ASYNC110
                await asyncio.sleep(0.25)

    await asyncio.gather(*(one(n) for n in ext))
    found = results()
    row: Row = {}
    for name, uid in uid_of.items():
        fields = found.get(uid)
        if fields is None:
            row[name] = ("human", 30000.0)
            continue
        label = "machine" if fields["status"] == "MACHINE" else "human"  # NOTSURE → human
        row[name] = (label, (float(fields["end"]) - float(fields["start"])) * 1000)
    return row


async def run(
    corpus: Path | None, parallel: int, only_konform: bool = False, only: list[str] | None = None
) -> None:
    sandbox = Sandbox()
    sandbox.start()
    folder = Path(tempfile.mkdtemp(prefix="konform-bench-amd-"))
    try:
        corpus = corpus or make_corpus(folder, sandbox)
        labels = read_labels(corpus)
        label_of = {name: label for name, label, _ in labels}
        files = [name for name, _, _ in labels if not only or name in only]
        kind_of = {name: kind for name, _, kind in labels}
        offline: Row = {}
        final: Row = {}
        for name in files:
            pcm, rate = load_pcm(corpus / name)
            decision, with_guard = run_call(pcm, rate)
            offline[name] = (decision.label, float(decision.at_ms))
            final[name] = (with_guard.label, float(with_guard.at_ms))
        ext = install_sounds(sandbox, corpus, files)
        async with sandbox_ari(sandbox) as ari:
            decisions, stats = await live_decisions(ari, ext, parallel)
            live: Row = {n: (d.label, float(d.at_ms)) for n, d in decisions.items()}
            baseline = None if only_konform else await app_amd_row(ari, sandbox, ext, parallel)
    finally:
        sandbox.stop()
    agree = sum(live[f][0] == offline[f][0] for f in files) / len(files)
    print(f"corpus: {corpus} ({len(files)} files)")
    print(
        f"{'row':<26} {'accuracy':>8} {'humans dropped':>9} {'machines missed':>9}"
        f" {'median':>9} {'p90':>8}"
    )
    if baseline is not None:
        print(f"{'Asterisk app_amd (live)':<26} {summary(label_of, baseline)}")
    print(f"{'konform (live, RTP)':<26} {summary(label_of, live)}")
    print(f"{'konform (offline)':<26} {summary(label_of, offline)}")
    print(f"{'konform + guard (offline)':<26} {summary(label_of, final)}")
    print(f"live decisions equal to offline: {agree:.1%}")
    rows = {"AMD()": baseline, "live": live, "offline": offline, "+guard": final}
    per_kind(label_of, kind_of, {k: v for k, v in rows.items() if v is not None})
    for f in files:
        if live[f][0] != offline[f][0]:
            print(
                f"  differs: {f} ({label_of[f]}): offline {offline[f][0]} at {offline[f][1]:.0f}"
                f" ms, live {live[f][0]} at {live[f][1]:.0f} ms; media {stats.get(f)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--parallel", type=int, default=10)
    parser.add_argument("--only-konform", action="store_true", help="skip the app_amd row")
    parser.add_argument("--files", nargs="*", help="only these files of the corpus")
    args = parser.parse_args()
    asyncio.run(run(args.corpus, args.parallel, args.only_konform, args.files))


if __name__ == "__main__":
    main()
