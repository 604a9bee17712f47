"""The do-not-call lists, kept apart: the internal objection list, the German Robinson list and
the Dutch Bel-me-niet register.

Entries are keyed hashes (see :mod:`konform.numbers`). Bulk loads sort the keys first and insert
them in chunks the caller commits one by one, so no load holds the write lock for long; a list
is replaced by loading a staging table and swapping it in with two renames.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from konform.store.database import Store, utc_text

__all__ = [
    "LISTS",
    "ListName",
    "add_key_blob",
    "add_keys",
    "count",
    "drain_leftovers",
    "insert_sorted",
    "is_listed",
    "known_keys",
    "record_import",
    "sorted_unique",
    "stage_table",
    "start_staging",
    "swap_in_staging",
]

ListName = Literal["internal", "robinson", "belmeniet"]
LISTS: dict[ListName, str] = {
    "internal": "dnc_internal",
    "robinson": "dnc_robinson",
    "belmeniet": "dnc_belmeniet",
}


# Keys go to SQLite as one blob per batch, split in SQL: binding millions of single parameters
# costs more than the B-tree inserts themselves.
_SPLIT = (
    "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < :n) "
    "INSERT OR IGNORE INTO {table} ({columns}) SELECT {values} FROM k"
)
KEY_SIZE = 32


CHUNK = 262_144


def add_keys(store: Store, name: ListName, keys: Iterable[bytes]) -> int:
    """Insert keys into a list inside the caller's transaction; return how many were new."""
    keys = list(keys)
    if any(len(k) != KEY_SIZE for k in keys):
        raise ValueError("do-not-call keys are 32-byte HMAC-SHA256 digests")
    return add_key_blob(store, name, b"".join(keys))


def sorted_unique(blob: bytes | bytearray) -> bytes:
    """The 32-byte keys concatenated in ``blob``, sorted and without repeats.

    Sorted (numpy, in C) so that the B-tree grows by appending instead of touching pages all
    over a list of millions: that is what keeps a 10-million-line import within a minute.
    Memory: 32 bytes per key, twice.
    """
    if len(blob) % KEY_SIZE:
        raise ValueError("do-not-call keys are 32-byte HMAC-SHA256 digests")
    if not blob:
        return b""
    import numpy as np  # only bulk loads need it; kept off every CLI call's start-up

    keys = np.sort(np.frombuffer(bytes(blob), dtype=f"S{KEY_SIZE}"))
    if len(keys) > 1:  # drop repeats: sorted, so they are neighbours
        keep = np.empty(len(keys), dtype=bool)
        keep[0] = True
        np.not_equal(keys[1:], keys[:-1], out=keep[1:])
        keys = keys[keep]
    return keys.tobytes()


def add_key_blob(store: Store, name: ListName, blob: bytes | bytearray) -> int:
    """Insert the 32-byte keys concatenated in ``blob`` inside the caller's transaction; return
    how many were new. (Imports use :func:`insert_sorted` per committed batch instead.)"""
    ordered = sorted_unique(blob)
    added = 0
    step = CHUNK * KEY_SIZE
    for start in range(0, len(ordered), step):
        added += insert_sorted(store, LISTS[name], ordered[start : start + step])
    return added


def insert_sorted(store: Store, table: str, chunk: bytes) -> int:
    """Insert the sorted keys of ``chunk`` into ``table`` (a list or its staging table) inside
    the caller's transaction; return how many were new."""
    if not chunk:
        return 0
    key = f"substr(:blob, i * {KEY_SIZE} + 1, {KEY_SIZE})"
    if table == LISTS["internal"]:
        sql = _SPLIT.format(table=table, columns="key, added_at", values=f"{key}, :now")
    else:
        sql = _SPLIT.format(table=table, columns="key", values=key)
    before = store.conn.total_changes
    store.conn.execute(
        sql, {"n": len(chunk) // KEY_SIZE, "blob": chunk, "now": utc_text(datetime.now(UTC))}
    )
    return store.conn.total_changes - before


def known_keys(store: Store, name: ListName, chunk: bytes) -> set[bytes]:
    """Which of the keys concatenated in ``chunk`` are on the list already."""
    found: set[bytes] = set()
    keys = [chunk[i : i + KEY_SIZE] for i in range(0, len(chunk), KEY_SIZE)]
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        rows = store.conn.execute(
            f"SELECT key FROM {LISTS[name]} WHERE key IN ({','.join('?' * len(part))})", part
        )
        found.update(bytes(k) for (k,) in rows)
    return found


# Replacing a whole list: the new keys go into a staging table in committed batches; one short
# transaction renames the old table away and the staging table into its place; the old table
# is then emptied in batches and dropped. A crash at any point leaves the list either wholly
# old or wholly new, and the next import of the list clears the leftovers.


def stage_table(name: ListName) -> str:
    return f"{LISTS[name]}_staging"


def _old_table(name: ListName) -> str:
    return f"{LISTS[name]}_old"


def _exists(store: Store, table: str) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None


def start_staging(store: Store, name: ListName) -> str:
    """An empty staging table for ``name`` (a leftover one is dropped); return its name."""
    table = stage_table(name)
    with store.transaction() as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} (key BLOB PRIMARY KEY) WITHOUT ROWID")
    return table


def swap_in_staging(store: Store, name: ListName) -> None:
    """Put the staging table in the list's place, inside the caller's (short) transaction."""
    conn = store.conn
    conn.execute(f"ALTER TABLE {LISTS[name]} RENAME TO {_old_table(name)}")
    conn.execute(f"ALTER TABLE {stage_table(name)} RENAME TO {LISTS[name]}")


def drain_leftovers(store: Store, name: ListName, rows_per_commit: int = 10_000) -> None:
    """Empty and drop what a replacement left behind (the old list, a half-loaded staging
    table), ``rows_per_commit`` rows per transaction so no opt-out waits behind it."""
    # Sized so each transaction holds the write lock about as briefly as an import's batch
    # (docs/decisions/batched-imports.md).
    for table in (_old_table(name), stage_table(name)):
        while _exists(store, table):
            with store.transaction() as conn:
                deleted = conn.execute(
                    f"DELETE FROM {table} WHERE key IN (SELECT key FROM {table} LIMIT ?)",
                    (rows_per_commit,),
                ).rowcount
                if deleted == 0:
                    conn.execute(f"DROP TABLE {table}")


def record_import(store: Store, name: ListName, source: str, added: int) -> None:
    store.conn.execute(
        "INSERT INTO list_imports (list, source, rows_added, at) VALUES (?, ?, ?, ?)",
        (name, source, added, utc_text(datetime.now(UTC))),
    )


def is_listed(store: Store, name: ListName, e164: str) -> bool:
    key = store.keyer.number_key(e164)
    row = store.conn.execute(f"SELECT 1 FROM {LISTS[name]} WHERE key = ?", (key,)).fetchone()
    return row is not None


def count(store: Store, name: ListName) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {LISTS[name]}").fetchone()[0])
