"""Agents' manual dials as call attempts: opened by the FastAGI precheck, finished by the
dialplan's hangup handler (the ``outcome`` route) with what Asterisk's ``Dial`` reported.

A manual dial counts like any call of the dialer (§ 7 (2) Nr. 1 UWG read with the
campaign's attempt limits and retry spacing): four dials of one number cannot pass a limit
of one, and a call in progress blocks every other call to the same person.
"""

from __future__ import annotations

from datetime import datetime

from konform.outcomes import CallOutcome
from konform.store import attempts
from konform.store.database import Store, utc_text

__all__ = ["DIAL_OUTCOMES", "finish", "outcome_of", "start"]

# Asterisk's DIALSTATUS -> konform's call outcome. An agent who hangs up while it rings
# (CANCEL) reached nobody: no_answer. Anything unknown or empty is a failed call.
DIAL_OUTCOMES: dict[str, CallOutcome] = {
    "ANSWER": "human",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
    "BUSY": "busy",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
}


def outcome_of(dialstatus: str) -> CallOutcome:
    """The call outcome for a ``DIALSTATUS`` value (``failed`` for anything unknown)."""
    return DIAL_OUTCOMES.get(dialstatus.strip().upper(), "failed")


def start(store: Store, campaign_id: int, number: str, channel_id: str, at: datetime) -> int:
    """Open an agent's attempt (``ringing``), inside the caller's transaction; its id."""
    cursor = store.conn.execute(
        "INSERT INTO call_attempts (campaign_id, number_key, number, started_at, channel_id,"
        " state, source) VALUES (?, ?, ?, ?, ?, 'ringing', 'agent')",
        (campaign_id, store.keyer.number_key(number), number, utc_text(at), channel_id or None),
    )
    return int(cursor.lastrowid or 0)


def finish(store: Store, attempt_id: int, dialstatus: str) -> CallOutcome | None:
    """Give an open agent's attempt its outcome; the outcome, or None if there was no such
    open attempt (unknown id, a dialer's attempt, or resolved already: left as it is)."""
    outcome = outcome_of(dialstatus)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT 1 FROM call_attempts WHERE id = ? AND source = 'agent' AND outcome IS NULL",
            (attempt_id,),
        ).fetchone()
        if row is None:
            return None
        attempts.finish(store, attempt_id, outcome, dialstatus=dialstatus or None)
        if outcome == "human":  # the agent talked to the callee
            conn.execute("UPDATE call_attempts SET state = 'bridged' WHERE id = ?", (attempt_id,))
    return outcome
