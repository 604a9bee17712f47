"""What the web console reads and writes about calls: live calls, the agent's bridged call with
its contact and history, wrap-up (disposition and note), requests to the running engine about a
live call (``call_commands``), and the counts ``/metrics`` exports.

Numbers leave this module masked (:func:`konform.numbers.masked`) except where an opt-out needs
the plain number inside the store; notes and dispositions are personal data and go with an
erasure (:func:`konform.store.gdpr.erase`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from konform.numbers import masked
from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = [
    "AMD_BUCKETS",
    "MAX_NOTE",
    "SETUP_BUCKETS",
    "Attempt",
    "attempt",
    "bridged_call",
    "counters",
    "history",
    "live_calls",
    "queue_command",
    "wrap_up",
]

MAX_NOTE = 2000
"""Characters of an agent's note."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """An attempt as the desk checks it (who it belongs to) and shows it."""

    id: int
    campaign: str
    client: str | None
    script: str | None
    number: str | None
    """Plain (E.164) inside the store only; None once erased."""
    number_key: bytes
    agent: str | None
    state: str | None
    outcome: str | None
    started_at: str
    answered_at: str | None
    bridged_at: str | None


_ATTEMPT = (
    "SELECT a.id, c.name, c.client, c.script, a.number, a.number_key, a.agent, a.state,"
    " a.outcome, a.started_at, a.answered_at, a.bridged_at"
    " FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
)


def attempt(store: Store, attempt_id: int) -> Attempt | None:
    row = store.conn.execute(_ATTEMPT + " WHERE a.id = ?", (attempt_id,)).fetchone()
    return Attempt(*row) if row else None


def bridged_call(store: Store, agent: str) -> Attempt | None:
    """The call bridged to ``agent`` now: an open attempt in state ``bridged`` with that agent
    (the newest, should an engine that stopped have left an older one open)."""
    row = store.conn.execute(
        _ATTEMPT + " WHERE a.outcome IS NULL AND a.state = 'bridged' AND a.agent = ?"
        " ORDER BY a.bridged_at DESC, a.id DESC LIMIT 1",
        (agent,),
    ).fetchone()
    return Attempt(*row) if row else None


def contact(store: Store, number: str | None) -> dict[str, Any]:
    """The desk's view of a contact: name, masked number, region."""
    row = (
        store.conn.execute(
            "SELECT name, region FROM contacts WHERE number = ?", (number,)
        ).fetchone()
        if number
        else None
    )
    return {
        "name": row[0] if row else None,
        "number": masked(number) if number else None,
        "region": row[1] if row else None,
    }


RECENT_AUDIT_ROWS = 20_000
"""How far back (newest first) the desk looks for a live call's recording events."""


def recording(store: Store, call: Attempt) -> tuple[bool, bool]:
    """(consent, recording): whether the callee pressed 1 to the recording question (§ 201
    StGB) and whether the recording started, both audited by the call path. Read from the newest
    audit rows back to the call's start (a few per live call), never the whole log."""
    consent = started = False
    cursor = store.conn.execute(
        "SELECT at, event, detail FROM audit ORDER BY id DESC LIMIT ?", (RECENT_AUDIT_ROWS,)
    )
    for at, event, detail in cursor:
        if at < call.started_at:
            break
        if event not in ("recording_consent", "recording_started"):
            continue
        if json.loads(detail).get("attempt") != call.id:
            continue
        if event == "recording_started":
            started = True
        elif json.loads(detail).get("answer") == "yes":
            consent = True
    return consent, started


def history(store: Store, call: Attempt, limit: int = 20) -> list[dict[str, Any]]:
    """The contact's earlier attempts (every campaign), newest first: when, campaign, outcome,
    disposition, the agent's note and the agent; what the next agent carries on from."""
    rows = store.conn.execute(
        "SELECT a.started_at, c.name, a.outcome, a.disposition, a.note, a.agent"
        " FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.number_key = ? AND a.id <> ? AND a.outcome IS NOT 'blocked'"
        " ORDER BY a.started_at DESC, a.id DESC LIMIT ?",
        (call.number_key, call.id, limit),
    )
    keys = ("at", "campaign", "outcome", "disposition", "note", "agent")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def live_calls(store: Store, agent: str | None = None) -> list[dict[str, Any]]:
    """Attempts in progress (of one agent if given), oldest first, numbers masked."""
    sql = (
        "SELECT a.id, c.name, a.number, a.state, a.agent, a.started_at, a.answered_at,"
        " a.bridged_at FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.outcome IS NULL"
    )
    params: tuple[str, ...] = ()
    if agent is not None:
        sql += " AND a.agent = ?"
        params = (agent,)
    keys = ("attempt", "campaign", "number", "state", "agent", "started_at", "answered_at")
    calls = []
    for row in store.conn.execute(sql + " ORDER BY a.started_at, a.id", params):
        call = dict(zip((*keys, "bridged_at"), row, strict=True))
        call["number"] = masked(row[2]) if row[2] else None
        calls.append(call)
    return calls


def wrap_up(store: Store, call: Attempt, disposition: str, note: str, by: str) -> dict[str, Any]:
    """Store the agent's disposition and note on the attempt (audited without the note's text).
    An erased number's attempt keeps neither (they would be personal data of an erased
    person): ``{"kept": False}`` then."""
    with store.transaction() as conn:
        number = conn.execute(
            "SELECT number FROM call_attempts WHERE id = ?", (call.id,)
        ).fetchone()[0]
        kept = number is not None
        if kept:
            conn.execute(
                "UPDATE call_attempts SET disposition = ?, note = ? WHERE id = ?",
                (disposition, note or None, call.id),
            )
        audit.record(
            store,
            "desk_wrap_up",
            campaign=call.campaign,
            key=call.number_key,
            attempt=call.id,
            disposition=disposition,
            note_chars=len(note),
            kept=kept,
            by=by,
        )
    return {"kept": kept}


def queue_command(store: Store, call: Attempt, command: str, by: str) -> int:
    """Ask the running engine to act on a live call (``optout_menu``, ``hangup``): a
    ``call_commands`` row it takes at its next tick (audited). Returns the row's id."""
    now = datetime.now(UTC)
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO call_commands (attempt_id, command, requested_by, requested_at)"
            " VALUES (?, ?, ?, ?)",
            (call.id, command, by, utc_text(now)),
        )
        audit.record(
            store,
            "call_command",
            at=now,
            campaign=call.campaign,
            key=call.number_key,
            attempt=call.id,
            command=command,
            by=by,
        )
    return int(cursor.lastrowid or 0)


# --- counts for /metrics ---------------------------------------------------------------------

AMD_BUCKETS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
"""Seconds from the answer to the AMD verdict."""
SETUP_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 45.0)
"""Seconds from dialling to the answer."""


def _histogram(
    store: Store, expression: str, where: str, buckets: tuple[float, ...]
) -> tuple[list[int], int, float]:
    """Cumulative counts per upper bound (and +Inf), the count and the sum of ``expression``
    over the attempts ``where`` selects (one pass)."""
    columns = ", ".join(f"count(CASE WHEN v <= {b!r} THEN 1 END)" for b in buckets)
    row = store.conn.execute(
        f"SELECT {columns}, count(v), total(v) FROM"
        f" (SELECT {expression} AS v FROM call_attempts WHERE {where})"
    ).fetchone()
    return [*row[: len(buckets)], row[len(buckets)]], row[len(buckets)], float(row[-1])


def counters(store: Store) -> dict[str, Any]:
    """Everything ``/metrics`` exports, counted from the store (totals since the first call
    still stored; retention deletes nothing these count but attempts' plain details)."""
    conn = store.conn
    calls = conn.execute(
        "SELECT c.name, a.outcome, count(*), count(CASE WHEN a.abandoned <> 0 THEN 1 END)"
        " FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.outcome IS NOT NULL GROUP BY c.name, a.outcome"
    ).fetchall()
    blocks = conn.execute(
        "SELECT c.name, r.value, count(*) FROM call_attempts a"
        " JOIN campaigns c ON c.id = a.campaign_id, json_each(a.detail, '$.reasons') r"
        " WHERE a.outcome = 'blocked' GROUP BY c.name, r.value"
    ).fetchall()
    optouts = conn.execute(
        "SELECT coalesce(json_extract(detail, '$.source'), 'unknown'), count(*) FROM audit"
        " WHERE event = 'opt_out' GROUP BY 1"
    ).fetchall()
    in_flight = conn.execute(
        "SELECT c.name, count(a.id) FROM campaigns c LEFT JOIN call_attempts a"
        " ON a.campaign_id = c.id AND a.outcome IS NULL GROUP BY c.name"
    ).fetchall()
    amd = _histogram(
        store,
        "json_extract(detail, '$.amd.at_ms') / 1000.0",
        "json_extract(detail, '$.amd.at_ms') IS NOT NULL",
        AMD_BUCKETS,
    )
    setup = _histogram(
        store,
        "(julianday(answered_at) - julianday(started_at)) * 86400.0",
        "answered_at IS NOT NULL",
        SETUP_BUCKETS,
    )
    return {
        "calls": [(c, o, n) for c, o, n, _ in calls],
        "abandoned": _sum_by_campaign((c, a) for c, _, _, a in calls),
        "blocks": blocks,
        "optouts": optouts,
        "in_flight": in_flight,
        "amd": amd,
        "setup": setup,
    }


def _sum_by_campaign(pairs: Any) -> list[tuple[str, int]]:
    sums: dict[str, int] = {}
    for name, count in pairs:
        sums[name] = sums.get(name, 0) + count
    return sorted(sums.items())
