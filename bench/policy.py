"""Benchmark: policy checks per second with 1 and 10 million numbers on the lists, and list
import rows per second.

    python -m bench.policy [--sizes 1000000 10000000] [--checks 50000]

For each size it writes a Robinson file of SHA-256 digests (the usual delivery form) and one of
plain E.164 numbers, imports both through ``konform import``'s code path, adds 1 % of the
numbers to the internal list and 100,000 contacts with consents, then times
(a) decisions (``gate.judge``: normalise, gather facts, evaluate) and
(b) audited checks (``gate.check``: the same plus one committed audit row each, as the dialer
and the FastAGI precheck run them). Goals: >= 20,000 checks/s; 10 M Robinson lines in <= 60 s.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from konform import gate
from konform.importing import run_import
from konform.policy import Campaign
from konform.store import callerids, campaigns
from konform.store.consents import ConsentRow, record_consents
from konform.store.contacts import ContactRow, upsert_contacts
from konform.store.database import open_store

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin


def numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    prefixes = ["30", "40", "89", "221", "69", "711", "151", "160", "170", "176"]
    out: set[str] = set()
    while len(out) < count:
        prefix = rng.choice(prefixes)
        out.add(f"+49{prefix}{rng.randrange(10**6, 10**8)}")
    return list(out)


def bench(size: int, checks: int, folder: Path) -> dict[str, float]:
    listed = numbers(size, seed=size)
    hashed_file = folder / f"robinson-{size}-sha256.txt"
    plain_file = folder / f"robinson-{size}-e164.txt"
    with hashed_file.open("w") as out:
        out.writelines(hashlib.sha256(n.encode()).hexdigest() + "\n" for n in listed)
    half = listed[: size // 2]
    with plain_file.open("w") as out:
        out.writelines(n + "\n" for n in half)

    db = folder / f"bench-{size}.db"
    store = open_store(db)
    started = time.perf_counter()
    result = run_import(store, "robinson", hashed_file)
    hashed_s = time.perf_counter() - started
    assert not result.errors, result.errors[:3]

    store.close()
    db2 = folder / f"bench-{size}-plain.db"
    store2 = open_store(db2)
    started = time.perf_counter()
    result = run_import(store2, "robinson", plain_file)
    plain_s = time.perf_counter() - started
    assert not result.errors, result.errors[:3]
    store2.close()

    store = open_store(db)
    internal_file = folder / "internal.txt"
    internal_file.write_text("".join(n + "\n" for n in listed[: size // 100]))
    run_import(store, "optouts", internal_file)
    rng = random.Random(1)
    fresh = numbers(checks, seed=size + 1)
    callerids.add(store, "+4930555000100")
    campaign = Campaign("bench", "+4930555000100", "sales")
    campaigns.add(store, campaign)
    with store.transaction():
        contacts = fresh[:100_000]
        upsert_contacts(store, (ContactRow(n, "x", "DE-BE", "b2c", None, None) for n in contacts))
        record_consents(
            store,
            (
                ConsentRow(
                    n,
                    "sales",
                    datetime(2026, 1, 1, tzinfo=UTC),
                    datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
                    None,
                    "bench",
                )
                for n in contacts
            ),
        )
    # A realistic mix: mostly callable contacts, some listed numbers.
    sample = [
        rng.choice(listed) if rng.random() < 0.2 else rng.choice(fresh) for _ in range(checks)
    ]

    for n in sample[:2_000]:  # warm caches (holiday tables, compiled patterns, pages)
        gate.judge(store, campaign, n, AT)
    started = time.perf_counter()
    allowed = sum(gate.judge(store, campaign, n, AT).decision.allowed for n in sample)
    judge_s = time.perf_counter() - started

    audited_n = min(checks, 5_000)
    started = time.perf_counter()
    for n in sample[:audited_n]:
        gate.check(store, campaign, n, AT, source="bench")
    audited_s = time.perf_counter() - started
    store.close()
    return {
        "size": size,
        "import_sha256_rows_s": size / hashed_s,
        "import_sha256_s": hashed_s,
        "import_e164_rows_s": len(half) / plain_s,
        "checks_s": checks / judge_s,
        "allowed_fraction": allowed / checks,
        "audited_checks_s": audited_n / audited_s,
        "db_mb": db.stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--checks", type=int, default=50_000)
    parser.add_argument("--dir", type=Path, help="work folder (default: a temp folder)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="konform-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"{'numbers on list':>15} {'import sha256':>20} {'import e164':>14} "
        f"{'checks/s':>10} {'audited/s':>10} {'db MB':>8}"
    )
    for size in args.sizes:
        r = bench(size, args.checks, folder)
        print(
            f"{r['size']:>15,} {r['import_sha256_rows_s']:>11,.0f} rows/s "
            f"({r['import_sha256_s']:>4.1f} s) {r['import_e164_rows_s']:>7,.0f} rows/s "
            f"{r['checks_s']:>10,.0f} {r['audited_checks_s']:>10,.0f} {r['db_mb']:>8.0f}",
            flush=True,
        )
    print("goals: checks/s >= 20,000; 10,000,000 Robinson lines imported in <= 60 s")


if __name__ == "__main__":
    main()
