"""Benchmark: how long an import holds SQLite's write lock at most (its longest batch).

    python -m bench.import_batches [--rows 1000000] [--folder DIR]

Writes a contacts file of ``--rows`` valid German numbers, imports it into a fresh store
through ``konform import``'s code path and prints the rows per second, the number of write
transactions and the longest time one of them held the write lock: the longest an opt-out from
another process waits behind the import. Then the same for a Robinson list of as many numbers,
merged into the list, merged again (all keys known) and swapped in with ``--replace``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from konform.importing import ImportKind, ImportResult, run_import
from konform.store.database import open_store


def numbers(count: int, seed: int = 1) -> list[str]:
    """Distinct valid Berlin numbers (+4930 and seven digits)."""
    rng = random.Random(seed)
    return [f"+4930{n}" for n in rng.sample(range(1_000_000, 10_000_000), count)]


def timed(
    label: str, store_path: Path, kind: ImportKind, path: Path, replace: bool = False
) -> ImportResult:
    with open_store(store_path) as store:
        started = time.perf_counter()
        result = run_import(store, kind, path, replace=replace)
        took = time.perf_counter() - started
    rows = result.accepted + result.not_imported
    print(
        f"{label:<34} {rows:>9,} rows {took:7.1f} s {rows / took:>9,.0f} rows/s"
        f"  {result.batches:>5} transactions, longest {result.longest_batch_s * 1000:6.1f} ms"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, help="where the files go (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = Path(tmp)
        listed = numbers(args.rows)
        contacts = folder / "contacts.csv"
        with contacts.open("w") as out:
            out.write("number,name,region,kind,customer_until\n")
            out.writelines(f"{n},Name {i},DE-BE,b2c,\n" for i, n in enumerate(listed))
        robinson = folder / "robinson.txt"
        robinson.write_text("".join(n + "\n" for n in listed))
        db = folder / "bench.db"
        timed("contacts into an empty store", db, "contacts", contacts)
        timed("contacts again (all updates)", db, "contacts", contacts)
        timed("robinson into an empty list", db, "robinson", robinson)
        timed("robinson again (all known)", db, "robinson", robinson)
        timed("robinson --replace", db, "robinson", robinson, replace=True)


if __name__ == "__main__":
    main()
