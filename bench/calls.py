"""Benchmark: concurrent calls through the real sandbox, baseline against konform.

    python -m bench.calls [--levels 10 20 40 60 80 100]

Both rows place the same legs over the PBX's trunk to the far end, which answers half of them
as a person ("Hallo?", then silence) and half as a mailbox (a 9 s greeting, then a beep), at
once or, with --ring, after ringing for 1 s as real callees do:

(a) baseline: ARI originate straight into a plain dialplan context running Asterisk's AMD(),
    then hangup (no konform logic);
(b) konform: the dialer's gate, originate into the Stasis app, live AMD on the snooped audio
    over externalMedia RTP, then hangup (the detection part of the flow; the rest of a call is
    prompts and bridges, the same for any dialer).

Per concurrency level: the share of calls with the right outcome, call setup time (from the
decision to call to the INVITE at the far end, p50/p99, read from the far end's own log), and
CPU seconds per wall second of the PBX Asterisk, the far end and the app (this process), taken
over the calls only (the bench's own set-up and log reading are outside), with the part of the
app's CPU that went into reading and analysing the AMD audio, and the app/PBX ratio. Prints one
line per level and row (the rows alternate at each level); the highest level with >= 99 % right
is each row's capacity. ``--repeat N`` runs each level N times and also prints the setup times
over all N runs: the p99 of one run of 100 calls is its slowest call or two, and varies by tens
of milliseconds from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ari_app.ari import AriClient
from ari_app.dialer import Dialer
from ari_app.flow import AmdDecided, CallFlow, Command, Event, Finished, Hangup, StopAmd
from ari_app.media import MediaHub
from konform.config import Config, DialerConfig
from konform.policy import Campaign
from konform.store import callerids, campaigns
from konform.store.consents import ConsentRow, record_consents
from konform.store.database import Store, open_store
from konform_sandbox.demo import sandbox_ari
from konform_sandbox.sandbox import Sandbox

CLOCK = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CALLER_ID = "+4930555000100"
STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]")


class DetectOnlyFlow(CallFlow):
    """The flow up to the detector's decision, then hang up (what the baseline does)."""

    def _on_detecting(self, event: Event) -> list[Command]:
        commands = super()._on_detecting(event)
        if isinstance(event, AmdDecided) and not self.done:
            self.state = "done"
            return [Hangup(), StopAmd(), Finished(event.label, {"amd": event.reason})]
        return commands


def cpu_seconds(pid: int | None) -> float:
    """CPU time of a process: /proc counts in 10 ms ticks, too coarse for the app's few
    hundred ms at low load, so this process reads its own clock (all threads, in ns)."""
    if pid is None:
        return 0.0
    if pid == os.getpid():
        return time.process_time()
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_times(path: Path, tag: str) -> dict[str, tuple[float, dict[str, str]]]:
    """Entries of a tagged log by number/uid with the line's timestamp (epoch seconds)."""
    out: dict[str, tuple[float, dict[str, str]]] = {}
    if not path.is_file():
        return out
    for line in path.read_text(errors="replace").splitlines():
        if tag not in line:
            continue
        stamp = STAMP.match(line)
        fields = dict(p.split("=", 1) for p in line.split(tag + "|", 1)[1].split("|") if "=" in p)
        when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp() if stamp else 0
        key = fields.get("number") or fields.get("uid") or ""
        out[key] = (when, fields)
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def level_numbers(n: int, tag: str, ring: bool = False) -> list[str]:
    """Odd ones answer as people, even ones as mailboxes (see dialplan/farend/extensions.conf);
    with ``ring`` they ring for 1 s before answering."""
    person, mailbox = ("+4930334", "+4930224") if ring else ("+4930333", "+4930222")
    return [(f"{person}{tag}{i:03d}" if i % 2 else f"{mailbox}{tag}{i:03d}") for i in range(n)]


def wanted(number: str) -> str:
    return "human" if number.startswith(("+4930333", "+4930334")) else "machine"


async def baseline_level(
    sandbox: Sandbox, ari: AriClient, numbers: list[str], tag: str
) -> tuple[dict[str, float], dict[str, str]]:
    """Originate every number into AMD(); wait for all verdicts in the PBX's log."""
    uids = {num: f"b{tag}{i:03d}" for i, num in enumerate(numbers)}

    async def one(num: str) -> None:
        await ari.post(
            "/channels",
            {
                "endpoint": f"PJSIP/{num}@trunk",
                "context": "bench-amd",
                "extension": "s",
                "priority": 1,
                "channelId": uids[num],
                "callerId": f'"Bench" <{CALLER_ID}>',
                "timeout": 20,
            },
        )

    started = dict.fromkeys(numbers, time.time())
    await ari.warm(len(numbers))  # the same open connections as konform's row
    await asyncio.gather(*(one(num) for num in numbers))
    pbx_log = sandbox.pbx().log_dir / "messages.log"
    deadline = time.time() + 60
    results: dict[str, tuple[float, dict[str, str]]] = {}
    while time.time() < deadline:
        results = log_times(pbx_log, "BENCH_AMD")
        if all(uids[num] in results for num in numbers):
            break
        await asyncio.sleep(0.5)
    status = {num: results.get(uids[num], (0, {}))[1].get("status", "") for num in numbers}
    return started, {
        num: {"HUMAN": "human", "MACHINE": "machine"}.get(s, s) for num, s in status.items()
    }


def allow(store: Store, numbers: list[str]) -> None:
    """Consent for the level's numbers (the bench's set-up, not measured)."""
    with store.transaction():
        record_consents(
            store,
            [
                ConsentRow(
                    num,
                    "bench",
                    datetime(2026, 1, 1, tzinfo=UTC),
                    datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
                    None,
                    "bench",
                )
                for num in numbers
            ],
        )


async def konform_level(
    dialer: Dialer, campaign: Campaign, numbers: list[str]
) -> tuple[dict[str, float], dict[str, str]]:
    """Every number through the dialer (gate, originate, live AMD) at once."""

    async def one(num: str) -> str:
        result = await dialer.call(campaign, num)
        if result.outcome != wanted(num):
            print(f"  {num}: {result.outcome}, wanted {wanted(num)}: {result.detail}", flush=True)
        return result.outcome

    started = dict.fromkeys(numbers, time.time())
    await dialer.prepare(len(numbers))  # as run_campaign does; counted in the setup time
    labels = await asyncio.gather(*(one(num) for num in numbers))
    return started, dict(zip(numbers, labels, strict=True))


async def run(levels: list[int], which: list[str], ring: bool = False, repeat: int = 1) -> None:
    sandbox = Sandbox()
    sandbox.start()
    folder = Path(tempfile.mkdtemp(prefix="konform-bench-calls-"))
    store = open_store(folder / "bench.db")
    callerids.add(store, CALLER_ID)
    campaign = Campaign("bench", CALLER_ID, "bench", max_attempts=100)
    campaigns.add(store, campaign)
    config = Config(dialer=DialerConfig(agents="agent1", max_concurrent=1000, ring_timeout=20))
    pids = {"pbx": sandbox.pbx().pid(), "farend": sandbox.farend().pid(), "app": os.getpid()}
    rows: list[tuple[str, int, float, list[float], dict[str, float]]] = []
    try:
        async with (
            sandbox_ari(sandbox) as ari,
            Dialer(ari, store, config, clock=lambda: CLOCK, flow_factory=DetectOnlyFlow) as dialer,
        ):
            runs = [(n, row) for n in levels for _ in range(repeat) for row in which]
            if len(runs) > 100:
                raise SystemExit("at most 100 runs (levels x repeats x rows): numbers are tagged")
            for n, row in runs:
                tag = f"{len(rows):02d}"
                numbers = level_numbers(n, tag, ring)
                if row == "konform":
                    allow(store, numbers)
                before = {k: cpu_seconds(p) for k, p in pids.items()}
                audio_before = MediaHub.of_running_loop().cpu_seconds
                wall = time.time()
                if row == "baseline":
                    started, outcomes = await baseline_level(sandbox, ari, numbers, tag)
                else:
                    started, outcomes = await konform_level(dialer, campaign, numbers)
                wall = time.time() - wall
                cpu = {k: (cpu_seconds(p) - before[k]) / wall for k, p in pids.items()}
                cpu["audio"] = (MediaHub.of_running_loop().cpu_seconds - audio_before) / wall
                far = log_times(sandbox.farend().log_dir / "messages.log", "KONFORM_FAREND")
                right = sum(outcomes[num] == wanted(num) for num in numbers) / n
                setup = [(far[num][0] - started[num]) * 1000 for num in numbers if num in far]
                rows.append((row, n, right, setup, cpu))
                print(
                    f"{row:<9} {n:>4} calls: {right:6.1%} right, setup p50 "
                    f"{percentile(setup, 50):6.0f} ms p99 {percentile(setup, 99):6.0f} ms,"
                    f" CPU pbx {cpu['pbx']:4.0%} farend {cpu['farend']:4.0%}"
                    f" app {cpu['app']:4.0%} (AMD audio {cpu['audio']:4.0%}),"
                    f" app/pbx {cpu['app'] / max(cpu['pbx'], 1e-9):.2f}",
                    flush=True,
                )
                await asyncio.sleep(2)
    finally:
        store.close()
        sandbox.stop()
    print()
    for row in which:
        good = [n for r, n, right, _, _ in rows if r == row and right >= 0.99]
        print(f"{row}: highest concurrency with >= 99 % right outcomes: {max(good, default=0)}")
    if repeat > 1:
        print(f"\nsetup over all {repeat} runs of each level (every call counted):")
        for n in levels:
            pooled = {
                row: [ms for r, m, _, setup, _ in rows if r == row and m == n for ms in setup]
                for row in which
            }
            line = "  ".join(
                f"{row} p50 {percentile(v, 50):4.0f} p99 {percentile(v, 99):4.0f} ms"
                for row, v in pooled.items()
            )
            if len(which) == 2:
                first, second = (percentile(pooled[row], 99) for row in which)
                line += f"  {which[1]} minus {which[0]}: p99 {second - first:+.0f} ms"
            print(f"  {n:>4} calls: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 20, 40, 60, 80, 100])
    parser.add_argument(
        "--rows", nargs="+", default=["baseline", "konform"], choices=["baseline", "konform"]
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the run here")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each level this often (rows alternating) and print setup over all runs",
    )
    parser.add_argument(
        "--ring",
        action="store_true",
        help="the far end rings 1 s before answering (by default it answers at once)",
    )
    args = parser.parse_args()
    if args.profile:
        import cProfile

        cProfile.runctx(
            "asyncio.run(run(args.levels, args.rows, args.ring, args.repeat))",
            globals(),
            locals(),
            str(args.profile),
        )
    else:
        asyncio.run(run(args.levels, args.rows, args.ring, args.repeat))


if __name__ == "__main__":
    main()
