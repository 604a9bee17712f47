"""Call attempts: one row per call placed, with its outcome; the history the policy judges."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from konform.policy import Attempts
from konform.store.database import Store, utc_text

__all__ = ["OUTCOMES", "close_orphans", "finish", "start"]

OUTCOMES = ("human", "machine", "no_answer", "busy", "failed", "blocked")


def start(store: Store, campaign_id: int, number: str, at: datetime | None = None) -> int:
    """Record that a call to ``number`` starts now; return the attempt id."""
    cursor = store.conn.execute(
        "INSERT INTO call_attempts (campaign_id, number_key, number, started_at)"
        " VALUES (?, ?, ?, ?)",
        (campaign_id, store.keyer.number_key(number), number, utc_text(at or datetime.now(UTC))),
    )
    return int(cursor.lastrowid or 0)


def finish(store: Store, attempt_id: int, outcome: str, **detail: Any) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown call outcome {outcome!r}")
    store.conn.execute(
        "UPDATE call_attempts SET outcome = ?, ended_at = ?, detail = ? WHERE id = ?",
        (outcome, utc_text(datetime.now(UTC)), json.dumps(detail, default=str), attempt_id),
    )


# Subqueries over (:key, :campaign_id); blocked attempts were never placed and do not count.
_PLACED = (
    "FROM call_attempts WHERE number_key = :key AND campaign_id = :campaign_id"
    " AND outcome IS NOT 'blocked'"
)
COUNT_SQL = f"(SELECT count(*) {_PLACED})"
LAST_SQL = (
    f"(SELECT json_array(started_at, outcome) {_PLACED} ORDER BY started_at DESC, id DESC LIMIT 1)"
)


def attempts_from_columns(count: int | None, last: str | None) -> Attempts:
    if not count or last is None:
        return Attempts(int(count or 0))
    last_at, outcome = json.loads(last)
    return Attempts(int(count), datetime.fromisoformat(last_at), outcome)


def close_orphans(store: Store) -> int:
    """Attempts left without an outcome by an app that stopped mid-call end as ``failed``."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "UPDATE call_attempts SET outcome = 'failed', ended_at = ?, detail = ?"
            " WHERE outcome IS NULL",
            (utc_text(datetime.now(UTC)), json.dumps({"error": "the app stopped mid-call"})),
        )
    return cursor.rowcount
