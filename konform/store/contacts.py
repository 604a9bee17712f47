"""Contacts and their consents, keyed by E.164 number."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from konform.policy import Consent, Contact
from konform.store.database import Store, utc_text

__all__ = [
    "ConsentRow",
    "ContactRow",
    "consents_of",
    "contact_of",
    "upsert_consents",
    "upsert_contacts",
]


@dataclass(frozen=True, slots=True)
class ContactRow:
    number: str
    name: str | None
    region: str | None
    kind: Literal["b2c", "b2b"]
    customer_until: date | Literal["active"] | None
    basis: str | None


@dataclass(frozen=True, slots=True)
class ConsentRow:
    number: str
    purpose: str
    given_at: datetime
    confirmed_at: datetime | None
    revoked_at: datetime | None
    source: str | None


def _opt_utc(moment: datetime | None) -> str | None:
    return utc_text(moment) if moment else None


def upsert_contacts(store: Store, rows: Iterable[ContactRow]) -> int:
    """Insert or replace contacts inside the caller's transaction; return the row count."""
    now = utc_text(datetime.now(UTC))
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT INTO contacts (number, name, region, kind, customer_until, basis, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET name = excluded.name,"
        " region = excluded.region, kind = excluded.kind,"
        " customer_until = excluded.customer_until, basis = excluded.basis,"
        " updated_at = excluded.updated_at",
        (
            (
                r.number,
                r.name,
                r.region,
                r.kind,
                r.customer_until.isoformat()
                if isinstance(r.customer_until, date)
                else r.customer_until,
                r.basis,
                now,
            )
            for r in rows
        ),
    )
    return store.conn.total_changes - before


def upsert_consents(store: Store, rows: Iterable[ConsentRow]) -> int:
    """Insert consents; a repeated (number, purpose, given_at) updates confirmation/revocation."""
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT INTO consents (number, purpose, given_at, confirmed_at, revoked_at, source)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (number, purpose, given_at) DO UPDATE SET"
        " confirmed_at = excluded.confirmed_at, revoked_at = excluded.revoked_at,"
        " source = excluded.source",
        (
            (
                r.number,
                r.purpose,
                utc_text(r.given_at),
                _opt_utc(r.confirmed_at),
                _opt_utc(r.revoked_at),
                r.source,
            )
            for r in rows
        ),
    )
    return store.conn.total_changes - before


def contact_from_columns(
    kind: str, region: str | None, customer_until: str | None, basis: str | None
) -> Contact:
    until: date | Literal["active"] | None
    if customer_until is None or customer_until == "":
        until = None
    elif customer_until == "active":
        until = "active"
    else:
        until = date.fromisoformat(customer_until)
    return Contact("b2b" if kind == "b2b" else "b2c", region or None, until, basis)


def contact_of(store: Store, number: str) -> Contact | None:
    row = store.conn.execute(
        "SELECT kind, region, customer_until, basis FROM contacts WHERE number = ?", (number,)
    ).fetchone()
    return contact_from_columns(*row) if row else None


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def consent_from_columns(
    purpose: str, given_at: str, confirmed_at: str | None, revoked_at: str | None
) -> Consent:
    return Consent(
        purpose, datetime.fromisoformat(given_at), _instant(confirmed_at), _instant(revoked_at)
    )


def consents_of(store: Store, number: str) -> list[Consent]:
    rows = store.conn.execute(
        "SELECT purpose, given_at, confirmed_at, revoked_at FROM consents WHERE number = ?",
        (number,),
    ).fetchall()
    return [consent_from_columns(*r) for r in rows]
