"""Benchmark: the scheduler's pick of the next contact with many contacts due.

    python -m bench.scheduler [--contacts 1000000] [--picks 20000] [--campaigns 4] [--levels 3]

Loads the contacts (spread over levels and weighted campaigns, all due), then times picks that
claim a contact and finish it with a retry (so the due set stays at its size) and prints the
mean and the 99th percentile per pick. Goal: <= 1 ms per pick with 1 million contacts due.
"""

from __future__ import annotations

import argparse
import random
import time

from konform.engine.scheduler import CampaignSpec, Contact, Scheduler

NOW = 1_796_112_000.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--picks", type=int, default=20_000)
    ap.add_argument("--campaigns", type=int, default=4)
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    # The supplied calling-hours callable is a cheap stand-in: a real one reads a per-zone cache.
    scheduler = Scheduler(next_allowed=lambda contact, at: at)
    for c in range(args.campaigns):
        scheduler.campaign(CampaignSpec(f"camp{c}", weight=1 + c))
    started = time.perf_counter()
    for i in range(args.contacts):
        contact = Contact(
            f"c{i}", f"camp{i % args.campaigns}", level=1 + rng.randrange(args.levels)
        )
        scheduler.add(contact, NOW - rng.random() * 3600)
    load = time.perf_counter() - started
    now = NOW
    times = []
    for _ in range(args.picks):
        now += 0.01
        t0 = time.perf_counter()
        claim = scheduler.pick(now, "bench", lease=600)
        times.append(time.perf_counter() - t0)
        assert claim is not None
        scheduler.finish(claim.key, now, retry=True, retry_in=0)
    times.sort()
    mean = sum(times) / len(times)
    p99 = times[int(0.99 * len(times))]
    print(f"{args.contacts:,} contacts due, loaded in {load:.1f} s")
    print(f"pick: mean {mean * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms over {args.picks:,} picks")


if __name__ == "__main__":
    main()
