"""Contacts, keyed by E.164 number, with their best time to call (their consents:
:mod:`konform.store.consents`; their priority on a call list: :mod:`konform.store.campaigns`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from konform.policy import Contact
from konform.store.database import Store, utc_text

__all__ = [
    "BestTime",
    "ContactRow",
    "best_time",
    "contact_of",
    "parse_time_of_day",
    "row_of",
    "upsert_contacts",
]

_TIME_OF_DAY = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_time_of_day(text: str) -> str:
    """``9:30`` or ``09:30`` -> ``09:30``; ValueError for anything else (``24:00`` included)."""
    match = _TIME_OF_DAY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a time of day HH:MM (00:00 to 23:59)")
    return f"{int(match[1]):02d}:{match[2]}"


@dataclass(frozen=True, slots=True)
class BestTime:
    """A contact's best time to call: local times of day (HH:MM) in the person's place; either
    end may be open. The engine calls only at or after ``after`` and before ``before``."""

    after: str | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        for end in (self.after, self.before):
            if end is not None and parse_time_of_day(end) != end:
                raise ValueError(f"{end!r} is not a time of day HH:MM")
        if self.after is not None and self.before is not None and self.after >= self.before:
            raise ValueError(f"call_after {self.after} must lie before call_before {self.before}")


@dataclass(frozen=True, slots=True)
class ContactRow:
    number: str
    name: str | None
    region: str | None
    kind: Literal["b2c", "b2b"]
    customer_until: date | Literal["active"] | None
    basis: str | None
    best_time: BestTime | None = None
    """None: the stored best time stays as it is (the file has no such columns)."""
    priority: int | None = None
    """The level on the call list the import puts the number on; None: unchanged (new: 5)."""


def upsert_contacts(store: Store, rows: Iterable[ContactRow]) -> int:
    """Insert or replace contacts inside the caller's transaction; return the row count.

    A row's best time replaces the stored one when the row has one (``best_time`` not None)."""
    now = utc_text(datetime.now(UTC))
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT INTO contacts (number, name, region, kind, customer_until, basis, updated_at,"
        " call_after, call_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (number) DO UPDATE SET name = excluded.name,"
        " region = excluded.region, kind = excluded.kind,"
        " customer_until = excluded.customer_until, basis = excluded.basis,"
        " updated_at = excluded.updated_at,"
        " call_after = CASE WHEN ? THEN excluded.call_after ELSE call_after END,"
        " call_before = CASE WHEN ? THEN excluded.call_before ELSE call_before END",
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
                r.best_time.after if r.best_time else None,
                r.best_time.before if r.best_time else None,
                r.best_time is not None,
                r.best_time is not None,
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


def best_time(store: Store, number: str) -> BestTime | None:
    """The contact's best time to call; None for an unknown number (both ends open: BestTime())."""
    row = store.conn.execute(
        "SELECT call_after, call_before FROM contacts WHERE number = ?", (number,)
    ).fetchone()
    return BestTime(row[0], row[1]) if row else None


def row_of(store: Store, number: str) -> ContactRow | None:
    """The stored contact as imported (``priority`` None: priorities are per call list)."""
    row = store.conn.execute(
        "SELECT name, region, kind, customer_until, basis, call_after, call_before"
        " FROM contacts WHERE number = ?",
        (number,),
    ).fetchone()
    if row is None:
        return None
    name, region, kind, until, basis, after, before = row
    contact = contact_from_columns(kind, region, until, basis)
    return ContactRow(
        number, name, region, contact.kind, contact.customer_until, basis, BestTime(after, before)
    )
