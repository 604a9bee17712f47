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
from typing import Any

from konform.numbers import masked
from konform.store import audit, tallies
from konform.store.database import Store

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


# --- counts for /metrics ---------------------------------------------------------------------

AMD_BUCKETS = tallies.AMD_BUCKETS
"""Seconds from the answer to the AMD verdict."""
SETUP_BUCKETS = tallies.SETUP_BUCKETS
"""Seconds from dialling to the answer."""

Histogram = tuple[list[int], int, float]
"""Cumulative counts per upper bound (and +Inf), the count and the sum (seconds)."""


def _histogram(figures: tallies.Tallies, metric: str, buckets: tuple[float, ...]) -> Histogram:
    def summed(key: str, column: int) -> int:
        return sum(v[column] for (_, _, m, k), v in figures.items() if m == metric and k == key)

    count = summed(tallies.INF, 0)
    return [*(summed(repr(b), 0) for b in buckets), count], count, summed(tallies.INF, 1) / 1000


def counters(store: Store) -> dict[str, Any]:
    """Everything ``/metrics`` exports: the day summaries of closed days
    (:mod:`konform.store.summaries`) plus the attempts and opt-outs not summarised yet plus the
    tallies of those retention and erasure took (:mod:`konform.store.tallies`), so every counter
    only goes up and a scrape reads about two days of rows. Lines in flight are a gauge of the
    attempts held now."""
    conn = store.conn
    figures = tallies.attempt_tallies(conn, live=True)
    tallies.add(figures, tallies.optout_tallies(conn, "id > ?", (tallies.optouts_through(conn),)))
    tallies.add(figures, tallies.stored(conn))
    tallies.add(figures, tallies.stored(conn, table=tallies.TOTALS))
    calls: dict[tuple[str, str], int] = {}
    abandoned: dict[str, int] = {}
    blocks: dict[tuple[str, str], int] = {}
    machines: dict[tuple[str, str], int] = {}
    optouts: dict[str, int] = {}
    for (campaign, _, metric, key), (n, _total) in figures.items():
        if metric == tallies.CALLS and key:  # finished attempts
            calls[campaign, key] = calls.get((campaign, key), 0) + n
            abandoned.setdefault(campaign, 0)
        elif metric == tallies.ABANDONED and key:
            abandoned[campaign] = abandoned.get(campaign, 0) + n
        elif metric == tallies.BLOCKS:
            blocks[campaign, key] = blocks.get((campaign, key), 0) + n
        elif metric == tallies.MACHINES:
            machines[campaign, key] = machines.get((campaign, key), 0) + n
        elif metric == tallies.OPTOUTS:
            optouts[key] = optouts.get(key, 0) + n
    # Through the partial index of open attempts: a few rows whatever the store holds.
    in_flight = conn.execute(
        "SELECT c.name, (SELECT count(*) FROM call_attempts a INDEXED BY call_attempts_open"
        " WHERE a.outcome IS NULL AND a.campaign_id = c.id) FROM campaigns c ORDER BY c.name"
    ).fetchall()
    return {
        "calls": sorted((c, o, n) for (c, o), n in calls.items()),
        "abandoned": sorted(abandoned.items()),
        "blocks": sorted((c, r, n) for (c, r), n in blocks.items()),
        "machines": sorted((c, s, n) for (c, s), n in machines.items()),
        "optouts": sorted(optouts.items()),
        "in_flight": in_flight,
        "amd": _histogram(figures, tallies.AMD, AMD_BUCKETS),
        "setup": _histogram(figures, tallies.SETUP, SETUP_BUCKETS),
    }
