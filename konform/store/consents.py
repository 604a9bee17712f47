"""Consent evidence: append-only events per number and purpose (§ 7a UWG).

A consent row of an import becomes up to three events (given, confirmed, revoked). Events are
never overwritten: importing an older row again adds nothing, and nothing an import adds can
undo a revocation (see :func:`konform.policy.consent_state`). After an erasure the events stay
under the number's keyed hash only, as the proof the law requires for five years.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from konform.policy import Consent, ConsentEvent, consent_state
from konform.store.database import Store, utc_text

__all__ = [
    "ConsentRow",
    "consents_of",
    "event_from_columns",
    "events_of",
    "latest_revocations",
    "record_consent",
    "record_consents",
]


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One consent as a CSV row states it, with where it came from."""

    number: str
    purpose: str
    given_at: datetime
    confirmed_at: datetime | None
    revoked_at: datetime | None
    source: str | None

    def events(self) -> tuple[ConsentEvent, ...]:
        return Consent(self.purpose, self.given_at, self.confirmed_at, self.revoked_at).events()


def record_consents(store: Store, rows: Iterable[ConsentRow], via: str = "import") -> int:
    """Append the events of ``rows`` inside the caller's transaction; return how many were new.

    An event already known (same number, purpose, kind and instant) is not written again.
    """
    now = utc_text(datetime.now(UTC))
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT OR IGNORE INTO consent_events (number_key, number, purpose, event, at, source,"
        " via, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                store.keyer.number_key(r.number),
                r.number,
                e.purpose,
                e.kind,
                utc_text(e.at),
                r.source,
                via,
                now,
            )
            for r in rows
            for e in r.events()
        ),
    )
    return store.conn.total_changes - before


def record_consent(
    store: Store, row: ConsentRow, via: str = "import", key: bytes | None = None
) -> int:
    """Append the events of one row inside the caller's transaction; return how many were new.

    ``key``: the number's list key when the caller has it already.
    """
    now = utc_text(datetime.now(UTC))
    key = key if key is not None else store.keyer.number_key(row.number)
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT OR IGNORE INTO consent_events (number_key, number, purpose, event, at, source,"
        " via, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (key, row.number, e.purpose, e.kind, utc_text(e.at), row.source, via, now)
            for e in row.events()
        ),
    )
    return store.conn.total_changes - before


def latest_revocations(store: Store, keys: Iterable[bytes]) -> dict[tuple[bytes, str], datetime]:
    """The newest revocation held per (number key, purpose) for the given number keys."""
    found: dict[tuple[bytes, str], datetime] = {}
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        rows = store.conn.execute(
            "SELECT number_key, purpose, max(at) FROM consent_events WHERE event = 'revoked'"
            f" AND number_key IN ({','.join('?' * len(part))}) GROUP BY number_key, purpose",
            part,
        )
        for key, purpose, at in rows:
            found[(bytes(key), purpose)] = datetime.fromisoformat(at)
    return found


def event_from_columns(purpose: str, kind: str, at: str) -> ConsentEvent:
    if kind not in ("given", "confirmed", "revoked"):
        raise ValueError(f"unknown consent event {kind!r}")
    return ConsentEvent(purpose, kind, datetime.fromisoformat(at))  # type: ignore[arg-type]


def events_of(store: Store, number: str) -> list[ConsentEvent]:
    """The consent evidence of ``number`` (E.164), oldest first."""
    rows = store.conn.execute(
        "SELECT purpose, event, at FROM consent_events WHERE number_key = ? ORDER BY at, id",
        (store.keyer.number_key(number),),
    ).fetchall()
    return [event_from_columns(*r) for r in rows]


def consents_of(store: Store, number: str) -> dict[str, str]:
    """The state of each purpose's consent for ``number`` now: ``{purpose: state}``."""
    events = events_of(store, number)
    now = datetime.now(UTC)
    return {p: consent_state(events, p, now) for p in sorted({e.purpose for e in events})}
