"""The do-not-call lists, kept apart: the internal objection list and the Robinson list.

Entries are keyed hashes (see :mod:`konform.numbers`); bulk loads go through ``executemany`` in
sorted batches so that ten million entries load in well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from konform.numbers import number_key
from konform.store.database import Store, utc_text

__all__ = ["LISTS", "ListName", "add_keys", "count", "is_listed", "record_import"]

ListName = Literal["internal", "robinson"]
LISTS: dict[ListName, str] = {"internal": "dnc_internal", "robinson": "dnc_robinson"}


def add_keys(store: Store, name: ListName, keys: Iterable[bytes]) -> int:
    """Insert keys into a list inside the caller's transaction; return how many were new."""
    table = LISTS[name]
    before = store.conn.total_changes
    if name == "internal":
        now = utc_text(datetime.now(UTC))
        store.conn.executemany(
            f"INSERT OR IGNORE INTO {table} (key, added_at) VALUES (?, ?)",
            ((k, now) for k in sorted(set(keys))),
        )
    else:
        store.conn.executemany(
            f"INSERT OR IGNORE INTO {table} (key) VALUES (?)", ((k,) for k in sorted(set(keys)))
        )
    return store.conn.total_changes - before


def record_import(store: Store, name: ListName, source: str, added: int) -> None:
    store.conn.execute(
        "INSERT INTO list_imports (list, source, rows_added, at) VALUES (?, ?, ?, ?)",
        (name, source, added, utc_text(datetime.now(UTC))),
    )


def is_listed(store: Store, name: ListName, e164: str) -> bool:
    key = number_key(store.secret, e164)
    row = store.conn.execute(f"SELECT 1 FROM {LISTS[name]} WHERE key = ?", (key,)).fetchone()
    return row is not None


def count(store: Store, name: ListName) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {LISTS[name]}").fetchone()[0])
