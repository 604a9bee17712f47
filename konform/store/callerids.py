"""Owned caller IDs: the numbers konform may present as the calling party."""

from __future__ import annotations

from datetime import UTC, datetime

from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = ["add", "is_owned", "list_all", "remove"]


def add(store: Store, number: str, label: str | None = None) -> bool:
    """Own ``number`` (E.164); False if it was owned already."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO caller_ids (number, label, added_at) VALUES (?, ?, ?)",
            (number, label, utc_text(datetime.now(UTC))),
        )
        if cursor.rowcount:
            audit.record(store, "callerid_added", caller_id=number)
        return cursor.rowcount > 0


def remove(store: Store, number: str) -> bool:
    with store.transaction() as conn:
        cursor = conn.execute("DELETE FROM caller_ids WHERE number = ?", (number,))
        if cursor.rowcount:
            audit.record(store, "callerid_removed", caller_id=number)
        return cursor.rowcount > 0


def is_owned(store: Store, number: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM caller_ids WHERE number = ?", (number,)).fetchone()
    return row is not None


def list_all(store: Store) -> list[tuple[str, str | None, str]]:
    return store.conn.execute(
        "SELECT number, label, added_at FROM caller_ids ORDER BY number"
    ).fetchall()
