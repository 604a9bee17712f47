"""Benchmark: ``konform serve`` paced against the real sandbox, progressive then predictive.

    flock /tmp/konform-sandbox.lock python -m bench.engine_sandbox [--people 30] [--agents 3]
        [--talk 8] [--json]

One demo database (``konform_sandbox.demo``) and two runs of ``konform serve --campaign
demo-energy --until-done --simulated-now ISO`` in a child process, with the environment
``konform sandbox env`` prints. Each run calls ``--people`` consenting people of the far end's
person range (+4930444RNNN: they ring R = 1-6 s, answer, say hello, press nothing at the
recording question and stay while the agent talks); the agents' phones talk ``--talk`` s
(``Sandbox.set_agent_talk``). Run 1 is progressive; run 2 (new people, its clock after run 1's
end) is predictive and starts with run 1's calls as its measured history (the engine restores
the store's last 24 hours), so it is not thin. Per run: people reached (bridged to an agent),
abandoned, other outcomes, the pacing modes the engine's status lines showed, the calls whose
far-end record lacks the campaign's visible caller ID, and the run's wall time. Starts the
sandbox if it is not running (and stops it again). Only one process may use the sandbox: run it
under the flock above.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from konform.store import campaigns
from konform.store.campaigns import Pacing
from konform.store.database import open_store
from konform_sandbox.demo import (
    CALLER_ID,
    CAMPAIGN,
    DEMO_CLOCK,
    add_consenting_people,
    build_demo_store,
)
from konform_sandbox.env import serve_environment
from konform_sandbox.farend import far_end_calls, range_numbers
from konform_sandbox.sandbox import Sandbox

MODE = re.compile(r"engine (progressive|predictive)")
HEADROOM = re.compile(r"headroom (\d+\.\d+)")


def people(count: int, first: int) -> list[str]:
    """``count`` numbers of the person range, ringing 1-6 s in turn."""
    return [range_numbers("person", 1, 1 + i % 6, first + i)[0] for i in range(count)]


def attempts(db: Path, numbers: list[str]) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        marks = ", ".join("?" for _ in numbers)
        return [
            dict(r)
            for r in conn.execute(
                f"SELECT * FROM call_attempts WHERE number IN ({marks}) ORDER BY id", numbers
            )
        ]


def run(
    sandbox: Sandbox,
    folder: Path,
    args: argparse.Namespace,
    mode: Pacing,
    numbers: list[str],
    clock: datetime,
) -> dict[str, Any]:
    db = folder / "konform-demo.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM campaign_contacts")
    store = open_store(db)
    try:
        campaigns.assign(store, CAMPAIGN.name, numbers)
        campaigns.change(store, CAMPAIGN.name, pacing=mode)
    finally:
        store.close()
    agents = sandbox.settings.agent_list[: args.agents]
    env = serve_environment(
        sandbox.settings,
        sandbox.base,
        sandbox.ari_password,
        folder,
        agents,
        consent_wait=str(args.consent_wait),
        optout_wait="1",
        wrap_up=str(args.wrap),
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "konform.cli.main", "--db", str(db), "serve",
         "--campaign", CAMPAIGN.name, "--simulated-now", clock.isoformat(), "--until-done"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    rows = attempts(db, numbers)
    far = far_end_calls(sandbox)
    hidden = [
        n
        for n in numbers
        if not far.get(n)
        or far[n][-1].caller_id != CALLER_ID
        or not far[n][-1].presentation.startswith("allowed")
    ]
    outcomes: dict[str, int] = {}
    for r in rows:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    modes: dict[str, int] = {}
    for found in MODE.findall(proc.stderr):
        modes[found] = modes.get(found, 0) + 1
    headroom = [float(h) for h in HEADROOM.findall(proc.stderr)]
    ends = [datetime.fromisoformat(r["ended_at"]) for r in rows if r["ended_at"]]
    return {
        "mode": mode,
        "exit": proc.returncode,
        "people": len(numbers),
        "attempts": len(rows),
        "reached": sum(1 for r in rows if r["bridged_at"]),
        "abandoned": sum(1 for r in rows if r["abandoned"]),
        "outcomes": outcomes,
        "status_modes": modes,
        "headroom_mean": round(sum(headroom) / len(headroom), 2) if headroom else None,
        "headroom_zero": sum(1 for h in headroom if h == 0),
        "without_visible_caller_id": len(hidden),
        "wall_s": round(wall, 1),
        "last_end": max(ends).isoformat() if ends else clock.isoformat(),
        "stderr_tail": proc.stderr.strip().splitlines()[-3:] if proc.returncode else [],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--people", type=int, default=30)
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--talk", type=int, default=8, help="agents' talk, s")
    ap.add_argument("--consent-wait", type=int, default=3)
    ap.add_argument("--wrap", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sandbox = Sandbox()
    started = not sandbox.running()
    if started:
        sandbox.start()
    sandbox.set_agent_talk(args.talk)
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="konform-engine-bench-") as tmp:
            folder = Path(tmp)
            first, second = people(args.people, 0), people(args.people, 500)
            store = build_demo_store(folder)
            try:
                add_consenting_people(store, folder, first + second)
            finally:
                store.close()
            one = run(sandbox, folder, args, "progressive", first, DEMO_CLOCK)
            results.append(one)
            after = datetime.fromisoformat(one["last_end"]) + timedelta(seconds=60)
            results.append(run(sandbox, folder, args, "predictive", second, after))
    finally:
        sandbox.set_agent_talk(sandbox.settings.agent_talk_s)
        if started:
            sandbox.stop()
    scenario = {k: getattr(args, k) for k in ("people", "agents", "talk", "consent_wait", "wrap")}
    if args.json:
        print(json.dumps({"scenario": scenario, "runs": results}))
        return
    print(
        f"{args.people} consenting people per run, {args.agents} agents talking {args.talk} s,"
        f" consent wait {args.consent_wait} s, wrap-up {args.wrap} s"
    )
    for r in results:
        print(
            f"{r['mode']:<12} exit {r['exit']}  reached {r['reached']}/{r['people']}"
            f"  abandoned {r['abandoned']}  outcomes {r['outcomes']}"
            f"  status lines {r['status_modes']} (headroom mean {r['headroom_mean']},"
            f" 0 in {r['headroom_zero']})"
            f"  without visible caller ID {r['without_visible_caller_id']}  wall {r['wall_s']} s"
        )
        for line in r["stderr_tail"]:
            print(f"    {line}")


if __name__ == "__main__":
    main()
