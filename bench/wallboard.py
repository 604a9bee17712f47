"""The wallboard stream with calls in flight: updates per second sent, and what it costs the app.

Fills a temporary store with a day of finished attempts (``--history``), ``--in-flight`` open
attempts (ringing, waiting, bridged to agents) and the agents' log; starts ``konform web`` on a
free loopback port in a subprocess; logs ``--screens`` supervisors in and reads
``/api/wallboard/stream`` on each for ``--seconds``, while a writer in this process keeps the
calls moving (every second a tenth of the open attempts end and as many new ones start, so the
figures change). Prints the events each screen received per second, their size, the gap between
events, the console's CPU (user + system time of its process over the window, as a share of one
core) and, in this process, what one computation of the wallboard's figures takes.

    python -m bench.wallboard --in-flight 100 --screens 5 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from konform.policy import Campaign
from konform.store import callerids, campaigns, report, users
from konform.store.database import Store, open_store, utc_text

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Wallboard-Bench-2026"
CAMPAIGNS = ("spring", "summer")
AGENTS = [f"agent{i}" for i in range(1, 41)]
OUTCOMES = ("human", "machine", "no_answer", "busy", "failed", "blocked")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _number(i: int) -> str:
    return f"+4930{i:08d}"


def seed(store: Store, history: int, in_flight: int) -> None:
    """Campaigns, a supervisor, ``history`` finished attempts over 24 h, the open ones."""
    callerids.add(store, "+49305550001")
    for name in CAMPAIGNS:
        campaigns.add(store, Campaign(name, "+49305550001", "sales"))
    users.add(store, "boss", "supervisor", PASSWORD)
    now = datetime.now(UTC)
    rng = random.Random(17)
    rows = []
    for i in range(history):
        started = now - timedelta(seconds=rng.uniform(60, 86_400))
        outcome = rng.choices(OUTCOMES, weights=(40, 15, 25, 8, 4, 8))[0]
        answered = (
            started + timedelta(seconds=rng.uniform(3, 20)) if outcome in OUTCOMES[:2] else None
        )
        bridged = None
        if answered is not None and outcome == "human" and rng.random() < 0.9:
            bridged = answered + timedelta(seconds=2)
        agent = rng.choice(AGENTS) if bridged else None
        detail = '{"reasons": ["no_consent"]}' if outcome == "blocked" else None
        rows.append(
            (
                rng.randint(1, len(CAMPAIGNS)),
                store.keyer.number_key(_number(i)),
                _number(i),
                utc_text(started),
                utc_text(answered) if answered else None,
                utc_text(bridged) if bridged else None,
                utc_text(started + timedelta(seconds=rng.uniform(20, 300))),
                outcome,
                agent,
                int(outcome == "human" and bridged is None),
                rng.randint(1, 5) if bridged and rng.random() < 0.3 else None,
                detail,
            )
        )
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO call_attempts (campaign_id, number_key, number, started_at,"
            " answered_at, bridged_at, ended_at, outcome, agent, abandoned, csat, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO agent_log (name, state, started_at) VALUES (?, ?, ?)",
            [(a, "in_call" if i < in_flight // 2 else "ready", utc_text(now)) for i, a in
             enumerate(AGENTS)],
        )  # fmt: skip
    for i in range(in_flight):
        start_call(store, history + i, rng)


def start_call(store: Store, i: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    state = rng.choice(("ringing", "ringing", "human", "bridged"))
    store.conn.execute(
        "INSERT INTO call_attempts (campaign_id, number_key, number, started_at, state,"
        " answered_at, bridged_at, agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            rng.randint(1, len(CAMPAIGNS)),
            store.keyer.number_key(_number(i)),
            _number(i),
            utc_text(now),
            state,
            utc_text(now) if state != "ringing" else None,
            utc_text(now) if state == "bridged" else None,
            rng.choice(AGENTS) if state == "bridged" else None,
        ),
    )


def churn(db: Path, first: int, stop: threading.Event) -> int:
    """Every second a tenth of the open attempts end and as many start; the calls moved."""
    store = open_store(db)
    rng = random.Random(18)
    moved, i = 0, first
    try:
        while not stop.wait(1.0):
            with store.transaction() as conn:
                open_ids = [r[0] for r in conn.execute(
                    "SELECT id FROM call_attempts WHERE outcome IS NULL")]  # fmt: skip
                ending = rng.sample(open_ids, max(1, len(open_ids) // 10))
                now = utc_text(datetime.now(UTC))
                conn.executemany(
                    "UPDATE call_attempts SET outcome = 'human', ended_at = ? WHERE id = ?",
                    [(now, a) for a in ending],
                )
                for _ in ending:
                    start_call(store, i, rng)
                    i += 1
            moved += len(ending)
    finally:
        store.close()
    return moved


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def login(base: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    response = await session.post(
        f"{base}/api/login", json={"username": "boss", "password": PASSWORD}
    )
    response.raise_for_status()
    return session


async def screen(
    session: aiohttp.ClientSession, base: str, seconds: float, gaps: list[float], sizes: list[int]
) -> int:
    """One wallboard reading the stream for ``seconds``; the events received."""
    events, last = 0, None
    async with session.get(f"{base}/api/wallboard/stream") as stream:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = await stream.content.readline()
            if not line.startswith(b"data: "):
                continue
            now = time.monotonic()
            if last is not None:
                gaps.append(now - last)
            last = now
            sizes.append(len(line))
            events += 1
    return events


async def watch(
    base: str, pid: int, screens: int, seconds: float
) -> tuple[list[int], list[float], list[int], float, float]:
    """Log the screens in, then watch: events per screen, gaps, sizes, CPU and wall seconds
    of the console over the watching (the logins' argon2 work not counted)."""
    sessions = [await login(base) for _ in range(screens)]
    gaps: list[float] = []
    sizes: list[int] = []
    try:
        cpu, wall = cpu_seconds(pid), time.monotonic()
        events = await asyncio.gather(*(screen(s, base, seconds, gaps, sizes) for s in sessions))
        cpu, wall = cpu_seconds(pid) - cpu, time.monotonic() - wall
    finally:
        for session in sessions:
            await session.close()
    return list(events), gaps, sizes, cpu, wall


async def wait_for(base: str) -> None:
    """Until the console answers (it refuses /api/me without a session: 401)."""
    deadline = time.monotonic() + 60.0
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{base}/api/me") as response:
                    if response.status == 401:
                        return
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.2)


def compute_cost(db: Path, repeat: int = 20) -> float:
    store = open_store(db)
    try:
        started = time.perf_counter()
        for _ in range(repeat):
            report.wallboard(store, None, None, tuple(AGENTS))
        return (time.perf_counter() - started) / repeat
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--history", type=int, default=20_000, help="finished attempts (24 h)")
    parser.add_argument("--screens", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "konform.db"
        store = open_store(db)
        try:
            seed(store, args.history, args.in_flight)
        finally:
            store.close()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KONFORM_")}
        env["PYTHONPATH"] = str(ROOT)  # this checkout's konform, wherever the venv points
        server = subprocess.Popen(
            [sys.executable, "-m", "konform.cli.main", "--db", str(db), "web", "--port", str(port)],
            cwd=folder,
            env=env,
            stderr=(Path(folder) / "web.log").open("w"),
        )
        stop = threading.Event()
        moved: list[int] = []
        writer = threading.Thread(
            target=lambda: moved.append(churn(db, args.history + args.in_flight, stop))
        )
        try:
            base = f"http://127.0.0.1:{port}"
            try:
                asyncio.run(wait_for(base))
            except aiohttp.ClientConnectionError:
                sys.exit("konform web did not start:\n" + (Path(folder) / "web.log").read_text())
            writer.start()
            events, gaps, sizes, cpu, wall = asyncio.run(
                watch(base, server.pid, args.screens, args.seconds)
            )
        finally:
            stop.set()
            if writer.is_alive():
                writer.join()
            server.terminate()
            server.wait(timeout=30)
        cost = compute_cost(db)
    per_screen = [e / args.seconds for e in events]
    print(
        f"in flight {args.in_flight}, history {args.history} attempts, {args.screens} screens,"
        f" {args.seconds:.0f} s; calls moved {sum(moved)}"
    )
    print(
        f"events per screen per second: median {statistics.median(per_screen):.2f},"
        f" total {sum(events) / args.seconds:.2f}/s"
    )
    if gaps:
        print(f"gap between events: median {statistics.median(gaps):.3f} s, max {max(gaps):.3f} s")
    print(f"event size: median {statistics.median(sizes) / 1024:.1f} KiB")
    print(f"console CPU: {cpu / wall * 100:.1f} % of one core")
    print(f"one wallboard computation (in process): {cost * 1000:.1f} ms")


if __name__ == "__main__":
    main()
