"""Call attempts: one row per call placed, with its outcome; the history the policy judges.

An attempt in progress has no outcome yet; its ``state`` says how far the call got (ringing,
answered, human, bridged), so that a restart after a crash resolves it from what is known.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from konform.outcomes import OUTCOMES, REACHED, STATES, CallState, Outcome
from konform.policy import Attempts
from konform.store import audit
from konform.store.database import Store, utc_text

# OUTCOMES and STATES are konform.outcomes' names, re-exported for the store's readers.
__all__ = ["OUTCOMES", "STATES", "finish", "resolve_open", "set_state", "start"]


def start(
    store: Store,
    campaign_id: int,
    number: str,
    at: datetime | None = None,
    *,
    channel_id: str | None = None,
    state: CallState | None = None,
    source: str = "dialer",
) -> int:
    """Record that a call to ``number`` starts now; return the attempt id."""
    if state is not None and state not in STATES:
        raise ValueError(f"unknown call state {state!r}")
    cursor = store.conn.execute(
        "INSERT INTO call_attempts (campaign_id, number_key, number, started_at, channel_id,"
        " state, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            campaign_id,
            store.keyer.number_key(number),
            number,
            utc_text(at or datetime.now(UTC)),
            channel_id,
            state,
            source,
        ),
    )
    return int(cursor.lastrowid or 0)


def set_state(store: Store, attempt_id: int, state: CallState) -> None:
    """How far the call of an open attempt got; a finished attempt keeps its state."""
    if state not in STATES:
        raise ValueError(f"unknown call state {state!r}")
    store.conn.execute(
        "UPDATE call_attempts SET state = ? WHERE id = ? AND outcome IS NULL", (state, attempt_id)
    )


def finish(
    store: Store, attempt_id: int, outcome: Outcome, at: datetime | None = None, **detail: Any
) -> None:
    """The attempt's outcome, ended ``at`` (now by default: the caller's clock, which is the
    clock its ``started_at`` and moments were taken on)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown call outcome {outcome!r}")
    store.conn.execute(
        "UPDATE call_attempts SET outcome = ?, ended_at = ?, detail = ? WHERE id = ?",
        (outcome, utc_text(at or datetime.now(UTC)), json.dumps(detail, default=str), attempt_id),
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


def resolve_open(store: Store, source: str = "dialer") -> dict[str, int]:
    """Attempts of ``source`` left without an outcome by a run that stopped mid-call, resolved
    from how far they got: a person may have been reached (answered, human, bridged) -> ``human``
    (its spacing applies); only ringing or nothing known -> ``failed``. Audited; counts per
    outcome. Manual dials (source ``agent``) are not the dialer's to resolve."""
    now = utc_text(datetime.now(UTC))
    counts: dict[str, int] = {}
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT id, state FROM call_attempts WHERE outcome IS NULL AND source = ?", (source,)
        ).fetchall()
        for ident, state in rows:
            outcome = "human" if state in REACHED else "failed"
            counts[outcome] = counts.get(outcome, 0) + 1
            conn.execute(
                "UPDATE call_attempts SET outcome = ?, ended_at = ?, detail = ? WHERE id = ?",
                (
                    outcome,
                    now,
                    json.dumps({"error": "resolved at restart", "state": state}),
                    ident,
                ),
            )
        if rows:
            audit.record(store, "attempts_resolved_at_restart", source=source, outcomes=counts)
    return counts
