"""The do-not-call lists, kept apart: the internal objection list and the Robinson list.

Entries are keyed hashes (see :mod:`konform.numbers`); bulk loads go through ``executemany`` in
sorted batches so that ten million entries load in well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from konform.store.database import Store, utc_text

__all__ = [
    "LISTS",
    "ListName",
    "add_key_blob",
    "add_keys",
    "count",
    "is_listed",
    "record_import",
]

ListName = Literal["internal", "robinson"]
LISTS: dict[ListName, str] = {"internal": "dnc_internal", "robinson": "dnc_robinson"}


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


def add_key_blob(store: Store, name: ListName, blob: bytes | bytearray) -> int:
    """Insert the 32-byte keys concatenated in ``blob``; return how many were new.

    The keys are sorted first (numpy, in C) so that the B-tree grows by appending instead of
    touching pages all over a list of millions: that is what keeps a 10-million-line import
    within a minute. Memory: 32 bytes per key, twice.
    """
    if len(blob) % KEY_SIZE:
        raise ValueError("do-not-call keys are 32-byte HMAC-SHA256 digests")
    if not blob:
        return 0
    keys = np.sort(np.frombuffer(blob, dtype=f"S{KEY_SIZE}"))
    if len(keys) > 1:  # drop repeats: sorted, so they are neighbours
        keep = np.empty(len(keys), dtype=bool)
        keep[0] = True
        np.not_equal(keys[1:], keys[:-1], out=keep[1:])
        keys = keys[keep]
    ordered = keys.tobytes()
    added = 0
    step = CHUNK * KEY_SIZE
    for start in range(0, len(ordered), step):
        added += _insert_sorted(store, name, ordered[start : start + step])
    return added


def _insert_sorted(store: Store, name: ListName, chunk: bytes) -> int:
    key = f"substr(:blob, i * {KEY_SIZE} + 1, {KEY_SIZE})"
    if name == "internal":
        sql = _SPLIT.format(table=LISTS[name], columns="key, added_at", values=f"{key}, :now")
    else:
        sql = _SPLIT.format(table=LISTS[name], columns="key", values=key)
    before = store.conn.total_changes
    store.conn.execute(
        sql, {"n": len(chunk) // KEY_SIZE, "blob": chunk, "now": utc_text(datetime.now(UTC))}
    )
    return store.conn.total_changes - before


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
