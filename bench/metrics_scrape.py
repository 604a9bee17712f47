"""What a scrape of ``/metrics`` and the all-time campaign figures cost as the store grows.

Builds a temporary store with ``--attempts`` finished call attempts spread evenly over ``--days``
UTC days before today, across two campaigns (every outcome, blocks with their reasons, AMD
verdicts and stages, bridged talks, ratings, abandoned calls) plus one opt-out audit row per 50
attempts, written with bulk INSERTs. Then times (median of ``--repeat`` runs) what a scrape
computes (:func:`konform.store.console.counters`), the all-time report
(:func:`konform.store.report.campaign_report` without ``since``), one campaign's wallboard
figures (:func:`konform.store.report.campaign_wallboard`) and the whole wallboard with its
per-agent figures (:func:`konform.store.report.wallboard`), all-time, first on the rows as
inserted, then after the day summaries were made (:func:`konform.store.summaries.summarise`,
timed once).
Prints figures only.

    python -m bench.metrics_scrape --attempts 100000 1000000 --days 500
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from konform.policy import Campaign
from konform.store import callerids, campaigns, console, report, summaries
from konform.store.database import Store, open_store, utc_text

CAMPAIGNS = ("spring", "summer")
AGENTS = [f"agent{i}" for i in range(1, 51)]
OUTCOMES = ("human", "human", "human", "machine", "no_answer", "busy", "failed", "blocked")
REASONS = ("quiet_hours", "no_consent", "dnc", "spacing", "max_attempts")
NUMBERS = 20_000
BATCH = 20_000


def _rows(
    store: Store, attempts: int, days: int, rng: random.Random
) -> Iterator[tuple[object, ...]]:
    """The attempts' columns, oldest first."""
    ids = [campaigns.campaign_id(store, name) for name in CAMPAIGNS]
    keys = [store.keyer.number_key(f"+4930{i:08d}") for i in range(NUMBERS)]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days)
    step = days * 86400 / max(attempts, 1)
    for i in range(attempts):
        at = first + timedelta(seconds=i * step)
        outcome = rng.choice(OUTCOMES)
        n = rng.randrange(NUMBERS)
        answered = bridged = agent = csat = stage = None
        abandoned = 0
        detail: dict[str, object] = {}
        if outcome == "blocked":
            detail["reasons"] = rng.sample(REASONS, rng.randint(1, 2))
        elif outcome in ("human", "machine"):
            answered = at + timedelta(seconds=rng.uniform(2, 30))
            detail["amd"] = {"label": outcome, "at_ms": rng.randint(300, 4500)}
            if outcome == "machine":
                stage = rng.choice(("first", "first", "guard", "agent"))
            elif rng.random() < 0.05:
                abandoned = 1
            else:
                bridged = answered + timedelta(seconds=1)
                agent = rng.choice(AGENTS)
                csat = rng.choice((None, 3, 4, 5))
        end = (bridged or answered or at) + timedelta(seconds=rng.uniform(5, 300))
        yield (
            ids[i % 2],
            keys[n],
            f"+4930{n:08d}",
            utc_text(at),
            utc_text(end),
            outcome,
            json.dumps(detail),
            utc_text(answered) if answered else None,
            utc_text(bridged) if bridged else None,
            agent,
            abandoned,
            csat,
            stage,
        )


def build(store: Store, attempts: int, days: int, seed: int = 1) -> None:
    """Two campaigns and ``attempts`` finished attempts over ``days`` days (bulk INSERT)."""
    rng = random.Random(seed)
    callerids.add(store, "+49305550001")
    for name in CAMPAIGNS:
        campaigns.add(store, Campaign(name, "+49305550001", "sales"))
    rows = _rows(store, attempts, days, rng)
    done = False
    while not done:
        batch = [r for _, r in zip(range(BATCH), rows, strict=False)]
        done = len(batch) < BATCH
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO call_attempts (campaign_id, number_key, number, started_at,"
                " ended_at, outcome, detail, answered_at, bridged_at, agent, abandoned, csat,"
                " amd_stage, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'dialer')",
                batch,
            )
            conn.executemany(
                "INSERT INTO audit (at, event, campaign, number_key, detail)"
                " VALUES (?, 'opt_out', ?, NULL, ?)",
                [
                    (r[3], CAMPAIGNS[j % 2], json.dumps({"source": "dialer IVR key 9"}))
                    for j, r in enumerate(batch)
                    if j % 50 == 0
                ],
            )


def median_s(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(store: Store, repeat: int) -> dict[str, float]:
    name = CAMPAIGNS[0]
    return {
        "counters": median_s(lambda: console.counters(store), repeat),
        "report": median_s(lambda: report.campaign_report(store, name), repeat),
        "wallboard": median_s(lambda: report.campaign_wallboard(store, name), repeat),
        "whole": median_s(lambda: report.wallboard(store), repeat),
    }


def line(n: int, days: int, stage: str, figures: dict[str, float]) -> str:
    return (
        f"{n:>9} {days:>5} {stage:<10} {figures['counters']:>10.3f} {figures['report']:>9.3f}"
        f" {figures['wallboard']:>11.3f} {figures['whole']:>9.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'attempts':>9} {'days':>5} {'stage':<10} {'counters s':>10} {'report s':>9}"
        f" {'wallboard s':>11} {'whole s':>9}"
    )
    for n in args.attempts:
        with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "k.db") as store:
            build(store, n, args.days)
            print(line(n, args.days, "live rows", measure(store, args.repeat)), flush=True)
            began = time.perf_counter()
            summaries.summarise(store, datetime.now(UTC))
            made = time.perf_counter() - began
            figures = measure(store, args.repeat)
            print(line(n, args.days, "summaries", figures), f"  (summarising: {made:.1f} s)")


if __name__ == "__main__":
    main()
