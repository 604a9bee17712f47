"""Call attempts: one row per call placed, with its outcome; the history the policy judges."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from konform.numbers import number_key
from konform.policy import Attempts
from konform.store.database import Store, utc_text

__all__ = ["OUTCOMES", "finish", "history", "start"]

OUTCOMES = ("human", "machine", "no_answer", "busy", "failed", "blocked")


def start(store: Store, campaign_id: int, number: str, at: datetime | None = None) -> int:
    """Record that a call to ``number`` starts now; return the attempt id."""
    cursor = store.conn.execute(
        "INSERT INTO call_attempts (campaign_id, number_key, number, started_at)"
        " VALUES (?, ?, ?, ?)",
        (campaign_id, number_key(store.secret, number), number, utc_text(at or datetime.now(UTC))),
    )
    return int(cursor.lastrowid or 0)


def finish(
    store: Store, attempt_id: int, outcome: str, at: datetime | None = None, **detail: Any
) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown call outcome {outcome!r}")
    store.conn.execute(
        "UPDATE call_attempts SET outcome = ?, ended_at = ?, detail = ? WHERE id = ?",
        (outcome, utc_text(at or datetime.now(UTC)), json.dumps(detail, default=str), attempt_id),
    )


HISTORY_SQL = (
    "SELECT count(*), max(started_at),"
    " (SELECT outcome FROM call_attempts b WHERE b.number_key = a.number_key"
    "  AND b.campaign_id = a.campaign_id AND b.outcome != 'blocked'"
    "  ORDER BY b.started_at DESC, b.id DESC LIMIT 1)"
    " FROM call_attempts a WHERE a.number_key = ? AND a.campaign_id = ?"
    " AND (a.outcome IS NULL OR a.outcome != 'blocked')"
)


def history(store: Store, campaign_id: int, number: str) -> Attempts:
    """Calls placed (blocked ones do not count) to ``number`` in this campaign."""
    count, last_at, outcome = store.conn.execute(
        HISTORY_SQL, (number_key(store.secret, number), campaign_id)
    ).fetchone()
    return Attempts(int(count), datetime.fromisoformat(last_at) if last_at else None, outcome)
