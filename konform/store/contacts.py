"""Contacts, keyed by E.164 number (their consents: :mod:`konform.store.consents`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from konform.policy import Contact
from konform.store.database import Store, utc_text

__all__ = [
    "ContactRow",
    "contact_of",
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
